"""Read comment dumps (CSV/TSV, XLSX, Parquet, JSONL) into a DataFrame.

Readers never drop a record silently: every record either becomes a row of
``RawTable.frame`` (with its source line in ``RawTable.source_rows``) or an
entry of ``RawTable.unreadable`` with its line number and the reason.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from vocnlp.errors import InputFileError
from vocnlp.io.survey_exports import unwrap_survey_export
from vocnlp.io.text_records import CsvLines, UnreadableRow, decode, records, sniff_delimiter

CSV_SUFFIXES = {".csv", ".tsv", ".tab", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
SUPPORTED = sorted(CSV_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES | JSONL_SUFFIXES)

# A text file has few NUL bytes; a binary one (or UTF-16 without its byte-order mark) has many.
_BINARY_NUL_SHARE = 0.1


@dataclass
class RawTable:
    """What a reader produced: rows, where each came from, and what failed."""

    frame: pd.DataFrame
    source_rows: list[int]
    unreadable: list[UnreadableRow] = field(default_factory=list)
    ragged_rows: set[int] = field(default_factory=set)
    blank_lines: int = 0
    details: dict = field(default_factory=dict)


def read_table(
    path: str | Path, *, sheet: str | int | None = None, encoding: str | None = None, delimiter: str | None = None
) -> RawTable:
    """Read a comment dump, choosing the reader from the file's suffix and content.

    ``encoding`` and ``delimiter`` override sniffing for CSV; ``sheet`` picks an
    Excel sheet (name or 0-based index; default the first).
    """
    path = Path(path)
    suffix = check_dump_file(path)
    if suffix in CSV_SUFFIXES:
        return unwrap_survey_export(read_csv(path, encoding=encoding, delimiter=delimiter))
    if suffix in EXCEL_SUFFIXES:
        return unwrap_survey_export(read_excel(path, sheet=sheet))
    if suffix in PARQUET_SUFFIXES:
        return read_parquet(path)
    if suffix in JSONL_SUFFIXES:
        return read_jsonl(path)
    if suffix == ".xls":
        raise InputFileError(
            f"'{path.name}' is an old Excel 97-2003 (.xls) workbook, which vocnlp does not read.",
            "Open it in Excel or LibreOffice and save it as .xlsx or .csv.",
        )
    raise InputFileError(
        f"vocnlp cannot read '{path.name}': the file type '{suffix or '(no suffix)'}' is not supported.",
        "Supported types are "
        + ", ".join(SUPPORTED)
        + "; export your survey tool's data to one of them (CSV or XLSX usually).",
    )


def check_dump_file(path: Path) -> str:
    """``path``'s suffix, lower case, once it is known to be a file that is not a misnamed workbook."""
    if not path.exists():
        raise InputFileError(
            f"Input file '{path}' does not exist.", "Check the path (relative paths start from the current folder)."
        )
    if path.is_dir():
        raise InputFileError(f"Input '{path}' is a folder, not a file.", "Pass one file: " + ", ".join(SUPPORTED) + ".")
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04") and suffix not in EXCEL_SUFFIXES:
        raise InputFileError(
            f"'{path.name}' is a zip/Excel file but has the suffix '{suffix}'.",
            "Rename it to .xlsx if it is an Excel workbook, or export the sheet as CSV.",
        )
    return suffix


# ---------------------------------------------------------------- CSV


def free_name(candidates: Iterable[str], taken: set[str]) -> str:
    """The first of ``candidates`` not in ``taken`` (which it joins): ``free_name((f"a.{k}" for k in count(1)), …)``."""
    name = next(c for c in candidates if c not in taken)
    taken.add(name)
    return name


def _unique_header(names: list[str]) -> list[str]:
    """Header names made unique as pandas does (``note``, ``note.1``), skipping names the header already holds:
    ``note,note,note.1`` gives ``note, note.2, note.1``."""
    given = [name.strip() or f"column_{i + 1}" for i, name in enumerate(names)]
    taken = set(given)
    out, used = [], set()
    for name in given:
        if name in used:
            name = free_name((f"{name}.{k}" for k in count(1)), taken)
        used.add(name)
        out.append(name)
    return out


