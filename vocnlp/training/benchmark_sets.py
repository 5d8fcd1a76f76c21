"""The published emotion benchmarks in their own label spaces, to compare with the literature.

- ``goemotions28``: the 27 emotions + neutral, standard split (Demszky et al., 2020).
- ``goemotions_ekman``: the paper's Ekman grouping (7 labels).
- ``goemotions_sentiment``: the paper's sentiment grouping (positive, negative, ambiguous, neutral).
- ``xed_en`` / ``xed_fr``: XED's 8 Plutchik emotions (Öhman et al., 2020), seeded 80/10/10 split.
All are multi-label; macro-F1 is the papers' measure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vocnlp.errors import VocnlpError
from vocnlp.training.datasets import (
    XED_LABELS,
    LabelledSplit,
    goemotions_frame,
    label_mappings,
    split_indices,
    to_indicator,
    xed_frame,
)

BENCHMARKS = ("goemotions28", "goemotions_ekman", "goemotions_sentiment", "xed_en", "xed_fr")


def _indicator(names_list, labels: list[str], mapping: dict[str, list[str]] | None) -> np.ndarray:
    return to_indicator(names_list, mapping or {lab: [lab] for lab in labels}, labels)[0]


def benchmark_splits(root: Path, name: str, seed: int = 0) -> dict[str, LabelledSplit]:
    """``{'train', 'dev', 'test'}`` splits of one benchmark (see module docstring)."""
    if name not in BENCHMARKS:
        raise VocnlpError(f"Unknown benchmark data set '{name}'.", f"Use one of {', '.join(BENCHMARKS)}.")
    out = {}
    if name.startswith("goemotions"):
        mapping = None if name == "goemotions28" else label_mappings()["benchmarks"][name]
        labels = (root / "goemotions" / "labels.txt").read_text().split() if mapping is None else list(mapping)
        for split in ("train", "dev", "test"):
            f = goemotions_frame(root, split)
            Y = _indicator(f["names"], labels, mapping)
            keep = Y.sum(axis=1) > 0
            out[split] = LabelledSplit(
                f"{name}_{split}",
                [t for t, k in zip(f["text"], keep) if k],
                Y[keep],
                labels,
                "en",
                dropped=int((~keep).sum()),
            )
        return out
    language = name.split("_")[1]
    f = xed_frame(root, language)
    labels = list(XED_LABELS.values())
    Y = _indicator(f["names"], labels, None)
    texts = f["text"].tolist()
    for split, idx in zip(("train", "dev", "test"), split_indices(len(f), seed)):
        out[split] = LabelledSplit(f"{name}_{split}", [texts[i] for i in idx], Y[idx], labels, language)
    return out
