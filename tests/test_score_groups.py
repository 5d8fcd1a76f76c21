"""Scores by segment and period, and group differences, against hand-computed values and statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

from vocnlp import analyze
from vocnlp.analysis.groups import adjust, mean_difference, nps_difference, proportion_difference, scores_by_group
from vocnlp.analysis.scores import nps, proportion
from vocnlp.report.wording import describe_flag

TEN = [9, 10, 9, 10, 7, 8, 7, 0, 5, 6]  # NPS +10
FIVE = [10, 0, 0, 3, 8]  # 1 promoter, 3 detractors: NPS −40


def test_nps_difference_by_hand():
    r = nps_difference(TEN, FIVE)
    se_a = 100 * math.sqrt((0.4 + 0.3 - 0.01) / 10)
    se_b = 100 * math.sqrt((0.2 + 0.6 - 0.16) / 5)
    assert r["difference"] == pytest.approx(50.0)
    half = 1.959963984540054 * math.sqrt(se_a**2 + se_b**2)
    assert (r["ci_low"], r["ci_high"]) == (pytest.approx(50 - half), pytest.approx(50 + half))
    assert r["p_value"] == pytest.approx(
        2 * (1 - 0.5 * (1 + math.erf(50 / math.sqrt(se_a**2 + se_b**2) / math.sqrt(2))))
    )


def test_plain_wald_nps_interval_is_selectable():
    r = nps(TEN, method="wald")
    assert (r["ci_low"], r["ci_high"]) == (
        pytest.approx(10 - 1.959963984540054 * r["se"]),
        pytest.approx(10 + 1.959963984540054 * r["se"]),
    )
    with pytest.raises(ValueError, match="adjusted_wald or wald"):
        nps(TEN, method="exact")


def test_churn_difference_matches_statsmodels_newcombe():
    r = proportion_difference(30, 120, 18, 140)
    lo, hi = confint_proportions_2indep(30, 120, 18, 140, method="newcomb", compare="diff")
    assert r["difference"] == pytest.approx(30 / 120 - 18 / 140)
    assert (r["ci_low"], r["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))


@pytest.mark.parametrize("method,reference", [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjustments_match_statsmodels(method, reference):
    p = [0.01, 0.04, 0.03, 0.2, np.nan, 0.005]
    ours = adjust(p, method)
    ok = ~np.isnan(p)
    np.testing.assert_allclose(ours[ok], multipletests(np.asarray(p)[ok], method=reference)[1])
    assert np.isnan(ours[4])


def test_segments_and_periods_with_their_warnings():
    comments = pd.DataFrame(
        {
            "nps_score": [9, 10, 2, 3, 9, 8, 0, 10] * 10,
            "churned": [False, False, True, True] * 20,
            "region": ["North", "South"] * 40,
            "plan": ["Basic"] * 80,
            "response_date": pd.to_datetime(["2026-01-15"] * 40 + ["2026-04-02"] * 40),
        }
    )
    by_group, comparisons, warnings = scores_by_group(comments, ["region", "plan"], period="quarter")
    assert set(by_group["grouping"]) == {"region", "period (quarter)"}
    assert set(by_group.loc[by_group["grouping"] == "period (quarter)", "group"]) == {"2026-Q1", "2026-Q2"}
    assert any("'plan' has a single value" in w for w in warnings)
    assert set(comparisons["measure"]) == {"nps", "churn_rate"}
    assert (comparisons["adjustment"] == "holm, 2 comparisons").all()
    north = by_group[(by_group["grouping"] == "region") & (by_group["group"] == "North")].iloc[0]
    assert north["nps"] == pytest.approx(nps([9, 2, 9, 0] * 10)["nps"])


def test_resolution_time_difference_is_welch_by_hand():
    a, b = [2.0, 4.0, 9.0, 5.0], [10.0, 14.0, 30.0]
    r = mean_difference(a, b)
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    diff = np.mean(a) - np.mean(b)
    half = stats.t.ppf(0.975, df) * se
    assert r["difference"] == pytest.approx(diff)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((diff - half, diff + half))
    assert r["p_value"] == pytest.approx(2 * stats.t.sf(abs(diff) / se, df))
    assert math.isnan(mean_difference([1.0], b)["difference"])  # one value has no variance


def test_fcr_resolution_time_referral_and_tenure_from_their_columns_with_flags():
    frame = pd.DataFrame(
        {
            "comment": ["ok"] * 8,
            "Résolu au premier contact ?": ["oui", "non", "oui", "oui", "peut-être", "", "non", "oui"],
            "delai_resolution": ["2", "48", "3,5", "-1", "abc", "", "30", "1"],
            "referral": ["yes", "no", "no", "no", "yes", "no", "", "no"],
            "Ancienneté (mois)": ["12", "3", "-4", "40", "7", "2", "18", "9"],
            "segment": ["A", "A", "A", "A", "B", "B", "B", "B"],
        }
    )
    result = analyze(frame, segments=["segment"])
    columns = result.validation["columns"]
    assert (columns["fcr"], columns["resolution_time"], columns["referral"], columns["tenure"]) == (
        "Résolu au premier contact ?",
        "delai_resolution",
        "referral",
        "Ancienneté (mois)",
    )
    assert result.validation["flag_counts"] == {
        "fcr_invalid": 1,
        "fcr_missing": 1,
        "resolution_time_missing": 1,
        "resolution_time_non_numeric": 1,
        "resolution_time_out_of_range": 1,
        "referral_missing": 1,
        "tenure_out_of_range": 1,
    }
    assert result.comments["tenure"].isna().sum() == 1
    s = result.summary["scores"]
    assert (s["fcr"]["count"], s["fcr"]["n"]) == (4, 6)
    assert s["fcr"]["ci_low"] == pytest.approx(proportion(4, 6)["ci_low"])
    times = [2, 48, 3.5, 30, 1]
    assert s["resolution_time"]["n"] == 5 and s["resolution_time"]["mean"] == pytest.approx(np.mean(times))
    assert s["resolution_time"]["median"] == 3.5 and s["resolution_time"]["unit"] == "hours"
    assert (s["referral"]["count"], s["referral"]["n"]) == (2, 7)
    groups = result.scores_by_group.set_index("group")
    assert groups.loc["A", "fcr_rate"] == pytest.approx(3 / 4)
    assert groups.loc["B", "resolution_time_median"] == pytest.approx(15.5)
    assert set(result.score_comparisons["measure"]) == {"fcr_rate", "referral_rate", "resolution_time_mean"}
    assert (result.score_comparisons["adjustment"] == "holm, 3 comparisons").all()


def test_flags_of_the_new_columns_read_in_words():
    assert describe_flag("fcr_invalid", "en") == "FCR not readable (yes/no expected)"
    assert describe_flag("resolution_time_out_of_range", "fr") == "délai de résolution hors de son échelle"
