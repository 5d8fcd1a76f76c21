"""Shapley decomposition of a driver model's explained variance (Shapley value regression, LMG, general dominance).

Two themes that are often mentioned together cannot both claim the variance
they explain jointly. Each driver gets its average gain in R² (pseudo-R² for
binary outcomes) when added to every subset of the other drivers, weighted as
in the Shapley value; the shares add up to the full model's R² exactly.
Control covariates sit in every model, so only the drivers' own gain is shared.

Exact for up to ``exact_max`` drivers (2^k models); beyond that, a documented
approximation averages marginal gains over ``permutations`` random orders
(Castro et al., 2009), each order's models cached and reused.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import combinations

import numpy as np

from vocnlp.analysis.drivers.models import CollapsedRows, collapse_rows, mcfadden_r2, ols_r2_from_moments


def shapley_values(
    value: Callable[[frozenset], float], k: int, exact_max: int = 15, permutations: int = 500, seed: int = 0
) -> tuple[np.ndarray, str]:
    """Shapley value of each of ``k`` players for the set function ``value`` (value(∅) is the baseline).

    Returns the values and the method used ("exact" or "sampled, N permutations").
    """
    cache: dict[frozenset, float] = {}

    def v(subset: frozenset) -> float:
        if subset not in cache:
            cache[subset] = value(subset)
        return cache[subset]

    phi = np.zeros(k)
    if k <= exact_max:
        weights = [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)]
        for j in range(k):
            others = [i for i in range(k) if i != j]
            for size in range(k):
                for subset in combinations(others, size):
                    base = frozenset(subset)
                    phi[j] += weights[size] * (v(base | {j}) - v(base))
        return phi, "exact"
    rng = np.random.default_rng(seed)
    for _ in range(permutations):
        current: frozenset = frozenset()
        before = v(current)
        for j in rng.permutation(k):
            current = current | {int(j)}
            after = v(current)
            phi[j] += after - before
            before = after
    return phi / permutations, f"sampled, {permutations} permutations"


def r2_value_function(
    drivers: np.ndarray, controls: np.ndarray, y: np.ndarray, binary: bool
) -> Callable[[frozenset], float]:
    """value(S) = R² of the model with the drivers in S plus the controls, minus R² of the controls alone.

    Binary outcomes use McFadden's pseudo-R²; rows with the same drivers,
    controls and outcome are collapsed into frequency weights first.
    """
    return r2_value_of_rows(
        collapse_rows(controls, drivers, y), np.asarray(controls).reshape(len(y), -1).shape[1], binary
    )


def r2_value_of_rows(rows: CollapsedRows, n_controls: int, binary: bool) -> Callable[[frozenset], float]:
    """:func:`r2_value_function` on rows already collapsed (intercept, ``n_controls`` controls, then drivers)."""
    x, y, w = rows.x, rows.y, rows.weights
    base_cols = list(range(n_controls + 1))
    driver_cols = list(range(n_controls + 1, x.shape[1]))
    if binary:

        def r2(cols: list[int]) -> float:
            return mcfadden_r2(x[:, cols], y, w)
    else:
        gram, xty, yty = (x * w[:, None]).T @ x, x.T @ (w * y), float(w @ y**2)

        def r2(cols: list[int]) -> float:
            return ols_r2_from_moments(gram, xty, yty, float(w.sum()), cols)

    baseline = r2(base_cols)

    def value(subset: frozenset) -> float:
        if not subset:
            return 0.0
        return r2(base_cols + [driver_cols[j] for j in sorted(subset)]) - baseline

    return value
