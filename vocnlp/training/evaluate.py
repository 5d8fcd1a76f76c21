"""Evaluate a saved model folder on public test splits or on a user's labelled file."""

from __future__ import annotations

import logging
from pathlib import Path

from vocnlp.errors import VocnlpError
from vocnlp.modeling import load_model_folder
from vocnlp.modeling.encoders import load_backbone
from vocnlp.training.datasets import split_languages
from vocnlp.training.embedding_cache import embed_split
from vocnlp.training.metrics import score_split
from vocnlp.training.train import public_training_data
from vocnlp.training.user_data import read_labelled_file

# Progress messages go to the 'vocnlp' loggers (the command line shows them); pass log= to redirect them.
_log = logging.getLogger(__name__).info


def evaluate_folder(
    model_dir: str | Path,
    *,
    data_set: str | None = "cx",
    data: str | Path | None = None,
    file: str | Path | None = None,
    text_column: str = "text",
    label_column: str = "label",
    language_column: str | None = None,
    label_separator: str = "|",
    seed: int = 0,
    log=_log,
) -> dict:
    """Scores of the model in ``model_dir``, per test split: a public data set or ``file``.

    A user file is evaluated whole (it is held-out data by the user's word);
    public data sets are evaluated on their test splits only.
    """
    model = load_model_folder(model_dir)
    if file is not None:
        splits = [
            read_labelled_file(
                file,
                text_column=text_column,
                label_column=label_column,
                language_column=language_column,
                multilabel=model.multilabel,
                label_separator=label_separator,
                labels=model.labels,
            )
        ]
    else:
        source = data_set or model.info.get("training", {}).get("source", "cx")
        splits = public_training_data(model.task, source, data, seed).test
        if list(splits[0].labels) != model.labels:
            raise VocnlpError(
                f"The model's labels {model.labels} are not those of '{source}' {list(splits[0].labels)}.",
                "Evaluate it on the data set it was trained for.",
            )
    backbone = model.own_encoder() if model.has_own_body else load_backbone(model.backbone)
    results = {}
    for split in splits:
        vectors = model.head_input(embed_split(split, backbone, log), split_languages(split))
        results[split.name] = score_split(model.head, vectors, split)
        log(f"  {split.name}: macro-F1 {results[split.name]['macro_f1']:.3f} (n={results[split.name]['n']:,})")
    return results
