"""The sentiment challenge set: short FR/EN comments of the kinds CX dumps are full of.

A regression set written by the project (negation, "RAS", sarcasm, mixed
praise and complaint, emojis, typos, all-caps anger, plain controls), scored
through the whole pipeline, so sentence splitting and the ``mixed`` rule are
tested along with the model. It is not the judge of accuracy: the public
benchmarks are.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vocnlp.resources import resource_root

CHALLENGE_FILE = Path("benchmarks") / "challenge" / "sentiment_challenge.csv"


def challenge_path() -> Path:
    """Location of the challenge set in a checkout."""
    return resource_root() / CHALLENGE_FILE


def run_challenge(config=None, path: str | Path | None = None) -> tuple[pd.DataFrame, dict]:
    """Predict the challenge set with the pipeline; returns (rows with predictions, accuracy figures).

    Figures: accuracy per language, per category × language, and a 3-class
    accuracy in which ``mixed`` counts as right for mixed rows only.
    """
    from vocnlp.pipeline.analysis_run import analyze

    frame = pd.read_csv(path or challenge_path(), keep_default_na=False)
    result = analyze(frame, config, text="text", id="id")
    frame = frame.assign(
        predicted=result.comments["sentiment"].to_numpy(), emotions=result.comments["emotions"].fillna("").to_numpy()
    )
    frame["correct"] = frame["predicted"] == frame["expected"]
    figures = {
        "n": int(len(frame)),
        "accuracy": float(frame["correct"].mean()),
        "by_language": {
            lang: {"n": int(len(g)), "accuracy": float(g["correct"].mean())} for lang, g in frame.groupby("language")
        },
        "by_category": {
            f"{cat}|{lang}": float(g["correct"].mean()) for (cat, lang), g in frame.groupby(["category", "language"])
        },
        "factual_emotions": factual_emotions(frame),
    }
    return frame, figures


def factual_emotions(frame: pd.DataFrame) -> dict:
    """Per language, how the emotion stage reads the plain facts (category ``factual``): the share listed as
    ``neutral`` and the share given a negative emotion (anger, frustration, disappointment or worry)."""
    from vocnlp.components.affect import NEGATIVE_EMOTIONS

    out = {}
    for lang, g in frame[frame["category"] == "factual"].groupby("language"):
        listed = g["emotions"].str.split(";")
        out[lang] = {
            "n": int(len(g)),
            "neutral": float(listed.map(lambda e: "neutral" in e).mean()),
            "negative": float(listed.map(lambda e: bool(set(e) & set(NEGATIVE_EMOTIONS))).mean()),
        }
    return out
