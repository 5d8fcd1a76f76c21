"""Load the public data sets in ../shared/data and map their labels to vocnlp's label sets.

Mappings come from ``configs/labels.yaml``. Rows whose labels map to nothing
(e.g. GoEmotions 'curiosity' for the CX emotion set) are left out, and the
number left out is returned so the model card can state it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from vocnlp.errors import VocnlpError
from vocnlp.resources import resource_path

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
    row_languages: np.ndarray | None = None  # per-row language when a file mixes languages

    @property
    def multilabel(self) -> bool:
        """True when ``y`` is an indicator matrix."""
        return np.asarray(self.y).ndim == 2

    def indicator(self) -> np.ndarray:
        """``y`` as an (n, labels) 0/1 int8 matrix, whether the split is single- or multi-label."""
        if self.multilabel:
            return np.asarray(self.y, dtype=np.int8)
        index = {lab: j for j, lab in enumerate(self.labels)}
        y = np.zeros((len(self.texts), len(self.labels)), dtype=np.int8)
        y[np.arange(len(self.texts)), [index[v] for v in self.y]] = 1
        return y


@dataclass
class TrainingData:
    """Where a model's examples come from: splits to train on, tune on, and report."""

    source: str
    train: list[LabelledSplit]
    dev: list[LabelledSplit]
    test: list[LabelledSplit]
    prior: list[LabelledSplit] = field(default_factory=list)  # extra examples (taxonomy seed phrases)
    root: Path | None = None  # the public data folder the splits were read from (None: a user's file)
    removed_translations: dict[str, int] = field(default_factory=dict)  # per split (training.xed_sources)

    @property
    def labels(self) -> list[str]:
        """The label set, in model column order."""
        return list(self.train[0].labels)


def split_languages(split: LabelledSplit) -> np.ndarray:
    """The language of each row of ``split``."""
    if split.row_languages is not None:
        return np.asarray(split.row_languages, dtype=object)
    return np.full(len(split.texts), split.language, dtype=object)


def data_root(path: str | Path | None = None) -> Path:
    """Folder of the public data: argument, $VOCNLP_DATA, or ../shared/data next to the checkout."""
    candidates = [Path(path)] if path else []
    if os.environ.get("VOCNLP_DATA"):
        candidates.append(Path(os.environ["VOCNLP_DATA"]))
    candidates += [Path.cwd() / "../shared/data", Path(__file__).resolve().parents[3] / "shared/data"]
    for c in candidates:
        if (c / "goemotions").is_dir():
            return c.resolve()
    raise VocnlpError(
        "The public training data (goemotions/, xed/) was not found.",
        "Pass --data PATH or set VOCNLP_DATA to the folder that holds goemotions/ and xed/.",
    )


def label_mappings() -> dict:
    """The mappings of ``configs/labels.yaml``."""
    return yaml.safe_load(resource_path("configs/labels.yaml").read_text(encoding="utf-8"))


def _invert(mapping: dict[str, list[str]]) -> dict[str, str]:
    return {src: target for target, sources in mapping.items() for src in sources}


def goemotions_frame(root: Path, split: str) -> pd.DataFrame:
    """One GoEmotions split with a ``names`` column of label names."""
    frame = pd.read_csv(
        root / "goemotions" / f"{split}.tsv",
        sep="\t",
        header=None,
        names=["text", "labels", "id"],
        quoting=3,
        dtype=str,
        keep_default_na=False,
    )
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


def xed_frame(root: Path, language: str) -> pd.DataFrame:
    """XED lines of one language ('en' human-annotated, 'fr' projections) with Plutchik label names."""
    return _xed_frame(root / "xed" / ("en-annotated.tsv" if language == "en" else "fr-projections.tsv"))


def xed_neutral_lines(root: Path) -> list[str]:
    """XED's English neutral lines (``neu_en.txt``): rows are ``label<TAB>text`` (label 9, neutral), some with
    trailing tabs; the text alone is returned, blank rows left out.

    Read whole, the label column would sit in every neutral text ("9\tYes."), a cue that no real comment has.
    """
    lines = []
    for row in (root / "xed" / "neu_en.txt").read_text(encoding="utf-8").splitlines():
        label, _, text = row.partition("\t")
        text = text.strip("\t ") if label.strip().isdigit() else row.strip("\t ")
        if text:
            lines.append(text)
    return lines


