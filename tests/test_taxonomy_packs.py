"""Industry packs: every bundled pack validates and keeps the generic top-level ids; bad packs fail clearly;
``industry`` (``--industry``) points the themes and effort stages at the pack."""

from __future__ import annotations

import pytest

from vocnlp import load_config
from vocnlp.errors import ConfigError
from vocnlp.resources import resource_path
from vocnlp.taxonomy.packs import bundled_industries
from vocnlp.taxonomy.schema import load_taxonomy

FOLDER = resource_path("configs/taxonomies")
GENERIC = load_taxonomy(FOLDER / "generic_cx.yaml")
PACKS = bundled_industries(FOLDER)


def test_the_promised_industries_are_bundled():
    assert set(PACKS) >= {"insurance", "telecom", "banking", "energy", "retail", "transport", "public_services"}


@pytest.mark.parametrize("industry", PACKS)
def test_each_pack_validates_keeps_the_generic_ids_and_adds_customer_voice(industry):
    pack = load_taxonomy(FOLDER / f"{industry}.yaml")
    assert pack.extends == "generic_cx.yaml"
    assert [t.id for t in pack.themes] == [t.id for t in GENERIC.themes]
    # Nothing of the generic taxonomy is lost: every generic sub-theme and seed is still there.
    assert {s.id for s in GENERIC.subthemes} <= {s.id for s in pack.subthemes}
    assert set(GENERIC.prototypes()) <= set(pack.prototypes())
    for theme in GENERIC.themes:
        added = len(pack.prototypes(theme.id)) - len(GENERIC.prototypes(theme.id))
        assert added >= 20, f"{industry}: only {added} new seed phrases for '{theme.id}'"
    new_subthemes = [s for s in pack.subthemes if s.id not in {g.id for g in GENERIC.subthemes}]
    assert new_subthemes, f"{industry} adds no sub-theme"
    for sub in new_subthemes:
        assert sub.seeds.get("en") and sub.seeds.get("fr"), f"{sub.id} needs seeds in both languages"


def _pack(tmp_path, body: str):
    path = tmp_path / "pack.yaml"
    path.write_text(f"id: test_pack\nextends: {FOLDER / 'generic_cx.yaml'}\n{body}", encoding="utf-8")
    return path


def test_a_pack_adds_seeds_and_sub_themes(tmp_path):
    path = _pack(
        tmp_path,
        """themes:
  - id: delivery
    seeds: {en: [the van never came]}
    subthemes:
      - id: delivery.parcel_damaged
        name: {en: Damaged parcel, fr: Colis abîmé}
        seeds: {en: [the box was crushed], fr: [colis arrivé écrasé]}
""",
    )
    tax = load_taxonomy(path)
    assert ("delivery", "", "the van never came") in tax.prototypes("delivery")
    assert tax.theme("delivery.parcel_damaged").parent == "delivery"
    assert len(tax.themes) == len(GENERIC.themes)


@pytest.mark.parametrize(
    "body, message",
    [
        ("themes:\n  - id: parking\n    seeds: {en: [no parking]}\n", "not a top-level theme of the base"),
        ("themes:\n  - id: price\n    name: {en: Cost, fr: Coût}\n", "redefines its name"),
        (
            "themes:\n  - id: price\n    subthemes:\n      - id: cost.fees\n        name: {en: Fees, fr: Frais}\n"
            "        seeds: {en: [fees]}\n",
            "does not start with 'price.'",
        ),
        ("themes:\n  - id: price\n  - id: price\n", "appears twice"),
        ("themes:\n  - id: price\n    seeds: [cheap]\n", "seeds must map languages to lists"),
    ],
)
def test_bad_packs_say_what_to_fix(tmp_path, body, message):
    with pytest.raises(ConfigError, match=message):
        load_taxonomy(_pack(tmp_path, body))


def test_a_pack_that_extends_itself_is_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("id: loop\nextends: loop.yaml\nthemes: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="extends itself"):
        load_taxonomy(path)


def test_industry_points_the_theme_and_effort_stages_at_the_pack():
    cfg = load_config(overrides={"industry": "telecom"})
    assert cfg.stage("themes").params["taxonomy"] == "configs/taxonomies/telecom.yaml"
    assert cfg.stage("effort").params["taxonomy"] == "configs/taxonomies/telecom.yaml"
    with pytest.raises(ConfigError, match="Unknown industry 'aerospace'.*insurance"):
        load_config(overrides={"industry": "aerospace"})


def test_industry_and_a_custom_taxonomy_conflict_clearly(tmp_path):
    config = tmp_path / "c.yaml"
    stages = load_config().model_dump()["pipeline"]["stages"]
    for stage in stages:
        if stage["name"] == "themes":
            stage["params"]["taxonomy"] = "my_taxonomy.yaml"
    import yaml

    config.write_text(yaml.safe_dump({"pipeline": {"stages": stages}, "industry": "banking"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="both choose a taxonomy"):
        load_config(config)
