"""Clear errors: a one-paragraph message naming the problem and the fix, no traceback, non-zero exit."""

from __future__ import annotations

import pytest

from conftest import SAMPLE, run_cli


def _assert_clean_error(done, *needles):
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    message = " ".join(done.stderr.split())
    for needle in needles:
        assert needle in message, message


def test_wrong_file_type(tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7 ...")
    _assert_clean_error(
        run_cli("run", str(pdf), "--out", str(tmp_path / "o")), "file type '.pdf' is not supported", ".csv", ".xlsx"
    )


def test_missing_file(tmp_path):
    _assert_clean_error(run_cli("run", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o")), "does not exist")


def test_unknown_column(tmp_path):
    _assert_clean_error(
        run_cli("run", str(SAMPLE), "--out", str(tmp_path / "o"), "--text", "comentaire"),
        "'comentaire' is not in the file",
        "Did you mean 'commentaire'?",
        "--text",
    )


def test_no_text_column_lists_columns(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("id,nps\n1,9\n", encoding="utf-8")
    _assert_clean_error(
        run_cli("run", str(path), "--out", str(tmp_path / "o")), "No comment text column found", "'id', 'nps'", "--text"
    )


@pytest.mark.parametrize(
    "content,needle",
    [
        ("pipeline: [unclosed\n", "not valid YAML at line"),
        ("seed: 1\nchunk_sise: 10\n", "chunk_sise"),
        ("- just\n- a list\n", "YAML mapping at the top level"),
    ],
)
def test_unreadable_config(tmp_path, content, needle):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(content, encoding="utf-8")
    _assert_clean_error(
        run_cli("run", str(SAMPLE), "--out", str(tmp_path / "o"), "--config", str(cfg)), needle, "configs/default.yaml"
    )


def test_config_pointing_at_missing_model(tmp_path):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(
        "pipeline:\n  stages:\n    - name: normalise\n    - name: sentences\n    - name: embed\n"
        "    - name: sentiment\n      params: {model: models/does-not-exist}\n",
        encoding="utf-8",
    )
    _assert_clean_error(
        run_cli("run", str(SAMPLE), "--out", str(tmp_path / "o"), "--config", str(cfg)), "is not a vocnlp model folder"
    )


def test_an_internal_error_writes_a_crash_report_not_a_traceback(tmp_path, monkeypatch, capsys):
    import vocnlp.cli.app as cli

    def broken():
        raise RuntimeError("the unexpected happened")

    monkeypatch.setattr(cli, "app", broken)  # the command itself is not under test here: the handler around it is
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["vocnlp", "run", "dump.csv", "--out", "x"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 1
    printed = capsys.readouterr().err
    assert "Internal error" in printed and "Traceback" not in printed
    (report,) = tmp_path.glob("vocnlp-crash-*.txt")
    text = report.read_text(encoding="utf-8")
    assert str(report.name) in printed.replace("\n", "")
    assert "RuntimeError: the unexpected happened" in text and "command: vocnlp run dump.csv --out x" in text


def test_config_command_prints_every_parameter_or_names_the_wrong_one(tmp_path):
    done = run_cli("config", "--profile", "accurate")
    assert (
        done.returncode == 0
        and "backbone: usem3+minilm" in done.stdout
        and "model_threshold_floor: 0.45" in done.stdout
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("pipeline:\n  stages:\n    - name: sentences\n      params: {clauses: bogus}\n", encoding="utf-8")
    done = run_cli("config", "--config", str(bad))
    assert (
        done.returncode == 2
        and "clauses = 'bogus'" in done.stderr
        and "'off', 'contrast' or 'punctuation'" in done.stderr
    )
    assert "Traceback" not in done.stderr
