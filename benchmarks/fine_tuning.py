"""Opt-in benchmark rows for fine-tuned bodies (`vocnlp benchmark --fine-tune`): slow on a CPU.

Each row fine-tunes all-MiniLM-L6-v2 end to end on a benchmark's train split
(the ``full`` recipe of :mod:`vocnlp.training.body_tuning`), fits a linear head
on the tuned embeddings with the dev split for calibration and thresholds,
and reports the test split, exactly as the frozen-embedding rows do.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from vocnlp.errors import VocnlpError
from vocnlp.training.body_tuning import BodyTuning
from vocnlp.training.train import public_training_data, train_and_score

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info

# (benchmark, target) pairs from the sentiment/emotion issue; English benchmarks only, since MiniLM is English.
FINE_TUNED_ROWS = (("xed_en", 0.53), ("goemotions28", 0.46), ("goemotions_ekman", 0.62), ("goemotions_sentiment", 0.69))
RECIPE = {"backbone": "minilm", "head": "linear", "body": BodyTuning(method="full", epochs=2, batch_size=32)}


def check_row_names(names: list[str] | None) -> None:
    """Raise a clear error for a benchmark name that has no fine-tuned row (before an hour of measuring)."""
    known = [name for name, _ in FINE_TUNED_ROWS]
    unknown = sorted(set(names or ()) - set(known))
    if unknown:
        raise VocnlpError(f"No fine-tuned benchmark row named {', '.join(unknown)}.", f"Use one of {', '.join(known)}.")


def fine_tuned_scores(seed: int = 0, log=_log, only: list[str] | None = None) -> dict:
    """Macro-F1 of a fine-tuned MiniLM on each English benchmark (or just those in ``only``), with its training time."""
    check_row_names(only)
    results = {}
    for name, target in FINE_TUNED_ROWS:
        if only and name not in only:
            continue
        log(f"fine-tuning on {name}")
        with tempfile.TemporaryDirectory() as tmp:
            _, metrics, info = train_and_score(
                "emotion",
                public_training_data("emotion", name, seed=seed),
                seed=seed,
                body_dir=Path(tmp) / "body",
                log=log,
                **RECIPE,
            )
        results[name] = {
            **next(iter(metrics.values())),
            "target": target,
            "train_seconds": info["train_seconds"],
            "recipe": {"backbone": RECIPE["backbone"], "head": RECIPE["head"], **vars(RECIPE["body"])},
        }
    return results
