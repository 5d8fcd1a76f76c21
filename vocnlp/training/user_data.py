"""Labelled files from the user (CSV, XLSX, Parquet, JSONL): text + label(s), optional language.

Single-label files hold one label per row; multi-label files hold several,
separated by ``|`` (or ``;`` / ``,`` when given), or ``none`` for a text that
has none of the labels (a negative example, e.g. a reviewer's "no theme").
Rows without text or label are an error naming their line, not silently
dropped: a training set with holes is usually a mapping mistake.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vocnlp.errors import ColumnMappingError, InputFileError
from vocnlp.io.readers import read_table
from vocnlp.training.datasets import LabelledSplit, split_indices

NO_LABEL = "none"  # in a multi-label file: this text has none of the labels


def _column(frame, name: str, role: str) -> str:
    if name in frame.columns:
        return name
    raise ColumnMappingError(
        f"The {role} column '{name}' is not in the labelled file. Columns: {', '.join(map(repr, frame.columns))}.",
        f"Pass --{role}-column with one of those names.",
    )


def read_labelled_file(
    path: str | Path,
    *,
    text_column: str = "text",
    label_column: str = "label",
    language_column: str | None = None,
    multilabel: bool = False,
    label_separator: str = "|",
    labels: list[str] | None = None,
    min_labels: int = 2,
) -> LabelledSplit:
    """Read a labelled file into a :class:`LabelledSplit`.

    ``labels`` fixes the label set and its order (e.g. a model's labels when
    evaluating); unknown labels are then an error. Otherwise labels are sorted,
    and fewer than ``min_labels`` distinct labels is an error (a training file
    needs two; a test file may hold one).
    """
    raw = read_table(path)
    if raw.unreadable:
        first = raw.unreadable[0]
        raise InputFileError(
            f"{len(raw.unreadable)} record(s) of '{path}' could not be read; the first, on line "
            f"{first.line}: {first.reason}.",
            "Fix those lines; training data must be complete.",
        )
    frame = raw.frame
    text_col = _column(frame, text_column, "text")
    label_col = _column(frame, label_column, "label")
    texts = frame[text_col].fillna("").astype(str).str.strip()
    raw_labels = frame[label_col].fillna("").astype(str).str.strip()
    bad = [raw.source_rows[i] for i in np.flatnonzero((texts == "").to_numpy() | (raw_labels == "").to_numpy())]
    if bad:
        raise InputFileError(
            f"{len(bad)} row(s) of '{path}' have no text or no label (lines {bad[:10]}"
            f"{' ...' if len(bad) > 10 else ''}).",
            "Fill them in or remove them.",
        )
    if multilabel:
        row_labels = [[part.strip() for part in value.split(label_separator) if part.strip()] for value in raw_labels]
        mixed = [
            raw.source_rows[i]
            for i, labs in enumerate(row_labels)
            if len(labs) > 1 and NO_LABEL in {lab.lower() for lab in labs}
        ]
        if mixed:
            raise InputFileError(
                f"{len(mixed)} row(s) of '{path}' say '{NO_LABEL}' and also name labels (lines {mixed[:10]}).",
                f"Write either '{NO_LABEL}' or the labels.",
            )
        row_labels = [[] if [lab.lower() for lab in labs] == [NO_LABEL] else labs for labs in row_labels]
    else:
        row_labels = [[value] for value in raw_labels]
    seen = sorted({lab for labs in row_labels for lab in labs})
    if labels is not None:
        unknown = sorted(set(seen) - set(labels))
        if unknown:
            raise InputFileError(
                f"Labels {unknown} in '{path}' are not among the model's labels {labels}.",
                "Map them onto the model's labels, or train a model on this label set.",
            )
        seen = list(labels)
    elif len(seen) < min_labels:
        raise InputFileError(
            f"'{path}' has only one label ({seen}); a classifier needs at least two.",
            "Add examples of the other labels.",
        )
    if multilabel:
        index = {lab: j for j, lab in enumerate(seen)}
        y = np.zeros((len(row_labels), len(seen)), dtype=np.int8)
        for i, labs in enumerate(row_labels):
            y[i, [index[lab] for lab in labs]] = 1
    else:
        y = np.asarray([labs[0] for labs in row_labels], dtype=object)
    languages = None
    if language_column:
        languages = frame[_column(frame, language_column, "language")].fillna("und").astype(str).to_numpy()
    language = (
        "mixed"
        if languages is not None and len(set(languages)) > 1
        else (str(languages[0]) if languages is not None and len(languages) else "und")
    )
    return LabelledSplit(Path(path).stem, texts.tolist(), y, seen, language, row_languages=languages)


def take_rows(split: LabelledSplit, idx: np.ndarray, suffix: str) -> LabelledSplit:
    """The rows ``idx`` of a split, as a new split named ``<name>_<suffix>``."""
    return LabelledSplit(
        f"{split.name}_{suffix}",
        [split.texts[i] for i in idx],
        np.asarray(split.y)[idx],
        split.labels,
        split.language,
        row_languages=None if split.row_languages is None else split.row_languages[idx],
    )


def holdout_splits(split: LabelledSplit, seed: int) -> dict[str, LabelledSplit]:
    """Seeded 70/15/15 train/dev/test split of a user file that came without dev and test files."""
    train, dev, test = split_indices(len(split.texts), seed, dev_share=0.15, test_share=0.15)
    return {
        "train": take_rows(split, train, "train"),
        "dev": take_rows(split, dev, "dev"),
        "test": take_rows(split, test, "test"),
    }
