"""Simulation: driver impacts when the theme labels are wrong, naive and corrected for label error.

The surveys of ``benchmarks/drivers_simulation.py`` (ten overlapping themes, three with no effect, true impacts from
a population of a million respondents) are given noisy predicted labels: per theme and survey a recall drawn in
0.3–0.8 and a precision in 0.5–0.9, with misses more frequent among detractors (recall 0.2 lower for them, 0.1
higher for the others) and false mentions more frequent among them too (1.5× and 0.75× the base rate), as a
classifier that stumbles on short angry comments would. A random judged sample of 100, 200 or 400 respondents has
its true labels. For each survey the naive impact (predicted labels taken as right, bootstrap over respondents)
and the corrected one (:mod:`vocnlp.analysis.drivers.label_error`, bootstrap over respondents and judged
comments) are compared with the true population impact: coverage of the 95% intervals, median Spearman of the
ranking, mean absolute error.
"""

from __future__ import annotations

import logging
import statistics
import time
from datetime import date

import numpy as np
from scipy import stats

from benchmarks.drivers_simulation import THEMES, draw, true_impacts
from vocnlp.analysis.drivers.label_error import JudgedSample, corrected_impacts, weighted_impact
from vocnlp.analysis.drivers.marginal import bootstrap_impacts, percentile_interval

_log = logging.getLogger(__name__).info

OUTCOMES = ("nps", "detractor")
JUDGED_SIZES = (100, 200, 400)


