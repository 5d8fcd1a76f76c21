"""CX score metrics with uncertainty: NPS (adjusted-Wald interval), CSAT, CES, churn rate.

Definitions follow DESIGN.md: NPS = %promoters − %detractors on −100..100;
scoring respondents +1/0/−1 with shares p and d, Var = p + d − (p − d)² and
SE = 100·√(Var/n). The interval adds ¾ to the promoter and detractor counts and
3 to n (adjusted Wald), which has the best small-sample coverage in published
comparisons; the point estimate stays the plain NPS.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def nps_contribution(scores) -> np.ndarray:
    """+100 for promoters (9–10), 0 for passives (7–8), −100 for detractors (0–6)."""
    s = np.asarray(scores, dtype=float)
    return np.where(s >= 9, 100.0, np.where(s >= 7, 0.0, -100.0))


def nps(scores, level: float = 0.95, method: str = "adjusted_wald") -> dict:
    """NPS of 0–10 scores (missing values ignored) with SE and an interval.

    ``method``: ``adjusted_wald`` (default; better small-sample coverage) or ``wald`` (point ± z·SE).
    """
    s = np.asarray(pd.to_numeric(pd.Series(scores), errors="coerce").dropna(), dtype=float)
    n = len(s)
    if n == 0:
        return {
            "n": 0,
            "nps": None,
            "se": None,
            "ci_low": None,
            "ci_high": None,
            "promoters": 0,
            "passives": 0,
            "detractors": 0,
        }
    promoters, detractors = int((s >= 9).sum()), int((s <= 6).sum())
    p, d = promoters / n, detractors / n
    se = 100 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)
    if method not in ("adjusted_wald", "wald"):
        raise ValueError(f"unknown NPS interval '{method}': use adjusted_wald or wald")
    shift, extra = (0.75, 3) if method == "adjusted_wald" else (0.0, 0)
    pa, da, na = (promoters + shift) / (n + extra), (detractors + shift) / (n + extra), n + extra
    centre = 100 * (pa - da)
    half = _z(level) * 100 * math.sqrt(max(pa + da - (pa - da) ** 2, 0.0) / na)
    return {
        "n": n,
        "nps": 100 * (p - d),
        "se": se,
        "ci_low": max(-100.0, centre - half),
        "ci_high": min(100.0, centre + half),
        "interval": f"{method.replace('_', ' ')} {int(level * 100)}%",
        "promoters": promoters,
        "passives": n - promoters - detractors,
        "detractors": detractors,
        "promoter_share": p,
        "detractor_share": d,
    }


def proportion(successes: int, n: int, level: float = 0.95) -> dict:
    """A share with its Wilson score interval."""
    if n == 0:
        return {"n": 0, "rate": None, "ci_low": None, "ci_high": None}
    z = _z(level)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return {
        "n": n,
        "count": int(successes),
        "rate": p,
        "ci_low": max(0.0, centre - half),
        "ci_high": min(1.0, centre + half),
        "interval": f"Wilson {int(level * 100)}%",
    }


def mean_with_interval(values, level: float = 0.95, distribution: bool = True) -> dict:
    """Mean with a t interval, plus the distribution of values (a scale's points) or, for continuous values
    such as durations (``distribution=False``), the median and quartiles."""
    v = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce").dropna(), dtype=float)
    n = len(v)
    if n == 0:
        return {"n": 0, "mean": None}
    out: dict[str, Any] = {"n": n, "mean": float(v.mean())}
    if distribution:
        out["distribution"] = {str(k): int(c) for k, c in zip(*np.unique(v, return_counts=True))}
    else:
        out.update(median=float(np.median(v)), q1=float(np.quantile(v, 0.25)), q3=float(np.quantile(v, 0.75)))
    if n > 1:
        half = float(stats.t.ppf(0.5 + level / 2, n - 1) * v.std(ddof=1) / math.sqrt(n))
        out.update(ci_low=out["mean"] - half, ci_high=out["mean"] + half)
    return out


def _yes_rate(values: pd.Series, level: float) -> dict:
    valid = values.dropna().astype(bool)
    return proportion(int(valid.sum()), len(valid), level)


def summarise_scores(
    comments: pd.DataFrame,
    mapping: dict,
    level: float = 0.95,
    csat_top_box: float = 4,
    nps_method: str = "adjusted_wald",
    resolution_time_unit: str = "hours",
) -> dict:
    """Overall NPS, CSAT, CES, churn, first-contact resolution, resolution time and referral summaries,
    for the columns the input has."""
    out: dict = {}
    if "nps_score" in comments:
        out["nps"] = nps(comments["nps_score"], level, nps_method)
    if "csat_score" in comments:
        csat = mean_with_interval(comments["csat_score"], level)
        valid = comments["csat_score"].dropna()
        csat["top2box"] = proportion(int((valid >= csat_top_box).sum()), len(valid), level)
        out["csat"] = csat
    if "ces_score" in comments:
        out["ces"] = mean_with_interval(comments["ces_score"], level)
    if "churned" in comments:
        out["churn"] = _yes_rate(comments["churned"], level)
    if "first_contact_resolved" in comments:
        out["fcr"] = _yes_rate(comments["first_contact_resolved"], level)
    if "resolution_time" in comments:
        out["resolution_time"] = {
            **mean_with_interval(comments["resolution_time"], level, distribution=False),
            "unit": resolution_time_unit,
        }
    if "referred" in comments:
        out["referral"] = _yes_rate(comments["referred"], level)
    return out
