"""A judging sample: comments of a run drawn at random, to be given their true themes by a person.

Filled in, the file is what ``vocnlp run --judged`` reads to correct theme impacts for label error
(:mod:`vocnlp.analysis.drivers.judged`). The sample is a simple random one (seeded) of the comments with text:
the correction assumes the judged comments are like the others with the same predicted label and score, which a
random draw guarantees and a draw chosen by confidence or by theme would not.

How many to judge: a theme's precision is estimated from the judged comments the pipeline gave it, about
``n × share`` of a sample of ``n``; its 95% interval is at most ±1.96·√(0.25 / (n × share)) wide. The guidance
table gives, per theme, that margin for the sample drawn and the sample size that brings it to the target.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from vocnlp.analysis.drivers.judged import ID_COLUMN, THEMES_COLUMN
from vocnlp.errors import InputFileError
from vocnlp.io.exports import write_excel_sheets
from vocnlp.io.run_folder import FILES, check_run_folder
from vocnlp.io.spreadsheet_safety import write_spreadsheet_csv

JUDGING_COLUMNS = [ID_COLUMN, "text", "predicted_themes", THEMES_COLUMN]
Z95 = 1.959964


def _run_text_column(run_dir: Path) -> str:
    summary = json.loads((run_dir / FILES.summary).read_text(encoding="utf-8"))
    return summary["meta"]["mapping"]["text"]


def export_judging_sample(
    run_dir: str | Path, out_file: str | Path, size: int, seed: int = 0, margin: float = 0.15
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write ``size`` comments with text drawn at random (seeded) with their predicted themes and an empty
    ``true_themes`` column to ``out_file`` (CSV or XLSX); return the sample and the per-theme guidance table
    (share of comments, judged mentions expected, precision margin, comments needed for ``margin``)."""
    if size < 1:
        raise InputFileError(f"--judge {size}: the sample needs at least one comment.", "Give --judge 300, say.")
    if not 0 < margin < 1:
        raise InputFileError(f"--margin {margin}: give a proportion between 0 and 1.", "--margin 0.15 is ±15 points.")
    run_dir = Path(run_dir)
    check_run_folder(run_dir)
    text_column = _run_text_column(run_dir)
    comments = pd.read_parquet(run_dir / FILES.comments, columns=["comment_id", text_column, "status"])
    mentions = pd.read_parquet(run_dir / FILES.mentions, columns=["comment_id", "theme_id"])
    analysed = comments[~comments["status"].astype(str).str.contains("empty_text", regex=False)]
    if analysed.empty:
        raise InputFileError(f"The run in '{run_dir}' has no comment with text.", "Judge a run that analysed text.")
    predicted = (
        mentions.drop_duplicates()
        .sort_values(["comment_id", "theme_id"])
        .groupby("comment_id")["theme_id"]
        .agg("|".join)
    )
    sample = analysed.sample(n=min(size, len(analysed)), random_state=seed).sort_values("comment_id", kind="stable")
    table = pd.DataFrame(
        {
            ID_COLUMN: sample["comment_id"].astype(str).to_numpy(),
            "text": sample[text_column].astype(str).to_numpy(),
            "predicted_themes": sample["comment_id"].map(predicted).fillna("").to_numpy(),
            THEMES_COLUMN: "",
        }
    )[JUDGING_COLUMNS]
    guidance = judging_guidance(analysed["comment_id"], mentions, len(table), margin)
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    if out_file.suffix.lower() == ".xlsx":
        write_excel_sheets(out_file, (("judge", table), ("guidance", guidance)))
    else:
        write_spreadsheet_csv(table, out_file)  # opened in a spreadsheet to be judged: no live formulas
    return table, guidance


def judging_guidance(comment_ids: pd.Series, mentions: pd.DataFrame, size: int, margin: float) -> pd.DataFrame:
    """Per predicted theme: its share of the analysed comments, the judged mentions a random sample of ``size``
    should hold, the worst-case 95% margin of its precision from them, and the sample size for ``margin``."""
    live = mentions[mentions["comment_id"].isin(set(comment_ids))].drop_duplicates(["comment_id", "theme_id"])
    share = live.groupby("theme_id").size() / max(len(comment_ids), 1)
    rows = []
    for theme, p in share.sort_values(ascending=False, kind="stable").items():
        expected = size * p
        rows.append(
            {
                "theme_id": theme,
                "share_of_comments": round(float(p), 4),
                "judged_mentions_expected": round(expected, 1),
                "precision_margin": round(Z95 * math.sqrt(0.25 / expected), 3) if expected > 0 else math.nan,
                "comments_for_margin": int(math.ceil(Z95**2 * 0.25 / margin**2 / p)),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "theme_id",
            "share_of_comments",
            "judged_mentions_expected",
            "precision_margin",
            "comments_for_margin",
        ],
    )


__all__ = ["JUDGING_COLUMNS", "export_judging_sample", "judging_guidance"]
