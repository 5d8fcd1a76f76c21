"""Calibrated probabilities for zero-shot themes, learned from a filled review file.

A zero-shot confidence is a seed similarity: 0.55 does not mean "right 55% of
the time", and what it does mean depends on the domain and the taxonomy. The
only honest way to turn it into a probability is to learn the mapping from
judged mentions of the same kind of data, which is what the review queue
produces. ``fit_calibration`` fits a logistic map (Platt scaling) from
confidence to the share judged right; the themes stage then writes it as
``probability``. On Banking77 zero-shot, with 50 to 500 judged rows, the
logistic map had lower and steadier calibration error on the other rows than
an isotonic one (which overfits a few hundred points).

Reviewed rows are chosen by confidence (the lowest, the near misses, and a
random sample across the rest), which leaves the estimate of P(right |
confidence) unbiased: the choice depends on the confidence alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from vocnlp.errors import ConfigError, InputFileError

FORMAT = "vocnlp-theme-calibration/1"
MIN_JUDGED = 30


@dataclass(frozen=True)
class ThemeCalibration:
    """A logistic map from zero-shot confidence to the probability that the theme is right."""

    slope: float
    intercept: float
    judged: int
    judged_right: int
    source: str
    fitted: str

    def probability(self, confidence) -> np.ndarray:
        """Calibrated probability of each confidence."""
        return 1.0 / (1.0 + np.exp(-(self.slope * np.asarray(confidence, dtype=np.float64) + self.intercept)))

    def save(self, path: str | Path) -> Path:
        """Write the map as JSON (readable, diffable, no pickled code)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "format": FORMAT,
                    "slope": self.slope,
                    "intercept": self.intercept,
                    "judged": self.judged,
                    "judged_right": self.judged_right,
                    "source": self.source,
                    "fitted": self.fitted,
                },
                indent=1,
            ),
            encoding="utf-8",
        )
        return path


def _logistic(confidence: np.ndarray, right: np.ndarray) -> LogisticRegression:
    # A large C: the map should follow the judged rows, not be pulled towards 50%.
    return LogisticRegression(C=1e4).fit(confidence[:, None], right)


def fit_calibration(confidence, right, source: str = "") -> ThemeCalibration:
    """Fit the map on judged rows: ``confidence`` (zero-shot) and ``right`` (the theme applies)."""
    confidence, right = np.asarray(confidence, dtype=np.float64), np.asarray(right, dtype=int)
    if len(confidence) < MIN_JUDGED or right.min() == right.max():
        raise InputFileError(
            f"Calibration needs at least {MIN_JUDGED} judged rows with both verdicts; got "
            f"{len(confidence)} ({int(right.sum())} yes).",
            "Review more rows of the queue (yes and no) before calibrating.",
        )
    model = _logistic(confidence, right)
    slope, intercept = float(model.coef_[0, 0]), float(model.intercept_[0])
    if slope <= 0:
        raise InputFileError(
            "In these judged rows a higher confidence was not more often right, so no map from "
            "confidence to probability can be learned from them.",
            "Check that the file comes from a zero-shot run and that verdicts are in the right "
            "rows; or review more rows.",
        )
    return ThemeCalibration(slope, intercept, len(right), int(right.sum()), source, date.today().isoformat())


def cross_validated_check(confidence, right, folds: int = 5, seed: int = 0) -> dict:
    """Calibration error of the raw confidence and of the fitted map, each row scored by a map fitted
    without it (stratified folds): whether calibrating helps on this data, measured rather than assumed."""
    confidence, right = np.asarray(confidence, dtype=np.float64), np.asarray(right, dtype=int)
    folds = max(2, min(folds, int(right.sum()), int((1 - right).sum())))
    held_out = np.empty(len(right))
    for fit_rows, test_rows in StratifiedKFold(folds, shuffle=True, random_state=seed).split(confidence, right):
        held_out[test_rows] = _logistic(confidence[fit_rows], right[fit_rows]).predict_proba(
            confidence[test_rows, None]
        )[:, 1]

    def error(p):
        from vocnlp.training.metrics import expected_calibration_error

        return expected_calibration_error(np.c_[1 - p, p], right, [0, 1], bins=10)

    raw = np.clip(confidence, 0.0, 1.0)
    return {
        "judged": int(len(right)),
        "share_right": float(right.mean()),
        "folds": folds,
        "ece_raw_confidence": error(raw),
        "ece_calibrated": error(held_out),
        "brier_raw_confidence": float(np.mean((raw - right) ** 2)),
        "brier_calibrated": float(np.mean((held_out - right) ** 2)),
    }


def judged_rows(review_file: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Confidence and verdict (theme right?) of every judged row of a filled review file.

    A ``no`` whose correction still lists the row's theme counts as right for it.
    """
    from vocnlp.taxonomy.review import reviewed_rows  # the review queue and training code stay out of a run

    judged, _ = reviewed_rows(review_file, ("theme_id", "confidence"))
    confidence, right = [], []
    for line, record, verdict in judged:
        try:
            confidence.append(float(record["confidence"]))
        except ValueError:
            raise InputFileError(
                f"Line {line} of '{review_file}': confidence '{record['confidence']}' is not a number.",
                "Keep the confidence column as exported.",
            ) from None
        listed = {t.strip().split(".")[0] for t in record["correct_themes"].split("|")}
        right.append(verdict == "yes" or record["theme_id"] in listed)
    return np.asarray(confidence), np.asarray(right, dtype=int)


def load_calibration(path: str | Path) -> ThemeCalibration:
    """Read a map written by ``vocnlp review calibrate``; clear errors for anything else."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"Theme calibration file '{path}' not found.",
            "Write one with 'vocnlp review calibrate', or set themes.calibration to null.",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"'{path}' is not valid JSON ({exc}).", "Write it again with 'vocnlp review calibrate'.")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(
            f"'{path}' is not a theme calibration file (format {FORMAT}).", "Write one with 'vocnlp review calibrate'."
        )
    slope: Any  # JSON values, checked to be numbers below
    intercept: Any
    slope, intercept = data.get("slope"), data.get("intercept")
    if not all(isinstance(v, (int, float)) for v in (slope, intercept)) or slope <= 0:
        raise ConfigError(
            f"'{path}' holds no usable map (a positive 'slope' and an 'intercept' are needed).",
            "Write it again with 'vocnlp review calibrate'.",
        )
    return ThemeCalibration(
        float(slope),
        float(intercept),
        int(data.get("judged", 0)),
        int(data.get("judged_right", 0)),
        str(data.get("source", "")),
        str(data.get("fitted", "")),
    )
