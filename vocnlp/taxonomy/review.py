"""The review queue: the least certain theme assignments of a run, out to a person and back as training data.

Export picks, for every theme, the mentions with the lowest confidence (the
ones most likely wrong), the clauses left without any theme that came
closest to it (``near_misses.parquet``: the likeliest missed mentions), and a
seeded random sample of its other mentions (what ``vocnlp review calibrate``
needs to learn how often confident mentions are right), and writes them with
two empty columns to fill in:
``verdict`` (``yes`` the theme is right / ``no`` it is not) and
``correct_themes`` (the right theme ids, ``|``-separated, when the verdict is
no). Import turns the filled file into a labelled file that ``vocnlp train
--task themes`` reads directly: the evidence clause as text, the confirmed or
corrected themes as labels.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vocnlp.errors import InputFileError
from vocnlp.io.exports import write_excel_sheets
from vocnlp.io.readers import read_table
from vocnlp.io.run_folder import FILES, check_run_folder
from vocnlp.io.spreadsheet_safety import unguard_text, write_spreadsheet_csv
from vocnlp.training.user_data import NO_LABEL

REVIEW_COLUMNS = [
    "comment_id",
    "theme_id",
    "theme_name",
    "evidence",
    "confidence",
    "queue",
    "verdict",
    "correct_themes",
]
ASSIGNED, NEAR_MISS = "assigned, low confidence", "not assigned, near miss"
SAMPLED = "assigned, random sample"
YES_WORDS = {"yes", "y", "oui", "o", "1", "true", "ok", "x"}
NO_WORDS = {"no", "n", "non", "0", "false"}


def _mentions(run_dir: Path) -> pd.DataFrame:
    check_run_folder(run_dir)
    path = run_dir / FILES.mentions
    if not path.is_file():
        raise InputFileError(f"'{run_dir}' holds no mentions.parquet.", "Point at the --out folder of a 'vocnlp run'.")
    return pd.read_parquet(path)


def export_review_queue(
    run_dir: str | Path, out_file: str | Path, per_theme: int = 20, sampled_per_theme: int = 10, seed: int = 0
) -> pd.DataFrame:
    """Write, per theme, the ``per_theme`` least confident mentions, the ``per_theme`` closest near misses and
    ``sampled_per_theme`` other mentions drawn at random (seeded) to ``out_file`` (CSV or XLSX); the ``queue``
    column says which is which.

    Confidence is compared within a theme, where it is on one scale (seed
    similarity for zero-shot themes, probability for a trained model's).
    A run written before near misses were kept gives mentions only.
    """
    run_dir = Path(run_dir)
    mentions = _mentions(run_dir)
    # A clause repeated across comments is reviewed once.
    assigned = (
        mentions.sort_values(["theme_id", "confidence", "comment_id"], kind="stable")
        .drop_duplicates(["theme_id", "evidence"])
        .groupby("theme_id", sort=True)
        .head(per_theme)
        .assign(queue=ASSIGNED)
    )
    rest = (
        mentions.drop_duplicates(["theme_id", "evidence"])
        .merge(assigned[["theme_id", "evidence"]], how="left", indicator=True)
        .query("_merge == 'left_only'")
        .drop(columns="_merge")
    )
    # Shuffled once with the seed, then the first rows of each theme: a seeded random sample per theme.
    sampled = (
        rest.sample(frac=1.0, random_state=seed)
        .groupby("theme_id", sort=True)
        .head(max(sampled_per_theme, 0))
        .assign(queue=SAMPLED)
    )
    parts = [assigned, sampled]
    near_path = run_dir / FILES.near_misses
    if near_path.is_file():
        near = pd.read_parquet(near_path)
        # The same words can be a mention in one comment and a near miss in another (the whole comment decided):
        # one verdict per (theme, clause text) is enough.
        claimed = set(zip(mentions["theme_id"], mentions["evidence"]))
        # A boolean Series, not a list: an empty list would select no columns of an empty table.
        near = near[
            pd.Series(
                [(t, e) not in claimed for t, e in zip(near["theme_id"], near["evidence"])],
                index=near.index,
                dtype=bool,
            )
        ]
        parts.append(
            near.sort_values(["theme_id", "confidence", "comment_id"], ascending=[True, False, True], kind="stable")
            .drop_duplicates(["theme_id", "evidence"])
            .groupby("theme_id", sort=True)
            .head(per_theme)
            .assign(queue=NEAR_MISS)
        )
    queue = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else assigned
    queue = (
        queue.sort_values(["theme_id", "queue"], kind="stable")
        .assign(verdict="", correct_themes="")[REVIEW_COLUMNS]
        .reset_index(drop=True)
    )
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    if out_file.suffix.lower() == ".xlsx":
        write_excel_sheets(out_file, (("review", queue),))
    else:
        write_spreadsheet_csv(queue, out_file)  # opened in a spreadsheet to be judged: no live formulas
    return queue


def reviewed_rows(review_file: str | Path, needed: tuple[str, ...]) -> tuple[list[tuple[int, dict, str]], int]:
    """The judged rows of a filled review file as (source line, record of strings, ``yes``/``no``), and how many
    rows were not reviewed. A correction without a verdict is a no; any other verdict is an error naming its lines.
    """
    raw = read_table(review_file)
    frame = raw.frame
    missing = [c for c in (*needed, "verdict") if c not in frame.columns]
    if missing:
        raise InputFileError(
            f"'{review_file}' lacks the column(s) {missing}.",
            "Use the file written by 'vocnlp review export', with its columns unchanged.",
        )
    if "correct_themes" not in frame.columns:
        frame = frame.assign(correct_themes="")
    judged, not_reviewed, bad = [], 0, []
    # The export guarded formula-like text with a leading apostrophe; the judged file gives it back as it was.
    frame = frame.fillna("").astype(str).map(unguard_text)
    for line, record in zip(raw.source_rows, frame.to_dict("records")):
        verdict = record["verdict"].strip().lower()
        if not verdict and not record["correct_themes"].strip():
            not_reviewed += 1
        elif verdict in YES_WORDS:
            judged.append((line, record, "yes"))
        elif verdict in NO_WORDS or not verdict:
            judged.append((line, record, "no"))
        else:
            bad.append(line)
    if bad:
        raise InputFileError(
            f"{len(bad)} row(s) of '{review_file}' have a verdict that is neither yes nor no (lines {bad[:10]}).",
            "Write yes/oui or no/non in the verdict column.",
        )
    return judged, not_reviewed


def import_review(review_file: str | Path, out_file: str | Path) -> dict:
    """Turn a filled review file into a labelled file (``text``, ``themes``); returns counts.

    Rows without a verdict are skipped (not reviewed yet). ``no`` without a
    correction is written with the label ``none``: the clause is a negative
    example for that theme (and for every other one) in ``vocnlp train --task
    themes``. A near miss confirmed with ``yes`` is a missed mention, now a
    positive example.
    """
    judged, not_reviewed = reviewed_rows(review_file, ("evidence", "theme_id", "correct_themes"))
    rows, counts = [], {"confirmed": 0, "corrected": 0, "rejected_without_correction": 0, "not_reviewed": not_reviewed}
    for _, record, verdict in judged:
        corrected = record["correct_themes"].strip()
        if verdict == "yes":
            rows.append((record["evidence"], record["theme_id"]))
            counts["confirmed"] += 1
        elif corrected:
            rows.append((record["evidence"], corrected))
            counts["corrected"] += 1
        else:
            rows.append((record["evidence"], NO_LABEL))
            counts["rejected_without_correction"] += 1
    labelled = pd.DataFrame(rows, columns=["text", "themes"])
    labelled.to_csv(out_file, index=False, encoding="utf-8")
    return {**counts, "written": len(labelled)}
