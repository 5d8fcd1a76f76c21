"""First-version driver analysis: which themes go with detractors and with churn.

Per theme and outcome: mentions, share, outcome among mentioners vs the rest,
impact (the industry definition: score of everyone minus score without the
theme's mentioners = share × (score of mentioners − score of the rest)) with a
delta-method interval, and an odds ratio with a Woolf interval and a
Benjamini–Hochberg-adjusted p-value. These are associations, not causes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from .config import DriversConfig
from .scores import nps_contribution

DRIVER_COLUMNS = ["outcome", "rank", "theme_id", "theme_name", "mentions", "share", "base_n",
                  "outcome_rate_mentioners", "outcome_rate_rest", "score_mentioners", "score_rest",
                  "impact", "impact_ci_low", "impact_ci_high", "impact_unit",
                  "odds_ratio", "odds_ratio_ci_low", "odds_ratio_ci_high", "p_value", "p_adjusted", "note"]


def impact_with_interval(contribution: np.ndarray, mentioned: np.ndarray, level: float = 0.95) -> tuple:
    """Impact = mean(all) − mean(not mentioned), with a delta-method (influence-function) interval.

    ``contribution`` is each respondent's score contribution (±100/0 for NPS,
    100/0 for churn); returns (impact, low, high, mentioners' mean, rest's mean).
    """
    s = np.asarray(contribution, dtype=float)
    t = np.asarray(mentioned, dtype=bool)
    n, n_t = len(s), int(t.sum())
    if n == 0 or n_t == 0 or n_t == n:
        return (math.nan,) * 3 + ((float(s[t].mean()) if n_t else math.nan), (float(s[~t].mean()) if n_t < n else math.nan))
    mu, rest = s.mean(), s[~t].mean()
    share_rest = 1 - n_t / n
    influence = (s - mu) - (~t) * (s - rest) / share_rest
    se = math.sqrt(float(np.mean(influence ** 2)) / (n - 1))
    impact = mu - rest
    half = float(stats.norm.ppf(0.5 + level / 2)) * se
    return impact, impact - half, impact + half, float(s[t].mean()), float(rest)


def odds_ratio(outcome: np.ndarray, mentioned: np.ndarray, level: float = 0.95) -> tuple:
    """Odds ratio of the outcome for mentioners vs the rest, Woolf interval, Wald p-value.

    Adds 0.5 to every cell when one is empty (Haldane–Anscombe), so the ratio stays finite.
    """
    y = np.asarray(outcome, dtype=bool)
    t = np.asarray(mentioned, dtype=bool)
    a, b = float((y & t).sum()), float((~y & t).sum())
    c, d = float((y & ~t).sum()), float((~y & ~t).sum())
    if min(a + b, c + d) == 0:
        return (math.nan,) * 4
    if min(a, b, c, d) == 0:
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
    log_or = math.log(a * d / (b * c))
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = float(2 * stats.norm.sf(abs(log_or) / se))
    return math.exp(log_or), math.exp(log_or - z * se), math.exp(log_or + z * se), p


def _theme_matrix(comments: pd.DataFrame, mentions: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """0/1 matrix (rows aligned with ``comments``) of which themes each comment mentions."""
    names = dict(zip(mentions["theme_id"], mentions["theme_name"])) if len(mentions) else {}
    if not len(mentions):
        return pd.DataFrame(index=comments.index), names
    pairs = mentions[["comment_id", "theme_id"]].drop_duplicates()
    wide = pd.crosstab(pairs["comment_id"], pairs["theme_id"]).clip(upper=1)
    matrix = wide.reindex(comments["comment_id"]).fillna(0).astype(bool)
    matrix.index = comments.index
    return matrix[sorted(matrix.columns)], names


def _outcome_rows(outcome: str, y_contrib: np.ndarray, y_binary: np.ndarray, matrix: pd.DataFrame,
                  names: dict, cfg: DriversConfig, unit: str) -> list[dict]:
    rows = []
    for theme in matrix.columns:
        t = matrix[theme].to_numpy()
        n_t = int(t.sum())
        impact, lo, hi, mean_t, mean_rest = impact_with_interval(y_contrib, t, cfg.confidence_level)
        or_, or_lo, or_hi, p = odds_ratio(y_binary, t, cfg.confidence_level)
        note = ""
        if n_t < cfg.min_mentions:
            note = f"too few mentions to rank (fewer than {cfg.min_mentions})"
        elif n_t == len(t):
            note = "mentioned in every comment: no comparison group"
        rows.append({
            "outcome": outcome, "theme_id": theme, "theme_name": names.get(theme, theme), "mentions": n_t,
            "share": n_t / len(t) if len(t) else math.nan, "base_n": int(len(t)),
            "outcome_rate_mentioners": float(y_binary[t].mean()) if n_t else math.nan,
            "outcome_rate_rest": float(y_binary[~t].mean()) if n_t < len(t) else math.nan,
            "score_mentioners": mean_t, "score_rest": mean_rest, "impact": impact, "impact_ci_low": lo,
            "impact_ci_high": hi, "impact_unit": unit, "odds_ratio": or_, "odds_ratio_ci_low": or_lo,
            "odds_ratio_ci_high": or_hi, "p_value": p, "note": note})
    return rows


def _rank(rows: list[dict], harmful_is_negative: bool) -> None:
    rankable = [r for r in rows if not r["note"] and not math.isnan(r["impact"])]
    # Most harmful first: for detractors, the most negative NPS impact; for churn, the largest added churn.
    rankable.sort(key=lambda r: (r["impact"] if harmful_is_negative else -r["impact"], r["theme_id"]))
    for i, r in enumerate(rankable, start=1):
        r["rank"] = i
    ps = [r["p_value"] for r in rows if not math.isnan(r["p_value"])]
    adjusted = iter(stats.false_discovery_control(ps, method="bh") if ps else [])
    for r in rows:
        r.setdefault("rank", None)
        r["p_adjusted"] = float(next(adjusted)) if not math.isnan(r["p_value"]) else math.nan


def driver_table(comments: pd.DataFrame, mentions: pd.DataFrame, cfg: DriversConfig, seed: int = 0) -> pd.DataFrame:
    """One row per (outcome, theme) for the outcomes the input has (detractor, churn).

    Base: respondents with a valid score/flag; comments with no text mention no theme.
    """
    matrix, names = _theme_matrix(comments, mentions)
    rows: list[dict] = []
    if "nps_score" in comments and matrix.shape[1]:
        valid = comments["nps_score"].notna().to_numpy()
        scores = comments["nps_score"].to_numpy(dtype=float, na_value=np.nan)[valid]
        part = _outcome_rows("detractor", nps_contribution(scores), scores <= 6, matrix[valid], names, cfg,
                             "NPS points")
        _rank(part, harmful_is_negative=True)
        rows += part
    if "churned" in comments and matrix.shape[1]:
        valid = comments["churned"].notna().to_numpy()
        churned = comments["churned"].to_numpy(dtype=float, na_value=np.nan)[valid].astype(bool)
        part = _outcome_rows("churn", 100.0 * churned, churned, matrix[valid], names, cfg,
                             "churn rate points")
        _rank(part, harmful_is_negative=False)
        rows += part
    table = pd.DataFrame(rows, columns=DRIVER_COLUMNS)
    if not len(table):
        return table
    table["rank"] = table["rank"].astype("Int64")
    table["_r"] = table["rank"].fillna(10**6)
    table = table.sort_values(["outcome", "_r", "theme_id"], kind="stable").drop(columns="_r").reset_index(drop=True)
    float_cols = table.select_dtypes("float").columns
    table[float_cols] = table[float_cols].round(6)
    return table
