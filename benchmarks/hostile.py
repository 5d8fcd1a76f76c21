"""Hostile inputs: seeded generated comment dumps, well-formed and damaged, through the readers and the workbook.

Each input is a small dump (1–25 records) whose ids and comments mix customer words with what breaks exports:
quotes, delimiters, every kind of line break, control characters, U+2028, NUL, formula starts. Well-formed files
(CSV with each delimiter in UTF-8, UTF-8 with BOM and UTF-16; JSONL; XLSX) must come back whole: a record missing
from the rows is *lost*. Damaged files (a CSV with quotes, NUL, bad bytes or line breaks inserted, then cut short)
are read and accounted for: rows out plus records reported unreadable. Any exception other than vocnlp's clear
errors is a *traceback*. The rows of every readable input are also written as a workbook (the run's writer) and
its formula cells counted. ``tests/test_hostile_inputs.py`` checks the same properties with hypothesis.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import tempfile
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info

PIECES = [
    '"',
    "'",
    ";",
    ",",
    "\t",
    "|",
    "\n",
    "\r\n",
    "\r",
    "\u2028",
    "\u0085",
    "\x0b",
    "\x1b",
    "\x00",
    "=",
    "+",
    "-",
    "@",
    "é",
    "ç",
    "€",
    "😡",
    "  ",
    "sep=;",
    "{",
    "}",
    "\\",
    '=HYPERLINK("http://x")',
    "@SUM(1+1)",
]
WORDS = [
    "facture",
    "trop cher",
    "still waiting",
    "le conseiller",
    "app crashes",
    "merci",
    "nul",
    "great staff",
    "résiliation",
    "never again",
    "NA",
    "null",
    "nan",
    "N/A",
]
IDS = ["A", "A~2", "row-3", "", " ", "B", "7", "nan", "NA", "=1+1"]
DAMAGE = [b'"', b"\x00", b"\xff", b"\r", b"\n", b";", b","]
KINDS = ["csv", "jsonl", "xlsx", "damaged_csv"]


def _dump(rng: np.random.Generator) -> list[tuple[str, str, str]]:
    rows = []
    for _ in range(int(rng.integers(1, 26))):
        parts = [
            WORDS[i % len(WORDS)] if rng.random() < 0.5 else PIECES[i % len(PIECES)]
            for i in rng.integers(0, 100, size=int(rng.integers(1, 10)))
        ]
        text = " ".join(parts) if rng.random() < 0.5 else "".join(parts)
        rows.append(
            (
                IDS[int(rng.integers(len(IDS)))] if rng.random() < 0.6 else f"C{int(rng.integers(1000))}",
                text,
                str(int(rng.integers(0, 12))) if rng.random() < 0.9 else "N/A",
            )
        )
    return rows


def csv_dump_bytes(rows, delimiter: str, encoding: str) -> bytes:
    """A well-formed CSV dump (header id, comment, nps; CRLF line ends) of ``rows`` in ``encoding``."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["id", "comment", "nps"])
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def _write_input(kind: str, rows, rng, folder: Path) -> tuple[Path, list[tuple[str, str]] | None]:
    """The file of one generated input and the (id, text) records it must give back (None when damaged)."""
    from vocnlp.io.exports import XLSX_ILLEGAL, write_excel_sheets

    if kind == "csv":
        delimiter = [",", ";", "\t", "|"][int(rng.integers(4))]
        encoding = ["utf-8", "utf-8-sig", "utf-16"][int(rng.integers(3))]
        path = folder / "dump.csv"
        path.write_bytes(csv_dump_bytes(rows, delimiter, encoding))
        return path, [(i, t.replace("\x00", "")) for i, t, _ in rows]  # NUL is removed (and counted) by design
    if kind == "jsonl":
        path = folder / "dump.jsonl"
        path.write_text(
            "\n".join(json.dumps({"id": i, "comment": t, "nps": n}, ensure_ascii=False) for i, t, n in rows) + "\n",
            encoding="utf-8",
        )
        return path, [(i, t) for i, t, _ in rows]
    if kind == "xlsx":
        # What a workbook can hold: no control characters, and XML reads every line break as "\n".
        rows = [(i, XLSX_ILLEGAL.sub("", t).replace("\r\n", "\n").replace("\r", "\n"), n) for i, t, n in rows]
        rows = [(i, t, n) for i, t, n in rows if t.strip() or i.strip()] or [("A", "ok", "9")]
        path = folder / "dump.xlsx"
        write_excel_sheets(path, (("Sheet1", pd.DataFrame(rows, columns=["id", "comment", "nps"])),))
        return path, [(i, t) for i, t, _ in rows]
    data = bytearray(csv_dump_bytes(rows, [",", ";"][int(rng.integers(2))], "utf-8"))
    for _ in range(int(rng.integers(1, 5))):
        at = int(rng.integers(len(data) + 1))
        data[at:at] = DAMAGE[int(rng.integers(len(DAMAGE)))]
    data = data[: max(1, int(len(data) * rng.uniform(0.5, 1.0)))]
    path = folder / "dump.csv"
    path.write_bytes(bytes(data))
    return path, None


