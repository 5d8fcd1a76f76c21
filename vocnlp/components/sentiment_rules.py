"""Survey-phrase rules that correct the sentiment model where general-text training misleads it.

A head trained on Reddit comments and film subtitles reads "no complaints",
"rien à redire" or "RAS" as negative: the embedding sits next to the complaint
words. Survey comments are full of these fixed expressions, so the sentiment
stage checks a small bilingual list of patterns (``configs/sentiment_rules.yaml``)
after the model and lets a match decide. Each decision is named in the output
(``sentiment_rule``) so it can be audited or switched off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from vocnlp.components.rule_gates import WordGate, required_words
from vocnlp.errors import ConfigError

KINDS = {
    "non_answer": "neutral",
    "negated_complaint": "positive",
    "negated_praise": "negative",
    "recommends": "positive",
    "warns_off": "negative",
}
SENTENCE_KINDS = [kind for kind in KINDS if kind != "non_answer"]
_TRAILING = re.compile(r"[\s.!?…,;:]+$")


@dataclass
class SentimentRules:
    """Compiled patterns per rule kind (all languages together: comments mix them)."""

    patterns: dict[str, list[re.Pattern]]
    confidence: float = 0.8
    source: str = ""
    _gated: list = field(init=False, repr=False, compare=False)
    _gate: WordGate = field(init=False, repr=False, compare=False)

    def non_answer(self, texts) -> np.ndarray:
        """Boolean per comment: the whole comment is a survey non-answer."""
        stripped = [_TRAILING.sub("", str(t).strip()) for t in texts]
        return np.array(
            [any(p.fullmatch(t) for p in self.patterns["non_answer"]) or t == "" for t in stripped], dtype=bool
        )

    def __post_init__(self):
        # Each pattern with the words one of which its matches hold (rule_gates): most sentences skip most regexes.
        self._gated = [(kind, p) for kind in SENTENCE_KINDS for p in self.patterns[kind]]
        self._gate = WordGate([required_words(p) for _, p in self._gated])

    def sentence_rules(self, texts) -> np.ndarray:
        """Rule kind per sentence (one of ``SENTENCE_KINDS``), or None; kinds of opposite polarity give None."""
        out = np.full(len(texts), None, dtype=object)
        for i, text in enumerate(texts):
            text = str(text)
            hits: list[str] = []
            # Patterns come grouped by kind: once one of a kind matches, the kind's others need not run.
            for (kind, pattern), may in zip(self._gated, self._gate.open_patterns(text.lower())):
                if may and (not hits or hits[-1] != kind) and pattern.search(text):
                    hits.append(kind)
            if hits and len({KINDS[kind] for kind in hits}) == 1:
                out[i] = hits[0]
        return out

    def probabilities(self, kinds: np.ndarray, labels: list[str]) -> np.ndarray:
        """Rows of probabilities for rule-decided items: ``confidence`` on the rule's label, the rest shared."""
        proba = np.full((len(kinds), len(labels)), (1 - self.confidence) / (len(labels) - 1))
        for i, kind in enumerate(kinds):
            proba[i, labels.index(KINDS[kind])] = self.confidence
        return proba


def _err(source: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"Sentiment rules {source}: {problem}", fix)


def load_rules(path: str | Path) -> SentimentRules:
    """Read and compile a rules YAML file; clear errors name the kind, language and pattern at fault."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise _err(source, "file not found.", "Point the sentiment stage's 'rules' at a YAML file, or set it to null.")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    confidence = data.get("confidence", 0.8)
    if not isinstance(confidence, (int, float)) or not 1 / 3 < confidence <= 1:
        raise _err(
            source,
            f"confidence must be a number above 1/3 and at most 1, got {confidence!r}.",
            "Write e.g. 'confidence: 0.8'.",
        )
    unknown = set(data) - set(KINDS) - {"version", "confidence"}
    if unknown:
        raise _err(source, f"unknown key(s) {', '.join(sorted(unknown))}.", f"Use {', '.join(KINDS)}.")
    patterns: dict[str, list[re.Pattern]] = {}
    for kind in KINDS:
        by_language = data.get(kind) or {}
        if not isinstance(by_language, dict):
            raise _err(
                source, f"'{kind}' must map languages to lists of patterns.", f"Write {kind}: {{en: [...], fr: [...]}}."
            )
        compiled = []
        for language, items in sorted(by_language.items()):
            for item in items or []:
                try:
                    compiled.append(re.compile(str(item), re.IGNORECASE))
                except re.error as exc:
                    raise _err(
                        source,
                        f"{kind}/{language} pattern {item!r} is not a valid regular expression ({exc}).",
                        "Fix the pattern (YAML double quotes need '\\\\b' for a word boundary).",
                    ) from exc
        patterns[kind] = compiled
    return SentimentRules(patterns, float(confidence), source)


__all__ = ["KINDS", "SentimentRules", "load_rules"]
