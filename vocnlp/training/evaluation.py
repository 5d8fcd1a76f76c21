"""Scores of a head on labelled embeddings: macro-F1, per-label F1, per-language figures, calibration."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from ..classifiers.base import ProbabilisticHead
from .datasets import LabelledSplit


def expected_calibration_error(proba: np.ndarray, y_true: np.ndarray, classes, bins: int = 15) -> float:
    """Top-label expected calibration error with equal-width confidence bins (Guo et al., 2017).

    The gap between confidence and accuracy in each bin, weighted by the bin's
    share of examples: 0 means "80% sure" is right 80% of the time.
    """
    confidence = proba.max(axis=1)
    correct = np.asarray(classes)[proba.argmax(axis=1)] == np.asarray(y_true)
    return _binned_gap(confidence, correct, bins)


def _binned_gap(confidence: np.ndarray, correct: np.ndarray, bins: int) -> float:
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            ece += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(ece)


def ece_sampling_floor(proba: np.ndarray, bins: int = 15, draws: int = 200, seed: int = 0) -> float:
    """The ECE a perfectly calibrated model with these confidences would still show on a split this size.

    Each draw marks every row right with probability equal to its confidence
    (what "calibrated" means), then measures the ECE as
    :func:`expected_calibration_error` does; the mean over draws is returned.
    Binned ECE is biased upwards on small splits: on a few hundred rows,
    sampling alone gives about 0.03–0.04, so a measured ECE should be read
    against this floor, not against zero.
    """
    confidence = proba.max(axis=1)
    rng = np.random.default_rng(seed)
    return float(np.mean([_binned_gap(confidence, rng.random(len(confidence)) < confidence, bins)
                          for _ in range(draws)]))


def _single_label(head: ProbabilisticHead, X, y) -> dict:
    proba = head.predict_proba(X)
    pred = head.classes_[proba.argmax(axis=1)]
    present = [c for c in head.classes_ if c in set(y)]
    per_label = f1_score(y, pred, labels=present, average=None, zero_division=0)
    return {"n": int(len(y)), "macro_f1": float(np.mean(per_label)), "accuracy": float(accuracy_score(y, pred)),
            "ece": expected_calibration_error(proba, y, head.classes_), "ece_sampling_floor": ece_sampling_floor(proba),
            "labels_evaluated": [str(c) for c in present],
            "per_label_f1": {str(lab): float(f) for lab, f in zip(present, per_label)}}


def _multi_label(head: ProbabilisticHead, X, Y) -> dict:
    pred = head.predict(X)
    Y = np.asarray(Y)
    present = [j for j in range(Y.shape[1]) if Y[:, j].sum() > 0]
    per_label = f1_score(Y[:, present], pred[:, present], average=None, zero_division=0)
    labels = [str(head.classes_[j]) for j in present]
    return {"n": int(len(Y)), "macro_f1": float(np.mean(per_label)),
            "micro_f1": float(f1_score(Y[:, present], pred[:, present], average="micro", zero_division=0)),
            "labels_evaluated": labels, "per_label_f1": {lab: float(f) for lab, f in zip(labels, per_label)}}


def score_split(head: ProbabilisticHead, X: np.ndarray, split: LabelledSplit) -> dict:
    """Figures for one split; with per-row languages, the same figures per language too.

    Only labels present in the split are averaged, so a split that cannot
    express a label (XED has no 'gratitude') is not scored on it.
    """
    score = _multi_label if head.multilabel else _single_label
    result = {"language": split.language, **score(head, X, split.y)}
    if split.row_languages is not None and len(set(split.row_languages)) > 1:
        result["by_language"] = {}
        for lang in sorted(set(split.row_languages)):
            rows = np.flatnonzero(split.row_languages == lang)
            result["by_language"][lang] = score(head, X[rows], np.asarray(split.y)[rows])
    return result
