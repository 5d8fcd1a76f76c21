"""A one-hidden-layer neural head over sentence embeddings (the ``accurate`` option), sklearn contract.

Trained with PyTorch; predictions use NumPy only, so loading a model for the
pipeline does not import torch.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.special import erf
from sklearn.utils._param_validation import Interval

from vocnlp.modeling.heads.base import ProbabilisticHead


def _gelu(x: np.ndarray) -> np.ndarray:
    # Exact (erf) GELU, the same function as torch.nn.GELU() used in training.
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


class MLPHead(ProbabilisticHead):
    """Embedding → dropout → dense(hidden, GELU) → dropout → dense(classes).

    multilabel : bool
        ``y`` is an (n, k) 0/1 indicator matrix (sigmoid outputs) instead of a label vector (softmax).
    hidden_size, dropout, input_dropout : network shape and regularisation.
    epochs, learning_rate, weight_decay, batch_size : AdamW training schedule.
    min_steps : train at least this many optimiser steps, so ten examples per label still get fitted.
    random_state : seeds weight initialisation and batch order, so a fit is reproducible.
    """

    _weight_names = ("hidden_weight_", "hidden_bias_", "output_weight_", "output_bias_")
    _parameter_constraints = {
        "multilabel": ["boolean"],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "min_steps": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        multilabel: bool = False,
        hidden_size: int = 1024,
        dropout: float = 0.3,
        input_dropout: float = 0.1,
        epochs: int = 10,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.01,
        batch_size: int = 128,
        min_steps: int = 300,
        random_state: int = 0,
    ):
        self.multilabel = multilabel
        self.hidden_size = hidden_size
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.min_steps = min_steps
        self.random_state = random_state

    def fit(self, X, y, classes=None, progress=None):
        """Train on embeddings ``X``; ``classes`` names the indicator columns when multi-label.

        ``progress`` is an optional callable ``(epoch, epochs, loss)`` for logging.
        """
        import torch

        X, y = self._fit_data(X, y, dtype=np.float32)
        if self.multilabel:
            Y = np.asarray(y, dtype=np.float32)
            names = classes if classes is not None else np.arange(Y.shape[1])
            target = torch.from_numpy(Y)
            loss_fn = torch.nn.BCEWithLogitsLoss()
            k = Y.shape[1]
        else:
            names, codes = np.unique(y, return_inverse=True)
            target = torch.from_numpy(codes.astype(np.int64))
            loss_fn = torch.nn.CrossEntropyLoss()
            k = len(names)
        torch.manual_seed(self.random_state)
        net = torch.nn.Sequential(
            torch.nn.Dropout(self.input_dropout),
            torch.nn.Linear(X.shape[1], self.hidden_size),
            torch.nn.GELU(),
            torch.nn.Dropout(self.dropout),
            torch.nn.Linear(self.hidden_size, k),
        )
        optimiser = torch.optim.AdamW(net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        features = torch.from_numpy(X)
        order = torch.Generator().manual_seed(self.random_state)
        net.train()
        batches_per_epoch = -(-len(features) // self.batch_size)
        epochs = max(self.epochs, -(-self.min_steps // batches_per_epoch))
        for epoch in range(epochs):
            total = 0.0
            perm = torch.randperm(len(features), generator=order)
            for start in range(0, len(features), self.batch_size):
                batch = perm[start : start + self.batch_size]
                optimiser.zero_grad()
                loss = loss_fn(net(features[batch]), target[batch])
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * len(batch)
            if progress is not None:
                progress(epoch + 1, epochs, total / len(features))
        hidden, output = net[1], net[4]
        self.hidden_weight_ = hidden.weight.detach().numpy().astype(np.float64)
        self.hidden_bias_ = hidden.bias.detach().numpy().astype(np.float64)
        self.output_weight_ = output.weight.detach().numpy().astype(np.float64)
        self.output_bias_ = output.bias.detach().numpy().astype(np.float64)
        self._finish_fit(names, X.shape[1])
        return self

    def _logits(self, X: np.ndarray) -> np.ndarray:
        # Dropout is off at prediction time.
        h = _gelu(X @ self.hidden_weight_.T + self.hidden_bias_)
        return h @ self.output_weight_.T + self.output_bias_

    def _n_features_from_weights(self) -> int:
        return int(self.hidden_weight_.shape[1])
