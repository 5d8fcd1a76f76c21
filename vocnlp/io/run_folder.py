"""A run's output folder that is either complete and consistent, or absent: staged, published, checked.

``vocnlp run`` writes into a hidden staging folder beside ``--out`` and moves it into place only when every file is
written, ending with ``manifest.json`` (vocnlp's version, each file's size and SHA-256, the row counts). A run killed
half-way leaves the previous folder (or none) and a staging folder that the next run into the same place removes.
``vocnlp report``, ``taxonomy remap`` and ``review`` read only folders whose manifest matches their files, so a
folder mixing one run's tables with another's summary is refused instead of being reported as one run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vocnlp.errors import VocnlpError


@dataclass(frozen=True)
class RunFiles:
    """The names of a run folder's files, in one place: the writer, the report, remap and review all use these."""

    comments: str = "comments.parquet"
    comments_csv: str = "comments.csv"
    mentions: str = "mentions.parquet"
    mentions_csv: str = "mentions.csv"
    near_misses: str = "near_misses.parquet"
    themes_wide: str = "themes_wide.parquet"
    themes_wide_csv: str = "themes_wide.csv"
    codebook: str = "codebook.csv"
    drivers: str = "drivers.csv"
    scores_by_group: str = "scores_by_group.csv"
    score_comparisons: str = "score_comparisons.csv"
    summary: str = "summary.json"
    validation: str = "validation.json"
    config: str = "config.resolved.yaml"
    workbook: str = "vocnlp_results.xlsx"
    report: str = "report.html"
    manifest: str = "manifest.json"


FILES = RunFiles()
MANIFEST = FILES.manifest
# A view rebuilt from the tables at any time (`vocnlp report`), so not pinned by the manifest.
UNPINNED = {MANIFEST, FILES.report}
STAGING_PREFIX = ".vocnlp-staging-"
_CHUNK = 1 << 20


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes (read in blocks, so a large dump is never held in memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def is_run_folder(folder: str | Path) -> bool:
    """Whether ``folder`` holds a run's manifest (complete or not: :func:`check_run_folder` says)."""
    return (Path(folder) / MANIFEST).is_file()


def check_out_dir(out_dir: str | Path, overwrite: bool = False, keep: tuple[str | Path, ...] = ()) -> Path:
    """Refuse, before any analysis, an ``--out`` that cannot become a run folder; returns it as a Path.

    A file, a folder of other files (unless ``overwrite``), or a place this user cannot write to is an error that
    says what to do. An earlier run folder is replaced by the new run as a whole, so no file of it is left behind;
    for that reason ``--out`` may never be the current folder, one above it, or a folder holding a path of ``keep``
    (the input file), whatever ``overwrite`` says.
    """
    out = Path(out_dir)
    resolved = out.resolve()
    for precious in (Path.cwd(), *map(Path, keep)):
        precious = precious.resolve()
        if resolved == precious or resolved in precious.parents:
            raise VocnlpError(
                f"--out '{out}' holds "
                f"{'the current folder' if precious == Path.cwd().resolve() else precious}"
                ", and a run replaces its --out folder as a whole.",
                "Give a folder of its own for the outputs, e.g. --out results/.",
            )
    if out.exists() and not out.is_dir():
        raise VocnlpError(
            f"--out '{out}' is a file, not a folder.", "Give a folder for the outputs (created if needed)."
        )
    # A folder written by an earlier vocnlp (no manifest yet) is a run folder too: re-running into it is expected.
    earlier_run = all((out / name).is_file() for name in (FILES.summary, FILES.config))
    if (
        out.is_dir()
        and not is_run_folder(out)
        and not earlier_run
        and any(p.name != ".DS_Store" for p in out.iterdir())
    ):
        if not overwrite:
            raise VocnlpError(
                f"--out '{out}' holds other files and is not a vocnlp run folder.",
                "Give a new or empty folder, or add --overwrite to replace that folder and everything in it.",
            )
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent))
        probe.rmdir()
    except OSError as exc:
        raise VocnlpError(
            f"vocnlp cannot write beside --out '{out}' ({exc.strerror or exc}).", "Choose a folder you can write to."
        ) from None
    return out


def start_staging(out_dir: str | Path) -> Path:
    """A new, empty hidden folder beside ``out_dir`` to write a run into; stale ones of killed runs are removed."""
    out = Path(out_dir).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    for stale in out.parent.glob(f"{STAGING_PREFIX}{out.name}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{out.name}-", dir=out.parent))


def write_manifest(folder: str | Path, rows: dict[str, int] | None = None) -> Path:
    """Write ``manifest.json`` last: every other file of ``folder`` with its size and SHA-256, and row counts."""
    from vocnlp import __version__

    folder = Path(folder)
    files = {
        p.name: {"bytes": p.stat().st_size, "sha256": file_digest(p)}
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name not in UNPINNED and not p.name.startswith(".")
    }
    manifest = {"format": "vocnlp-run", "vocnlp_version": __version__, "rows": dict(rows or {}), "files": files}
    partial = folder / f".{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, folder / MANIFEST)
    return folder / MANIFEST


def publish(staging: Path, out_dir: str | Path) -> Path:
    """Move a finished staging folder into place as ``out_dir``, replacing an earlier one as a whole."""
    out = Path(out_dir)
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{out.name}-old-", dir=out.absolute().parent))
        old.rmdir()
        os.replace(out, old)
    os.replace(staging, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out


def check_run_folder(folder: str | Path) -> dict:
    """The manifest of a complete, consistent run folder; a clear error for anything else."""
    folder = Path(folder)
    if not folder.is_dir():
        raise VocnlpError(f"'{folder}' is not a folder.", "Give the --out folder of a 'vocnlp run'.")
    path = folder / MANIFEST
    if not path.is_file():
        raise VocnlpError(
            f"'{folder}' has no {MANIFEST}: it is not a complete vocnlp run folder (not written by "
            "'vocnlp run', written by an earlier vocnlp, or its run was interrupted).",
            f"Run 'vocnlp run COMMENTS --out {folder}' again.",
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
    except (ValueError, KeyError, TypeError):
        raise VocnlpError(f"'{path}' is damaged.", f"Run 'vocnlp run COMMENTS --out {folder}' again.") from None
    changed = [
        name
        for name, entry in files.items()
        if not (folder / name).is_file()
        or (folder / name).stat().st_size != entry.get("bytes")
        or file_digest(folder / name) != entry.get("sha256")
    ]
    if changed:
        raise VocnlpError(
            f"'{folder}' does not match its {MANIFEST}: {', '.join(changed[:8])} "
            f"{'is' if len(changed) == 1 else 'are'} missing or changed since the run, so its files "
            "may come from different runs.",
            f"Run 'vocnlp run COMMENTS --out {folder}' again (or 'vocnlp taxonomy remap' if you "
            "changed only the taxonomy).",
        )
    return manifest
