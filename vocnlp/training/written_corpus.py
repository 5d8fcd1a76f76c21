"""The project-written corpus of labelled customer comments (``data/written_cx/*.jsonl``).

Real CX comments with labels exist (``../shared/data/cx_real``) but may not
train shipped weights, and the public corpora (Reddit, subtitles, bank
queries) do not talk like customers. So the project wrote its own: several
thousand comments in French and English, many industries, short and long,
typos and all, each labelled with the generic taxonomy's themes (with their
polarity) and an overall sentiment by the codebook (``data/written_cx/BRIEF.md``
says how it was written). It trains the shipped theme model and joins the
sentiment model's training data; the real sets only measure the result.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from vocnlp.errors import InputFileError
from vocnlp.resources import resource_root
from vocnlp.training.datasets import LabelledSplit, TrainingData, split_indices
from vocnlp.training.user_data import take_rows

SENTIMENTS = ("negative", "neutral", "positive")
# The written corpus is small (about 3,600 sentiment rows): at the default C = 1 its sentiment head read
# "Terrible experience, I am furious with this company." as praise (+0.62); at 0.1 it leans less on such words and,
# blended with the public-data head, kept the complaint-tweet AUC (0.771 against 0.759 at C = 1).
# Themes choose C on dev.
WRITTEN_SENTIMENT_C = 0.1


def corpus_folder() -> Path:
    """``data/written_cx`` of the checkout."""
    return resource_root() / "data" / "written_cx"


def read_written_corpus(folder: str | Path | None = None) -> pd.DataFrame:
    """Every comment of the corpus files (sorted by file name, then line), one row each, duplicates dropped."""
    folder = Path(folder) if folder else corpus_folder()
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise InputFileError(f"No written corpus in {folder}.", "Run from a git checkout of vocnlp (data/written_cx).")
    rows = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputFileError(
                    f"{path.name}, line {number}: not JSON ({exc.msg}).", "Check it with data/written_cx/check.py."
                ) from None
            rows.append(
                {
                    "text": record["text"],
                    "language": record["language"],
                    "industry": record["industry"],
                    "sentiment": record["sentiment"],
                    "themes": dict(record.get("themes") or {}),
                    "source": path.stem,
                }
            )
    return pd.DataFrame(rows).drop_duplicates("text").reset_index(drop=True)


def _split(frame: pd.DataFrame, y: np.ndarray, labels: list[str], name: str, seed: int) -> dict[str, LabelledSplit]:
    whole = LabelledSplit(
        name, frame["text"].tolist(), y, labels, "mixed", row_languages=frame["language"].to_numpy(dtype=object)
    )
    train, dev, test = split_indices(len(frame), seed, dev_share=0.15, test_share=0.15)
    return {
        "train": take_rows(whole, train, "train"),
        "dev": take_rows(whole, dev, "dev"),
        "test": take_rows(whole, test, "test"),
    }


def written_theme_splits(taxonomy, seed: int = 0, folder=None) -> dict[str, LabelledSplit]:
    """Multi-label theme splits (70/15/15, seeded) over the taxonomy's top-level themes."""
    frame = read_written_corpus(folder)
    labels = sorted(t.id for t in taxonomy.themes)
    unknown = sorted({t for themes in frame["themes"] for t in themes} - set(labels))
    if unknown:
        raise InputFileError(
            f"The written corpus uses themes {unknown} that taxonomy '{taxonomy.id}' lacks.",
            "Train with the generic taxonomy, or map those ids first.",
        )
    y = np.asarray([[t in themes for t in labels] for themes in frame["themes"]], dtype=np.int8)
    return _split(frame, y, labels, "written_cx_themes", seed)


def written_sentiment_splits(seed: int = 0, folder=None) -> dict[str, LabelledSplit]:
    """Negative/neutral/positive splits; ``mixed`` comments are left out (the pipeline derives mixed from clauses).

    The split is drawn over all comments before ``mixed`` ones are removed, so a
    comment is in the same split for themes and for sentiment.
    """
    frame = read_written_corpus(folder)
    parts = {}
    for key, idx in zip(("train", "dev", "test"), split_indices(len(frame), seed, dev_share=0.15, test_share=0.15)):
        part = frame.iloc[idx]
        kept = part[part["sentiment"].isin(SENTIMENTS)]
        parts[key] = LabelledSplit(
            f"written_cx_sentiment_{key}",
            kept["text"].tolist(),
            kept["sentiment"].to_numpy(dtype=object),
            list(SENTIMENTS),
            "mixed",
            dropped=len(part) - len(kept),
            row_languages=kept["language"].to_numpy(dtype=object),
        )
    return parts


def written_training_data(task: str, taxonomy=None, seed: int = 0, folder=None) -> TrainingData:
    """TrainingData from the written corpus alone: ``themes`` (with the taxonomy's seeds as prior) or sentiment."""
    from vocnlp.training.theme_training import taxonomy_prior

    if task == "themes":
        if taxonomy is None:
            from vocnlp.taxonomy.schema import load_taxonomy

            taxonomy = load_taxonomy(resource_root() / "configs" / "taxonomies" / "generic_cx.yaml")
        splits = written_theme_splits(taxonomy, seed, folder)
        prior = [taxonomy_prior(taxonomy, splits["train"].labels, multilabel=True)]
        return TrainingData("written_cx", [splits["train"]], [splits["dev"]], [splits["test"]], prior=prior)
    if task == "sentiment":
        splits = written_sentiment_splits(seed, folder)
        return TrainingData("written_cx", [splits["train"]], [splits["dev"]], [splits["test"]])
    raise InputFileError(f"The written corpus has no labels for task '{task}'.", "Use --task themes or sentiment.")


# A user's own labelled comment counts as this many written ones: they come from the domain the model will read.
USER_REPEAT = 5


def repeated(split: LabelledSplit, times: int = USER_REPEAT) -> LabelledSplit:
    """``split`` with every row repeated ``times`` times (a weight that every head understands)."""
    y = np.asarray(split.y)
    return LabelledSplit(
        split.name,
        list(split.texts) * times,
        np.tile(y, (times, 1)) if y.ndim == 2 else np.tile(y, times),
        split.labels,
        split.language,
        split.dropped,
        None if split.row_languages is None else np.tile(split.row_languages, times),
    )


def with_written_corpus(user: TrainingData, task: str, taxonomy=None, seed: int = 0) -> TrainingData:
    """A user's labelled data on top of the written corpus: the user's training rows (repeated ``USER_REPEAT``
    times) join the corpus's, dev and test splits are both kept, so thresholds are tuned on both."""
    written = written_training_data(task, taxonomy, seed=seed)
    labels = written.train[0].labels
    for split in user.train + user.dev + user.test:
        if split.labels != labels:
            raise InputFileError(
                f"'{split.name}' has labels {split.labels}; the written corpus has {labels}.",
                "Label with the generic taxonomy's ids (--taxonomy configs/taxonomies/generic_cx.yaml)"
                " or train without --with-written-corpus.",
            )
    return TrainingData(
        f"{user.source}+written_cx",
        [repeated(s) for s in user.train] + written.train,
        user.dev + written.dev,
        user.test + written.test,
        prior=written.prior,
    )
