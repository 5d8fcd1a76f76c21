"""Model folders: a head's weights (npz) + a JSON description, paired with a backbone name.

No pickle: weights are plain arrays, so a folder loads under any scikit-learn
version and cannot execute code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vocnlp.errors import ModelLoadError
from vocnlp.modeling.heads.base import ProbabilisticHead
from vocnlp.modeling.heads.language_prior import LanguagePrior
from vocnlp.modeling.heads.linear import LinearHead
from vocnlp.modeling.heads.mlp import MLPHead
from vocnlp.modeling.heads.neighbours import NeighbourHead

FORMAT_VERSION = 2
HEADS = {"LinearHead": LinearHead, "MLPHead": MLPHead, "NeighbourHead": NeighbourHead}
# Backbone name of a model that carries its own fine-tuned body in ``<folder>/body``.
OWN_BODY = "body"


@dataclass
class TextClassifier:
    """A trained head and what it needs: backbone name, labels, task."""

    head: ProbabilisticHead
    backbone: str
    task: str
    info: dict
    folder: Path | None = None

    @property
    def has_own_body(self) -> bool:
        """Whether the model embeds texts with its own fine-tuned body instead of a shared backbone."""
        return self.backbone == OWN_BODY

    def own_encoder(self):
        """The model's fine-tuned body as an embedding backbone (only when :attr:`has_own_body`)."""
        if not self.has_own_body or self.folder is None:
            raise ModelLoadError("This model reads a shared backbone's embeddings; it has no body of its own.")
        encoder = load_own_body(self.folder / OWN_BODY, name=f"{OWN_BODY}:{self.folder.name}")
        encoder.cacheable = False  # its name does not identify its weights across retrains
        return encoder

    @property
    def labels(self) -> list[str]:
        """Class or label names in column order of ``predict_proba``."""
        return [str(c) for c in self.head.classes_]

    @property
    def multilabel(self) -> bool:
        """Whether labels are independent (emotions) rather than exclusive (sentiment)."""
        return bool(self.head.multilabel)

    @property
    def language_prior(self) -> LanguagePrior | None:
        """How the model reads French rows, when it was trained with a language column."""
        return LanguagePrior.from_info(self.info.get("language_prior"))

    def head_input(self, vectors: np.ndarray, languages=None) -> np.ndarray:
        """What the head reads for ``vectors``: the embeddings, plus the language column when it has one.

        ``languages`` (one code per row) is needed only by models with a language prior.
        """
        prior = self.language_prior
        if prior is None:
            return vectors
        if languages is None:
            raise ValueError(f"The model in '{self.folder}' reads each row's language; pass languages=.")
        return prior.augment(vectors, languages)

    @classmethod
    def load(cls, folder: str | Path) -> "TextClassifier":
        """The model in ``folder`` (written by ``vocnlp train`` or :func:`save_model_folder`); a relative path not
        found here is looked up among the shipped models (``models/sentiment-usem3``)."""
        from vocnlp.resources import resolve_user_or_bundled

        return load_model_folder(resolve_user_or_bundled(folder))

    def encoder(self, backbone=None):
        """The backbone that embeds texts for this model: its own tuned body, ``backbone`` when given (a name, a
        SentenceTransformer, any object with ``encode``; it must be the one the model was trained on), or the one
        named in ``model.json``. Loaded once and kept."""
        if backbone is not None:
            from vocnlp.modeling.encoders import load_backbone

            given = load_backbone(backbone)
            if given.name != self.backbone:
                raise ModelLoadError(
                    f"The model in '{self.folder}' was trained on the '{self.backbone}' backbone, not '{given.name}'.",
                    "Pass the backbone it was trained on, or retrain it.",
                )
            self._encoder = given
        if getattr(self, "_encoder", None) is None:
            from vocnlp.modeling.encoders import load_backbone

            self._encoder = self.own_encoder() if self.has_own_body else load_backbone(self.backbone)
        return self._encoder

    def predict_proba(self, X, languages=None) -> np.ndarray:
        """Probabilities for texts (a list of strings, embedded with :meth:`encoder`) or for embeddings from
        this model's backbone (``languages``: see :meth:`head_input`). Columns follow :attr:`labels`."""
        vectors = self._vectors(X)
        if languages is None and self.language_prior is not None and _are_texts(X):
            languages = _identify_languages(list(X))  # what the pipeline's language stage would say
        return self.head.predict_proba(self.head_input(vectors, languages))

    def predict(self, X, languages=None) -> list:
        """The label of each text (or embedding): the most probable class, or for multi-label models the list of
        labels at or above their tuned thresholds."""
        proba = self.predict_proba(X, languages)
        labels = np.asarray(self.labels, dtype=object)
        if self.multilabel:
            return [list(labels[row >= self.head.thresholds_]) for row in proba]
        return list(labels[proba.argmax(axis=1)])

    def _vectors(self, X) -> np.ndarray:
        if isinstance(X, str):
            raise TypeError("pass a list of texts, not one string")
        return self.encoder().encode([str(t) for t in X]) if _are_texts(X) else np.asarray(X)


