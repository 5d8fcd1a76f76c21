"""Write a run's outputs: comments, mentions and the wide theme table (Parquet + CSV), drivers, scores, codebook,
summary, resolved config, Excel."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from vocnlp.config import RunConfig
from vocnlp.io.exports import WORKBOOK, themes_wide, write_excel
from vocnlp.io.row_tables import row_chunks, write_row_tables
from vocnlp.io.run_folder import FILES, publish, start_staging, write_manifest
from vocnlp.io.spreadsheet_safety import write_spreadsheet_csv


def jsonable(value):
    """``value`` with numpy scalars as Python numbers and NaN as null, ready for json.dumps."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) else round(float(value), 6)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def write_outputs(result, out_dir: str | Path, config: RunConfig, formats: list[str] | None = None) -> dict[str, Path]:
    """Write every output file into ``out_dir``; returns {name: path}.

    Always: comments.parquet, mentions.parquet (the long form: one row per comment and theme), near_misses.parquet
    (clauses given no theme that came close to one, for the review queue), themes_wide.parquet
    (one 0/1 column per theme), codebook.csv, drivers.csv, scores_by_group.csv, score_comparisons.csv,
    summary.json, validation.json, config.resolved.yaml. ``csv`` adds comments.csv, mentions.csv and
    themes_wide.csv; ``xlsx`` adds vocnlp_results.xlsx. CSV files are UTF-8 with a byte-order mark, their text
    guarded against formula injection unless ``output.excel_safe_csv`` is false (:mod:`vocnlp.io.spreadsheet_safety`).
    The files are written into a staging folder beside ``out_dir`` and moved into place once all are written, with
    manifest.json last (:mod:`vocnlp.io.run_folder`): ``out_dir`` holds the whole new run, or the previous one.
    """
    formats = list(dict.fromkeys(formats if formats is not None else config.output.formats))
    staging = start_staging(out_dir)
    try:
        counts = _write_files(result, staging, config, formats)
        write_manifest(staging, {"comments": counts["comments"], "mentions": counts["mentions"]})
        final = publish(staging, out_dir)
    except BaseException:  # Ctrl-C included: nothing half-written is left beside --out
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {p.name: final / p.name for p in sorted(final.iterdir()) if p.is_file()}


def _write_files(result, out: Path, config: RunConfig, formats: list[str]) -> dict[str, int]:
    """Every output file of the run, written into ``out`` (the staging folder); returns the row counts."""
    guard = config.output.excel_safe_csv
    counts = write_row_tables(result, out, csv="csv" in formats, guard=guard)
    write_spreadsheet_csv(result.codebook, out / FILES.codebook, guard=guard)
    write_spreadsheet_csv(result.drivers, out / FILES.drivers, guard=guard)
    for name in ("scores_by_group", "score_comparisons"):
        write_spreadsheet_csv(getattr(result, name), out / f"{name}.csv", guard=guard)
    summary = {**result.summary, "meta": result.meta}
    (out / FILES.summary).write_text(
        json.dumps(jsonable(summary), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / FILES.validation).write_text(
        json.dumps(jsonable(result.validation), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / FILES.config).write_text(config.to_yaml(), encoding="utf-8")
    if "xlsx" in formats:
        # The workbook holds every sheet in memory (openpyxl): built from the full rows only when asked for.
        whole = _in_memory(result)
        write_excel(
            whole, out / WORKBOOK, config, whole.codebook, themes_wide(whole.comments, whole.mentions, whole.codebook)
        )
    return counts


def _in_memory(result):
    """``result`` with its full rows in memory (read back from its chunk files when it kept them on disk)."""
    if getattr(result, "rows_on_disk", None) is None:
        return result
    chunks = list(row_chunks(result))
    joined = {name: pd.concat([c[name] for c in chunks], ignore_index=True) for name in chunks[0]} if chunks else {}
    return dataclasses.replace(result, rows_on_disk=None, **joined)
