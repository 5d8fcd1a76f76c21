"""Driver models against statsmodels, Shapley shares against the full model's R², and bad-data messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from vocnlp.analysis.drivers import analyse_drivers, bootstrap_impacts, impact_with_interval, percentile_interval
from vocnlp.analysis.drivers.marginal import shared_bootstrap_impacts
from vocnlp.analysis.drivers.models import (
    collapse_rows,
    least_squares,
    logistic,
    mcfadden_r2,
    mcfadden_r2_of_subsets,
    ols_r2_from_moments,
    ols_r2_of_subsets,
    with_intercept,
)
from vocnlp.analysis.drivers.shapley import r2_value_function, shapley_values
from vocnlp.analysis.scores import nps_contribution
from vocnlp.config import DriversConfig


def _survey(n=600, seed=0):
    """Overlapping 0/1 themes with known effects on a latent satisfaction."""
    rng = np.random.default_rng(seed)
    a = rng.random(n) < 0.3
    b = (rng.random(n) < 0.2) | (a & (rng.random(n) < 0.4))  # b overlaps a
    c = rng.random(n) < 0.15  # null theme
    latent = 1.0 - 1.5 * a - 0.8 * b + rng.normal(0, 1, n)
    return np.column_stack([a, b, c]).astype(float), (latent < 0).astype(float), latent


def test_maximum_likelihood_logistic_matches_statsmodels():
    x, y, _ = _survey()
    ours = logistic(with_intercept(x), y, firth=False)
    ref = sm.Logit(y, sm.add_constant(x)).fit(disp=0)
    np.testing.assert_allclose(ours.coef, ref.params, rtol=1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(ours.cov)), ref.bse, rtol=1e-5)
    assert ours.loglik == pytest.approx(ref.llf)
    assert mcfadden_r2(with_intercept(x), y) == pytest.approx(ref.prsquared, rel=1e-4)


def test_firth_stays_finite_under_separation_and_shrinks_towards_zero():
    x, y, _ = _survey(n=80, seed=3)
    x = np.column_stack([x, np.zeros(len(x))])
    x[:6, 3] = 1
    y[:6] = 1  # every mentioner of theme 4 is a detractor
    fit = logistic(with_intercept(x), y, firth=True)
    assert fit.converged and np.isfinite(fit.coef).all() and 0 < fit.coef[4] < 6
    small = with_intercept(x[:, :3])
    assert np.all(np.abs(logistic(small, y, firth=True).coef[1:]) < np.abs(logistic(small, y, firth=False).coef[1:]))


def test_least_squares_matches_statsmodels():
    x, _, latent = _survey()
    ours = least_squares(with_intercept(x), latent)
    ref = sm.OLS(latent, sm.add_constant(x)).fit()
    np.testing.assert_allclose(ours.coef, ref.params, rtol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(ours.cov)), ref.bse, rtol=1e-8)
    assert ours.loglik == pytest.approx(ref.rsquared)


@pytest.mark.parametrize("binary", [True, False])
def test_shapley_shares_add_up_to_the_models_r2(binary):
    x, y, latent = _survey()
    outcome = y if binary else latent
    phi, method = shapley_values(r2_value_function(x, np.zeros((len(x), 0)), outcome, binary), 3)
    ref = (
        sm.Logit(y, sm.add_constant(x)).fit(disp=0).prsquared
        if binary
        else sm.OLS(latent, sm.add_constant(x)).fit().rsquared
    )
    assert method == "exact" and phi.sum() == pytest.approx(ref, rel=1e-4)
    assert phi[0] > phi[1] > phi[2] >= -1e-3  # strong, weaker, null


@pytest.mark.parametrize("batched", [True, False])
def test_every_subset_fitted_together_equals_each_subset_fitted_alone(batched, monkeypatch):
    if not batched:  # rows too many for the batch's memory bound: the subsets are fitted one by one
        monkeypatch.setattr("vocnlp.analysis.drivers.models._OUTER_MAX", 0)
    x, y, latent = _survey(n=400, seed=5)
    # A never-mentioned theme (a zero column: singular for least squares) and one whose every mentioner is a
    # detractor (separated: only the ridge keeps it finite), beside a control.
    controls = np.random.default_rng(1).normal(size=(len(x), 1))
    drivers = np.column_stack([x, np.zeros(len(x)), np.zeros(len(x))])
    drivers[:5, 4], y[:5] = 1, 1
    k = drivers.shape[1]
    subsets = np.zeros((2**k, k + 2), dtype=bool)
    subsets[:, :2] = True
    subsets[:, 2:] = (np.arange(2**k)[:, None] >> np.arange(k)) & 1 == 1
    for outcome, binary in ((y, True), (latent, False)):
        rows = collapse_rows(controls, drivers, outcome)
        if binary:
            together = mcfadden_r2_of_subsets(rows.x, rows.y, rows.weights, subsets)
            alone = [mcfadden_r2(rows.x[:, m], rows.y, rows.weights) for m in subsets]
        else:
            gram = (rows.x * rows.weights[:, None]).T @ rows.x
            xty, yty, n = rows.x.T @ (rows.weights * rows.y), float(rows.weights @ rows.y**2), rows.weights.sum()
            together = ols_r2_of_subsets(gram, xty, yty, n, subsets)
            alone = [ols_r2_from_moments(gram, xty, yty, n, list(np.flatnonzero(m))) for m in subsets]
        np.testing.assert_allclose(together, alone, rtol=0, atol=1e-9)
        # The exact decomposition from the batch equals the one from fitting each subset on demand.
        value = r2_value_function(drivers, controls, outcome, binary)
        batched, _ = shapley_values(value, k)
        one_by_one, _ = shapley_values(lambda subset: value(subset), k)
        np.testing.assert_allclose(batched, one_by_one, rtol=0, atol=1e-9)


def test_sampled_shapley_approaches_the_exact_values_and_shares_twins_equally():
    x, y, latent = _survey()
    x = np.column_stack([x, x[:, 0]])  # an exact twin of theme a
    value = r2_value_function(x, np.zeros((len(x), 0)), latent, binary=False)
    exact, _ = shapley_values(value, 4)
    sampled, method = shapley_values(value, 4, exact_max=2, permutations=3000, seed=1)
    assert method.startswith("sampled") and np.abs(sampled - exact).max() < 0.01
    assert exact[0] == pytest.approx(exact[3])


def test_bootstrap_impact_interval_surrounds_the_hand_computed_impact():
    scores = np.asarray([9, 10, 9, 10, 7, 8, 7, 0, 5, 6] * 20)
    mentioned = np.asarray([0, 0, 0, 0, 0, 1, 0, 1, 1, 0] * 20, dtype=bool)
    contribution = nps_contribution(scores)
    impact = impact_with_interval(contribution, mentioned)[0]
    assert impact == pytest.approx(10 - 100 * (4 - 1) / 7)  # NPS 10 overall; the rest: 4 promoters, 1 detractor in 7
    low, high = percentile_interval(bootstrap_impacts(contribution, mentioned[:, None], 2000, seed=0))
    assert low[0] < impact < high[0]
    again = bootstrap_impacts(contribution, mentioned[:, None], 2000, seed=0)
    np.testing.assert_array_equal(again, bootstrap_impacts(contribution, mentioned[:, None], 2000, seed=0))


def _frame(n=300, seed=0, **extra):
    rng = np.random.default_rng(seed)
    billing = rng.random(n) < 0.3
    nps = np.where(billing, rng.integers(0, 7, n), rng.integers(5, 11, n)).astype(float)
    comments = pd.DataFrame({"comment_id": [f"c{i}" for i in range(n)], "nps_score": nps, **extra})
    mentions = pd.DataFrame(
        {
            "comment_id": comments["comment_id"][billing],
            "theme_id": "billing",
            "theme_name": "Billing",
            "sentiment": "negative",
        }
    )
    return comments, mentions


def test_bad_data_gives_clear_messages():
    cfg = DriversConfig(bootstrap=200, kinds=["theme"], covariates=["segment", "region"])
    comments, mentions = _frame(segment=["Pro"] * 300)
    result = analyse_drivers(comments.drop(columns="nps_score"), mentions, cfg)
    assert result.table.empty and any("No NPS column" in w for w in result.warnings)
    result = analyse_drivers(comments.assign(nps_score=np.nan), mentions, cfg)
    assert any("Every NPS value is missing" in w for w in result.warnings)
    result = analyse_drivers(comments.assign(nps_score=10.0), mentions, cfg)
    assert any("'detractor' has the same value for every valid respondent" in w for w in result.warnings)
    result = analyse_drivers(comments, mentions, cfg)
    assert any("'segment' has a single value" in w for w in result.warnings)
    assert any("'region' is not a column" in w for w in result.warnings)
    everywhere = pd.DataFrame(
        {"comment_id": comments["comment_id"], "theme_id": "app", "theme_name": "App", "sentiment": "neutral"}
    )
    table = analyse_drivers(comments, pd.concat([mentions, everywhere]), cfg).table
    app = table[table["driver_id"] == "app"]
    assert app["rank"].isna().all() and app["note"].str.contains("every comment").all()


def test_covariates_enter_the_models_as_controls():
    rng = np.random.default_rng(1)
    comments, mentions = _frame(segment=rng.choice(["Pro", "Home", "Home"], 300), tenure=rng.integers(1, 20, 300))
    cfg = DriversConfig(bootstrap=200, kinds=["theme"], covariates=["segment", "tenure"])
    result = analyse_drivers(comments, mentions, cfg)
    controls = result.table[result.table["driver_type"] == "covariate"]
    assert set(controls["driver_id"]) == {"segment=Pro", "tenure"}
    assert result.models[0]["controls"] == ["segment=Pro", "tenure"]
    billing = result.table[(result.table["driver_id"] == "billing") & (result.table["outcome"] == "detractor")].iloc[0]
    assert billing["adjusted_effect"] > 1 and billing["p_adjusted"] < 0.05


def _churn_survey(n=3000, seed=0):
    """Themes with planted hazard ratios: billing 2.5, waiting 1.6, staff 1 (null); a third still active."""
    rng = np.random.default_rng(seed)
    themes = {"billing": rng.random(n) < 0.25, "waiting": rng.random(n) < 0.3, "staff": rng.random(n) < 0.3}
    hazard = 0.02 * np.exp(np.log(2.5) * themes["billing"] + np.log(1.6) * themes["waiting"])
    time_to_leave = rng.exponential(1 / hazard)
    observed_until = rng.uniform(6, 60, n)  # months as a customer when the data were drawn
    churned = time_to_leave <= observed_until
    comments = pd.DataFrame(
        {
            "comment_id": [f"c{i}" for i in range(n)],
            "churned": churned,
            "tenure": np.minimum(time_to_leave, observed_until),
        }
    )
    mentions = pd.concat(
        [
            pd.DataFrame(
                {
                    "comment_id": comments["comment_id"][mask],
                    "theme_id": theme,
                    "theme_name": theme.title(),
                    "sentiment": "negative",
                }
            )
            for theme, mask in themes.items()
        ]
    )
    return comments, mentions


def test_time_to_churn_recovers_planted_hazard_ratios_with_intervals():
    comments, mentions = _churn_survey()
    result = analyse_drivers(comments, mentions, DriversConfig(bootstrap=200, kinds=["theme"]))
    cox = result.table[result.table["outcome"] == "time_to_churn"].set_index("driver_id")
    assert (cox["adjusted_effect_unit"] == "hazard ratio").all()
    assert cox.loc["billing", "adjusted_effect_ci_low"] < 2.5 < cox.loc["billing", "adjusted_effect_ci_high"]
    assert cox.loc["waiting", "adjusted_effect_ci_low"] < 1.6 < cox.loc["waiting", "adjusted_effect_ci_high"]
    assert cox.loc["staff", "adjusted_effect_ci_low"] < 1.0 < cox.loc["staff", "adjusted_effect_ci_high"]
    assert cox["rank"].tolist() == [1, 2, 3] and cox.index.tolist() == ["billing", "waiting", "staff"]
    assert cox.loc["billing", "p_adjusted"] < 0.001 and cox.loc["staff", "p_adjusted"] > 0.05
    model = next(m for m in result.models if m["outcome"] == "time_to_churn")
    assert model["events"] == int(comments["churned"].sum()) and model["likelihood_ratio_p"] < 0.001
    # The Cox rows come after the yes/no churn rows.
    outcomes = result.table["outcome"].drop_duplicates().tolist()
    assert outcomes.index("time_to_churn") == outcomes.index("churn") + 1


def test_time_to_churn_guardrails():
    comments, mentions = _churn_survey(n=800, seed=1)
    loyal = comments["comment_id"][~comments["churned"]].head(40)
    mentions = pd.concat(
        [mentions, pd.DataFrame({"comment_id": loyal, "theme_id": "app", "theme_name": "App", "sentiment": "neutral"})]
    )
    result = analyse_drivers(comments, mentions, DriversConfig(bootstrap=200, kinds=["theme"]))
    app = result.table[(result.table["outcome"] == "time_to_churn") & (result.table["driver_id"] == "app")].iloc[0]
    assert pd.isna(app["rank"]) and "no churn among those who mention it" in app["note"]
    off = analyse_drivers(comments, mentions, DriversConfig(bootstrap=200, kinds=["theme"], time_to_churn=False))
    assert "time_to_churn" not in set(off.table["outcome"])
    everyone_left = analyse_drivers(
        comments.assign(churned=True), mentions, DriversConfig(bootstrap=200, kinds=["theme"])
    )
    assert any("need both churned and active customers" in w for w in everyone_left.warnings)


def test_shared_bootstrap_gives_each_problem_what_its_own_call_gives():
    rng = np.random.default_rng(3)
    problems = {}
    for key, n in (("nps-themes", 400), ("nps-emotions", 400), ("churn-themes", 250)):
        contribution = rng.choice([-100.0, 0.0, 100.0], n)
        problems[key] = (contribution, rng.random((n, 3)) < 0.2)
    shared = shared_bootstrap_impacts(problems, 120, seed=5, chunk=7)
    assert list(shared) == list(problems)
    for key, (contribution, drivers) in problems.items():
        np.testing.assert_array_equal(shared[key], bootstrap_impacts(contribution, drivers, 120, seed=5, chunk=7))
