"""BI-ready exports: the theme codebook, the wide (one 0/1 column per theme) table and the Excel workbook.

Theme ids come from the taxonomy, so the codebook and the wide table's columns
are the same in every run of the same taxonomy, whether or not a theme was
mentioned: reports built on them keep working when the data changes.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from vocnlp.io.run_folder import FILES
from vocnlp.io.spreadsheet_safety import holds_text
from vocnlp.taxonomy.schema import Taxonomy

EXCEL_MAX_ROWS = 1_048_575  # one row is the header
# The control characters an .xlsx cell cannot hold (the same set openpyxl refuses).
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CODEBOOK_COLUMNS = [
    "theme_id",
    "level",
    "parent_id",
    "name_en",
    "name_fr",
    "description_en",
    "description_fr",
    "wide_column",
    "taxonomy_id",
    "taxonomy_version",
]


def wide_column(theme_id: str) -> str:
    """Column name of a theme in the wide table: ``theme_billing``, ``theme_billing_error``."""
    return "theme_" + re.sub(r"\W+", "_", theme_id)


def codebook(taxonomy: Taxonomy | None) -> pd.DataFrame:
    """One row per theme and sub-theme: id, level, parent, names and descriptions in both languages."""
    if taxonomy is None:
        return pd.DataFrame(columns=CODEBOOK_COLUMNS)
    rows = []
    for theme in taxonomy.themes:
        for item in [theme, *taxonomy.children(theme.id)]:
            rows.append(
                {
                    "theme_id": item.id,
                    "level": "subtheme" if item.parent else "theme",
                    "parent_id": item.parent or "",
                    "name_en": item.names.get("en", ""),
                    "name_fr": item.names.get("fr", ""),
                    "description_en": item.description.get("en", ""),
                    "description_fr": item.description.get("fr", ""),
                    "wide_column": wide_column(item.id),
                    "taxonomy_id": taxonomy.id,
                    "taxonomy_version": taxonomy.version,
                }
            )
    book = pd.DataFrame(rows, columns=CODEBOOK_COLUMNS)
    clashes = book["wide_column"][book["wide_column"].duplicated()].tolist()
    if clashes:
        from vocnlp.errors import ConfigError

        raise ConfigError(
            f"Taxonomy '{taxonomy.source}': theme ids {clashes} give the same export column.",
            "Make ids differ by more than punctuation ('billing.error' vs 'billing_error').",
        )
    return book


def themes_wide(comments: pd.DataFrame, mentions: pd.DataFrame, book: pd.DataFrame) -> pd.DataFrame:
    """``comment_id`` then one 0/1 column per codebook theme and sub-theme; empty where there was no text.

    A comment counts for a theme when any of its mentions has that theme or sub-theme.
    """
    ids = comments["comment_id"].tolist()
    wide = pd.DataFrame({"comment_id": ids})
    no_text = comments["status"].fillna("").str.contains("empty_text", regex=False).to_numpy(dtype=bool)
    position = {cid: i for i, cid in enumerate(ids)}
    # Each mention's row in ``comments``, looked up once for all themes (mentions of other comments are left out).
    row = mentions["comment_id"].map(position) if len(mentions) else pd.Series([], dtype=float)
    known = row.notna().to_numpy()
    row_of_mention = row.to_numpy()[known].astype(int)
    labels = {
        key: mentions[key].to_numpy()[known] if len(mentions) else np.array([], dtype=object)
        for key in ("theme_id", "subtheme_id")
    }
    columns = {}
    for theme_id, level, column in book[["theme_id", "level", "wide_column"]].itertuples(index=False):
        hit = np.zeros(len(ids), dtype="int8")
        hit[row_of_mention[labels["subtheme_id" if level == "subtheme" else "theme_id"] == theme_id]] = 1
        columns[column] = pd.arrays.IntegerArray(hit, no_text.copy())
    return pd.concat([wide, pd.DataFrame(columns)], axis=1)


def run_info(result, config) -> pd.DataFrame:
    """Key/value rows describing the run: version, source, rows, seed, profile, stages and their models."""
    summary, meta = result.summary, result.meta
    rows = [
        ("vocnlp version", meta.get("vocnlp_version")),
        ("source", summary.get("source")),
        ("profile", config.profile),
        ("seed", meta.get("seed")),
        ("rows read", summary["rows"]["read"]),
        ("rows with text", summary["rows"]["analysed"]),
        ("rows without text", summary["rows"]["empty_text"]),
        ("unreadable records", summary["rows"]["unreadable"]),
    ]
    rows += [(f"language: {k}", v) for k, v in summary.get("languages", {}).items()]
    for stage in meta.get("stages", []):
        details = ", ".join(f"{k}={v}" for k, v in stage.items() if k not in ("name", "version"))
        rows.append((f"stage: {stage['name']}", details or f"version {stage.get('version')}"))
    rows.append(("caveat", summary.get("caveat", "")))
    return pd.DataFrame(rows, columns=["item", "value"]).astype({"value": str})


def scores_table(summary: dict) -> pd.DataFrame:
    """The headline scores (NPS, churn, CSAT, CES) as measure/value rows."""
    scores = {k: v for k, v in summary.get("scores", {}).items() if k != "warnings"}
    flat = pd.json_normalize(_plain(scores), sep=".")
    if flat.empty:
        return pd.DataFrame(columns=["measure", "value"])
    table = flat.T.reset_index()
    table.columns = ["measure", "value"]
    return table[table["value"].map(lambda v: not isinstance(v, (list, dict)))].reset_index(drop=True)


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value


# Number formats by column name, so that Excel shows 0.53 not 0.5312345 and percentages as such.
_FORMATS = [
    (re.compile(r"^rank"), "0"),
    (re.compile(r"(share|rate|prevalence)$|^churn_"), "0.0%"),
    (re.compile(r"^(p_value|p_adjusted)$"), "0.0000"),
    (re.compile(r"(confidence|^emotion_|probability|_r2$|auc|^vif$|sentiment_score|effort_score)"), "0.000"),
]


WORKBOOK = FILES.workbook


def write_excel(result, path: Path, config, book: pd.DataFrame, wide: pd.DataFrame) -> Path:
    """One workbook: comments, mentions, themes_wide, drivers, scores (+ by group, comparisons), codebook, run_info,
    unreadable_rows; typed columns, bold frozen header, column widths and an autofilter on every sheet."""
    unreadable = pd.DataFrame(result.validation.get("unreadable", []), columns=["line", "reason", "excerpt"])
    sheets = (
        ("comments", result.comments),
        ("mentions", result.mentions),
        ("themes_wide", wide),
        ("drivers", result.drivers),
        ("scores", scores_table(result.summary)),
        ("scores_by_group", result.scores_by_group),
        ("score_comparisons", result.score_comparisons),
        ("codebook", book),
        ("run_info", run_info(result, config)),
        ("unreadable_rows", unreadable),
    )
    return write_excel_sheets(path, sheets)


def write_excel_sheets(path: Path, sheets) -> Path:
    """A new workbook with one formatted sheet per (name, frame); text is stored as text, never as a formula."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        _write_sheets(writer, sheets)
    return path


