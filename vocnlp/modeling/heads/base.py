"""What every vocnlp head shares: probabilities from logits, temperature calibration, per-label thresholds.

A head subclass implements ``fit`` (checking its data with ``_fit_data``) and ``_logits`` (raw logits) and
lists its learned arrays in ``_weight_names`` so model folders can save them
without pickle.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import f1_score
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d, validate_data


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large logits."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Element-wise logistic function."""
    return 1.0 / (1.0 + np.exp(-z))


class ProbabilisticHead(ClassifierMixin, BaseEstimator):
    """Base for heads over embeddings: single-label (softmax) or multi-label (independent sigmoids).

    Learned attributes shared by all heads: ``classes_``, ``temperature_``
    (1.0 until :meth:`calibrate`), and for multi-label heads ``thresholds_``
    (0.5 until :meth:`tune_thresholds`).
    """

    _weight_names: tuple[str, ...] = ()

    def _fit_data(self, X, y, dtype=np.float64):
        """``X`` and ``y`` checked as scikit-learn estimators check them (finite, dense, 2-D, same length, class
        labels not a continuous target, y given) and ``n_features_in_`` set. Multi-label ``y`` is an (n, k) 0/1
        matrix; a single-label ``y`` given as one column is flattened (with sklearn's warning)."""
        self._validate_params()
        X, y = validate_data(self, X, y, dtype=dtype, multi_output=bool(self.multilabel), y_numeric=False)
        if self.multilabel:
            y = check_array(y, ensure_2d=True, dtype=None)
        else:
            y = column_or_1d(y, warn=True)
            check_classification_targets(y)
        return X, y

    def _predict_data(self, X, dtype=np.float64) -> np.ndarray:
        """``X`` checked for prediction: fitted head, finite dense 2-D input with the training's feature count."""
        check_is_fitted(self, "classes_")
        return validate_data(self, X, dtype=dtype, reset=False)

    def _finish_fit(self, classes, n_features: int) -> None:
        self.classes_ = np.asarray(classes)
        self.n_features_in_ = n_features
        self.temperature_ = 1.0
        if self.multilabel:
            self.thresholds_ = np.full(len(self.classes_), 0.5)

    def logits(self, X) -> np.ndarray:
        """Raw scores, one column per class or label (what :meth:`calibrate` and :meth:`tune_thresholds` take as
        ``scores``)."""
        return self._logits(self._predict_data(X))

    def _logits(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - every head overrides it
        raise NotImplementedError

    def decision_function(self, X) -> np.ndarray:
        """scikit-learn's decision scores: for a two-class head, one column (> 0 means ``classes_[1]``); else
        :meth:`logits`."""
        z = self.logits(X)
        return z[:, 1] - z[:, 0] if not self.multilabel and z.shape[1] == 2 else z

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (rows sum to 1), or independent label probabilities if multi-label."""
        z = self.logits(X) / self.temperature_
        return sigmoid(z) if self.multilabel else softmax(z)

    def predict(self, X):
        """Most probable class, or the 0/1 indicator matrix (per-label thresholds) if multi-label."""
        proba = self.predict_proba(X)
        if self.multilabel:
            return (proba >= self.thresholds_).astype(int)
        return self.classes_[proba.argmax(axis=1)]

    def tune_thresholds(self, X, Y, grid=None, scores=None):
        """Choose, per label, the threshold maximising F1 on held-out ``(X, Y)``.

        ``scores``: decision scores of held-out rows computed elsewhere (out-of-fold
        predictions when there is no separate dev set); then ``X`` is ignored.
        """
        check_is_fitted(self, "classes_")
        if not self.multilabel:
            raise ValueError("thresholds apply to multi-label heads only")
        grid = np.round(np.arange(0.02, 0.96, 0.01), 2) if grid is None else np.asarray(grid)
        proba = self.predict_proba(X) if scores is None else sigmoid(np.asarray(scores) / self.temperature_)
        Y = np.asarray(Y)
        best = []
        for j in range(Y.shape[1]):
            if not Y[:, j].any():
                # No held-out example of this label: F1 is 0 at every threshold, which says nothing.
                best.append(0.5)
                continue
            scores = np.asarray([f1_score(Y[:, j], proba[:, j] >= t, zero_division=0) for t in grid])
            # The middle of the best plateau, not its lowest edge: small dev sets have wide plateaus.
            winners = grid[scores == scores.max()]
            best.append(float(winners[len(winners) // 2]))
        self.thresholds_ = np.asarray(best)
        return self

    def calibrate(self, X, y, scores=None):
        """Temperature scaling on held-out data: one scalar that minimises the log-loss.

        It rescales confidence without changing which class wins, so accuracy
        and macro-F1 are untouched (Guo et al., 2017). Multi-label thresholds
        should be tuned after calibrating, on the calibrated probabilities.
        ``scores`` as in :meth:`tune_thresholds`.
        """
        check_is_fitted(self, "classes_")
        z = self.logits(X) if scores is None else np.asarray(scores, dtype=np.float64)
        if self.multilabel:
            Y = np.asarray(y, dtype=float)
        else:
            index = {c: i for i, c in enumerate(self.classes_)}
            Y = np.zeros_like(z)
            Y[np.arange(len(y)), [index[v] for v in np.asarray(y)]] = 1.0

        def loss(log_t: float) -> float:
            p = sigmoid(z / np.exp(log_t)) if self.multilabel else softmax(z / np.exp(log_t))
            p = np.clip(p, 1e-12, 1 - 1e-12)
            if self.multilabel:
                return float(-np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p)))
            return float(-np.mean(np.sum(Y * np.log(p), axis=1)))

        self.temperature_ = float(np.exp(minimize_scalar(loss, bounds=(-3, 3), method="bounded").x))
        return self

    def get_weights(self) -> dict[str, np.ndarray]:
        """Learned arrays, for saving without pickle."""
        check_is_fitted(self, "classes_")
        arrays = {name: np.asarray(getattr(self, name)) for name in self._weight_names}
        arrays["temperature"] = np.asarray([self.temperature_])
        if self.multilabel:
            arrays["thresholds"] = np.asarray(self.thresholds_)
        return arrays

    def set_weights(self, arrays: dict[str, np.ndarray], classes) -> "ProbabilisticHead":
        """Restore a fitted head from :meth:`get_weights` output and its class names."""
        for name in self._weight_names:
            setattr(self, name, np.asarray(arrays[name], dtype=np.float64))
        self._finish_fit(classes, self._n_features_from_weights())
        self.temperature_ = float(arrays["temperature"][0]) if "temperature" in arrays else 1.0
        if self.multilabel:
            self.thresholds_ = np.asarray(arrays["thresholds"], dtype=np.float64)
        return self

    def _n_features_from_weights(self) -> int:  # pragma: no cover - every head overrides it
        raise NotImplementedError
