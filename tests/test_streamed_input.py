"""A CSV dump validated chunk by chunk into a run's chunk store (vocnlp.pipeline.streamed_input) gives the rows,
chunks and validation report of reading it whole, and the whole file's text is never held."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.hostile import DAMAGE, _dump, csv_dump_bytes
from vocnlp.config import load_config
from vocnlp.io.parts import read_dump
from vocnlp.io.readers import CsvReading
from vocnlp.io.validate import validate
from vocnlp.pipeline.checkpoints import ChunkStore
from vocnlp.pipeline.runner import _text_safe_inputs
from vocnlp.pipeline.streamed_input import stream_into_store

DATES = ["01/10/2026", "13/02/2026", "2026-03-04", "", "not a date"]


def _dump_file(folder, rng, damaged: bool):
    """A generated dump: repeated, blank and look-alike ids, missing scores, dates, and (``damaged``) stray quotes,
    NULs, bad bytes and line breaks."""
    rows = [r for _ in range(6) for r in _dump(rng)]
    text = csv_dump_bytes(rows, [",", ";"][int(rng.integers(2))], "utf-8").decode("utf-8").split("\r\n")
    delimiter = "," if text[0].count(",") else ";"
    lines = [text[0] + f"{delimiter}date"] + [
        line + f"{delimiter}{DATES[int(rng.integers(len(DATES)))]}" for line in text[1:] if line
    ]
    data = bytearray(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    if damaged:
        for _ in range(int(rng.integers(1, 6))):
            at = int(rng.integers(len(lines[0]) + 2, len(data) + 1))  # the header stays whole
            data[at:at] = DAMAGE[int(rng.integers(len(DAMAGE)))]
    path = folder / "dump.csv"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("seed", range(12))
def test_a_dump_validated_chunk_by_chunk_equals_the_whole_table(tmp_path, seed):
    rng = np.random.default_rng(seed)
    path = _dump_file(tmp_path, rng, damaged=seed % 2 == 1)
    config = load_config(overrides={"pipeline": {"chunk_size": 7}})  # chunk ends fall between duplicate ids
    whole_raw = read_dump(path)
    whole = validate(whole_raw, config.input)
    store = ChunkStore(tmp_path / "chunks", {"test": seed})
    streamed = stream_into_store(path, config, store)

    assert streamed is not None
    assert streamed.table.row_count() == len(whole.frame)
    assert streamed.table.report == whole.report
    assert streamed.table.mapping == whole.mapping
    assert streamed.table.ids().tolist() == whole.frame["comment_id"].tolist()
    assert [u.line for u in streamed.raw.unreadable] == [u.line for u in whole_raw.unreadable]
    input_columns = [whole.report["renamed_input_columns"].get(c, c) for c in whole_raw.frame.columns]
    for index, start in enumerate(range(0, len(whole.frame), 7)):
        expected = _text_safe_inputs(whole.frame.iloc[start : start + 7].copy(), input_columns)
        pd.testing.assert_frame_equal(store.load_input(index), pd.read_parquet(_saved(tmp_path, expected)))


def _saved(folder, frame):
    """``frame`` as a chunk file holds it (Parquet gives back its own dtypes)."""
    path = folder / "expected.parquet"
    frame.to_parquet(path)
    return path


def test_chunks_a_resumed_run_finished_are_not_written_again(tmp_path):
    path = _dump_file(tmp_path, np.random.default_rng(3), damaged=False)
    config = load_config(overrides={"pipeline": {"chunk_size": 5}})
    store = ChunkStore(tmp_path / "chunks", {"test": 1})
    store.finished.add(0)
    streamed = stream_into_store(path, config, store)
    assert streamed is not None
    assert not (tmp_path / "chunks" / "input-000000.parquet").exists()
    assert (tmp_path / "chunks" / "input-000001.parquet").exists()
    assert streamed.table.report["rows_read"] == streamed.table.row_count()


def test_survey_platform_exports_and_other_formats_are_read_whole(tmp_path):
    from conftest import ROOT

    config = load_config()
    store = ChunkStore(tmp_path / "chunks", {"test": 2})
    assert stream_into_store(ROOT / "tests" / "data" / "qualtrics_export.csv", config, store) is None
    parquet = tmp_path / "dump.parquet"
    pd.DataFrame({"comment": ["a", "b"]}).to_parquet(parquet)
    assert stream_into_store(parquet, config, store) is None


def test_the_csv_reader_hands_out_rows_in_chunks_of_the_size_asked(tmp_path):
    # One emoji makes a whole decoded text 4 bytes a character; read line by line only its own line is.
    path = tmp_path / "dump.csv"
    path.write_text("id,comment\n" + "".join(f"{i},comment {i} 😀\n" for i in range(25)), encoding="utf-8")
    reading = CsvReading(path)
    sizes = [len(chunk.frame) for chunk in reading.chunks(10)]
    assert sizes == [10, 10, 5]
    assert reading.table(pd.DataFrame(), [], set()).details["encoding"] == "utf-8-sig"


def test_encodings_given_by_the_user_read_line_by_line_or_whole(tmp_path):
    from vocnlp.errors import InputFileError
    from vocnlp.io.readers import read_csv

    text = "id;comment\r1;Très déçu\r2;Parfait\r"  # old Mac line ends: \r alone
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes(text.encode("cp1252"))
    wide = tmp_path / "wide.csv"
    wide.write_bytes(text.encode("utf-16"))
    for path, encoding in ((legacy, "cp1252"), (legacy, None), (wide, "utf-16"), (wide, None)):
        raw = read_csv(path, encoding=encoding)
        assert raw.frame["comment"].tolist() == ["Très déçu", "Parfait"], (path.name, encoding)
        assert raw.source_rows == [2, 3]
    with pytest.raises(InputFileError, match="'utf-8' at line 1"):
        read_csv(legacy, encoding="utf-8")
