"""The stage contract and registry.

A stage is a small component registered by name (like spaCy factories): built
from the ``params`` of its config entry, set up once per run (models loaded),
then called on each chunk. It reads the columns it needs from the
:class:`Batch` and adds its own; it never reaches into another stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..errors import ConfigError

# name -> stage class
_REGISTRY: dict[str, type["Stage"]] = {}


@dataclass
class Batch:
    """One chunk of comments moving through the stages.

    comments : one row per input row (input columns, ``comment_id``, ``_text``, ...)
    sentences : one row per sentence (``comment_id``, ``sentence_index``, ``text``)
    comment_vectors / sentence_vectors : embeddings aligned with those rows
    mentions : one row per (comment, theme) assignment
    """

    comments: pd.DataFrame
    sentences: pd.DataFrame | None = None
    comment_vectors: np.ndarray | None = None
    sentence_vectors: np.ndarray | None = None
    mentions: pd.DataFrame | None = None
    near_misses: pd.DataFrame | None = None  # clauses left without a theme that came close to one (review queue)


@dataclass
class RunContext:
    """What stages may share: the seed, the config folder, and the run's shared encoder."""

    seed: int = 0
    base_dir: Path | None = None
    shared: dict = field(default_factory=dict)


class Stage:
    """Base class: subclasses set ``name`` and ``version`` and implement ``__call__``."""

    name: str = ""
    version: int = 1

    def setup(self, context: RunContext) -> None:
        """Load models and resources once per run (default: nothing to load)."""

    def __call__(self, batch: Batch) -> Batch:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self) -> dict:
        """Identity of this stage for the run's metadata (name, version, models)."""
        return {"name": self.name, "version": self.version}


def register_stage(name: str) -> Callable[[type[Stage]], type[Stage]]:
    """Class decorator registering a stage under ``name``."""

    def wrap(cls: type[Stage]) -> type[Stage]:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return wrap


def registered_stages() -> list[str]:
    """Names of all registered stages."""
    return sorted(_REGISTRY)


def build_stage(name: str, params: dict) -> Stage:
    """Instantiate a registered stage; unknown names or parameters are config errors."""
    if name not in _REGISTRY:
        raise ConfigError(f"Unknown pipeline stage '{name}'.",
                          f"Registered stages are: {', '.join(registered_stages())}.")
    try:
        return _REGISTRY[name](**params)
    except TypeError as exc:
        raise ConfigError(f"Invalid parameters for stage '{name}': {exc}.",
                          "Check the stage's params in the config against configs/default.yaml.") from None


def live_rows(comments: pd.DataFrame) -> np.ndarray:
    """Boolean mask of rows with text to analyse."""
    return (comments["_text"] != "").to_numpy()