def replace_excel_sheets(path: Path, sheets) -> Path:
    """Rewrite the named sheets of an existing workbook in place (same position and formatting), keeping the rest."""
    with pd.ExcelWriter(path, engine="openpyxl", mode="a", if_sheet_exists="replace") as writer:
        _write_sheets(writer, sheets)
    return path


def _write_sheets(writer, sheets) -> None:
    for name, frame in sheets:
        frame = _excel_safe(frame)
        frame.to_excel(writer, sheet_name=name, index=False)
        _text_not_formulas(writer.sheets[name], frame)
        _format_sheet(writer.sheets[name], frame)


def _text_not_formulas(sheet, frame: pd.DataFrame) -> None:
    """Text starting with "=" is stored as text: a customer's "=HYPERLINK(...)" must not run when the analyst
    opens the workbook (the writer would otherwise store it as a formula)."""
    for j, column in enumerate(frame.columns, start=1):
        if str(column).startswith("="):
            sheet.cell(row=1, column=j).data_type = "s"
        if not holds_text(frame[column]):
            continue
        starts = frame[column].map(lambda v: isinstance(v, str) and v.startswith("=")).to_numpy()
        for i in starts.nonzero()[0]:
            sheet.cell(row=int(i) + 2, column=j).data_type = "s"


def _excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """At most Excel's row limit; timezone-free dates; nullable integers and booleans Excel can store; control
    characters the file format forbids (NUL, ESC, vertical tab...) shown as U+FFFD in text and column names."""
    frame = frame.head(EXCEL_MAX_ROWS).copy()
    for col in frame.columns:
        dtype = frame[col].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            frame[col] = frame[col].dt.tz_localize(None)
        elif isinstance(dtype, (pd.BooleanDtype, pd.StringDtype)) or str(dtype) in ("Int8", "Int64"):
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
        if holds_text(frame[col]):
            frame[col] = frame[col].map(_storable, na_action="ignore")
    frame.columns = [_storable(str(c)) for c in frame.columns]
    return frame


def _storable(value):
    """Text without the control characters an .xlsx file cannot hold (the Parquet outputs keep them)."""
    return XLSX_ILLEGAL.sub("\ufffd", value) if isinstance(value, str) else value


def _format_sheet(sheet, frame: pd.DataFrame) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = "A2"
    if not frame.shape[1]:
        return
    sheet.auto_filter.ref = sheet.dimensions
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sample = frame.head(200)
    for i, col in enumerate(frame.columns, start=1):
        letter = get_column_letter(i)
        values = sample[col].dropna().map(_display).tolist()
        width = max([len(str(col))] + [len(v) for v in values])
        sheet.column_dimensions[letter].width = min(max(width + 2, 8), 60)
        number_format = _number_format(str(col), frame[col])
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, max_row=len(frame) + 1, min_col=i, max_col=i):
                cell.number_format = number_format


def _display(value) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def _number_format(column: str, values: pd.Series) -> str | None:
    if pd.api.types.is_datetime64_any_dtype(values):
        return "yyyy-mm-dd"
    if not pd.api.types.is_float_dtype(values):
        return None
    return next((fmt for pattern, fmt in _FORMATS if pattern.search(column)), "0.00")
