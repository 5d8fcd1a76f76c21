"""A dump written as several files (a folder, or a glob such as ``export/part-*.parquet``), read as one table.

Data platforms export large tables as parts; an analyst should not have to join them first. The parts are read
in name order with the usual readers and must have the same columns. ``source_row`` keeps counting across the
parts (the rows of the second part continue where the first part's lines stopped), so it stays unique and
``row-N`` ids do not collide; the summary's validation lists each part's first and last ``source_row``, which
takes a row back to its file and line.
"""

from __future__ import annotations

import glob
import hashlib
from pathlib import Path

import pandas as pd

from vocnlp.errors import InputFileError
from vocnlp.io.readers import SUPPORTED, RawTable, read_table
from vocnlp.io.run_folder import file_digest
from vocnlp.io.text_records import UnreadableRow

_GLOB_CHARACTERS = set("*?[")


def is_parts(path: str | Path) -> bool:
    """Whether ``path`` names several files: an existing folder, or a glob pattern that is not itself a file."""
    path = Path(path)
    return path.is_dir() or (not path.exists() and bool(_GLOB_CHARACTERS & set(str(path))))


def part_files(path: str | Path) -> list[Path]:
    """The files of a folder (those with a dump suffix, hidden ones left out) or of a glob, in name order."""
    path = Path(path)
    if path.is_dir():
        found = [p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "_"))]
        files = sorted(p for p in found if p.suffix.lower() in SUPPORTED)
        where = f"folder '{path}'"
    else:
        files = sorted(Path(p) for p in glob.glob(str(path)) if Path(p).is_file())
        where = f"pattern '{path}'"
    if not files:
        raise InputFileError(
            f"The {where} holds no comment dump.", "Give a folder or pattern with " + ", ".join(SUPPORTED) + " files."
        )
    return files


def parts_digest(path: str | Path) -> str:
    """SHA-256 over the parts' names and bytes, in order: changes when any part is added, removed or edited."""
    digest = hashlib.sha256()
    for part in part_files(path):
        digest.update(f"{part.name}\0{file_digest(part)}\n".encode("utf-8"))
    return digest.hexdigest()


def read_parts(path: str | Path, **reader_options) -> RawTable:
    """Every part of ``path`` as one :class:`RawTable` (``reader_options`` go to :func:`read_table`)."""
    frames: list[pd.DataFrame] = []
    source_rows: list[int] = []
    unreadable: list[UnreadableRow] = []
    ragged: set[int] = set()
    described: list[dict] = []
    blank, offset, columns, details = 0, 0, None, {}
    for part in part_files(path):
        raw = read_table(part, **reader_options)
        names = [str(c) for c in raw.frame.columns]
        if columns is None:
            columns, details = names, raw.details  # a survey platform's question texts come with the first part
        elif set(names) != set(columns):
            missing, extra = sorted(set(columns) - set(names)), sorted(set(names) - set(columns))
            raise InputFileError(
                f"Part '{part.name}' does not have the columns of '{described[0]['file']}' "
                f"(missing: {missing or 'none'}; extra: {extra or 'none'}).",
                "Every part of a dump needs the same columns; export them again with one schema.",
            )
        ragged |= {len(source_rows) + i for i in raw.ragged_rows}
        frames.append(raw.frame[columns])
        source_rows += [offset + r for r in raw.source_rows]
        unreadable += [UnreadableRow(offset + u.line, f"{part.name}: {u.reason}", u.excerpt) for u in raw.unreadable]
        blank += raw.blank_lines
        last = max([*raw.source_rows, *(u.line for u in raw.unreadable), 0])
        described.append(
            {
                "file": part.name,
                "rows": len(raw.frame),
                "first_source_row": offset + 1,
                "last_source_row": offset + last,
            }
        )
        offset += last
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return RawTable(frame, source_rows, unreadable, ragged, blank, {**details, "parts": described})


def read_dump(path: str | Path, **reader_options) -> RawTable:
    """One dump file, or the parts of a folder or glob (:func:`read_parts`)."""
    return read_parts(path, **reader_options) if is_parts(path) else read_table(path, **reader_options)


def dump_digest(path: str | Path) -> str:
    """SHA-256 of a dump file, or of its parts (:func:`parts_digest`)."""
    return parts_digest(path) if is_parts(path) else file_digest(path)


__all__ = ["dump_digest", "is_parts", "part_files", "parts_digest", "read_dump", "read_parts"]