def _are_texts(X) -> bool:
    """Whether ``X`` holds texts (a list, Series or object array of strings) rather than embeddings."""
    if isinstance(X, np.ndarray) and X.dtype.kind in "fiu":
        return False
    items = list(X)
    return not items or isinstance(items[0], str)


def _identify_languages(texts: list[str]) -> list[str]:
    from vocnlp.components.text import LanguageId

    identifier = LanguageId()
    identifier.setup(None)
    return [identifier.identify(t) for t in texts]


def load_own_body(folder: Path, name: str):
    """A fine-tuned body folder as an embedding backbone: tuned USE v3 layers or a sentence-transformers model."""
    from vocnlp.modeling.encoders.backends import SentenceTransformerBackbone
    from vocnlp.modeling.encoders.tuned_use import TunedUSE, is_tuned_use_folder

    return (
        TunedUSE(folder, name=name)
        if is_tuned_use_folder(folder)
        else SentenceTransformerBackbone(str(folder), name=name)
    )


def save_model_folder(folder: str | Path, head: ProbabilisticHead, *, backbone: str, task: str, info: dict) -> Path:
    """Write ``head.npz`` and ``model.json`` into ``folder``.

    Weights are stored as float32: half the size, and far finer than the
    differences that change a prediction.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    kind = type(head).__name__
    if kind not in HEADS:
        raise ModelLoadError(f"Cannot save a head of type {kind}.", f"Use one of {sorted(HEADS)}.")
    # Weights as float32; integer arrays (a neighbour head's quantised memory and its labels) keep their type.
    arrays: dict[str, Any]
    arrays = {
        k.rstrip("_"): (v if np.asarray(v).dtype.kind in "iu" else np.asarray(v, dtype=np.float32))
        for k, v in head.get_weights().items()
    }
    np.savez_compressed(folder / "head.npz", **arrays)
    meta = {
        "format_version": FORMAT_VERSION,
        "task": task,
        "backbone": backbone,
        "head": kind,
        "params": head.get_params(),
        "labels": [str(c) for c in head.classes_],
        "temperature": float(head.temperature_),
        **(
            {"thresholds": {str(c): float(t) for c, t in zip(head.classes_, head.thresholds_)}}
            if head.multilabel
            else {}
        ),
        **info,
    }
    (folder / "model.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return folder


def load_model_folder(folder: str | Path) -> TextClassifier:
    """Load a model folder written by :func:`save_model_folder`."""
    folder = Path(folder)
    meta_path, weights_path = folder / "model.json", folder / "head.npz"
    if not meta_path.is_file() or not weights_path.is_file():
        raise ModelLoadError(
            f"'{folder}' is not a vocnlp model folder (model.json and head.npz are needed).",
            "Point the stage's 'model' parameter at a folder written by 'vocnlp train', "
            "or remove it to use the shipped default.",
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelLoadError(
            f"Model folder '{folder}' has format version {meta.get('format_version')}, "
            f"this vocnlp reads version {FORMAT_VERSION}.",
            "Retrain it with this vocnlp version.",
        )
    if meta.get("head") not in HEADS:
        raise ModelLoadError(
            f"Model folder '{folder}' holds an unknown head type {meta.get('head')!r}.",
            f"This vocnlp knows {sorted(HEADS)}.",
        )
    with np.load(weights_path) as stored:
        arrays = {(k if k in {"temperature", "thresholds"} else k + "_"): stored[k] for k in stored.files}
    head = HEADS[meta["head"]](**meta["params"]).set_weights(arrays, meta["labels"])
    info = {k: v for k, v in meta.items() if k not in {"params", "labels"}}
    if meta["backbone"] == OWN_BODY and not (folder / OWN_BODY).is_dir():
        raise ModelLoadError(
            f"Model folder '{folder}' was trained with a fine-tuned body, but '{folder / OWN_BODY}' is missing.",
            "Copy the whole model folder, including body/.",
        )
    return TextClassifier(head=head, backbone=meta["backbone"], task=meta["task"], info=info, folder=folder)
