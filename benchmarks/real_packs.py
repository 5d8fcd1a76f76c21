"""What an industry pack adds on real comments: the French insurance reviews' themes with the generic taxonomy and
with the insurance pack (``--industry insurance``), zero-shot and with the shipped theme model."""

from __future__ import annotations

import logging

from benchmarks.real_data import DRAWS, labelled_comments, pipeline_themes
from vocnlp.config import load_config
from vocnlp.pipeline.runner import Pipeline

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info

VARIANTS = (
    ("zero-shot (themes.model: null)", None, False),
    ("zero-shot + insurance pack", "insurance", False),
    ("shipped theme model", None, True),
    ("shipped theme model + insurance pack", "insurance", True),
)


def industry_pack_gain(data=None, draws: int = DRAWS, log=_log) -> list[dict]:
    """One row per variant: theme micro/macro-F1, precision and recall on the French labelled insurance reviews."""
    rows = []
    for name, industry, with_model in VARIANTS:
        log(f"  industry packs: {name}")
        config = load_config(overrides={"industry": industry} if industry else None)
        if not with_model:
            config.stage("themes").params["model"] = None
        pipeline = Pipeline(config).setup()
        french = labelled_comments(pipeline, sorted(pipeline_themes(pipeline)), data, draws=draws)["fr"]
        rows.append(
            {
                "variant": name,
                "industry": industry,
                "model": with_model,
                "n": french["n"],
                "themes": {k: v for k, v in french["themes"].items() if k != "per_theme"},
            }
        )
    return rows
