"""The ranked driver table: for each outcome and kind of driver, marginal impact, adjusted effect and Shapley share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from vocnlp.analysis.drivers.candidates import candidate_drivers, control_covariates, variance_inflation
from vocnlp.analysis.drivers.corrected import CORRECTED_COLUMNS, CORRECTED_KINDS, add_corrected_impacts
from vocnlp.analysis.drivers.judged import JudgedLabels
from vocnlp.analysis.drivers.marginal import bootstrap_every_analysis, impact_with_interval, percentile_interval
from vocnlp.analysis.drivers.models import (
    average_marginal_effects,
    collapse_rows,
    cross_validated_fit,
    least_squares,
    logistic,
)
from vocnlp.analysis.drivers.outcomes import Outcome, outcomes_of
from vocnlp.analysis.drivers.shapley import r2_value_of_rows, shapley_values
from vocnlp.analysis.drivers.survival import OUTCOME as TIME_TO_CHURN
from vocnlp.analysis.drivers.survival import survival_data, time_to_churn_drivers
from vocnlp.config import DRIVER_KINDS as KINDS
from vocnlp.config import DriversConfig, RunConfig

DRIVER_COLUMNS = [
    "outcome",
    "driver_type",
    "driver_id",
    "driver_name",
    "theme_id",
    "rank",
    "rank_ci_low",
    "rank_ci_high",
    "mentions",
    "prevalence",
    "base_n",
    "score_mentioners",
    "score_rest",
    "impact",
    "impact_ci_low",
    "impact_ci_high",
    "impact_unit",
    "adjusted_effect",
    "adjusted_effect_ci_low",
    "adjusted_effect_ci_high",
    "adjusted_effect_unit",
    "marginal_effect",
    "priority",
    "p_value",
    "p_adjusted",
    "shapley_r2",
    "shapley_share",
    "vif",
    "flags",
    "note",
]

CAVEAT = (
    "Drivers are associations between what customers mention and their scores, not causes: a theme can "
    "go with detractors because of something else those customers share."
)


@dataclass
class DriverAnalysis:
    """The ranked table, one summary per fitted model, and the warnings an analyst must see."""

    table: pd.DataFrame
    models: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    caveat: str = CAVEAT


# Thousands of small products (Newton steps, bootstrap sums, cross-validation folds): BLAS threads cost more to wake
# and synchronise than they give (10,000 comments: 1.4 → 0.86 s; 100,000: 6.7 → 5.3 s).
@threadpool_limits.wrap(limits=1)
def analyse_drivers(
    comments: pd.DataFrame,
    mentions: pd.DataFrame,
    cfg: DriversConfig,
    seed: int = 0,
    ces_higher_is_easier: bool = True,
    judged: JudgedLabels | None = None,
) -> DriverAnalysis:
    """Every driver measure for every outcome the input has; see DRIVER_COLUMNS and the README for definitions.

    ``judged`` (comments whose true themes a person gave): theme drivers also get their impact corrected for
    label error and their labels' precision and recall (CORRECTED_COLUMNS).
    """
    outcomes, warnings = outcomes_of(comments, ces_higher_is_easier)
    candidates = candidate_drivers(comments, mentions, [k for k in KINDS if k in cfg.kinds])
    controls, control_warnings = control_covariates(comments, list(cfg.covariates))
    warnings += control_warnings
    rows: list[dict] = []
    models: list[dict] = []
    replicates = bootstrap_every_analysis(outcomes, candidates, cfg.bootstrap, seed)
    for i, outcome in enumerate(outcomes):
        valid = ~np.isnan(outcome.values)
        y = outcome.values[valid]
        if np.unique(y).size < 2:
            warnings.append(
                f"Outcome '{outcome.name}' has the same value for every valid respondent "
                f"({y[0]:g}); its drivers cannot be estimated."
            )
            continue
        for kind, (matrix, info) in candidates.items():
            if matrix.shape[1] == 0:
                continue
            part, model = _analyse(
                outcome, kind, matrix[valid], info, controls[valid], cfg, seed, warnings, replicates[i, kind]
            )
            if judged is not None and kind in CORRECTED_KINDS:
                add_corrected_impacts(part, y, matrix[valid], valid, judged, outcome.harm_sign, cfg, seed)
            rows += part
            if model:
                models.append(model)
    survival = survival_data(comments) if cfg.time_to_churn else None
    if survival is not None:
        usable, tenure, churned = survival
        if churned.sum() == 0 or churned.sum() == len(churned):
            warnings.append(
                "Time-to-churn drivers need both churned and active customers with a tenure; they are skipped."
            )
        else:
            for kind, (matrix, info) in candidates.items():
                if matrix.shape[1]:
                    part, model = time_to_churn_drivers(
                        kind, matrix[usable], info, tenure, churned, controls[usable], cfg, warnings, guardrail_note
                    )
                    rows += part
                    if model:
                        models.append(model)
    table = pd.DataFrame(rows, columns=DRIVER_COLUMNS + (CORRECTED_COLUMNS if judged is not None else []))
    if judged is not None:
        table["rank_corrected"] = table["rank_corrected"].astype("Float64").astype("Int64")
        table["labels_judged"] = table["labels_judged"].astype("Float64").astype("Int64")
    if len(table):
        order = {name: i for i, name in enumerate(["nps", "detractor", "churn", TIME_TO_CHURN, "csat", "ces"])}
        kinds = {k: i for i, k in enumerate(list(KINDS) + ["covariate"])}
        table["rank"] = table["rank"].astype("Int64")
        table = (
            table.assign(
                _o=table["outcome"].map(order),
                _k=table["driver_type"].map(kinds),
                _r=table["rank"].astype("float64").fillna(1e9),
            )
            .sort_values(["_o", "_k", "_r", "driver_id"], kind="stable")
            .drop(columns=["_o", "_k", "_r"])
            .reset_index(drop=True)
        )
        floats = table.select_dtypes("float").columns
        table[floats] = table[floats].round(6)
    return DriverAnalysis(table, models, warnings)


def run_drivers(
    comments: pd.DataFrame, mentions: pd.DataFrame, config: RunConfig, judged: JudgedLabels | None = None
) -> DriverAnalysis:
    """:func:`analyse_drivers` with a run configuration's settings, as a run computes them."""
    return analyse_drivers(
        comments,
        mentions,
        config.drivers,
        seed=config.seed,
        ces_higher_is_easier=config.input.ces_higher_is_easier,
        judged=judged,
    )


