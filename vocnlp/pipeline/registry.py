"""The stage contract and registry.

A stage is a small component registered by name (like spaCy factories): built
from the ``params`` of its config entry, set up once per run (models loaded),
then called on each chunk. It reads the columns it needs from the
:class:`Batch` and adds its own; it never reaches into another stage.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from vocnlp.errors import ConfigError

if TYPE_CHECKING:
    from vocnlp.modeling.encoders.cache import CachedEncoder

# Parameter types with their allowed range, for stage constructors' signatures (checked when a config is loaded).
Share = Annotated[float, Field(ge=0.0, le=1.0)]  # a probability, a cosine similarity or a weight, 0..1
PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]

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
    """What stages share: the seed, the config folder, the run's encoder and how it prepares texts (both set by the
    embed stage), and ``shared`` for custom stages' own resources."""

    seed: int = 0
    base_dir: Path | None = None
    encoder: CachedEncoder | None = None
    prepare_text: Callable[[str], str] | None = None
    shared: dict = field(default_factory=dict)


class Stage:
    """Base class: subclasses set ``name`` and ``version`` and implement ``__call__``.

    ``requires`` and ``assigns`` name what a stage reads and what it adds, among the batch's parts
    (``sentences``, ``sentence_vectors``, ``comment_vectors``, ``mentions``), comment columns (``language``,
    ``sentiment``, …) and the run's ``encoder``; a config whose stages come in an order that leaves a requirement
    unmet is refused when it loads (:func:`check_stage_order`).
    """

    name: str = ""
    version: int = 1
    requires: tuple[str, ...] = ()
    assigns: tuple[str, ...] = ()

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


def check_stage_order(names: list[str], where: str) -> None:
    """Refuse a stage list in which a stage reads something no earlier stage assigns, naming the stage that
    assigns it."""
    available: set[str] = set()
    for name in names:
        stage = _stage_class(name)
        missing = [need for need in stage.requires if need not in available]
        if missing:
            providers = sorted({other for other, cls in _REGISTRY.items() if set(missing) & set(cls.assigns)})
            raise ConfigError(
                f"Stage '{name}' ({where}) reads {', '.join(missing)}, which no stage before it assigns.",
                f"Put {' or '.join(repr(p) for p in providers) or 'a stage assigning it'} "
                f"before '{name}' in pipeline.stages (or add it with pipeline.add).",
            )
        available.update(stage.assigns)


def registered_stages() -> list[str]:
    """Names of all registered stages."""
    return sorted(_REGISTRY)


@cache
def stage_params_model(name: str) -> type[BaseModel]:
    """The pydantic model of stage ``name``'s parameters, made from its constructor's signature: the signature is
    the one place where each parameter's type, allowed values (``Literal``, :data:`Share`…) and default live."""
    cls = _stage_class(name)
    hints = typing.get_type_hints(cls.__init__, include_extras=True)
    fields: dict[str, Any]
    fields = {
        p.name: (hints.get(p.name, Any), p.default if p.default is not p.empty else ...)
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    return create_model(f"{cls.__name__}Params", __config__=ConfigDict(extra="forbid"), **fields)


def resolve_stage_params(name: str, params: dict, where: str) -> dict:
    """``params`` checked against stage ``name``'s parameters and completed with the defaults, as plain YAML
    values: what the stage will be built with and what ``config.resolved.yaml`` records. A wrong type, a value out
    of range or an unknown key is a :class:`ConfigError` naming it (``where``: the stage's place in the config)."""
    model = stage_params_model(name)
    try:
        return model.model_validate(params).model_dump(mode="json")
    except ValidationError as exc:
        problems = "; ".join(_problem(model, err) for err in exc.errors()[:5])
        raise ConfigError(
            f"Invalid parameters for stage '{name}' ({where}): {problems}.",
            f"Parameters of '{name}': {_parameter_list(model)}.",
        ) from None


def _problem(model: type[BaseModel], err: Mapping[str, Any]) -> str:
    key = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        return f"unknown parameter '{key}'"
    return f"{key} = {err.get('input')!r}: {err['msg']}"


def _parameter_list(model: type[BaseModel]) -> str:
    return ", ".join(f"{n} (default {f.default!r})" for n, f in model.model_fields.items())


def stage_version(name: str) -> int:
    """The version of registered stage ``name`` (raised when its outputs change meaning)."""
    return _stage_class(name).version


def _stage_class(name: str) -> type[Stage]:
    if name not in _REGISTRY:
        raise ConfigError(
            f"Unknown pipeline stage '{name}'.", f"Registered stages are: {', '.join(registered_stages())}."
        )
    return _REGISTRY[name]


def build_stage(name: str, params: dict) -> Stage:
    """Instantiate a registered stage; unknown names or parameters are config errors."""
    _stage_class(name)
    try:
        return _REGISTRY[name](**params)
    except TypeError as exc:
        raise ConfigError(
            f"Invalid parameters for stage '{name}': {exc}.",
            "Check the stage's params in the config against configs/default.yaml.",
        ) from None


def live_rows(comments: pd.DataFrame) -> np.ndarray:
    """Boolean mask of rows with text to analyse."""
    return (comments["_text"] != "").to_numpy()
