"""A bounded LRU cache in front of a backbone, emptied at each chunk's start.

Survey dumps repeat short answers ("ok", "RAS", "rien à signaler") thousands of
times; within a chunk each is embedded once, and the bound keeps memory flat.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from vocnlp.modeling.encoders.backends import EmbeddingBackend
from vocnlp.modeling.encoders.disk_cache import DiskVectorCache


class CachedEncoder:
    """Embed texts once: duplicates within a call and across calls since :meth:`forget` are reused."""

    def __init__(self, backend: EmbeddingBackend, max_entries: int = 50_000, disk: DiskVectorCache | None = None):
        """``disk``: vectors kept between runs (:mod:`vocnlp.modeling.encoders.disk_cache`), read before
        embedding and written after."""
        self.backend = backend
        self.max_entries = max_entries
        self.disk = disk
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.requested = 0
        self.computed = 0

    def forget(self) -> None:
        """Empty the cache (the pipeline does so at each chunk's start).

        A text's vector can differ in the last bits with the texts batched beside it (BLAS picks its kernels by
        matrix size), so a cache carried across chunks would make a chunk's figures depend on the chunks before
        it; emptied per chunk, a chunk's results depend on its own rows only, which is what lets a resumed run
        or a reused pipeline give the same bytes as a fresh one. Repeats within a chunk are still embedded once.
        """
        self._cache.clear()

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
            stored = self.disk.get(unique) if self.disk is not None else {}
            missing = [t for t in unique if t not in stored]
            vectors = self.backend.encode(missing) if missing else np.zeros((0, self.backend.dim), np.float32)
            self.computed += len(missing)
            if self.disk is not None and missing:
                self.disk.put(missing, vectors)
            for text, vec in [*stored.items(), *zip(missing, vectors)]:
                out[todo[text]] = vec
                self._cache[text] = vec
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return out