def driver_table(comments: pd.DataFrame, mentions: pd.DataFrame, cfg: DriversConfig, seed: int = 0) -> pd.DataFrame:
    """Only the table of :func:`analyse_drivers`."""
    return analyse_drivers(comments, mentions, cfg, seed).table


def guardrail_note(n_t: int, n: int, min_mentions: int) -> str:
    """Why a driver is listed but not ranked (never or too rarely mentioned, or in every comment); "" when ranked."""
    if n_t == 0:
        return "never mentioned"
    if n_t < min_mentions:
        return f"too few mentions to rank (fewer than {min_mentions})"
    if n_t == n:
        return "mentioned in every comment: no comparison group"
    return ""


def _analyse(
    outcome: Outcome,
    kind: str,
    matrix: pd.DataFrame,
    info: dict,
    controls: pd.DataFrame,
    cfg: DriversConfig,
    seed: int,
    warnings: list[str],
    replicates: np.ndarray,
) -> tuple[list[dict], dict | None]:
    t = matrix.to_numpy(dtype=bool)
    y = outcome.values[~np.isnan(outcome.values)]
    n = len(y)
    ids = list(matrix.columns)
    counts = t.sum(axis=0)
    notes = [guardrail_note(int(c), n, cfg.min_mentions) for c in counts]
    usable = [j for j, note in enumerate(notes) if not note]
    level = cfg.confidence_level
    impact_lo, impact_hi = percentile_interval(replicates, level)
    rows = []
    for j, driver in enumerate(ids):
        name, theme = info[driver]
        impact, _, _, score_mentioners, score_rest = impact_with_interval(y, t[:, j], level)
        rows.append(
            {
                "outcome": outcome.name,
                "driver_type": kind,
                "driver_id": driver,
                "driver_name": name,
                "theme_id": theme,
                "rank": None,
                "rank_ci_low": np.nan,
                "rank_ci_high": np.nan,
                "mentions": int(counts[j]),
                "prevalence": counts[j] / n,
                "base_n": n,
                "score_mentioners": score_mentioners,
                "score_rest": score_rest,
                "impact": impact,
                "impact_ci_low": impact_lo[j],
                "impact_ci_high": impact_hi[j],
                "impact_unit": outcome.unit,
                "adjusted_effect": np.nan,
                "adjusted_effect_ci_low": np.nan,
                "adjusted_effect_ci_high": np.nan,
                "adjusted_effect_unit": "odds ratio" if outcome.binary else outcome.unit,
                "marginal_effect": np.nan,
                "priority": np.nan,
                "p_value": np.nan,
                "p_adjusted": np.nan,
                "shapley_r2": np.nan,
                "shapley_share": np.nan,
                "vif": np.nan,
                "flags": "",
                "note": notes[j],
            }
        )
    _rank(rows, usable, replicates, outcome.harm_sign, level)
    if not usable:
        return rows, None
    model = _fit_model(outcome, kind, t[:, usable], [ids[j] for j in usable], controls, y, cfg, seed, warnings)
    per_driver = model.pop("per_driver")
    for pos, j in enumerate(usable):
        rows[j].update({key: float(values[pos]) for key, values in per_driver.items()})
        rows[j]["priority"] = rows[j]["prevalence"] * rows[j]["marginal_effect"]
    flagged = [j for j in usable if rows[j]["vif"] >= cfg.vif_threshold]
    for j in flagged:
        rows[j]["flags"] = _join(rows[j]["flags"], f"collinear with other drivers (VIF {rows[j]['vif']:.1f})")
    rows += model.pop("control_rows")
    return rows, model


