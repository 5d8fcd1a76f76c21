"""Trained theme models: user files against a taxonomy, the zero-shot prior, Banking77 splits, pipeline use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, SHARED_DATA, run_cli
from vocnlp.errors import ConfigError
from vocnlp.modeling import LinearHead, load_model_folder

TINY_THEMES = ROOT / "tests" / "data" / "tiny_themes.csv"
TAXONOMY = ROOT / "configs" / "taxonomies" / "generic_cx.yaml"


@pytest.fixture(scope="module")
def theme_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("themes") / "tiny-themes"
    done = run_cli(
        "train",
        "--task",
        "themes",
        "--train-file",
        str(TINY_THEMES),
        "--label-column",
        "themes",
        "--language-column",
        "language",
        "--taxonomy",
        str(TAXONOMY),
        "--out",
        str(folder),
    )
    assert done.returncode == 0, done.stderr
    return folder


def test_theme_model_covers_the_whole_taxonomy(theme_model):
    from vocnlp.taxonomy.schema import load_taxonomy

    model = load_model_folder(theme_model)
    assert model.task == "themes" and model.multilabel  # two rows carry two themes
    training = model.info["training"]
    assert training["refit_on_train_and_dev"] and training["calibrated_on"] == "the dev splits"
    # The refit keeps what dev tuned: the saved thresholds are not the fresh-fit default of 0.5 everywhere.
    assert set(np.round(model.head.thresholds_, 2)) != {0.5}
    assert model.labels == sorted(t.id for t in load_taxonomy(TAXONOMY).themes)
    # Themes without a labelled dev row keep the neutral threshold instead of the grid's lowest value.
    thresholds = dict(zip(model.labels, model.head.thresholds_))
    assert thresholds["delivery"] == 0.5 and thresholds["price"] == 0.5


def test_pipeline_reads_the_trained_theme_model(theme_model):
    from vocnlp import analyze, load_config

    cfg = load_config()
    cfg.stage("themes").params["model"] = str(theme_model)
    # The delivery sentence paraphrases a seed phrase: a model with no labelled delivery row knows the theme only
    # from the taxonomy, and on looser paraphrases ("Le colis n'est jamais arrivé.") this tiny model misses it.
    texts = [
        "Conseillère adorable mais la facture est fausse.",
        "Le colis a été livré avec deux semaines de retard.",
        "Bonjour",
    ]
    result = analyze(pd.DataFrame({"comment": texts}), cfg)
    found = result.mentions.groupby("comment_id")["theme_id"].agg(set)
    assert found["row-1"] == {"staff", "billing"}
    assert "delivery" in found["row-2"]  # no labelled row: learnt from the taxonomy's seed phrases alone
    assert "row-3" not in found
    assert result.mentions["confidence"].between(0, 1).all()
    # Every theme is the model's, so each mention's probability is the model's own (calibrated) probability.
    assert result.mentions["probability"].equals(result.mentions["confidence"])
    assert "trained model" in next(s for s in result.meta["stages"] if s["name"] == "themes")["method"]


def test_theme_labels_must_be_taxonomy_ids(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,themes\nThe bill was wrong,billing\nToo slow,speed_of_light\nRude staff,staff\n")
    done = run_cli(
        "train",
        "--task",
        "themes",
        "--train-file",
        str(bad),
        "--label-column",
        "themes",
        "--taxonomy",
        str(TAXONOMY),
        "--out",
        str(tmp_path / "x"),
    )
    assert done.returncode == 2 and "speed_of_light" in done.stderr and "not theme ids" in done.stderr


def test_pipeline_refuses_a_theme_model_with_foreign_themes(tmp_path):
    from vocnlp import Pipeline, load_config

    rows = [
        ("The bill was wrong", "billing"),
        ("Wrong amount charged", "billing"),
        ("Billed twice", "billing"),
        ("Invoice error", "billing"),
        ("Overcharged again", "billing"),
        ("Facture fausse", "billing"),
        ("The parrot was sad", "parrots"),
        ("Our parrot got ill", "parrots"),
        ("A parrot in the shop", "parrots"),
        ("Parrots everywhere", "parrots"),
        ("Le perroquet", "parrots"),
        ("Parrot food", "parrots"),
    ]
    path = tmp_path / "parrots.csv"
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(path, index=False)
    assert (
        run_cli("train", "--task", "themes", "--train-file", str(path), "--out", str(tmp_path / "parrots")).returncode
        == 0
    )
    cfg = load_config()
    cfg.stage("themes").params["model"] = str(tmp_path / "parrots")
    with pytest.raises(ConfigError, match="parrots"):
        Pipeline(cfg).setup()


def test_threshold_tuning_ignores_labels_absent_from_dev():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0], axis=1).astype(int)
    head = LinearHead(multilabel=True).fit(X, Y)
    dev_Y = Y[:50].copy()
    dev_Y[:, 1] = 0
    head.tune_thresholds(X[:50], dev_Y)
    assert head.thresholds_[1] == 0.5 and head.thresholds_[0] != 0.5


@pytest.mark.data
def test_banking77_few_shot_split_and_prior():
    from vocnlp.training.train import public_training_data

    data = public_training_data("themes", "banking77", SHARED_DATA, seed=3, shots=10)
    train = data.train[0]
    assert len(train.texts) == 770 and pd.Series(train.y).value_counts().eq(10).all()
    assert data.labels == sorted(data.labels) and len(data.labels) == 77
    assert data.dev[0].texts == train.texts and len(data.test[0].texts) == 3080
    assert "card arrival" in data.prior[0].texts
    again = public_training_data("themes", "banking77", SHARED_DATA, seed=3, shots=10)
    assert again.train[0].texts == train.texts  # seeded
    full = public_training_data("themes", "banking77", SHARED_DATA)
    assert len(full.train[0].texts) + len(full.dev[0].texts) == 10003


def test_review_queue_round_trip(sample_run, tmp_path):
    from vocnlp.taxonomy.review import ASSIGNED, NEAR_MISS, export_review_queue, import_review
    from vocnlp.taxonomy.schema import load_taxonomy
    from vocnlp.training.train import file_training_data

    _, out_dir, _ = sample_run
    queue_file = tmp_path / "review.csv"
    queue = export_review_queue(out_dir, queue_file, per_theme=5, sampled_per_theme=5)
    assert queue.groupby(["theme_id", "queue"]).size().max() <= 5
    assert not queue.duplicated(["theme_id", "evidence"]).any()
    mentions = pd.read_parquet(out_dir / "mentions.parquet")
    for theme, rows in queue[queue["queue"] == ASSIGNED].groupby("theme_id"):
        # The queue holds each theme's least confident mentions.
        others = mentions[(mentions["theme_id"] == theme) & ~mentions["evidence"].isin(rows["evidence"])]
        assert others.empty or rows["confidence"].max() <= others["confidence"].min()
    # ...and the likeliest missed ones: clauses with no theme that scored just under a theme's threshold.
    near = pd.read_parquet(out_dir / "near_misses.parquet")
    missed = queue[queue["queue"] == NEAR_MISS]
    assert len(near) and len(missed) and missed["theme_id"].nunique() >= 3
    assert (
        (near["threshold"] - near["confidence"] > 0) & (near["threshold"] - near["confidence"] <= 0.06 + 1e-9)
    ).all()
    assert (
        not near.set_index(["comment_id", "sentence_index"])
        .index.isin(mentions.set_index(["comment_id", "sentence_index"]).index)
        .any()
    )
    filled = pd.read_csv(queue_file, keep_default_na=False)
    filled["verdict"] = ["oui", "no", "no", ""] * (len(filled) // 4) + ["yes"] * (len(filled) % 4)
    filled.loc[filled["verdict"] == "no", "correct_themes"] = ["staff|billing.refund", ""] * int(
        (filled["verdict"] == "no").sum() // 2
    ) + [""] * int((filled["verdict"] == "no").sum() % 2)
    filled.to_csv(queue_file, index=False)
    labelled_file = tmp_path / "labelled.csv"
    counts = import_review(queue_file, labelled_file)
    labelled = pd.read_csv(labelled_file)
    assert (
        counts["written"]
        == len(labelled)
        == (counts["confirmed"] + counts["corrected"] + counts["rejected_without_correction"])
    )
    assert (
        counts["rejected_without_correction"]
        and (labelled["themes"] == "none").sum() == counts["rejected_without_correction"]
    )
    assert counts["not_reviewed"] == (filled["verdict"] == "").sum()
    assert set(labelled["text"]) <= set(filled["evidence"])
    # The imported file is training data as it stands: sub-theme ids map to their parent.
    data = file_training_data("themes", labelled_file, label_column="themes", taxonomy=load_taxonomy(TAXONOMY))
    assert {"staff", "billing"} <= set(data.labels)
    # A rejected assignment is a negative example: a row with no theme at all.
    rows = pd.concat([pd.Series(s.texts) for s in data.train + data.dev + data.test], ignore_index=True)
    labels = np.vstack([np.asarray(s.y) for s in data.train + data.dev + data.test])
    rejected = set(labelled.loc[labelled["themes"] == "none", "text"]) - set(
        labelled.loc[labelled["themes"] != "none", "text"]
    )
    assert rejected and (labels[rows.isin(rejected).to_numpy()].sum(axis=1) == 0).all()


def test_review_import_names_bad_verdicts(tmp_path):
    from vocnlp.errors import InputFileError
    from vocnlp.taxonomy.review import import_review

    path = tmp_path / "review.csv"
    path.write_text(
        "comment_id,theme_id,theme_name,evidence,confidence,verdict,correct_themes\n"
        "C1,billing,Billing,The bill was wrong,0.5,yes,\nC2,staff,Staff,Kind adviser,0.5,maybe,\n"
    )
    with pytest.raises(InputFileError, match=r"neither yes nor no \(lines \[3\]\)"):
        import_review(path, tmp_path / "out.csv")


def test_trained_model_survives_a_merge_through_aliases(theme_model, tmp_path):
    from vocnlp import analyze, load_config
    from vocnlp.taxonomy.edits import merge, read_document, write_document

    write_document(merge(read_document(TAXONOMY), "waiting", "effort"), tmp_path / "merged.yaml")
    cfg = load_config()
    cfg.stage("themes").params.update(model=str(theme_model), taxonomy=str(tmp_path / "merged.yaml"))
    result = analyze(pd.DataFrame({"comment": ["J'ai attendu quarante minutes au téléphone."]}), cfg)
    assert "effort" in set(result.mentions["theme_id"]) and "waiting" not in set(result.mentions["theme_id"])


def test_none_rows_train_as_negative_examples(tmp_path):
    from vocnlp.errors import InputFileError
    from vocnlp.taxonomy.schema import load_taxonomy
    from vocnlp.training.train import file_training_data

    frame = pd.read_csv(TINY_THEMES)
    negatives = pd.DataFrame(
        {
            "text": [
                "Nothing else to add.",
                "I filled in this survey on my phone.",
                "Rien d'autre à dire.",
                "J'ai répondu depuis mon téléphone.",
                "See my previous answer.",
                "Client depuis 2019.",
            ],
            "themes": ["none", "None", "none", "none", "NONE", "none"],
            "language": ["en", "en", "fr", "fr", "en", "fr"],
        }
    )
    path = tmp_path / "with_negatives.csv"
    pd.concat([frame, negatives], ignore_index=True).to_csv(path, index=False)
    data = file_training_data(
        "themes", path, label_column="themes", language_column="language", taxonomy=load_taxonomy(TAXONOMY)
    )
    splits = data.train + data.dev + data.test
    assert "none" not in data.labels
    assert sum(int((np.asarray(s.y).sum(axis=1) == 0).sum()) for s in splits) == len(negatives)
    done = run_cli(
        "train",
        "--task",
        "themes",
        "--train-file",
        str(path),
        "--label-column",
        "themes",
        "--language-column",
        "language",
        "--taxonomy",
        str(TAXONOMY),
        "--out",
        str(tmp_path / "model"),
    )
    assert done.returncode == 0, done.stderr
    assert load_model_folder(tmp_path / "model").multilabel
    pd.DataFrame({"text": ["The bill is wrong"], "themes": ["billing|none"]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InputFileError, match="say 'none' and also name labels"):
        file_training_data("themes", tmp_path / "bad.csv", label_column="themes", taxonomy=load_taxonomy(TAXONOMY))


def test_remap_carries_a_whole_run_over_to_a_merged_taxonomy(sample_run, tmp_path):
    import shutil

    from vocnlp.report import REPORT_FILE, build_report
    from vocnlp.taxonomy.edits import merge, read_document, write_document

    _, out_dir, _ = sample_run
    run = tmp_path / "run"
    shutil.copytree(out_dir, run)
    before_mentions = pd.read_parquet(run / "mentions.parquet")
    either = set(before_mentions.loc[before_mentions["theme_id"].isin(["waiting", "effort"]), "comment_id"])
    merged = tmp_path / "merged.yaml"
    write_document(merge(read_document(TAXONOMY), "waiting", "effort"), merged)
    build_report(run, "fr")
    assert "Attente et réactivité" in (run / REPORT_FILE).read_text(encoding="utf-8")
    done = run_cli("taxonomy", "remap", str(run), "--taxonomy", str(merged))
    assert done.returncode == 0, done.stderr
    assert "vocnlp_results.xlsx" in done.stdout
    mentions = pd.read_parquet(run / "mentions.parquet")
    comments = pd.read_parquet(run / "comments.parquet")
    wide = pd.read_parquet(run / "themes_wide.parquet")
    drivers = pd.read_csv(run / "drivers.csv")
    book = pd.read_csv(run / "codebook.csv")
    assert (
        "waiting" not in set(mentions["theme_id"])
        and set(mentions.loc[mentions["theme_id"] == "effort", "comment_id"]) == either
    )
    assert not comments["themes"].fillna("").str.contains("waiting").any()
    counts = comments["comment_id"].map(mentions.groupby("comment_id").size()).fillna(0)
    assert (comments["theme_count"] == counts).all()
    assert "theme_waiting" not in wide and set(wide.loc[wide["theme_effort"] == 1, "comment_id"]) == either
    assert "waiting" not in set(book["theme_id"]) and "waiting" not in set(drivers["driver_id"])
    effort = drivers[(drivers["outcome"] == "nps") & (drivers["driver_id"] == "effort")].iloc[0]
    scored = set(comments.loc[comments["nps_score"].notna(), "comment_id"])  # the NPS drivers' base
    assert effort["mentions"] == len(either & scored)
    assert not pd.read_parquet(run / "near_misses.parquet")["theme_id"].eq("waiting").any()
    # The workbook follows: its theme sheets are replaced in place, the other sheets kept as they were.
    sheets = pd.read_excel(run / "vocnlp_results.xlsx", sheet_name=None)
    before_sheets = pd.read_excel(out_dir / "vocnlp_results.xlsx", sheet_name=None)
    assert list(sheets) == list(before_sheets)
    assert "waiting" not in set(sheets["mentions"]["theme_id"]) and len(sheets["mentions"]) == len(mentions)
    assert "theme_waiting" not in sheets["themes_wide"] and "waiting" not in set(sheets["codebook"]["theme_id"])
    assert "waiting" not in set(sheets["drivers"]["driver_id"])
    assert sheets["run_info"].equals(before_sheets["run_info"])
    # ...and the report is rebuilt in the language it was written in.
    report = (run / REPORT_FILE).read_text(encoding="utf-8")
    assert '<html lang="fr">' in report and "Attente et réactivité" not in report


def test_a_one_sentence_comment_reuses_its_sentences_theme_probabilities(pipeline):
    """The themes stage reads one-sentence comments' probabilities off their sentence's row (same vector, same
    language) instead of running the model on the comment again: the same figures as running it."""
    from vocnlp.pipeline.registry import Batch

    texts = [
        "La facture est fausse.",
        "The engineer never came. I waited at home all day, and nobody called.",
        "Great service",
        "",
        "Livraison rapide. Colis abîmé, mais le service client a remboursé.",
    ]
    comments = pd.DataFrame(
        {"comment_id": [f"c{i}" for i in range(len(texts))], "_text": texts, "language": ["fr", "en", "en", "", "fr"]}
    )
    stages = {s.name: s for s in pipeline.setup().stages}
    batch = Batch(comments=comments)
    for name in ("sentences", "embed"):
        batch = stages[name](batch)
    trained = stages["themes"]._trained
    mask = (comments["_text"] != "").to_numpy()
    sentence_proba = trained.sentence_proba(batch)
    reused = trained.comment_proba_reusing(batch, mask, sentence_proba)
    np.testing.assert_allclose(reused, trained.comment_proba(batch, mask), rtol=0, atol=1e-9)
    counts = batch.sentences["comment_id"].value_counts()
    assert counts["c0"] == 1 and counts["c1"] > 1  # both kinds of comment are in the check
