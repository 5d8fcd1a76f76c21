"""Scores and first-version drivers against hand-computed values and statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from vocnlp.analysis.drivers import impact_with_interval
from vocnlp.analysis.scores import nps, nps_contribution, proportion

# 10 respondents: 4 promoters (9,10,9,10), 3 passives (7,8,7), 3 detractors (0,5,6).
TEN = [9, 10, 9, 10, 7, 8, 7, 0, 5, 6]


def test_nps_point_and_standard_error_by_hand():
    r = nps(TEN)
    assert r["nps"] == pytest.approx(10.0)  # 40% − 30%
    # Var = p + d − (p − d)² = 0.4 + 0.3 − 0.01 = 0.69 ; SE = 100·√(0.69/10)
    assert r["se"] == pytest.approx(100 * math.sqrt(0.069))
    assert (r["promoters"], r["passives"], r["detractors"]) == (4, 3, 3)


def test_nps_adjusted_wald_interval_by_hand():
    r = nps(TEN)
    p, d, n = 4.75 / 13, 3.75 / 13, 13
    centre = 100 * (p - d)
    half = 1.959963984540054 * 100 * math.sqrt((p + d - (p - d) ** 2) / n)
    assert r["ci_low"] == pytest.approx(centre - half)
    assert r["ci_high"] == pytest.approx(centre + half)


def test_nps_ignores_missing_and_handles_empty():
    assert nps([9, None, np.nan, 0])["n"] == 2
    assert nps([])["nps"] is None


def test_wilson_matches_statsmodels():
    lo, hi = proportion_confint(13, 40, method="wilson")
    r = proportion(13, 40)
    assert (r["ci_low"], r["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))


def test_impact_equals_nps_without_mentioners():
    scores = np.asarray(TEN)
    mentioned = np.asarray([0, 0, 0, 0, 0, 1, 0, 1, 1, 0], dtype=bool)
    impact, lo, hi, nps_t, nps_rest = impact_with_interval(nps_contribution(scores), mentioned)
    nps_all, nps_without = nps(scores)["nps"], nps(scores[~mentioned])["nps"]
    assert impact == pytest.approx(nps_all - nps_without)  # 10 − 42.857
    assert impact == pytest.approx(0.3 * (nps_t - nps_rest))  # share × difference
    assert lo < impact < hi


def test_impact_interval_covers_in_simulation():
    """Nominal 95% delta-method intervals should cover the true impact about 95% of the time."""
    rng = np.random.default_rng(0)
    n, share = 800, 0.2

    # True impact under this model, computed on a very large draw.
    def draw(size):
        t = rng.random(size) < share
        s = np.where(
            t, rng.choice([100, 0, -100], size, p=[0.2, 0.3, 0.5]), rng.choice([100, 0, -100], size, p=[0.5, 0.3, 0.2])
        )
        return s, t

    big_s, big_t = draw(2_000_000)
    truth = big_s.mean() - big_s[~big_t].mean()
    covered = 0
    for _ in range(400):
        s, t = draw(n)
        _, lo, hi, _, _ = impact_with_interval(s, t)
        covered += lo <= truth <= hi
    assert 0.92 <= covered / 400 <= 0.98


def test_driver_table_guardrails():
    from vocnlp.analysis.drivers import driver_table
    from vocnlp.config import DriversConfig

    comments = pd.DataFrame(
        {"comment_id": [str(i) for i in range(40)], "nps_score": pd.array([2] * 10 + [9] * 30, dtype="Float64")}
    )
    mentions = pd.DataFrame(
        {
            "comment_id": [str(i) for i in range(10)] + ["11", "12"],
            "theme_id": ["billing"] * 10 + ["rare"] * 2,
            "theme_name": ["Billing"] * 10 + ["Rare"] * 2,
        }
    )
    table = driver_table(comments, mentions, DriversConfig(min_mentions=5))
    billing = table[table["theme_id"] == "billing"].iloc[0]
    # NPS of all = (30 − 10)/40 = +50; without the 10 billing detractors = +100; impact = −50.
    assert billing["rank"] == 1 and billing["impact"] == pytest.approx(-50.0)
    assert billing["score_mentioners"] == pytest.approx(-100.0) and billing["score_rest"] == pytest.approx(100.0)
    rare = table[table["theme_id"] == "rare"].iloc[0]
    assert pd.isna(rare["rank"]) and "too few mentions" in rare["note"]
    assert 0 <= billing["p_adjusted"] <= 1
