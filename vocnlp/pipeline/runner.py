"""Run the configured stages over a validated table, chunk by chunk (:class:`Pipeline`).

Embeddings and other per-chunk intermediates are released after each chunk;
only the annotated rows are kept, so memory follows the chunk size and the
table size, not the number of chunks. Scores, drivers and the assembled result are
:mod:`vocnlp.pipeline.analysis_run`'s.
"""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path
from typing import Callable, Iterable, Protocol, cast

import numpy as np
import pandas as pd

from vocnlp.components import Batch, RunContext, build_stage
from vocnlp.components.themes import MENTION_COLUMNS, NEAR_MISS_COLUMNS, Themes
from vocnlp.config import RunConfig, StageConfig, load_config
from vocnlp.io.validate import ValidatedTable
from vocnlp.pipeline.checkpoints import ChunkParts, ChunkStore
from vocnlp.pipeline.chunk_cache import ChunkCache, cache_for_run
from vocnlp.pipeline.result import AnalysisResult
from vocnlp.taxonomy.schema import Taxonomy


class ChunkEngine(Protocol):
    """Something that analyses chunks somewhere else (e.g. :class:`vocnlp.pipeline.dask_engine.DaskEngine`)."""

    def annotate_chunks(
        self,
        pipeline: "Pipeline",
        chunks: Iterable[tuple[int, pd.DataFrame]],
        keep: Callable[[int, ChunkParts], None],
        timings: dict,
        advance: Callable[[int], None],
    ) -> None:
        """Analyse every (chunk number, rows) with ``pipeline``'s configuration; hand each result to ``keep``
        as it arrives, add its stage seconds to ``timings`` and its rows to ``advance``."""
        ...

    def describe(self) -> dict:
        """Where the chunks ran, for the run metadata (``meta.engine``)."""
        ...


