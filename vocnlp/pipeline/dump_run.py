"""What ``vocnlp run`` does with a comment dump, in one call: analyse it with its chunks kept on disk, write the
run folder, remove the chunks. The command line and the speed benchmark both call it, so they measure one path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa

from vocnlp.config import RunConfig
from vocnlp.io.writers import write_outputs
from vocnlp.pipeline.analysis_run import analyze_file
from vocnlp.pipeline.checkpoints import work_folder
from vocnlp.pipeline.result import AnalysisResult
from vocnlp.pipeline.runner import ChunkEngine


def analyze_dump_to_folder(
    path: str | Path,
    config: RunConfig,
    out_dir: str | Path,
    formats: list[str],
    *,
    progress: bool | None = None,
    resume: bool = False,
    engine: ChunkEngine | None = None,
) -> tuple[AnalysisResult, dict[str, Path]]:
    """Analyse the dump at ``path`` into ``out_dir`` (``resume``: continue a killed run; ``engine``: where the
    chunks are analysed, this process when None); returns the result and {file name: path}."""
    # Text columns live in Arrow buffers; Arrow's own allocator keeps the pages each chunk frees, which grew a
    # 100,000-row run by ~70 MB more than the C allocator does (BENCHMARKS.md, Scale). Set here, on the command
    # line's path, not at import: a program using the API keeps its own choice.
    pa.set_memory_pool(pa.system_memory_pool())
    result = analyze_file(
        path, config, progress=progress, checkpoints=work_folder(out_dir), resume=resume, engine=engine
    )
    paths = write_outputs(result, out_dir, config, formats)
    shutil.rmtree(work_folder(out_dir), ignore_errors=True)  # its chunks are in the published outputs now
    return result, paths


__all__ = ["analyze_dump_to_folder"]
