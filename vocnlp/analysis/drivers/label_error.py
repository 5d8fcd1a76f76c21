"""Driver impact corrected for theme-detection error, from a judged sample (predictive-value weighting).

A theme the pipeline misses is not missed at random (short, oblique or angry comments are missed more, and those
go with low scores), so the impact computed from the pipeline's labels can be biased either way, and its
interval, which takes the labels as right, is too narrow.

With a judged sample (comments whose true labels a person gave: the review queue's verdicts, or a file of gold
labels), each respondent's chance of truly mentioning a theme is estimated from the judged comments that share its
predicted label and its outcome value, P(T = 1 | T* = t*, Y = y), and the impact is computed with these
probabilities as weights. This is predictive-value weighting (Lyles & Lin, "Sensitivity analysis for
misclassification in logistic regression via likelihood methods and predictive value weighting", Statistics in
Medicine 29, 2010), which stays valid when the misclassification depends on the outcome. It assumes that within
each (predicted label, outcome) cell the judged comments are like the others: they may be drawn more from one cell
than another (more predicted mentions than non-mentions, say), but not by anything else that predicts the true
label. Intervals come from a bootstrap that resamples the respondents and the judged sample together, so they
widen when few comments were judged (smoothed in cells with few judged comments: :func:`_smoothed_in_sparse_cells`).

Sparse cells: a cell's estimate is shrunk towards its predicted label's overall rate, (k + a·p) / (n + a), with
``a`` = :data:`SHRINK` judged comments' worth of weight, and that rate towards the rate pooled over all drivers
(:func:`probability_tables`); with perfect labels every estimate is exactly 0 or 1 and the corrected impact equals
the naive one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SHRINK = 2.0  # pseudo-comments pulling a cell towards its predicted label's rate
MAX_LEVELS = 11  # outcomes with more distinct values are cut into this many quantile bins for the cells
# Cells with fewer judged comments get a smoothed bootstrap (:func:`_smoothed_in_sparse_cells`). In the label-noise
# simulation (60 surveys, detractor outcome, 100/200/400 judged) coverage was 0.942/0.947/0.930 at 5,
# 0.945/0.950/0.928 at 10 and 0.950/0.957/0.935 at 20, against 0.918/0.945/0.933 without.
SPARSE_CELL = 10


def outcome_cells(values: np.ndarray, max_levels: int = MAX_LEVELS) -> np.ndarray:
    """An integer cell per respondent: the outcome's own value when it takes few values (detractor, churn, NPS
    contribution, a 1–5 CSAT), otherwise its quantile bin."""
    y = np.asarray(values, dtype=float)
    levels = np.unique(y)
    if len(levels) <= max_levels:
        return np.searchsorted(levels, y)
    edges = np.unique(np.quantile(y, np.linspace(0, 1, max_levels + 1)[1:-1]))
    return np.searchsorted(edges, y, side="right")


@dataclass
class JudgedSample:
    """Judged comments: their row numbers in the dump and their true labels ((m, drivers); NaN = not judged for
    that driver)."""

    rows: np.ndarray
    truth: np.ndarray

    def __post_init__(self):
        self.rows = np.asarray(self.rows, dtype=int)
        self.truth = np.asarray(self.truth, dtype=float)
        if self.truth.ndim != 2 or len(self.truth) != len(self.rows):
            raise ValueError("truth must be (judged comments, drivers), one row per judged row")


def judged_counts(
    predicted: np.ndarray, cells: np.ndarray, n_cells: int, judged_rows: np.ndarray, truth: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Judged comments truly mentioning each driver, and judged comments, per (driver, predicted label, outcome
    cell): two (k, 2, n_cells) arrays. One ``bincount`` over every (judged comment, driver) pair: the bootstrap
    calls this once per replicate, so it must not loop over drivers."""
    predicted = np.asarray(predicted, dtype=bool)
    k = predicted.shape[1]
    truth = np.asarray(truth, dtype=float).reshape(len(judged_rows), k)
    judged = ~np.isnan(truth)
    labels = predicted[judged_rows]  # (m, k)
    group = (np.arange(k)[None, :] * 2 + labels) * n_cells + cells[judged_rows][:, None]
    size = k * 2 * n_cells
    hits = np.bincount(group[judged], weights=(truth[judged] > 0.5), minlength=size).reshape(k, 2, n_cells)
    seen = np.bincount(group[judged], minlength=size).reshape(k, 2, n_cells).astype(float)
    return hits, seen


