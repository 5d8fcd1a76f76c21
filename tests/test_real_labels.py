"""Labels on real customer comments: the written training corpus, the real-data benchmark, adaptation, mixed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from benchmarks import real_data
from conftest import ROOT, SHARED_DATA
from vocnlp import analyze
from vocnlp.analysis.adaptation import adapt_sentiment
from vocnlp.config import AdaptationConfig, load_config

CX_REAL = SHARED_DATA / "cx_real"
needs_real_data = pytest.mark.skipif(
    not (CX_REAL / "labelled_comments.csv").is_file(), reason="../shared/data/cx_real is not beside this checkout"
)


def test_every_written_comment_is_well_formed_and_uses_taxonomy_ids():
    from vocnlp.taxonomy.schema import load_taxonomy
    from vocnlp.training.written_corpus import read_written_corpus, written_theme_splits

    taxonomy = load_taxonomy(ROOT / "configs/taxonomies/generic_cx.yaml")
    ids = {t.id for t in taxonomy.themes}
    corpus = read_written_corpus()
    assert len(corpus) >= 5000 and set(corpus["language"]) == {"en", "fr"}
    assert set(corpus["sentiment"]) == {"negative", "neutral", "positive", "mixed"}
    for themes in corpus["themes"]:
        assert set(themes) <= ids and set(themes.values()) <= {"negative", "neutral", "positive"}
    splits = written_theme_splits(taxonomy)
    train, dev, test = (set(splits[k].texts) for k in ("train", "dev", "test"))
    assert not (train & dev) and not (train & test) and not (dev & test)
    assert sum(len(s) for s in (train, dev, test)) == len(corpus)


def test_theme_figures_count_hits_false_alarms_and_misses():
    gold = [{"price"}, {"price", "staff"}, set(), {"waiting"}]
    predicted = [{"price"}, {"staff"}, {"billing"}, set()]
    out = real_data.theme_scores(gold, predicted, ["billing", "price", "staff", "waiting"], draws=50)
    # hits: price, staff = 2; false alarms: billing = 1; misses: price, waiting = 2
    assert out["precision"] == pytest.approx(2 / 3) and out["recall"] == pytest.approx(2 / 4)
    assert out["micro_f1"] == pytest.approx(4 / 7)
    assert out["per_theme"]["price"] == {"gold": 2, "predicted": 1, "hits": 1}
    assert out["macro_themes"] == []  # no theme has 5 gold labels here
    low, high = out["micro_f1_ci"]
    assert low <= out["micro_f1"] <= high


def _memorising_data(n: int = 300, dim: int = 256, seed: int = 0):
    """Comments whose embeddings are noise and whose scores are coin flips: nothing to learn, much to memorise."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    high = rng.integers(0, 2, n)
    comments = pd.DataFrame(
        {
            "comment_id": [f"c{i}" for i in range(n)],
            "sentiment": "neutral",
            "sentiment_score": 0.0,
            "nps_category": np.where(high == 1, "promoter", "detractor"),
        }
    )
    return comments, vectors, high


def test_adaptation_is_cross_fitted_no_comment_is_scored_by_a_model_that_saw_its_score():
    comments, vectors, high = _memorising_data()
    # The same model fitted on every row reads each row's own score back: that is what cross-fitting prevents.
    in_sample = LogisticRegression(C=1.0, max_iter=2000).fit(np.hstack([vectors, np.zeros((len(high), 1))]), high)
    leaked = roc_auc_score(high, in_sample.predict_proba(np.hstack([vectors, np.zeros((len(high), 1))]))[:, 1])
    assert leaked > 0.95
    info = adapt_sentiment(comments, vectors, AdaptationConfig(enabled=True), (1, 5))
    assert info["used"] and info["outcome"] == "nps" and info["cross_fitted"]
    adapted = roc_auc_score(high, comments["sentiment_score"])
    assert adapted < 0.65, f"adapted scores separate coin flips (AUC {adapted:.2f}): a row saw its own score"
    assert (comments["sentiment_score_model"] == 0.0).all()


def test_adaptation_learns_a_real_signal_and_keeps_neutral_and_mixed():
    rng = np.random.default_rng(1)
    n = 400
    direction = rng.normal(size=32)
    vectors = rng.normal(size=(n, 32)).astype(np.float32)
    stars = np.clip(np.round(3 + 1.5 * np.tanh(vectors @ direction / 3) + rng.normal(0, 0.5, n)), 1, 5)
    labels = np.where(np.arange(n) % 10 == 0, "mixed", np.where(np.arange(n) % 10 == 1, "neutral", "positive"))
    comments = pd.DataFrame({"comment_id": range(n), "sentiment": labels, "sentiment_score": 0.1, "csat_score": stars})
    info = adapt_sentiment(comments, vectors, AdaptationConfig(enabled=True, outcome="csat"), (1, 5))
    assert info["used"] and info["auc_adapted_out_of_fold"] > 0.75
    assert (comments["sentiment"][labels == "mixed"] == "mixed").all()
    assert (comments["sentiment"][labels == "neutral"] == "neutral").all()
    assert set(comments["sentiment"][labels == "positive"]) == {"positive", "negative"}


def test_adaptation_without_scores_says_why_and_changes_nothing():
    comments = pd.DataFrame({"comment_id": range(3), "sentiment": "positive", "sentiment_score": 0.5})
    info = adapt_sentiment(comments, np.zeros((3, 4), np.float32), AdaptationConfig(enabled=True), (1, 5))
    assert not info["used"] and "no NPS or CSAT" in info["reason"]
    assert "sentiment_score_model" not in comments and (comments["sentiment_score"] == 0.5).all()


