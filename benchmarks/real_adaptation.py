"""What ``vocnlp run --adapt`` gains on real reviews: sentiment adapted with the reviews' own stars.

The star-rated insurance reviews (French, and their English translation) are
analysed as one dump each, with the stars as the CSAT column: the adapted
model learns from the stars of the other folds only (cross-fitted), so every
figure is out of fold. The 200 hand-labelled French reviews are among them:
their overall sentiment is scored before and after.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.real_data import Annotated, cx_real_root, sentiment_macro_f1, star_figures
from vocnlp.analysis.adaptation import adapt_sentiment
from vocnlp.config import AdaptationConfig


def adaptation_figures(reviews: dict, settings: AdaptationConfig, data=None, draws: int = 1000) -> dict:
    """AUC (≤ 2 vs ≥ 4 stars), mixed shares and labelled-comment sentiment, before and after adaptation."""
    frame = reviews["frame"]
    stars = frame["stars"].to_numpy(dtype=float)
    labelled = pd.read_csv(cx_real_root(data) / "labelled_comments.csv")
    gold = dict(
        zip(
            labelled.loc[labelled["language"] == "fr", "text"].str.strip(),
            labelled.loc[labelled["language"] == "fr", "sentiment"],
        )
    )
    matched = np.asarray([t.strip() in gold for t in frame["review"]], dtype=bool)
    out = {}
    for lang in ("fr", "en"):
        annotated = reviews[lang]
        if annotated.vectors is None:
            return {}
        comments = annotated.comments.copy()
        comments["csat_score"] = stars
        before = comments["sentiment"].fillna("neutral").to_numpy(dtype=object)
        info = adapt_sentiment(comments, annotated.vectors, settings.model_copy(update={"outcome": "csat"}), (1, 5))
        adapted = Annotated(comments, annotated.mentions, annotated.vectors)
        figures = {"info": info, "after": star_figures(stars, adapted, draws)}
        if lang == "fr" and matched.any():
            truth = [gold[t.strip()] for t in frame["review"][matched]]
            figures["labelled_before"] = sentiment_macro_f1(truth, list(before[matched]), draws)
            figures["labelled_after"] = sentiment_macro_f1(
                truth, comments["sentiment"].fillna("neutral").to_numpy(dtype=object)[matched].tolist(), draws
            )
        out[lang] = figures
    return out
