"""Resumable and incremental runs: `--resume` after a kill, rows written chunk by chunk, the embedding cache."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pandas as pd

from conftest import ROOT, SAMPLE, run_cli
from vocnlp.pipeline.checkpoints import work_folder

# Files whose bytes must match an uninterrupted run (summary.json and manifest.json carry timings; the workbook
# carries its creation time).
TABLES = (
    "comments.parquet",
    "comments.csv",
    "mentions.parquet",
    "near_misses.parquet",
    "themes_wide.parquet",
    "drivers.csv",
    "scores_by_group.csv",
    "score_comparisons.csv",
    "codebook.csv",
    "validation.json",
    "config.resolved.yaml",
)


def _run_args(source, out, *extra):
    return ["run", str(source), "--out", str(out), "--segment", "segment", "--chunk-size", "100", "--format", "csv",
            "--no-progress", *extra]  # fmt: skip


def test_a_killed_run_resumes_from_its_finished_chunks_to_identical_outputs(tmp_path):
    source = tmp_path / "dump.csv"
    frame = pd.read_csv(SAMPLE, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False).head(1200)
    frame.to_csv(source, sep=";", index=False, encoding="utf-8-sig")
    whole = run_cli(*_run_args(source, tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr
    assert not work_folder(tmp_path / "whole").exists()  # removed once the run is published

    out = tmp_path / "out"
    chunks = work_folder(out)
    run = subprocess.Popen(
        [sys.executable, "-m", "vocnlp.cli.launch", *_run_args(source, out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while run.poll() is None and len(list(chunks.glob("done-*.json"))) < 5 and time.monotonic() < deadline:
        time.sleep(0.005)
    run.send_signal(signal.SIGKILL)
    run.wait()
    finished = len(list(chunks.glob("done-*.json")))
    assert run.returncode == -signal.SIGKILL and not out.exists()
    assert 5 <= finished < 12, f"killed after {finished} of 12 chunks"

    resumed = run_cli(*_run_args(source, out, "--resume"))
    assert resumed.returncode == 0, resumed.stderr
    for name in TABLES:
        assert (out / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    summary, reference = (json.loads((folder / "summary.json").read_text()) for folder in (out, tmp_path / "whole"))
    # Every chunk the killed run finished is read back, so at most the chunk it was inside is analysed again.
    assert summary["meta"]["chunks"] == {"total": 12, "resumed": finished, "from_cache": 0}
    assert reference["meta"]["chunks"] == {"total": 12, "resumed": 0, "from_cache": 0}
    summary.pop("meta"), reference.pop("meta")
    assert summary == reference
    assert not chunks.exists()


def test_resume_starts_over_when_the_input_changed(tmp_path, caplog):
    source = tmp_path / "dump.csv"
    frame = pd.read_csv(SAMPLE, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False).head(250)
    frame.to_csv(source, sep=";", index=False, encoding="utf-8-sig")
    from vocnlp.config import load_config
    from vocnlp.pipeline.analysis_run import analyze_file
    from vocnlp.pipeline.checkpoints import ChunkStore

    config = load_config(None, {"pipeline": {"chunk_size": 100}})
    folder = tmp_path / "chunks"
    first = analyze_file(source, config, progress=False, checkpoints=folder)
    assert first.meta["chunks"] == {"total": 3, "resumed": 0, "from_cache": 0}
    assert len(list(folder.glob("done-*"))) == 3
    again = analyze_file(source, config, progress=False, checkpoints=folder, resume=True)
    assert again.meta["chunks"] == {"total": 3, "resumed": 3, "from_cache": 0}
    pd.testing.assert_frame_equal(again.comments, first.comments)
    frame.head(240).to_csv(source, sep=";", index=False, encoding="utf-8-sig")
    with caplog.at_level("INFO", logger="vocnlp.pipeline.checkpoints"):
        store = ChunkStore(folder, {"total": 3, "input_sha256": "other"}, resume=True)
    assert store.finished == set()  # not the same run: nothing of the old chunks is used
    assert "starting from the first chunk (config_sha256, input_sha256, total, vocnlp_version changed" in (caplog.text)


def test_rows_written_from_chunk_files_match_rows_held_in_memory(tmp_path):
    """The chunked writer (full rows read back chunk by chunk, adapted sentiment patched in) writes the tables an
    in-memory run writes: same CSV bytes, same Parquet contents and dtypes."""
    from vocnlp.config import load_config
    from vocnlp.pipeline.analysis_run import analyze_file

    source = tmp_path / "dump.csv"
    frame = pd.read_csv(SAMPLE, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False).head(450)
    frame.loc[:199, "segment"] = ""  # a column empty in the first chunk only: its dtype comes from the others
    frame.to_csv(source, sep=";", index=False, encoding="utf-8-sig")
    config = load_config(None, {"pipeline": {"chunk_size": 200}, "adaptation": {"enabled": True}})
    streamed = analyze_file(source, config, progress=False, checkpoints=tmp_path / "chunks")
    assert streamed.rows_on_disk is not None and "commentaire" not in streamed.comments  # text left on disk
    assert streamed.summary["adaptation"]["used"]
    held = analyze_file(source, config, progress=False)
    streamed.save(tmp_path / "streamed", formats=["csv"])
    held.save(tmp_path / "held", formats=["csv"])
    for name in ("comments.csv", "mentions.csv", "themes_wide.csv"):
        assert (tmp_path / "streamed" / name).read_bytes() == (tmp_path / "held" / name).read_bytes(), name
    for name in ("comments", "mentions", "near_misses", "themes_wide"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "streamed" / f"{name}.parquet"),
            pd.read_parquet(tmp_path / "held" / f"{name}.parquet"),
        )


def test_a_rerun_with_the_embedding_cache_embeds_nothing_and_gives_the_same_tables(tmp_path):
    frame = pd.read_csv(SAMPLE, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False).head(300)
    source = tmp_path / "dump.csv"
    frame.to_csv(source, sep=";", index=False, encoding="utf-8-sig")
    args = ["--embedding-cache", str(tmp_path / "vectors"), "--chunk-size", "100", "--format", "csv", "--no-progress"]
    first = run_cli("run", str(source), "--out", str(tmp_path / "first"), *args)
    assert first.returncode == 0, first.stderr
    again = run_cli("run", str(source), "--out", str(tmp_path / "again"), *args)
    assert again.returncode == 0, again.stderr
    stages = {
        name: {s["name"]: s for s in json.loads((tmp_path / name / "summary.json").read_text())["meta"]["stages"]}
        for name in ("first", "again")
    }
    first_embed, again_embed = stages["first"]["embed"], stages["again"]["embed"]
    # Within the first run, later chunks already read the phrases earlier chunks stored; the re-run embeds nothing.
    assert first_embed["texts_embedded"] > 0 and again_embed["texts_embedded"] == 0
    assert again_embed["texts_from_disk_cache"] == first_embed["texts_embedded"] + first_embed["texts_from_disk_cache"]
    for name in TABLES:
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "first" / name).read_bytes(), name


def test_a_rerun_from_the_chunk_cache_loads_no_model_and_gives_the_same_tables(tmp_path):
    frame = pd.read_csv(SAMPLE, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False).head(300)
    source = tmp_path / "dump.csv"
    frame.to_csv(source, sep=";", index=False, encoding="utf-8-sig")
    plain = run_cli(*_run_args(source, tmp_path / "plain"))
    assert plain.returncode == 0, plain.stderr
    cached = ["--chunk-cache", str(tmp_path / "cache")]
    for name in ("first", "again"):
        done = run_cli(*_run_args(source, tmp_path / name, *cached))
        assert done.returncode == 0, done.stderr
    meta = {name: json.loads((tmp_path / name / "summary.json").read_text())["meta"] for name in ("first", "again")}
    assert meta["first"]["chunks"] == {"total": 3, "resumed": 0, "from_cache": 0}
    assert meta["again"]["chunks"] == {"total": 3, "resumed": 0, "from_cache": 3}
    timings = meta["again"]["timings_seconds"]
    assert timings["model_setup"] == 0 and all(timings[k] == 0 for k in timings if k.startswith("stage_"))
    # The stages are described as the first run loaded them; this run embedded nothing.
    first_stages = {s["name"]: s for s in meta["first"]["stages"]}
    again_stages = {s["name"]: s for s in meta["again"]["stages"]}
    assert again_stages["themes"] == first_stages["themes"]
    assert again_stages["embed"]["texts_embedded"] == 0 < first_stages["embed"]["texts_embedded"]
    for name in TABLES:
        reference = (tmp_path / "plain" / name).read_bytes()
        if name != "config.resolved.yaml":  # it records the cache folder
            assert (tmp_path / "first" / name).read_bytes() == reference, name
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "first" / name).read_bytes(), name


def test_the_chunk_cache_reanalyses_what_an_edited_row_taxonomy_or_setting_changes(tmp_path):
    import shutil

    from vocnlp.config import load_config
    from vocnlp.pipeline.analysis_run import analyze_file
    from vocnlp.resources import resolve_user_or_bundled

    frame = pd.read_csv(SAMPLE, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False).head(300)
    source = tmp_path / "dump.csv"
    frame.to_csv(source, sep=";", index=False, encoding="utf-8-sig")
    taxonomy = tmp_path / "taxonomy.yaml"
    shutil.copyfile(resolve_user_or_bundled("configs/taxonomies/generic_cx.yaml"), taxonomy)

    def run(name: str, threshold: float = 0.44):
        config = load_config(None, {"pipeline": {"chunk_size": 100, "chunk_cache": str(tmp_path / "cache")}})
        themes = config.stage("themes")
        assert themes is not None
        themes.params.update(taxonomy=str(taxonomy), threshold=threshold)
        return analyze_file(source, config, progress=False, checkpoints=tmp_path / name)

    assert run("first").meta["chunks"]["from_cache"] == 0
    frame.loc[150, frame.columns[1]] = "Un commentaire modifié depuis la première analyse, facture trop chère."
    frame.to_csv(source, sep=";", index=False, encoding="utf-8-sig")
    edited = run("edited")
    assert edited.meta["chunks"]["from_cache"] == 2  # only the chunk holding the edited row is analysed again
    config = load_config(None, {"pipeline": {"chunk_size": 100}})
    themes = config.stage("themes")
    assert themes is not None
    themes.params["taxonomy"] = str(taxonomy)
    fresh = analyze_file(source, config, progress=False, checkpoints=tmp_path / "fresh")
    pd.testing.assert_frame_equal(edited.comments, fresh.comments)
    pd.testing.assert_frame_equal(edited.mentions, fresh.mentions)
    assert run("setting", threshold=0.5).meta["chunks"]["from_cache"] == 0
    taxonomy.write_text(taxonomy.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert run("taxonomy").meta["chunks"]["from_cache"] == 0


def test_a_new_encoder_arithmetic_is_a_new_chunk_cache_key(monkeypatch):
    """Vectors of two revisions of the encoder's arithmetic differ in their last bits: a chunk the old code analysed
    must not be read back by the new."""
    from vocnlp.config import load_config
    from vocnlp.modeling.encoders import precision
    from vocnlp.pipeline.chunk_cache import pipeline_key

    stages = load_config(None, {}).pipeline.stages
    now = pipeline_key(stages, None, {})
    assert pipeline_key(stages, None, {}) == now
    monkeypatch.setattr(precision, "ARITHMETIC_REVISION", precision.ARITHMETIC_REVISION + 1)
    assert pipeline_key(stages, None, {}) != now
