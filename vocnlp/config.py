"""Typed run configuration, loaded from YAML (``configs/default.yaml``).

A run is reproducible from its resolved config: the pipeline writes the
resolved config next to its outputs (``config.resolved.yaml``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vocnlp.errors import ConfigError
from vocnlp.resources import resource_path


class _Strict(BaseModel):
    # Unknown keys are almost always typos; refusing them beats ignoring them.
    model_config = ConfigDict(extra="forbid")


class ColumnMapping(_Strict):
    """Which input columns hold the text, the id and the scores.

    ``None`` means "auto-detect from common French and English names".
    """

    text: str | None = None
    id: str | None = None
    nps: str | None = None
    csat: str | None = None
    ces: str | None = None
    churn: str | None = None
    date: str | None = None
    fcr: str | None = None  # resolved at first contact: yes/no
    resolution_time: str | None = None  # time to resolution, a number in `resolution_time_unit`
    referral: str | None = None  # referred someone (or joined through a referral): yes/no
    tenure: str | None = None  # time as a customer until churn (or until now): time-to-churn drivers
    segments: list[str] = Field(default_factory=list)


class ScaleConfig(_Strict):
    """Valid range of a score, inclusive."""

    min: float
    max: float


class InputConfig(_Strict):
    """How to read and validate the comment dump."""

    columns: ColumnMapping = Field(default_factory=ColumnMapping)
    sheet: str | int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    csat_scale: ScaleConfig = ScaleConfig(min=1, max=5)
    ces_scale: ScaleConfig = ScaleConfig(min=1, max=7)
    ces_higher_is_easier: bool = True  # "how easy was it" scales; false for "how much effort" scales
    resolution_time_unit: str = "hours"  # what the resolution-time numbers count; shown next to them


class StageConfig(_Strict):
    """One pipeline stage: a registered component name and its parameters."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class PipelineConfig(_Strict):
    """Stage list and chunking."""

    chunk_size: int = 2000
    stages: list[StageConfig]
    # A folder where finished chunks are kept between runs (vocnlp run --chunk-cache; relative to the config file).
    chunk_cache: str | None = None

    @field_validator("chunk_size")
    @classmethod
    def _positive(cls, v: int) -> int:
        if v < 1:
            raise ValueError("chunk_size must be at least 1")
        return v


DRIVER_KINDS = ("theme", "negative_mention", "emotion", "effort")


class DriversConfig(_Strict):
    """Driver analysis settings."""

    min_mentions: int = 10
    confidence_level: float = 0.95
    kinds: list[str] = Field(default_factory=lambda: list(DRIVER_KINDS))
    covariates: list[str] = Field(default_factory=list)
    bootstrap: int = 1000
    shapley_exact_max: int = 15
    shapley_permutations: int = 500
    vif_threshold: float = 5.0
    cv_folds: int = 5
    time_to_churn: bool = True  # Cox model of tenure and churn, when the input has both columns
    # A file of comments whose true themes a person gave (comment_id, true_themes; relative to the config file):
    # theme impacts are then also corrected for label error (vocnlp.analysis.drivers.judged).
    judged_labels: str | None = None

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, v: list[str]) -> list[str]:
        unknown = [k for k in v if k not in DRIVER_KINDS]
        if unknown:
            raise ValueError(f"unknown driver kinds {unknown}; choose among {list(DRIVER_KINDS)}")
        return v

    @field_validator("bootstrap")
    @classmethod
    def _enough_replicates(cls, v: int) -> int:
        if v < 100:
            raise ValueError("bootstrap needs at least 100 replicates for a 95% interval")
        return v


class ScoresConfig(_Strict):
    """How scores are summarised by segment and period."""

    nps_interval: Literal["adjusted_wald", "wald"] = "adjusted_wald"
    period: Literal["month", "quarter"] = "month"
    adjustment: Literal["holm", "bh"] = "holm"  # for comparisons between segments or periods


class OutputConfig(_Strict):
    """Which table formats to write besides Parquet, and whether CSV text is guarded against formula injection."""

    formats: list[str] = Field(default_factory=lambda: ["parquet", "csv"])
    excel_safe_csv: bool = True  # text starting with = + - @ tab CR gets a leading ' (vocnlp.io.spreadsheet_safety)


