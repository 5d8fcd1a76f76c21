"""Driver impact corrected for label error (predictive-value weighting): recovers a planted impact when the
labels miss more among unhappy respondents, equals the naive impact when the labels are right."""

from __future__ import annotations

import numpy as np
import pytest

from vocnlp.analysis.drivers.label_error import (
    JudgedSample,
    corrected_impacts,
    label_quality,
    outcome_cells,
    weighted_impact,
)


def _planted(seed: int, n: int = 4000):
    """A theme mentioned by 30%, detractors 60% among mentioners and 30% among the rest; the pipeline finds the
    theme in 70% of happy mentioners' comments but 30% of unhappy ones', and adds 5% false mentions."""
    rng = np.random.default_rng(seed)
    truth = rng.random(n) < 0.3
    detractor = (rng.random(n) < np.where(truth, 0.6, 0.3)).astype(float)
    found = np.where(truth, rng.random(n) < np.where(detractor == 1, 0.3, 0.7), rng.random(n) < 0.05)
    return rng, truth, detractor, found


def test_the_correction_recovers_a_planted_impact_that_outcome_dependent_misses_hide():
    rng, truth, detractor, found = _planted(0)
    true_impact = weighted_impact(detractor, truth.astype(float))[0]
    naive = weighted_impact(detractor, found.astype(float))[0]
    assert true_impact > 0.07 and naive < 0.02  # the misses hide most of the impact
    rows = rng.choice(len(truth), 400, replace=False)
    judged = JudgedSample(rows, truth[rows, None].astype(float))
    result = corrected_impacts(detractor, found[:, None], judged, replicates=300, seed=1)
    assert result["impact"][0] == pytest.approx(true_impact, abs=0.02)
    assert result["low"][0] < true_impact < result["high"][0]
    assert result["prevalence"][0] == pytest.approx(truth.mean(), abs=0.03)


def test_a_judged_sample_drawn_more_from_predicted_mentions_still_recovers_it():
    rng, truth, detractor, found = _planted(2)
    mentions, others = np.flatnonzero(found), np.flatnonzero(~found)
    rows = np.concatenate([rng.choice(mentions, 150, replace=False), rng.choice(others, 150, replace=False)])
    judged = JudgedSample(rows, truth[rows, None].astype(float))
    result = corrected_impacts(detractor, found[:, None], judged, replicates=200, seed=3)
    assert result["impact"][0] == pytest.approx(weighted_impact(detractor, truth.astype(float))[0], abs=0.025)
    quality = label_quality(found, judged, 0)
    dump_recall = (found & truth).sum() / truth.sum()
    assert quality["judged"] == 300
    assert quality["recall"] == pytest.approx(dump_recall, abs=0.08)  # reweighted to the dump's label shares
    assert quality["precision"] == pytest.approx((found & truth).sum() / found.sum(), abs=0.08)


def test_with_perfect_labels_the_corrected_impact_is_the_naive_one():
    rng, truth, detractor, _ = _planted(4)
    rows = rng.choice(len(truth), 200, replace=False)
    judged = JudgedSample(rows, truth[rows, None].astype(float))
    result = corrected_impacts(detractor, truth[:, None], judged, replicates=50, seed=0)
    assert result["impact"][0] == pytest.approx(weighted_impact(detractor, truth.astype(float))[0], abs=1e-12)


def test_a_driver_without_judged_comments_of_a_predicted_label_is_not_corrected():
    rng, truth, detractor, found = _planted(5)
    rows = np.flatnonzero(found)[:50]  # only predicted mentions judged: the misses cannot be estimated
    judged = JudgedSample(rows, truth[rows, None].astype(float))
    result = corrected_impacts(detractor, found[:, None], judged, replicates=20)
    assert np.isnan(result["impact"][0]) and np.isnan(result["low"][0])


def test_outcome_cells_keep_few_valued_outcomes_and_bin_the_others():
    assert outcome_cells(np.array([-100.0, 0.0, 100.0, 0.0])).tolist() == [0, 1, 2, 1]
    binned = outcome_cells(np.linspace(0, 1, 1000))
    assert len(np.unique(binned)) == 11 and binned[0] == 0 and binned[-1] == 10
