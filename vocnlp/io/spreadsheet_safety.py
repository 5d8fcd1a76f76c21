"""Outputs that a spreadsheet opens as data, never as formulas (CSV / formula injection).

Customer comments and segment values are written by outsiders: a comment that starts with ``=HYPERLINK(...)``
or ``@SUM(...)`` runs as a formula when an analyst opens the export in Excel or LibreOffice. Following OWASP's
advice on CSV injection, text cells of the CSV files meant for spreadsheets that start with ``= + - @``, a tab or
a carriage return get a leading apostrophe, which spreadsheets show as text; the workbook stores such cells as
text, never as formulas. Parquet files keep every text exactly as read. ``output.excel_safe_csv: false`` writes
the CSV text exactly as read too, for programs that read the CSV files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"


def guard_text(value):
    """``value`` with a leading apostrophe when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return GUARD + value
    return value


def unguard_text(value):
    """The text as it was before :func:`guard_text` (for files the analyst edits and gives back)."""
    if isinstance(value, str) and value.startswith(GUARD) and value[1:2] and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def holds_text(values: pd.Series) -> bool:
    """Object or string columns (pandas' ``str`` dtype included): the ones that can hold customers' text."""
    return values.dtype == object or isinstance(values.dtype, pd.StringDtype)


def guarded(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot start a formula; numbers are untouched."""
    out = frame.copy()
    for column in out.columns:
        if holds_text(out[column]):
            out[column] = _guarded_column(out[column])
    out.columns = [guard_text(str(c)) for c in out.columns]
    return out


def _guarded_column(values: pd.Series) -> pd.Series:
    """:func:`guard_text` on every cell; the vectorised test finds the few cells to change (a Python call per cell
    took ~4 µs, seconds over a million-row export)."""
    try:
        starts = values.str.startswith(FORMULA_STARTS, na=False).to_numpy(dtype=bool)
    except AttributeError:  # an object column without text (.str refuses it): cell by cell
        return values.map(guard_text, na_action="ignore")
    if not starts.any():
        return values
    values = values.copy()
    values[starts] = values[starts].map(guard_text)
    return values


def write_spreadsheet_csv(frame: pd.DataFrame, path: str | Path, *, guard: bool = True, **options) -> Path:
    """Write ``frame`` as UTF-8 CSV with a byte-order mark (so Excel reads accents on double click), text guarded
    against formula injection unless ``guard`` is false.

    Lines end with CRLF (RFC 4180): the writer then quotes every field holding a carriage return, which a reader
    would otherwise take for the end of the record.
    """
    (guarded(frame) if guard else frame).to_csv(
        path, index=False, encoding="utf-8-sig", lineterminator="\r\n", **options
    )
    return Path(path)


def read_spreadsheet_csv(path: str | Path) -> pd.DataFrame:
    """A CSV written by :func:`write_spreadsheet_csv`, with the guard apostrophes taken off text and column names."""
    frame = pd.read_csv(path, encoding="utf-8-sig")
    for column in frame.columns:
        if holds_text(frame[column]):
            frame[column] = frame[column].map(unguard_text, na_action="ignore")
    frame.columns = [unguard_text(str(c)) for c in frame.columns]
    return frame
