"""Delimited text, from bytes to records: the encoding (per line where a file mixes two), the delimiter, and
records whose damage (a quote never closed) is kept to themselves. :func:`vocnlp.io.readers.read_csv` builds the
table from these records."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Iterator

from vocnlp.errors import InputFileError

_DELIMITERS = [",", ";", "\t", "|"]
_SNIFF_RECORDS = 200
# Python's csv module refuses fields over 131,072 characters by default; a pasted e-mail thread can be longer, and
# the refusal made every delimiter look wrong. One comment of up to 1 GiB is read like any other.
csv.field_size_limit(1 << 30)


@dataclass
class UnreadableRow:
    """A record the reader could not turn into a row."""

    line: int
    reason: str
    excerpt: str


def decode(raw: bytes, encoding: str | None) -> tuple[str, str]:
    """Decode bytes, trying the encodings French and English exports use."""
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputFileError(
                f"The file cannot be decoded as '{encoding}' ({exc}).",
                "Omit --encoding to let vocnlp detect it, or give the right one (utf-8, cp1252, latin-1).",
            ) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    # Excel's "CSV UTF-8" writes a BOM; utf-8-sig strips it.
    try:
        return raw.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError:
        pass
    mixed = _decode_per_line(raw)
    if mixed is not None:
        return mixed
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # cp1252 leaves five bytes undefined; latin-1 reads every byte
        return raw.decode("latin-1"), "latin-1"


def _decode_per_line(raw: bytes) -> tuple[str, str] | None:
    """A UTF-8 file with a few lines in another encoding (rows pasted from an old export): each bad line is read as
    cp1252 (latin-1 for the bytes cp1252 lacks) and the others as UTF-8, instead of the whole file as cp1252, which
    would garble every accent of the good rows. None when no line shows UTF-8 accents (a plain cp1252 file)."""
    lines = raw.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    out, repaired, utf8_evidence = [], 0, False
    for line in lines:
        try:
            text = line.decode("utf-8")
            utf8_evidence = utf8_evidence or not line.isascii()
        except UnicodeDecodeError:
            repaired += 1
            try:
                text = line.decode("cp1252")
            except UnicodeDecodeError:
                text = line.decode("latin-1")
        out.append(text)
    if not utf8_evidence:
        return None
    return "\n".join(out), f"utf-8 ({repaired} line{'s' if repaired > 1 else ''} read as cp1252)"


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter giving the most consistent field count over the first records."""
    best, best_score = ",", (-1.0, 0)
    for delim in _DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
        counts = []
        try:
            for record in reader:
                if record:
                    counts.append(len(record))
                if len(counts) >= _SNIFF_RECORDS:
                    break
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        consistent = sum(c == counts[0] for c in counts) / len(counts)
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = delim, score
    return best


_LINE_END = re.compile(r"\r\n|\r|\n")


def _strictly_quoted(record_text: str, delimiter: str) -> bool:
    """Whether a record's quotes all close where a field ends. A quote never closed until a later record's quote
    leaves text straight after the closing quote (``...;3\nT3;"Facture";5``), which strict parsing refuses."""
    try:
        list(csv.reader(io.StringIO(record_text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error:
        return False
    return True


def records(text: str, delimiter: str, width, unreadable: list) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of each CSV record, with the damage of a quote that is never closed kept to its record.

    A field that opens a quote and never closes it takes every later line into itself. When a record runs over
    several lines and still has fewer fields than the header (``width()``), or its quotes only close at a later
    record's quote, its first line is reported unreadable and reading starts again on the next line, so the
    records after it are read as usual.
    """
    starts = [0] + [m.end() for m in _LINE_END.finditer(text)]
    offset_line = 0  # lines before the part of the text the current reader reads
    while True:
        reader = csv.reader(
            io.StringIO(text[starts[offset_line] :] if offset_line < len(starts) else "", newline=""),
            delimiter=delimiter,
        )
        last_end = 0  # the reader's line where the previous record ended
        for_restart = None
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                unreadable.append(UnreadableRow(offset_line + last_end + 1, f"malformed CSV ({exc})", ""))
                last_end = reader.line_num
                continue
            start, end, last_end = offset_line + last_end + 1, offset_line + reader.line_num, reader.line_num
            n = width()
            if (
                n
                and end > start
                and any("\n" in f or "\r" in f for f in record)
                and (
                    len(record) < n
                    or not _strictly_quoted(
                        text[starts[start - 1] : starts[end] if end < len(starts) else len(text)], delimiter
                    )
                )
            ):
                for_restart = start
                break
            yield start, record
        line_text = text[starts[for_restart - 1] : starts[for_restart] if for_restart < len(starts) else len(text)]
        unreadable.append(
            UnreadableRow(
                for_restart,
                "a quote opened on this line is never closed (the lines after it were read on their own)",
                line_text.rstrip("\r\n")[:200],
            )
        )
        offset_line = for_restart
