"""A logistic-regression head with a memory of its training examples: the labels of the nearest ones vote too.

Customers say one thing a hundred ways; a linear boundary over sentence
embeddings learns the common ones, while a comment phrased like one rare
training example ("on me redemande des papiers déjà envoyés") is best judged by
that example's labels. The head averages the two readings:
``p = (1 - neighbour_weight) · p_linear + neighbour_weight · p_neighbours``,
where ``p_neighbours`` is the similarity-weighted (cosine^power) mean label of the
``k`` most similar training rows. The memory is stored as int8 (unit vectors
× 127): a quarter of float32's size, cosine error under 0.01.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from vocnlp.modeling.heads.base import sigmoid, softmax
from vocnlp.modeling.heads.linear import LinearHead

_EPS = 1e-6
_SCALE = 127.0


def _unit(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.maximum(norms, 1e-12)


class NeighbourHead(LinearHead):
    """Linear head + k-nearest-neighbour vote over the training embeddings (see the module docstring).

    k : int
        Neighbours that vote.
    power : float
        Votes are weighted by cosine similarity to this power (far neighbours count little).
    neighbour_weight : float
        Share of the neighbours' vote in the probability (0 = the linear head alone).
    C, class_weight, max_iter, random_state, multilabel : as :class:`LinearHead`.
    """

    _parameter_constraints = {
        **LinearHead._parameter_constraints,
        "k": [Interval(Integral, 1, None, closed="left")],
        "power": [Interval(Real, 0, None, closed="left")],
        "neighbour_weight": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        multilabel: bool = False,
        C: float = 1.0,
        class_weight: str | None = None,
        max_iter: int = 2000,
        random_state: int = 0,
        k: int = 10,
        power: float = 3.0,
        neighbour_weight: float = 0.5,
    ):
        super().__init__(
            multilabel=multilabel, C=C, class_weight=class_weight, max_iter=max_iter, random_state=random_state
        )
        self.k = k
        self.power = power
        self.neighbour_weight = neighbour_weight

    def fit(self, X, y, classes=None):
        """Fit the linear part and remember ``X`` (quantised) with its labels."""
        X, y = self._fit_data(X, y)
        super().fit(X, y, classes=classes)
        if self.multilabel:
            labels = np.asarray(y, dtype=np.uint8)
        else:
            labels = (y[:, None] == self.classes_[None, :]).astype(np.uint8)
        # A row repeated to weigh more in the linear loss (a user's corrections) votes once: five copies would
        # otherwise fill half of every nearby comment's ten votes.
        _, first = np.unique(X, axis=0, return_index=True)
        keep = np.sort(first)
        self._remember(np.round(_unit(X[keep]) * _SCALE).astype(np.int8), labels[keep])
        return self

    def _remember(self, memory: np.ndarray, labels: np.ndarray) -> None:
        """Keep the int8 memory (what is saved) and, once, the float32 copy the similarities are computed on."""
        self.memory_ = memory
        self.memory_labels_ = labels
        self._memory_f32 = np.ascontiguousarray(memory.T, dtype=np.float32) / _SCALE

    def neighbour_proba(self, X, chunk: int = 1024) -> np.ndarray:
        """The ``k`` nearest training rows' similarity-weighted mean labels."""
        import torch  # here, not at import: a run whose chunks all come from the chunk cache never loads it

        check_is_fitted(self, "memory_")
        X = _unit(np.asarray(X, dtype=np.float32))
        k = min(self.k, len(self.memory_))
        out = np.zeros((len(X), self.memory_labels_.shape[1]))
        threads = torch.get_num_threads()
        # The top-k runs on one thread: right after numpy's product, BLAS's own threads still spin on the cores,
        # and torch's threads fighting them made the selection cost as much as the product (6,000 rows against
        # 6,657 remembered ones: 0.47 s with both pools, 0.28 s with one thread for the top-k).
        torch.set_num_threads(1)
        try:
            # In chunks: a (rows × memory) similarity matrix for a whole batch would take gigabytes and leave the
            # cache.
            for start in range(0, len(X), chunk):
                similarity = X[start : start + chunk] @ self._memory_f32
                # torch's top-k is ~10× faster than argpartition here; sorting the indices makes the vote's
                # summation order independent of the selection algorithm.
                top = torch.topk(torch.from_numpy(similarity), k, dim=1, sorted=False)
                nearest = np.sort(top.indices.numpy(), axis=1)
                weight = np.maximum(np.take_along_axis(similarity, nearest, axis=1), 0).astype(np.float64) ** self.power
                votes = np.einsum("nk,nkl->nl", weight, self.memory_labels_[nearest].astype(np.float64))
                out[start : start + chunk] = votes / np.maximum(weight.sum(axis=1, keepdims=True), 1e-9)
        finally:
            torch.set_num_threads(threads)
        return out

    def _logits(self, X: np.ndarray) -> np.ndarray:
        # Logits of the blended probability, so that temperature and thresholds work as for any head.
        z = super()._logits(X)
        linear = sigmoid(z) if self.multilabel else softmax(z)
        p = np.clip(
            (1 - self.neighbour_weight) * linear + self.neighbour_weight * self.neighbour_proba(X), _EPS, 1 - _EPS
        )
        return np.log(p / (1 - p)) if self.multilabel else np.log(p)

    def get_weights(self) -> dict[str, np.ndarray]:
        """Learned arrays; the memory stays int8 and its labels uint8."""
        arrays = super().get_weights()
        arrays.update(memory_=self.memory_, memory_labels_=self.memory_labels_)
        return arrays

    def set_weights(self, arrays: dict[str, np.ndarray], classes) -> "NeighbourHead":
        """Restore a fitted head, memory included."""
        super().set_weights(arrays, classes)
        self._remember(
            np.asarray(arrays["memory_"], dtype=np.int8), np.asarray(arrays["memory_labels_"], dtype=np.uint8)
        )
        return self
