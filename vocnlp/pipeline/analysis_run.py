"""Analyse a table or a dump on disk end to end: validate, annotate with a :class:`Pipeline`, then scores,
groups, drivers and the summary, assembled into an :class:`AnalysisResult`."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import cast

import pandas as pd

from vocnlp import __version__
from vocnlp.analysis.drivers import run_drivers
from vocnlp.analysis.drivers.judged import JudgedLabels, read_judged_labels, themes_of_codebook
from vocnlp.analysis.groups import scores_by_group
from vocnlp.analysis.scores import summarise_scores
from vocnlp.components.themes import NEAR_MISS_COLUMNS
from vocnlp.config import RunConfig, load_config
from vocnlp.errors import ConfigError
from vocnlp.io.exports import codebook
from vocnlp.io.parts import dump_digest, is_parts, read_dump
from vocnlp.io.readers import RawTable, check_dump_file
from vocnlp.io.validate import ValidatedTable, validate
from vocnlp.pipeline.checkpoints import ChunkStore
from vocnlp.pipeline.result import AnalysisResult
from vocnlp.pipeline.runner import ChunkEngine, Pipeline, _mask_text_column, _text_safe_inputs
from vocnlp.pipeline.streamed_input import stream_into_store


def analyze_table(
    raw: RawTable,
    config: RunConfig,
    *,
    progress: bool | None = None,
    pipeline: Pipeline | None = None,
    source_name: str = "dataframe",
    store: ChunkStore | None = None,
    engine: ChunkEngine | None = None,
    validated: ValidatedTable | None = None,
    t_start: float | None = None,
) -> AnalysisResult:
    """Validate, annotate, score and rank drivers for an already-read table (finished chunks kept in ``store``
    when given, see :mod:`vocnlp.pipeline.checkpoints`; analysed by ``engine`` when given, see
    :meth:`Pipeline.annotate`). ``validated``: ``raw`` validated already, its rows in ``store``
    (:mod:`vocnlp.pipeline.streamed_input`), since ``t_start``."""
    t_start = time.perf_counter() if t_start is None else t_start
    table = validate(raw, config.input) if validated is None else validated
    renamed = table.report["renamed_input_columns"]
    input_columns = [renamed.get(str(c), str(c)) for c in raw.frame.columns]
    if store is not None:  # analyze_file's own read: the validated table has every input column
        raw.frame = raw.frame.iloc[:0]
    n_read = table.row_count()
    t_valid = time.perf_counter()
    pipe = pipeline or Pipeline(config)  # its models load with the first chunk it analyses
    judged = _judged_sample(config, table, pipe)  # before the long part: a bad file fails at once
    # With ``store``, annotate() moves the input to disk and every annotated row ends there: what follows needs
    # the analysis columns only.
    comments, mentions, stage_seconds = pipe.annotate(
        table, progress=progress, store=store, text_columns=input_columns, engine=engine
    )
    adaptation = _adapt(comments, pipe, config)
    stages = pipe.describe_run()  # what the models were, for the metadata
    taxonomy = pipe.taxonomy()
    if pipeline is None:  # the run's own models: not needed from here on
        pipe.unload()
    comments = _text_safe_inputs(comments, input_columns)
    _mask_text_column(comments, cast("str | None", table.mapping.get("text")))  # a role is one column
    t_annot = time.perf_counter()
    scores = summarise_scores(
        comments,
        table.mapping,
        nps_method=config.scores.nps_interval,
        resolution_time_unit=config.input.resolution_time_unit,
    )
    by_group, comparisons, group_warnings = scores_by_group(
        comments,
        cast("list[str]", table.mapping.get("segments", [])),
        config.scores.period,
        config.drivers.confidence_level,
        config.scores.adjustment,
    )
    analysis = run_drivers(comments, mentions, config, judged)
    t_end = time.perf_counter()
    n_empty = int(comments["status"].str.contains("empty_text", regex=False).sum())
    summary = {
        "source": source_name,
        "rows": {
            "read": n_read,
            "unreadable": len(raw.unreadable),
            "written": len(comments),
            "records_in_file": n_read + len(raw.unreadable),
            "analysed": n_read - n_empty,
            "empty_text": n_empty,
            "blank_lines_skipped": raw.blank_lines,
        },
        "languages": {str(k): int(v) for k, v in comments["language"].value_counts(dropna=True).sort_index().items()}
        if "language" in comments
        else {},
        "sentiment": _counts(comments, "sentiment"),
        "themes": mentions["theme_id"].value_counts().sort_index().astype(int).to_dict() if len(mentions) else {},
        "scores": {**scores, "warnings": group_warnings},
        "validation": table.report,
        "drivers": {
            "models": analysis.models,
            "warnings": analysis.warnings,
            "judged_labels": None
            if judged is None
            else {
                "file": config.drivers.judged_labels,
                "comments_judged": len(judged.rows),
                "rows_not_judged": judged.skipped_not_judged,
            },
        },
        "caveat": analysis.caveat,
        "adaptation": adaptation,
    }
    engine_description = engine.describe() if engine is not None else {"name": "local"}
    meta = {
        "vocnlp_version": __version__,
        "stages": engine_description.pop("stages", None) or stages,
        "seed": config.seed,
        "timings_seconds": {
            "read_and_validate": round(t_valid - t_start, 3),
            "model_setup": round(pipe.setup_seconds, 3),
            **{f"stage_{k}": round(v, 3) for k, v in stage_seconds.items()},
            "scores_and_drivers": round(t_end - t_annot, 3),
            "total": round(t_end - t_start, 3),
        },
        "input_columns": input_columns,
        "mapping": table.mapping,
        "chunks": dict(getattr(pipe, "chunks", {})),
        "engine": engine_description,
    }
    return AnalysisResult(
        comments,
        mentions,
        analysis.table,
        summary,
        by_group,
        comparisons,
        codebook(taxonomy),
        meta,
        table.report,
        getattr(pipe, "near_misses", pd.DataFrame(columns=NEAR_MISS_COLUMNS)),
        config,
        store,
    )


def _judged_sample(config: RunConfig, table: ValidatedTable, pipe: Pipeline) -> JudgedLabels | None:
    """The judged comments named by ``drivers.judged_labels`` (relative to the config file), or None."""
    if config.drivers.judged_labels is None:
        return None
    path = Path(config.drivers.judged_labels)
    if not path.is_absolute() and config.base_dir:
        path = Path(config.base_dir) / path
    taxonomy = pipe.taxonomy()
    if taxonomy is None:
        raise ConfigError(
            "drivers.judged_labels (--judged) needs a themes stage, and this config's pipeline has none.",
            "Add '- name: themes' to pipeline.stages, or drop the judged-labels file.",
        )
    return read_judged_labels(path, table.ids(), themes_of_codebook(codebook(taxonomy)))


def _adapt(comments: pd.DataFrame, pipe: Pipeline, config: RunConfig) -> dict:
    """Sentiment adapted to the dump with its own scores (``adaptation.enabled``); what was done, for the summary."""
    if not config.adaptation.enabled:
        return {"used": False, "reason": "not asked for (vocnlp run --adapt)"}
    vectors = getattr(pipe, "comment_vectors", None)
    if vectors is None or "sentiment_score" not in comments or len(vectors) != len(comments):
        return {"used": False, "reason": "the pipeline has no embed and sentiment stages to adapt"}
    from vocnlp.analysis.adaptation import adapt_sentiment

    scale = config.input.csat_scale
    return adapt_sentiment(comments, vectors, config.adaptation, (scale.min, scale.max), seed=config.seed)


def _counts(frame: pd.DataFrame, column: str) -> dict:
    if column not in frame:
        return {}
    return {str(k): int(v) for k, v in frame[column].value_counts(dropna=True).sort_index().items()}


def _with_columns(config: RunConfig, mapping: dict) -> RunConfig:
    """``config`` with the column roles given by keyword (``text=``, ``nps=``…)."""
    if not mapping:
        return config
    config = config.model_copy(deep=True)
    for role, column in mapping.items():
        if not hasattr(config.input.columns, role):
            raise TypeError(
                f"unknown column role {role!r}; use text, id, nps, csat, ces, churn, date, fcr, "
                "resolution_time, referral, tenure, segments"
            )
        setattr(config.input.columns, role, column)
    return config


def _raw_from_frame(dataframe: pd.DataFrame) -> RawTable:
    frame = dataframe.reset_index(drop=True).copy()
    frame.columns = [str(c) for c in frame.columns]
    return RawTable(frame, list(range(1, len(frame) + 1)), details={"format": "dataframe"})


def analyze(
    dataframe: pd.DataFrame,
    config: RunConfig | str | Path | None = None,
    *,
    progress: bool = False,
    pipeline: Pipeline | None = None,
    **mapping,
) -> AnalysisResult:
    """Analyse comments held in a DataFrame; returns the same tables as ``vocnlp run``.

    ``mapping`` takes the column roles by keyword: ``text=``, ``id=``, ``nps=``,
    ``csat=``, ``ces=``, ``churn=``, ``date=``, ``fcr=``, ``resolution_time=``,
    ``referral=``, ``tenure=``, ``segments=[...]``; roles not
    given are auto-detected from common column names. Each call loads the models; pass ``pipeline=`` (from
    :func:`load`) to reuse loaded ones, as repeated calls should.
    """
    if pipeline is not None:
        if config is not None:
            raise TypeError("give either config= or pipeline= (a loaded pipeline carries its own config)")
        return pipeline(dataframe, progress=progress, **mapping)
    cfg = config if isinstance(config, RunConfig) else load_config(config)
    return analyze_table(_raw_from_frame(dataframe), _with_columns(cfg, mapping), progress=progress)


def analyze_file(
    path: str | Path,
    config: RunConfig | None = None,
    *,
    progress: bool | None = None,
    pipeline: Pipeline | None = None,
    checkpoints: str | Path | None = None,
    resume: bool = False,
    engine: ChunkEngine | None = None,
) -> AnalysisResult:
    """Read a comment dump from disk and analyse it (with ``pipeline``'s loaded models when given).

    ``checkpoints``: a folder where each finished chunk is kept until the caller removes it; with ``resume``, the
    chunks a killed run with the same input, configuration and vocnlp left there are used instead of re-analysed.
    ``engine`` (with ``checkpoints``): where the chunks are analysed, e.g. a Dask cluster.
    """
    cfg = config or (pipeline.config if pipeline is not None else load_config())
    t_start = time.perf_counter()
    if not is_parts(path):
        check_dump_file(Path(path))  # a missing or misnamed file is reported before its bytes are hashed
    store = None
    if checkpoints is not None:
        fingerprint = {
            "vocnlp_version": __version__,
            "config_sha256": hashlib.sha256(cfg.to_yaml().encode("utf-8")).hexdigest(),
            "input_sha256": dump_digest(path),
        }
        store = ChunkStore(checkpoints, fingerprint, resume=resume)
    # With the chunks on disk, a CSV dump goes there chunk by chunk and is never held whole.
    streamed = stream_into_store(path, cfg, store) if store is not None else None
    if streamed is not None:
        raw, validated = streamed.raw, streamed.table
    else:
        raw = read_dump(path, sheet=cfg.input.sheet, encoding=cfg.input.encoding, delimiter=cfg.input.delimiter)
        validated = None
    return analyze_table(
        raw,
        cfg,
        progress=progress,
        pipeline=pipeline,
        source_name=Path(path).name,
        store=store,
        engine=engine,
        validated=validated,
        t_start=t_start,
    )