def tables_from_counts(hits: np.ndarray, seen: np.ndarray, shrink: float = SHRINK) -> np.ndarray:
    """P(T = 1 | T* = label, cell) from :func:`judged_counts` (see :func:`probability_tables`)."""
    label_hits, label_seen = hits.sum(axis=2, keepdims=True), seen.sum(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Every driver's rate of true mentions for one predicted label, pooled: where a rare theme has few judged
        # comments with that label (or none), its rate leans on the other themes' instead of being unknown.
        pooled = label_hits.sum(axis=0, keepdims=True) / label_seen.sum(axis=0, keepdims=True)
        overall = (label_hits + shrink * pooled) / (label_seen + shrink)  # NaN only if no driver has the label judged
        return (hits + shrink * overall) / (seen + shrink)


def probability_tables(
    predicted: np.ndarray,
    cells: np.ndarray,
    n_cells: int,
    judged_rows: np.ndarray,
    truth: np.ndarray,
    shrink: float = SHRINK,
) -> np.ndarray:
    """P(T = 1 | T* = label, cell) for every driver, (k, 2, n_cells): ``[j, 0]`` for respondents whose label for
    driver j is off, ``[j, 1]`` on; NaN for a label no judged comment of any driver carries (nothing can be said).

    Shrinkage in two levels, ``shrink`` judged comments' worth each: a cell towards its driver's rate for that
    label, and that rate towards the rate pooled over all drivers (empirical Bayes across themes). The second level
    keeps rare themes estimable: in the label-noise simulation with 100 judged comments it turned the 2% of
    (survey, theme) impacts left unknown into estimates, and lifted interval coverage from 90% to 92%.
    """
    return tables_from_counts(*judged_counts(predicted, cells, n_cells, judged_rows, truth), shrink)


def _smoothed_in_sparse_cells(
    table: np.ndarray, seen: np.ndarray, rng: np.random.Generator, shrink: float = SHRINK
) -> np.ndarray:
    """A bootstrap replicate's table with each sparse cell (fewer than :data:`SPARSE_CELL` judged comments) drawn
    from Beta(p·w, (1 − p)·w), w = its judged comments + ``shrink``, around the replicate's estimate p.

    Resampling cannot vary a rate read off a handful of judged comments (three of three true stays three of three),
    so rare themes' intervals came out too narrow; a smoothed bootstrap in those cells only adds the spread the
    resampling misses without counting it twice in well-filled cells. Cells at exactly 0 or 1 (perfect labels)
    stay as they are.
    """
    open_cells = (seen < SPARSE_CELL) & (table > 0) & (table < 1)
    if not open_cells.any():
        return table
    weight = seen[open_cells] + shrink
    p = table[open_cells]
    out = table.copy()
    out[open_cells] = rng.beta(p * weight, (1 - p) * weight)
    return out


def weighted_impact(contribution: np.ndarray, weights: np.ndarray, counts: np.ndarray | None = None) -> tuple:
    """(impact, prevalence, mentioners' mean, rest's mean) with ``weights`` the chance each respondent mentions
    the driver (0/1 weights give the naive impact); ``counts``: bootstrap multiplicities of the respondents."""
    s = np.asarray(contribution, dtype=float)
    c = np.ones(len(s)) if counts is None else counts
    n = c.sum()
    mentioned, rest = c @ weights, c @ (1 - weights)
    if n == 0 or mentioned <= 0 or rest <= 0:
        return (math.nan,) * 4
    total = (c @ s) / n
    rest_mean = (c @ ((1 - weights) * s)) / rest
    return total - rest_mean, mentioned / n, (c @ (weights * s)) / mentioned, rest_mean


def label_quality(predicted: np.ndarray, judged: JudgedSample, column: int) -> dict:
    """Precision and recall of one driver's labels, from the judged comments; recall reweights the judged
    comments by how often the dump's comments carry each predicted label, so a judged sample that over-draws
    predicted mentions still gives the dump's recall."""
    predicted = np.asarray(predicted, dtype=bool)
    truth = judged.truth[:, column]
    keep = ~np.isnan(truth)
    j_pred, j_true = predicted[judged.rows][keep], truth[keep] > 0.5
    out = {"judged": int(keep.sum()), "precision": math.nan, "recall": math.nan}
    if (j_pred).any():
        out["precision"] = float(j_true[j_pred].mean())
    if (j_pred).any() and (~j_pred).any():
        share = predicted.mean()
        found = out["precision"] * share
        missed = float(j_true[~j_pred].mean()) * (1 - share)
        out["recall"] = found / (found + missed) if found + missed > 0 else math.nan
    return out


def corrected_impacts(
    contribution: np.ndarray,
    predicted: np.ndarray,
    judged: JudgedSample,
    replicates: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, np.ndarray]:
    """Impact of each driver (columns of ``predicted``, (n, k)) corrected for label error, with a bootstrap
    interval over respondents and judged comments; arrays of length k: ``impact``, ``low``, ``high``,
    ``prevalence`` (and ``replicates``, (replicates, k), for rank intervals).

    A respondent's weight depends only on its (driver, predicted label, outcome cell) group, so each replicate
    needs the respondents' counts and score sums per group (one ``bincount``), not a pass per driver: 1,000
    replicates on 10,000 respondents and 15 drivers take about a second.
    """
    s = np.asarray(contribution, dtype=float)
    t = np.asarray(predicted, dtype=bool)
    n, k = t.shape
    cells = outcome_cells(s)
    n_cells = int(cells.max()) + 1 if n else 1
    group = ((np.arange(k)[None, :] * 2 + t) * n_cells + cells[:, None]).ravel()  # respondent-major, like np.repeat
    size = k * 2 * n_cells

    def impacts(counts: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        people = np.bincount(group, weights=np.repeat(counts, k), minlength=size).reshape(k, 2 * n_cells)
        score = np.bincount(group, weights=np.repeat(counts * s, k), minlength=size).reshape(k, 2 * n_cells)
        p = table.reshape(k, 2 * n_cells)
        unknown = (np.isnan(p) & (people > 0)).any(axis=1)  # respondents whose label no judged comment carries
        p = np.nan_to_num(p)
        total_n = counts.sum()
        mentioned, rest = (p * people).sum(axis=1), ((1 - p) * people).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            impact = (counts @ s) / total_n - ((1 - p) * score).sum(axis=1) / rest
        impact[unknown | (mentioned <= 0) | (rest <= 0)] = np.nan
        return impact, mentioned / total_n

    m = len(judged.rows)
    table = probability_tables(t, cells, n_cells, judged.rows, judged.truth)
    impact, prevalence = impacts(np.ones(n), table)
    prevalence[np.isnan(impact)] = np.nan
    rng = np.random.default_rng(seed)
    draws = np.full((replicates, k), np.nan)
    for b in range(replicates):
        counts = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        pick = rng.integers(0, m, m)
        hits, seen = judged_counts(t, cells, n_cells, judged.rows[pick], judged.truth[pick])
        draws[b] = impacts(counts, _smoothed_in_sparse_cells(tables_from_counts(hits, seen), seen, rng))[0]
    alpha = (1 - level) / 2
    low, high = np.full(k, np.nan), np.full(k, np.nan)
    ok = np.isfinite(draws).any(axis=0) & np.isfinite(impact)
    if ok.any():
        low[ok] = np.nanquantile(draws[:, ok], alpha, axis=0)
        high[ok] = np.nanquantile(draws[:, ok], 1 - alpha, axis=0)
    return {"impact": impact, "prevalence": prevalence, "low": low, "high": high, "replicates": draws}


__all__ = [
    "JudgedSample",
    "corrected_impacts",
    "judged_counts",
    "label_quality",
    "outcome_cells",
    "probability_tables",
    "tables_from_counts",
    "weighted_impact",
]
