"""Taxonomy edits: rename, merge, move, split; aliases keep old ids reachable; mentions re-expressed."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import ROOT, run_cli
from vocnlp.errors import ConfigError
from vocnlp.taxonomy.edits import alias_map, merge, move, read_document, remap_mentions, rename, split, write_document
from vocnlp.taxonomy.schema import load_taxonomy

GENERIC = ROOT / "configs" / "taxonomies" / "generic_cx.yaml"


@pytest.fixture()
def document():
    return read_document(GENERIC)


def test_edits_keep_every_old_id_reachable(document, tmp_path):
    edited = rename(document, "staff", en="People")
    edited = merge(edited, "price", "billing")
    edited = move(edited, "billing.refund", "resolution")
    edited = split(edited, "effort", ["effort.repeat_contact"], "chasing", "Chasing", "Relances")
    taxonomy = write_document(edited, tmp_path / "edited.yaml")
    assert taxonomy.version == load_taxonomy(GENERIC).version + 4
    assert [h["version"] for h in edited["history"]] == [2, 3, 4, 5]
    assert taxonomy.theme("staff").name("en") == "People" and taxonomy.theme("staff").name("fr")
    ids = alias_map(taxonomy)
    assert ids["price"] == "billing" and ids["price.too_expensive"] == "billing.too_expensive"
    assert ids["billing.refund"] == "resolution.refund" and ids["effort.repeat_contact"] == "chasing.repeat_contact"
    assert "too expensive" in [p for _, _, p in taxonomy.prototypes("billing")]
    assert document["version"] == 1 and any(t["id"] == "price" for t in document["themes"])  # input untouched


@pytest.mark.parametrize(
    "edit,needle",
    [
        (lambda d: merge(d, "price", "price"), "into itself"),
        (lambda d: merge(d, "price", "nowhere"), "no top-level theme 'nowhere'"),
        (lambda d: move(d, "billing.nothing", "price"), "no sub-theme 'billing.nothing'"),
        (lambda d: split(d, "effort", ["billing.refund"], "chasing", "C", "R"), "has no sub-theme"),
        (lambda d: split(d, "effort", ["effort.transferred"], "billing", "C", "R"), "already exists"),
    ],
)
def test_impossible_edits_say_why(document, edit, needle):
    with pytest.raises(ConfigError, match=needle):
        edit(document)


def test_an_edit_that_breaks_validation_is_not_saved(document, tmp_path):
    target = tmp_path / "tax.yaml"
    target.write_text(GENERIC.read_text(encoding="utf-8"), encoding="utf-8")
    document["themes"][1]["id"] = document["themes"][0]["id"]
    with pytest.raises(ConfigError, match="duplicate ids|does not start with"):
        write_document(document, target)
    assert target.read_text(encoding="utf-8") == GENERIC.read_text(encoding="utf-8")
    assert not list(tmp_path.glob("*.tmp"))


def test_remap_mentions_follows_renames_merges_and_moves(document, tmp_path):
    taxonomy = write_document(
        move(merge(rename(document, "staff", en="People"), "price", "billing"), "billing.refund", "resolution"),
        tmp_path / "t.yaml",
    )
    mentions = pd.DataFrame(
        {
            "comment_id": ["c1", "c1", "c2", "c3"],
            "theme_id": ["price", "billing", "staff", "billing"],
            "theme_name": ["Price", "Billing", "Staff", "Billing"],
            "subtheme_id": ["price.too_expensive", "billing.error", None, "billing.refund"],
            "sentence_index": [0, 1, 0, 0],
            "evidence": ["too dear", "wrong bill", "kind", "no refund"],
            "sentiment": ["negative"] * 4,
            "sentiment_score": [-0.5] * 4,
            "confidence": [0.7, 0.6, 0.8, 0.5],
        }
    )
    out = remap_mentions(mentions, taxonomy).set_index(["comment_id", "theme_id"])
    assert list(out.index) == [("c1", "billing"), ("c2", "staff"), ("c3", "resolution")]
    assert out.loc[("c1", "billing"), "evidence"] == "too dear"  # the more confident of the merged pair
    assert out.loc[("c2", "staff"), "theme_name"] == "People"
    assert out.loc[("c3", "resolution"), "subtheme_id"] == "resolution.refund"
    with pytest.raises(ConfigError, match="neither has nor lists"):
        remap_mentions(mentions.assign(theme_id="ghost"), taxonomy)


def test_taxonomy_cli_edits_in_place_and_reports(tmp_path):
    path = tmp_path / "tax.yaml"
    path.write_text(GENERIC.read_text(encoding="utf-8"), encoding="utf-8")
    done = run_cli("taxonomy", "merge", str(path), "price", "billing")
    assert done.returncode == 0, done.stderr
    assert "merge price into billing" in done.stdout and "version 2" in done.stdout
    assert "price" not in [t.id for t in load_taxonomy(path).themes]
    done = run_cli("taxonomy", "merge", str(path), "price", "billing")
    assert done.returncode == 2 and "no top-level theme 'price'" in done.stderr


def test_edits_keep_the_files_comments_and_layout(document, tmp_path):
    target = tmp_path / "tax.yaml"
    write_document(rename(document, "staff", en="People"), target)
    before, after = GENERIC.read_text(encoding="utf-8"), target.read_text(encoding="utf-8")
    comments = [line.strip() for line in before.splitlines() if line.strip().startswith("#")]
    assert comments and all(c in after for c in comments)
    # Untouched seed lists keep their one-line flow style.
    flow = next(line for line in before.splitlines() if line.strip().startswith("en: [too expensive"))
    assert flow in after.splitlines()


def test_a_comma_that_cuts_a_name_in_two_is_an_error(tmp_path):
    path = tmp_path / "tax.yaml"
    path.write_text(
        GENERIC.read_text(encoding="utf-8").replace(
            'name: {en: "Delivery, installation & appointments"', "name: {en: Delivery, installation & appointments"
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="'installation & appointments' with no value; a comma"):
        load_taxonomy(path)
    assert load_taxonomy(GENERIC).theme("delivery").name("en") == "Delivery, installation & appointments"
