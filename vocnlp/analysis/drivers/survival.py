"""Time-to-churn drivers: a Cox proportional-hazards model of tenure and churn on what customers mention.

Churn as a yes/no outcome ignores when it happens: a customer who left after
two months and one who left after five years count the same, and customers
still active are treated as if they never will leave. With a tenure column
(time as a customer until churn, or until the data were drawn for those still
active), the Cox model uses both: a hazard ratio of 1.8 means customers who
mention the theme leave at 1.8 times the rate, at any tenure, than those who
do not. statsmodels' ``PHReg`` (Efron ties) fits it; no new dependency.
It assumes the ratio is constant over tenure; read it as an average if not.
"""

from __future__ import annotations

import warnings as python_warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg

from vocnlp.config import DriversConfig

OUTCOME = "time_to_churn"
MODEL = "Cox proportional hazards (statsmodels PHReg, Efron ties)"
_HUGE_LOG_HAZARD = 8.0  # |log HR| beyond this (HR > ~3000) means no events on one side, not an estimate


def survival_data(comments: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(rows usable, tenure, churned) when the input has both columns, else None."""
    if "tenure" not in comments or "churned" not in comments:
        return None
    tenure = comments["tenure"].to_numpy(dtype=float, na_value=np.nan)
    churned = pd.to_numeric(
        comments["churned"].astype("object").where(comments["churned"].notna()), errors="coerce"
    ).to_numpy(dtype=float, na_value=np.nan)
    usable = ~np.isnan(tenure) & ~np.isnan(churned)
    return usable, tenure[usable], churned[usable]


def time_to_churn_drivers(
    kind: str,
    matrix: pd.DataFrame,
    info: dict,
    tenure: np.ndarray,
    churned: np.ndarray,
    controls: pd.DataFrame,
    cfg: DriversConfig,
    warnings: list[str],
    note_for,
) -> tuple[list[dict], dict | None]:
    """Driver-table rows (hazard ratios with intervals, BH-adjusted p) and a model summary for one driver kind.

    ``note_for(mentions, n, min_mentions)`` gives the guardrail note (too few mentions, ...) shared with the
    other outcomes; a driver with a note is listed but not in the model.
    """
    t = matrix.to_numpy(dtype=bool)
    n, events = len(tenure), int(churned.sum())
    ids = list(matrix.columns)
    counts = t.sum(axis=0)
    notes = [note_for(int(c), n, cfg.min_mentions) for c in counts]
    for j in range(len(ids)):
        if not notes[j] and churned[t[:, j]].sum() == 0:
            notes[j] = "no churn among those who mention it: no hazard ratio"
    usable = [j for j, note in enumerate(notes) if not note]
    rows = []
    for j, driver in enumerate(ids):
        name, theme = info[driver]
        rows.append(
            {
                "outcome": OUTCOME,
                "driver_type": kind,
                "driver_id": driver,
                "driver_name": name,
                "theme_id": theme,
                "rank": None,
                "rank_ci_low": np.nan,
                "rank_ci_high": np.nan,
                "mentions": int(counts[j]),
                "prevalence": counts[j] / n if n else np.nan,
                "base_n": n,
                "impact_unit": "",
                "adjusted_effect": np.nan,
                "adjusted_effect_ci_low": np.nan,
                "adjusted_effect_ci_high": np.nan,
                "adjusted_effect_unit": "hazard ratio",
                "p_value": np.nan,
                "p_adjusted": np.nan,
                "flags": "",
                "note": notes[j],
            }
        )
    if not usable or events == 0:
        return rows, None
    x = np.hstack([controls.to_numpy(dtype=float), t[:, usable].astype(float)])
    first = controls.shape[1]
    level = cfg.confidence_level
    with python_warnings.catch_warnings():
        python_warnings.simplefilter("ignore")  # convergence is checked below, in words the analyst can act on
        model = PHReg(tenure, x, status=churned, ties="efron")
        fit = model.fit()
    est, se = np.asarray(fit.params), np.asarray(fit.bse)
    z = stats.norm.ppf(0.5 + level / 2)
    p = 2 * stats.norm.sf(np.abs(est / se))
    unstable = ~np.isfinite(se) | (np.abs(est) > _HUGE_LOG_HAZARD)
    driver_p = np.where(unstable[first:], np.nan, p[first:])
    adjusted = np.full(len(usable), np.nan)
    finite = ~np.isnan(driver_p)
    if finite.any():
        adjusted[finite] = stats.false_discovery_control(driver_p[finite], method="bh")
    for pos, j in enumerate(usable):
        k = first + pos
        rows[j].update(
            adjusted_effect=float(np.exp(est[k])),
            adjusted_effect_ci_low=float(np.exp(est[k] - z * se[k])),
            adjusted_effect_ci_high=float(np.exp(est[k] + z * se[k])),
            p_value=float(driver_p[pos]),
            p_adjusted=float(adjusted[pos]),
        )
        if unstable[k]:
            rows[j]["flags"] = "hazard ratio not estimable (separation); not ranked"
    ranked = sorted(
        (j for pos, j in enumerate(usable) if not unstable[first + pos]),
        key=lambda j: (-rows[j]["adjusted_effect"], rows[j]["driver_id"]),
    )
    for position, j in enumerate(ranked, start=1):
        rows[j]["rank"] = position
    null_ll = float(model.loglike(np.zeros(x.shape[1])))
    lr = 2 * (float(fit.llf) - null_ll)
    converged = bool(np.isfinite(est).all() and not unstable.any())
    if not converged:
        warnings.append(
            f"The time-to-churn model on {kind} drivers has hazard ratios it cannot estimate "
            "(a driver with no churn, or only churn, among its mentioners); they are flagged in "
            "drivers.csv."
        )
    control_rows = [
        {
            "outcome": OUTCOME,
            "driver_type": "covariate",
            "driver_id": c,
            "driver_name": c,
            "theme_id": None,
            "rank": None,
            "base_n": n,
            "adjusted_effect": float(np.exp(est[i])),
            "adjusted_effect_ci_low": float(np.exp(est[i] - z * se[i])),
            "adjusted_effect_ci_high": float(np.exp(est[i] + z * se[i])),
            "adjusted_effect_unit": "hazard ratio",
            "p_value": float(p[i]),
            "flags": "",
            "note": f"control variable in the {kind} model",
        }
        for i, c in enumerate(controls.columns)
    ]
    summary = {
        "outcome": OUTCOME,
        "driver_type": kind,
        "n": n,
        "events": events,
        "drivers": [ids[j] for j in usable],
        "controls": list(controls.columns),
        "model": MODEL,
        "likelihood_ratio_chi2": lr,
        "likelihood_ratio_df": int(x.shape[1]),
        "likelihood_ratio_p": float(stats.chi2.sf(lr, x.shape[1])),
        "converged": converged,
    }
    return rows + control_rows, summary
