"""Qualtrics and SurveyMonkey exports (small realistic ones in tests/data) read with no column flags."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import ROOT
from vocnlp.io.readers import read_table

DATA = ROOT / "tests" / "data"


FORMS_NPS = (
    "Quelle est la probabilité que vous recommandiez Maison Lumen à un proche ? (0 = pas du tout, 10 = certainement)"
)
TYPEFORM_NPS = "On a scale from 0 to 10, how likely are you to recommend Parcelo to a friend or colleague?"


@pytest.mark.parametrize(
    "name,platform,text,nps,first_line",
    [
        ("qualtrics_export.csv", "qualtrics", "Q2", "Q1", 4),
        (
            "surveymonkey_export.csv",
            "surveymonkey",
            "What is the main reason for your score?",
            "How likely is it that you would recommend Voltéo to a friend or colleague?",
            3,
        ),
        ("google_forms_export.csv", "google_forms", "Pourquoi avez-vous donné cette note ?", FORMS_NPS, 2),
        ("typeform_export.csv", "typeform", "What's the one thing we could do better?", TYPEFORM_NPS, 2),
    ],
)
def test_survey_exports_map_text_and_nps_with_no_flags(pipeline, name, platform, text, nps, first_line):
    from vocnlp import load_config
    from vocnlp.pipeline.analysis_run import analyze_table

    raw = read_table(DATA / name)
    assert raw.details["survey_platform"] == platform and raw.source_rows[0] == first_line
    result = analyze_table(raw, load_config(), pipeline=pipeline, progress=False)
    mapping = result.meta["mapping"]
    assert mapping["text"] == text and mapping["nps"] == nps
    source = pd.read_csv(DATA / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    expected = pd.to_numeric(source.iloc[first_line - 2 :][nps])
    assert result.comments["nps_score"].fillna(-1).tolist() == expected.fillna(-1).tolist()
    assert result.comments["source_row"].tolist() == list(range(first_line, first_line + len(expected)))


def test_surveymonkey_columns_under_one_question_are_named_by_their_answer():
    raw = read_table(DATA / "surveymonkey_export.csv")
    assert "Which services do you use? - Gas" in raw.frame.columns
    assert raw.frame["Which services do you use? - Solar panels"].tolist() == ["", "Solar panels", "", ""]


@pytest.mark.parametrize(
    "name", ["qualtrics_export.csv", "surveymonkey_export.csv", "google_forms_export.csv", "typeform_export.csv"]
)
def test_survey_exports_saved_as_excel_are_read_the_same(tmp_path, name):
    source = pd.read_csv(DATA / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    xlsx = tmp_path / "export.xlsx"
    source.to_excel(xlsx, index=False)
    from_csv, from_excel = read_table(DATA / name), read_table(xlsx)
    assert from_excel.details["survey_platform"] == from_csv.details["survey_platform"]
    assert from_excel.details.get("questions") == from_csv.details.get("questions")
    pd.testing.assert_frame_equal(from_excel.frame.fillna("").astype(str), from_csv.frame.fillna("").astype(str))


def test_a_google_forms_header_of_questions_is_mapped(tmp_path):
    from vocnlp import load_config
    from vocnlp.io.validate import validate

    path = tmp_path / "forms.csv"
    path.write_text(
        "Timestamp,How likely are you to recommend us to a friend?,Why did you give this score?\n"
        "2026/10/01 9:02:11 AM GMT+2,9,Great app and quick answers from support.\n"
        "2026/10/01 9:05:40 AM GMT+2,4,The delivery came a week late and nobody told me.\n",
        encoding="utf-8",
    )
    table = validate(read_table(path), load_config().input)
    assert table.mapping["nps"] == "How likely are you to recommend us to a friend?"
    assert table.mapping["text"] == "Why did you give this score?" and table.mapping["date"] == "Timestamp"


@pytest.mark.parametrize(
    "name,id_column,dates",
    [
        (
            "typeform_export.csv",
            "#",
            ["2026-10-01 08:14:40", "2026-10-01 09:41:30", "2026-10-02 18:06:02", None, "2026-10-04 07:47:10"],
        ),
        # Google Forms writes '2026/10/01 9:02:11 AM UTC+2': year first, and +2 is ahead of UTC (not POSIX's sign).
        (
            "google_forms_export.csv",
            None,
            [
                "2026-10-01 09:02:11+02:00",
                "2026-10-01 11:47:03+02:00",
                "2026-10-02 20:15:56+02:00",
                "2026-10-03 07:30:12+02:00",
                "2026-10-04 14:03:44+02:00",
                "2026-10-05 18:21:09+02:00",
            ],
        ),
        (
            "surveymonkey_export.csv",
            "Respondent ID",
            ["2026-10-01 09:04:55", "2026-10-01 11:16:30", "2026-10-02 18:44:51", "2026-10-03 08:21:02"],
        ),
    ],
)
def test_one_header_platforms_give_their_id_and_answer_time(name, id_column, dates):
    from vocnlp import load_config
    from vocnlp.io.validate import validate

    table = validate(read_table(DATA / name), load_config().input)
    assert table.mapping["id"] == id_column
    got = [None if pd.isna(d) else str(d) for d in table.frame["response_date"]]
    assert got == [None if d is None else str(pd.Timestamp(d)) for d in dates]


@pytest.mark.parametrize(
    "values,expected",
    [
        (["01/10/2026", "13/10/2026"], ["2026-10-01", "2026-10-13"]),  # a day above 12 decides: day first
        (["10/01/2026", "10/13/2026"], ["2026-10-01", "2026-10-13"]),  # a second number above 12: month first
        (["01/10/2026", "02/10/2026"], ["2026-10-01", "2026-10-02"]),  # undecidable: day first, as French exports
        (["2026/10/01", "2026/10/02"], ["2026-10-01", "2026-10-02"]),
    ],
)  # year first
def test_date_order_is_read_from_the_column(values, expected):
    from vocnlp.io.validate import _parse_dates

    parsed = _parse_dates(pd.Series(values), [[] for _ in values])
    assert [d.strftime("%Y-%m-%d") for d in parsed] == expected