def test_run_with_adapt_reports_it_in_the_summary_and_the_report(tmp_path):
    from vocnlp import write_outputs
    from vocnlp.report import build_report

    rng = np.random.default_rng(0)
    good = [
        "Great service, thank you",
        "Very happy with the advice",
        "Fast and friendly",
        "Parfait, rien à dire",
        "Conseillère au top",
        "Remboursé en deux jours, merci",
    ]
    bad = [
        "Still waiting for my refund",
        "Nobody answers the phone",
        "They charged me twice",
        "Toujours pas de réponse",
        "Sinistre refusé sans explication",
        "Trop cher pour ce que c'est",
    ]
    texts, nps = [], []
    for i in range(240):
        promoter = i % 2 == 0
        texts.append(f"{(good if promoter else bad)[i % 6]} ({i})")
        nps.append(int(rng.integers(9, 11)) if promoter else int(rng.integers(0, 5)))
    frame = pd.DataFrame({"comment": texts, "nps": nps})
    cfg = load_config()
    cfg.adaptation.enabled = True
    result = analyze(frame, cfg)
    adaptation = result.summary["adaptation"]
    assert adaptation["used"] and adaptation["outcome"] == "nps" and adaptation["weak_labels"] == 240
    assert "sentiment_score_model" in result.comments
    assert result.comments["sentiment_score"].notna().all()
    write_outputs(result, tmp_path, cfg, ["csv"])
    html = build_report(tmp_path, "en").read_text(encoding="utf-8")
    assert "Sentiment was adapted to this dump with its own NPS scores" in html and "240 comments" in html


def test_user_corrections_join_the_written_corpus_counted_five_times():
    from vocnlp.errors import InputFileError
    from vocnlp.taxonomy.schema import load_taxonomy
    from vocnlp.training.datasets import LabelledSplit, TrainingData
    from vocnlp.training.written_corpus import USER_REPEAT, with_written_corpus, written_training_data

    taxonomy = load_taxonomy(ROOT / "configs/taxonomies/generic_cx.yaml")
    labels = sorted(t.id for t in taxonomy.themes)
    y = np.zeros((2, len(labels)), dtype=np.int8)
    y[0, labels.index("staff")] = y[1, labels.index("billing")] = 1
    user = LabelledSplit("mine_train", ["Le gars au guichet était top", "Prélevé deux fois"], y, labels, "fr")
    both = with_written_corpus(TrainingData("file:mine", [user], [user], [user]), "themes", taxonomy)
    written = written_training_data("themes", taxonomy)
    assert both.train[0].texts.count("Prélevé deux fois") == USER_REPEAT
    assert len(both.train) == 1 + len(written.train) and both.prior
    assert len(both.dev) == 2 and len(both.test) == 2
    other = LabelledSplit("x_train", ["a"], np.ones((1, 1), dtype=np.int8), ["parking"], "en")
    with pytest.raises(InputFileError):
        with_written_corpus(TrainingData("file:x", [other], [other], [other]), "themes", taxonomy)


def test_a_glowing_review_with_one_reservation_is_positive_not_mixed():
    comments = analyze(
        pd.DataFrame(
            {
                "comment": [
                    "Excellent insurer, fast and friendly, I recommend them to everyone. Just a little expensive.",
                    "Conseillère adorable et très compétente. Par contre la facture est fausse depuis trois mois "
                    "et personne "
                    "ne la corrige.",
                ]
            }
        )
    ).comments
    assert comments.loc[0, "sentiment"] == "positive"
    assert comments.loc[1, "sentiment"] in ("mixed", "negative")


def test_a_theme_spread_over_clauses_is_found_in_the_whole_comment(pipeline):
    from vocnlp.io.readers import RawTable
    from vocnlp.pipeline.analysis_run import analyze_table

    frame = pd.DataFrame(
        {
            "comment": [
                "I called on Monday. I called again on Wednesday. Then again on Friday. "
                "Each time a new person, each time I explained it all from the start."
            ]
        }
    )
    raw = RawTable(frame, [1], details={"format": "dataframe"})
    result = analyze_table(raw, pipeline.config, pipeline=pipeline)
    mentions = result.mentions.set_index("theme_id")
    assert "effort" in mentions.index
    # Evidence is one of the comment's own clauses.
    assert mentions.loc["effort", "evidence"] in frame.loc[0, "comment"]
    # No single clause carries it: without the whole-comment reading the theme is missed.
    clauses_only = pipeline.config.model_copy(deep=True)
    clauses_only.stage("themes").params["whole_comment"] = False
    assert "effort" not in set(analyze_table(raw, clauses_only).mentions["theme_id"])


@needs_real_data
def test_real_data_benchmark_runs_on_a_tiny_slice():
    out = real_data.measure_real("fast", limit=12, draws=20, log=lambda m: None)
    for language in ("fr", "en"):
        labelled = out["labelled"][language]
        assert labelled["n"] == 12
        assert 0 <= labelled["themes"]["micro_f1"] <= 1 and len(labelled["themes"]["micro_f1_ci"]) == 2
        assert labelled["sentiment"]["n"] == 12
    assert out["insurance"]["n"] >= 12 and "gaps" in out["insurance"]
    assert {"fr", "en"} <= set(out["adaptation"])
    assert out["complaints"]["n"] == 12
    json.dumps(out)  # saved as benchmarks/results.json


@needs_real_data
def test_real_data_section_renders_first_in_benchmarks():
    from benchmarks.render_real import real_rows

    saved = json.loads((ROOT / "benchmarks" / "results.json").read_text(encoding="utf-8"))
    if "real" not in saved:
        pytest.skip("benchmarks/results.json has no real-data figures yet")
    lines = real_rows(saved)
    assert lines[0].startswith("## Real customer comments")
    text = (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")
    assert text.index("## Real customer comments") < text.index("## Targets (issue: sentiment and emotion)")
