"""The embedding stage: one vector per sentence and per comment, computed once and shared."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import numpy as np

from vocnlp.modeling.encoders import CachedEncoder, load_backbone
from vocnlp.modeling.encoders.disk_cache import DiskVectorCache
from vocnlp.pipeline.registry import Batch, NonNegativeInt, Stage, live_rows, register_stage

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)  # what a letter is to ``re``: in ASCII text, A-Z and a-z
_NO_ASCII_UPPER = {ord(c): None for c in string.ascii_uppercase}
_NO_ASCII_LOWER = {ord(c): None for c in string.ascii_lowercase}


def unshout(text: str, min_letters: int = 6, upper_share: float = 0.8) -> str:
    """Sentence case for a text written in capitals ("FACTURÉ DEUX FOIS" → "Facturé deux fois").

    Sentence encoders read all-caps text as a different, rarer string and place
    it far from its meaning; the shouting itself is kept in the original text.
    """
    if text.isascii():  # most texts: the letters are A-Z and a-z, counted by deleting them, not listed by the regex
        upper = len(text) - len(text.translate(_NO_ASCII_UPPER))
        n_letters = upper + len(text) - len(text.translate(_NO_ASCII_LOWER))
    else:
        letters = _LETTER.findall(text)
        upper, n_letters = sum(map(str.isupper, letters)), len(letters)
    if n_letters < min_letters or upper < upper_share * n_letters:
        return text
    lowered = text.lower()
    first = next((i for i, c in enumerate(lowered) if c.isalpha()), 0)
    return lowered[:first] + lowered[first : first + 1].upper() + lowered[first + 1 :]


def _as_written(text: str) -> str:
    return text


@register_stage("embed")
class Embed(Stage):
    """Embed sentences and comments with the run's backbone.

    A single-sentence comment reuses its sentence's vector; a multi-sentence
    comment gets the vector of the whole comment as well (comment-level heads
    read it), which the USE backbone builds from its sentences' token features,
    re-running only the tokens around each junction (``encode_joined``).
    Empty comments get a zero vector and are ignored by later stages. With
    ``unshout`` (default), texts written in capitals are embedded in sentence case.
    """

    requires = ("sentences",)
    assigns = ("sentence_vectors", "comment_vectors", "encoder")

    def __init__(
        self,
        backbone: str = "usem3",
        cache_size: NonNegativeInt = 50_000,
        backbone_params: dict[str, Any] | None = None,
        unshout: bool = True,
        cache_dir: str | None = None,
    ):
        """``cache_dir``: a folder where sentence vectors are kept between runs (relative to the config file);
        a re-run on the same comments reads them instead of embedding again. None (default): no disk cache."""
        self.backbone = backbone
        self.cache_size = cache_size
        self.backbone_params = dict(backbone_params or {})
        self.unshout = unshout
        self.cache_dir = cache_dir

    def setup(self, context) -> None:
        """Load the backbone and publish it so heads can check compatibility."""
        backend = load_backbone(self.backbone, **self.backbone_params)
        disk = None
        if self.cache_dir is not None:
            folder = Path(self.cache_dir)
            folder = folder if folder.is_absolute() or context.base_dir is None else context.base_dir / folder
            disk = DiskVectorCache(folder, backend.name, str(getattr(backend, "version", "")), backend.dim)
        self.encoder = CachedEncoder(backend, self.cache_size, disk)
        context.encoder = self.encoder
        # Models with their own fine-tuned body embed the same texts, so they must see them the same way.
        context.prepare_text = unshout if self.unshout else _as_written

    def __call__(self, batch: Batch) -> Batch:
        """Set ``batch.sentence_vectors`` and ``batch.comment_vectors``."""
        sentences = batch.sentences
        assert sentences is not None  # set by the sentences stage
        comments = batch.comments
        dim = self.encoder.backend.dim
        sent_texts = sentences["text"].tolist()
        rows_of: dict = {}  # each comment's sentence rows, in order
        for row, cid in enumerate(sentences["comment_id"]):
            rows_of.setdefault(cid, []).append(row)
        cids = comments["comment_id"].to_numpy()
        # Multi-sentence comments need their own vector; single ones reuse the sentence's.
        is_multi = np.fromiter((len(rows_of.get(cid, ())) > 1 for cid in cids), dtype=bool, count=len(cids))
        single = live_rows(comments) & ~is_multi
        prepare = unshout if self.unshout else _as_written
        # A comment's vector is built from its sentences' token features where it can be (see encode_joined).
        sentence_vectors, whole_vectors = self.encoder.encode_joined(
            [prepare(t) for t in sent_texts],
            [prepare(t) for t in comments["_text"].to_numpy()[is_multi]],
            [rows_of[cid] for cid in cids[is_multi]],
        )
        batch.sentence_vectors = sentence_vectors
        comment_vectors = np.zeros((len(comments), dim), dtype=np.float32)
        comment_vectors[is_multi] = whole_vectors
        comment_vectors[single] = sentence_vectors[[rows_of[cid][0] for cid in cids[single]]]
        batch.comment_vectors = comment_vectors
        return batch

    def describe(self) -> dict:
        """Backbone name and version."""
        encoder = getattr(self, "encoder", None)  # absent before setup()
        return {
            **super().describe(),
            "backbone": self.backbone,
            "unshout": self.unshout,
            "backbone_version": getattr(getattr(encoder, "backend", None), "version", None),
            "texts_requested": getattr(encoder, "requested", None),
            "texts_embedded": getattr(encoder, "computed", None),
            "texts_from_disk_cache": getattr(getattr(encoder, "disk", None), "hits", None),
        }
