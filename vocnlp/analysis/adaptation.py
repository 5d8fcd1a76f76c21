"""Adapting sentiment to the dump's own domain, with the dump's own scores as weak labels.

A sentiment head trained on public text reads an insurer's reviews or a
telecom's verbatims through someone else's vocabulary. But most dumps carry a
score beside each comment (NPS, CSAT or stars): a detractor's comment is, on
the whole, negative, a promoter's positive. ``adaptation.enabled`` (``vocnlp
run --adapt``) fits a small logistic model that reads each comment's embedding
and the shipped model's ``sentiment_score`` and predicts whether its author
gave a high or a low score.

**Cross-fitted**: the commented rows with a usable score are cut into
``folds`` folds, and each fold is scored by a model fitted on the other
folds only, so no comment is labelled by a model that saw its own score (a
model that did would simply read the score back). Comments without a usable
score (passives, no score) are scored by the mean of the fold models, none of
which saw them.

The adapted probability becomes ``sentiment_score`` (2p − 1); the shipped
model's figure stays in ``sentiment_score_model``. Comments the model called
positive or negative take the adapted polarity; ``neutral`` and ``mixed`` stay
(a score says how the customer feels overall, not whether this comment says
so). The summary states that adaptation was used, on how many weak labels, and
how well each score separates high from low scorers out of fold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from vocnlp.config import AdaptationConfig

# The comment columns adaptation writes (after the chunks were analysed; the run folder's writer takes them from
# the adapted table).
ADAPTED_COLUMNS = ("sentiment", "sentiment_score", "sentiment_score_model")


def weak_labels(comments: pd.DataFrame, outcome: str, csat_scale: tuple[float, float]) -> tuple[np.ndarray, str | None]:
    """1 (high score), 0 (low score) or NaN per row, and the outcome used (None when the dump has none).

    NPS: promoters 1, detractors 0, passives NaN. CSAT/stars: the top quarter
    of the scale 1, the bottom quarter 0 (on 1–5: 4–5 and 1–2), the middle NaN.
    """
    y = np.full(len(comments), np.nan)
    if outcome in ("auto", "nps") and "nps_category" in comments and comments["nps_category"].notna().any():
        category = comments["nps_category"]
        # Nullable text (read back from Parquet) compares to <NA> where there is no score: that is not a match.
        y[(category == "promoter").fillna(False).to_numpy(dtype=bool)] = 1
        y[(category == "detractor").fillna(False).to_numpy(dtype=bool)] = 0
        return y, "nps"
    if outcome in ("auto", "csat") and "csat_score" in comments and comments["csat_score"].notna().any():
        low, high = csat_scale
        position = (pd.to_numeric(comments["csat_score"], errors="coerce").to_numpy(dtype=float) - low) / (high - low)
        y[position >= 0.75] = 1
        y[position <= 0.25] = 0
        return y, "csat"
    return y, None


def _auc(y: np.ndarray, score: np.ndarray) -> float | None:
    return float(roc_auc_score(y, score)) if 0 < y.sum() < len(y) else None


def adapt_sentiment(
    comments: pd.DataFrame,
    vectors: np.ndarray,
    settings: AdaptationConfig,
    csat_scale: tuple[float, float],
    seed: int = 0,
) -> dict:
    """Rewrite ``sentiment_score`` / ``sentiment`` in place with the cross-fitted adapted model; return its
    description for the summary (``used`` false, with a reason, when it could not run)."""
    y, outcome = weak_labels(comments, settings.outcome, csat_scale)
    score = pd.to_numeric(comments.get("sentiment_score"), errors="coerce").to_numpy(dtype=float)
    live = np.isfinite(score)
    labelled = live & np.isfinite(y)
    counts = {"high": int((y[labelled] == 1).sum()), "low": int((y[labelled] == 0).sum())}
    base = {
        "used": False,
        "outcome": outcome,
        "weak_labels": int(labelled.sum()),
        **counts,
        "folds": settings.folds,
        "cross_fitted": True,
    }
    if outcome is None:
        return {**base, "reason": "the dump has no NPS or CSAT column to learn from"}
    if labelled.sum() < settings.min_weak_labels or min(counts.values()) < 20:
        return {
            **base,
            "reason": f"too few usable scores ({counts['high']} high, {counts['low']} low; "
            f"needs {settings.min_weak_labels} in all and 20 on each side)",
        }
    features = np.hstack([vectors, score[:, None]]).astype(np.float64)
    rows = np.flatnonzero(labelled)
    adapted = np.full(len(comments), np.nan)
    others = np.flatnonzero(live & ~labelled)
    other_sum = np.zeros(len(others))
    folds = StratifiedKFold(settings.folds, shuffle=True, random_state=seed)
    for fit_idx, held_idx in folds.split(rows, y[rows]):
        model = LogisticRegression(C=settings.C, max_iter=2000).fit(features[rows[fit_idx]], y[rows[fit_idx]])
        adapted[rows[held_idx]] = model.predict_proba(features[rows[held_idx]])[:, 1]
        if len(others):
            other_sum += model.predict_proba(features[others])[:, 1]
    if len(others):
        adapted[others] = other_sum / settings.folds
    new_score = np.where(live, np.round(2 * adapted - 1, 6), np.nan)
    comments["sentiment_score_model"] = score
    comments["sentiment_score"] = new_score
    before = comments["sentiment"].to_numpy(dtype=object)
    label = before.copy()
    polar = live & np.isin(label, ["positive", "negative"])
    label[polar] = np.where(new_score[polar] >= 0, "positive", "negative")
    comments["sentiment"] = label
    return {
        **base,
        "used": True,
        "changed_polarity": int((label != before).sum()),
        "auc_model_score": _auc(y[rows], score[rows]),
        "auc_adapted_out_of_fold": _auc(y[rows], adapted[rows]),
    }
