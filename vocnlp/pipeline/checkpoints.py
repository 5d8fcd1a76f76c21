"""Finished chunks on disk, so a killed run resumes where it stopped (``vocnlp run --resume``).

Each chunk's annotated rows, theme mentions and near misses are written as Parquet files (and its comment
vectors as ``.npy`` when the run adapts sentiment) into a hidden folder beside ``--out``, each file moved into
place only once complete. The folder carries a fingerprint of what makes the chunks valid (vocnlp's version, the
resolved configuration, the input file's bytes, the chunk size); a resumed run uses the chunks only when the
fingerprint matches, and otherwise starts again and says why. Every run reads its chunks back from these files,
resumed or not, so a resumed run and an uninterrupted one assemble the same tables from the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

_log = logging.getLogger(__name__).info
WORK_PREFIX = ".vocnlp-chunks-"
FINGERPRINT = "fingerprint.json"


def work_folder(out_dir: str | Path) -> Path:
    """The hidden folder beside ``out_dir`` that holds a run's finished chunks until the run is published."""
    out = Path(out_dir).absolute()
    return out.parent / f"{WORK_PREFIX}{out.name}"


@dataclass
class ChunkParts:
    """One chunk's results: annotated rows, mentions, near misses and (when kept) comment vectors."""

    comments: pd.DataFrame
    mentions: pd.DataFrame | None
    near_misses: pd.DataFrame | None
    vectors: np.ndarray | None