def banking77_frame(root: Path, split: str) -> pd.DataFrame:
    """One Banking77 split (``train`` or ``test``): columns ``text`` and ``category`` (the intent id)."""
    path = root / "banking77" / f"{split}.csv"
    if not path.is_file():
        raise VocnlpError(
            f"Banking77 is not in '{root}' ({path} is missing).",
            "Give --data the folder holding banking77/ (see ../shared/data/README.md).",
        )
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def banking77_train_dev(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded (train, dev) row indices of Banking77's training file: 10% held out as dev.

    Banking77 publishes only train and test; the theme and sentiment models take the same dev rows from it.
    """
    train, dev, _ = split_indices(n, seed, dev_share=0.1, test_share=0.0)
    return train, dev


def split_indices(
    n: int, seed: int, dev_share: float = 0.1, test_share: float = 0.1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded train/dev/test row indices for data sets published without a split (XED).

    Every task (CX sentiment, CX emotion, the XED benchmarks) uses the same
    split for the same file and seed, so no model is tested on lines another
    shipped model was tuned on.
    """
    order = np.random.default_rng(seed).permutation(n)
    n_test, n_dev = int(round(n * test_share)), int(round(n * dev_share))
    test, dev, train = order[:n_test], order[n_test : n_test + n_dev], order[n_test + n_dev :]
    return np.sort(train), np.sort(dev), np.sort(test)


def sentiment_targets(names_list, mapping: dict[str, list[str]]) -> list[str | None]:
    """One sentiment per row from its emotion names via ``mapping``; None where they disagree or none maps."""
    inv = _invert(mapping)
    out = []
    for names in names_list:
        polar = {inv[n] for n in names if n in inv}
        out.append(polar.pop() if len(polar) == 1 else None)
    return out


def to_indicator(names_list, mapping: dict[str, list[str]], labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Indicator matrix of ``labels`` from source label names via ``mapping``, and the rows with any label."""
    inv = _invert(mapping)
    index = {lab: j for j, lab in enumerate(labels)}
    Y = np.zeros((len(names_list), len(labels)), dtype=np.int8)
    for i, names in enumerate(names_list):
        for n in names:
            if n in inv:
                Y[i, index[inv[n]]] = 1
    keep = Y.sum(axis=1) > 0
    return Y, keep


def _subset(texts: list[str], names: list, idx: np.ndarray) -> tuple[list[str], list]:
    return [texts[i] for i in idx], [names[i] for i in idx]


def sentiment_splits(root: Path, seed: int = 0) -> dict[str, LabelledSplit]:
    """Train/dev/test splits for 3-class sentiment: GoEmotions, XED EN/FR, XED English neutral lines, and
    Banking77 customer-service queries (a reported fault is negative, a plain request neutral)."""
    maps = label_mappings()["sentiment"]
    labels = maps["labels"]
    out: dict[str, LabelledSplit] = {}

    def make(name, texts, targets, language):
        keep = [t is not None for t in targets]
        kept_texts = [x for x, k in zip(texts, keep) if k]
        y = np.asarray([t for t in targets if t is not None])
        return LabelledSplit(name, kept_texts, y, labels, language, dropped=len(texts) - len(kept_texts))

    for split in ("train", "dev", "test"):
        f = goemotions_frame(root, split)
        out[f"goemotions_{split}"] = make(
            f"goemotions_{split}", f["text"].tolist(), sentiment_targets(f["names"], maps["goemotions"]), "en"
        )
    for lang in ("en", "fr"):
        f = xed_frame(root, lang)
        texts, targets = f["text"].tolist(), sentiment_targets(f["names"], maps["xed"])
        for split, idx in zip(("train", "dev", "test"), split_indices(len(f), seed)):
            sub_texts, sub_targets = _subset(texts, targets, idx)
            out[f"xed_{lang}_{split}"] = make(f"xed_{lang}_{split}", sub_texts, sub_targets, lang)
    neutral = xed_neutral_lines(root)
    for split, idx in zip(("train", "dev", "test"), split_indices(len(neutral), seed)):
        out[f"xed_neutral_{split}"] = LabelledSplit(
            f"xed_neutral_{split}", [neutral[i] for i in idx], np.asarray(["neutral"] * len(idx)), labels, "en"
        )
    mapping = _invert(maps["banking77"])
    train, test = banking77_frame(root, "train"), banking77_frame(root, "test")
    train_rows, dev_rows = banking77_train_dev(len(train), seed)
    for split, frame in (("train", train.iloc[train_rows]), ("dev", train.iloc[dev_rows]), ("test", test)):
        name = f"banking77_sentiment_{split}"
        out[name] = make(name, frame["text"].tolist(), [mapping.get(c) for c in frame["category"]], "en")
    return out


def emotion_splits(root: Path, seed: int = 0) -> dict[str, LabelledSplit]:
    """Train/dev/test splits for the multi-label CX emotion set (GoEmotions; XED EN/FR mapped)."""
    maps = label_mappings()["emotion"]
    labels = maps["labels"]
    out: dict[str, LabelledSplit] = {}

    def make(name, texts, names, mapping, language):
        Y, keep = to_indicator(names, mapping, labels)
        kept = [t for t, k in zip(texts, keep) if k]
        return LabelledSplit(name, kept, Y[keep], labels, language, dropped=int((~keep).sum()))

    for split in ("train", "dev", "test"):
        f = goemotions_frame(root, split)
        out[f"goemotions_{split}"] = make(
            f"goemotions_{split}", f["text"].tolist(), list(f["names"]), maps["goemotions"], "en"
        )
    for lang in ("en", "fr"):
        f = xed_frame(root, lang)
        texts, names = f["text"].tolist(), list(f["names"])
        for split, idx in zip(("train", "dev", "test"), split_indices(len(f), seed)):
            sub_texts, sub_names = _subset(texts, names, idx)
            out[f"xed_{lang}_{split}"] = make(f"xed_{lang}_{split}", sub_texts, sub_names, maps["xed"], lang)
    return out
