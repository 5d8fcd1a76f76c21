"""The outcomes a driver analysis can explain, read from the comments table: NPS, detractor, churn, CSAT, CES."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vocnlp.analysis.scores import nps_contribution


@dataclass
class Outcome:
    """One outcome: per-respondent values (NaN = not usable), whether it is 0/1, its unit, and which way is bad."""

    name: str
    values: np.ndarray
    binary: bool
    unit: str
    harm_sign: int  # +1: a larger value is worse (detractor, churn); −1: a smaller value is worse (NPS, CSAT)


def outcomes_of(comments: pd.DataFrame, ces_higher_is_easier: bool = True) -> tuple[list[Outcome], list[str]]:
    """The outcomes the input supports, and warnings for those it lacks or cannot use."""
    found, warnings = [], []
    if "nps_score" not in comments:
        warnings.append(
            "No NPS column: NPS and detractor drivers are skipped. Name the column with --nps "
            "(or input.columns.nps) if the file has one."
        )
    else:
        nps = comments["nps_score"].to_numpy(dtype=float, na_value=np.nan)
        if np.isnan(nps).all():
            warnings.append(
                "Every NPS value is missing or invalid (see validation.json): NPS and detractor drivers are skipped."
            )
        else:
            valid = ~np.isnan(nps)
            found.append(
                Outcome("nps", np.where(valid, nps_contribution(np.nan_to_num(nps)), np.nan), False, "NPS points", -1)
            )
            found.append(
                Outcome("detractor", np.where(valid, (nps <= 6) * 100.0, np.nan), True, "detractor-rate points", 1)
            )
    if "churned" in comments:
        churn = pd.to_numeric(
            comments["churned"].astype("object").where(comments["churned"].notna()), errors="coerce"
        ).to_numpy(dtype=float, na_value=np.nan)
        if np.isnan(churn).all():
            warnings.append("Every churn value is missing or invalid: churn drivers are skipped.")
        else:
            found.append(Outcome("churn", churn * 100.0, True, "churn-rate points", 1))
    for column, name, sign in (("csat_score", "csat", -1), ("ces_score", "ces", -1 if ces_higher_is_easier else 1)):
        if column in comments:
            values = comments[column].to_numpy(dtype=float, na_value=np.nan)
            if not np.isnan(values).all():
                found.append(Outcome(name, values, False, f"{name.upper()} points", sign))
    return found, warnings


__all__ = ["Outcome", "outcomes_of"]
