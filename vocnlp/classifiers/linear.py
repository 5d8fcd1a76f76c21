"""A logistic-regression head over sentence embeddings, following the sklearn contract.

Single-label (softmax over classes) or multi-label (one binary model per
label, with per-label decision thresholds tuned on held-out data).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.utils.validation import check_is_fitted


class LinearHead(ClassifierMixin, BaseEstimator):
    """Logistic-regression head.

    Parameters are only stored here (sklearn contract); ``fit`` learns
    ``classes_``, ``coef_``, ``intercept_`` and, for multi-label data,
    ``thresholds_`` (0.5 until :meth:`tune_thresholds` is called).

    multilabel : bool
        ``y`` is an (n, k) 0/1 indicator matrix instead of a label vector.
    C : float
        Inverse regularisation strength.
    class_weight : None or "balanced"
        Re-weight rare classes (useful for rare emotions).
    """

    def __init__(self, multilabel: bool = False, C: float = 1.0, class_weight: str | None = None,
                 max_iter: int = 2000, random_state: int = 0):
        self.multilabel = multilabel
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state

    def _lr(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter,
                                  random_state=self.random_state)

    def fit(self, X, y, classes=None):
        """Fit on embeddings ``X``; ``classes`` names the indicator columns when multi-label."""
        X = np.asarray(X, dtype=np.float64)
        if self.multilabel:
            Y = np.asarray(y)
            self.classes_ = np.asarray(classes if classes is not None else np.arange(Y.shape[1]))
            coefs, intercepts = [], []
            for j in range(Y.shape[1]):
                if Y[:, j].min() == Y[:, j].max():
                    raise ValueError(f"label {self.classes_[j]!r} has only one value in the training data")
                lr = self._lr().fit(X, Y[:, j])
                coefs.append(lr.coef_[0])
                intercepts.append(lr.intercept_[0])
            self.coef_ = np.vstack(coefs)
            self.intercept_ = np.asarray(intercepts)
            self.thresholds_ = np.full(len(self.classes_), 0.5)
        else:
            lr = self._lr().fit(X, np.asarray(y))
            self.classes_ = lr.classes_
            if len(self.classes_) == 2:
                # Store binary models in the same k-row layout as multiclass ones.
                self.coef_ = np.vstack([-lr.coef_[0] / 2, lr.coef_[0] / 2])
                self.intercept_ = np.asarray([-lr.intercept_[0] / 2, lr.intercept_[0] / 2])
            else:
                self.coef_ = lr.coef_
                self.intercept_ = lr.intercept_
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X) -> np.ndarray:
        """Raw scores, one column per class/label."""
        check_is_fitted(self, "coef_")
        return np.asarray(X, dtype=np.float64) @ self.coef_.T + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (rows sum to 1), or independent label probabilities if multi-label."""
        z = self.decision_function(X)
        if self.multilabel:
            return 1.0 / (1.0 + np.exp(-z))
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class, or the 0/1 indicator matrix for multi-label heads."""
        proba = self.predict_proba(X)
        if self.multilabel:
            return (proba >= self.thresholds_).astype(int)
        return self.classes_[proba.argmax(axis=1)]

    def tune_thresholds(self, X, Y, grid=None):
        """Choose, per label, the threshold maximising F1 on held-out ``(X, Y)``."""
        check_is_fitted(self, "coef_")
        if not self.multilabel:
            raise ValueError("thresholds apply to multi-label heads only")
        grid = np.round(np.arange(0.05, 0.96, 0.01), 2) if grid is None else np.asarray(grid)
        proba = self.predict_proba(X)
        Y = np.asarray(Y)
        best = []
        for j in range(Y.shape[1]):
            scores = [f1_score(Y[:, j], proba[:, j] >= t, zero_division=0) for t in grid]
            best.append(float(grid[int(np.argmax(scores))]))
        self.thresholds_ = np.asarray(best)
        return self
