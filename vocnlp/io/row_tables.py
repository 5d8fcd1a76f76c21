"""The per-comment tables of a run (comments, mentions, near misses, the wide theme table), written chunk by chunk.

A run that kept its chunks on disk (:mod:`vocnlp.pipeline.checkpoints`) holds only the analysis columns in memory;
its full rows are read back one chunk at a time and appended to Parquet (one row group per chunk) and CSV, so
writing takes the memory of one chunk whatever the number of rows. A result held in memory is written the same
way, as a single chunk. Each table gets the dtypes its chunks would have had as one concatenated frame: a first
pass reads their dtypes, a second their Arrow types under those dtypes, the third casts every chunk and writes it.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import IO, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from vocnlp.analysis.adaptation import ADAPTED_COLUMNS
from vocnlp.io.exports import themes_wide
from vocnlp.io.run_folder import FILES
from vocnlp.io.spreadsheet_safety import guarded

# table → (Parquet file, CSV file or None)
TABLES = {
    "comments": (FILES.comments, FILES.comments_csv),
    "mentions": (FILES.mentions, FILES.mentions_csv),
    "near_misses": (FILES.near_misses, None),
    "themes_wide": (FILES.themes_wide, FILES.themes_wide_csv),
}
_CSV_OPTIONS = {"comments": {"date_format": "%Y-%m-%d"}}


def row_chunks(result) -> Iterator[dict[str, pd.DataFrame]]:
    """The run's full per-comment tables, one chunk at a time ({table: frame}).

    From the chunk files when the run kept them (the sentiment columns that adaptation rewrote after the chunks
    were saved are taken from ``result.comments``), otherwise the in-memory tables as one chunk.
    """
    store = getattr(result, "rows_on_disk", None)
    if store is None or not store.finished:
        yield {"comments": result.comments, "mentions": result.mentions, "near_misses": result.near_misses}
        return
    # Only adaptation rewrites columns after the chunks were saved (it adds sentiment_score_model).
    adapted = [c for c in ADAPTED_COLUMNS if c in result.comments] if "sentiment_score_model" in result.comments else []
    start = 0
    for index in sorted(store.finished):
        parts = store.load(index)
        rows = parts.comments
        analysed = result.comments.iloc[start : start + len(rows)]
        start += len(rows)
        for column in adapted:
            rows[column] = analysed[column].to_numpy()
        yield {
            "comments": rows,
            "mentions": parts.mentions if parts.mentions is not None else result.mentions.iloc[:0],
            "near_misses": parts.near_misses if parts.near_misses is not None else result.near_misses.iloc[:0],
        }


def _with_wide(chunk: dict[str, pd.DataFrame], book: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {**chunk, "themes_wide": themes_wide(chunk["comments"], chunk["mentions"], book)}


def write_row_tables(result, out: Path, *, csv: bool, guard: bool) -> dict[str, int]:
    """Write comments, mentions, near misses and the wide theme table (Parquet; CSV too with ``csv``) into ``out``;
    returns each table's row count."""
    heads: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    for chunk in row_chunks(result):
        for name, frame in _with_wide(chunk, result.codebook).items():
            heads[name].append(_empty_like(frame))
    # pandas' own rule for the dtype of concatenated frames, read from empty ones: no rows held.
    dtypes = {name: pd.concat(parts, ignore_index=True).dtypes for name, parts in heads.items()}
    # Arrow types need the values (an object column of text, or only empty cells): a second pass reads them.
    schemas: dict[str, list[pa.Schema]] = {name: [] for name in TABLES}
    for chunk in row_chunks(result):
        for name, frame in _with_wide(chunk, result.codebook).items():
            schemas[name].append(pa.Schema.from_pandas(_as_dtypes(frame, dtypes[name]), preserve_index=False))
    fields = {name: pa.unify_schemas(parts, promote_options="permissive") for name, parts in schemas.items()}
    counts = dict.fromkeys(TABLES, 0)
    parquet: dict[str, pq.ParquetWriter] = {}
    with ExitStack() as stack:
        texts: dict[str, IO[str]] = {
            name: stack.enter_context(open(out / csv_name, "w", encoding="utf-8-sig", newline=""))
            for name, (_, csv_name) in TABLES.items()
            if csv and csv_name
        }
        for chunk in row_chunks(result):
            for name, frame in _with_wide(chunk, result.codebook).items():
                frame = _as_dtypes(frame, dtypes[name])
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if name not in parquet:
                    # The first chunk's pandas metadata (dtypes already unified) with every chunk's Arrow types.
                    schema = fields[name].with_metadata(table.schema.metadata)
                    parquet[name] = stack.enter_context(pq.ParquetWriter(out / TABLES[name][0], schema))
                parquet[name].write_table(table.cast(parquet[name].schema))
                if name in texts:
                    (guarded(frame) if guard else frame).to_csv(
                        texts[name],
                        index=False,
                        header=counts[name] == 0,
                        lineterminator="\r\n",
                        **_CSV_OPTIONS.get(name, {}),
                    )
                counts[name] += len(frame)
    return counts


def _empty_like(frame: pd.DataFrame) -> pd.DataFrame:
    """No rows, ``frame``'s columns and dtypes. Not ``frame.iloc[:0]``: an empty slice of an Arrow-backed column
    keeps the whole chunk's buffers alive, and one is kept per chunk."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in frame.dtypes.items()}, columns=frame.columns)


def _as_dtypes(frame: pd.DataFrame, dtypes: pd.Series) -> pd.DataFrame:
    """``frame`` with the dtypes of the whole table (only the columns that differ are converted)."""
    differ = {c: t for c, t in dtypes.items() if c in frame and frame[c].dtype != t}
    return frame.astype(differ) if differ else frame


__all__ = ["TABLES", "row_chunks", "write_row_tables"]