def read_csv(path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> RawTable:
    """Read a delimited text file with sniffed encoding and delimiter.

    Short rows are padded (and reported as ragged); rows with extra non-empty
    fields are reported as unreadable, since an unquoted delimiter inside a
    comment makes their columns ambiguous.
    """
    reading = CsvReading(path, encoding=encoding, delimiter=delimiter)
    parts = list(reading.chunks(None))
    if parts:
        return reading.table(parts[0].frame, parts[0].source_rows, parts[0].ragged_rows)
    return reading.table(pd.DataFrame(columns=reading.header, dtype=object), [], set())


class CsvReading:
    """One pass over a delimited text file, its rows handed out in chunks (:meth:`chunks`) as they are read, so a
    file of any size can be read with the memory of one chunk; what :func:`read_csv` returns is one chunk of all."""

    def __init__(self, path: Path, *, encoding: str | None = None, delimiter: str | None = None):
        """Check ``path`` is text and decide its encoding and delimiter (nothing else is read yet)."""
        with path.open("rb") as fh:
            head = fh.read(4096)
        if not head.startswith((b"\xff\xfe", b"\xfe\xff")) and head.count(b"\x00") > _BINARY_NUL_SHARE * len(head):
            raise InputFileError(
                f"'{path.name}' looks like a binary file, not delimited text.",
                "Export the data as CSV (UTF-8) or pass an .xlsx/.parquet file with the right suffix.",
            )
        self.path = path
        self.text = CsvLines(path, encoding)
        delimiter = delimiter or self.text.sep_delimiter
        if delimiter is None:
            delimiter = "\t" if path.suffix.lower() in {".tsv", ".tab"} else sniff_delimiter(self.text.head(200_000))
        self.delimiter = delimiter
        self.header: list[str] | None = None
        self.unreadable: list[UnreadableRow] = []
        self.blank_lines = 0

    def chunks(self, rows_per_chunk: int | None) -> Iterator[RawTable]:
        """The rows as :class:`RawTable` chunks of ``rows_per_chunk`` rows (all in one when None), each with its
        own row numbering for ``ragged_rows``; unreadable records, blank lines and the header are on ``self``."""
        header: list[str] | None = None
        rows: list[list[str]] = []
        source_rows: list[int] = []
        ragged: set[int] = set()
        self.unreadable, self.blank_lines = [], 0
        width = lambda: len(header) if header else None  # noqa: E731
        for start_line, record in records(self.text.lines(), self.delimiter, width, self.unreadable):
            if not record or all(not f.strip() for f in record):
                self.blank_lines += 1
                continue
            if header is None:
                header = self.header = _unique_header(record)
                continue
            n = len(header)
            if len(record) > n:
                extra = record[n:]
                if any(f.strip() for f in extra):
                    self.unreadable.append(
                        UnreadableRow(
                            start_line,
                            f"{len(record)} fields where the header has {n} "
                            f"(an unquoted '{_printable(self.delimiter)}' inside a comment?)",
                            self.delimiter.join(record)[:200],
                        )
                    )
                    continue
                record = record[:n]
            elif len(record) < n:
                ragged.add(len(rows))
                record = record + [""] * (n - len(record))
            rows.append(record)
            source_rows.append(start_line)
            if rows_per_chunk is not None and len(rows) == rows_per_chunk:
                yield RawTable(pd.DataFrame(rows, columns=header, dtype=object), source_rows, ragged_rows=ragged)
                rows, source_rows, ragged = [], [], set()
        if header is None:
            raise InputFileError(
                f"'{self.path.name}' is empty: no header row was found.",
                "Check that you exported the right file; the first line must name the columns.",
            )
        if rows:
            yield RawTable(pd.DataFrame(rows, columns=header, dtype=object), source_rows, ragged_rows=ragged)

    def table(self, frame: pd.DataFrame, source_rows: list[int], ragged: set[int]) -> RawTable:
        """``frame`` (rows of this file) with what the whole pass found: unreadable records, blank lines, details.
        Call once :meth:`chunks` has run to its end."""
        found: dict = {}
        if self.text.nul_removed:  # a damaged export's stray NULs, removed wherever they were
            found["nul_characters_removed"] = self.text.nul_removed
        if self.text.sep_delimiter is not None:
            found["excel_sep_line"] = True
        details = {"format": "csv", "encoding": self.text.encoding, "delimiter": _printable(self.delimiter), **found}
        blank = self.blank_lines - (self.text.sep_delimiter is not None)
        return RawTable(frame, source_rows, self.unreadable, ragged, blank, details)


def _printable(delim: str) -> str:
    return "\\t" if delim == "\t" else delim


# ---------------------------------------------------------------- other formats


def read_excel(path: Path, *, sheet: str | int | None = None) -> RawTable:
    """Read one sheet of an .xlsx workbook; source rows are Excel row numbers."""
    try:
        # Only empty cells are missing: pandas' default would also read the text "NA", "null" or "nan" (an id, a
        # comment) as missing, and lose it.
        frame = pd.read_excel(
            path,
            sheet_name=0 if sheet is None else sheet,
            dtype=object,
            engine="openpyxl",
            keep_default_na=False,
            na_values=[""],
        )
    except ValueError as exc:
        raise InputFileError(
            f"Cannot read sheet {sheet!r} of '{path.name}': {exc}.",
            "Pass --sheet with an existing sheet name or 0-based index.",
        ) from None
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise InputFileError(
            f"'{path.name}' is not a readable Excel workbook ({exc.__class__.__name__}: {exc}).",
            "Open it in Excel/LibreOffice and save it again as .xlsx, or export it as CSV.",
        ) from None
    frame.columns = _unique_header([str(c) for c in frame.columns])
    details: dict = {"format": "xlsx", "sheet": sheet if sheet is not None else 0}
    recovered = _formulas_without_values(path, sheet, frame)
    if recovered:
        details["formula_cells_read_as_text"] = recovered
    blank_mask = frame.isna().all(axis=1)
    source = [i + 2 for i in range(len(frame))]  # header is Excel row 1
    kept = ~blank_mask.to_numpy()
    frame = frame.loc[kept].reset_index(drop=True)
    source = [s for s, k in zip(source, kept) if k]
    return RawTable(frame, source, blank_lines=int(blank_mask.sum()), details=details)


def _formulas_without_values(path: Path, sheet: str | int | None, frame: pd.DataFrame) -> int:
    """Put back, as text, the cells a program wrote as formulas with no cached result (text starting with '=',
    written by a tool that did not guard it): Excel's reader sees them as empty and the comment would be lost.
    Returns how many were put back; a workbook with no formula at all is not opened a second time."""
    with zipfile.ZipFile(path) as archive:
        if not any(
            b"<f" in archive.read(name)
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        ):
            return 0
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        ws = book.worksheets[sheet or 0] if not isinstance(sheet, str) else book[sheet]
        recovered = 0
        for r, row in enumerate(ws.iter_rows(min_row=2, values_only=True)):
            for c, value in enumerate(row):
                if (
                    isinstance(value, str)
                    and value.startswith("=")
                    and r < len(frame)
                    and c < frame.shape[1]
                    and pd.isna(frame.iat[r, c])
                ):
                    frame.iat[r, c] = value
                    recovered += 1
        return recovered
    finally:
        book.close()


def read_parquet(path: Path) -> RawTable:
    """Read a Parquet file; source rows are 1-based record numbers."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:
        raise InputFileError(
            f"'{path.name}' is not a readable Parquet file ({exc.__class__.__name__}: {exc}).",
            "Check the file was fully written, or export the data as CSV.",
        ) from None
    # A named index (an id pandas wrote as the index) is data: keep it as a column. The plain 0..n-1 one is not.
    named = [name for name in frame.index.names if name is not None]
    frame = frame.reset_index(drop=not named)
    return RawTable(frame, list(range(1, len(frame) + 1)), details={"format": "parquet"})


def read_jsonl(path: Path) -> RawTable:
    """Read JSON Lines (one object per line); a JSON array of objects is accepted too."""
    text, used_encoding = decode(path.read_bytes(), None)
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            records = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise InputFileError(
                f"'{path.name}' starts like a JSON array but is not valid JSON ({exc}).",
                "Write one JSON object per line (JSON Lines) or fix the array.",
            ) from None
        lines = [(i + 1, r) for i, r in enumerate(records)]
        unit = "item"
    else:
        # JSON Lines ends records at "\n" (and "\r\n") only: str.splitlines() would also cut at U+2028, U+2029 or
        # U+0085 inside a valid string, turning one record into two "invalid JSON" ones and shifting line numbers.
        pieces = text.split("\n")
        if pieces and pieces[-1] == "":
            pieces.pop()
        lines = [(lineno, line[:-1] if line.endswith("\r") else line) for lineno, line in enumerate(pieces, start=1)]
        unit = "line"
    rows, source, unreadable, blank = [], [], [], 0
    for lineno, item in lines:
        if isinstance(item, str):
            if not item.strip():
                blank += 1
                continue
            try:
                item_obj = json.loads(item)
            except json.JSONDecodeError as exc:
                unreadable.append(UnreadableRow(lineno, f"invalid JSON ({exc.msg} at column {exc.colno})", item[:200]))
                continue
        else:
            item_obj = item
        if not isinstance(item_obj, dict):
            unreadable.append(
                UnreadableRow(lineno, f"JSON {unit} is a {type(item_obj).__name__}, not an object", str(item)[:200])
            )
            continue
        rows.append(item_obj)
        source.append(lineno)
    frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame()
    frame = frame.astype(object) if len(frame.columns) else frame
    return RawTable(
        frame, source, unreadable, blank_lines=blank, details={"format": "jsonl", "encoding": used_encoding}
    )
