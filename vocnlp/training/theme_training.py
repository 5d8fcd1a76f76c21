"""Theme classifiers from labelled examples, with the taxonomy as a zero-shot prior.

- Data: Banking77 (77 bank customer-service intents; the few-shot benchmark)
  or a user's file of texts with one or more theme ids per row.
- Prior: every theme's seed phrases and names (or, for Banking77, its intent
  names written out) join the training examples, so a theme with no labelled
  example still has some, and few-shot models start from the taxonomy.
- Regularisation: the linear head's C is chosen on the dev split, or by
  stratified cross-validation when there are too few examples to spare one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from vocnlp.errors import InputFileError
from vocnlp.training.datasets import LabelledSplit, TrainingData, banking77_frame, banking77_train_dev, data_root

C_GRID = (1.0, 3.0, 10.0, 30.0, 100.0)


def banking77_labels(root: Path) -> list[str]:
    """The 77 intent ids, sorted (the column order of a trained head)."""
    return sorted(json.loads((root / "banking77" / "categories.json").read_text(encoding="utf-8")))


def intent_description(intent: str) -> str:
    """An intent id as a short phrase ('card_arrival' → 'card arrival'): its zero-shot description."""
    return intent.replace("_", " ").strip()


def banking77_training_data(data: str | Path | None = None, seed: int = 0, shots: int | None = None) -> TrainingData:
    """Banking77 train/dev/test: all data (10% of train held out as dev) or ``shots`` examples per intent.

    With ``shots``, the sampled examples also serve as dev data (only the
    temperature is fitted there; the test split stays untouched).
    """
    root = data_root(data)
    labels = banking77_labels(root)
    train, test = banking77_frame(root, "train"), banking77_frame(root, "test")
    texts, y = train["text"].tolist(), train["category"].to_numpy(dtype=object)
    test_split = LabelledSplit(
        "banking77_test", test["text"].tolist(), test["category"].to_numpy(dtype=object), labels, "en"
    )
    if shots is None:
        fit_idx, dev_idx = banking77_train_dev(len(texts), seed)
        name = "banking77"
    else:
        rng = np.random.default_rng(seed)
        fit_idx = np.concatenate(
            [np.sort(rng.choice(np.flatnonzero(y == lab), shots, replace=False)) for lab in labels]
        )
        dev_idx = fit_idx
        name = f"banking77_{shots}shot_seed{seed}"

    def take(idx, suffix):
        return LabelledSplit(f"{name}_{suffix}", [texts[i] for i in idx], y[idx], labels, "en")

    return TrainingData(
        name, [take(fit_idx, "train")], [take(dev_idx, "dev")], [test_split], prior=[banking77_prior(data)]
    )


def banking77_prior(data: str | Path | None = None) -> LabelledSplit:
    """One example per intent: its name written out."""
    labels = banking77_labels(data_root(data))
    return LabelledSplit(
        "banking77_intent_names",
        [intent_description(lab) for lab in labels],
        np.asarray(labels, dtype=object),
        labels,
        "en",
    )


def taxonomy_prior(taxonomy, labels: list[str], multilabel: bool = False) -> LabelledSplit:
    """The taxonomy's seed phrases and names as examples of their top-level theme, for the themes in ``labels``."""
    texts, owners = [], []
    for theme_id, _sub, phrase in taxonomy.prototypes():
        if theme_id in labels:
            texts.append(phrase)
            owners.append(theme_id)
    for theme in taxonomy.themes:
        if theme.id in labels:
            texts += list(theme.names.values())
            owners += [theme.id] * len(theme.names)
    prior = LabelledSplit(f"taxonomy_{taxonomy.id}", texts, np.asarray(owners, dtype=object), labels, "mixed")
    if multilabel:
        return LabelledSplit(prior.name, prior.texts, prior.indicator(), labels, prior.language)
    return prior


def map_to_taxonomy(split: LabelledSplit, taxonomy) -> LabelledSplit:
    """Labels as the taxonomy's top-level theme ids: sub-theme ids become their parent; unknown ids are an error."""
    parent = {t.id: t.id for t in taxonomy.themes} | {s.id: s.parent for s in taxonomy.subthemes}
    unknown = sorted(set(split.labels) - set(parent))
    if unknown:
        raise InputFileError(
            f"Labels {unknown} of '{split.name}' are not theme ids of taxonomy '{taxonomy.id}'.",
            f"Use the taxonomy's ids ({', '.join(t.id for t in taxonomy.themes)}) or their "
            "sub-theme ids, or add the themes to the taxonomy first.",
        )
    labels = sorted({parent[lab] for lab in split.labels})
    if split.multilabel:
        y = np.zeros((len(split.texts), len(labels)), dtype=np.int8)
        for j, lab in enumerate(split.labels):
            y[:, labels.index(parent[lab])] |= np.asarray(split.y)[:, j].astype(np.int8)
    else:
        y = np.asarray([parent[v] for v in split.y], dtype=object)
    return LabelledSplit(split.name, split.texts, y, labels, split.language, split.dropped, split.row_languages)


def single_label_if_possible(split: LabelledSplit) -> LabelledSplit:
    """A multi-label split whose rows each carry exactly one label, as a single-label split (softmax head)."""
    if not split.multilabel or (np.asarray(split.y).sum(axis=1) != 1).any():
        return split
    y = np.asarray(split.labels, dtype=object)[np.asarray(split.y).argmax(axis=1)]
    return LabelledSplit(split.name, split.texts, y, split.labels, split.language, split.dropped, split.row_languages)


def choose_c(make_head, X, y, X_dev, y_dev, classes: list[str], same_data: bool, seed: int = 0) -> float:
    """The inverse regularisation strength with the best dev accuracy (micro-F1 when multi-label).

    ``make_head(C=...)`` builds an unfitted head.

    When dev and train are the same examples (few-shot), a stratified
    cross-validation over them replaces the dev split.
    """
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    def score(c, X_fit, y_fit, X_val, y_val):
        predicted = make_head(C=c).fit(X_fit, y_fit, classes=classes).predict(X_val)
        if multilabel:
            return float(f1_score(np.asarray(y_val), predicted, average="micro", zero_division=0))
        return float((np.asarray(predicted) == np.asarray(y_val)).mean())

    multilabel = np.asarray(y).ndim == 2
    if not same_data:
        scores = [score(c, X, y, X_dev, y_dev) for c in C_GRID]
    else:
        counts = pd.Series(np.asarray(y).argmax(axis=1) if multilabel else y).value_counts()
        folds = int(min(5, counts.min()))
        if folds < 2:
            return 10.0  # a single example of some label leaves nothing to validate on
        strata = np.asarray(y).argmax(axis=1) if multilabel else np.asarray(y)
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
        scores = [
            np.mean([score(c, X[a], np.asarray(y)[a], X[b], np.asarray(y)[b]) for a, b in splitter.split(X, strata)])
            for c in C_GRID
        ]
    return C_GRID[int(np.argmax(scores))]
