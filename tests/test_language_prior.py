"""Language prior correction: a French label prior learnt from skewed training data stays out of the predictions."""

from __future__ import annotations

import numpy as np
import pytest

from vocnlp.errors import VocnlpError
from vocnlp.modeling import LinearHead, load_model_folder, save_model_folder
from vocnlp.modeling.heads.language_prior import LanguagePrior, match_parallel_value
from vocnlp.training.datasets import LabelledSplit, TrainingData
from vocnlp.training.parallel import training_prior
from vocnlp.training.train import train_and_score

LABELS = ["negative", "neutral", "positive"]
# Like the public data: English has neutral lines, the French lines all carry a feeling.
EN = {
    "neutral": [
        "I called to update my address.",
        "I pay by direct debit.",
        "The engineer came on Monday.",
        "I have two phone lines.",
        "I ordered online last week.",
        "My contract started in May.",
        "I use the app to see my bill.",
        "We moved house in June.",
    ],
    "negative": [
        "The service is terrible.",
        "I am furious about the bill.",
        "Worst support ever.",
        "They never answer the phone.",
        "Very disappointed, nothing works.",
        "The app is useless.",
        "I hate waiting for hours.",
        "Awful experience, I am leaving.",
    ],
    "positive": [
        "Great service, thank you!",
        "I love this company.",
        "Excellent support, very quick.",
        "The staff were wonderful.",
        "Very happy with my plan.",
        "Perfect, nothing to add.",
        "Brilliant app, easy to use.",
        "Fantastic help from the adviser.",
    ],
}
FR = {
    "negative": [
        "Le service est nul.",
        "Je suis furieux de la facture.",
        "Pire assistance de ma vie.",
        "Ils ne répondent jamais.",
        "Très déçu, rien ne marche.",
        "L'application est inutile.",
        "Je déteste attendre des heures.",
        "Expérience horrible, je pars.",
    ],
    "positive": [
        "Super service, merci !",
        "J'adore cette entreprise.",
        "Excellent support, très rapide.",
        "Le personnel était formidable.",
        "Très content de mon forfait.",
        "Parfait, rien à ajouter.",
        "Application géniale, facile.",
        "Aide fantastique du conseiller.",
    ],
}
FRENCH_FACTS = [
    "J'ai appelé pour changer mon adresse.",
    "Je paie par prélèvement.",
    "Le technicien est venu lundi.",
    "J'ai deux lignes téléphoniques.",
    "J'ai commandé en ligne la semaine dernière.",
    "Mon contrat a commencé en mai.",
]


def _split(name: str, by_label: dict, language: str) -> LabelledSplit:
    texts = [t for lines in by_label.values() for t in lines]
    y = np.asarray([label for label, lines in by_label.items() for _ in lines])
    return LabelledSplit(name, texts, y, LABELS, language)


def _data() -> TrainingData:
    en, fr = _split("toy_en", EN, "en"), _split("toy_fr", FR, "fr")
    facts = LabelledSplit("toy_fr_facts", FRENCH_FACTS, np.asarray(["neutral"] * len(FRENCH_FACTS)), LABELS, "fr")
    return TrainingData("toy", [en, fr], [en, fr], [facts])


def test_the_column_reads_one_when_training_and_the_fitted_value_when_predicting():
    prior = LanguagePrior(mode="parallel", value=0.25, fitted_on=900)
    X = np.zeros((3, 2), dtype=np.float32)
    assert prior.augment(X, ["fr", "en", "und"], training=True)[:, -1].tolist() == [1.0, 0.0, 0.0]
    assert prior.augment(X, ["fr", "en", "und"]).dtype == np.float32
    assert prior.augment(X, ["fr", "en", "fr"])[:, -1].tolist() == [0.25, 0.0, 0.25]
    assert LanguagePrior.from_info(prior.to_info()) == prior and LanguagePrior.from_info(None) is None
    with pytest.raises(ValueError, match="3 vectors but 2 row languages"):
        prior.augment(X, ["fr", "en"])


def test_training_prior_is_skipped_on_one_language_and_refuses_unknown_modes():
    data = _data()
    assert training_prior("keep", data) is None
    assert training_prior("english", data).value == 0.0
    english_only = TrainingData("en", [data.train[0]], [data.dev[0]], [])
    assert training_prior("english", english_only, log=lambda m: None) is None
    with pytest.raises(VocnlpError, match="Unknown language prior 'swiss'"):
        training_prior("swiss", data)


@pytest.mark.data  # the check reads XED's parallel pairs from the public data
def test_parallel_prior_needs_the_public_pairs(monkeypatch, tmp_path):
    monkeypatch.setenv("VOCNLP_CACHE", str(tmp_path / "cache"))
    with pytest.raises(VocnlpError, match="parallel pairs are among the training rows") as caught:
        train_and_score("sentiment", _data(), language_prior="parallel", log=lambda m: None)
    assert "--language-prior english" in caught.value.fix


def test_english_prior_lifts_french_facts_towards_neutral_and_round_trips(monkeypatch, tmp_path):
    monkeypatch.setenv("VOCNLP_CACHE", str(tmp_path / "cache"))
    quiet = dict(log=lambda m: None, head_params={"C": 10.0})
    keep, keep_metrics, _ = train_and_score("sentiment", _data(), language_prior="keep", **quiet)
    head, metrics, info = train_and_score("sentiment", _data(), language_prior="english", **quiet)
    assert info["language_prior"] == {"language": "fr", "mode": "english", "value": 0.0, "fitted_on_pairs": 0}
    assert head.n_features_in_ == keep.n_features_in_ + 1
    # Trained on French lines that are never neutral, the plain head reads French facts as feelings.
    assert keep_metrics["toy_fr_facts"]["accuracy"] < metrics["toy_fr_facts"]["accuracy"]

    folder = save_model_folder(
        tmp_path / "model", head, backbone="usem3", task="sentiment", info={"language_prior": info["language_prior"]}
    )
    model = load_model_folder(folder)
    X = np.random.default_rng(0).normal(size=(4, head.n_features_in_ - 1)).astype(np.float32)
    languages = ["fr", "en", "fr", "und"]
    assert np.allclose(
        model.predict_proba(X, languages),
        head.predict_proba(LanguagePrior(mode="english").augment(X, languages)),
        atol=1e-5,
    )
    with pytest.raises(ValueError, match="reads each row's language"):
        model.predict_proba(X)


def test_parallel_value_matches_the_neutral_share_of_the_english_side():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    french = rng.random(400) < 0.5
    # Neutral depends on the first feature, and French rows are never neutral in training.
    y = np.where(
        french,
        np.where(X[:, 1] > 0, "positive", "negative"),
        np.where(X[:, 0] > 0.5, "neutral", np.where(X[:, 1] > 0, "positive", "negative")),
    )
    prior = LanguagePrior(mode="parallel")
    head = LinearHead(C=10.0).fit(prior.augment(X, np.where(french, "fr", "en"), training=True), y)
    same = rng.normal(size=(200, 4))
    value = match_parallel_value(head, same, same)  # the same lines on both sides: the column must read 0
    assert value == 0.0
    shifted = match_parallel_value(head, same, same + np.array([1.0, 0, 0, 0]))  # French reads more neutral
    assert shifted > 0.0
