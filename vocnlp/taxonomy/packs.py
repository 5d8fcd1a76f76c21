"""Industry packs: a taxonomy file that ``extends`` another and adds seeds and sub-themes.

A pack (``configs/taxonomies/<industry>.yaml``) keeps the base taxonomy's
top-level ids, so driver tables, exports and the trained theme model stay
comparable across industries; it only adds how customers of that industry
talk (seed phrases) and the sub-themes they need (claims handling, network
coverage...). Merging happens on the raw YAML mapping, before the usual
validation in :func:`vocnlp.taxonomy.schema.load_taxonomy`.
"""

from __future__ import annotations

from pathlib import Path

from vocnlp.errors import ConfigError


def _err(source: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"Taxonomy pack '{source}': {problem}.", fix)


def _merge_seeds(target: dict, extra: dict | None, source: str, where: str, key: str = "seeds") -> None:
    """Append ``extra`` phrases (language → list) to ``target[key]``, skipping repeats."""
    if not extra:
        return
    if not isinstance(extra, dict) or not all(isinstance(v, list) for v in extra.values()):
        raise _err(source, f"{where}: {key} must map languages to lists", f"Write {key}: {{en: [...], fr: [...]}}.")
    seeds = {lang: list(phrases) for lang, phrases in (target.get(key) or {}).items()}
    for lang, phrases in extra.items():
        have = seeds.setdefault(lang, [])
        have += [p for p in phrases if p not in have]
    target[key] = seeds


def _merge_theme(base_theme: dict, pack_theme: dict, source: str) -> dict:
    """The base theme with the pack's seeds, sub-theme seeds and new sub-themes added."""
    tid = base_theme["id"]
    merged = {**base_theme, "subthemes": [dict(s) for s in base_theme.get("subthemes") or []]}
    for key in ("seeds", "low_effort_seeds"):  # the effort stage reads the second
        _merge_seeds(merged, pack_theme.get(key), source, f"theme '{tid}'", key)
    for key in ("name", "description"):
        if key in pack_theme:
            raise _err(
                source,
                f"theme '{tid}' redefines its {key}",
                "A pack adds seeds and sub-themes; rename themes in the base taxonomy.",
            )
    by_id = {s["id"]: s for s in merged["subthemes"]}
    for sub in pack_theme.get("subthemes") or []:
        if not isinstance(sub, dict) or not sub.get("id"):
            raise _err(source, f"a sub-theme of '{tid}' has no 'id'", f"Give it an id such as '{tid}.claims'.")
        if sub["id"] in by_id:
            _merge_seeds(by_id[sub["id"]], sub.get("seeds"), source, f"sub-theme '{sub['id']}'")
        else:
            merged["subthemes"].append(dict(sub))  # names and id prefix are checked by load_taxonomy
    return merged


def extend(base: dict, pack: dict, source: str) -> dict:
    """Merge a pack mapping into its base taxonomy mapping (both as read from YAML)."""
    if not isinstance(base, dict) or not isinstance(base.get("themes"), list):
        raise _err(source, "the taxonomy it extends has no 'themes' list", "Point 'extends' at a full taxonomy file.")
    base_ids = [t.get("id") for t in base["themes"] if isinstance(t, dict)]
    pack_themes = pack.get("themes") or []
    if not isinstance(pack_themes, list):
        raise _err(source, "'themes' must be a list", "Write themes: [{id: price, seeds: ...}, ...].")
    by_id = {}
    for entry in pack_themes:
        tid = entry.get("id") if isinstance(entry, dict) else None
        if tid not in base_ids:
            raise _err(
                source,
                f"theme '{tid}' is not a top-level theme of the base taxonomy",
                f"Packs keep the base's top-level ids ({', '.join(map(str, base_ids))}); "
                "add a sub-theme under one of them instead.",
            )
        if tid in by_id:
            raise _err(source, f"theme '{tid}' appears twice", "Write each theme once.")
        by_id[tid] = entry
    themes = [_merge_theme(t, by_id[t["id"]], source) if t.get("id") in by_id else t for t in base["themes"]]
    no_theme = {lang: list(v) for lang, v in (base.get("no_theme_seeds") or {}).items()}
    for lang, phrases in (pack.get("no_theme_seeds") or {}).items():
        no_theme.setdefault(lang, []).extend(p for p in phrases if p not in no_theme[lang])
    return {
        **base,
        "id": pack.get("id", base.get("id")),
        "version": pack.get("version", base.get("version", 1)),
        "themes": themes,
        "no_theme_seeds": no_theme,
        "extends": str(pack["extends"]),
    }


def base_path(pack_path: Path, pack: dict) -> Path:
    """The file a pack extends, relative to the pack's folder."""
    name = pack.get("extends")
    if not isinstance(name, str) or not name.strip():
        raise _err(str(pack_path), "'extends' must name a taxonomy file", "Write extends: generic_cx.yaml.")
    return (pack_path.parent / name).resolve()


def bundled_industries(folder: Path) -> list[str]:
    """Industry pack names in ``folder`` (files whose YAML says ``extends:``)."""
    return sorted(p.stem for p in folder.glob("*.yaml") if "\nextends:" in "\n" + p.read_text(encoding="utf-8"))
