"""A long-lived spaCy pipeline whose vocabulary stays bounded (:class:`RenewedPipeline`).

spaCy adds every new word it reads to the pipeline's vocabulary and string
store and keeps it for the pipeline's life: over a dump of unique comments that
grew a run by about 1 MB per 2,000 comments. ``nlp.memory_zone()`` frees them
but slowed sentence splitting by half; building the pipeline afresh once its
store has taken in a bounded number of new strings costs 0.08 s (a blank
pipeline) to about 1 s (the French NER model) every few tens of thousands of
comments, and does not change what it finds: tokenisation and the models read
the text, not the store's history.
"""

from __future__ import annotations

from typing import Callable

# About 0.3 KB of memory per string: ~15 MB per pipeline at the bound.
NEW_STRINGS_LIMIT = 50_000


class RenewedPipeline:
    """``build()``'s pipeline, built again when it has added more than ``limit`` strings to its store."""

    def __init__(self, build: Callable, limit: int | None = None):
        self.build, self.limit = build, NEW_STRINGS_LIMIT if limit is None else limit
        self._nlp = None
        self._strings_at_build = 0

    def get(self):
        """The pipeline, built on first use and again once its vocabulary has grown past the bound."""
        if self._nlp is None or len(self._nlp.vocab.strings) - self._strings_at_build > self.limit:
            self._nlp = None  # the old pipeline's memory goes before the new one's is taken
            self._nlp = self.build()
            self._strings_at_build = len(self._nlp.vocab.strings)
        return self._nlp
