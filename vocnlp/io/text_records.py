"""Delimited text, from bytes to records: the encoding (per line where a file mixes two), the delimiter, and
records whose damage (a quote never closed) is kept to themselves. :func:`vocnlp.io.readers.read_csv` builds the
table from these records."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

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
            raise _undecodable(encoding, exc) from None
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


def _undecodable(encoding: str, exc: Exception, where: str = "") -> InputFileError:
    return InputFileError(
        f"The file cannot be decoded as '{encoding}'{where} ({exc}).",
        "Omit --encoding to let vocnlp detect it, or give the right one (utf-8, cp1252, latin-1).",
    )


def _legacy_line(line: bytes) -> str:
    """A line that is not UTF-8, read as cp1252 (latin-1 for the five bytes cp1252 lacks)."""
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:
        return line.decode("latin-1")


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
            text = _legacy_line(line)
        out.append(text)
    if not utf8_evidence:
        return None
    return "\n".join(out), _mixed_label(repaired)


def _mixed_label(repaired: int) -> str:
    return f"utf-8 ({repaired} line{'s' if repaired > 1 else ''} read as cp1252)"


# Encodings in which a b"\n" byte is always a line end and every line decodes on its own: a file in one of them is
# decoded line by line as it is read, and never held whole.
_LINE_SAFE = {"utf-8", "ascii", "latin-1", "iso8859-1", "iso8859-15", "cp1252", "cp1250", "cp850", "mac-roman"}
_BOM = b"\xef\xbb\xbf"


class CsvLines:
    """A delimited text file as decoded lines (ends kept, split at ``\\r\\n``, ``\\r`` or ``\\n``), read from disk as
    they are needed, so a large file is never held whole in memory.

    The encoding is decided as :func:`decode` decides it for the whole file (``encoding`` overrides), from a first
    pass over the bytes; then each iteration of :meth:`lines` decodes line by line. UTF-16 files and encodings where a
    ``\\n`` byte may be part of another character are decoded whole. NUL characters are removed (counted in
    ``nul_removed`` once the lines have been read) and Excel's ``sep=;`` first line becomes an empty line.
    """

    def __init__(self, path: Path, encoding: str | None = None):
        """Decide how ``path`` decodes; raises :class:`InputFileError` when ``encoding`` does not fit it."""
        self.path = path
        self.nul_removed = 0
        self.sep_delimiter: str | None = None
        self._text: str | None = None
        self._strip_bom = False
        self._line_decode: Callable[[bytes, int], str]
        with path.open("rb") as fh:
            head = fh.read(2)
        if encoding:
            try:
                name = codecs.lookup(encoding).name
            except LookupError as exc:
                raise _undecodable(encoding, exc) from None
            self.encoding = encoding
            if name in _LINE_SAFE or name == "utf-8-sig":
                self._strip_bom = name == "utf-8-sig"
                codec = "utf-8" if self._strip_bom else name
                self._line_decode = lambda line, number: _strict_line(line, codec, encoding, number)
            else:
                self._text = decode(path.read_bytes(), encoding)[0]
        elif head in (b"\xff\xfe", b"\xfe\xff"):
            self._text, self.encoding = decode(path.read_bytes(), None)
        else:
            self._decide()
        next(self.lines(), None)  # the first line says whether Excel's sep= line is there

    def _decide(self) -> None:
        """:func:`decode`'s choice, made line by line: UTF-8 when every line is; per line when some are and others
        show UTF-8 accents; otherwise cp1252 for the whole file, or latin-1 when a byte is undefined in cp1252."""
        bad_utf8, utf8_evidence, cp1252_ok = 0, False, True
        for number, line in enumerate(self._byte_lines()):
            if number == 0:
                line = line.removeprefix(_BOM)
            try:
                line.decode("utf-8")
                utf8_evidence = utf8_evidence or not line.isascii()
            except UnicodeDecodeError:
                bad_utf8 += 1
                if cp1252_ok:
                    try:
                        line.decode("cp1252")
                    except UnicodeDecodeError:
                        cp1252_ok = False
        self._strip_bom = bool(not bad_utf8 or utf8_evidence)  # cp1252 and latin-1 read a BOM as text
        if not bad_utf8:
            self.encoding = "utf-8-sig"
            self._line_decode = lambda line, number: line.decode("utf-8")
        elif utf8_evidence:
            self.encoding = _mixed_label(bad_utf8)
            self._line_decode = lambda line, number: _utf8_or_legacy(line)
        else:
            # Whole-file cp1252 fails on one undefined byte anywhere: then latin-1 reads the whole file.
            codec = self.encoding = "cp1252" if cp1252_ok else "latin-1"
            self._line_decode = lambda line, number: line.decode(codec)

    def _byte_lines(self) -> Iterator[bytes]:
        with self.path.open("rb") as fh:
            yield from fh

    def _decoded(self) -> Iterator[str]:
        """The file's text in pieces that end at a ``\\n`` (or the whole text when decoded whole)."""
        if self._text is not None:
            yield self._text
            return
        for number, line in enumerate(self._byte_lines()):
            if number == 0 and self._strip_bom:
                line = line.removeprefix(_BOM)
            yield self._line_decode(line, number + 1)

    def lines(self) -> Iterator[str]:
        """The decoded lines, from the first."""
        self.nul_removed = 0
        first = True
        for piece in self._decoded():
            if "\x00" in piece:
                self.nul_removed += piece.count("\x00")
                piece = piece.replace("\x00", "")
            if first:
                first = False
                sep_line = _EXCEL_SEP_LINE.match(piece)
                self.sep_delimiter = sep_line.group(1) if sep_line else None
                if sep_line:  # an empty first line keeps every later line number
                    piece = "\n" + piece[sep_line.end() :]
            if "\r" not in piece and (self._text is None or "\n" not in piece[:-1]):
                yield piece
            else:
                yield from (m.group() for m in _LINE.finditer(piece))

    def head(self, characters: int) -> str:
        """The first ``characters`` of the text (for sniffing the delimiter)."""
        taken: list[str] = []
        size = 0
        for line in self.lines():
            taken.append(line)
            size += len(line)
            if size >= characters:
                break
        return "".join(taken)[:characters]