class Pipeline:
    """Stages built from a :class:`RunConfig`, set up once, applied per chunk."""

    def __init__(self, config: RunConfig | None = None, *, encoder=None):
        """``encoder``: a backbone object for the embed stage instead of the config's name (a loaded
        ``SentenceTransformer``, or anything with ``encode``); the heads must have been trained on it."""
        self.config = config or load_config()
        if encoder is not None:
            from vocnlp.modeling.encoders import load_backbone

            encoder = load_backbone(encoder)
            self.config = self.config.model_copy(deep=True)
            # What config.resolved.yaml records (cast: a config without an embed stage fails here, as before).
            cast(StageConfig, self.config.stage("embed")).params["backbone"] = encoder.name
        self._encoder = encoder
        self.stages = self._built_stages()
        self._ready = False
        self.setup_seconds = 0.0
        self.chunk_cache: ChunkCache | None = None  # set by annotate() when the config names one

    def _built_stages(self) -> list:
        encoder = self._encoder
        return [
            build_stage(
                s.name, {**s.params, **({"backbone": encoder} if encoder is not None and s.name == "embed" else {})}
            )
            for s in self.config.pipeline.stages
        ]

    def setup(self) -> "Pipeline":
        """Load every stage's models (once per pipeline)."""
        if not self._ready:
            start = time.perf_counter()
            base = Path(self.config.base_dir) if self.config.base_dir else None
            self.context = RunContext(seed=self.config.seed, base_dir=base)
            for stage in self.stages:
                stage.setup(self.context)
            self.setup_seconds = time.perf_counter() - start
            self._ready = True
        return self

    def unload(self) -> None:
        """Drop every stage's loaded models (about 200 MB with the default profile) and give their memory back; the
        next use loads them again. A run that built its own pipeline calls this once its chunks are analysed, so
        that the scores and drivers of a large dump do not hold the models beside the kept table."""
        import gc

        self.stages = self._built_stages()
        vars(self).pop("context", None)  # setup() makes a new one
        self._ready = False
        gc.collect()  # stages refer to each other's models through the context: free the cycles now
        _give_back_freed_memory()

    def annotate(
        self,
        table: ValidatedTable,
        progress: bool | None = None,
        store: ChunkStore | None = None,
        text_columns: list[str] | None = None,
        engine: ChunkEngine | None = None,
    ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
        """Run all stages over ``table`` in chunks; return comments, mentions and stage timings.

        With ``store``, each finished chunk is written to disk (``text_columns`` made text and personal data
        masked first) and only its analysis columns are kept in memory (:func:`analysis_column_names`); chunks a
        killed run finished are read back without being analysed again. With ``engine`` (which needs ``store``),
        the chunks are analysed elsewhere, e.g. on a Dask cluster, and read back from ``store`` in order.
        """
        frame = table.frame  # models load with the first chunk analysed here: a run from the cache loads none
        n_rows = table.row_count()
        size = self.config.pipeline.chunk_size
        timings = {s.name: 0.0 for s in self.stages}
        kept: list[ChunkParts] = []
        keep_vectors = self.config.adaptation.enabled  # the adapted sentiment reads comment embeddings
        show = sys.stderr.isatty() if progress is None else progress
        starts = range(0, n_rows, size)
        finished_before = set(store.finished) if store is not None else set()
        self.chunks = {"total": len(starts), "resumed": len(finished_before & set(range(len(starts))))}

        if table.rows_on_disk is not None and store is None:
            raise ValueError("a table validated into a ChunkStore is analysed from it; give store=")
        if store is not None and table.rows_on_disk is None:
            # The input goes to disk chunk by chunk, so that memory does not grow with the dump while it is
            # analysed. Object input columns become text first (Parquet holds one type per column); the chunk
            # files get the same conversion below, so the outputs do not change.
            for i, start in enumerate(starts):
                if i not in store.finished:
                    store.save_input(i, _text_safe_inputs(frame.iloc[start : start + size].copy(), text_columns or []))
            table.frame = frame = frame.iloc[:0]
        # A pipeline given an encoder object is not cached: the key could not tell that encoder from another.
        cacheable = store is not None and self._encoder is None
        self.chunk_cache = cache_for_run(self.config, table.mapping, text_columns or []) if cacheable else None
        # Chunks the cache holds are put in the store as if finished; the others are filed there once analysed.
        digests: dict[int, str] = {}
        from_cache: set[int] = set()
        if self.chunk_cache is not None and store is not None:
            for i in range(len(starts)):
                digest = store.input_digest(i) if i not in store.finished else None
                if digest is not None and self.chunk_cache.fetch(store, i, digest):
                    from_cache.add(i)
                elif digest is not None:
                    digests[i] = digest
        self.chunks["from_cache"] = len(from_cache)

        def rows(index: int) -> pd.DataFrame:
            if store is not None:
                return store.load_input(index)
            return frame.iloc[starts[index] : starts[index] + size].copy()

        def keep(index: int, parts: ChunkParts) -> None:
            assert store is not None
            _text_safe_inputs(parts.comments, text_columns or [])
            _mask_text_column(parts.comments, cast("str | None", table.mapping.get("text")))
            store.save(index, parts)
            store.drop_input(index)
            if index in digests:
                assert self.chunk_cache is not None  # digests are only taken for a cache
                self.chunk_cache.keep(store, index, digests[index], len(parts.comments))

        missing: list[int] = []
        with _progress(show, n_rows) as advance:
            if engine is not None:
                if store is None:
                    raise ValueError("an engine hands its chunks back through a ChunkStore; give store=")
                missing = [i for i in range(len(starts)) if i not in store.finished]
            if engine is not None and missing:  # a resumed run with every chunk finished starts no cluster
                engine.annotate_chunks(self, ((i, rows(i)) for i in missing), keep, timings, advance)
            for index, start in enumerate(starts):
                fresh = store is None or index not in store.finished
                if fresh:
                    parts = self.annotate_chunk(rows(index), timings, keep_vectors)
                    if store is not None:
                        keep(index, parts)
                        _give_back_freed_memory()  # the chunk's full rows and vectors are gone: their pages too
                    else:
                        kept.append(parts)
                if fresh or index in finished_before or index in from_cache:  # an engine advanced it for its own
                    advance(min(size, n_rows - start))
        if store is not None:
            # Read back once every chunk is done, so that what stays in memory is allocated after the chunks'
            # work rather than scattered among its freed pages (which then cannot go back to the system).
            kept = [_analysis_parts(store, index, table.mapping, text_columns or []) for index in range(len(starts))]
        comment_parts = [parts.comments for parts in kept]
        vector_parts = [parts.vectors for parts in kept if parts.vectors is not None]
        mention_parts = [parts.mentions for parts in kept if parts.mentions is not None]
        near_parts = [parts.near_misses for parts in kept if parts.near_misses is not None]
        kept.clear()
        comments = pd.concat(comment_parts, ignore_index=True) if comment_parts else frame.drop(columns=["_text"])
        mentions = (
            pd.concat(mention_parts, ignore_index=True) if mention_parts else pd.DataFrame(columns=MENTION_COLUMNS)
        )
        self.comment_vectors = np.vstack(vector_parts) if vector_parts else None
        # Kept on the pipeline rather than returned: only the review queue reads them.
        self.near_misses = (
            pd.concat(near_parts, ignore_index=True) if near_parts else pd.DataFrame(columns=NEAR_MISS_COLUMNS)
        )
        if store is not None:  # only the concatenated tables are used from here on
            for held in (comment_parts, mention_parts, near_parts):
                held.clear()
            _give_back_freed_memory()
        return comments, mentions, timings

    def annotate_chunk(self, rows: pd.DataFrame, timings: dict, keep_vectors: bool) -> ChunkParts:
        """Every stage over one chunk of rows (their time added to ``timings``); the result depends on these rows
        and the configuration only, so chunks may be analysed in any order, in any process."""
        self.setup()
        batch = Batch(comments=rows)
        if self.context.encoder is not None:
            self.context.encoder.forget()  # a chunk's results depend on its own rows only (see forget())
        for stage in self.stages:
            t0 = time.perf_counter()
            batch = stage(batch)
            timings[stage.name] += time.perf_counter() - t0
        vectors = batch.comment_vectors if keep_vectors else None
        return ChunkParts(batch.comments.drop(columns=["_text"]), batch.mentions, batch.near_misses, vectors)

    def __call__(self, data: pd.DataFrame | str | Path, *, progress: bool = False, **mapping) -> AnalysisResult:
        """Analyse a DataFrame (or a comment dump on disk) with this pipeline's loaded models.

        ``mapping`` takes the column roles by keyword, as :func:`analyze` does. Models load on the first call (or
        in :func:`load`), never again.
        """
        from vocnlp.pipeline.analysis_run import _raw_from_frame, _with_columns, analyze_file, analyze_table

        config = _with_columns(self.config, mapping)
        if isinstance(data, (str, Path)):
            return analyze_file(data, config, progress=progress, pipeline=self)
        return analyze_table(_raw_from_frame(data), config, progress=progress, pipeline=self)

    def describe(self) -> list[dict]:
        """Each stage's identity (name, version, models) for the run metadata."""
        return [s.describe() for s in self.stages]

    def describe_run(self) -> list[dict]:
        """:meth:`describe` for the run just annotated. When every chunk came from the chunk cache no model was
        loaded, and the descriptions are those a run with the same pipeline key saved, with their per-run counts
        (``texts_*``) at 0: this run embedded nothing. Otherwise the stages describe themselves (and are saved for
        such runs)."""
        if not self._ready and self.chunk_cache is not None:
            stored = self.chunk_cache.descriptions()
            if stored is not None:
                return [
                    {k: 0 if k.startswith("texts_") and v is not None else v for k, v in stage.items()}
                    for stage in stored
                ]
        described = self.setup().describe()
        if self.chunk_cache is not None:
            self.chunk_cache.save_descriptions(described)
        return described

    def taxonomy(self) -> Taxonomy | None:
        """The themes stage's taxonomy (read from its file when the models are not loaded), or None without one."""
        themes = next((cast(Themes, s) for s in self.stages if s.name == "themes"), None)
        if themes is None:
            return None
        if self._ready:
            return themes.tax
        return themes.read_taxonomy(Path(self.config.base_dir) if self.config.base_dir else None)


class _progress:
    """A rich progress bar over rows, or a no-op when not wanted."""

    def __init__(self, show: bool, total: int):
        self.show, self.total = show, total

    def __enter__(self):
        if not self.show:
            return lambda n: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("analysing comments"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=False
        )
        self._bar.start()
        task = self._bar.add_task("rows", total=self.total)
        return lambda n: self._bar.advance(task, n)

    def __exit__(self, *exc):
        if self.show:
            self._bar.stop()
        return False


def _give_back_freed_memory() -> None:
    """Hand the pages freed by the per-chunk tables back to the system (glibc's ``malloc_trim``; nothing elsewhere).

    A chunk's full rows, vectors and model activations are freed when it is done, but glibc keeps freed pages in its
    lists rather than returning them (the small analysis columns kept from each chunk sit between them), and the
    per-chunk tables are freed again once concatenated. Trimming after each chunk and after the concatenation lowered
    a run's peak RSS by 34-49 MB and its RSS after the chunks by 77-79 MB at 10,000 and 40,000 comments (one run
    each); it does not change how memory grows with the rows. Dask's workers trim for the same reason."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None off Linux or with a libc without it (musl). Looked up once: ``find_library``
    runs ``ldconfig`` in a subprocess, which has no place in a per-chunk call."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
    if not name:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


# Long text the scores and drivers never read: left on disk when a run keeps its chunks there.
TEXT_ONLY_COLUMNS = ("themes", "sentiment_rule", "pii_masked", "text_masked")
# Figures they never read either: each emotion's probability (9 floats, 72 bytes a comment; the drivers read the
# labels in ``emotions``).
UNREAD_PREFIXES = ("emotion_",)


def analysis_column_names(columns: list[str], mapping: dict, input_columns: list[str]) -> list[str]:
    """Which of a chunk's ``columns`` scores, groups, drivers and the summary read, in their order: the analysis's
    own columns (less each emotion's probability) and the input columns given a role (segments included) except the
    text; the rest stays in the chunk files."""
    roles = {c for v in mapping.values() for c in (v if isinstance(v, list) else [v]) if isinstance(c, str)}
    drop = (set(input_columns) - roles) | {mapping.get("text")} | set(TEXT_ONLY_COLUMNS)
    unread = {c for c in columns if c.startswith(UNREAD_PREFIXES) and c not in input_columns}
    return [c for c in columns if c not in drop and c not in unread]


def _analysis_parts(store: ChunkStore, index: int, mapping: dict, input_columns: list[str]) -> ChunkParts:
    """Chunk ``index`` as scores and drivers read it: the analysis columns, mentions without their evidence."""
    return store.load(
        index,
        comment_columns=lambda names: analysis_column_names(names, mapping, input_columns),
        mention_columns=lambda names: [n for n in names if n != "evidence"],
        near_misses=False,
    )


def _text_safe_inputs(comments: pd.DataFrame, input_columns: list[str]) -> pd.DataFrame:
    """Object input columns as text, so Parquet/Excel get one type per column (XLSX/JSONL mix types)."""
    for col in input_columns:
        if col in comments and comments[col].dtype == object:
            comments[col] = comments[col].map(
                lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            )
    return comments


def _mask_text_column(comments: pd.DataFrame, text_column: str | None) -> None:
    """Put the masked text into the input's text column where personal data was found (others stay as written)."""
    masked = comments.pop("text_masked") if "text_masked" in comments else None
    if masked is None or text_column not in comments:
        return
    found = comments["pii_masked"].fillna("") != ""
    comments.loc[found, text_column] = masked[found]


def load(
    config: RunConfig | str | Path | None = None,
    *,
    profile: str | None = None,
    industry: str | None = None,
    encoder=None,
) -> Pipeline:
    """A pipeline with every model loaded, to call as often as needed (the spaCy way)::

        nlp = vocnlp.load()                 # or load("accurate"), load("my_config.yaml"), load(run_config)
        result = nlp(df, text="comment", nps="nps")
        result = nlp(other_df)              # no model is loaded again

    ``config`` is a :class:`RunConfig`, a YAML file or a profile name (``fast``, ``accurate``); ``profile`` and
    ``industry`` override the config's; ``encoder`` replaces the embed stage's backbone with an object (see
    :class:`Pipeline`).
    """
    from vocnlp.config import PROFILES

    if isinstance(config, RunConfig):
        if profile or industry:
            raise TypeError("profile= and industry= go with a config file or name; set them in the RunConfig")
        return Pipeline(config, encoder=encoder).setup()
    if isinstance(config, str) and config in PROFILES and not Path(config).exists():
        config, profile = None, profile or config
    overrides = {k: v for k, v in (("profile", profile), ("industry", industry)) if v is not None}
    return Pipeline(load_config(config, overrides=overrides or None), encoder=encoder).setup()