def _formula_cells(frame: pd.DataFrame, folder: Path) -> int:
    from vocnlp.io.exports import write_excel_sheets

    path = folder / "out.xlsx"
    write_excel_sheets(path, (("comments", frame),))
    with zipfile.ZipFile(path) as book:
        return sum(
            book.read(n).decode("utf-8").count("<f>") for n in book.namelist() if n.startswith("xl/worksheets/sheet")
        )


def hostile_inputs(n: int = 800, seed: int = 0, log=_log) -> dict:
    """Counts over ``n`` generated inputs (a quarter of each kind): rows in and out, reported, lost, tracebacks,
    duplicate ids, workbook formula cells."""
    from vocnlp.config import load_config
    from vocnlp.errors import VocnlpError
    from vocnlp.io.readers import read_table
    from vocnlp.io.validate import validate

    settings = load_config().input
    rng = np.random.default_rng(seed)
    counts = {
        kind: {
            "inputs": 0,
            "records_in": 0,
            "rows_out": 0,
            "reported_unreadable": 0,
            "refused": 0,
            "lost": 0,
            "tracebacks": 0,
            "duplicate_ids": 0,
            "formula_cells": 0,
        }
        for kind in KINDS
    }
    examples: list[str] = []
    log(f"hostile inputs: {n} generated files")
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(n):
            kind = KINDS[k % len(KINDS)]
            folder = Path(tmp) / str(k)
            folder.mkdir()
            rows = _dump(rng)
            path, expected = _write_input(kind, rows, rng, folder)
            c = counts[kind]
            c["inputs"] += 1
            c["records_in"] += len(expected if expected is not None else rows)
            try:
                raw = read_table(path)
                table = validate(raw, settings)
            except VocnlpError:
                c["refused"] += 1
                continue
            except Exception as exc:  # noqa: BLE001 — what the benchmark counts
                c["tracebacks"] += 1
                examples.append(f"{kind} #{k}: {exc.__class__.__name__}: {exc}"[:200])
                continue
            c["rows_out"] += len(table.frame)
            c["reported_unreadable"] += len(raw.unreadable)
            c["duplicate_ids"] += int(table.frame["comment_id"].duplicated().sum())
            if expected is not None:
                got = list(zip(raw.frame["id"].fillna("").astype(str), raw.frame["comment"].fillna("").astype(str)))
                c["lost"] += sum(1 for record in expected if record not in got) + len(raw.unreadable)
            c["formula_cells"] += _formula_cells(table.frame, folder)
    total = {key: sum(c[key] for c in counts.values()) for key in next(iter(counts.values()))}
    return {
        "date": date.today().isoformat(),
        "n": n,
        "seed": seed,
        "by_kind": counts,
        "total": total,
        "traceback_examples": examples[:5],
    }


def hostile_rows(res: dict) -> list[str]:
    """The "Hostile inputs" section of BENCHMARKS.md."""
    h = res.get("hostile_inputs")
    if not h:
        return []
    names = {
        "csv": "CSV, well-formed",
        "jsonl": "JSONL, well-formed",
        "xlsx": "XLSX, well-formed",
        "damaged_csv": "CSV, damaged",
    }
    lines = [
        "",
        "## Hostile inputs (issue: nothing lost, nothing injected)",
        "",
        f"Measured {h['date']} (`vocnlp benchmark --hostile-only`, `benchmarks/hostile.py`): {h['n']:,} "
        f"generated comment dumps (seed {h['seed']}) whose ids and comments mix customer words with quotes, "
        "delimiters, every kind of line break, control characters, U+2028, NUL and formula payloads, read by "
        "the reader and the validation, and written as a workbook by the run's writer. Well-formed files must "
        "come back whole (a record not in the rows is lost); damaged ones are accounted for (rows out + "
        "records reported unreadable). Targets: 0 lost, 0 tracebacks, 0 formula cells.",
        "",
        "| input | files | records in | rows out | reported unreadable | refused with a message | lost | "
        "tracebacks | duplicate ids | workbook formula cells |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, c in list(h["by_kind"].items()) + [("total", h["total"])]:
        lost = "–" if kind == "damaged_csv" else f"{c['lost']:,}"
        lines.append(
            f"| {names.get(kind, '**all**')} | {c['inputs']:,} | {c['records_in']:,} | {c['rows_out']:,} | "
            f"{c['reported_unreadable']:,} | {c['refused']:,} | {lost} | {c['tracebacks']:,} | "
            f"{c['duplicate_ids']:,} | {c['formula_cells']:,} |"
        )
    if h.get("traceback_examples"):
        lines += ["", "Tracebacks: " + "; ".join(f"`{e}`" for e in h["traceback_examples"])]
    return lines