class ChunkStore:
    """The finished chunks of one run, keyed by chunk number, valid for one fingerprint."""

    def __init__(self, folder: str | Path, fingerprint: dict, resume: bool = False):
        """Open ``folder`` for a run described by ``fingerprint``; with ``resume``, keep chunks a killed run with
        the same fingerprint finished, otherwise start empty."""
        self.folder = Path(folder)
        self.fingerprint = fingerprint
        self.resumed: list[int] = []
        kept = resume and self._matches()
        if resume and not kept:
            reason = "no earlier run left chunks there" if not self.folder.is_dir() else self._mismatch()
            _log(f"--resume: starting from the first chunk ({reason}).")
        if not kept:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True)
            self._write_atomic(FINGERPRINT, json.dumps(fingerprint, indent=2, sort_keys=True).encode("utf-8"))
        self.finished = {int(p.stem.split("-")[1]) for p in self.folder.glob("done-*.json")}
        if kept:
            _log(f"--resume: {len(self.finished)} finished chunk(s) found in {self.folder}; they are not re-analysed.")

    def _stored_fingerprint(self) -> dict | None:
        try:
            return json.loads((self.folder / FINGERPRINT).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _matches(self) -> bool:
        return self._stored_fingerprint() == json.loads(json.dumps(self.fingerprint, sort_keys=True))

    def _mismatch(self) -> str:
        stored = self._stored_fingerprint()
        if stored is None:
            return "the earlier run's fingerprint is missing or damaged"
        changed = sorted(k for k in set(stored) | set(self.fingerprint) if stored.get(k) != self.fingerprint.get(k))
        return f"{', '.join(changed)} changed since the killed run"

    def _write_atomic(self, name: str, data: bytes) -> None:
        partial = self.folder / f".{name}.partial"
        partial.write_bytes(data)
        os.replace(partial, self.folder / name)

    def _path(self, kind: str, index: int, suffix: str = ".parquet") -> Path:
        return self.folder / f"{kind}-{index:06d}{suffix}"

    def save(self, index: int, parts: ChunkParts) -> None:
        """Write chunk ``index``'s files, then its ``done`` marker: a chunk without a marker is re-analysed."""
        for kind, frame in (("comments", parts.comments), ("mentions", parts.mentions), ("near", parts.near_misses)):
            if frame is not None:
                partial = self.folder / f".{kind}-{index:06d}.partial"
                frame.to_parquet(partial, index=False)
                os.replace(partial, self._path(kind, index))
        if parts.vectors is not None:
            partial = self.folder / f".vectors-{index:06d}.partial.npy"
            np.save(partial, parts.vectors, allow_pickle=False)
            os.replace(partial, self._path("vectors", index, ".npy"))
        self._write_atomic(f"done-{index:06d}.json", json.dumps({"rows": len(parts.comments)}).encode("utf-8"))
        self.finished.add(index)

    def save_input(self, index: int, rows: pd.DataFrame) -> None:
        """Keep chunk ``index``'s input rows on disk until it is analysed, so the run need not hold the input."""
        partial = self.folder / f".input-{index:06d}.partial"
        rows.to_parquet(partial)  # with its row numbers, as the in-memory slice has them
        os.replace(partial, self._path("input", index))

    def load_input(self, index: int) -> pd.DataFrame:
        """Chunk ``index``'s input rows, as :meth:`save_input` kept them."""
        return pd.read_parquet(self._path("input", index))

    def drop_input(self, index: int) -> None:
        """Remove chunk ``index``'s input rows once its results are saved (they are in them now)."""
        self._path("input", index).unlink(missing_ok=True)

    def load(
        self,
        index: int,
        comment_columns: Callable[[list[str]], list[str]] | None = None,
        mention_columns: Callable[[list[str]], list[str]] | None = None,
        near_misses: bool = True,
    ) -> ChunkParts:
        """Chunk ``index`` as written by :meth:`save`; ``comment_columns`` / ``mention_columns`` choose the columns
        read from each file's names (all when None), and ``near_misses=False`` leaves them on disk."""

        def frame(kind: str, columns: Callable[[list[str]], list[str]] | None = None) -> pd.DataFrame | None:
            path = self._path(kind, index)
            if not path.is_file():
                return None
            chosen = None if columns is None else columns(pq.read_schema(path).names)
            return pd.read_parquet(path, columns=chosen)

        vectors = self._path("vectors", index, ".npy")
        comments = frame("comments", comment_columns)
        assert comments is not None  # save() always writes it before the done marker
        return ChunkParts(
            comments,
            frame("mentions", mention_columns),
            frame("near") if near_misses else None,
            np.load(vectors, allow_pickle=False) if vectors.is_file() else None,
        )

    def input_digest(self, index: int) -> str | None:
        """SHA-256 of chunk ``index``'s input file (None once the chunk is finished and its input dropped)."""
        path = self._path("input", index)
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None

    def chunk_files(self, index: int) -> dict[str, Path]:
        """Finished chunk ``index``'s result files by kind (``comments.parquet``, ``mentions.parquet``…)."""
        candidates = {f"{kind}.parquet": self._path(kind, index) for kind in ("comments", "mentions", "near")}
        candidates["vectors.npy"] = self._path("vectors", index, ".npy")
        return {name: path for name, path in candidates.items() if path.is_file()}

    def adopt(self, index: int, files: dict[str, Path], rows: int) -> None:
        """Take ``files`` (as :meth:`chunk_files` names them, e.g. from a chunk cache) as chunk ``index``'s results
        and mark it finished, as if it had been analysed and saved here."""
        for name, source in files.items():
            kind, suffix = name.split(".", 1)
            target = self._path(kind, index, f".{suffix}")
            partial = self.folder / f".{target.name}.partial"
            partial.unlink(missing_ok=True)
            link_or_copy(source, partial)
            os.replace(partial, target)
        self._write_atomic(f"done-{index:06d}.json", json.dumps({"rows": rows}).encode("utf-8"))
        self.finished.add(index)
        self.drop_input(index)

    def remove(self) -> None:
        """Delete the folder once the run is published (its chunks are in the outputs now)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def link_or_copy(source: Path, target: Path) -> None:
    """A hard link where the file system allows one (the files are never changed in place), a copy elsewhere."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


__all__ = ["ChunkParts", "ChunkStore", "WORK_PREFIX", "link_or_copy", "work_folder"]
