"""Load the public data sets in ../shared/data and map their labels to vocnlp's label sets.

Mappings come from ``configs/labels.yaml``. Rows whose labels map to nothing
(e.g. GoEmotions 'curiosity' for the CX emotion set) are left out, and the
number left out is returned so the model card can state it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..errors import VocnlpError
from ..resources import resource_path

XED_LABELS = {1: "anger", 2: "anticipation", 3: "disgust", 4: "fear", 5: "joy", 6: "sadness", 7: "surprise", 8: "trust"}


@dataclass
class LabelledSplit:
    """Texts with a label vector (single-label) or indicator matrix (multi-label)."""

    name: str
    texts: list[str]
    y: np.ndarray
    labels: list[str]
    language: str
    dropped: int = 0


def data_root(path: str | Path | None = None) -> Path:
    """Folder of the public data: argument, $VOCNLP_DATA, or ../shared/data next to the checkout."""
    candidates = [Path(path)] if path else []
    if os.environ.get("VOCNLP_DATA"):
        candidates.append(Path(os.environ["VOCNLP_DATA"]))
    candidates += [Path.cwd() / "../shared/data", Path(__file__).resolve().parents[3] / "shared/data"]
    for c in candidates:
        if (c / "goemotions").is_dir():
            return c.resolve()
    raise VocnlpError("The public training data (goemotions/, xed/) was not found.",
                      "Pass --data PATH or set VOCNLP_DATA to the folder that holds goemotions/ and xed/.")


def label_mappings() -> dict:
    """The mappings of ``configs/labels.yaml``."""
    return yaml.safe_load(resource_path("configs/labels.yaml").read_text(encoding="utf-8"))


def _invert(mapping: dict[str, list[str]]) -> dict[str, str]:
    return {src: target for target, sources in mapping.items() for src in sources}


def _goemotions_frame(root: Path, split: str) -> pd.DataFrame:
    frame = pd.read_csv(root / "goemotions" / f"{split}.tsv", sep="\t", header=None,
                        names=["text", "labels", "id"], quoting=3, dtype=str, keep_default_na=False)
    names = (root / "goemotions" / "labels.txt").read_text().split()
    frame["names"] = frame["labels"].map(lambda s: [names[int(i)] for i in s.split(",") if i.strip()])
    return frame


_XED_LABEL_FIELD = re.compile(r"^\s*\d(\s*,\s*\d)*\s*$")


def _xed_frame(path: Path) -> pd.DataFrame:
    """Read an XED file line by line; lines that are not ``text<TAB>labels`` are skipped.

    The French projections contain a few lines of leaked alignment metadata
    (six tab-separated fields); a CSV parser would fail on them or mis-join lines.
    """
    texts, names = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.rstrip("\r").split("\t")
        if len(parts) != 2 or not _XED_LABEL_FIELD.match(parts[1]) or not parts[0].strip():
            continue
        texts.append(parts[0].strip())
        names.append([XED_LABELS[int(i)] for i in parts[1].replace(" ", "").split(",")])
    return pd.DataFrame({"text": texts, "names": names})


def _split_indices(n: int, seed: int, test_share: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    cut = int(round(n * (1 - test_share)))
    return np.sort(order[:cut]), np.sort(order[cut:])


def _to_sentiment(names_list, mapping: dict[str, list[str]]) -> list[str | None]:
    inv = _invert(mapping)
    out = []
    for names in names_list:
        polar = {inv[n] for n in names if n in inv}
        out.append(polar.pop() if len(polar) == 1 else None)
    return out


def _to_multilabel(names_list, mapping: dict[str, list[str]], labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    inv = _invert(mapping)
    index = {lab: j for j, lab in enumerate(labels)}
    Y = np.zeros((len(names_list), len(labels)), dtype=np.int8)
    for i, names in enumerate(names_list):
        for n in names:
            if n in inv:
                Y[i, index[inv[n]]] = 1
    keep = Y.sum(axis=1) > 0
    return Y, keep


def sentiment_splits(root: Path, seed: int = 0) -> dict[str, LabelledSplit]:
    """Train/dev/test splits for 3-class sentiment (GoEmotions + XED EN/FR)."""
    maps = label_mappings()["sentiment"]
    labels = maps["labels"]
    out: dict[str, LabelledSplit] = {}

    def make(name, texts, targets, language):
        keep = [t is not None for t in targets]
        kept_texts = [x for x, k in zip(texts, keep) if k]
        y = np.asarray([t for t in targets if t is not None])
        return LabelledSplit(name, kept_texts, y, labels, language, dropped=len(texts) - len(kept_texts))

    for split in ("train", "dev", "test"):
        f = _goemotions_frame(root, split)
        out[f"goemotions_{split}"] = make(f"goemotions_{split}", f["text"].tolist(),
                                          _to_sentiment(f["names"], maps["goemotions"]), "en")
    for lang, fname in (("en", "en-annotated.tsv"), ("fr", "fr-projections.tsv")):
        f = _xed_frame(root / "xed" / fname)
        tr, te = _split_indices(len(f), seed)
        targets = _to_sentiment(f["names"], maps["xed"])
        texts = f["text"].tolist()
        out[f"xed_{lang}_train"] = make(f"xed_{lang}_train", [texts[i] for i in tr], [targets[i] for i in tr], lang)
        out[f"xed_{lang}_test"] = make(f"xed_{lang}_test", [texts[i] for i in te], [targets[i] for i in te], lang)
    neutral = [t for t in (root / "xed" / "neu_en.txt").read_text(encoding="utf-8").splitlines() if t.strip()]
    tr, te = _split_indices(len(neutral), seed)
    out["xed_neutral_train"] = LabelledSplit("xed_neutral_train", [neutral[i] for i in tr],
                                             np.asarray(["neutral"] * len(tr)), labels, "en")
    out["xed_neutral_test"] = LabelledSplit("xed_neutral_test", [neutral[i] for i in te],
                                            np.asarray(["neutral"] * len(te)), labels, "en")
    return out


def emotion_splits(root: Path, seed: int = 0) -> dict[str, LabelledSplit]:
    """Train/dev/test splits for the multi-label CX emotion set (GoEmotions; XED for evaluation)."""
    maps = label_mappings()["emotion"]
    labels = maps["labels"]
    out: dict[str, LabelledSplit] = {}
    for split in ("train", "dev", "test"):
        f = _goemotions_frame(root, split)
        Y, keep = _to_multilabel(f["names"], maps["goemotions"], labels)
        texts = [t for t, k in zip(f["text"], keep) if k]
        out[f"goemotions_{split}"] = LabelledSplit(f"goemotions_{split}", texts, Y[keep], labels, "en",
                                                   dropped=int((~keep).sum()))
    for lang, fname in (("en", "en-annotated.tsv"), ("fr", "fr-projections.tsv")):
        f = _xed_frame(root / "xed" / fname)
        _, te = _split_indices(len(f), seed)
        f = f.iloc[te]
        Y, keep = _to_multilabel(f["names"], maps["xed"], labels)
        texts = [t for t, k in zip(f["text"], keep) if k]
        out[f"xed_{lang}_test"] = LabelledSplit(f"xed_{lang}_test", texts, Y[keep], labels, lang,
                                                dropped=int((~keep).sum()))
    return out
