"""How the public data files are read into the CX label sets (beyond the label maps of configs/labels.yaml)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import SHARED_DATA
from vocnlp.training.datasets import label_mappings, sentiment_splits, xed_neutral_lines


def test_neutral_lines_are_read_without_their_label_column(tmp_path):
    (tmp_path / "xed").mkdir()
    (tmp_path / "xed" / "neu_en.txt").write_text(
        "9\tYes.\n9\tDawn is breaking\t\t\t\n\t\t\t\t\n9\tI don't know.\n", encoding="utf-8"
    )
    assert xed_neutral_lines(tmp_path) == ["Yes.", "Dawn is breaking", "I don't know."]


@pytest.mark.data
def test_banking77_faults_are_negative_and_requests_neutral_in_the_sentiment_splits():
    mapping = label_mappings()["sentiment"]["banking77"]
    intents = set(json.loads((SHARED_DATA / "banking77" / "categories.json").read_text()))
    assert set(mapping) == {"negative", "neutral"}
    assert set(mapping["negative"]) <= intents and set(mapping["neutral"]) <= intents
    assert not set(mapping["negative"]) & set(mapping["neutral"])

    splits = sentiment_splits(SHARED_DATA)
    train_file = pd.read_csv(SHARED_DATA / "banking77" / "train.csv")
    test_file = pd.read_csv(SHARED_DATA / "banking77" / "test.csv")
    mapped = train_file[train_file["category"].isin(mapping["negative"] + mapping["neutral"])]
    train, dev, test = (splits[f"banking77_sentiment_{s}"] for s in ("train", "dev", "test"))
    # Train and dev share out the mapped rows of Banking77's training file; its test file stays the test split.
    assert len(train.texts) + len(dev.texts) == len(mapped) and 0.08 < len(dev.texts) / len(mapped) < 0.12
    assert sorted(train.texts + dev.texts) == sorted(mapped["text"])
    assert len(test.texts) == test_file["category"].isin(mapping["negative"] + mapping["neutral"]).sum()
    assert test.dropped == len(test_file) - len(test.texts)
    charged_twice = set(test_file.loc[test_file["category"] == "transaction_charged_twice", "text"])
    labels = dict(zip(test.texts, test.y))
    assert charged_twice and {labels[t] for t in charged_twice} == {"negative"}
    assert set(np.unique(np.concatenate([train.y, dev.y, test.y]))) == {"negative", "neutral"}
