"""Scores of a head on labelled embeddings: macro-F1, per-label F1, per-language figures, calibration."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from vocnlp.modeling.heads.base import ProbabilisticHead
from vocnlp.training.datasets import LabelledSplit

BOOTSTRAP_DRAWS = 1000  # resamples behind each macro-F1 interval
FLOOR_DRAWS = 200  # simulated calibrated label draws behind each ECE floor
INTERVAL_NOTE = (
    f"95% CI: percentile bootstrap over the split's rows ({BOOTSTRAP_DRAWS:,} draws, seed 0): how far "
    "the figure could move with another sample of test lines."
)
FLOOR_NOTE = (
    "ECE if calibrated: the ECE a perfectly calibrated model with the same confidences would show on a "
    f"split this size (mean of {FLOOR_DRAWS} draws); binned ECE reads above zero on small splits by "
    "sampling alone, so a measured ECE is read against it, not against zero."
)


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


def ece_sampling_floor(proba: np.ndarray, bins: int = 15, draws: int = FLOOR_DRAWS, seed: int = 0) -> float:
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
    return float(
        np.mean([_binned_gap(confidence, rng.random(len(confidence)) < confidence, bins) for _ in range(draws)])
    )


def macro_f1_interval(
    truth: np.ndarray, predicted: np.ndarray, draws: int = BOOTSTRAP_DRAWS, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of macro-F1 over resampled rows (indicator matrices, one column per label).

    A test split is a sample: on a few hundred rows its macro-F1 moves by a
    few points from one draw of rows to the next, which is what a near miss
    must be read against. Each draw re-weights the rows with multinomial
    counts, so the per-label counts of all draws come from three matrix
    products instead of a thousand F1 calls.
    """
    truth, predicted = np.asarray(truth, dtype=float), np.asarray(predicted, dtype=float)
    n = len(truth)
    if n == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    hits, false_alarms, misses = truth * predicted, (1 - truth) * predicted, truth * (1 - predicted)
    scores = []
    for start in range(0, draws, 100):  # blocks of draws keep the weight matrix small on big files
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=min(100, draws - start)).astype(float)
        tp = weights @ hits
        denominator = 2 * tp + weights @ false_alarms + weights @ misses
        f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
        scores.append(f1.mean(axis=1))
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(np.concatenate(scores), [tail, 100 - tail])
    return float(low), float(high)


def macro_f1_text(m: dict) -> str:
    """Macro-F1 of a figures dict, with its bootstrap interval where it has one ("0.681 (0.650–0.712)")."""
    ci = m.get("macro_f1_ci")
    return f"{m['macro_f1']:.3f}" + (f" ({ci[0]:.3f}–{ci[1]:.3f})" if ci else "")


def _indicators(values: np.ndarray, labels) -> np.ndarray:
    return (np.asarray(values)[:, None] == np.asarray(labels)[None, :]).astype(float)


def _single_label(head: ProbabilisticHead, X, y) -> dict:
    proba = head.predict_proba(X)
    pred = head.classes_[proba.argmax(axis=1)]
    present = [c for c in head.classes_ if c in set(y)]
    per_label = f1_score(y, pred, labels=present, average=None, zero_division=0)
    return {
        "n": int(len(y)),
        "macro_f1": float(np.mean(per_label)),
        "accuracy": float(accuracy_score(y, pred)),
        "macro_f1_ci": macro_f1_interval(_indicators(y, present), _indicators(pred, present)),
        "ece": expected_calibration_error(proba, y, head.classes_),
        "ece_sampling_floor": ece_sampling_floor(proba),
        "labels_evaluated": [str(c) for c in present],
        "per_label_f1": {str(lab): float(f) for lab, f in zip(present, per_label)},
    }


def _multi_label(head: ProbabilisticHead, X, Y) -> dict:
    pred = head.predict(X)
    Y = np.asarray(Y)
    present = [j for j in range(Y.shape[1]) if Y[:, j].sum() > 0]
    per_label = f1_score(Y[:, present], pred[:, present], average=None, zero_division=0)
    labels = [str(head.classes_[j]) for j in present]
    return {
        "n": int(len(Y)),
        "macro_f1": float(np.mean(per_label)),
        "macro_f1_ci": macro_f1_interval(Y[:, present], pred[:, present]),
        "micro_f1": float(f1_score(Y[:, present], pred[:, present], average="micro", zero_division=0)),
        "labels_evaluated": labels,
        "per_label_f1": {lab: float(f) for lab, f in zip(labels, per_label)},
    }


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