class AdaptationConfig(_Strict):
    """``adaptation:`` sentiment adapted to the dump with its own scores as weak labels (vocnlp.analysis.adaptation)."""

    enabled: bool = False
    outcome: Literal["auto", "nps", "csat"] = "auto"  # auto: NPS when the dump has it, else CSAT (stars)
    folds: int = 5
    C: float = 1.0  # inverse regularisation of the logistic model
    min_weak_labels: int = 100  # fewer usable scores than this (or 20 per side): no adaptation, a warning

    @field_validator("folds")
    @classmethod
    def _enough_folds(cls, v: int) -> int:
        if v < 2:
            raise ValueError("folds must be at least 2 (cross-fitting needs a fold to hold out)")
        return v


class RunConfig(_Strict):
    """The whole run configuration."""

    seed: int = 0
    profile: str = "fast"
    # An industry pack (configs/taxonomies/<industry>.yaml) for the themes and effort stages; null = generic.
    industry: str | None = None
    input: InputConfig = Field(default_factory=InputConfig)
    pipeline: PipelineConfig
    drivers: DriversConfig = Field(default_factory=DriversConfig)
    scores: ScoresConfig = Field(default_factory=ScoresConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    adaptation: AdaptationConfig = Field(default_factory=AdaptationConfig)
    # Folder of the config file, so relative model/taxonomy paths resolve from there.
    base_dir: str | None = None

    def stage(self, name: str) -> StageConfig | None:
        """Return the configuration of stage ``name``, if the pipeline has it."""
        return next((s for s in self.pipeline.stages if s.name == name), None)

    def to_yaml(self) -> str:
        """Serialise the resolved config (what the run actually used)."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def default_config_path() -> Path:
    """Path of the bundled default configuration."""
    return resource_path("configs/default.yaml")


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"Config file '{path}' does not exist.",
            "Check the path given to --config, or omit --config to use the bundled default.",
        ) from None
    except (UnicodeDecodeError, IsADirectoryError, PermissionError) as exc:
        raise ConfigError(
            f"Config file '{path}' cannot be read ({exc.__class__.__name__}).",
            "A config must be a UTF-8 YAML text file; see configs/default.yaml for an example.",
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        loc = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        raise ConfigError(
            f"Config file '{path}' is not valid YAML{loc}: {getattr(exc, 'problem', exc)}.",
            "Fix the YAML syntax (indentation, colons, quotes); configs/default.yaml shows the expected layout.",
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"Config file '{path}' must hold a YAML mapping at the top level, found {type(data).__name__}.",
            "Start from configs/default.yaml and change only the keys you need.",
        )
    return data


def _merge(base: dict, override: dict) -> dict:
    """Deep-merge ``override`` into ``base`` (lists are replaced, not merged)."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


PROFILES = ("fast", "accurate")


def _apply_stage_edits(data: dict) -> dict:
    """``pipeline.remove`` (stage names) and ``pipeline.add`` (stages, each placed ``before`` or ``after`` a named
    stage, or at the end) applied to the stage list, so that a user config adds a custom stage without copying
    the default list. The resolved config holds the resulting list, with neither key."""
    pipeline = data.get("pipeline")
    if not isinstance(pipeline, dict) or not ({"add", "remove"} & set(pipeline)):
        return data
    pipeline = dict(pipeline)
    stages = list(pipeline.get("stages", []))
    names = [s.get("name") if isinstance(s, dict) else None for s in stages]
    for name in pipeline.pop("remove", None) or []:
        if name not in names:
            raise ConfigError(
                f"pipeline.remove names '{name}', which is not in the pipeline.",
                f"The stages are: {', '.join(map(str, names))}.",
            )
        del stages[names.index(name)]
        names.remove(name)
    for entry in pipeline.pop("add", None) or []:
        if not isinstance(entry, dict) or "name" not in entry:
            raise ConfigError(
                f"pipeline.add holds {entry!r}; each entry needs a stage name.",
                "Write e.g. '- name: my_stage' with 'after: themes' and its 'params'.",
            )
        entry = dict(entry)
        before, after = entry.pop("before", None), entry.pop("after", None)
        anchor = before or after
        if anchor is not None and anchor not in names:
            raise ConfigError(
                f"pipeline.add places '{entry['name']}' {'before' if before else 'after'} '{anchor}', "
                "which is not in the pipeline.",
                f"The stages are: {', '.join(map(str, names))}.",
            )
        at = len(stages) if anchor is None else names.index(anchor) + (0 if before else 1)
        stages.insert(at, entry)
        names.insert(at, entry["name"])
    pipeline["stages"] = stages
    return {**data, "pipeline": pipeline}


def _apply_profile(data: dict) -> dict:
    """Overlay ``configs/profiles/<profile>.yaml`` (stage name → params) onto the stage list.

    ``fast`` is the default and changes nothing; ``accurate`` swaps in a
    bigger backbone and the models trained on it. A profile sets only the
    params it names; everything else is the config's.
    """
    profile = data.get("profile", "fast")
    if profile not in PROFILES:
        raise ConfigError(f"Unknown profile '{profile}'.", f"Use one of {', '.join(PROFILES)}.")
    overlay = _read_yaml(resource_path(f"configs/profiles/{profile}.yaml")).get("stages", {})
    stages = []
    for stage in data.get("pipeline", {}).get("stages", []):
        if isinstance(stage, dict) and stage.get("name") in overlay:
            stage = {**stage, "params": {**(stage.get("params") or {}), **overlay[stage["name"]]}}
        stages.append(stage)
    if "pipeline" in data:
        data = {**data, "pipeline": {**data["pipeline"], "stages": stages}}
    return data


GENERIC_TAXONOMY = "configs/taxonomies/generic_cx.yaml"


def _apply_industry(data: dict) -> dict:
    """Point the stages that read the generic taxonomy at the industry pack named by ``industry``."""
    industry = data.get("industry")
    if not industry:
        return data
    from vocnlp.taxonomy.packs import bundled_industries

    folder = resource_path("configs/taxonomies")
    known = bundled_industries(folder)
    if industry not in known:
        raise ConfigError(
            f"Unknown industry '{industry}'.",
            f"Use one of {', '.join(known)}, or write your own pack "
            "(a taxonomy with 'extends: generic_cx.yaml') and give it as themes.taxonomy.",
        )
    pack = f"configs/taxonomies/{industry}.yaml"
    stages = []
    for stage in data.get("pipeline", {}).get("stages", []):
        params = (stage.get("params") or {}) if isinstance(stage, dict) else {}
        if isinstance(stage, dict) and stage.get("name") in ("themes", "effort"):
            current = params.get("taxonomy", GENERIC_TAXONOMY)
            if current not in (GENERIC_TAXONOMY, pack):
                raise ConfigError(
                    f"industry '{industry}' and the {stage['name']} stage's taxonomy '{current}' "
                    "both choose a taxonomy.",
                    f"Keep one: drop --industry, or make your taxonomy extend {pack} and give only the taxonomy.",
                )
            stage = {**stage, "params": {**params, "taxonomy": pack}}
        stages.append(stage)
    return {**data, "pipeline": {**data["pipeline"], "stages": stages}} if "pipeline" in data else data


def load_config(path: str | Path | None = None, overrides: dict | None = None) -> RunConfig:
    """Load the default config, overlay a user YAML file and then ``overrides``.

    A user file only needs the keys it changes; everything else comes from
    ``configs/default.yaml``.
    """
    default_path = default_config_path()
    data = _read_yaml(default_path)
    base_dir = None
    if path is not None:
        user_path = Path(path)
        data = _merge(data, _read_yaml(user_path))
        base_dir = str(user_path.resolve().parent)
    if overrides:
        data = _merge(data, overrides)
    data.setdefault("base_dir", base_dir)
    data = _apply_stage_edits(data)
    data = _apply_profile(data)
    data = _apply_industry(data)
    source = f"'{path}'" if path else "the default config" + (" with overrides" if overrides else "")
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5])
        raise ConfigError(
            f"Config {source} is invalid: {problems}.",
            "Compare with configs/default.yaml; unknown keys are refused to catch typos.",
        ) from None
    return _with_stage_defaults(config, source)


def _with_stage_defaults(config: RunConfig, source: str) -> RunConfig:
    """Every stage's parameters checked now (not after the models load) and completed with the stage's defaults,
    so that ``config.resolved.yaml`` holds every value the run uses."""
    from vocnlp.components import check_stage_order, resolve_stage_params

    for i, stage in enumerate(config.pipeline.stages):
        stage.params = resolve_stage_params(stage.name, stage.params, f"{source}, pipeline.stages[{i}]")
    check_stage_order([s.name for s in config.pipeline.stages], source)
    return config
