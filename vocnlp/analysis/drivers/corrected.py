"""Theme drivers' impact corrected for label error, and the labels' quality, added to the driver table when the
run has a judged sample (:mod:`vocnlp.analysis.drivers.label_error` for the method, :mod:`.judged` for the file)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from vocnlp.analysis.drivers.judged import JudgedLabels
from vocnlp.analysis.drivers.label_error import corrected_impacts, label_quality
from vocnlp.config import DriversConfig

CORRECTED_COLUMNS = [
    "impact_corrected",
    "impact_corrected_ci_low",
    "impact_corrected_ci_high",
    "rank_corrected",
    "labels_judged",
    "label_precision",
    "label_recall",
]
DISAGREE = "corrected and naive rankings disagree (corrected rank outside the naive rank's interval)"
CORRECTED_KINDS = ("theme",)  # a judged comment says which themes it mentions, not their sentiment


def add_corrected_impacts(
    rows: list[dict],
    contribution: np.ndarray,
    matrix: pd.DataFrame,
    valid: np.ndarray,
    judged: JudgedLabels,
    harm_sign: int,
    cfg: DriversConfig,
    seed: int,
) -> None:
    """Fill the corrected columns of one outcome's theme driver ``rows`` (the respondents kept for the outcome are
    ``valid``; ``contribution`` and ``matrix`` are theirs) and flag themes whose two rankings disagree."""
    ids = list(matrix.columns)
    t = matrix.to_numpy(dtype=bool)
    sample = judged.for_drivers(ids, valid)
    fixed = corrected_impacts(contribution, t, sample, cfg.bootstrap, seed, cfg.confidence_level)
    by_id = {row["driver_id"]: row for row in rows if row["driver_id"] in ids and row["driver_type"] != "covariate"}
    for j, driver in enumerate(ids):
        quality = label_quality(t[:, j], sample, j)
        by_id[driver].update(
            {
                "impact_corrected": fixed["impact"][j],
                "impact_corrected_ci_low": fixed["low"][j],
                "impact_corrected_ci_high": fixed["high"][j],
                "rank_corrected": None,
                "labels_judged": quality["judged"],
                "label_precision": quality["precision"],
                "label_recall": quality["recall"],
            }
        )
    ranked = [
        driver
        for driver in ids
        if by_id[driver]["rank"] is not None and math.isfinite(by_id[driver]["impact_corrected"])
    ]
    order = sorted(ranked, key=lambda d: (-harm_sign * by_id[d]["impact_corrected"], d))
    for position, driver in enumerate(order, start=1):
        row = by_id[driver]
        row["rank_corrected"] = position
        low, high = row["rank_ci_low"], row["rank_ci_high"]
        if math.isfinite(low) and not low <= position <= high:
            row["flags"] = f"{row['flags']}; {DISAGREE}" if row["flags"] else DISAGREE


__all__ = ["CORRECTED_COLUMNS", "CORRECTED_KINDS", "DISAGREE", "add_corrected_impacts"]
