"""A cheap test that tells when a case-insensitive pattern cannot match, so the regex need not run.

Most survey-phrase patterns (:mod:`vocnlp.components.sentiment_rules`) need one word out of a few ("solved",
"fixed"…) and spend their time in lookaheads that rescan the whole sentence: on paired public comments the rules
took about 14% of the stages' time. Every match of such a pattern contains one of those words, so a sentence that
holds none of them, lowercased, is skipped. The gate is a necessary condition only, never a decision: a sentence
that passes it still goes through the regex, so labels are those of the regexes alone.

Lowercasing with ``str.lower`` equals ``re``'s own case-insensitive comparison except for a few characters (the
dotted capital I, and the Greek, Cyrillic and other letters ``re`` matches across case pairs, such as ``ſ`` and
``s``): a sentence holding any of them skips the gate and runs the regex.
"""

from __future__ import annotations

import re
from re import _casefix, _constants, _parser  # type: ignore[attr-defined]

# Characters whose presence in a lowercased sentence makes substring tests differ from ``re.IGNORECASE``.
_UNSAFE = frozenset(
    {chr(c) for c in _casefix._EXTRA_CASES if c > 127}
    | {chr(c) for cases in _casefix._EXTRA_CASES.values() for c in cases if c > 127}
    | {"\u0307"}  # "İ".lower() is "i" + a combining dot, where re reads a plain "i"
)


def required_words(pattern: re.Pattern) -> tuple[str, ...] | None:
    """Lowercased strings one of which every match of ``pattern`` contains, or None when none can be told."""
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # a pattern re compiled but this parser reads otherwise: no gate, the regex decides
        return None
    words = _of_sequence(list(parsed))
    if not words or any(not w or not _UNSAFE.isdisjoint(w) for w in words):
        return None
    return tuple(sorted(set(words)))


def _of_sequence(items: list) -> list[str] | None:
    """The best required-word set of a sequence of parsed items: the one whose shortest word is longest."""
    candidates: list[list[str]] = []
    run = ""
    for op, value in items:
        if op is _constants.LITERAL:
            run += chr(value).lower()
            continue
        if run:
            candidates.append([run])
            run = ""
        if op is _constants.SUBPATTERN:
            found = _of_sequence(list(value[-1]))
        elif op is _constants.BRANCH:
            branches = [_of_sequence(list(alternative)) for alternative in value[1]]
            found = None if any(b is None for b in branches) else [w for b in branches for w in b or []]
        elif op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT) and value[0] >= 1:
            found = _of_sequence(list(value[2]))
        else:  # zero-width assertions, optional parts, character classes: nothing required from them
            found = None
        if found:
            candidates.append(found)
    if run:
        candidates.append([run])
    return max(candidates, key=lambda words: min(map(len, words)), default=None)


def may_match(words: tuple[str, ...] | None, lowered: str) -> bool:
    """Whether a pattern with these :func:`required_words` may match a sentence (``lowered``: it lowercased)."""
    return words is None or any(w in lowered for w in words) or not _UNSAFE.isdisjoint(lowered)


class WordGate:
    """:func:`may_match` for many patterns against one sentence at a time: the sentence is searched once for every
    pattern's required words, and each pattern then asks whether one of its own was there."""

    def __init__(self, words_per_pattern: list[tuple[str, ...] | None]):
        """``words_per_pattern``: each pattern's :func:`required_words`."""
        self.words = tuple(sorted({w for words in words_per_pattern if words for w in words}))
        self.per_pattern = [None if words is None else frozenset(words) for words in words_per_pattern]

    def open_patterns(self, lowered: str) -> list[bool]:
        """Per pattern, whether it may match the sentence ``lowered`` (lowercased); the same as :func:`may_match`."""
        if not _UNSAFE.isdisjoint(lowered):
            return [True] * len(self.per_pattern)
        present = {w for w in self.words if w in lowered}
        return [words is None or not words.isdisjoint(present) for words in self.per_pattern]


__all__ = ["WordGate", "may_match", "required_words"]
