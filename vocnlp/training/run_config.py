"""One training run as a checked YAML file: ``vocnlp train --config train.yaml`` reads it, command-line options
override it, and the model folder keeps the resolved run as ``training.yaml`` so it can be trained again."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vocnlp.errors import ConfigError, VocnlpError
from vocnlp.resources import resource_path

# Written into every model folder; `vocnlp train --config <folder>/training.yaml` trains the same model again.
RESOLVED_NAME = "training.yaml"
# Keys whose values are paths: read relative to the YAML file, so a config kept beside its data works from anywhere.
PATH_KEYS = ("out", "taxonomy", "data", "train_file", "dev_file", "test_file")


class TrainingRun(BaseModel):
    """Everything one ``vocnlp train`` run uses; the keys are the command's option names with ``_`` for ``-``."""

    model_config = ConfigDict(extra="forbid")

    task: Literal["sentiment", "emotion", "themes"]
    out: Path
    profile: str = "fast"
    backbone: Optional[str] = None
    head: Optional[Literal["linear", "mlp", "neighbours"]] = None
    data_set: str = "cx"
    shots: Optional[int] = Field(None, ge=1)
    taxonomy: Optional[Path] = None
    data: Optional[Path] = None
    train_file: Optional[Path] = None
    dev_file: Optional[Path] = None
    test_file: Optional[Path] = None
    text_column: str = "text"
    label_column: str = "label"
    language_column: Optional[str] = None
    label_separator: str = "|"
    epochs: Optional[int] = Field(None, ge=1)
    body: Literal["frozen", "full", "contrastive"] = "frozen"
    body_epochs: Optional[int] = Field(None, ge=1)
    body_learning_rate: Optional[float] = Field(None, gt=0)
    body_batch_size: Optional[int] = Field(None, ge=1)
    with_written_corpus: bool = False
    seed: int = 0
    language_prior: Optional[Literal["keep", "english", "parallel"]] = None

    def to_yaml(self) -> str:
        """The run as YAML, every key written (defaults included), paths absolute."""
        values = self.model_dump(mode="json")
        return yaml.safe_dump(values, sort_keys=False, allow_unicode=True)


def _problems(exc: ValidationError) -> str:
    """Pydantic's errors as ``key: message (allowed values)`` for the first few keys."""
    parts = []
    for error in exc.errors()[:5]:
        key = ".".join(map(str, error["loc"])) or "(top level)"
        allowed = (error.get("ctx") or {}).get("expected")
        parts.append(
            f"{key}: {error['msg']}" + (f" (allowed: {allowed})" if allowed and "'" not in error["msg"] else "")
        )
    return "; ".join(parts)


def load_training_run(path: str | Path | None, overrides: dict[str, Any]) -> TrainingRun:
    """The run described by the YAML file at ``path`` (may be None), with ``overrides`` (the options given on the
    command line) on top; a wrong key, type or value is a :class:`ConfigError` naming the key."""
    values: dict[str, Any] = {}
    source = "the command line"
    if path is not None:
        path = Path(path)
        source = f"'{path}'"
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(
                f"Cannot read training config '{path}': {exc.strerror or exc}.", "Check the path given to --config."
            ) from None
        except yaml.YAMLError as exc:
            raise ConfigError(
                f"Training config '{path}' is not valid YAML: {exc}.", "Fix the line named above."
            ) from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(
                f"Training config '{path}' holds a {type(loaded).__name__}, not keys and values.",
                "Write one key per line, e.g. 'task: sentiment'.",
            )
        values = {key.replace("-", "_"): value for key, value in (loaded or {}).items()}
        for key in PATH_KEYS:
            if isinstance(values.get(key), str):
                values[key] = str((path.parent / values[key]).resolve())
    values.update({key: value for key, value in overrides.items() if value is not None})
    try:
        run = TrainingRun.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(
            f"Training run from {source} is invalid: {_problems(exc)}.",
            f"Keys: {', '.join(TrainingRun.model_fields)} (see 'vocnlp train --help').",
        ) from None
    return run


def run_training(run: TrainingRun, log: Callable[[str], None]) -> dict:
    """Train the model ``run`` describes, write its folder (with ``training.yaml``) and return its metrics."""
    from vocnlp.taxonomy.schema import load_taxonomy
    from vocnlp.training.body_tuning import BodyTuning
    from vocnlp.training.profiles import profile_spec, training_profiles
    from vocnlp.training.train import file_training_data, public_training_data, train_model

    if run.profile not in training_profiles():
        raise VocnlpError(f"Unknown profile '{run.profile}'.", f"Use one of {', '.join(training_profiles())}.")
    if run.body != "frozen" and run.backbone is None:
        raise VocnlpError(
            f"--body {run.body} fine-tunes a body; name it with --backbone.",
            "For example --backbone usem3 (multilingual), minilm, or st:<local folder>.",
        )
    tuning_options = {
        "epochs": run.body_epochs,
        "learning_rate": run.body_learning_rate,
        "batch_size": run.body_batch_size,
    }
    tuning = BodyTuning.for_backbone(run.backbone or "", run.body, **tuning_options)
    if run.train_file is not None:
        tax = load_taxonomy(run.taxonomy) if run.taxonomy else None
        if run.with_written_corpus and run.task == "themes" and tax is None:
            tax = load_taxonomy(resource_path("configs/taxonomies/generic_cx.yaml"))
        training_data = file_training_data(
            run.task,
            run.train_file,
            dev_file=run.dev_file,
            test_file=run.test_file,
            text_column=run.text_column,
            label_column=run.label_column,
            language_column=run.language_column,
            label_separator=run.label_separator,
            seed=run.seed,
            taxonomy=tax,
        )
        if run.with_written_corpus:
            from vocnlp.training.written_corpus import with_written_corpus as add_written

            training_data = add_written(training_data, run.task, tax, run.seed)
    elif run.with_written_corpus:
        raise VocnlpError(
            "--with-written-corpus adds the project's written comments to your --train-file.",
            "Give --train-file, or use --data-set written_cx for the corpus alone.",
        )
    else:
        training_data = public_training_data(run.task, run.data_set, run.data, run.seed, run.shots)
    spec = profile_spec(run.profile, run.task, run.head)
    params = spec["head_params"]
    if run.epochs is not None:
        params["epochs"] = run.epochs
    if run.train_file is None and run.data_set == "written_cx" and run.task == "sentiment" and spec["head"] == "linear":
        from vocnlp.training.written_corpus import WRITTEN_SENTIMENT_C

        params.setdefault("C", WRITTEN_SENTIMENT_C)
    backbone = run.backbone
    if backbone is None:
        # The profile decides, including whether the body is fine-tuned (accurate: USE v3 for sentiment/emotion).
        backbone = spec["backbone"]
        if spec["body"] is not None:
            tuning = BodyTuning.for_backbone(backbone, spec["body"].method, **tuning_options)
    language_prior = run.language_prior
    if language_prior is None:
        language_prior = spec["language_prior"] if run.train_file is None and run.data_set == "cx" else "keep"
    metrics = train_model(
        run.task,
        run.out,
        training_data,
        backbone=backbone,
        head=spec["head"],
        seed=run.seed,
        log=log,
        head_params=params,
        body=tuning,
        language_prior=language_prior,
    )
    resolved = run.model_copy(
        update={key: Path(value).resolve() for key in PATH_KEYS if (value := getattr(run, key)) is not None}
    )
    (Path(run.out) / RESOLVED_NAME).write_text(resolved.to_yaml(), encoding="utf-8")
    return metrics


__all__ = ["RESOLVED_NAME", "TrainingRun", "load_training_run", "run_training"]
