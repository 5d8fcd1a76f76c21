"""One driver at a time: impact (the industry definition) with delta-method and bootstrap intervals.

Impact = score of everyone minus score without the driver's mentioners
= share × (score of mentioners − score of the rest). Overlapping drivers
double-count under this definition; the model-based measures in ``models`` and
``shapley`` share the credit instead.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, Mapping, TypeVar

import numpy as np
from scipy import sparse, stats

if TYPE_CHECKING:
    from vocnlp.analysis.drivers.outcomes import Outcome

Key = TypeVar("Key")


def impact_with_interval(contribution: np.ndarray, mentioned: np.ndarray, level: float = 0.95) -> tuple:
    """Impact = mean(all) − mean(not mentioned), with a delta-method (influence-function) interval.

    ``contribution`` is each respondent's score contribution (±100/0 for NPS,
    100/0 for churn); returns (impact, low, high, mentioners' mean, rest's mean).
    """
    s = np.asarray(contribution, dtype=float)
    t = np.asarray(mentioned, dtype=bool)
    n, n_t = len(s), int(t.sum())
    if n == 0 or n_t == 0 or n_t == n:
        return (math.nan,) * 3 + (
            (float(s[t].mean()) if n_t else math.nan),
            (float(s[~t].mean()) if n_t < n else math.nan),
        )
    mu, rest = s.mean(), s[~t].mean()
    share_rest = 1 - n_t / n
    influence = (s - mu) - (~t) * (s - rest) / share_rest
    se = math.sqrt(float(np.mean(influence**2)) / (n - 1))
    impact = mu - rest
    half = float(stats.norm.ppf(0.5 + level / 2)) * se
    return impact, impact - half, impact + half, float(s[t].mean()), float(rest)


# Resample draws held at once (b × n integers, their counts and the bincount, 8 bytes each): 50 replicates per
# block up to 20,000 respondents, fewer above, so about 25-30 MB at any size (5,000,000 draws, the bound before,
# held ~120-160 MB at 100,000 respondents and more, a step in the Scale section's memory curve). The block size
# does not change the figures: the draws come off one random stream in the same order (checked for odd and even n).
_DRAWS_PER_BLOCK = 1_000_000


def bootstrap_impacts(
    contribution: np.ndarray, drivers: np.ndarray, replicates: int, seed: int, chunk: int | None = None
) -> np.ndarray:
    """(replicates, drivers) impacts on respondents resampled with replacement.

    All drivers share each resample, so rank intervals can be read from the
    same replicates. Resamples where a driver has no mentioner or no
    non-mentioner give NaN for it. ``chunk``: replicates drawn per block (default: 50, fewer for very large dumps).
    """
    return shared_bootstrap_impacts({0: (contribution, drivers)}, replicates, seed, chunk)[0]


def shared_bootstrap_impacts(
    problems: Mapping[Key, tuple[np.ndarray, Any]], replicates: int, seed: int, chunk: int | None = None
) -> dict[Key, np.ndarray]:
    """:func:`bootstrap_impacts` of several {key: (contribution, drivers)} problems (drivers a respondents × drivers
    0/1 array or sparse matrix), each result the one its own call would give.

    The draws depend only on the number of respondents, the seed and ``chunk``, so problems over the same number
    of respondents (a run's outcomes × driver kinds) share them: drawing them is most of the work at a million
    respondents, and it is done once per size rather than once per problem.
    """
    by_size: dict[int, list[Key]] = {}
    for key, (contribution, _) in problems.items():
        by_size.setdefault(len(contribution), []).append(key)
    results: dict[Key, np.ndarray] = {}
    for n, keys in by_size.items():
        results.update(zip(keys, _same_draws([problems[key] for key in keys], n, replicates, seed, chunk)))
    return {key: results[key] for key in problems}


def bootstrap_every_analysis(outcomes: list[Outcome], candidates: dict, replicates: int, seed: int) -> dict:
    """{(outcome position, driver kind): bootstrap impacts} for every outcome × driver kind a driver analysis ranks
    (outcomes with one value only are left out), drawn once for all that share their respondents."""
    problems = {}
    mentioners: dict[tuple[str, bytes], sparse.csc_matrix] = {}  # one per kind and set of respondents, not per outcome
    for i, outcome in enumerate(outcomes):
        valid = ~np.isnan(outcome.values)
        y = outcome.values[valid]
        if np.unique(y).size < 2:
            continue
        for kind, (matrix, _) in candidates.items():
            if matrix.shape[1]:
                key = (kind, np.packbits(valid).tobytes())
                if key not in mentioners:
                    mentioners[key] = sparse.csc_matrix(matrix[valid].to_numpy(dtype=bool))
                problems[i, kind] = (y, mentioners[key])
    return shared_bootstrap_impacts(problems, replicates, seed)


def _same_draws(problems: list, n: int, replicates: int, seed: int, chunk: int | None) -> list[np.ndarray]:
    if chunk is None:
        chunk = max(1, min(50, _DRAWS_PER_BLOCK // max(n, 1)))
    # Each driver's mentioners as a sparse row (drivers × respondents): a resample's non-mentioners are all the
    # rest, so no dense respondents × drivers matrix is built (at 1,000,000 respondents one held ~250 MB). Problems
    # given the same drivers object (one driver kind for several outcomes) share it.
    by_object: dict[int, sparse.csr_matrix] = {}
    for _, drivers in problems:
        if id(drivers) not in by_object:
            dense = None if sparse.issparse(drivers) else np.asarray(drivers, dtype=bool).reshape(n, -1)
            by_object[id(drivers)] = sparse.csr_matrix(sparse.csc_matrix(drivers if dense is None else dense).T,
                                                       dtype=float)  # fmt: skip
    scores = [np.asarray(contribution, dtype=float) for contribution, _ in problems]
    rows = [by_object[id(drivers)] for _, drivers in problems]
    rng = np.random.default_rng(seed)
    outs = [np.empty((replicates, matrix.shape[0])) for matrix in rows]
    for start in range(0, replicates, chunk):
        b = min(chunk, replicates - start)
        draws = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        counts = np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(float)
        del draws
        by_respondent = np.ascontiguousarray(counts.T)  # what the sparse products read, made once per block
        mentioner_n = {key: np.asarray(matrix @ by_respondent).T for key, matrix in by_object.items()}  # (b, k)
        for s, (_, drivers), matrix, out in zip(scores, problems, rows, outs):
            total_sum = (counts @ s)[:, None]
            total_mean = total_sum / n
            mentioner_sum = np.asarray(matrix @ (by_respondent * s[:, None])).T  # (b, k): their score sums
            rest_sum, rest_n = total_sum - mentioner_sum, n - mentioner_n[id(drivers)]
            with np.errstate(invalid="ignore", divide="ignore"):
                impact = total_mean - rest_sum / rest_n
            impact[(rest_n == 0) | (rest_n == n)] = np.nan
            out[start : start + b] = impact
    return outs


def percentile_interval(replicates: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Per-column percentile interval of bootstrap replicates, ignoring NaN replicates."""
    alpha = (1 - level) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a never-mentioned driver has only NaN replicates
        return (np.nanquantile(replicates, alpha, axis=0), np.nanquantile(replicates, 1 - alpha, axis=0))
