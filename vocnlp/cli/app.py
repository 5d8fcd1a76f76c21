"""The ``vocnlp`` command line: run, train, evaluate, discover, benchmark, sample (+ taxonomy, review)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional, cast

import typer
from rich.table import Table

from vocnlp.cli import run_support
from vocnlp.cli.benchmark import benchmark
from vocnlp.cli.models import evaluate, train
from vocnlp.cli.output import crash, err, out
from vocnlp.cli.output import fail as _fail
from vocnlp.cli.themes import review_app, taxonomy_app
from vocnlp.errors import VocnlpError

if TYPE_CHECKING:
    from vocnlp.config import StageConfig

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Voice-of-the-customer text analysis: sentiment, emotions, themes and their drivers, offline.",
)
app.add_typer(taxonomy_app, name="taxonomy")
app.add_typer(review_app, name="review")

FORMATS = {"parquet", "csv", "xlsx"}


@app.command()
def run(
    input: Path = typer.Argument(
        ...,
        help="Comment dump: .csv/.tsv/.txt, .xlsx, .parquet or .jsonl; or a folder or quoted glob "
        "('export/part-*.parquet') of parts with the same columns, read in name order.",
    ),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Folder for the outputs (created if needed)."),
    text: Optional[str] = typer.Option(None, "--text", help="Column holding the comment text."),
    id: Optional[str] = typer.Option(None, "--id", help="Column holding a respondent/comment id."),
    nps: Optional[str] = typer.Option(None, "--nps", help="Column holding the 0–10 recommendation score."),
    csat: Optional[str] = typer.Option(None, "--csat", help="Column holding CSAT."),
    ces: Optional[str] = typer.Option(None, "--ces", help="Column holding CES (customer effort)."),
    churn: Optional[str] = typer.Option(None, "--churn", help="Column holding the churn flag (1/0, yes/no, oui/non)."),
    date: Optional[str] = typer.Option(None, "--date", help="Column holding the response date."),
    fcr: Optional[str] = typer.Option(
        None, "--fcr", help="Column saying whether the case was resolved at first contact (yes/no)."
    ),
    resolution_time: Optional[str] = typer.Option(
        None,
        "--resolution-time",
        help="Column holding the time to resolution, a number (unit: input.resolution_time_unit, hours by default).",
    ),
    referral: Optional[str] = typer.Option(
        None, "--referral", help="Column saying whether the customer referred someone (yes/no)."
    ),
    tenure: Optional[str] = typer.Option(
        None,
        "--tenure",
        help="Column holding time as a customer until churn or until now (a number): adds time-to-churn (Cox) drivers.",
    ),
    segment: list[str] = typer.Option([], "--segment", help="Segment column (repeatable)."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="YAML config overriding configs/default.yaml."),
    code: Optional[Path] = typer.Option(
        None,
        "--code",
        help="A Python file to import first: custom stages "
        "registered there (@register_stage) can be named in the config.",
    ),
    profile: Optional[str] = typer.Option(
        None, "--profile", help="fast (default) or accurate (slower, see BENCHMARKS.md)."
    ),
    industry: Optional[str] = typer.Option(
        None,
        "--industry",
        help="Industry pack of theme seeds and sub-themes "
        "(insurance, telecom, banking, energy, retail, transport, "
        "public_services): same top-level themes as the generic taxonomy.",
    ),
    theme_model: Optional[Path] = typer.Option(
        None,
        "--theme-model",
        help="A model folder from 'vocnlp train --task themes' for the themes it knows (the rest stay zero-shot).",
    ),
    theme_calibration: Optional[Path] = typer.Option(
        None,
        "--theme-calibration",
        help="A file from 'vocnlp review calibrate': zero-shot mentions then carry a probability.",
    ),
    format: list[str] = typer.Option([], "--format", "-f", help="Extra output format: csv, xlsx (repeatable)."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="Excel sheet name or 0-based index."),
    chunk_size: Optional[int] = typer.Option(None, "--chunk-size", help="Rows per processing chunk."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    keep_personal_data: bool = typer.Option(
        False,
        "--keep-personal-data",
        help="Do not mask e-mails, phones, IBANs, card numbers and names (masked by default in every output).",
    ),
    adapt: bool = typer.Option(
        False,
        "--adapt",
        help="Adapt sentiment to this dump with its own NPS or CSAT "
        "(stars) as weak labels, cross-fitted: no comment is scored by a model that saw its "
        "own score (adaptation: in the config; see the README).",
    ),
    report: bool = typer.Option(False, "--report", help="Also write the HTML report (report.html) into --out."),
    lang: str = typer.Option("en", "--lang", help="Language of the report: en or fr."),
    embedding_cache: Optional[Path] = typer.Option(
        None,
        "--embedding-cache",
        help="A folder where sentence vectors are kept between runs (embed.cache_dir): a re-run on the same "
        "comments, e.g. after a taxonomy edit, reads them instead of embedding again.",
    ),
    chunk_cache: Optional[Path] = typer.Option(
        None,
        "--chunk-cache",
        help="A folder where finished chunks are kept between runs (pipeline.chunk_cache): a re-run on the same "
        "comments with the same models, taxonomy and stage settings reads every chunk back and loads no model "
        "(e.g. after changing the outcome or segment columns); any change to those re-analyses the chunks.",
    ),
    judged: Optional[Path] = typer.Option(
        None,
        "--judged",
        help="A file of comments whose true themes a person gave (comment_id, true_themes; 'vocnlp review export "
        "--judge N' writes one to fill in): theme impacts are also corrected for label error, with the labels' "
        "precision and recall (drivers.judged_labels).",
    ),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Continue a run into the same --out that was killed or interrupted: the chunks it finished "
        "are read back instead of analysed again (only when the input file, configuration and vocnlp are the same; "
        "otherwise it starts from the first chunk and says why). The final outputs are those of an "
        "uninterrupted run.",
    ),
    engine: str = typer.Option(
        "local",
        "--engine",
        help="Where the chunks are analysed: local (this process) or dask (a Dask cluster: the one at --scheduler, "
        "or a LocalCluster of --workers processes started for the run). Same tables either way.",
    ),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", help="Address of a running Dask scheduler (tcp://host:8786), with --engine dask."
    ),
    workers: int = typer.Option(
        2, "--workers", help="Worker processes of the LocalCluster that --engine dask starts without --scheduler."
    ),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Replace --out even when it holds files that are not "
        "a vocnlp run (an earlier run folder is always replaced as a whole).",
    ),
) -> None:
    """Analyse a comment dump and write comments, mentions, drivers and a summary to --out."""
    try:
        from vocnlp.io.run_folder import check_out_dir

        check_out_dir(out_dir, overwrite, keep=(input,))  # before the analysis, not after it
        from vocnlp.config import load_config
        from vocnlp.io.exports import EXCEL_MAX_ROWS

        run_support.import_user_code(code)
        chunk_engine = run_support.chunk_engine(engine, scheduler, workers, code)

        overrides: dict = {"input": {"columns": {}}}
        value: str | Path | None
        for role, value in (
            ("text", text),
            ("id", id),
            ("nps", nps),
            ("csat", csat),
            ("ces", ces),
            ("churn", churn),
            ("date", date),
            ("fcr", fcr),
            ("resolution_time", resolution_time),
            ("referral", referral),
            ("tenure", tenure),
        ):
            if value is not None:
                overrides["input"]["columns"][role] = value
        if segment:
            overrides["input"]["columns"]["segments"] = segment
        if sheet is not None:
            overrides["input"]["sheet"] = int(sheet) if sheet.isdigit() else sheet
        if chunk_size is not None:
            overrides["pipeline"] = {"chunk_size": chunk_size}
        if profile is not None:
            overrides["profile"] = profile
        if industry is not None:
            overrides["industry"] = industry
        bad = [f for f in format if f not in FORMATS]
        if bad:
            raise VocnlpError(f"Unknown output format(s) {bad}.", f"Use --format with one of {sorted(FORMATS)}.")
        cfg = load_config(config, overrides)
        for option, param, value in (
            ("--theme-model", "model", theme_model),
            ("--theme-calibration", "calibration", theme_calibration),
        ):
            if value is None:
                continue
            if cfg.stage("themes") is None:
                raise VocnlpError(
                    f"{option} needs a themes stage, and this config's pipeline has none.",
                    "Add '- name: themes' to pipeline.stages.",
                )
            cast("StageConfig", cfg.stage("themes")).params[param] = str(value)  # checked just above
        if adapt:
            cfg.adaptation.enabled = True
        if embedding_cache is not None:
            if cfg.stage("embed") is None:
                raise VocnlpError(
                    "--embedding-cache needs an embed stage, and this config's pipeline has none.",
                    "Add '- name: embed' to pipeline.stages.",
                )
            cast("StageConfig", cfg.stage("embed")).params["cache_dir"] = str(embedding_cache.absolute())
        if chunk_cache is not None:
            cfg.pipeline.chunk_cache = str(chunk_cache.absolute())
        if judged is not None:
            cfg.drivers.judged_labels = str(judged.absolute())
        if keep_personal_data and cfg.stage("mask_pii") is not None:
            cast("StageConfig", cfg.stage("mask_pii")).params["enabled"] = False  # checked just above
        formats = list(dict.fromkeys(cfg.output.formats + list(format)))
        if report:
            from vocnlp.report.wording import LANGUAGES

            if lang not in LANGUAGES:  # checked before the analysis, not after it
                raise VocnlpError(
                    f"Unknown report language '{lang}'.", f"Use --lang with one of {', '.join(LANGUAGES)}."
                )
        from vocnlp.pipeline.dump_run import analyze_dump_to_folder

        result, paths = analyze_dump_to_folder(
            input,
            cfg,
            out_dir,
            formats,
            progress=progress,
            resume=resume,
            engine=chunk_engine,
        )
        if report:
            from vocnlp.report import REPORT_FILE, build_report

            paths[REPORT_FILE] = build_report(out_dir, lang)
    except VocnlpError as exc:
        _fail(exc)
        return
    run_support.print_summary(result, out_dir)
    if "xlsx" in formats and len(result.comments) > EXCEL_MAX_ROWS:
        err.print(
            f"[yellow]Warning:[/] Excel holds {EXCEL_MAX_ROWS:,} rows per sheet; the workbook's comments sheet "
            "is cut there. comments.parquet and comments.csv have every row."
        )
    out.print(f"Outputs written to [bold]{out_dir}[/]: " + ", ".join(sorted(paths)))


@app.command("report")
def report_command(
    run_dir: Path = typer.Argument(..., help="Output folder of 'vocnlp run'."),
    lang: str = typer.Option("en", "--lang", help="Language of the report: en or fr."),
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", help="Where to write it (default RUN_DIR/report.html)."
    ),
) -> None:
    """Write the single-file HTML report of a run: KPIs, themes, impact chart, drivers, emotions, trends, examples."""
    try:
        from vocnlp.report import build_report

        path = build_report(run_dir, lang, output)
    except VocnlpError as exc:
        _fail(exc)
        return
    out.print(f"Report written to [bold]{path}[/] ({path.stat().st_size / 1e6:.1f} MB, opens offline).")


@app.command("config")
def config_command(
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="YAML config overriding the default."),
    code: Optional[Path] = typer.Option(
        None,
        "--code",
        help="A Python file to import first: custom stages "
        "registered there (@register_stage) can be named in the config.",
    ),
    profile: Optional[str] = typer.Option(None, "--profile", help="fast (default) or accurate."),
    industry: Optional[str] = typer.Option(None, "--industry", help="Industry pack of theme seeds."),
):
    """Print the whole configuration a run would use: every stage's parameters with their values (the defaults
    unless your config changes them), checked as a run checks them. Copy what you need into your own config."""
    try:
        from vocnlp.config import load_config

        run_support.import_user_code(code)
        overrides = {k: v for k, v in (("profile", profile), ("industry", industry)) if v is not None}
        typer.echo(load_config(config, overrides or None).to_yaml(), nl=False)
    except VocnlpError as exc:
        _fail(exc)


@app.command()
def sample(
    out_file: Path = typer.Option(Path("data/sample/survey_sample.csv"), "--out", "-o"),
    rows: int = typer.Option(2000, "--rows"),
    seed: int = typer.Option(7, "--seed"),
) -> None:
    """Regenerate the bundled synthetic bilingual survey (and its truth file) deterministically."""
    from vocnlp.sample import write_sample

    paths = write_sample(out_file, rows=rows, seed=seed)
    out.print("Wrote " + ", ".join(str(p) for p in paths))


@app.command()
def discover(
    input: Path = typer.Argument(..., help="Comment dump (same formats as 'vocnlp run')."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Folder for candidate_themes.csv/.yaml and the clauses."),
    text: Optional[str] = typer.Option(None, "--text", help="Column holding the comment text."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="YAML config (taxonomy, thresholds...)."),
    clusters: Optional[int] = typer.Option(None, "--clusters", help="Clusters per language (default: by silhouette)."),
    max_clusters: int = typer.Option(20, "--max-clusters", help="Upper bound when choosing the number."),
    min_words: int = typer.Option(3, "--min-words", help="Ignore uncovered clauses shorter than this."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Cluster what the taxonomy leaves uncovered into candidate themes, per language."""
    try:
        from vocnlp.config import load_config
        from vocnlp.io.parts import read_dump
        from vocnlp.io.validate import validate
        from vocnlp.taxonomy.discovery import discover as find_candidates

        cfg = load_config(config, {"input": {"columns": {"text": text}}} if text else None)
        table = validate(
            read_dump(input, sheet=cfg.input.sheet, encoding=cfg.input.encoding, delimiter=cfg.input.delimiter),
            cfg.input,
        )
        found = find_candidates(
            table.frame, cfg, n_clusters=clusters, seed=seed, min_words=min_words, max_clusters=max_clusters
        )
    except VocnlpError as exc:
        _fail(exc)
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    found.clusters.to_csv(out_dir / "candidate_themes.csv", index=False, encoding="utf-8-sig")
    found.clauses.to_csv(out_dir / "uncovered_clauses.csv", index=False, encoding="utf-8-sig")
    (out_dir / "candidate_themes.yaml").write_text(found.snippet, encoding="utf-8")
    table_view = Table("cluster", "clauses", "keywords", "example", title="Candidate themes")
    for row in found.clusters.itertuples():
        table_view.add_row(row.cluster, f"{row.clauses:,}", row.keywords, row.examples.split(" | ")[0])
    out.print(table_view)
    for warning in found.warnings:
        out.print(f"[yellow]Warning:[/] {warning}")
    out.print(
        f"{len(found.clauses):,} uncovered clauses in {len(found.clusters)} candidate themes; written to "
        f"{out_dir} (paste candidate_themes.yaml into your taxonomy after renaming)."
    )


# Registered here so that `vocnlp --help` lists the analyst's commands (run, report) first.
for _command in (train, evaluate, benchmark):
    app.command()(_command)


def _interrupted() -> None:
    """Say that Ctrl-C stopped vocnlp (a run's half-written outputs were already removed: vocnlp.io.run_folder)."""
    # Written directly: an interrupted progress display may still hold rich's console buffer.
    sys.stderr.write("\nInterrupted.\n")
    sys.stderr.flush()
    sys.exit(130)


def _show_progress_messages() -> None:
    """The library's progress messages (loggers 'vocnlp' and 'benchmarks', level INFO) on stderr, as plain lines."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("vocnlp", "benchmarks"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def main() -> None:
    """Console-script entry point."""
    _show_progress_messages()
    try:
        app()
    except KeyboardInterrupt:
        _interrupted()
    except SystemExit as exit_:
        if exit_.code == 130:  # typer turns Ctrl-C inside a command into a silent exit 130
            _interrupted()
        raise
    except Exception as exc:  # anything not already a clear vocnlp error: a crash report, never a traceback
        crash(exc)


if __name__ == "__main__":
    main()
