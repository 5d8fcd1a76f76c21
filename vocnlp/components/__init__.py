"""The pipeline's components (stages); importing this package registers them all."""

from vocnlp.components import affect, effort, embed, privacy, text, themes  # noqa: F401  (registration side effect)
from vocnlp.pipeline.registry import (
    Batch,
    RunContext,
    Stage,
    build_stage,
    check_stage_order,
    register_stage,
    registered_stages,
    resolve_stage_params,
    stage_params_model,
)

__all__ = [
    "Batch",
    "RunContext",
    "Stage",
    "build_stage",
    "check_stage_order",
    "register_stage",
    "registered_stages",
    "resolve_stage_params",
    "stage_params_model",
]