def _strict_line(line: bytes, codec: str, given: str, number: int) -> str:
    try:
        return line.decode(codec)
    except UnicodeDecodeError as exc:
        raise _undecodable(given, exc, f" at line {number}") from None


def _utf8_or_legacy(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return _legacy_line(line)


# Excel's "sep=;" first line names the delimiter of the file that follows.
_EXCEL_SEP_LINE = re.compile(r"sep=([^\r\n])[ \t]*\r?\n")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


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


class _LineFeed:
    """Lines handed to ``csv.reader`` one at a time, keeping those of the record being read so that reading can
    start again inside it (``replay``) without holding the whole text."""

    def __init__(self, lines: Iterable[str]):
        self._rest = iter(lines)
        self._replay: deque[str] = deque()
        self.kept: list[str] = []

    def __iter__(self) -> "_LineFeed":
        return self

    def __next__(self) -> str:
        line = self._replay.popleft() if self._replay else next(self._rest)
        self.kept.append(line)
        return line

    def replay(self, lines: list[str]) -> None:
        """Read ``lines`` again before the rest."""
        self._replay.extendleft(reversed(lines))


def records(lines: Iterable[str], delimiter: str, width, unreadable: list) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of each CSV record of ``lines`` (each with its line end, as :meth:`CsvLines.lines` gives
    them), with the damage of a quote that is never closed kept to its record.

    A field that opens a quote and never closes it takes every later line into itself. When a record runs over
    several lines and still has fewer fields than the header (``width()``), or its quotes only close at a later
    record's quote, its first line is reported unreadable and reading starts again on the next line, so the
    records after it are read as usual.
    """
    feed = _LineFeed(lines)
    offset_line = 0  # lines before the part of the text the current reader reads
    while True:
        reader = csv.reader(feed, delimiter=delimiter)
        last_end = 0  # the reader's line where the previous record ended
        while True:
            feed.kept = []
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
                and (len(record) < n or not _strictly_quoted("".join(feed.kept), delimiter))
            ):
                break
            yield start, record
        unreadable.append(
            UnreadableRow(
                start,
                "a quote opened on this line is never closed (the lines after it were read on their own)",
                feed.kept[0].rstrip("\r\n")[:200],
            )
        )
        feed.replay(feed.kept[1:])
        offset_line = start
