"""A judged sample: comments of the dump whose themes a person gave, read from a file.

The file has one row per judged comment: ``comment_id`` (as in the run's comments table) and ``true_themes``,
the ids of every theme the comment truly mentions, separated by ``|`` (or ``;``, ``,``), or ``none`` when it
mentions none. A row whose ``true_themes`` is empty was not judged yet and is skipped. ``vocnlp review export
--judge N`` writes such a file for a random sample of the run's comments. A subtheme id counts as its theme.

A comment must be judged whole (every theme it mentions, not only the one the pipeline found): the correction
estimates how often the pipeline misses a theme as well as how often it adds one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vocnlp.analysis.drivers.label_error import JudgedSample
from vocnlp.errors import InputFileError

ID_COLUMN, THEMES_COLUMN = "comment_id", "true_themes"
NO_THEME = {"none", "aucun", "aucune", "-"}
_SEPARATORS = re.compile(r"[|;,]")


@dataclass
class JudgedLabels:
    """Judged comments as row positions in the run's comments table, the theme ids they were judged on, and a
    (comments, themes) 0/1 matrix."""

    rows: np.ndarray
    themes: list[str]
    truth: np.ndarray
    skipped_not_judged: int = 0

    def for_drivers(self, driver_ids: list[str], valid: np.ndarray) -> JudgedSample:
        """The judged comments among the respondents kept for one outcome (``valid``), their truth in the order of
        ``driver_ids`` (NaN for a driver the judges never saw, so it is not corrected)."""
        position = np.cumsum(valid) - 1
        keep = valid[self.rows]
        column = {t: i for i, t in enumerate(self.themes)}
        truth = np.full((int(keep.sum()), len(driver_ids)), np.nan)
        for j, driver in enumerate(driver_ids):
            if driver in column:
                truth[:, j] = self.truth[keep, column[driver]]
        return JudgedSample(position[self.rows[keep]], truth)


def themes_of_codebook(book: pd.DataFrame) -> dict[str, str]:
    """{theme or subtheme id: its theme id} from a run's codebook (``parent_id`` empty for a theme)."""
    parent = book["parent_id"].fillna("").astype(str)
    return dict(zip(book["theme_id"].astype(str), parent.where(parent != "", book["theme_id"].astype(str))))


def read_judged_labels(path: str | Path, comment_ids: pd.Series, themes: dict[str, str]) -> JudgedLabels:
    """Read a judged-labels file against a run's comments (``comment_ids``, in table order) and taxonomy
    (``themes``: {theme or subtheme id: its theme id}); errors name the line and say what to write."""
    from vocnlp.io.readers import read_table
    from vocnlp.io.spreadsheet_safety import unguard_text

    raw = read_table(path)
    frame = raw.frame
    missing = [c for c in (ID_COLUMN, THEMES_COLUMN) if c not in frame.columns]
    if missing:
        raise InputFileError(
            f"The judged-labels file '{path}' lacks the column(s) {missing} (it has {list(frame.columns)[:10]}).",
            f"Give one row per judged comment with '{ID_COLUMN}' and '{THEMES_COLUMN}' (theme ids separated by |, "
            "or 'none'); 'vocnlp review export RUN --judge 300 --out judge.csv' writes such a file to fill in.",
        )
    position = {str(c): i for i, c in enumerate(comment_ids.astype(str))}
    theme_ids = sorted(set(themes.values()))
    column = {t: i for i, t in enumerate(theme_ids)}
    rows: list[int] = []
    truth: list[np.ndarray] = []
    first_line: dict[int, int] = {}
    skipped = 0
    values = frame[[ID_COLUMN, THEMES_COLUMN]].fillna("").astype(str).map(unguard_text)
    for line, (cid, given) in zip(raw.source_rows, values.itertuples(index=False)):
        cid, given = cid.strip(), given.strip()
        if not given:
            skipped += 1
            continue
        if cid not in position:
            raise InputFileError(
                f"Line {line} of '{path}': comment_id '{cid}' is not a comment of this run.",
                "Judge comments of the same dump (the ids of its comments.parquet), or remove the line.",
            )
        row = position[cid]
        if row in first_line:
            raise InputFileError(
                f"Line {line} of '{path}': comment_id '{cid}' was already judged on line {first_line[row]}.",
                "Keep one row per judged comment.",
            )
        labels = np.zeros(len(theme_ids))
        for label in (x.strip() for x in _SEPARATORS.split(given)):
            if not label or label.lower() in NO_THEME:
                continue
            if label not in themes:
                raise InputFileError(
                    f"Line {line} of '{path}': '{label}' is not a theme id of this run's taxonomy.",
                    f"Use the ids of codebook.csv ({', '.join(theme_ids[:12])}{'…' if len(theme_ids) > 12 else ''}), "
                    "or 'none' for a comment that mentions no theme.",
                )
            labels[column[themes[label]]] = 1.0
        first_line[row] = line
        rows.append(row)
        truth.append(labels)
    if not rows:
        raise InputFileError(
            f"No comment of '{path}' is judged ('{THEMES_COLUMN}' is empty on all {skipped} rows).",
            "Fill in the true themes of each comment (theme ids separated by |, or 'none').",
        )
    return JudgedLabels(np.asarray(rows), theme_ids, np.vstack(truth), skipped)


__all__ = ["JudgedLabels", "read_judged_labels", "themes_of_codebook"]
