"""Editing a taxonomy: rename, merge, move and split themes while keeping ids traceable.

Edits work on the YAML document and are validated by loading the result. An
id never silently disappears: when a theme is merged into another, or a
sub-theme moves (its id carries its parent), the old id is kept in the new
owner's ``aliases``. :func:`remap_mentions` uses them to carry an existing
``mentions`` table over to the edited taxonomy without re-running anything,
and a trained theme model keeps working through them. Each edit bumps the
version and is logged under ``history``. The file is rewritten with
ruamel.yaml's round-trip mode, so the user's comments, key order and list
styles survive (parts an edit rebuilds, such as a moved sub-theme, are written
in block style).
"""

from __future__ import annotations

import copy
import io
from pathlib import Path

import pandas as pd
from ruamel.yaml import YAML

from vocnlp.errors import ConfigError
from vocnlp.taxonomy.schema import Taxonomy, load_taxonomy


def _round_trip() -> YAML:
    yaml = YAML()  # round-trip mode: comments and layout are part of the document
    yaml.width = 4096  # long one-line seed lists stay on one line, as written
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)  # the layout of the shipped taxonomies
    return yaml


def read_document(path: str | Path) -> dict:
    """The YAML document of a taxonomy (a dict that remembers its comments), after checking that it loads."""
    load_taxonomy(path)
    return _round_trip().load(Path(path).read_text(encoding="utf-8"))


