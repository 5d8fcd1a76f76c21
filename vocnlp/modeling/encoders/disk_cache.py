"""Sentence vectors kept on disk between runs, keyed by (encoder, text): a re-run on the same dump (after a
taxonomy edit, say) reads them back instead of embedding again.

One SQLite file per encoder and version in the folder given (``embed.cache_dir`` / ``vocnlp run
--embedding-cache``); SQLite is in Python's standard library and lets a killed run leave only whole rows. A stored
vector is the one the first run computed: a text's vector can differ from a fresh one in the last bits with the
texts batched beside it, so figures agree with an uncached run to about 1e-7, and a re-run of the same dump with
the same chunk size gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import numpy as np

_BATCH = 500  # keys per SELECT (SQLite's bound-parameter limit is far above)


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


class DiskVectorCache:
    """Vectors of one encoder (name and version) in a SQLite file under ``folder``."""

    def __init__(self, folder: str | Path, encoder_name: str, encoder_version: str, dim: int):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        label = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{encoder_name}-{encoder_version}")
        self.path = folder / f"{label}.sqlite"
        self.dim = dim
        self._db = sqlite3.connect(self.path)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
        self._db.commit()
        self.hits = 0

    def get(self, texts: list[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those ``texts`` that have one."""
        keys = {_key(t): t for t in texts}
        found: dict[str, np.ndarray] = {}
        wanted = list(keys)
        for start in range(0, len(wanted), _BATCH):
            part = wanted[start : start + _BATCH]
            rows = self._db.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})", part
            ).fetchall()
            for key, blob in rows:
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape == (self.dim,):  # a damaged row is embedded again, not trusted
                    found[keys[key]] = vector
        self.hits += len(found)
        return found

    def put(self, texts: list[str], vectors: np.ndarray) -> None:
        """Store ``vectors`` (one row per text); a text already stored keeps its first vector."""
        rows = [(_key(t), np.ascontiguousarray(v, dtype=np.float32).tobytes()) for t, v in zip(texts, vectors)]
        with self._db:  # one transaction: all of a chunk's vectors, or none
            self._db.executemany("INSERT OR IGNORE INTO vectors (key, vector) VALUES (?, ?)", rows)

    def close(self) -> None:
        """Close the SQLite file."""
        self._db.close()


__all__ = ["DiskVectorCache"]
