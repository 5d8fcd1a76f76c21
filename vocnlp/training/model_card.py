"""Generate MODEL_CARD.md from a model's metrics, so cards never disagree with measurements."""

from __future__ import annotations

from pathlib import Path

_DATA = {
    "sentiment": ("GoEmotions (Demszky et al., ACL 2020; Google Research; CC BY 4.0), labels grouped into "
                  "positive/negative/neutral by the paper's sentiment grouping; XED English and French projections "
                  "(Öhman et al., COLING 2020; University of Helsinki; CC BY 4.0), Plutchik labels grouped "
                  "(joy, trust → positive; anger, disgust, fear, sadness → negative), XED English neutral lines."),
    "emotion": ("GoEmotions (Demszky et al., ACL 2020; Google Research; CC BY 4.0), its 28 labels mapped onto the "
                "CX emotion set by configs/labels.yaml; thresholds tuned on the GoEmotions dev split. XED "
                "(Öhman et al., COLING 2020; CC BY 4.0) held-out lines for evaluation only."),
}


def write_model_card(folder: Path, *, task: str, backbone: str, labels: list[str], metrics: dict,
                     training: dict) -> Path:
    """Write ``MODEL_CARD.md`` in ``folder``."""
    rows = "\n".join(
        f"| {name} | {m['language']} | {m['n']} | {m['macro_f1']:.3f} | "
        + (f"{m['accuracy']:.3f}" if "accuracy" in m else f"{m['micro_f1']:.3f} (micro-F1)") + " |"
        for name, m in metrics.items())
    per_label = "\n".join(
        f"| {name} | " + ", ".join(f"{lab} {f:.2f}" for lab, f in m["per_label_f1"].items()) + " |"
        for name, m in metrics.items())
    train_sizes = ", ".join(f"{k}: {v}" for k, v in training["train_splits"].items())
    text = f"""# {folder.name}

**Task**: {task} ({'multi-label' if task == 'emotion' else 'single-label'}); labels: {', '.join(labels)}.
**Architecture**: frozen `{backbone}` sentence embeddings + logistic-regression head (`vocnlp.classifiers.LinearHead`).
**Languages**: trained mostly on English; French through the multilingual backbone{' and XED French projections' if task == 'sentiment' else ' only (no French training data)'}.

## Training data and licence
{_DATA[task]}
Training sizes: {train_sizes}. Seed {training['seed']}. Training took {training['train_seconds']} s on the machine that
wrote this card. Reproduce with `vocnlp train --task {task} --out models/{folder.name}`.

The head weights are a derivative of CC BY 4.0 data and are released under CC BY 4.0 with the attributions above.

## Evaluation (held-out splits; generated from metrics.json)
| split | language | n | macro-F1 | accuracy |
|---|---|---|---|---|
{rows}

Per-label F1:

| split | F1 by label |
|---|---|
{per_label}

## Intended use and known limits
- First-version head for the vocnlp pipeline: fast (one matrix product per comment on shared embeddings).
- Trained on Reddit comments and movie subtitles, not on customer feedback: CX phrasing ("RAS", "pas mal",
  billing vocabulary) is out of domain and may be misread. Held-out figures above are on the public data only.
- XED French labels are projections from English subtitles, not human French annotation.
- Probabilities are not yet calibrated; treat them as scores.
"""
    path = folder / "MODEL_CARD.md"
    path.write_text(text, encoding="utf-8")
    return path
