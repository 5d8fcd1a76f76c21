"""Locate files shipped with vocnlp (models, configs, the bundled sample).

They live at the top of the git checkout (``models/``, ``configs/``,
``data/sample/``) and inside the package (``vocnlp/_bundled/...``) in an
installed wheel. Every lookup goes through :func:`resource_path` so both
layouts work.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_CANDIDATE_ROOTS = (_PACKAGE_DIR / "_bundled", _PACKAGE_DIR.parent)


def resource_root() -> Path:
    """Return the directory holding ``models/`` and ``configs/``."""
    for root in _CANDIDATE_ROOTS:
        if (root / "configs" / "default.yaml").is_file():
            return root
    raise FileNotFoundError(
        "vocnlp cannot find its bundled configs: neither "
        + " nor ".join(str(r / "configs") for r in _CANDIDATE_ROOTS)
        + " exists. Reinstall vocnlp (pip install vocnlp) or run from a full git checkout."
    )


def resource_path(relative: str | Path) -> Path:
    """Resolve a path relative to the bundled resources (``models/x``, ``configs/y``)."""
    return resource_root() / relative


def resolve_user_or_bundled(path: str | Path, base_dir: Path | None = None) -> Path:
    """Find ``path`` as given, relative to ``base_dir`` (a config's folder), or bundled.

    Configs name models and taxonomies by relative paths such as
    ``models/sentiment-usem3``; a user's own files take precedence over the
    bundled ones so a config can point at a locally trained model.
    """
    p = Path(path).expanduser()
    if p.is_absolute():
        return p
    for candidate in ((base_dir / p) if base_dir else None, Path.cwd() / p):
        if candidate is not None and candidate.exists():
            return candidate
    bundled = resource_path(p)
    if bundled.exists():
        return bundled
    # Configs under configs/ name taxonomies relative to that folder.
    bundled_cfg = resource_path(Path("configs") / p)
    if bundled_cfg.exists():
        return bundled_cfg
    return p
