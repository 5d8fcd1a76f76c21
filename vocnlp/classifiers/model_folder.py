"""Model folders: a head's weights (npz) + a JSON description, paired with a backbone name.

No pickle: weights are plain arrays, so a folder loads under any scikit-learn
version and cannot execute code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError
from .linear import LinearHead

FORMAT_VERSION = 1


@dataclass
class TextClassifier:
    """A trained head and what it needs: backbone name, labels, task."""

    head: LinearHead
    backbone: str
    task: str
    info: dict

    @property
    def labels(self) -> list[str]:
        """Class or label names in column order of ``predict_proba``."""
        return [str(c) for c in self.head.classes_]

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        """Probabilities for embeddings from this model's backbone."""
        return self.head.predict_proba(vectors)


def save_model_folder(folder: str | Path, head: LinearHead, *, backbone: str, task: str, info: dict) -> Path:
    """Write ``head.npz`` and ``model.json`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"coef": head.coef_.astype(np.float32), "intercept": head.intercept_.astype(np.float32)}
    if head.multilabel:
        arrays["thresholds"] = np.asarray(head.thresholds_, dtype=np.float32)
    np.savez_compressed(folder / "head.npz", **arrays)
    meta = {"format_version": FORMAT_VERSION, "task": task, "backbone": backbone, "head": "LinearHead",
            "params": head.get_params(), "labels": [str(c) for c in head.classes_], **info}
    (folder / "model.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return folder


def load_model_folder(folder: str | Path) -> TextClassifier:
    """Load a model folder written by :func:`save_model_folder`."""
    folder = Path(folder)
    meta_path, weights_path = folder / "model.json", folder / "head.npz"
    if not meta_path.is_file() or not weights_path.is_file():
        raise ModelLoadError(f"'{folder}' is not a vocnlp model folder (model.json and head.npz are needed).",
                             "Point the stage's 'model' parameter at a folder written by 'vocnlp train', "
                             "or remove it to use the shipped default.")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelLoadError(f"Model folder '{folder}' has format version {meta.get('format_version')}, "
                             f"this vocnlp reads version {FORMAT_VERSION}.", "Retrain it with this vocnlp version.")
    weights = np.load(weights_path)
    head = LinearHead(**meta["params"])
    head.coef_ = weights["coef"].astype(np.float64)
    head.intercept_ = weights["intercept"].astype(np.float64)
    head.classes_ = np.asarray(meta["labels"])
    head.n_features_in_ = head.coef_.shape[1]
    if head.multilabel:
        head.thresholds_ = weights["thresholds"].astype(np.float64)
    info = {k: v for k, v in meta.items() if k not in {"params", "labels"}}
    return TextClassifier(head=head, backbone=meta["backbone"], task=meta["task"], info=info)
