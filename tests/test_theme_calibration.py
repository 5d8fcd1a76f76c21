"""Calibrated probabilities for zero-shot themes: review file → map → `probability` in mentions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, run_cli

TRUTH = ROOT / "data" / "sample" / "survey_sample_truth.csv"


def _judged_sample(result) -> tuple[pd.DataFrame, np.ndarray]:
    """The sample run's mentions and near misses, judged right where the theme is planted in the comment."""
    from benchmarks.themes import planted_verdicts

    rows = pd.concat([result.mentions, result.near_misses], ignore_index=True)
    return rows, planted_verdicts(rows, result.comments, pd.read_csv(TRUTH, keep_default_na=False))


def test_calibration_lowers_the_calibration_error_on_held_out_rows(zero_shot_sample_run):
    from vocnlp.taxonomy.calibration import cross_validated_check

    result, _, _ = zero_shot_sample_run
    rows, right = _judged_sample(result)
    check = cross_validated_check(rows["confidence"].to_numpy(), right)
    # Raw similarities (around 0.5) understate how often the sample's mentions are right (over 90%).
    assert check["judged"] == len(rows) and check["share_right"] > 0.8
    assert check["ece_calibrated"] < check["ece_raw_confidence"] / 2
    assert check["brier_calibrated"] < check["brier_raw_confidence"]


def test_review_file_to_probability_in_mentions(zero_shot_sample_run, tmp_path):
    from vocnlp import analyze, load_config
    from vocnlp.taxonomy.calibration import load_calibration
    from vocnlp.taxonomy.review import SAMPLED, export_review_queue

    result, out_dir, _ = zero_shot_sample_run
    assert result.mentions["probability"].isna().all()  # zero-shot without a map: no probability is claimed
    queue_file = tmp_path / "review.csv"
    queue = export_review_queue(out_dir, queue_file, per_theme=10, sampled_per_theme=10)
    sampled = queue[queue["queue"] == SAMPLED]
    assert len(sampled) and sampled.groupby("theme_id").size().max() <= 10
    assert not queue.duplicated(["theme_id", "evidence"]).any()  # the random rows are not the low-confidence ones
    again = export_review_queue(out_dir, tmp_path / "again.csv", per_theme=10, sampled_per_theme=10)
    assert again.equals(queue)  # seeded
    # A reviewer who knows the planted themes fills in the verdicts.
    from benchmarks.themes import planted_verdicts

    filled = pd.read_csv(queue_file, keep_default_na=False)
    right = planted_verdicts(filled, result.comments, pd.read_csv(TRUTH, keep_default_na=False))
    filled["verdict"] = np.where(right == 1, "oui", "non")
    filled.to_csv(queue_file, index=False)
    map_file = tmp_path / "calibration.json"
    done = run_cli("review", "calibrate", str(queue_file), "--out", str(map_file))
    assert done.returncode == 0, done.stderr
    assert "raw confidence" in done.stdout and "calibrated" in done.stdout
    calibration = load_calibration(map_file)
    assert calibration.judged == len(filled) and calibration.slope > 0

    cfg = load_config()
    cfg.stage("themes").params.update(calibration=str(map_file), model=None)
    texts = ["The bill was wrong twice.", "Personne ne décroche au service client.", "Bonjour"]
    calibrated = analyze(pd.DataFrame({"comment": texts}), cfg)
    mentions = calibrated.mentions
    assert len(mentions) and mentions["probability"].between(0, 1).all()
    assert np.allclose(mentions["probability"], calibration.probability(mentions["confidence"]), atol=1e-6)
    # More similar, more probable: the map keeps the order of the confidences.
    order = np.argsort(mentions["confidence"].to_numpy())
    assert np.all(np.diff(mentions["probability"].to_numpy()[order]) >= 0)
    stage = next(s for s in calibrated.meta["stages"] if s["name"] == "themes")
    assert stage["calibration"]["judged"] == len(filled)


def test_judged_rows_reads_verdicts_as_review_import_does(tmp_path):
    from vocnlp.taxonomy.calibration import judged_rows

    path = tmp_path / "review.csv"
    pd.DataFrame(
        {
            "theme_id": ["billing", "billing", "billing", "staff", "staff"],
            "confidence": [0.5, 0.4, 0.45, 0.6, 0.3],
            "verdict": ["yes", "non", "no", "", ""],
            "correct_themes": ["", "", "billing.refund", "", "billing"],
        }
    ).to_csv(path, index=False)
    confidence, right = judged_rows(path)
    # A correction that keeps the theme (only the sub-theme was wrong) still says the theme was right;
    # a correction alone, with no verdict, is a no; an empty row is not judged.
    assert confidence.tolist() == [0.5, 0.4, 0.45, 0.3] and right.tolist() == [1, 0, 1, 0]


@pytest.mark.parametrize(
    "verdict, confidence, message",
    [("peut-être", "0.5", r"neither yes nor no \(lines \[3\]\)"), ("yes", "high", "Line 3 .*is not a number")],
)
def test_judged_rows_names_the_bad_line(tmp_path, verdict, confidence, message):
    from vocnlp.errors import InputFileError
    from vocnlp.taxonomy.calibration import judged_rows

    path = tmp_path / "review.csv"
    path.write_text(f"theme_id,confidence,verdict\nbilling,0.5,yes\nbilling,{confidence},{verdict}\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=message):
        judged_rows(path)


def test_fit_refuses_what_it_cannot_learn_from():
    from vocnlp.errors import InputFileError
    from vocnlp.taxonomy.calibration import fit_calibration

    rng = np.random.default_rng(0)
    with pytest.raises(InputFileError, match="at least 30 judged rows"):
        fit_calibration(rng.random(10), rng.integers(0, 2, 10))
    with pytest.raises(InputFileError, match="both verdicts"):
        fit_calibration(rng.random(50), np.ones(50))
    confidence = rng.random(200)
    with pytest.raises(InputFileError, match="not more often right"):
        fit_calibration(confidence, (confidence < 0.5).astype(int))


def test_saved_map_round_trips_and_bad_files_are_named(tmp_path):
    from vocnlp.errors import ConfigError
    from vocnlp.taxonomy.calibration import fit_calibration, load_calibration

    rng = np.random.default_rng(1)
    confidence = rng.random(300)
    right = (rng.random(300) < confidence).astype(int)
    calibration = fit_calibration(confidence, right, source="review.csv")
    loaded = load_calibration(calibration.save(tmp_path / "map.json"))
    assert loaded == calibration
    assert np.array_equal(loaded.probability(confidence), calibration.probability(confidence))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "something else"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="not a theme calibration file"):
        load_calibration(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_calibration(tmp_path / "missing.json")
