"""Accuracy figures: the published benchmarks in their own label spaces, the shipped CX models,
French versus English, EN→FR transfer, calibration and the challenge set."""

from __future__ import annotations

import tempfile
from pathlib import Path

from vocnlp.config import load_config
from vocnlp.training.benchmark_sets import BENCHMARKS
from vocnlp.training.profiles import profile_spec
from vocnlp.training.train import TrainingData, public_training_data, train_and_score


def _scores(task: str, data: TrainingData, spec: dict, seed: int, log) -> tuple[dict, dict]:
    """Train as ``spec`` says (fine-tuning a body in a scratch folder if it says so); test metrics and info."""
    with tempfile.TemporaryDirectory() as scratch:
        _, metrics, info = train_and_score(task, data, seed=seed, log=log, body_dir=Path(scratch) / "body", **spec)
    return metrics, info


def shipped_models(profile: str) -> dict[str, str]:
    """Model folders the pipeline loads under ``profile`` (from configs/profiles), per task."""
    cfg = load_config(overrides={"profile": profile})
    return {task: cfg.stage(task).params["model"] for task in ("sentiment", "emotion")}


def _quiet(_message: str) -> None:
    pass


def benchmark_scores(profile: str, seed: int = 0, log=_quiet) -> dict:
    """Macro-F1 on each published benchmark's test split, training a head of ``profile`` on its train split."""
    spec = profile_spec(profile, "emotion")
    results = {}
    for name in BENCHMARKS:
        metrics, info = _scores("emotion", public_training_data("emotion", name, seed=seed), spec, seed, log)
        results[name] = {**next(iter(metrics.values())), "train_seconds": info["train_seconds"]}
    results["xed_en_to_fr"] = emotion_transfer(profile, seed, log)
    return results


def emotion_transfer(profile: str, seed: int = 0, log=_quiet) -> dict:
    """EN→FR: ``profile``'s emotion model trained on XED English only, tested on the XED French projections.

    train_and_score leaves out the English sources of the French test lines (vocnlp.training.xed_sources).
    """
    en, fr = public_training_data("emotion", "xed_en", seed=seed), public_training_data("emotion", "xed_fr", seed=seed)
    metrics, _ = _scores(
        "emotion",
        TrainingData("xed_en", en.train, en.dev, fr.test, root=en.root),
        profile_spec(profile, "emotion"),
        seed,
        log,
    )
    return next(iter(metrics.values()))


def sentiment_transfer(profile: str, seed: int = 0, log=_quiet) -> dict:
    """Sentiment trained on the English splits only (GoEmotions, XED EN, XED neutral lines, Banking77), tested on
    XED French."""
    data = public_training_data("sentiment", "cx", seed=seed)
    english = [s for s in data.train if not s.name.startswith("xed_fr")]
    english_dev = [s for s in data.dev if not s.name.startswith("xed_fr")]
    french_test = [s for s in data.test if s.name.startswith("xed_fr")]
    metrics, _ = _scores(
        "sentiment",
        TrainingData("cx-english", english, english_dev, french_test, root=data.root),
        profile_spec(profile, "sentiment"),
        seed,
        log,
    )
    return next(iter(metrics.values()))


def models_by_language(profile: str) -> dict[str, dict[str, str]]:
    """Per task, the model folders ``profile`` reads for comments in given languages instead of its main one."""
    cfg = load_config(overrides={"profile": profile})
    return {task: dict(cfg.stage(task).params.get("models_by_language") or {}) for task in ("sentiment", "emotion")}


def shipped_model_scores(profile: str, log=_quiet) -> dict:
    """``vocnlp evaluate`` of each shipped model of ``profile`` on its public test splits.

    A split in a language the profile routes to another model is scored with that model (its row names it).
    """
    from vocnlp.resources import resource_path
    from vocnlp.training.evaluate import evaluate_folder

    scores, routing = {}, models_by_language(profile)
    for task, path in shipped_models(profile).items():
        scores[task] = evaluate_folder(resource_path(path), data_set="cx", log=log)
        for language, routed in routing[task].items():
            for split, figures in evaluate_folder(resource_path(routed), data_set="cx", log=log).items():
                if figures["language"] == language:
                    scores[task][split] = {**figures, "model": Path(routed).name}
    return scores


def shipped_megabytes(profile: str) -> dict[str, float]:
    """Size of the model folders each task of ``profile`` reads (its main one and any per-language ones)."""
    from benchmarks.speed import folder_megabytes
    from vocnlp.resources import resource_path

    routed = models_by_language(profile)
    return {
        task: sum(folder_megabytes(resource_path(p)) for p in {path, *routed[task].values()})
        for task, path in shipped_models(profile).items()
    }


def shipped_language_priors(profile: str) -> dict:
    """How each shipped model of ``profile`` reads French rows (None: as its training data did)."""
    from vocnlp.modeling import load_model_folder
    from vocnlp.resources import resource_path

    return {
        task: load_model_folder(resource_path(path)).info.get("language_prior")
        for task, path in shipped_models(profile).items()
    }


def challenge_scores(profile: str) -> dict:
    """Challenge-set accuracy through the whole pipeline of ``profile``."""
    from benchmarks.challenge import run_challenge

    _, figures = run_challenge(load_config(overrides={"profile": profile}))
    return figures
