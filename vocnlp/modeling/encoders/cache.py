"""A bounded LRU cache in front of a backbone.

Survey dumps repeat short answers ("ok", "RAS", "rien à signaler") thousands of
times; caching them saves most of the embedding time, and the bound keeps memory
flat however many chunks a run has.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from vocnlp.modeling.encoders.backends import EmbeddingBackend


class CachedEncoder:
    """Embed texts once: duplicates within a call and across recent calls are reused."""

    def __init__(self, backend: EmbeddingBackend, max_entries: int = 50_000):
        self.backend = backend
        self.max_entries = max_entries
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.requested = 0
        self.computed = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return embeddings for ``texts`` in order, computing only unseen ones."""
        out = np.zeros((len(texts), self.backend.dim), dtype=np.float32)
        self.requested += len(texts)
        todo: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            vec = self._cache.get(text)
            if vec is not None:
                self._cache.move_to_end(text)
                out[i] = vec
            else:
                todo.setdefault(text, []).append(i)
        if todo:
            # Sorted order makes batch composition independent of row order.
            unique = sorted(todo)
            vectors = self.backend.encode(unique)
            self.computed += len(unique)
            for text, vec in zip(unique, vectors):
                out[todo[text]] = vec
                self._cache[text] = vec
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return out
