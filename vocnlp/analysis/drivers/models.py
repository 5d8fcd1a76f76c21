"""Driver models fitted on all drivers of a kind at once: adjusted effects, explained variance, out-of-sample fit.

Binary outcomes (detractor, churn) use logistic regression with Firth's
penalty (Jeffreys prior): it keeps odds ratios finite when a rare theme has
no detractor among its mentioners (separation), shrinks small-sample bias,
and still has Wald intervals from the penalised information. Score outcomes
(NPS points, CSAT, CES) use ordinary least squares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats


@dataclass
class Fit:
    """Coefficients (intercept first), their covariance, and the fit's log-likelihood or R²."""

    coef: np.ndarray
    cov: np.ndarray
    loglik: float
    converged: bool

    def wald(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(estimate, low, high, two-sided p) per coefficient on the linear-predictor scale."""
        se = np.sqrt(np.clip(np.diag(self.cov), 0, None))
        z = float(stats.norm.ppf(0.5 + level / 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            p = 2 * stats.norm.sf(np.abs(self.coef) / se)
        return self.coef, self.coef - z * se, self.coef + z * se, p


@dataclass
class CollapsedRows:
    """The distinct (design row, outcome) pairs of a model and how many respondents share each.

    Drivers are 0/1 and controls few, so a million respondents make a few thousand distinct rows at most; every
    fit below takes them as frequency weights, which gives the estimates of the full data without holding a
    respondents × columns float matrix (and its copies) per fit.
    """

    x: np.ndarray  # intercept column first, then the controls, then the drivers
    y: np.ndarray
    weights: np.ndarray


def collapse_rows(controls: np.ndarray, drivers: np.ndarray, y: np.ndarray) -> CollapsedRows:
    """Collapse respondents with identical controls, drivers and outcome (rows of ``controls``/``drivers``/``y``)."""
    n = len(y)
    drivers = np.asarray(drivers, dtype=bool).reshape(n, -1)
    controls = np.ascontiguousarray(controls, dtype=float).reshape(n, -1)
    outcome = np.ascontiguousarray(y, dtype=float).reshape(n, 1)
    # One byte string per respondent (drivers packed 8 to a byte): sorting those costs a few bytes a row.
    key = np.ascontiguousarray(
        np.hstack([np.packbits(drivers, axis=1), controls.view(np.uint8), outcome.view(np.uint8)])
    )
    _, first, counts = np.unique(key.view(np.dtype((np.void, key.shape[1]))).ravel(), return_index=True,
                                 return_counts=True)  # fmt: skip
    x = with_intercept(np.hstack([controls[first], drivers[first].astype(float)]))
    return CollapsedRows(x, outcome[first, 0], counts.astype(float))


def with_intercept(x: np.ndarray) -> np.ndarray:
    """Prepend a column of ones."""
    x = np.asarray(x, dtype=float)
    return np.hstack([np.ones((len(x), 1)), x.reshape(len(x), -1)])


def _bernoulli_loglik(eta: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    # log σ(η) and log(1 − σ(η)) written so that large |η| does not overflow.
    return float(np.sum(w * (y * -np.logaddexp(0, -eta) + (1 - y) * -np.logaddexp(0, eta))))


def logistic(
    x: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None = None,
    firth: bool = True,
    max_iter: int = 100,
    tol: float = 1e-8,
) -> Fit:
    """Logistic regression by Newton–Raphson; ``x`` already holds the intercept column.

    With ``firth`` the score gets Firth's adjustment h·(½ − p) (h: hat values)
    and steps are halved until the penalised log-likelihood
    ℓ(β) + ½·log|XᵀWX| improves. ``weights`` are frequency weights (rows seen
    that many times), which lets callers collapse duplicate rows.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    beta = np.zeros(x.shape[1])

    def objective(b):
        eta = x @ b
        p = special.expit(eta)
        info = x.T @ (x * (w * p * (1 - p))[:, None])
        value = _bernoulli_loglik(eta, y, w)
        if firth:
            sign, logdet = np.linalg.slogdet(info)
            value += 0.5 * logdet if sign > 0 else -np.inf
        return value, p, info

    value, p, info = objective(beta)
    converged = False
    for _ in range(max_iter):
        inv = np.linalg.pinv(info)
        score = x.T @ (w * (y - p))
        if firth:
            hat = w * p * (1 - p) * np.einsum("ij,jk,ik->i", x, inv, x)
            score = score + x.T @ (hat * (0.5 - p))
        step = inv @ score
        # Halve until the (penalised) likelihood does not fall: Newton can overshoot near separation.
        for _ in range(30):
            new_value, new_p, new_info = objective(beta + step)
            if new_value >= value - 1e-12:
                break
            step /= 2
        beta = beta + step
        value, p, info = new_value, new_p, new_info
        if np.max(np.abs(step)) < tol:
            converged = True
            break
    return Fit(beta, np.linalg.pinv(info), _bernoulli_loglik(x @ beta, y, w), converged)


def mcfadden_r2(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> float:
    """McFadden's pseudo-R² = 1 − ℓ(model)/ℓ(intercept only), maximum likelihood (no penalty)."""
    y = np.asarray(y, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    null = _null_loglik(y, w)
    if null is None:
        return math.nan
    if x.shape[1] == 1:
        return 0.0
    # A whisker of ridge keeps a separated subset from running its coefficients off to infinity.
    fit = _ridge_logistic(x, y, w)
    return 1 - fit / null


def _null_loglik(y: np.ndarray, w: np.ndarray) -> float | None:
    """Log-likelihood of the intercept-only model; None when the outcome has one value (no pseudo-R²)."""
    rate = float(np.sum(w * y) / np.sum(w))
    if rate in (0.0, 1.0):
        return None
    return float(np.sum(w * (y * math.log(rate) + (1 - y) * math.log(1 - rate))))


def _ridge_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, ridge: float = 1e-4, iters: int = 25) -> float:
    beta = np.zeros(x.shape[1])
    penalty = ridge * np.eye(x.shape[1])
    penalty[0, 0] = 0
    for _ in range(iters):
        p = special.expit(x @ beta)
        info = x.T @ (x * (w * p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(info, x.T @ (w * (y - p)) - penalty @ beta)
        beta += step
        if np.max(np.abs(step)) < 1e-7:
            break
    return _bernoulli_loglik(x @ beta, y, w)


# Entries of the (rows × columns²) array of each row's xxᵀ that the batched fits build (64 MB of float64).
_OUTER_MAX = 8_000_000


def mcfadden_r2_of_subsets(x: np.ndarray, y: np.ndarray, weights: np.ndarray, subsets: np.ndarray) -> np.ndarray:
    """:func:`mcfadden_r2` of the model on each column subset of ``x`` (``subsets``: boolean rows, one per model,
    the intercept column included), all fitted together.

    A Shapley decomposition fits every subset of up to 15 drivers (32,768 models): one at a time, Python's
    per-step overhead was most of a run's driver time. Here each Newton step runs on a block of models at once; a
    column a model leaves out keeps a zero coefficient (its rows of the information matrix are the identity and
    its gradient zero), which is the same fit as on the subset's own columns, and each model stops at the step it
    converges at, as :func:`mcfadden_r2` does.
    """
    y = np.asarray(y, dtype=float)
    w = np.asarray(weights, dtype=float)
    subsets = np.asarray(subsets, dtype=bool)
    out = np.empty(len(subsets))
    null = _null_loglik(y, w)
    if null is None:
        out[:] = math.nan
        return out
    p = x.shape[1]
    if len(x) * p * p > _OUTER_MAX:  # rows that barely collapse (continuous controls): fit one subset at a time
        return np.array([mcfadden_r2(x[:, keep], y, w) for keep in subsets])
    outer = (x[:, :, None] * x[:, None, :]).reshape(len(x), p * p)  # each row's xxᵀ, for the information matrices
    penalty = np.full(p, 1e-4)
    penalty[0] = 0
    block = max(1, min(1024, 2_000_000 // max(len(x), 1)))  # models per block: (rows × models) arrays stay ~16 MB
    for begin in range(0, len(subsets), block):
        mask = subsets[begin : begin + block].astype(float)
        beta = np.zeros(mask.shape)
        active = np.ones(len(mask), dtype=bool)
        for _ in range(25):
            rows = np.flatnonzero(active)
            if not len(rows):
                break
            b, m = beta[rows], mask[rows]
            prob = special.expit(x @ b.T)  # (n, models)
            info = ((w[:, None] * prob * (1 - prob)).T @ outer).reshape(len(rows), p, p)
            info *= m[:, :, None] * m[:, None, :]
            info[:, np.arange(p), np.arange(p)] += m * penalty + (1 - m)
            gradient = ((w[:, None] * (y[:, None] - prob)).T @ x - penalty * b) * m
            step = np.linalg.solve(info, gradient[:, :, None])[:, :, 0]
            beta[rows] = b + step
            active[rows[np.max(np.abs(step), axis=1) < 1e-7]] = False
        eta = x @ beta.T
        loglik = w @ (y[:, None] * -np.logaddexp(0, -eta) + (1 - y[:, None]) * -np.logaddexp(0, eta))
        out[begin : begin + block] = 1 - loglik / null
    out[subsets.sum(axis=1) == 1] = 0.0  # the intercept alone: no gain over the null model, by definition
    return out


def least_squares(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> Fit:
    """OLS with the classical covariance; ``loglik`` holds R² here. ``weights``: frequency weights (rows seen that
    many times, see :func:`collapse_rows`)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if weights is None:
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        resid = y - x @ coef
        n, rss, gram = float(len(y)), float(resid @ resid), x.T @ x
        tss = float(((y - y.mean()) ** 2).sum())
    else:
        w = np.asarray(weights, dtype=float)
        root = np.sqrt(w)
        coef, *_ = np.linalg.lstsq(x * root[:, None], y * root, rcond=None)
        resid = y - x @ coef
        n, rss, gram = float(w.sum()), float(w @ resid**2), (x * w[:, None]).T @ x
        tss = float(w @ (y - float(w @ y) / n) ** 2)
    sigma2 = rss / max(n - x.shape[1], 1)
    cov = sigma2 * np.linalg.pinv(gram)
    return Fit(coef, cov, 1 - rss / tss if tss > 0 else math.nan, True)


def ols_r2_from_moments(gram: np.ndarray, xty: np.ndarray, yty: float, n: float, columns: list[int]) -> float:
    """R² of OLS on a subset of columns, from the cross-product matrices (column 0 is the intercept)."""
    cols = [0] + [c for c in columns if c != 0]
    g = gram[np.ix_(cols, cols)]
    b = np.linalg.lstsq(g, xty[cols], rcond=None)[0]
    ybar = xty[0] / n
    tss = yty - n * ybar**2
    rss = yty - 2 * b @ xty[cols] + b @ g @ b
    return float(1 - rss / tss) if tss > 0 else math.nan


def average_marginal_effects(
    fit: Fit, x: np.ndarray, columns: list[int], weights: np.ndarray | None = None
) -> np.ndarray:
    """Mean change in predicted probability when each 0/1 column is switched from 0 to 1, over all rows.

    An odds ratio of 3 means little on its own; "+12 detractor points" is what
    an analyst can weigh against a driver's prevalence. ``weights``: frequency weights of collapsed rows.
    """
    # Switching column c moves every row's linear predictor by a known amount: no copy of the design matrix
    # (two per driver before, ~250 MB each at a million respondents).
    eta = x @ fit.coef
    out = []
    for c in columns:
        column = x[:, c]
        on, off = eta + (1.0 - column) * fit.coef[c], eta - column * fit.coef[c]
        out.append(float(np.average(special.expit(on) - special.expit(off), weights=weights)))
    return np.asarray(out)


def cross_validated_fit(x: np.ndarray, y: np.ndarray, binary: bool, seed: int, folds: int = 5) -> float:
    """Out-of-sample AUC (binary outcome) or R² (score) of the drivers model, by stratified k-fold CV.

    ``x`` holds no intercept column. This tells the analyst how much of the
    outcome the text explains at all, before reading any ranking.
    """
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

    y = np.asarray(y)
    if binary:
        minority = int(min((y == 1).sum(), (y == 0).sum()))
        if minority < folds:
            return math.nan
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
        model = LogisticRegression(C=1.0, max_iter=1000)
        return float(np.mean(cross_val_score(model, x, y.astype(int), cv=splitter, scoring="roc_auc")))
    if len(y) < 2 * folds:
        return math.nan
    splitter = KFold(folds, shuffle=True, random_state=seed)
    return float(np.mean(cross_val_score(LinearRegression(), x, y.astype(float), cv=splitter, scoring="r2")))


def ols_r2_of_subsets(gram: np.ndarray, xty: np.ndarray, yty: float, n: float, subsets: np.ndarray) -> np.ndarray:
    """:func:`ols_r2_from_moments` for each column subset (boolean rows, intercept included) at once: a column a
    subset leaves out gets a zero coefficient, and the pseudo-inverse gives the least-squares solution that
    ``lstsq`` does for the subset's own columns, singular ones included."""
    mask = np.asarray(subsets, dtype=float)
    g = gram[None, :, :] * mask[:, :, None] * mask[:, None, :]
    right = xty[None, :] * mask
    b = np.einsum("mij,mj->mi", np.linalg.pinv(g), right)
    ybar = xty[0] / n
    tss = yty - n * ybar**2
    rss = yty - 2 * np.einsum("mi,mi->m", b, right) + np.einsum("mi,mij,mj->m", b, g, b)
    return 1 - rss / tss if tss > 0 else np.full(len(mask), math.nan)
