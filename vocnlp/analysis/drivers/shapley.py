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

import numpy as np

from vocnlp.analysis.drivers.models import (
    CollapsedRows,
    collapse_rows,
    mcfadden_r2,
    mcfadden_r2_of_subsets,
    ols_r2_from_moments,
    ols_r2_of_subsets,
)


def shapley_values(
    value: Callable[[frozenset], float], k: int, exact_max: int = 15, permutations: int = 500, seed: int = 0
) -> tuple[np.ndarray, str]:
    """Shapley value of each of ``k`` players for the set function ``value`` (value(∅) is the baseline).

    Returns the values and the method used ("exact" or "sampled, N permutations").
    """
    phi = np.zeros(k)
    if k <= exact_max:
        # Every subset's value, indexed by its bit code (bit j: player j is in), then every player's weighted
        # marginal gains over the subsets without it, as whole arrays.
        codes = np.arange(2**k)
        bits = (codes[:, None] >> np.arange(k)) & 1
        every = getattr(value, "of_every_subset", None)
        values = every() if every is not None else None
        if values is None:
            values = np.array([value(frozenset(np.flatnonzero(row).tolist())) for row in bits], dtype=float)
        sizes = bits.sum(axis=1)
        weights = np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)])
        for j in range(k):
            without = codes[bits[:, j] == 0]
            phi[j] = np.sum(weights[sizes[without]] * (values[without | (1 << j)] - values[without]))
        return phi, "exact"
    cache: dict[frozenset, float] = {}  # a permutation revisits the subsets earlier ones reached

    def v(subset: frozenset) -> float:
        if subset not in cache:
            cache[subset] = value(subset)
        return cache[subset]

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


def r2_value_function(drivers: np.ndarray, controls: np.ndarray, y: np.ndarray, binary: bool) -> "R2Gain":
    """value(S) = R² of the model with the drivers in S plus the controls, minus R² of the controls alone.

    Binary outcomes use McFadden's pseudo-R²; rows with the same drivers,
    controls and outcome are collapsed into frequency weights first.
    """
    return r2_value_of_rows(
        collapse_rows(controls, drivers, y), np.asarray(controls).reshape(len(y), -1).shape[1], binary
    )


def r2_value_of_rows(rows: CollapsedRows, n_controls: int, binary: bool) -> "R2Gain":
    """:func:`r2_value_function` on rows already collapsed (intercept, ``n_controls`` controls, then drivers)."""
    return R2Gain(rows, n_controls, binary)


class R2Gain:
    """The set function of :func:`r2_value_function`: called with a subset of driver positions, or asked for every
    subset's value at once (:meth:`of_every_subset`), which the exact decomposition uses."""

    def __init__(self, rows: CollapsedRows, n_controls: int, binary: bool):
        """See :func:`r2_value_of_rows`."""
        self.x, self.y, self.w = rows.x, rows.y, rows.weights
        self.binary = binary
        self.base_cols = list(range(n_controls + 1))
        self.driver_cols = list(range(n_controls + 1, self.x.shape[1]))
        if not binary:
            x, w, y = self.x, self.w, self.y
            self._moments = ((x * w[:, None]).T @ x, x.T @ (w * y), float(w @ y**2))
        self.baseline = self._r2(self.base_cols)

    def _r2(self, cols: list[int]) -> float:
        if self.binary:
            return mcfadden_r2(self.x[:, cols], self.y, self.w)
        gram, xty, yty = self._moments
        return ols_r2_from_moments(gram, xty, yty, float(self.w.sum()), cols)

    def __call__(self, subset: frozenset) -> float:
        """R² gain of the drivers in ``subset`` (positions among the drivers) over the controls alone."""
        if not subset:
            return 0.0
        return self._r2(self.base_cols + [self.driver_cols[j] for j in sorted(subset)]) - self.baseline

    def of_every_subset(self) -> np.ndarray:
        """Every subset's value at once, indexed by bit code (bit j: driver j is in), as :func:`shapley_values`
        reads them; the fits of all subsets run together (:func:`mcfadden_r2_of_subsets`,
        :func:`ols_r2_of_subsets`). Gains are over the controls-only model of the same batch (code 0), so the empty
        set's is exactly 0."""
        k = len(self.driver_cols)
        masks = np.zeros((2**k, self.x.shape[1]), dtype=bool)
        masks[:, self.base_cols] = True
        masks[:, self.driver_cols] = (np.arange(2**k)[:, None] >> np.arange(k)) & 1 == 1
        if self.binary:
            r2 = mcfadden_r2_of_subsets(self.x, self.y, self.w, masks)
        else:
            gram, xty, yty = self._moments
            r2 = ols_r2_of_subsets(gram, xty, yty, float(self.w.sum()), masks)
        return r2 - r2[0]
