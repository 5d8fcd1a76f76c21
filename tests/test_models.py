"""Shipped model folders: loadable, documented, and as good on held-out public data as their cards say."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import f1_score

from conftest import ROOT, SHARED_DATA
from vocnlp.classifiers import LinearHead, load_model_folder

MODELS = ["sentiment-usem3", "emotion-usem3"]


@pytest.mark.parametrize("name", MODELS)
def test_model_folder_is_complete(name):
    folder = ROOT / "models" / name
    model = load_model_folder(folder)
    assert model.backbone == "usem3"
    card = (folder / "MODEL_CARD.md").read_text()
    assert "CC BY 4.0" in card and "GoEmotions" in card
    metrics = json.loads((folder / "metrics.json").read_text())
    assert "goemotions_test" in metrics


def test_linear_head_honours_sklearn_contract():
    head = LinearHead(C=0.5, multilabel=True)
    assert clone(head).get_params() == head.get_params()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    Y = np.stack([(X[:, 0] > 0), (X[:, 1] > 0.5)], axis=1).astype(int)
    fitted = head.fit(X, Y, classes=["a", "b"])
    assert fitted is head and head.predict(X).shape == (200, 2)
    assert f1_score(Y, head.tune_thresholds(X, Y).predict(X), average="macro") > 0.9


@pytest.mark.skipif(not (SHARED_DATA / "goemotions").is_dir(), reason="public data folder ../shared/data not present")
def test_sentiment_head_reproduces_its_card_on_held_out_data():
    from vocnlp.embeddings import load_backbone
    from vocnlp.training.datasets import sentiment_splits

    split = sentiment_splits(SHARED_DATA)["goemotions_test"]
    model = load_model_folder(ROOT / "models" / "sentiment-usem3")
    pred = np.asarray(model.labels)[model.predict_proba(load_backbone("usem3").encode(split.texts)).argmax(axis=1)]
    macro = f1_score(split.y, pred, average="macro")
    card = json.loads((ROOT / "models" / "sentiment-usem3" / "metrics.json").read_text())
    assert macro == pytest.approx(card["goemotions_test"]["macro_f1"], abs=0.002)
    assert macro > 0.6
