"""The labelled data a head is trained on: the public sets in ../shared/data (the CX label sets the pipeline uses,
or a benchmark's own), the project-written customer comments, or a user's labelled file; themes mapped to the
run's taxonomy and every split's labels aligned with the training split's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import numpy as np

from vocnlp.errors import InputFileError, VocnlpError
from vocnlp.training.benchmark_sets import benchmark_splits
from vocnlp.training.datasets import (
    LabelledSplit,
    TrainingData,
    data_root,
    emotion_splits,
    sentiment_splits,
)
from vocnlp.training.theme_training import (
    banking77_training_data,
    map_to_taxonomy,
    single_label_if_possible,
    taxonomy_prior,
)
from vocnlp.training.user_data import holdout_splits, read_labelled_file


def _splits_of(*corpora: str) -> tuple[list[str], list[str], list[str]]:
    # cast: tuple() of a generator is typed with any length; there is one list per split name.
    return cast(
        "tuple[list[str], list[str], list[str]]",
        tuple([f"{corpus}_{split}" for corpus in corpora] for split in ("train", "dev", "test")),
    )


# Which public splits make up the CX models' train/dev/test data.
_CX_PLAN = {
    "sentiment": _splits_of("goemotions", "xed_en", "xed_fr", "xed_neutral", "banking77_sentiment"),
    "emotion": _splits_of("goemotions", "xed_en", "xed_fr"),
}


def public_training_data(
    task: str, data_set: str = "cx", data: str | Path | None = None, seed: int = 0, shots: int | None = None
) -> TrainingData:
    """The public splits for a task: ``cx`` (the pipeline's label sets) or a benchmark name.

    Themes have one public benchmark, ``banking77`` (``shots`` examples per intent, or all). ``written_cx`` is the
    project-written corpus of customer comments (themes or sentiment); ``cx+written`` is sentiment's ``cx`` splits
    with the written corpus's splits added (the shipped sentiment models' data).
    """
    if data_set in ("written_cx", "cx+written"):
        return _with_written_corpus(task, data_set, data, seed)
    if task == "themes" or data_set.startswith("banking77"):
        # A few-shot model's source names its sample (banking77_10shot_seed0); its test split is Banking77's.
        if task != "themes" or not (data_set == "cx" or data_set.startswith("banking77")):
            raise VocnlpError(
                "Banking77 is the themes benchmark, and themes have no other public data set.",
                "Use --task themes --data-set banking77, or your own --train-file.",
            )
        return banking77_training_data(data, seed, shots)
    root = data_root(data)
    if data_set == "cx":
        splits = sentiment_splits(root, seed) if task == "sentiment" else emotion_splits(root, seed)
        train, dev, test = _CX_PLAN[task]
        return TrainingData(
            "cx", [splits[n] for n in train], [splits[n] for n in dev], [splits[n] for n in test], root=root
        )
    if task != "emotion":
        raise VocnlpError(f"The benchmark '{data_set}' is an emotion benchmark.", "Use --task emotion with it.")
    splits = benchmark_splits(root, data_set, seed)
    return TrainingData(data_set, [splits["train"]], [splits["dev"]], [splits["test"]], root=root)


def _with_written_corpus(task: str, data_set: str, data, seed: int) -> TrainingData:
    from vocnlp.training.written_corpus import written_training_data

    written = written_training_data(task, seed=seed)
    if data_set == "written_cx":
        return written
    if task != "sentiment":
        raise VocnlpError(
            "cx+written is the sentiment models' data set.",
            "Use --task sentiment, or --data-set written_cx for themes.",
        )
    public = public_training_data(task, "cx", data, seed)
    return TrainingData(
        "cx+written_cx",
        public.train + written.train,
        public.dev + written.dev,
        public.test + written.test,
        root=public.root,
    )


def file_training_data(
    task: str,
    train_file: str | Path,
    *,
    dev_file=None,
    test_file=None,
    text_column="text",
    label_column="label",
    language_column=None,
    label_separator="|",
    seed: int = 0,
    taxonomy=None,
) -> TrainingData:
    """A user's labelled file(s); without dev/test files, a seeded 70/15/15 split of the training file.

    Theme files may hold several theme ids per row; with a ``taxonomy``, sub-theme
    ids count for their parent theme and ids outside the taxonomy are an error.
    """
    options = dict(
        text_column=text_column,
        label_column=label_column,
        language_column=language_column,
        multilabel=task in ("emotion", "themes"),
        label_separator=label_separator,
    )
    train = _theme_labels(read_labelled_file(train_file, **options), task, taxonomy)
    # The taxonomy's own phrases are examples too, so themes without labelled rows still get a class.
    prior = [taxonomy_prior(taxonomy, train.labels, train.multilabel)] if task == "themes" and taxonomy else []
    if dev_file is None and test_file is None:
        parts = holdout_splits(train, seed)
        return TrainingData(
            f"file:{Path(train_file).name}", [parts["train"]], [parts["dev"]], [parts["test"]], prior=prior
        )
    if dev_file is None or test_file is None:
        raise VocnlpError(
            "Give both --dev-file and --test-file, or neither (then the training file is split 70/15/15)."
        )
    # Sentiment/emotion files are read in the training labels' order; theme files first go through the taxonomy.
    fixed: dict[str, Any] = {} if task == "themes" else {"labels": train.labels}
    dev = _theme_labels(read_labelled_file(dev_file, **options, **fixed, min_labels=1), task, taxonomy, train)
    test = _theme_labels(read_labelled_file(test_file, **options, **fixed, min_labels=1), task, taxonomy, train)
    return TrainingData(f"file:{Path(train_file).name}", [train], [dev], [test], prior=prior)


def _theme_labels(split: LabelledSplit, task: str, taxonomy, train: LabelledSplit | None = None) -> LabelledSplit:
    """Align a file's labels with the training file's (dev/test) and, for themes, with the taxonomy.

    With a taxonomy every top-level theme is a label, labelled rows or not. A
    theme file with one theme per row trains a single-label (softmax) head.
    """
    if task != "themes":
        return split  # dev/test files were already read in the training labels' order
    if taxonomy is not None:
        split = map_to_taxonomy(split, taxonomy)
    labels = train.labels if train is not None else (sorted(t.id for t in taxonomy.themes) if taxonomy else None)
    if labels is not None:
        split = _align(split, labels)
    if train is None or not train.multilabel:
        split = single_label_if_possible(split)
    if train is not None and split.multilabel != train.multilabel:
        raise InputFileError(
            f"'{split.name}' has rows with several themes, but the training file has one per row.",
            "Give every file the same kind of labels.",
        )
    return split


def _align(split: LabelledSplit, labels: list[str]) -> LabelledSplit:
    """``split`` in the label order of ``labels`` (its labels must be among them)."""
    unknown = sorted(set(split.labels) - set(labels))
    if unknown:
        raise InputFileError(
            f"Labels {unknown} in '{split.name}' do not occur in the training file {labels}.",
            "Use the same label set in the train, dev and test files.",
        )
    if not split.multilabel:
        return LabelledSplit(
            split.name, split.texts, split.y, list(labels), split.language, split.dropped, split.row_languages
        )
    y = np.zeros((len(split.texts), len(labels)), dtype=np.int8)
    for j, lab in enumerate(split.labels):
        y[:, labels.index(lab)] = np.asarray(split.y)[:, j]
    return LabelledSplit(split.name, split.texts, y, list(labels), split.language, split.dropped, split.row_languages)
