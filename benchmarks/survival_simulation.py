"""Simulation benchmark of the time-to-churn (Cox) drivers: planted hazard ratios, recovered or not.

The themes are drawn as in the driver simulation (same prevalences and
overlaps, three null themes). Each respondent's time to leaving is
exponential with hazard ``base × exp(mentions · log HR)``; customers are
observed for a uniform 6–60 months, so those who have not left by then are
still active (censored), as in a real customer base. Checked over many
surveys: how often the nominal 95% interval covers the planted hazard ratio,
how often a null theme is significant after Benjamini–Hochberg adjustment,
and the median Spearman correlation of estimated and planted ratios.
"""

from __future__ import annotations

import logging
import statistics
import time

import numpy as np
import pandas as pd
from scipy import stats

from benchmarks.drivers_simulation import PREVALENCE, THEMES, theme_correlation
from vocnlp.analysis.drivers.survival import time_to_churn_drivers
from vocnlp.analysis.drivers.table import guardrail_note
from vocnlp.config import DriversConfig

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info

HAZARD_RATIO = np.asarray([1.5, 2.0, 2.5, 1.3, 1.1, 3.0, 0.7, 1.0, 1.0, 1.0])
NULL = HAZARD_RATIO == 1.0
BASE_HAZARD = 0.01  # per month: about 30% of a theme-free base leaves within the observation window


def draw_customers(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mentions n×10 bool, tenure in months, churned bool) for ``n`` simulated customers."""
    latent = rng.multivariate_normal(np.zeros(len(THEMES)), theme_correlation(), size=n, method="cholesky")
    mentions = latent < stats.norm.ppf(PREVALENCE)
    hazard = BASE_HAZARD * np.exp(mentions @ np.log(HAZARD_RATIO))
    leaves_after = rng.exponential(1 / hazard)
    observed_for = rng.uniform(6, 60, n)
    return mentions, np.minimum(leaves_after, observed_for), leaves_after <= observed_for


def run_survival_simulation(datasets: int = 200, respondents: int = 2000, seed: int = 0, log=_log) -> dict:
    """Fit the Cox drivers on ``datasets`` simulated customer bases; coverage, false positives and ranking."""
    cfg = DriversConfig(kinds=["theme"])
    info = {t: (t, t) for t in THEMES}
    covered, null_flagged, spearman, events = [], 0, [], []
    started = time.perf_counter()
    for d in range(datasets):
        mentions, tenure, churned = draw_customers(respondents, np.random.default_rng([seed, 7, d]))
        warnings: list[str] = []
        rows, _ = time_to_churn_drivers(
            "theme",
            pd.DataFrame(mentions, columns=THEMES),
            info,
            tenure,
            churned.astype(float),
            pd.DataFrame(index=range(respondents)),
            cfg,
            warnings,
            guardrail_note,
        )
        table = pd.DataFrame(rows).set_index("driver_id").reindex(THEMES)
        lo = table["adjusted_effect_ci_low"].to_numpy(dtype=float)
        hi = table["adjusted_effect_ci_high"].to_numpy(dtype=float)
        covered.append(((lo <= HAZARD_RATIO) & (HAZARD_RATIO <= hi)).tolist())
        null_flagged += int((table["p_adjusted"].to_numpy(dtype=float)[NULL] < 0.05).sum())
        spearman.append(float(stats.spearmanr(table["adjusted_effect"].to_numpy(dtype=float), HAZARD_RATIO)[0]))
        events.append(int(churned.sum()))
        if (d + 1) % 50 == 0:
            log(f"time-to-churn simulation: {d + 1}/{datasets} customer bases ({time.perf_counter() - started:.0f} s)")
    hits = np.asarray(covered, dtype=bool)
    return {
        "datasets": datasets,
        "respondents": respondents,
        "seed": seed,
        "hazard_ratio": dict(zip(THEMES, HAZARD_RATIO.tolist())),
        "events_median": statistics.median(events),
        "coverage": float(hits.mean()),
        "coverage_by_theme": dict(zip(THEMES, hits.mean(axis=0).round(3).tolist())),
        "null_flag_rate": null_flagged / (datasets * int(NULL.sum())),
        "null_tested": datasets * int(NULL.sum()),
        "spearman_median": statistics.median(spearman),
        "seconds": round(time.perf_counter() - started, 1),
    }


def survival_rows(res: dict) -> list[str]:
    """BENCHMARKS.md rows for the time-to-churn simulation (empty when not measured)."""
    sim = res.get("survival_simulation")
    if not sim:
        return []
    worst = min(sim["coverage_by_theme"].items(), key=lambda kv: kv[1])
    ok_cover = 0.93 <= sim["coverage"] <= 0.97
    ok_null, ok_rank = sim["null_flag_rate"] <= 0.05, sim["spearman_median"] >= 0.9
    met = {True: "**met**", False: "not met"}
    return [
        "",
        f"Time-to-churn drivers (Cox model), {sim['datasets']} simulated customer bases of "
        f"{sim['respondents']:,} (`benchmarks/survival_simulation.py`, seed {sim['seed']}, "
        f"{sim['seconds']:.0f} s): the same ten themes, planted hazard ratios "
        + ", ".join(f"{t} {v:g}" for t, v in sim["hazard_ratio"].items())
        + f"; observed 6–60 months, median {sim['events_median']:.0f} churners per base.",
        "",
        "| measure | target | time to churn | verdict |",
        "|---|---|---|---|",
        f"| Nominal 95% interval covers the planted hazard ratio | 93–97% | {100 * sim['coverage']:.1f}% | "
        f"{met[ok_cover]} |",
        f"| Null themes significant after BH adjustment ({sim['null_tested']} tests) | ≤ 5% | "
        f"{100 * sim['null_flag_rate']:.1f}% | {met[ok_null]} |",
        f"| Spearman of estimated vs planted hazard ratios, median | ≥ 0.90 | {sim['spearman_median']:.3f} | "
        f"{met[ok_rank]} |",
        "",
        f"Lowest coverage of a single theme: {worst[0]}, {100 * worst[1]:.1f}%. The targets are the driver "
        "simulation's, applied to this model.",
    ]
