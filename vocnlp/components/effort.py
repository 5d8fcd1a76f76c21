"""The effort flag: high customer effort (had to chase, transferred around, paperwork) by similarity to the effort
theme's seed phrases, contrasted with its low-effort phrases."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vocnlp.components.affect import ROUND
from vocnlp.errors import ConfigError
from vocnlp.pipeline.registry import Batch, RunContext, Share, Stage, live_rows, register_stage
from vocnlp.resources import resolve_user_or_bundled
from vocnlp.taxonomy.schema import load_taxonomy


@register_stage("effort")
class Effort(Stage):
    """High customer effort: similarity to the effort theme's seeds, contrasted with low-effort phrases.

    ``effort_score`` is the comment's highest similarity (0..1) to a high-effort
    seed; ``effort`` is true when that reaches ``threshold`` and beats the
    sentence's similarity to the low-effort phrases.
    """

    requires = ("sentences", "sentence_vectors", "encoder")
    assigns = ("effort",)

    def __init__(
        self, taxonomy: str = "configs/taxonomies/generic_cx.yaml", theme: str = "effort", threshold: Share = 0.45
    ):
        self.taxonomy = taxonomy
        self.theme = theme
        self.threshold = threshold

    def setup(self, context: RunContext) -> None:
        """Embed the high- and low-effort phrases."""
        encoder = context.encoder
        if encoder is None:
            raise ConfigError(
                "The effort stage needs the embed stage before it.",
                "Put '- name: embed' before '- name: effort' in pipeline.stages.",
            )
        tax = load_taxonomy(resolve_user_or_bundled(self.taxonomy, context.base_dir))
        try:
            theme = tax.theme(self.theme)
        except KeyError:
            raise ConfigError(
                f"The effort stage's theme '{self.theme}' is not in taxonomy '{tax.source}'.",
                "Set effort.params.theme to the id of the taxonomy's effort theme.",
            ) from None
        high = [p for _, _, p in tax.prototypes(theme.id)]
        low = [p for lang in ("en", "fr") for p in (theme.extra.get("low_effort_seeds") or {}).get(lang, [])]
        self._high = encoder.encode(high)
        self._low = encoder.encode(low) if low else None

    def __call__(self, batch: Batch) -> Batch:
        """Add ``effort`` (bool) and ``effort_score``."""
        vectors = batch.sentence_vectors
        assert vectors is not None and batch.sentences is not None  # set by the sentences and embed stages
        high = (vectors @ self._high.T).max(axis=1) if len(vectors) else np.zeros(0)
        low = (
            (vectors @ self._low.T).max(axis=1) if self._low is not None and len(vectors) else np.full(len(high), -1.0)
        )
        flag = (high >= self.threshold) & (high > low)
        ids = batch.sentences["comment_id"].to_numpy()
        score = pd.Series(high, dtype="float64").groupby(ids).max()
        any_flag = pd.Series(flag).groupby(ids).any()
        comments = batch.comments
        live = live_rows(comments)
        s = comments["comment_id"].map(score).to_numpy(dtype="float64")
        f = comments["comment_id"].map(any_flag).to_numpy(dtype=object)
        comments["effort_score"] = np.where(live, np.round(np.clip(s, 0, 1), ROUND), np.nan)
        comments["effort"] = pd.array([bool(x) if live_i else pd.NA for x, live_i in zip(f, live)], dtype="boolean")
        return batch

    def describe(self) -> dict:
        """Effort theme and threshold."""
        return {**super().describe(), "theme": self.theme, "threshold": self.threshold}
