"""Property-based tests: generated comment dumps, well-formed and damaged, in every format vocnlp reads.

Well-formed files must come back whole (every record once, with its id and text); damaged ones must never raise
anything but a clear input error, and must keep ``comment_id`` unique. Examples per test: VOCNLP_HYPOTHESIS_EXAMPLES
(default 300, a few hundred so that the CI run stays short; `pytest -m slow` searches 3,000).
"""

from __future__ import annotations

import json
import os
import string

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.hostile import csv_dump_bytes
from vocnlp import load_config
from vocnlp.errors import VocnlpError
from vocnlp.io.readers import read_table
from vocnlp.io.validate import validate

EXAMPLES = int(os.environ.get("VOCNLP_HYPOTHESIS_EXAMPLES", "300"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def prop(**strategies):
    """``@given(**strategies)`` with this suite's settings; the strategies are kept so that the slow long search
    can run the same property with more examples."""

    def decorate(test):
        wrapped = SETTINGS(given(**strategies)(test))
        wrapped.strategies = strategies
        return wrapped

    return decorate


INPUT = load_config().input

# Text customers write, and what damaged exports add: quotes, delimiters, line breaks of every kind, control
# characters, U+2028, accents, emoji, formula starts.
PIECES = st.sampled_from(
    [
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
    ]
)
WORDS = st.text(alphabet=string.ascii_letters + "àéèêôûç' ", min_size=1, max_size=12)
TEXT = st.lists(st.one_of(WORDS, PIECES), min_size=1, max_size=12).map("".join)
IDS = st.one_of(
    st.sampled_from(["A", "A~2", "row-3", "", " ", "B", "7"]),
    st.text(string.ascii_letters + "~-_0123456789", min_size=1, max_size=6),
)
NPS = st.one_of(st.integers(0, 10).map(str), st.sampled_from(["", "N/A", "11", "-1", "9.5", "dix"]))
ROWS = st.lists(st.tuples(IDS, TEXT, NPS), min_size=1, max_size=25)


def _check_whole(raw, rows, strip_nul: bool = False):
    """Every record read once, in order, with its id and text; comment ids unique."""
    assert not raw.unreadable, raw.unreadable[:3]
    got = raw.frame[["id", "comment"]].astype(str).values.tolist()
    want = [[i, t.replace("\x00", "") if strip_nul else t] for i, t, _ in rows]
    assert got == want
    table = validate(raw, INPUT)
    assert table.frame["comment_id"].is_unique


@prop(
    rows=ROWS,
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_well_formed_csv_comes_back_whole(tmp_path_factory, rows, delimiter, encoding):
    path = tmp_path_factory.mktemp("csv") / "dump.csv"
    path.write_bytes(csv_dump_bytes(rows, delimiter, encoding))
    _check_whole(read_table(path), rows)


@prop(rows=ROWS)
def test_well_formed_jsonl_comes_back_whole(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("jsonl") / "dump.jsonl"
    lines = [json.dumps({"id": i, "comment": t, "nps": n}, ensure_ascii=False) for i, t, n in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _check_whole(read_table(path), rows)


@prop(rows=ROWS)
def test_well_formed_xlsx_comes_back_whole(tmp_path_factory, rows):
    from vocnlp.io.exports import XLSX_ILLEGAL, write_excel_sheets

    # What an .xlsx can hold at all: no control characters, and XML reads every line break as "\n".
    rows = [(i, XLSX_ILLEGAL.sub("", t).replace("\r\n", "\n").replace("\r", "\n"), n) for i, t, n in rows]
    rows = [(i, t, n) for i, t, n in rows if t.strip()]
    if not rows:
        return
    path = tmp_path_factory.mktemp("xlsx") / "dump.xlsx"
    # Text cells, as spreadsheets and survey tools store them ("=A" typed as text stays text).
    write_excel_sheets(path, (("Sheet1", pd.DataFrame(rows, columns=["id", "comment", "nps"])),))
    raw = read_table(path)
    raw.frame = raw.frame.fillna("")
    _check_whole(raw, rows)


@prop(
    rows=ROWS,
    delimiter=st.sampled_from([",", ";"]),
    cut=st.floats(0, 1),
    damage=st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from([b'"', b"\x00", b"\xff", b"\r", b"\n", b";", b","])), max_size=4
    ),
)
def test_damaged_csv_never_raises_more_than_a_clear_error(tmp_path_factory, rows, delimiter, cut, damage):
    data = bytearray(csv_dump_bytes(rows, delimiter, "utf-8"))
    for where, what in damage:
        at = int(where * len(data))
        data[at:at] = what
    data = data[: max(1, int(len(data) * (0.5 + cut / 2)))]
    path = tmp_path_factory.mktemp("damaged") / "dump.csv"
    path.write_bytes(bytes(data))
    try:
        raw = read_table(path)
        table = validate(raw, INPUT)
    except VocnlpError:  # a clear message for the user (exit 2), never a traceback
        return
    assert table.frame["comment_id"].is_unique
    assert len(table.frame) == len(raw.source_rows) and raw.source_rows == sorted(set(raw.source_rows))


@pytest.mark.slow
@pytest.mark.parametrize(
    "search",
    [
        test_well_formed_csv_comes_back_whole,
        test_well_formed_jsonl_comes_back_whole,
        test_well_formed_xlsx_comes_back_whole,
        test_damaged_csv_never_raises_more_than_a_clear_error,
    ],
)
def test_long_search(tmp_path_factory, search):
    """The same properties, ten times the examples: ``pytest -m slow``."""
    longer = settings(SETTINGS, max_examples=10 * EXAMPLES)
    longer(given(**search.strategies)(search.hypothesis.inner_test))(tmp_path_factory)


def test_hostile_inputs_benchmark_runs_on_a_small_slice():
    from benchmarks.hostile import hostile_inputs, hostile_rows

    res = hostile_inputs(n=16, log=lambda m: None)
    total = res["total"]
    assert total["inputs"] == 16 and total["records_in"] > 0
    assert total["lost"] == total["tracebacks"] == total["formula_cells"] == total["duplicate_ids"] == 0
    assert res == hostile_inputs(n=16, log=lambda m: None)  # seeded: the same inputs, the same counts
    assert any(line.startswith("| **all** | 16 |") for line in hostile_rows({"hostile_inputs": res}))
