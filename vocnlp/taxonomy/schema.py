"""Theme taxonomies: load and validate the bilingual two-level YAML files in configs/taxonomies/."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from vocnlp.errors import ConfigError

LANGUAGES = ("en", "fr")


@dataclass
class Theme:
    """A theme or sub-theme with its bilingual names, description and seed phrases."""

    id: str
    names: dict[str, str]
    description: dict[str, str] = field(default_factory=dict)
    seeds: dict[str, list[str]] = field(default_factory=dict)
    parent: str | None = None
    extra: dict = field(default_factory=dict)

    def name(self, language: str = "en") -> str:
        """Name in ``language``, falling back to English."""
        return self.names.get(language) or self.names["en"]


@dataclass
class Taxonomy:
    """Top-level themes and their sub-themes, addressable by id."""

    id: str
    version: int
    themes: list[Theme]
    subthemes: list[Theme]
    source: str = ""
    # Survey non-answers ("ok", "RAS", "nothing to add"): a clause closer to these than to any seed gets no theme.
    no_theme_seeds: dict[str, list[str]] = field(default_factory=dict)
    # The base taxonomy file an industry pack extends ('' for a plain taxonomy).
    extends: str = ""

    def theme(self, theme_id: str) -> Theme:
        """Look up a theme or sub-theme by id."""
        for t in self.themes + self.subthemes:
            if t.id == theme_id:
                return t
        raise KeyError(theme_id)

    def children(self, theme_id: str) -> list[Theme]:
        """Sub-themes of a top-level theme."""
        return [s for s in self.subthemes if s.parent == theme_id]

    def prototypes(self, theme_id: str | None = None) -> list[tuple[str, str, str]]:
        """(theme id, sub-theme id or '', phrase) for every seed phrase and name.

        Names count as seeds: 'Billing error' is itself a good example of the theme.
        """
        out: list[tuple[str, str, str] | None] = []
        for theme in self.themes:
            if theme_id is not None and theme.id != theme_id:
                continue
            for lang in LANGUAGES:
                out += [(theme.id, "", p) for p in theme.seeds.get(lang, [])]
            for sub in self.children(theme.id):
                for lang in LANGUAGES:
                    out.append((theme.id, sub.id, sub.names[lang]) if lang in sub.names else None)
                    out += [(theme.id, sub.id, p) for p in sub.seeds.get(lang, [])]
        return [p for p in out if p is not None]


def _err(source: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"Taxonomy '{source}': {problem}.", fix)


def _theme(entry: dict, source: str, parent: str | None, where: str) -> Theme:
    if not isinstance(entry, dict) or not entry.get("id"):
        raise _err(source, f"{where} has no 'id'", "Give every theme a stable id such as 'billing' or 'billing.error'.")
    tid = str(entry["id"])
    names = entry.get("name") or {}
    if not isinstance(names, dict) or not all(names.get(lang) for lang in LANGUAGES):
        raise _err(source, f"theme '{tid}' needs a name in English and French", "Write name: {en: ..., fr: ...}.")
    for field_name in ("name", "description"):
        broken = [str(k) for k, v in (entry.get(field_name) or {}).items() if v is None]
        if broken:
            # YAML reads {en: Delivery, installation & appointments} as two keys: the comma ends the value.
            raise _err(
                source,
                f"theme '{tid}': {field_name} has an entry '{broken[0]}' with no value; a comma "
                f"inside {{en: ..., fr: ...}} ends the text there",
                f'Quote texts that hold commas: {field_name}: {{en: "..., ...", fr: "..."}}.',
            )
    if parent and not tid.startswith(parent + "."):
        raise _err(
            source,
            f"sub-theme '{tid}' is under '{parent}' but its id does not start with '{parent}.'",
            f"Rename it '{parent}.{tid.split('.')[-1]}' so ids show the hierarchy.",
        )
    seeds = entry.get("seeds") or {}
    if not isinstance(seeds, dict):
        raise _err(source, f"theme '{tid}': seeds must map languages to lists", "Write seeds: {en: [...], fr: [...]}.")
    known = {"id", "name", "description", "seeds", "subthemes"}
    return Theme(
        tid,
        {k: str(v) for k, v in names.items()},
        dict(entry.get("description") or {}),
        {k: [str(p) for p in v] for k, v in seeds.items()},
        parent,
        {k: v for k, v in entry.items() if k not in known},
    )


def _read(path: Path, seen: tuple = ()) -> dict:
    """The YAML mapping of ``path``; an industry pack (``extends: <base>.yaml``) comes merged into its base."""
    source = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _err(source, "file not found", "Check the 'taxonomy' path in the config.") from None
    except yaml.YAMLError as exc:
        raise _err(source, f"not valid YAML ({exc})", "Fix the YAML syntax.") from None
    if isinstance(data, dict) and "extends" in data:
        from vocnlp.taxonomy.packs import base_path, extend

        base_file = base_path(path, data)
        if base_file in seen:
            raise _err(source, f"it extends itself through {base_file.name}", "Point 'extends' at a plain taxonomy.")
        data = extend(_read(base_file, seen + (path.resolve(),)), data, source)
    return data


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and validate a taxonomy YAML file (duplicate ids, names, seeds).

    A file with ``extends: <base>.yaml`` is an industry pack: its seeds and
    sub-themes are merged into the base first (see :mod:`vocnlp.taxonomy.packs`).
    """
    path = Path(path)
    source = str(path)
    data = _read(path)
    if not isinstance(data, dict) or not isinstance(data.get("themes"), list) or not data["themes"]:
        raise _err(source, "no 'themes' list", "A taxonomy needs 'themes:' with at least one theme.")
    themes, subthemes = [], []
    for i, entry in enumerate(data["themes"]):
        theme = _theme(entry, source, None, f"theme #{i + 1}")
        if "." in theme.id:
            raise _err(
                source,
                f"top-level theme id '{theme.id}' contains a dot",
                "Dots separate a sub-theme from its parent; use '_' inside top-level ids.",
            )
        themes.append(theme)
        for j, sub in enumerate(entry.get("subthemes") or []):
            subthemes.append(_theme(sub, source, theme.id, f"sub-theme #{j + 1} of '{theme.id}'"))
    ids = [t.id for t in themes + subthemes]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise _err(source, f"duplicate ids {dupes}", "Every theme and sub-theme id must be unique.")
    no_theme = data.get("no_theme_seeds") or {}
    if not isinstance(no_theme, dict) or not all(isinstance(v, list) for v in no_theme.values()):
        raise _err(
            source, "no_theme_seeds must map languages to lists", "Write no_theme_seeds: {en: [...], fr: [...]}."
        )
    tax = Taxonomy(
        str(data.get("id", path.stem)),
        int(data.get("version", 1)),
        themes,
        subthemes,
        source,
        {k: [str(p) for p in v] for k, v in no_theme.items()},
        str(data.get("extends") or ""),
    )
    empty = [t.id for t in themes if not tax.prototypes(t.id)]
    if empty:
        raise _err(source, f"themes {empty} have no seed phrases", "Add seeds (en/fr) to the theme or its sub-themes.")
    return tax