def write_document(document: dict, path: str | Path) -> Taxonomy:
    """Write the document and load it back (so an edit that breaks validation is reported, not saved)."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    text = io.StringIO()
    _round_trip().dump(document, text)
    tmp.write_text(text.getvalue(), encoding="utf-8")
    try:
        taxonomy = load_taxonomy(tmp)
    except ConfigError:
        tmp.unlink()
        raise
    tmp.replace(path)
    return taxonomy


def _top(document: dict, theme_id: str) -> dict:
    for entry in document["themes"]:
        if entry["id"] == theme_id:
            return entry
    raise ConfigError(
        f"There is no top-level theme '{theme_id}'.",
        f"Top-level themes: {', '.join(t['id'] for t in document['themes'])}.",
    )


def _sub(document: dict, subtheme_id: str) -> tuple[dict, dict]:
    for entry in document["themes"]:
        for sub in entry.get("subthemes") or []:
            if sub["id"] == subtheme_id:
                return entry, sub
    raise ConfigError(f"There is no sub-theme '{subtheme_id}'.", "Sub-theme ids look like 'billing.refund'.")


def _logged(document: dict, change: str) -> dict:
    document["version"] = int(document.get("version", 1)) + 1
    document.setdefault("history", []).append({"version": document["version"], "change": change})
    return document


def _reparent(sub: dict, parent_id: str) -> dict:
    """A sub-theme under a new parent: new id, old id (and its aliases) kept as aliases."""
    new_id = f"{parent_id}.{sub['id'].split('.', 1)[1]}"
    if new_id != sub["id"]:
        sub = {**sub, "aliases": list(dict.fromkeys(list(sub.get("aliases") or []) + [sub["id"]])), "id": new_id}
    return sub


def rename(document: dict, theme_id: str, en: str | None = None, fr: str | None = None) -> dict:
    """New display names for a theme or sub-theme; its id stays."""
    document = copy.deepcopy(document)
    entry = next((t for t in document["themes"] if t["id"] == theme_id), None) or _sub(document, theme_id)[1]
    old = dict(entry["name"])
    entry["name"] = {**old, **({"en": en} if en else {}), **({"fr": fr} if fr else {})}
    return _logged(document, f"rename {theme_id}: {old} -> {entry['name']}")


def merge(document: dict, source_id: str, into_id: str) -> dict:
    """Fold top-level theme ``source_id`` into ``into_id``: seeds, sub-themes and ids (as aliases)."""
    if source_id == into_id:
        raise ConfigError(f"Cannot merge '{source_id}' into itself.")
    document = copy.deepcopy(document)
    source, target = _top(document, source_id), _top(document, into_id)
    for lang, phrases in (source.get("seeds") or {}).items():
        target.setdefault("seeds", {}).setdefault(lang, [])
        target["seeds"][lang] = list(dict.fromkeys(target["seeds"][lang] + list(phrases)))
    target["subthemes"] = list(target.get("subthemes") or []) + [
        _reparent(s, into_id) for s in source.get("subthemes") or []
    ]
    target["aliases"] = list(
        dict.fromkeys(list(target.get("aliases") or []) + [source_id] + list(source.get("aliases") or []))
    )
    document["themes"] = [t for t in document["themes"] if t["id"] != source_id]
    return _logged(document, f"merge {source_id} into {into_id}")


def move(document: dict, subtheme_id: str, new_parent: str) -> dict:
    """Move a sub-theme under another top-level theme (its id changes; the old one becomes an alias)."""
    document = copy.deepcopy(document)
    parent, sub = _sub(document, subtheme_id)
    target = _top(document, new_parent)
    parent["subthemes"] = [s for s in parent["subthemes"] if s["id"] != subtheme_id]
    target["subthemes"] = list(target.get("subthemes") or []) + [_reparent(sub, new_parent)]
    return _logged(document, f"move {subtheme_id} under {new_parent}")


def split(document: dict, theme_id: str, subtheme_ids: list[str], new_id: str, en: str, fr: str) -> dict:
    """Make a new top-level theme ``new_id`` from some sub-themes of ``theme_id``."""
    document = copy.deepcopy(document)
    source = _top(document, theme_id)
    if any(t["id"] == new_id for t in document["themes"]):
        raise ConfigError(f"A theme '{new_id}' already exists.", "Choose a new id for the split-off theme.")
    moving = [s for s in source.get("subthemes") or [] if s["id"] in subtheme_ids]
    missing = sorted(set(subtheme_ids) - {s["id"] for s in moving})
    if missing or not moving:
        raise ConfigError(
            f"'{theme_id}' has no sub-theme(s) {missing or subtheme_ids}.",
            f"Its sub-themes: {', '.join(s['id'] for s in source.get('subthemes') or [])}.",
        )
    source["subthemes"] = [s for s in source["subthemes"] if s["id"] not in subtheme_ids]
    document["themes"].append(
        {"id": new_id, "name": {"en": en, "fr": fr}, "subthemes": [_reparent(s, new_id) for s in moving]}
    )
    return _logged(document, f"split {', '.join(subtheme_ids)} out of {theme_id} as {new_id}")


def alias_map(taxonomy: Taxonomy) -> dict[str, str]:
    """Every current id to itself and every alias to the id that now holds it."""
    out = {t.id: t.id for t in taxonomy.themes + taxonomy.subthemes}
    for theme in taxonomy.themes + taxonomy.subthemes:
        for alias in theme.extra.get("aliases") or []:
            out.setdefault(str(alias), theme.id)
    return out


def remap_mentions(mentions: pd.DataFrame, taxonomy: Taxonomy, language: str = "en") -> pd.DataFrame:
    """A mentions table re-expressed in an edited taxonomy (new ids through aliases, new names).

    Mentions of two themes merged into one become one mention per comment (the
    most confident). A mention records one sub-theme, so a comment whose
    mention of a theme came from a sub-theme that moved goes with it as a
    whole; re-run the analysis where that matters. Ids the taxonomy does not
    know any more are an error: re-run the themes stage instead.
    """
    ids = alias_map(taxonomy)
    parent = {s.id: s.parent for s in taxonomy.subthemes}
    unknown = sorted(set(mentions["theme_id"]) - set(ids))
    if unknown:
        raise ConfigError(
            f"Mentions use theme ids {unknown} that taxonomy '{taxonomy.id}' neither has nor lists as aliases.",
            "Re-run the analysis with the edited taxonomy.",
        )
    out = mentions.copy()
    sub = out["subtheme_id"].map(lambda s: ids.get(s, s) if isinstance(s, str) else s)
    # A moved sub-theme takes its new parent along.
    out["theme_id"] = [parent.get(s, ids[t]) if isinstance(s, str) else ids[t] for s, t in zip(sub, out["theme_id"])]
    out["subtheme_id"] = sub
    out["theme_name"] = out["theme_id"].map(lambda t: taxonomy.theme(t).name(language))
    out = out.sort_values(
        ["comment_id", "theme_id", "confidence"], ascending=[True, True, False], kind="stable"
    ).drop_duplicates(["comment_id", "theme_id"])
    return out.loc[sorted(out.index)].reset_index(drop=True)
