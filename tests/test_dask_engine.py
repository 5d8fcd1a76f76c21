"""`vocnlp run --engine dask`: a LocalCluster of two worker processes gives the local engine's tables, and a dump
may be a folder or glob of parts."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import SAMPLE, run_cli

# Every table whose bytes carry labels, scores or drivers (summary.json and manifest.json carry timings, and
# validation.json names the input's files).
TABLES = (
    "comments.parquet",
    "comments.csv",
    "mentions.parquet",
    "mentions.csv",
    "near_misses.parquet",
    "themes_wide.csv",
    "drivers.csv",
    "scores_by_group.csv",
    "score_comparisons.csv",
    "codebook.csv",
)


def _sample(rows: int) -> pd.DataFrame:
    return pd.read_csv(SAMPLE, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False).head(rows)


def _run(source, out, *extra):
    return run_cli("run", str(source), "--out", str(out), "--segment", "segment", "--chunk-size", "100",
                   "--format", "csv", "--no-progress", *extra)  # fmt: skip


def test_a_dask_local_cluster_gives_the_local_engines_tables_from_a_folder_of_parts(tmp_path):
    pytest.importorskip("distributed")
    frame = _sample(450)
    whole = tmp_path / "dump.parquet"
    frame.to_parquet(whole, index=False)
    parts = tmp_path / "parts"
    parts.mkdir()
    for k, start in enumerate(range(0, len(frame), 200)):  # parts that do not line up with the 100-row chunks
        frame.iloc[start : start + 200].to_parquet(parts / f"part-{k:02d}.parquet", index=False)

    local = _run(whole, tmp_path / "local")
    assert local.returncode == 0, local.stderr
    cluster = _run(parts, tmp_path / "dask", "--engine", "dask", "--workers", "2")
    assert cluster.returncode == 0, cluster.stderr
    for name in TABLES:
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    meta = json.loads((tmp_path / "dask" / "summary.json").read_text())["meta"]
    assert meta["engine"] == {"name": "dask", "scheduler": "LocalCluster", "workers": 2}
    assert meta["chunks"] == {"total": 5, "resumed": 0, "from_cache": 0}
    local_meta = json.loads((tmp_path / "local" / "summary.json").read_text())["meta"]
    assert local_meta["engine"] == {"name": "local"}
    # The workers' counts, not the client's (its pipeline analysed nothing): each worker also embedded the seeds.
    embedded = [{s["name"]: s for s in m["stages"]}["embed"]["texts_embedded"] for m in (meta, local_meta)]
    assert embedded[0] > embedded[1]
    validation = json.loads((tmp_path / "dask" / "validation.json").read_text())
    assert [p["file"] for p in validation["source"]["parts"]] == [
        "part-00.parquet",
        "part-01.parquet",
        "part-02.parquet",
    ]
    assert [p["first_source_row"] for p in validation["source"]["parts"]] == [1, 201, 401]


def test_parts_read_as_one_table_keep_unique_source_rows_and_name_a_part_with_other_columns(tmp_path):
    from vocnlp.errors import InputFileError
    from vocnlp.io.parts import read_dump

    frame = _sample(30)
    folder = tmp_path / "export"
    folder.mkdir()
    frame.iloc[:10].to_csv(folder / "a.csv", sep=";", index=False)
    frame.iloc[10:].to_csv(folder / "b.csv", sep=";", index=False)
    (folder / ".hidden.csv").write_text("not;a;part\n")
    raw = read_dump(folder)
    assert raw.frame["id_client"].tolist() == frame["id_client"].tolist()
    # CSV lines: the header is line 1 of each part, so the second part's rows continue after line 11.
    assert raw.source_rows == list(range(2, 12)) + list(range(13, 33))
    assert read_dump(str(folder / "*.csv")).frame.equals(raw.frame)

    frame.iloc[:5].drop(columns=["segment"]).to_csv(folder / "c.csv", sep=";", index=False)
    with pytest.raises(
        InputFileError, match=r"Part 'c.csv' does not have the columns of 'a.csv' \(missing: \['segment'\]"
    ):
        read_dump(folder)
    with pytest.raises(InputFileError, match="holds no comment dump"):
        read_dump(str(tmp_path / "nothing-*.parquet"))


def test_engine_options_are_checked_before_anything_loads(tmp_path):
    unknown = run_cli("run", str(SAMPLE), "--out", str(tmp_path / "a"), "--engine", "spark")
    assert unknown.returncode != 0 and "Unknown engine 'spark'" in unknown.stderr
    stray = run_cli("run", str(SAMPLE), "--out", str(tmp_path / "b"), "--scheduler", "tcp://127.0.0.1:8786")
    assert stray.returncode != 0 and "--scheduler goes with --engine dask" in stray.stderr
