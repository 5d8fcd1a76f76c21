"""What scores a clause for each theme: its similarity to the taxonomy's seed phrases (zero-shot), and the trained
theme model's probabilities, which take over the columns of the themes it knows (see :mod:`vocnlp.components.themes`).
"""

from __future__ import annotations

import numpy as np

from vocnlp.components.model_input import TrainedModelInput
from vocnlp.errors import ConfigError
from vocnlp.pipeline.registry import Batch, RunContext


class SeedIndex:
    """Seed-phrase embeddings grouped by theme, for max-similarity scoring."""

    def __init__(self, prototypes: list[tuple[str, str, str]], encoder):
        """``prototypes``: (theme, subtheme, seed phrase) triples; ``encoder`` embeds the phrases."""
        self.theme_ids = sorted({t for t, _, _ in prototypes})
        self.owner = np.asarray([self.theme_ids.index(t) for t, _, _ in prototypes])
        self.subtheme = np.asarray([s for _, s, _ in prototypes], dtype=object)
        self.vectors = encoder.encode([p for _, _, p in prototypes])

    def scores(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, themes) best similarity per theme, and the index of the seed that gave it."""
        sims = vectors @ self.vectors.T
        best = np.full((len(vectors), len(self.theme_ids)), -1.0, dtype=np.float32)
        arg = np.zeros((len(vectors), len(self.theme_ids)), dtype=np.int64)
        for j in range(len(self.theme_ids)):
            cols = np.flatnonzero(self.owner == j)
            sub = sims[:, cols]
            k = sub.argmax(axis=1) if len(vectors) else np.zeros(0, dtype=np.int64)
            best[:, j] = sub[np.arange(len(vectors)), k] if len(vectors) else 0
            arg[:, j] = cols[k]
        return best, arg


class TrainedThemes(TrainedModelInput):
    """A theme model trained with ``vocnlp train --task themes``, overriding zero-shot scores for its themes."""

    def __init__(
        self,
        model: str,
        context: RunContext,
        theme_ids: list[str],
        threshold: float,
        taxonomy_id: str,
        aliases: dict[str, str],
        floor: float = 0.0,
    ):
        """Load ``model`` and map its labels onto the taxonomy's ``theme_ids`` (through ``aliases``); thresholds
        below ``floor`` are raised to it."""
        self.model = model
        self.models_by_language = {}
        self._load(context, "themes")
        # Themes merged or moved since the model was trained are reached through the taxonomy's aliases.
        current = {t: t for t in theme_ids} | {a: t for a, t in aliases.items() if t in theme_ids}
        unknown = sorted(set(self.classifier.labels) - set(current))
        if unknown:
            raise ConfigError(
                f"The theme model '{model}' knows themes {unknown} that taxonomy '{taxonomy_id}' does not have.",
                "Train it with --taxonomy pointing at the run's taxonomy, or add those themes to the taxonomy.",
            )
        self.labels = self.classifier.labels
        self.columns = np.asarray([theme_ids.index(current[lab]) for lab in self.labels])
        head = self.classifier.head
        self.thresholds = np.asarray(
            head.thresholds_ if head.multilabel else [threshold] * len(self.labels), dtype=np.float32
        )
        # Thresholds tuned for F1 on a model's dev split can sit very low (0.19 for staff on the written corpus);
        # real comments are noisier than any dev split, and such a theme then fires on one comment in two.
        self.thresholds = np.maximum(self.thresholds, floor).astype(np.float32)

    def overlay(self, best: np.ndarray, thresholds: np.ndarray, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
        """Scores and thresholds with the model's probabilities in its themes' columns."""
        self._sentence_proba = self.sentence_proba(batch)  # one-sentence comments read the same rows (comment_scores)
        return self._into_columns(self._sentence_proba, best.copy(), np.array(thresholds))

    def comment_scores(self, batch: Batch, mask: np.ndarray, n_columns: int) -> tuple[np.ndarray, np.ndarray]:
        """The model's probabilities for whole comments (``mask``) in the taxonomy's columns (0 elsewhere), and
        their thresholds (inf in columns the model does not know)."""
        sentence_proba = vars(self).pop("_sentence_proba", None)
        proba = (
            self.comment_proba(batch, mask)
            if sentence_proba is None
            else self.comment_proba_reusing(batch, mask, sentence_proba)
        )
        scores = np.zeros((len(proba), n_columns), dtype=np.float32)
        thresholds = np.full((len(proba), n_columns), np.inf, dtype=np.float32)
        return self._into_columns(proba, scores, thresholds)

    def _into_columns(
        self, proba: np.ndarray, scores: np.ndarray, thresholds: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Write ``proba`` (model label order) into taxonomy columns. Two model labels now merged into one theme:
        the one further above its threshold speaks for it."""
        ratio = proba / self.thresholds
        rows = np.arange(len(proba))
        for column in np.unique(self.columns):
            labels = np.flatnonzero(self.columns == column)
            pick = labels[ratio[:, labels].argmax(axis=1)]
            scores[:, column] = proba[rows, pick]
            thresholds[:, column] = self.thresholds[pick]
        return scores, thresholds
