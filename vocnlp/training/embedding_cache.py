"""Embedding training splits once: vectors are cached on disk by backbone and text content.

Training, evaluation and the benchmarks embed the same public splits again and
again; a run reads them back instead (``$VOCNLP_CACHE``, default ``~/.cache/vocnlp``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path

import numpy as np

from vocnlp.training.datasets import LabelledSplit

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info


def embedding_cache_dir() -> Path:
    """Where training embeddings are cached between runs ($VOCNLP_CACHE or ~/.cache/vocnlp)."""
    return Path(os.environ.get("VOCNLP_CACHE", Path.home() / ".cache" / "vocnlp")) / "embeddings"


def _cached_vectors(folder: Path, texts: list[str]) -> tuple[np.ndarray | None, np.ndarray]:
    """Vectors for ``texts`` already computed for other splits (the same sentence recurs across
    label spaces of one corpus); returns (vectors or None, mask of texts found)."""
    wanted = {t: i for i, t in enumerate(texts)}
    found = np.zeros(len(texts), dtype=bool)
    vectors = None
    for listing in sorted(folder.glob("*.txt")):
        cached_texts = listing.read_text(encoding="utf-8").split("\n")
        hits = [(wanted[t], j) for j, t in enumerate(cached_texts) if t in wanted and not found[wanted[t]]]
        if not hits:
            continue
        stored = np.load(listing.with_suffix(".npy"), mmap_mode="r")
        if vectors is None:
            vectors = np.zeros((len(texts), stored.shape[1]), dtype=np.float32)
        rows, src = np.asarray(hits).T
        vectors[rows] = stored[src]
        found[rows] = True
        if found.all():
            break
    return vectors, found


def embed_split(split: LabelledSplit, backbone, log=_log) -> np.ndarray:
    """Embed a split's texts, reusing cached vectors of the same texts (keyed by backbone and content)."""
    if hasattr(backbone, "parts"):
        # A concatenated backbone is cached part by part, so each part's cache serves it too.
        scale = 1.0 / np.sqrt(len(backbone.parts))
        return np.hstack([embed_split(split, part, log) * scale for part in backbone.parts]).astype(np.float32)
    texts = [t.replace("\n", " ") for t in split.texts]
    if not getattr(backbone, "cacheable", True):
        return backbone.encode(texts)
    digest = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]
    folder = embedding_cache_dir() / backbone.name.replace("/", "_").replace(":", "_")
    path = folder / f"{split.name}-{digest}.npy"
    if path.is_file():
        return np.load(path)
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    vectors, found = _cached_vectors(folder, texts)
    missing = [t for t, f in zip(texts, found) if not f]
    if missing:
        fresh = backbone.encode(missing)
        vectors = fresh if vectors is None else vectors
        vectors[~found] = fresh
    log(
        f"  embedded {split.name}: {len(missing):,} new texts ({len(texts) - len(missing):,} cached) "
        f"in {time.perf_counter() - start:.0f}s"
    )
    np.save(path, vectors)  # type: ignore[arg-type]  # None only for a split with no texts, saved as before
    path.with_suffix(".txt").write_text("\n".join(texts), encoding="utf-8")
    return vectors  # type: ignore[return-value]  # None only for a split with no texts
