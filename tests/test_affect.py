"""Sentiment and emotion in the pipeline: both languages, profiles, and the challenge set as a regression floor."""

from __future__ import annotations

import pandas as pd
import pytest

from vocnlp import analyze, load_config
from vocnlp.benchmarking.challenge import challenge_path, run_challenge
from vocnlp.errors import ConfigError


def test_french_and_english_comments_reach_the_model_and_get_their_polarity():
    comments = ["Excellent service, the adviser was wonderful.", "Service excellent, la conseillère était formidable.",
                "Terrible experience, I am furious with this company.",
                "Expérience horrible, je suis furieux contre cette entreprise."]
    result = analyze(pd.DataFrame({"comment": comments}))
    out = result.comments
    assert out["language"].tolist() == ["en", "fr", "en", "fr"]
    assert out["sentiment"].tolist() == ["positive", "positive", "negative", "negative"]
    assert (out["sentiment_score"].iloc[:2] > 0.5).all() and (out["sentiment_score"].iloc[2:] < -0.5).all()
    assert out.loc[2, "emotion_anger"] > out.loc[0, "emotion_anger"]
    assert out.loc[3, "emotion_anger"] > out.loc[1, "emotion_anger"]
    models = {s["name"]: s.get("model") for s in result.meta["stages"]}
    assert models["sentiment"] == "models/sentiment-usem3" and models["emotion"] == "models/emotion-usem3"


def test_profiles_set_backbone_and_models():
    fast, accurate = load_config(), load_config(overrides={"profile": "accurate"})
    assert fast.stage("embed").params["backbone"] == "usem3"
    assert accurate.stage("embed").params["backbone"] == "usem3+minilm"
    assert accurate.stage("sentiment").params["model"] == "models/sentiment-usem3-minilm"
    assert accurate.stage("sentiment").params["mixed_threshold"] == fast.stage("sentiment").params["mixed_threshold"]
    with pytest.raises(ConfigError, match="Unknown profile 'turbo'"):
        load_config(overrides={"profile": "turbo"})


def test_challenge_set_is_balanced_and_covers_the_cx_cases():
    frame = pd.read_csv(challenge_path(), keep_default_na=False)
    assert len(frame) >= 200 and frame["id"].is_unique
    assert (frame["language"].value_counts() == len(frame) // 2).all()
    assert set(frame["category"]) >= {"negation", "nothing_to_report", "sarcasm", "mixed", "emoji", "typos",
                                      "caps_anger"}
    assert set(frame["expected"]) == {"negative", "neutral", "positive", "mixed"}


def test_challenge_set_regression_floor():
    # A floor under today's figures (BENCHMARKS.md), so a regression shows; not an accuracy claim.
    rows, figures = run_challenge(load_config())
    plain = rows[rows["category"].isin(["plain", "emoji"])]
    assert plain["correct"].mean() >= 0.6
    assert figures["by_language"]["en"]["accuracy"] >= 0.35 and figures["by_language"]["fr"]["accuracy"] >= 0.35


def test_a_model_with_its_own_body_reads_capitals_as_the_shared_embeddings_do():
    stages = [{"name": n} for n in ("normalise", "language", "sentences", "embed")]
    cfg = load_config(None, {"pipeline": {"stages": stages + [
        {"name": "emotion", "params": {"model": "models/emotion-usem3-tuned"}}]}})
    out = analyze(pd.DataFrame({"comment": ["CANCEL MY ACCOUNT IMMEDIATELY", "Cancel my account immediately"]}),
                  cfg).comments
    columns = [c for c in out.columns if c.startswith("emotion_")]
    assert columns and (out.loc[0, columns] == out.loc[1, columns]).all()  # the tuned body saw sentence case too
