"""A CSV dump read, validated and put on disk chunk by chunk, so that a run never holds the whole input in memory.

Two passes over the file. The first keeps only what validation needs from whole columns: the id and date columns,
and the columns whose question wording could give an open role. The second validates each chunk of rows with those
whole-column results and writes it where the run's chunks wait to be analysed (:class:`ChunkStore`). The rows, their
order, their chunks and every validation figure are those of reading the file whole and validating it
(:func:`vocnlp.io.validate.validate`); a folder of parts, a workbook, a Parquet or JSON file and a survey platform's
export are read whole, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vocnlp.config import RunConfig
from vocnlp.errors import ColumnMappingError, InputFileError
from vocnlp.io.column_roles import named_column
from vocnlp.io.parts import is_parts
from vocnlp.io.readers import CSV_SUFFIXES, CsvReading, RawTable
from vocnlp.io.survey_exports import question_columns, unwrap_survey_export
from vocnlp.io.validate import (
    ColumnPlan,
    FlagTally,
    TableWide,
    ValidatedTable,
    open_roles,
    plan_columns,
    table_wide,
    validate_rows,
    wide_columns,
)
from vocnlp.pipeline.checkpoints import ChunkStore
from vocnlp.pipeline.runner import _text_safe_inputs


@dataclass
class StreamedInput:
    """A dump whose validated rows are in a :class:`ChunkStore`: ``raw`` has the header, unreadable records and
    details but no rows; ``table`` has the mapping, the report, the row count and the comment ids."""

    raw: RawTable
    table: ValidatedTable


def streams(path: str | Path) -> bool:
    """Whether :func:`stream_into_store` reads ``path`` chunk by chunk (one delimited text file)."""
    return not is_parts(path) and Path(path).suffix.lower() in CSV_SUFFIXES


def stream_into_store(path: str | Path, config: RunConfig, store: ChunkStore) -> StreamedInput | None:
    """Validate the CSV dump at ``path`` chunk by chunk (``config.pipeline.chunk_size`` rows each) into ``store``'s
    input chunks (those ``store`` has finished are validated, for the report, but not written again). None when the
    file is not one to read this way (see :func:`streams`; a survey platform's export; no rows): read it whole."""
    if not streams(path):
        return None
    path, settings, size = Path(path), config.input, config.pipeline.chunk_size
    reading = CsvReading(path, encoding=settings.encoding, delimiter=settings.delimiter)
    first = _first_pass(reading, config)
    if first is None:
        return None
    plan, wide, rows_read = first
    columns = reading.header or []

    input_columns = [plan.renamed.get(c, c) for c in columns]
    tally, offset, empty = FlagTally(), 0, None
    for index, chunk in enumerate(reading.chunks(size)):
        frame = chunk.frame
        frame.index = pd.RangeIndex(offset, offset + len(frame))
        out, flags = validate_rows(frame, plan, settings, chunk.ragged_rows, chunk.source_rows, wide, offset)
        tally.add(flags, chunk.source_rows)
        if index not in store.finished:
            store.save_input(index, _text_safe_inputs(out, input_columns))
        if empty is None:
            empty = out.iloc[:0].copy()
        offset += len(frame)
    if offset != rows_read or empty is None:
        raise InputFileError(
            f"'{path.name}' changed while it was being read ({rows_read:,} rows, then {offset:,}).",
            "Run again once the file is complete (copy it elsewhere first if a program is still writing it).",
        )
    summary = reading.table(pd.DataFrame(columns=columns, dtype=object), [], set())
    table = ValidatedTable(empty, plan.mapping_out, tally.report(summary, plan), offset, wide.comment_id)
    return StreamedInput(summary, table)


def _first_pass(reading: CsvReading, config: RunConfig) -> tuple[ColumnPlan, TableWide, int] | None:
    """The column roles and whole-column ids and dates, from one pass that keeps only the columns they read; None
    for a survey platform's export or a file without rows."""
    kept: list[pd.DataFrame] = []
    source_rows: list[np.ndarray] = []
    for chunk in reading.chunks(config.pipeline.chunk_size):
        if not kept:
            if "survey_platform" in unwrap_survey_export(chunk).details:
                return None  # its extra header rows and question texts are read from the whole table
            wanted = _whole_columns_wanted([str(c) for c in chunk.frame.columns], config)
        # As Arrow text: the chunk's Python strings are all freed, none is left pinning its memory pages.
        kept.append(chunk.frame[wanted].astype("str"))
        source_rows.append(np.asarray(chunk.source_rows, dtype=np.int64))
    if not kept:
        return None
    columns = reading.header or []
    gathered = pd.concat(kept, ignore_index=True)
    details = reading.table(pd.DataFrame(columns=columns, dtype=object), [], set()).details
    plan = plan_columns(columns, details, config.input, lambda names: gathered[names])
    if not set(wide_columns(plan)) <= set(gathered.columns):  # a role no first-pass guess foresaw: read it whole
        return None
    wide = table_wide(plan, np.concatenate(source_rows), lambda name: gathered[name], month_first_hint=False)
    return plan, wide, len(gathered)


def _whole_columns_wanted(columns: list[str], config: RunConfig) -> list[str]:
    """The columns the first pass keeps: those a role's name or setting gives the id and date (whose whole column
    validation reads), and those whose wording could give a role no name gives."""
    wanted: list[str] = []
    for role in ("id", "date"):
        try:
            column = named_column(role, columns, config.input.columns)
        except ColumnMappingError:
            column = None  # plan_columns reports it, in its order
        if column is not None and column not in wanted:
            wanted.append(column)
    unnamed = open_roles(columns, config.input)
    worded = question_columns({c: c for c in columns}, unnamed) if unnamed else []
    return wanted + [c for c in worded if c not in wanted]


__all__ = ["StreamedInput", "stream_into_store", "streams"]
