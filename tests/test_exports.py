"""Issue 6 exports: the Excel workbook's sheets and typing, long vs wide agreement, a codebook with stable ids."""

from __future__ import annotations

import datetime

import pandas as pd
from openpyxl import load_workbook

from vocnlp.config import load_config
from vocnlp.io.exports import codebook
from vocnlp.resources import resource_path
from vocnlp.taxonomy.schema import load_taxonomy


def test_workbook_has_every_sheet_typed_with_frozen_header_and_filter(sample_run):
    result, out, paths = sample_run
    book = load_workbook(out / "vocnlp_results.xlsx")
    assert {"comments", "mentions", "themes_wide", "drivers", "scores", "codebook", "run_info"} <= set(book.sheetnames)
    for name in ("comments", "mentions", "drivers", "codebook", "run_info"):
        sheet = book[name]
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref, name
        assert sheet["A1"].font.bold and sheet.column_dimensions["A"].width >= 8, name
    comments = book["comments"]
    header = [c.value for c in comments[1]]
    first = {h: c for h, c in zip(header, comments[2])}
    assert isinstance(first["nps_score"].value, (int, float)) and isinstance(first["sentiment_score"].value, float)
    assert isinstance(first["response_date"].value, datetime.datetime)
    assert first["response_date"].number_format == "yyyy-mm-dd"
    drivers = book["drivers"]
    header = [c.value for c in drivers[1]]
    row = {h: c for h, c in zip(header, drivers[2])}
    assert row["prevalence"].number_format == "0.0%" and isinstance(row["impact"].value, float)
    info = {r[0]: r[1] for r in book["run_info"].iter_rows(min_row=2, values_only=True)}
    assert info["rows read"] == str(len(result.comments)) and "stage: themes" in info


def test_long_and_wide_theme_tables_agree(sample_run):
    result, out, paths = sample_run
    wide = pd.read_parquet(out / "themes_wide.parquet")
    mentions = pd.read_parquet(out / "mentions.parquet")
    book = pd.read_csv(out / "codebook.csv", keep_default_na=False)
    assert list(wide.columns) == ["comment_id"] + book["wide_column"].tolist()
    assert wide["comment_id"].tolist() == result.comments["comment_id"].tolist()
    column_of = dict(zip(book["theme_id"], book["wide_column"]))
    from_long = {
        cid: {column_of[t] for t in grp["theme_id"]}
        | {column_of[s] for s in grp["subtheme_id"] if isinstance(s, str) and s}
        for cid, grp in mentions.groupby("comment_id")
    }
    values = wide.set_index("comment_id")
    for cid, row in values.iterrows():
        on = {c for c, v in row.items() if pd.notna(v) and v == 1}
        assert on == from_long.get(cid, set()), cid
    empty = result.comments["status"].str.contains("empty_text").to_numpy()
    assert values[empty].isna().all().all() and values[~empty].notna().all().all()
    csv = pd.read_csv(out / "themes_wide.csv", encoding="utf-8-sig")
    assert csv.shape == wide.shape


def test_codebook_ids_are_the_taxonomy_s_and_do_not_depend_on_the_data(sample_run, pipeline):
    from vocnlp import analyze

    result, out, paths = sample_run
    tax = load_taxonomy(resource_path(load_config().stage("themes").params["taxonomy"]))
    expected = codebook(tax)
    assert len(expected) == len(tax.themes) + len(tax.subthemes)
    pd.testing.assert_frame_equal(result.codebook, expected)
    small = analyze(pd.DataFrame({"comment": ["Facture fausse.", ""], "nps": [2, 9]}))
    pd.testing.assert_frame_equal(small.codebook, expected)
    assert {"name_en", "name_fr", "description_en", "parent_id"} <= set(expected.columns)
    assert expected.loc[expected["theme_id"] == "billing.error", "parent_id"].item() == "billing"
