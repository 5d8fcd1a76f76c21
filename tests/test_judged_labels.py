"""A judged sample in a run: the file read against the run's comments and taxonomy (errors name the line), the
driver table's corrected columns, and `vocnlp review export --judge` → `vocnlp run --judged` end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SAMPLE, run_cli
from vocnlp.analysis.drivers import analyse_drivers
from vocnlp.analysis.drivers.corrected import CORRECTED_COLUMNS
from vocnlp.analysis.drivers.judged import read_judged_labels
from vocnlp.config import DriversConfig
from vocnlp.errors import InputFileError
from vocnlp.report import build_report
from vocnlp.report.data import shipped_label_quality

IDS = pd.Series(["a", "b", "c", "d"])
THEMES = {"billing": "billing", "billing.fees": "billing", "delivery": "delivery"}


def _judged_file(tmp_path, rows):
    path = tmp_path / "judged.csv"
    pd.DataFrame(rows, columns=["comment_id", "true_themes"]).to_csv(path, index=False)
    return path


def test_the_judged_file_is_read_against_the_runs_comments_and_themes(tmp_path):
    path = _judged_file(tmp_path, [("c", "billing.fees|delivery"), ("a", "none"), ("b", "")])
    judged = read_judged_labels(path, IDS, THEMES)
    assert judged.rows.tolist() == [2, 0]  # b is not judged yet: skipped
    assert judged.themes == ["billing", "delivery"]
    assert judged.truth.tolist() == [[1.0, 1.0], [0.0, 0.0]]  # a subtheme counts as its theme
    assert judged.skipped_not_judged == 1


@pytest.mark.parametrize(
    "rows, message",
    [
        ([("a", "billing"), ("zz", "billing")], "Line 3 .*'zz' is not a comment of this run"),
        ([("a", "billing"), ("b", "shipping")], "Line 3 .*'shipping' is not a theme id"),
        ([("a", "billing"), ("a", "delivery")], "Line 3 .*already judged on line 2"),
        ([("a", ""), ("b", "")], "No comment .* is judged"),
    ],
)
def test_a_bad_judged_file_names_the_line_and_what_to_write(tmp_path, rows, message):
    with pytest.raises(InputFileError, match=message):
        read_judged_labels(_judged_file(tmp_path, rows), IDS, THEMES)


def _survey(seed: int = 0, n: int = 1500):
    rng = np.random.default_rng(seed)
    billing = rng.random(n) < 0.3
    delivery = rng.random(n) < 0.2
    nps = np.clip(np.round(rng.normal(7 - 3 * billing - delivery, 2)), 0, 10)
    comments = pd.DataFrame({"comment_id": [f"r{i}" for i in range(n)], "nps_score": nps})
    pairs = [(f"r{i}", t) for i in range(n) for t, on in (("billing", billing[i]), ("delivery", delivery[i])) if on]
    mentions = pd.DataFrame(pairs, columns=["comment_id", "theme_id"]).assign(
        theme_name=lambda f: f["theme_id"], sentiment="negative"
    )
    return comments, mentions, billing, delivery


def test_judged_labels_add_corrected_columns_equal_to_the_naive_impact_when_the_labels_are_right(tmp_path):
    comments, mentions, billing, delivery = _survey()
    rng = np.random.default_rng(1)
    rows = rng.choice(len(comments), 300, replace=False)
    truth = [
        "|".join(t for t, on in (("billing", billing[i]), ("delivery", delivery[i])) if on) or "none" for i in rows
    ]
    path = _judged_file(tmp_path, list(zip(comments["comment_id"].iloc[rows], truth)))
    judged = read_judged_labels(path, comments["comment_id"], {"billing": "billing", "delivery": "delivery"})
    cfg = DriversConfig(kinds=["theme"], bootstrap=200, time_to_churn=False)
    plain = analyse_drivers(comments, mentions, cfg).table
    assert not set(CORRECTED_COLUMNS) & set(plain.columns)  # the columns appear only with a judged sample
    table = analyse_drivers(comments, mentions, cfg, judged=judged).table
    themes = table[table["driver_type"] == "theme"]
    assert np.allclose(themes["impact_corrected"], themes["impact"], atol=1e-9)
    assert (themes["label_precision"] == 1).all() and (themes["label_recall"] == 1).all()
    assert (themes["labels_judged"] == 300).all()
    assert (themes["rank_corrected"] == themes["rank"]).all()
    assert (themes["impact_corrected_ci_low"] < themes["impact"]).all()
    assert (themes["impact"] < themes["impact_corrected_ci_high"]).all()
    assert not themes["flags"].str.contains("disagree").any()


def test_review_export_judge_then_run_judged(tmp_path):
    part = tmp_path / "part.csv"
    pd.read_csv(SAMPLE, sep=";", encoding="utf-8-sig").head(400).to_csv(part, sep=";", index=False)
    first = tmp_path / "first"
    assert run_cli("run", part, "--out", first, "--no-progress", "--segment", "segment").returncode == 0
    sheet = tmp_path / "judge.csv"
    done = run_cli("review", "export", first, "--judge", "120", "--out", sheet, "--seed", "3")
    assert done.returncode == 0, done.stdout
    assert "comments for ±15%" in done.stdout
    sample = pd.read_csv(sheet, encoding="utf-8-sig", keep_default_na=False)
    assert len(sample) == 120 and sample["true_themes"].eq("").all()
    # A judge who agrees with every label: the corrected impact is the naive one and precision is 1.
    sample["true_themes"] = sample["predicted_themes"].replace("", "none")
    sample.to_csv(sheet, index=False)
    second = tmp_path / "second"
    done = run_cli("run", part, "--out", second, "--no-progress", "--segment", "segment", "--judged", sheet)
    assert done.returncode == 0, done.stdout + done.stderr
    drivers = pd.read_csv(second / "drivers.csv", encoding="utf-8-sig")
    judged = drivers[drivers["driver_type"].eq("theme") & drivers["impact_corrected"].notna()]
    assert len(judged) > 0
    assert np.allclose(judged["impact_corrected"], judged["impact"], atol=1e-5)
    assert (judged.dropna(subset=["label_precision"])["label_precision"] == 1).all()
    summary = pd.read_json(second / "summary.json", typ="series")
    assert summary["drivers"]["judged_labels"]["comments_judged"] == 120
    # The report: without a judged sample it says the impacts take the labels as right and quotes the shipped
    # labels' measured quality; with one it shows each theme's check and corrected impact.
    quality = shipped_label_quality()
    plain = build_report(first, "en").read_text(encoding="utf-8")
    assert "take the theme labels as right" in plain
    assert f"precision {quality['languages']['fr']['precision']:.2f}" in plain
    checked = build_report(second, "en").read_text(encoding="utf-8")
    assert "labels checked on" in checked and "corrected impact" in checked
    assert "take the theme labels as right" not in checked

    # An edited taxonomy carried over with 'vocnlp taxonomy remap' keeps the judged sample.
    from vocnlp.config import load_config
    from vocnlp.resources import resource_path
    from vocnlp.taxonomy.remap import remap_run
    from vocnlp.taxonomy.schema import load_taxonomy

    remap_run(second, load_taxonomy(resource_path(load_config().stage("themes").params["taxonomy"])))
    remapped = pd.read_csv(second / "drivers.csv", encoding="utf-8-sig")
    assert remapped["impact_corrected"].notna().sum() == drivers["impact_corrected"].notna().sum()
    assert pd.read_json(second / "summary.json", typ="series")["drivers"]["judged_labels"]["comments_judged"] == 120
