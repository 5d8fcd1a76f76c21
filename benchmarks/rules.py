"""How the sentiment rules fare on public data nobody wrote them against.

The rules (``configs/sentiment_rules.yaml``) were written from CX phrasing and
checked on the project's challenge set, so that set cannot judge them. This
benchmark runs them on the held-out public sentiment test splits (GoEmotions,
XED EN/FR, XED neutral lines): on each text a rule fires on, it compares the
rule's label and the shipped model's label with the human label.
"""

from __future__ import annotations

import logging

import numpy as np

from vocnlp.components.sentiment_rules import KINDS, load_rules
from vocnlp.resources import resolve_user_or_bundled

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info


def rule_scores(profile: str = "fast", seed: int = 0, log=_log) -> dict:
    """Per test split and rule kind: texts matched, accuracy of the rule's label and of the model's label there."""
    from benchmarks.accuracy import shipped_models
    from vocnlp.modeling import load_model_folder
    from vocnlp.modeling.encoders import load_backbone
    from vocnlp.training.embedding_cache import embed_split
    from vocnlp.training.train import public_training_data

    rules = load_rules(resolve_user_or_bundled("configs/sentiment_rules.yaml"))
    model = load_model_folder(resolve_user_or_bundled(shipped_models(profile)["sentiment"]))
    backbone = model.own_encoder() if model.has_own_body else load_backbone(model.backbone)
    results = {}
    for split in public_training_data("sentiment", "cx", seed=seed).test:
        texts = np.asarray(split.texts, dtype=object)
        kind = rules.sentence_rules(texts)
        kind[rules.non_answer(texts)] = "non_answer"
        fired = np.flatnonzero(kind != None)  # noqa: E711 (elementwise on an object array)
        gold = np.asarray(split.y)[fired]
        model_label = np.full(len(fired), None, dtype=object)
        if len(fired):
            sub = type(split)(split.name, [split.texts[i] for i in fired], gold, split.labels, split.language)
            proba = model.predict_proba(embed_split(sub, backbone, log), [split.language] * len(fired))
            model_label = model.head.classes_[proba.argmax(axis=1)]
        rule_label = np.array([KINDS[k] for k in kind[fired]], dtype=object)
        per_kind = {}
        for k in KINDS:
            rows = kind[fired] == k
            if rows.any():
                per_kind[k] = {
                    "n": int(rows.sum()),
                    "rule_accuracy": float((rule_label[rows] == gold[rows]).mean()),
                    "model_accuracy": float((model_label[rows] == gold[rows]).mean()),
                }
        results[split.name] = {
            "n": len(texts),
            "fired": int(len(fired)),
            "language": split.language,
            "by_kind": per_kind,
        }
        log(f"  rules on {split.name}: {len(fired)} of {len(texts)} texts")
    return results


def rule_rows(res: dict) -> list[str]:
    """BENCHMARKS.md section for the sentiment rules on public data (empty when not measured)."""
    found = res.get("sentiment_rules")
    if not found:
        return []
    lines = [
        "",
        "## Sentiment rules on public test splits (`configs/sentiment_rules.yaml`)",
        "",
        f"Measured on {found['date']} (`vocnlp benchmark --rules-only`, which also re-runs the challenge set). "
        "The rules were written from survey phrasing and checked on the challenge set, so the challenge set "
        "cannot judge them; these public splits were not used to write them. On each text a rule fires on: "
        f"accuracy of the rule's label and of the shipped {found['profile']} model's label against the human "
        "sentiment label. These splits are Reddit comments and film subtitles, not survey answers, "
        "so rules fire rarely and the counts are small.",
        "",
        "| split | language | texts | rule fired | rule kind | n | rule accuracy | model accuracy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    pooled = {"n": 0, "rule": 0.0, "model": 0.0}
    for name, split in found["splits"].items():
        for kind, v in split["by_kind"].items():
            lines.append(
                f"| {name} | {split['language']} | {split['n']:,} | {split['fired']} | {kind} | {v['n']} | "
                f"{v['rule_accuracy']:.2f} | {v['model_accuracy']:.2f} |"
            )
            pooled["n"] += v["n"]
            pooled["rule"] += v["n"] * v["rule_accuracy"]
            pooled["model"] += v["n"] * v["model_accuracy"]
    if pooled["n"]:
        lines.append(
            f"| **all** | | | | | **{pooled['n']}** | **{pooled['rule'] / pooled['n']:.2f}** | "
            f"**{pooled['model'] / pooled['n']:.2f}** |"
        )
    return lines