def _rank(rows: list[dict], usable: list[int], replicates: np.ndarray, harm_sign: int, level: float) -> None:
    """Rank usable drivers most harmful first, with bootstrap rank intervals and an instability flag."""
    order = sorted(usable, key=lambda j: (-harm_sign * rows[j]["impact"], rows[j]["driver_id"]))
    for position, j in enumerate(order, start=1):
        rows[j]["rank"] = position
    if len(usable) == 1:
        rows[usable[0]]["rank_ci_low"] = rows[usable[0]]["rank_ci_high"] = 1.0
    if len(usable) < 2:
        return
    harm = -harm_sign * np.nan_to_num(replicates[:, usable], nan=0.0)
    ranks = stats.rankdata(harm, axis=1, method="average")
    low, high = np.quantile(ranks, [(1 - level) / 2, 1 - (1 - level) / 2], axis=0)
    for pos, j in enumerate(usable):
        rows[j]["rank_ci_low"], rows[j]["rank_ci_high"] = float(np.floor(low[pos])), float(np.ceil(high[pos]))
        if high[pos] - low[pos] >= 3:
            rows[j]["flags"] = _join(rows[j]["flags"], "rank unstable across bootstrap resamples")


def _join(flags: str, flag: str) -> str:
    return f"{flags}; {flag}" if flags else flag


# Cross-validation refits the model on full rows five times (scikit-learn copies them per fold): above this many
# respondents it reads a seeded random sample of them, which keeps its memory flat; the out-of-sample AUC or R² of
# 200,000 respondents varies by well under a point from one sample to another.
CV_MAX_RESPONDENTS = 200_000


def cv_respondents(n: int, seed: int) -> np.ndarray:
    """Positions of the respondents the cross-validated fit reads: all of them, or a seeded sample (in order)."""
    if n <= CV_MAX_RESPONDENTS:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, CV_MAX_RESPONDENTS, replace=False))