def noisy_labels(mentions: np.ndarray, detractor: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Predicted labels with outcome-dependent misses and false mentions (see the module docstring)."""
    n, k = mentions.shape
    recall = rng.uniform(0.3, 0.8, k)
    precision = rng.uniform(0.5, 0.9, k)
    share = mentions.mean(axis=0).clip(1e-3, 1 - 1e-3)
    false_rate = share * recall * (1 - precision) / (precision * (1 - share))
    unhappy = detractor[:, None]
    keep = np.where(unhappy, (recall - 0.2).clip(0.05), (recall + 0.1).clip(max=0.95))
    add = np.where(unhappy, 1.5 * false_rate, 0.75 * false_rate)
    draws = rng.random((n, k))
    return np.where(mentions, draws < keep, draws < add)


def one_survey(respondents: int, judged_n: int, truth: dict, seed: int, replicates: int) -> dict:
    """Naive and corrected figures of one simulated survey."""
    rng = np.random.default_rng(seed)
    mentions, nps, _ = draw(respondents, rng)
    values = {"nps": np.where(nps >= 9, 100.0, np.where(nps >= 7, 0.0, -100.0)), "detractor": (nps <= 6) * 100.0}
    predicted = noisy_labels(mentions, nps <= 6, rng)
    rows = rng.choice(respondents, judged_n, replace=False)
    judged = JudgedSample(rows, mentions[rows].astype(float))
    out = {}
    for name in OUTCOMES:
        y, true = values[name], truth[name]
        naive = np.asarray([weighted_impact(y, predicted[:, j].astype(float))[0] for j in range(len(THEMES))])
        low, high = percentile_interval(bootstrap_impacts(y, predicted, replicates, seed))
        fixed = corrected_impacts(y, predicted, judged, replicates=replicates, seed=seed)
        out[name] = {
            "naive_covered": ((low <= true) & (true <= high)).tolist(),
            "corrected_covered": ((fixed["low"] <= true) & (true <= fixed["high"])).tolist(),
            "naive_spearman": float(stats.spearmanr(naive, true)[0]),
            "corrected_spearman": float(stats.spearmanr(np.nan_to_num(fixed["impact"]), true)[0]),
            "naive_error": np.abs(naive - true).tolist(),
            "corrected_error": np.abs(fixed["impact"] - true).tolist(),
            "naive_width": (high - low).tolist(),
            "corrected_width": (fixed["high"] - fixed["low"]).tolist(),
        }
    return out


def run_label_noise_simulation(
    surveys: int = 100, respondents: int = 3000, replicates: int = 1000, seed: int = 7, log=_log
) -> dict:
    """Every figure, per judged-sample size and outcome."""
    start = time.perf_counter()
    truth = true_impacts()
    figures: dict = {
        "date": date.today().isoformat(),
        "surveys": surveys,
        "respondents": respondents,
        "bootstrap": replicates,
        "seed": seed,
    }
    for judged_n in JUDGED_SIZES:
        log(f"label-noise simulation: judged sample of {judged_n}")
        runs = [one_survey(respondents, judged_n, truth, seed + i, replicates) for i in range(surveys)]
        figures[str(judged_n)] = {name: _summarise([r[name] for r in runs]) for name in OUTCOMES}
    figures["seconds"] = time.perf_counter() - start
    return figures


def _summarise(runs: list[dict]) -> dict:
    def flat(key: str) -> np.ndarray:
        return np.asarray([v for r in runs for v in r[key]], dtype=float)

    out = {}
    for kind in ("naive", "corrected"):
        covered = flat(f"{kind}_covered")
        out[kind] = {
            "coverage": float(np.nanmean(covered)),
            "spearman_median": statistics.median(r[f"{kind}_spearman"] for r in runs),
            "mean_abs_error": float(np.nanmean(flat(f"{kind}_error"))),
            "median_width": float(np.nanmedian(flat(f"{kind}_width"))),
            "not_estimated": float(np.isnan(flat(f"{kind}_error")).mean()),
        }
    return out


def label_noise_rows(res: dict) -> list[str]:
    """The BENCHMARKS.md table of the label-noise simulation (none until measured)."""
    sim = res.get("label_noise_simulation")
    if not sim:
        return []
    lines = [
        "",
        "### Driver impacts with noisy theme labels: naive and corrected (simulation)",
        "",
        f"{sim['surveys']} simulated surveys of {sim['respondents']:,} respondents per judged-sample size "
        f"(`vocnlp benchmark --label-error-only`, `benchmarks/drivers_label_noise.py`, seed {sim['seed']}, "
        f"{sim['bootstrap']} bootstrap resamples, {sim['seconds'] / 60:.1f} min): the drivers simulation's ten "
        "themes with predicted labels of recall 0.3–0.8 and precision 0.5–0.9 per theme, misses and false "
        "mentions both more frequent among detractors; a random judged sample with the true labels. "
        "*Naive*: the predicted labels taken as right. *Corrected*: predictive-value weighting "
        "(`vocnlp/analysis/drivers/label_error.py`). Coverage: share of (survey, theme) 95% intervals holding "
        "the true population impact (an impact that could not be estimated counts as not covered).",
        "",
        "| judged comments | outcome | coverage naive | coverage corrected | median Spearman naive "
        "| median Spearman corrected | mean abs. error naive | mean abs. error corrected "
        "| median interval width naive / corrected | coverage 93–97% and Spearman ≥ 0.9 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for judged in JUDGED_SIZES:
        for name in OUTCOMES:
            naive, fixed = sim[str(judged)][name]["naive"], sim[str(judged)][name]["corrected"]
            met = 0.93 <= fixed["coverage"] <= 0.97 and fixed["spearman_median"] >= 0.9
            lines.append(
                f"| {judged} | {name} | {100 * naive['coverage']:.1f}% | {100 * fixed['coverage']:.1f}% | "
                f"{naive['spearman_median']:.3f} | {fixed['spearman_median']:.3f} | {naive['mean_abs_error']:.2f} | "
                f"{fixed['mean_abs_error']:.2f} | {naive['median_width']:.2f} / {fixed['median_width']:.2f} | "
                f"{'**met**' if met else 'not met'} |"
            )
    return lines


__all__ = ["label_noise_rows", "noisy_labels", "one_survey", "run_label_noise_simulation"]
