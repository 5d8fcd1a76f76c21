"""Run the pipeline once in this process and print timings and peak memory as JSON.

Used by the benchmark command in a fresh subprocess per measurement, so peak RSS is this run's alone.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    Linux carries ``ru_maxrss`` across exec: a child started by a process that
    once held 1.1 GB reports 1.1 GB whatever it used itself. ``VmHWM`` in
    /proc/self/status belongs to the new program's memory map alone, so it is
    read first; other systems fall back to ``ru_maxrss`` (kB on Linux, bytes on macOS).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def main(input_path: str, out_dir: str, chunk_size: int, profile: str = "fast") -> None:
    """Analyse ``input_path`` and print {"rows", "wall_s", "analysis_s", ..., "peak_rss_mb"}."""
    start = time.perf_counter()
    from vocnlp import load_config
    from vocnlp.pipeline.dump_run import analyze_dump_to_folder

    cfg = load_config(overrides={"pipeline": {"chunk_size": chunk_size}, "profile": profile})
    result, _ = analyze_dump_to_folder(input_path, cfg, out_dir, ["parquet", "csv"], progress=False)
    wall = time.perf_counter() - start
    t = result.meta["timings_seconds"]
    embed = next(s for s in result.meta["stages"] if s["name"] == "embed")
    print(
        json.dumps(
            {
                "rows": len(result.comments),
                "wall_s": wall,
                "analysis_s": t["total"] - t["model_setup"],
                "model_setup_s": t["model_setup"],
                "profile": profile,
                "stage_seconds": {k: v for k, v in t.items() if k.startswith("stage_")},
                "chunks": -(-len(result.comments) // chunk_size),
                "embedding_reuse_rate": 1 - embed["texts_embedded"] / max(embed["texts_requested"], 1),
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:5])
