"""A logistic-regression head over sentence embeddings, following the sklearn contract."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import Interval, StrOptions

from vocnlp.modeling.heads.base import ProbabilisticHead


class LinearHead(ProbabilisticHead):
    """Logistic-regression head: the fast default.

    Parameters are only stored here (sklearn contract); ``fit`` learns
    ``classes_``, ``coef_``, ``intercept_``.

    multilabel : bool
        ``y`` is an (n, k) 0/1 indicator matrix instead of a label vector.
    C : float
        Inverse regularisation strength.
    class_weight : None or "balanced"
        Re-weight rare classes (useful for rare emotions).
    """

    _weight_names = ("coef_", "intercept_")
    _parameter_constraints = {
        "multilabel": ["boolean"],
        "C": [Interval(Real, 0, None, closed="neither")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        multilabel: bool = False,
        C: float = 1.0,
        class_weight: str | None = None,
        max_iter: int = 2000,
        random_state: int = 0,
    ):
        self.multilabel = multilabel
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state

    def _lr(self) -> LogisticRegression:
        return LogisticRegression(
            C=self.C, class_weight=self.class_weight, max_iter=self.max_iter, random_state=self.random_state
        )

    def fit(self, X, y, classes=None):
        """Fit on embeddings ``X``; ``classes`` names the indicator columns when multi-label."""
        X, y = self._fit_data(X, y)
        iterations = []
        if self.multilabel:
            Y = y
            names = classes if classes is not None else np.arange(Y.shape[1])
            coefs, intercepts = [], []
            for j in range(Y.shape[1]):
                if Y[:, j].min() == Y[:, j].max():
                    raise ValueError(f"label {names[j]!r} has only one value in the training data")
                lr = self._lr().fit(X, Y[:, j])
                iterations.append(int(np.max(lr.n_iter_)))
                coefs.append(lr.coef_[0])
                intercepts.append(lr.intercept_[0])
            self.coef_ = np.vstack(coefs)
            self.intercept_ = np.asarray(intercepts)
        else:
            lr = self._lr().fit(X, y)
            iterations.append(int(np.max(lr.n_iter_)))
            names = lr.classes_
            if len(names) == 2:
                # Store binary models in the same k-row layout as multiclass ones.
                self.coef_ = np.vstack([-lr.coef_[0] / 2, lr.coef_[0] / 2])
                self.intercept_ = np.asarray([-lr.intercept_[0] / 2, lr.intercept_[0] / 2])
            else:
                self.coef_ = lr.coef_
                self.intercept_ = lr.intercept_
        self.n_iter_ = max(iterations)
        self._finish_fit(names, X.shape[1])
        return self

    def _logits(self, X: np.ndarray) -> np.ndarray:
        return X @ self.coef_.T + self.intercept_

    def _n_features_from_weights(self) -> int:
        return int(self.coef_.shape[1])
