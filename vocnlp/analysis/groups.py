"""Scores by segment and by period, and tests of the difference between groups.

NPS differences use the independent-samples standard error
√(SE₁² + SE₂²) with a normal test; churn, first-contact-resolution and
referral rate differences use Newcombe's hybrid score interval (built from the
two Wilson intervals) and a pooled two-proportion z test; mean resolution
times are compared with Welch's t test. Comparing many groups inflates false alarms, so
p-values are adjusted (Holm by default, Benjamini–Hochberg on request).
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from vocnlp.analysis.scores import mean_with_interval, nps, proportion

GROUP_COLUMNS = [
    "grouping",
    "group",
    "n",
    "nps",
    "nps_se",
    "nps_ci_low",
    "nps_ci_high",
    "churn_rate",
    "churn_ci_low",
    "churn_ci_high",
    "csat_mean",
    "ces_mean",
    "fcr_rate",
    "fcr_ci_low",
    "fcr_ci_high",
    "resolution_time_mean",
    "resolution_time_median",
    "referral_rate",
    "referral_ci_low",
    "referral_ci_high",
]
# (measure name, boolean column) pairs compared as proportions between groups.
RATES = (("churn_rate", "churned"), ("fcr_rate", "first_contact_resolved"), ("referral_rate", "referred"))
COMPARISON_COLUMNS = [
    "grouping",
    "measure",
    "group_a",
    "group_b",
    "n_a",
    "n_b",
    "value_a",
    "value_b",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "p_value",
    "p_adjusted",
    "adjustment",
]


def add_period(comments: pd.DataFrame, period: str = "month") -> pd.Series | None:
    """``2026-03`` (month) or ``2026-Q1`` (quarter) from ``response_date``; None when there is no date."""
    if "response_date" not in comments or comments["response_date"].isna().all():
        return None
    dates = pd.to_datetime(comments["response_date"], errors="coerce")
    if period == "quarter":
        return dates.dt.year.astype("Int64").astype("string") + "-Q" + dates.dt.quarter.astype("Int64").astype("string")
    return dates.dt.strftime("%Y-%m").astype("string")


def _yes_count(frame: pd.DataFrame, column: str = "churned") -> tuple[int, int]:
    """(yes, answered) of a boolean column; (0, 0) when the input has no such column."""
    if column not in frame:
        return 0, 0
    values = frame[column].dropna().astype(bool)
    return int(values.sum()), len(values)


def group_scores(comments: pd.DataFrame, labels: pd.Series, grouping: str, level: float = 0.95) -> pd.DataFrame:
    """One row per group: n, NPS with SE and interval, churn, first-contact-resolution and referral rates with
    Wilson intervals, CSAT and CES means, mean and median resolution time (columns the input lacks stay empty)."""
    rows = []
    for group, frame in comments.groupby(labels.fillna("(missing)"), sort=True):
        score = nps(frame["nps_score"], level) if "nps_score" in frame else {"n": 0}
        row = {
            "grouping": grouping,
            "group": str(group),
            "n": len(frame),
            "nps": score.get("nps"),
            "nps_se": score.get("se"),
            "nps_ci_low": score.get("ci_low"),
            "nps_ci_high": score.get("ci_high"),
            "csat_mean": mean_with_interval(frame["csat_score"]).get("mean") if "csat_score" in frame else None,
            "ces_mean": mean_with_interval(frame["ces_score"]).get("mean") if "ces_score" in frame else None,
        }
        for measure, column in RATES:
            prefix = measure.removesuffix("_rate")
            rate = proportion(*_yes_count(frame, column), level)
            row.update(
                {measure: rate["rate"], f"{prefix}_ci_low": rate["ci_low"], f"{prefix}_ci_high": rate["ci_high"]}
            )
        if "resolution_time" in frame:
            times = mean_with_interval(frame["resolution_time"], level, distribution=False)
            row.update(resolution_time_mean=times.get("mean"), resolution_time_median=times.get("median"))
        rows.append(row)
    return pd.DataFrame(rows, columns=GROUP_COLUMNS)


def nps_difference(scores_a, scores_b, level: float = 0.95) -> dict:
    """NPS(a) − NPS(b) with SE √(SE_a² + SE_b²), a normal interval and a two-sided p-value."""
    a, b = nps(scores_a, level), nps(scores_b, level)
    if not a["n"] or not b["n"]:
        return {"difference": math.nan, "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan}
    diff = a["nps"] - b["nps"]
    se = math.sqrt(a["se"] ** 2 + b["se"] ** 2)
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else (1.0 if diff == 0 else 0.0)
    return {
        "value_a": a["nps"],
        "value_b": b["nps"],
        "difference": diff,
        "ci_low": diff - z * se,
        "ci_high": diff + z * se,
        "p_value": p,
    }


def proportion_difference(x_a: int, n_a: int, x_b: int, n_b: int, level: float = 0.95) -> dict:
    """Rate(a) − rate(b): Newcombe's hybrid score interval and a pooled two-proportion z test."""
    if not n_a or not n_b:
        return {"difference": math.nan, "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan}
    pa, pb = x_a / n_a, x_b / n_b
    wa, wb = proportion(x_a, n_a, level), proportion(x_b, n_b, level)
    diff = pa - pb
    low = diff - math.sqrt((pa - wa["ci_low"]) ** 2 + (wb["ci_high"] - pb) ** 2)
    high = diff + math.sqrt((wa["ci_high"] - pa) ** 2 + (pb - wb["ci_low"]) ** 2)
    pooled = (x_a + x_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else (1.0 if diff == 0 else 0.0)
    return {"value_a": pa, "value_b": pb, "difference": diff, "ci_low": low, "ci_high": high, "p_value": p}


def mean_difference(values_a, values_b, level: float = 0.95) -> dict:
    """Mean(a) − mean(b) with Welch's t interval and p-value (unequal variances: resolution times rarely share one)."""
    a = pd.to_numeric(pd.Series(values_a), errors="coerce").dropna().to_numpy(dtype=float)
    b = pd.to_numeric(pd.Series(values_b), errors="coerce").dropna().to_numpy(dtype=float)
    if len(a) < 2 or len(b) < 2:
        return {"difference": math.nan, "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan}
    test = stats.ttest_ind(a, b, equal_var=False)
    ci = test.confidence_interval(level)
    return {
        "value_a": float(a.mean()),
        "value_b": float(b.mean()),
        "difference": float(a.mean() - b.mean()),
        "ci_low": float(ci.low),
        "ci_high": float(ci.high),
        "p_value": float(test.pvalue),
    }


def adjust(p_values, method: str = "holm") -> np.ndarray:
    """Holm (family-wise) or Benjamini–Hochberg (false discovery rate) adjusted p-values; NaN stays NaN."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(len(p), np.nan)
    ok = ~np.isnan(p)
    if not ok.any():
        return out
    if method == "bh":
        out[ok] = stats.false_discovery_control(p[ok], method="bh")
        return out
    if method != "holm":
        raise ValueError(f"unknown adjustment '{method}': use holm or bh")
    values = p[ok]
    order = np.argsort(values)
    m = len(values)
    adjusted = np.maximum.accumulate((m - np.arange(m)) * values[order]).clip(max=1.0)
    result = np.empty(m)
    result[order] = adjusted
    out[ok] = result
    return out


def compare_groups(
    comments: pd.DataFrame,
    labels: pd.Series,
    grouping: str,
    pairs: str = "all",
    level: float = 0.95,
    method: str = "holm",
) -> pd.DataFrame:
    """NPS, rate (churn, first-contact resolution, referral) and mean resolution-time differences between groups,
    p-values adjusted over every comparison made.

    ``pairs``: ``all`` compares every pair of groups (segments), ``consecutive``
    each group with the one before it in sorted order (periods).
    """
    labels = labels.fillna("(missing)").astype(str)
    groups = sorted(labels.unique())
    pairs_list = list(combinations(groups, 2)) if pairs == "all" else list(zip(groups[1:], groups[:-1]))
    rows = []
    for a, b in pairs_list:
        fa, fb = comments[labels == a], comments[labels == b]
        if "nps_score" in comments:
            r = nps_difference(fa["nps_score"], fb["nps_score"], level)
            rows.append(
                {
                    "measure": "nps",
                    "group_a": a,
                    "group_b": b,
                    "n_a": int(fa["nps_score"].notna().sum()),
                    "n_b": int(fb["nps_score"].notna().sum()),
                    **r,
                }
            )
        for measure, column in RATES:
            if column in comments:
                (xa, na), (xb, nb) = _yes_count(fa, column), _yes_count(fb, column)
                rows.append(
                    {
                        "measure": measure,
                        "group_a": a,
                        "group_b": b,
                        "n_a": na,
                        "n_b": nb,
                        **proportion_difference(xa, na, xb, nb, level),
                    }
                )
        if "resolution_time" in comments:
            rows.append(
                {
                    "measure": "resolution_time_mean",
                    "group_a": a,
                    "group_b": b,
                    "n_a": int(fa["resolution_time"].notna().sum()),
                    "n_b": int(fb["resolution_time"].notna().sum()),
                    **mean_difference(fa["resolution_time"], fb["resolution_time"], level),
                }
            )
    table = pd.DataFrame(rows).rename(columns={"ci_low": "difference_ci_low", "ci_high": "difference_ci_high"})
    if not len(table):
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    table["grouping"] = grouping
    table["p_adjusted"] = adjust(table["p_value"], method)
    table["adjustment"] = f"{method}, {len(table)} comparisons"
    return table.reindex(columns=COMPARISON_COLUMNS)


def scores_by_group(
    comments: pd.DataFrame, segments: list[str], period: str = "month", level: float = 0.95, method: str = "holm"
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Scores per segment value and per period, the comparisons between them, and warnings."""
    groupings, warnings = [], []
    for column in segments:
        if column not in comments:
            continue
        if comments[column].nunique(dropna=True) < 2:
            warnings.append(f"Segment column '{column}' has a single value: nothing to compare.")
            continue
        groupings.append((column, comments[column].astype("string"), "all"))
    periods = add_period(comments, period)
    if periods is not None:
        if periods.nunique(dropna=True) < 2:
            warnings.append(f"All dated responses fall in one {period}: no trend to show.")
        else:
            groupings.append((f"period ({period})", periods, "consecutive"))
    scores = [group_scores(comments, labels, name, level) for name, labels, _ in groupings]
    comparisons = [compare_groups(comments, labels, name, how, level, method) for name, labels, how in groupings]
    return (
        pd.concat(scores, ignore_index=True) if scores else pd.DataFrame(columns=GROUP_COLUMNS),
        pd.concat(comparisons, ignore_index=True) if comparisons else pd.DataFrame(columns=COMPARISON_COLUMNS),
        warnings,
    )
