"""Qualtrics and SurveyMonkey exports (small realistic ones in tests/data) read with no column flags."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import ROOT
from vocnlp.io import read_table

DATA = ROOT / "tests" / "data"


@pytest.mark.parametrize("name,platform,text,nps,first_line", [
    ("qualtrics_export.csv", "qualtrics", "Q2", "Q1", 4),
    ("surveymonkey_export.csv", "surveymonkey", "What is the main reason for your score?",
     "How likely is it that you would recommend Voltéo to a friend or colleague?", 3)])
def test_survey_exports_map_text_and_nps_with_no_flags(pipeline, name, platform, text, nps, first_line):
    from vocnlp import load_config
    from vocnlp.pipeline import analyze_table

    raw = read_table(DATA / name)
    assert raw.details["survey_platform"] == platform and raw.source_rows[0] == first_line
    result = analyze_table(raw, load_config(), pipeline=pipeline, progress=False)
    mapping = result.meta["mapping"]
    assert mapping["text"] == text and mapping["nps"] == nps
    source = pd.read_csv(DATA / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    expected = pd.to_numeric(source.iloc[first_line - 2:][nps if platform == "surveymonkey" else "Q1"])
    assert result.comments["nps_score"].tolist() == expected.tolist()
    assert result.comments["source_row"].tolist() == list(range(first_line, first_line + len(expected)))


def test_surveymonkey_columns_under_one_question_are_named_by_their_answer():
    raw = read_table(DATA / "surveymonkey_export.csv")
    assert "Which services do you use? - Gas" in raw.frame.columns
    assert raw.frame["Which services do you use? - Solar panels"].tolist() == ["", "Solar panels", "", ""]


def test_qualtrics_export_saved_as_excel_is_read_the_same(tmp_path):
    source = pd.read_csv(DATA / "qualtrics_export.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    xlsx = tmp_path / "qualtrics.xlsx"
    source.to_excel(xlsx, index=False)
    raw = read_table(xlsx)
    assert raw.details["survey_platform"] == "qualtrics" and len(raw.frame) == 5
    assert raw.details["questions"]["Q2"] == "What is the main reason for your score?"


def test_a_google_forms_header_of_questions_is_mapped(tmp_path):
    from vocnlp import load_config
    from vocnlp.validation import validate

    path = tmp_path / "forms.csv"
    path.write_text("Timestamp,How likely are you to recommend us to a friend?,Why did you give this score?\n"
                    "2026/10/01 9:02:11 AM GMT+2,9,Great app and quick answers from support.\n"
                    "2026/10/01 9:05:40 AM GMT+2,4,The delivery came a week late and nobody told me.\n",
                    encoding="utf-8")
    table = validate(read_table(path), load_config().input)
    assert table.mapping["nps"] == "How likely are you to recommend us to a friend?"
    assert table.mapping["text"] == "Why did you give this score?" and table.mapping["date"] == "Timestamp"