def _fit_model(
    outcome: Outcome,
    kind: str,
    drivers: np.ndarray,
    ids: list[str],
    controls: pd.DataFrame,
    y: np.ndarray,
    cfg: DriversConfig,
    seed: int,
    warnings: list[str],
) -> dict:
    """Multivariable model of the outcome on all usable drivers of one kind plus the controls."""
    level = cfg.confidence_level
    c = controls.to_numpy(dtype=float)
    yb = (y > 0).astype(float) if outcome.binary else y
    rows = collapse_rows(c, drivers, yb)
    x = rows.x
    first = 1 + c.shape[1]
    driver_cols = list(range(first, x.shape[1]))
    if outcome.binary:
        fit = logistic(x, rows.y, weights=rows.weights, firth=True)
        est, lo, hi, p = fit.wald(level)
        effect, effect_lo, effect_hi = np.exp(est), np.exp(lo), np.exp(hi)
        marginal = 100 * average_marginal_effects(fit, x, driver_cols, rows.weights)
        if not fit.converged:
            warnings.append(
                f"The {outcome.name} model on {kind} drivers did not converge; read its odds ratios with care."
            )
    else:
        fit = least_squares(x, rows.y, rows.weights)
        est, lo, hi, p = fit.wald(level)
        effect, effect_lo, effect_hi, marginal = est, lo, hi, est[driver_cols]
    adjusted = np.full(len(ids), np.nan)
    finite = ~np.isnan(p[driver_cols])
    if finite.any():
        adjusted[finite] = stats.false_discovery_control(p[driver_cols][finite], method="bh")
    phi, method = shapley_values(
        r2_value_of_rows(rows, c.shape[1], outcome.binary),
        len(ids),
        cfg.shapley_exact_max,
        cfg.shapley_permutations,
        seed,
    )
    total = float(phi.sum())
    vif = variance_inflation(x[:, 1:], rows.weights)[c.shape[1] :]
    per_driver = {
        "adjusted_effect": effect[driver_cols],
        "adjusted_effect_ci_low": effect_lo[driver_cols],
        "adjusted_effect_ci_high": effect_hi[driver_cols],
        "marginal_effect": marginal,
        "p_value": p[driver_cols],
        "p_adjusted": adjusted,
        "shapley_r2": phi,
        "shapley_share": phi / total if total > 0 else np.full(len(ids), np.nan),
        "vif": vif,
    }
    control_rows = [
        {
            "outcome": outcome.name,
            "driver_type": "covariate",
            "driver_id": name,
            "driver_name": name,
            "theme_id": None,
            "rank": None,
            "base_n": len(y),
            "adjusted_effect": float(effect[1 + i]),
            "adjusted_effect_ci_low": float(effect_lo[1 + i]),
            "adjusted_effect_ci_high": float(effect_hi[1 + i]),
            "adjusted_effect_unit": "odds ratio" if outcome.binary else outcome.unit,
            "p_value": float(p[1 + i]),
            "flags": "",
            "note": f"control variable in the {kind} model",
        }
        for i, name in enumerate(controls.columns)
    ]
    metric = "cv_auc" if outcome.binary else "cv_r2"
    keep = cv_respondents(len(yb), seed)
    return {
        "outcome": outcome.name,
        "driver_type": kind,
        "n": len(y),
        "drivers": ids,
        "controls": list(controls.columns),
        "model": "Firth-penalised logistic regression" if outcome.binary else "ordinary least squares",
        "r2": total,
        "r2_kind": "McFadden pseudo-R² (drivers' gain over controls)"
        if outcome.binary
        else "R² (drivers' gain over controls)",
        "shapley": method,
        metric: cross_validated_fit(
            np.hstack([c[keep], drivers[keep].astype(float)]), yb[keep], outcome.binary, seed, cfg.cv_folds
        ),
        "cv_respondents": int(len(keep)),
        "converged": bool(fit.converged),
        "per_driver": per_driver,
        "control_rows": control_rows,
    }
