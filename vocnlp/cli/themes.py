"""Command-line sub-commands for theme work: `vocnlp taxonomy ...` (edits) and `vocnlp review ...` (queue)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from vocnlp.cli.output import fail as _fail
from vocnlp.cli.output import out
from vocnlp.errors import VocnlpError

# Judged comments below which the corrected intervals under-covered in the label-noise simulation (BENCHMARKS.md).
FEW_JUDGED = 200
review_app = typer.Typer(no_args_is_help=True, help="Human review of the least certain theme assignments.")


@review_app.command("export")
def review_export(
    run_dir: Path = typer.Argument(..., help="The --out folder of a 'vocnlp run'."),
    out_file: Path = typer.Option(..., "--out", "-o", help="Review file to write (.csv or .xlsx)."),
    per_theme: int = typer.Option(
        20, "--per-theme", help="Least confident mentions (and near misses) to review per theme."
    ),
    sampled: int = typer.Option(
        10,
        "--sampled-per-theme",
        help="Other mentions per theme drawn at random, so "
        "'vocnlp review calibrate' sees confident ones too (0: none).",
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the random sample."),
    judge: Optional[int] = typer.Option(
        None,
        "--judge",
        help="Instead of the queue: N comments drawn at random, to be given their true themes whole "
        "(true_themes); the filled file goes to 'vocnlp run --judged' to correct theme impacts for label error.",
    ),
    margin: float = typer.Option(
        0.15, "--margin", help="With --judge: the ± margin of each theme's precision the guidance aims at."
    ),
) -> None:
    """Write each theme's least confident mentions, closest near misses and a random sample of the rest, with
    verdict/correct_themes columns to fill in (or, with --judge, a random sample of comments to judge whole)."""
    if judge is not None:
        _export_judging_sample(run_dir, out_file, judge, seed, margin)
        return
    try:
        from vocnlp.taxonomy.review import export_review_queue

        queue = export_review_queue(run_dir, out_file, per_theme, sampled, seed)
    except VocnlpError as exc:
        _fail(exc)
        return
    out.print(
        f"{len(queue):,} mentions of {queue['theme_id'].nunique()} themes written to {out_file}. Fill in "
        "'verdict' (yes/no) and, when wrong, 'correct_themes' (theme ids separated by |)."
    )


def _export_judging_sample(run_dir: Path, out_file: Path, size: int, seed: int, margin: float) -> None:
    try:
        from vocnlp.taxonomy.judging import export_judging_sample

        sample, guidance = export_judging_sample(run_dir, out_file, size, seed, margin)
    except VocnlpError as exc:
        _fail(exc)
        return
    out.print(
        f"{len(sample):,} comments drawn at random (seed {seed}) written to {out_file}. Fill in 'true_themes' "
        "with every theme each comment mentions (ids of codebook.csv separated by |, or 'none'), then run again "
        "with --judged."
    )
    if len(sample) < FEW_JUDGED:
        out.print(
            f"[yellow]Note:[/] with fewer than {FEW_JUDGED} judged comments the corrected 95% intervals covered the "
            "true impact less often than 93% in the label-noise simulation (BENCHMARKS.md); judge more where you can."
        )
    if len(guidance):
        from rich.table import Table

        table = Table(title=f"Precision of each theme's labels from {len(sample):,} judged comments (95%, worst case)")
        for column in ("theme", "share of comments", "judged mentions", "± precision", f"comments for ±{margin:.0%}"):
            table.add_column(column)
        for row in guidance.itertuples(index=False):
            table.add_row(
                row.theme_id,
                f"{row.share_of_comments:.1%}",
                f"{row.judged_mentions_expected:.0f}",
                f"{row.precision_margin:.0%}",
                f"{row.comments_for_margin:,}",
            )
        out.print(table)


@review_app.command("import")
def review_import(
    review_file: Path = typer.Argument(..., help="The filled review file."),
    out_file: Path = typer.Option(..., "--out", "-o", help="Labelled CSV to write (text, themes)."),
) -> None:
    """Turn a filled review file into training data for 'vocnlp train --task themes --label-column themes'."""
    try:
        from vocnlp.taxonomy.review import import_review

        counts = import_review(review_file, out_file)
    except VocnlpError as exc:
        _fail(exc)
        return
    out.print(
        f"{counts['written']:,} labelled rows written to {out_file} ({counts['confirmed']} confirmed, "
        f"{counts['corrected']} corrected, {counts['rejected_without_correction']} rejected without a "
        f"correction, written with the label 'none'; {counts['not_reviewed']} not reviewed were left out)."
    )


@review_app.command("calibrate")
def review_calibrate(
    review_file: Path = typer.Argument(..., help="The filled review file (zero-shot run)."),
    out_file: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Calibration file to write (.json); name it in the themes stage's 'calibration' parameter.",
    ),
) -> None:
    """Learn calibrated probabilities for zero-shot themes from the judged rows of a review file."""
    try:
        from vocnlp.taxonomy.calibration import cross_validated_check, fit_calibration, judged_rows

        confidence, right = judged_rows(review_file)
        calibration = fit_calibration(confidence, right, source=review_file.name)
        check = cross_validated_check(confidence, right)
        calibration.save(out_file)
    except VocnlpError as exc:
        _fail(exc)
        return
    out.print(
        f"Calibration from {check['judged']:,} judged rows ({check['share_right']:.0%} right) written to {out_file}."
    )
    out.print(
        f"Expected calibration error, {check['folds']}-fold cross-validated: raw confidence "
        f"{check['ece_raw_confidence']:.3f}, calibrated {check['ece_calibrated']:.3f} (Brier "
        f"{check['brier_raw_confidence']:.3f} → {check['brier_calibrated']:.3f})."
    )
    out.print(
        f"Use it with 'vocnlp run … --theme-calibration {out_file}' (or the themes stage's 'calibration' "
        "parameter); zero-shot mentions then carry 'probability'."
    )


taxonomy_app = typer.Typer(no_args_is_help=True, help="Edit a theme taxonomy; ids stay traceable through aliases.")
_TAXONOMY_ARG = typer.Argument(..., help="Taxonomy YAML file.")
_TAXONOMY_OUT = typer.Option(None, "--out", "-o", help="Write the edited taxonomy here (default: edit in place).")


def _edit_taxonomy(path: Path, out_file: Optional[Path], edit) -> None:
    try:
        from vocnlp.taxonomy.edits import read_document, write_document

        document = edit(read_document(path))
        taxonomy = write_document(document, out_file or path)
    except VocnlpError as exc:
        _fail(exc)
        return
    out.print(
        f"{document['history'][-1]['change']} — taxonomy '{taxonomy.id}' version {taxonomy.version} written "
        f"to {out_file or path}"
    )


@taxonomy_app.command("rename")
def taxonomy_rename(
    path: Path = _TAXONOMY_ARG,
    theme: str = typer.Argument(..., help="Theme or sub-theme id."),
    en: Optional[str] = typer.Option(None, "--en"),
    fr: Optional[str] = typer.Option(None, "--fr"),
    out_file: Optional[Path] = _TAXONOMY_OUT,
) -> None:
    """Give a theme new names (its id, used in every output, stays)."""
    from vocnlp.taxonomy.edits import rename

    _edit_taxonomy(path, out_file, lambda d: rename(d, theme, en, fr))


@taxonomy_app.command("merge")
def taxonomy_merge(
    path: Path = _TAXONOMY_ARG,
    source: str = typer.Argument(..., help="Theme to fold in."),
    into: str = typer.Argument(..., help="Theme that absorbs it."),
    out_file: Optional[Path] = _TAXONOMY_OUT,
) -> None:
    """Merge one top-level theme into another; the old id becomes an alias."""
    from vocnlp.taxonomy.edits import merge

    _edit_taxonomy(path, out_file, lambda d: merge(d, source, into))


@taxonomy_app.command("move")
def taxonomy_move(
    path: Path = _TAXONOMY_ARG,
    subtheme: str = typer.Argument(..., help="Sub-theme id."),
    parent: str = typer.Argument(..., help="New parent theme id."),
    out_file: Optional[Path] = _TAXONOMY_OUT,
) -> None:
    """Move a sub-theme under another theme; its old id becomes an alias."""
    from vocnlp.taxonomy.edits import move

    _edit_taxonomy(path, out_file, lambda d: move(d, subtheme, parent))


@taxonomy_app.command("split")
def taxonomy_split(
    path: Path = _TAXONOMY_ARG,
    theme: str = typer.Argument(..., help="Theme to split."),
    new_id: str = typer.Argument(..., help="Id of the new top-level theme."),
    subtheme: list[str] = typer.Option(..., "--subtheme", help="Sub-theme to move (repeatable)."),
    en: str = typer.Option(..., "--en"),
    fr: str = typer.Option(..., "--fr"),
    out_file: Optional[Path] = _TAXONOMY_OUT,
) -> None:
    """Make a new top-level theme from some sub-themes of an existing one."""
    from vocnlp.taxonomy.edits import split

    _edit_taxonomy(path, out_file, lambda d: split(d, theme, subtheme, new_id, en, fr))


@taxonomy_app.command("remap")
def taxonomy_remap(
    run_dir: Path = typer.Argument(..., help="The --out folder of a 'vocnlp run'."),
    taxonomy: Path = typer.Option(..., "--taxonomy", help="The edited taxonomy."),
    language: str = typer.Option("en", "--lang", help="Language of theme names."),
) -> None:
    """Carry a run over to an edited taxonomy (renames, merges, moves) without re-running the models: mentions,
    comments' themes, wide table, codebook and drivers are rewritten."""
    try:
        from vocnlp.taxonomy.remap import remap_run
        from vocnlp.taxonomy.schema import load_taxonomy

        done = remap_run(run_dir, load_taxonomy(taxonomy), language)
    except VocnlpError as exc:
        _fail(exc)
        return
    out.print(
        f"{done['mentions_before']:,} mentions re-expressed as {done['mentions_after']:,} in {run_dir} (merged "
        f"themes count once per comment); rewrote {', '.join(done['written'])}."
    )
