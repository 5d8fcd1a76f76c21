"""Discovery: uncovered clauses only, deterministic per seed, stable across seeds, pasteable YAML."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import SAMPLE, run_cli
from vocnlp.taxonomy.discovery import cluster_clauses, cluster_keywords, discover


@pytest.fixture(scope="module")
def sample_frame():
    from vocnlp import load_config
    from vocnlp.io.readers import read_table
    from vocnlp.io.validate import validate

    cfg = load_config()
    return validate(read_table(SAMPLE), cfg.input).frame.iloc[:600], cfg


def test_discovery_is_deterministic_and_leaves_covered_clauses_out(sample_frame, sample_run, tmp_path):
    from vocnlp.taxonomy.schema import load_taxonomy

    frame, cfg = sample_frame
    first, again = discover(frame, cfg, seed=3), discover(frame, cfg, seed=3)
    pd.testing.assert_frame_equal(first.clusters, again.clusters)
    pd.testing.assert_frame_equal(first.clauses, again.clauses)
    assert first.snippet == again.snippet
    assert set(first.clusters["language"]) == {"en", "fr"}
    assert first.clusters["clauses"].sum() == len(first.clauses) and (first.clauses["cluster"] != "").all()
    # Every clause is in a cluster (no outlier bin), and all have at least three words.
    assert first.clauses["text"].str.count(r"[^\W\d_]{2,}").min() >= 3
    # No clause that a theme claimed in the full run comes back as uncovered.
    claimed = set(zip(sample_run[0].mentions["comment_id"], sample_run[0].mentions["evidence"]))
    assert not claimed & set(zip(first.clauses["comment_id"], first.clauses["text"]))
    # The snippet can be pasted into a taxonomy as it is.
    themes = yaml.safe_load(first.snippet)
    path = tmp_path / "tax.yaml"
    path.write_text(yaml.safe_dump({"id": "t", "version": 1, "themes": themes}, allow_unicode=True), encoding="utf-8")
    assert len(load_taxonomy(path).themes) == len(first.clusters)
    # A number of clusters chosen at the upper bound is said, since the best one may lie beyond it.
    capped = discover(frame, cfg, seed=3, max_clusters=2)
    assert len(capped.warnings) == 2 and all("largest allowed (2)" in w for w in capped.warnings)


def test_clustering_recovers_separated_groups_whatever_the_seed():
    rng = np.random.default_rng(0)
    centres = np.linalg.qr(rng.normal(size=(32, 4)))[0].T  # four orthogonal directions
    X = np.vstack([c + 0.15 * rng.normal(size=(40, 32)) for c in centres])
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    truth = np.repeat(np.arange(4), 40)
    from sklearn.metrics import adjusted_rand_score

    for seed in range(3):
        assert adjusted_rand_score(truth, cluster_clauses(X, seed=seed, max_clusters=8)) == 1.0


def test_keywords_are_particular_to_their_cluster():
    texts = [
        "the parcel arrived late",
        "late parcel again",
        "parcel never arrived",
        "the app crashes",
        "app crashes on login",
        "login to the app fails",
    ]
    words = cluster_keywords(texts, np.asarray([0, 0, 0, 1, 1, 1]), "en")
    assert "parcel" in words[0] and "app" in words[1] and "the" not in words[0]


def test_discover_command_writes_its_files(tmp_path):
    path = tmp_path / "few.csv"
    # Two topics outside every theme of the generic taxonomy (a store's music would be its service quality).
    rows = [
        "The parking at the store is always full",
        "No parking spaces near the shop",
        "Parking is impossible on Saturdays",
        "I would love a loyalty card for regular shoppers",
        "Please start a loyalty card scheme",
        "A loyalty scheme with points would be nice",
    ] * 2
    pd.DataFrame({"comment": rows}).to_csv(path, index=False)
    done = run_cli("discover", str(path), "--out", str(tmp_path / "out"), "--clusters", "2")
    assert done.returncode == 0, done.stderr
    clusters = pd.read_csv(tmp_path / "out" / "candidate_themes.csv")
    assert clusters["clauses"].sum() == 12
    assert {"parking", "loyalty"} <= {w.strip() for ks in clusters["keywords"] for w in ks.split(",")}
    assert (tmp_path / "out" / "candidate_themes.yaml").read_text().startswith("# Candidate themes")
