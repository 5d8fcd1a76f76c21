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
        out, todo, stored, missing = self._look_up(texts)
        self._fill(out, todo, stored, missing, self.backend.encode(missing) if missing else self._none())
        return out

    def encode_joined(
        self, texts: list[str], wholes: list[str], joins: list[list[int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings for ``texts`` and for ``wholes``, each made of ``texts[joins[j]]`` in order (a comment and
        its sentences). Where the backbone can build a whole text's vector from its parts' token features and
        every part is embedded in this call, it does (``encode_joined``); other whole texts are embedded."""
        joined = getattr(self.backend, "encode_joined", None)
        if joined is None:
            vectors = self.encode(texts + wholes)
            return vectors[: len(texts)], vectors[len(texts) :]
        out, todo, stored, missing = self._look_up(texts)
        whole_out, whole_todo, whole_stored, whole_missing = self._look_up(wholes)
        position = {text: i for i, text in enumerate(missing)}
        parts_of = {wholes[rows[0]]: [texts[i] for i in joins[rows[0]]] for rows in whole_todo.values()}
        buildable = {w: all(part in position for part in parts_of[w]) for w in whole_missing}
        built = [w for w in whole_missing if buildable[w]]
        alone = [w for w in whole_missing if not buildable[w]]
        if missing:
            vectors, built_vectors = joined(missing, built, [[position[p] for p in parts_of[w]] for w in built])
        else:
            vectors, built_vectors = self._none(), self._none()
        self._fill(out, todo, stored, missing, vectors)
        by_text = dict(zip(built, built_vectors))
        if alone:
            by_text.update(zip(alone, self.backend.encode(alone)))
        self._fill(whole_out, whole_todo, whole_stored, whole_missing, np.asarray([by_text[w] for w in whole_missing]))
        return out, whole_out

    def _none(self) -> np.ndarray:
        return np.zeros((0, self.backend.dim), np.float32)

    def _look_up(self, texts: list[str]) -> tuple[np.ndarray, dict[str, list[int]], dict, list[str]]:
        """The vectors already known (rows of the output), the rows of each text still to find, the texts the disk
        cache holds, and the texts to embed (sorted: batch composition does not depend on row order)."""
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
        unique = sorted(todo)
        stored = self.disk.get(unique) if self.disk is not None and unique else {}
        return out, todo, stored, [t for t in unique if t not in stored]

    def _fill(
        self, out: np.ndarray, todo: dict[str, list[int]], stored: dict, missing: list[str], vectors: np.ndarray
    ) -> None:
        """Write found and computed vectors into their rows, the cache and the disk cache."""
        self.computed += len(missing)
        if self.disk is not None and missing:
            self.disk.put(missing, vectors)
        for text, vec in [*stored.items(), *zip(missing, vectors)]:
            out[todo[text]] = vec
            self._cache[text] = vec
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)
