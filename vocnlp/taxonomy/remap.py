"""Carry a finished run over to an edited taxonomy without re-running the models.

After a rename, merge, move or split, the theme assignments of a run are still
right; only their ids and names change (through the taxonomy's aliases). This
rewrites every file of the run that names themes: mentions, near misses,
the comments' ``themes`` column, the wide table, the codebook, and the driver
table (re-estimated from the run's own comments and scores with its resolved
config, since merged themes are new drivers). An Excel workbook gets those
sheets replaced (the others are kept), and an HTML report is rebuilt in its
own language.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from vocnlp.analysis.drivers import run_drivers
from vocnlp.analysis.drivers.judged import JudgedLabels, read_judged_labels, themes_of_codebook
from vocnlp.config import load_config
from vocnlp.errors import VocnlpError
from vocnlp.io.exports import WORKBOOK, codebook, replace_excel_sheets, themes_wide
from vocnlp.io.run_folder import FILES, check_run_folder, write_manifest
from vocnlp.io.spreadsheet_safety import write_spreadsheet_csv
from vocnlp.io.writers import jsonable
from vocnlp.report import REPORT_FILE, build_report
from vocnlp.report.wording import LANGUAGES
from vocnlp.taxonomy.edits import alias_map, remap_mentions
from vocnlp.taxonomy.schema import Taxonomy


def _write(frame: pd.DataFrame, run_dir: Path, stem: str, csv_always: bool = False, guard: bool = True) -> list[str]:
    """Parquet (when the run wrote one) and CSV (when the run wrote one, or always for csv-only files)."""
    written = []
    if (run_dir / f"{stem}.parquet").is_file():
        frame.to_parquet(run_dir / f"{stem}.parquet", index=False)
        written.append(f"{stem}.parquet")
    if csv_always or (run_dir / f"{stem}.csv").is_file():
        write_spreadsheet_csv(frame, run_dir / f"{stem}.csv", guard=guard, date_format="%Y-%m-%d")
        written.append(f"{stem}.csv")
    return written


def _comment_themes(comments: pd.DataFrame, mentions: pd.DataFrame) -> pd.DataFrame:
    """``themes`` and ``theme_count`` rebuilt from the mentions, as the themes stage writes them."""
    per_comment = (
        mentions.sort_values(["comment_id", "theme_id"], kind="stable")
        .groupby("comment_id", sort=False)["theme_id"]
        .agg(";".join)
    )
    out = comments.copy()
    live = out["themes"].notna() if "themes" in out else pd.Series(True, index=out.index)
    themes = out["comment_id"].map(per_comment).astype(object).fillna("")
    out["themes"] = np.where(live, themes.to_numpy(dtype=object), None)
    out["theme_count"] = out["comment_id"].map(mentions.groupby("comment_id").size()).fillna(0).astype("int64")
    return out


def _judged_in_new_taxonomy(
    path: str | None, comments: pd.DataFrame, taxonomy: Taxonomy, book: pd.DataFrame
) -> tuple[JudgedLabels | None, list[str]]:
    """The run's judged sample (``drivers.judged_labels``) read in the edited taxonomy: a judged theme id that is
    now an alias counts as the theme that holds it. A file no longer there is said, not silently dropped."""
    if not path:
        return None, []
    if not Path(path).is_file():
        return None, [
            f"The judged-labels file '{path}' of this run is gone: the driver table no longer has impacts corrected "
            "for label error. Run again with --judged to get them back."
        ]
    theme_of = themes_of_codebook(book)
    themes = {alias: theme_of[current] for alias, current in alias_map(taxonomy).items() if current in theme_of}
    return read_judged_labels(path, comments["comment_id"], themes), []


def remap_run(run_dir: str | Path, taxonomy: Taxonomy, language: str = "en") -> dict:
    """Rewrite a run folder's theme files for ``taxonomy``; returns what changed and the files written."""
    run_dir = Path(run_dir)
    manifest = check_run_folder(run_dir)
    needed = [n for n in (FILES.mentions, FILES.comments, FILES.summary, FILES.config) if not (run_dir / n).is_file()]
    if needed:
        raise VocnlpError(f"'{run_dir}' lacks {', '.join(needed)}.", "Point at the --out folder of a 'vocnlp run'.")
    config = load_config(run_dir / FILES.config)
    guard = config.output.excel_safe_csv
    before = pd.read_parquet(run_dir / FILES.mentions)
    mentions = remap_mentions(before, taxonomy, language)
    written = _write(mentions, run_dir, "mentions", guard=guard)
    near_path = run_dir / FILES.near_misses
    if near_path.is_file():
        near = pd.read_parquet(near_path)
        ids = alias_map(taxonomy)
        near = near[near["theme_id"].isin(ids)].assign(theme_id=lambda f: f["theme_id"].map(ids))
        near["theme_name"] = near["theme_id"].map(lambda t: taxonomy.theme(t).name(language))
        written += _write(near.reset_index(drop=True), run_dir, "near_misses", guard=guard)
    comments = _comment_themes(pd.read_parquet(run_dir / FILES.comments), mentions)
    written += _write(comments, run_dir, "comments", guard=guard)
    book = codebook(taxonomy)
    written += _write(book, run_dir, "codebook", csv_always=True, guard=guard)
    wide = themes_wide(comments, mentions, book)
    written += _write(wide, run_dir, "themes_wide", guard=guard)
    summary = json.loads((run_dir / FILES.summary).read_text(encoding="utf-8"))
    judged, judged_warning = _judged_in_new_taxonomy(config.drivers.judged_labels, comments, taxonomy, book)
    analysis = run_drivers(comments, mentions, config, judged)
    write_spreadsheet_csv(analysis.table, run_dir / FILES.drivers, guard=guard)
    written.append(FILES.drivers)
    summary["themes"] = mentions["theme_id"].value_counts().sort_index().astype(int).to_dict() if len(mentions) else {}
    summary["drivers"] = {
        "models": analysis.models,
        "warnings": analysis.warnings + judged_warning,
        "judged_labels": (summary.get("drivers") or {}).get("judged_labels") if judged is not None else None,
    }
    summary["taxonomy_remapped"] = {"taxonomy": taxonomy.id, "version": taxonomy.version}
    (run_dir / FILES.summary).write_text(
        json.dumps(jsonable(summary), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    written.append(FILES.summary)
    workbook = run_dir / WORKBOOK
    if workbook.is_file():
        replace_excel_sheets(
            workbook,
            (
                ("comments", comments),
                ("mentions", mentions),
                ("themes_wide", wide),
                ("drivers", analysis.table),
                ("codebook", book),
            ),
        )
        written.append(WORKBOOK)
    write_manifest(run_dir, {**manifest.get("rows", {}), "mentions": len(mentions)})
    report = run_dir / REPORT_FILE
    if report.is_file():
        build_report(run_dir, _report_language(report))
        written.append(REPORT_FILE)
    return {"mentions_before": len(before), "mentions_after": len(mentions), "written": written}


def _report_language(report: Path) -> str:
    """The language a report was written in, from its ``<html lang>``; English when it cannot be read."""
    found = re.search(r'<html lang="(\w+)"', report.read_text(encoding="utf-8", errors="replace")[:2000])
    return found.group(1) if found and found.group(1) in LANGUAGES else "en"
