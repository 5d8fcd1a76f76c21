"""Simulation benchmark of the driver analysis: surveys with known effects, analysed as a real run would be.

Each simulated survey has ten themes: common and rare, overlapping (drawn
from a correlated Gaussian copula), three of them with no effect at all. NPS
comes from a latent score with planted effects plus noise, rounded and
clipped to 0–10; churn from a logistic model with its own effects. The true
impact of each theme (the industry definition, a population quantity) is
computed once on a population of a million respondents from the same model.

Three figures are checked over many surveys: the median Spearman correlation
between the estimated and the true impact ranking, how often the nominal 95%
bootstrap interval covers the true impact, and how often a null theme comes
out significant (BH-adjusted p < 0.05 in the multivariable model).
"""

from __future__ import annotations

import logging
import statistics
import time

import numpy as np
import pandas as pd
from scipy import stats

from vocnlp.analysis.drivers import analyse_drivers
from vocnlp.config import DriversConfig

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info

THEMES = [
    "t01_billing",
    "t02_effort",
    "t03_waiting",
    "t04_quality",
    "t05_price",
    "t06_rare_outage",
    "t07_staff",
    "t08_null_common",
    "t09_null_overlap",
    "t10_null_rare",
]
PREVALENCE = np.asarray([0.22, 0.18, 0.15, 0.12, 0.10, 0.04, 0.20, 0.16, 0.10, 0.05])
NPS_EFFECT = np.asarray([-3.0, -2.5, -1.2, -1.8, -0.6, -4.0, 1.2, 0.0, 0.0, 0.0])
CHURN_EFFECT = np.asarray([0.4, 0.9, 1.6, 0.6, 0.2, 1.2, -0.5, 0.0, 0.0, 0.0])
NULL = (NPS_EFFECT == 0) & (CHURN_EFFECT == 0)  # no effect on either outcome
NPS_BASE, NPS_NOISE, CHURN_BASE = 8.3, 1.6, -2.4


def theme_correlation() -> np.ndarray:
    """Themes that go together in real comments: billing with effort, waiting with effort, a null with billing."""
    corr = np.eye(len(THEMES))
    for a, b, r in ((0, 1, 0.35), (1, 2, 0.30), (0, 8, 0.45), (3, 5, 0.30), (2, 7, 0.20)):
        corr[a, b] = corr[b, a] = r
    return corr


def draw(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mentions n×10 bool, NPS 0–10, churned bool) for ``n`` simulated respondents."""
    latent = rng.multivariate_normal(np.zeros(len(THEMES)), theme_correlation(), size=n, method="cholesky")
    mentions = latent < stats.norm.ppf(PREVALENCE)
    score = NPS_BASE + mentions @ NPS_EFFECT + rng.normal(0, NPS_NOISE, n)
    nps = np.clip(np.round(score), 0, 10)
    churned = rng.random(n) < 1 / (1 + np.exp(-(CHURN_BASE + mentions @ CHURN_EFFECT)))
    return mentions, nps, churned


def true_impacts(population: int = 1_000_000, seed: int = 12345) -> dict[str, np.ndarray]:
    """Population impact of each theme on NPS (points) and on the detractor and churn rates (points)."""
    mentions, nps, churned = draw(population, np.random.default_rng(seed))
    values = {
        "nps": np.where(nps >= 9, 100.0, np.where(nps >= 7, 0.0, -100.0)),
        "detractor": (nps <= 6) * 100.0,
        "churn": churned * 100.0,
    }
    return {
        name: np.asarray([v.mean() - v[~mentions[:, j]].mean() for j in range(len(THEMES))])
        for name, v in values.items()
    }


def survey_frames(mentions: np.ndarray, nps: np.ndarray, churned: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The comments and mentions tables a run would produce for this survey."""
    ids = [f"r{i}" for i in range(len(nps))]
    comments = pd.DataFrame({"comment_id": ids, "nps_score": nps, "churned": churned})
    rows, cols = np.nonzero(mentions)
    found = pd.DataFrame(
        {"comment_id": np.asarray(ids)[rows], "theme_id": np.asarray(THEMES)[cols], "sentiment": "negative"}
    )
    found["theme_name"] = found["theme_id"]
    return comments, found


def run_simulation(
    datasets: int = 200, respondents: int = 2000, seed: int = 0, bootstrap: int = 1000, log=_log
) -> dict:
    """Analyse ``datasets`` simulated surveys and summarise ranking recovery, coverage and false positives."""
    truth = true_impacts()
    cfg = DriversConfig(kinds=["theme"], bootstrap=bootstrap)
    per_outcome = {name: {"spearman": [], "covered": [], "null_flagged": [], "null_tested": 0} for name in truth}
    started = time.perf_counter()
    for d in range(datasets):
        rng = np.random.default_rng([seed, d])
        comments, mentions = survey_frames(*draw(respondents, rng))
        table = analyse_drivers(comments, mentions, cfg, seed=d).table.set_index(["outcome", "driver_id"])
        for name, impact in truth.items():
            part = table.loc[name].reindex(THEMES)
            estimated = part["impact"].to_numpy(dtype=float)
            ok = ~np.isnan(estimated)
            per_outcome[name]["spearman"].append(float(stats.spearmanr(estimated[ok], impact[ok])[0]))
            lo, hi = part["impact_ci_low"].to_numpy(dtype=float), part["impact_ci_high"].to_numpy(dtype=float)
            per_outcome[name]["covered"].append(((lo <= impact) & (impact <= hi)).tolist())
            flagged = part["p_adjusted"].to_numpy(dtype=float)[NULL] < 0.05
            per_outcome[name]["null_flagged"].append(int(flagged.sum()))
            per_outcome[name]["null_tested"] += int(flagged.size)
        if (d + 1) % 20 == 0:
            log(f"drivers simulation: {d + 1}/{datasets} surveys ({time.perf_counter() - started:.0f} s)")
    summary = {
        "datasets": datasets,
        "respondents": respondents,
        "bootstrap": bootstrap,
        "seed": seed,
        "themes": THEMES,
        "prevalence": PREVALENCE.tolist(),
        "nps_effect": NPS_EFFECT.tolist(),
        "churn_effect": CHURN_EFFECT.tolist(),
        "seconds": round(time.perf_counter() - started, 1),
        "outcomes": {},
    }
    for name, r in per_outcome.items():
        covered = np.asarray(r["covered"], dtype=bool)
        summary["outcomes"][name] = {
            "spearman_median": statistics.median(r["spearman"]),
            "spearman_p10": float(np.quantile(r["spearman"], 0.10)),
            "coverage": float(covered.mean()),
            "coverage_by_theme": dict(zip(THEMES, covered.mean(axis=0).round(3).tolist())),
            "true_impact": dict(zip(THEMES, truth[name].round(3).tolist())),
            "null_flag_rate": sum(r["null_flagged"]) / max(r["null_tested"], 1),
            "null_tested": r["null_tested"],
        }
    return summary
