"""Row conservation on hostile inputs: every readable row comes out once; the others are reported."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from vocnlp import analyze_file, load_config
from vocnlp.errors import InputFileError
from vocnlp.io.readers import read_table

HOSTILE_ROWS = [
    # id ; comment ; nps ; churn
    ("A1", "Facture erronée, j'ai dû appeler trois fois. Très déçu.", "2", "oui"),
    ("A2", "Conseillère très aimable, problème réglé", "9", "non"),
    ("A3", "", "8", "non"),  # empty text
    ("A4", "   ", "N/A", "non"),  # whitespace text, N/A score
    # quoted newline + ; inside
    ("A5", "Le technicien n'est jamais venu.\nDeuxième ligne; avec point-virgule", "11", "non"),
    ("A6", "Temps d'attente énorme au téléphone", "-1", "oui"),
    ("A6", "Doublon d'identifiant, ça arrive", "", "non"),  # duplicate id, missing score
    ("A8", "Prix trop élevé", "sept", "peut-être"),  # non-numeric score, invalid churn
    ("A9", "Très bon service, rien à redire", "10", "non"),
]


def _hostile_cp1252(path):
    """';'-delimited cp1252 CSV as French Excel writes it, with ragged and broken rows."""
    lines = ["id;commentaire;nps;resilie"]
    for rid, text, nps, churn in HOSTILE_ROWS:
        quoted = '"' + text.replace('"', '""') + '"' if (";" in text or "\n" in text) else text
        lines.append(f"{rid};{quoted};{nps};{churn}")
    lines.insert(4, "A10;Ligne courte sans score")  # ragged: too few fields -> kept
    lines.insert(7, "A11;texte avec; un point-virgule non protégé;5;non")  # too many fields -> reported
    lines.append("A12;Séparateurs en trop en fin de ligne;7;non;;")  # trailing empty fields -> kept
    lines.append("")
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    return path


def test_hostile_cp1252_csv_keeps_every_readable_row(tmp_path):
    path = _hostile_cp1252(tmp_path / "export.csv")
    raw = read_table(path)
    assert raw.details["encoding"] == "cp1252" and raw.details["delimiter"] == ";"
    ids = raw.frame["id"].tolist()
    assert sorted(ids) == sorted([r[0] for r in HOSTILE_ROWS] + ["A10", "A12"])
    assert "Facture erronée, j'ai dû appeler trois fois. Très déçu." in raw.frame["commentaire"].tolist()
    multi = raw.frame.loc[raw.frame["id"] == "A5", "commentaire"].item()
    assert "\n" in multi and "point-virgule" in multi
    assert len(raw.unreadable) == 1
    bad = raw.unreadable[0]
    # Line 9, not 8: the quoted comment of A5 spans two physical lines.
    assert bad.line == 9 and "5 fields where the header has 4" in bad.reason


def test_hostile_csv_statuses_and_row_accounting(tmp_path):
    path = _hostile_cp1252(tmp_path / "export.csv")
    result = analyze_file(path, load_config(), progress=False)
    c = result.comments.set_index("id")
    assert len(result.comments) == result.summary["rows"]["read"] == 11
    assert result.summary["rows"]["unreadable"] == 1
    assert result.summary["rows"]["records_in_file"] == 12
    assert result.comments["comment_id"].is_unique
    assert "empty_text" in c.loc["A3", "status"] and "empty_text" in c.loc["A4", "status"]
    assert "nps_missing" in c.loc["A4", "status"]
    assert "nps_out_of_range" in c.loc["A5", "status"]
    assert "nps_out_of_range" in c.loc["A6"].iloc[0]["status"]
    assert all("duplicate_id" in s for s in c.loc["A6", "status"])
    assert set(result.comments.loc[result.comments["id"] == "A6", "comment_id"]) == {"A6", "A6~2"}
    assert "nps_non_numeric" in c.loc["A8", "status"] and "churn_invalid" in c.loc["A8", "status"]
    assert "ragged_row" in c.loc["A10", "status"]
    assert c.loc["A12", "status"] == "ok"
    assert pd.isna(c.loc["A5", "nps_score"]) and c.loc["A9", "nps_category"] == "promoter"
    assert c.loc["A1", "churned"] == True  # noqa: E712 (nullable boolean)
    # Empty texts are kept but not analysed.
    assert pd.isna(c.loc["A3", "sentiment"]) and c.loc["A1", "sentiment"] in {"negative", "mixed"}
    assert result.validation["unreadable"][0]["line"] == 9


def test_utf8_bom_comma_and_tsv(tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes('\ufeffverbatim,score nps\n"Très bien, merci",9\nNul,0\n'.encode("utf-8"))
    raw = read_table(bom)
    assert list(raw.frame.columns) == ["verbatim", "score nps"]
    assert raw.frame["verbatim"].tolist() == ["Très bien, merci", "Nul"]
    tsv = tmp_path / "dump.tsv"
    tsv.write_text("comment\tnps\nok\t8\n", encoding="latin-1")
    assert read_table(tsv).frame["comment"].tolist() == ["ok"]


def test_xlsx_jsonl_parquet(tmp_path):
    frame = pd.DataFrame(
        {"Commentaire": ["Super accueil", None, "Facture fausse"], "NPS": [10, 5, "N/A"], "ID": [1, 2, 3]}
    )
    xlsx = tmp_path / "dump.xlsx"
    frame.to_excel(xlsx, index=False)
    raw = read_table(xlsx)
    assert len(raw.frame) == 3 and raw.source_rows == [2, 3, 4]
    result = analyze_file(xlsx, load_config(), progress=False)
    assert len(result.comments) == 3
    assert result.comments["status"].tolist()[1].startswith("empty_text")

    jsonl = tmp_path / "dump.jsonl"
    jsonl.write_text(
        '{"comment": "Very slow delivery", "nps": 3}\n'
        "not json at all\n\n"
        '["a", "list"]\n'
        '{"comment": "Great staff", "nps": 10, "extra": true}\n',
        encoding="utf-8",
    )
    raw = read_table(jsonl)
    assert raw.frame["comment"].tolist() == ["Very slow delivery", "Great staff"]
    assert [(u.line, u.reason.split(" (")[0]) for u in raw.unreadable] == [
        (2, "invalid JSON"),
        (4, "JSON line is a list, not an object"),
    ]
    result = analyze_file(jsonl, load_config(), progress=False)
    assert result.summary["rows"] == {**result.summary["rows"], "read": 2, "unreadable": 2, "written": 2}

    parquet = tmp_path / "dump.parquet"
    pd.DataFrame({"text": ["a b c", "bon produit"], "churn": [0, 1]}).to_parquet(parquet)
    result = analyze_file(parquet, load_config(), progress=False)
    assert result.comments["churned"].tolist() == [False, True]


def test_validation_report_written(sample_run):
    result, out, paths = sample_run
    report = json.loads(paths["validation.json"].read_text())
    assert report["rows_read"] == 2000
    assert report["flag_counts"]["nps_out_of_range"] == 6
    assert report["flag_counts"]["duplicate_id"] == 4
    assert report["columns"]["text"] == "commentaire" and report["columns"]["nps"] == "note_recommandation"
    assert report["columns"]["churn"] == "resilie"


@pytest.mark.parametrize("content,needle", [(b"PK\x03\x04junk", "zip/Excel"), (b"\x00\x01\x02\x00" * 100, "binary")])
def test_misnamed_files_are_explained(tmp_path, content, needle):

    path = tmp_path / "dump.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=needle):
        read_table(path)


def test_jsonl_records_end_at_newline_only(tmp_path):
    # U+2028/U+2029/U+0085 are legal raw inside a JSON string; they must not split a record (CRLF lines still work).
    records = [
        '{"comment": "Facture fausse\u2028deux fois", "nps": 2}',
        '{"comment": "Ligne\u2029suivante"}',
        '{"comment": "Next\u0085line", "nps": 9}',
        "not json",
    ]
    jsonl = tmp_path / "dump.jsonl"
    jsonl.write_bytes("\r\n".join(records).encode("utf-8") + b"\r\n")
    raw = read_table(jsonl)
    assert raw.frame["comment"].tolist() == ["Facture fausse\u2028deux fois", "Ligne\u2029suivante", "Next\u0085line"]
    assert raw.source_rows == [1, 2, 3] and [u.line for u in raw.unreadable] == [4] and raw.blank_lines == 0


def test_excel_sep_line_long_fields_and_stray_nul_are_read(tmp_path):
    sep = tmp_path / "excel.csv"
    sep.write_bytes("sep=;\r\nid;commentaire;nps\r\n1;Bien, merci;9\r\n2;Trop cher, vraiment;3\r\n".encode("utf-8-sig"))
    raw = read_table(sep)
    assert raw.frame["commentaire"].tolist() == ["Bien, merci", "Trop cher, vraiment"]
    assert raw.source_rows == [3, 4] and raw.blank_lines == 0 and raw.details["excel_sep_line"] is True

    long_text = "Le conseiller m'a répondu " + "encore et encore, " * 12_000  # ~215,000 characters
    big = tmp_path / "long.csv"
    pd.DataFrame({"id": [1, 2], "comment": [long_text, "ok"], "nps": [2, 8]}).to_csv(big, sep=";", index=False)
    raw = read_table(big)
    assert raw.frame["comment"].tolist() == [long_text, "ok"] and raw.details["delimiter"] == ";"

    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"id,comment,nps\n1,Facture\x00 fausse,2\n2,Super,10\n")
    raw = read_table(nul)
    assert raw.frame["comment"].tolist() == ["Facture fausse", "Super"] and raw.details["nul_characters_removed"] == 1
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x00\x01\x02\x00" * 500)
    with pytest.raises(InputFileError, match="binary"):
        read_table(binary)


def test_ids_stay_unique_and_input_columns_named_like_outputs_are_kept(tmp_path):
    from vocnlp.io.readers import RawTable
    from vocnlp.io.validate import validate

    frame = pd.DataFrame(
        {
            "id": ["A", "A", "A~2", "", "row-5", "B"],
            "comment": ["un", "deux", "trois", "quatre", "cinq", "six"],
            "_text": list("abcdef"),
            "pii_masked": list("ghijkl"),
            "sentiment_rule": list("mnopqr"),
            "emotion_anger": list("stuvwx"),
            "text_masked": list("yzabcd"),
            "input_pii_masked": list("efghij"),
        }
    )
    table = validate(RawTable(frame, [2, 3, 4, 5, 6, 7]), load_config().input)
    ids = table.frame["comment_id"].tolist()
    assert len(set(ids)) == 6 and ids[0] == "A" and ids[2] == "A~2" and ids[5] == "B"  # real ids never change
    assert ids[1] not in ("A", "A~2") and ids[3] != "row-5" and ids[4] == "row-5"
    renamed = table.report["renamed_input_columns"]
    assert set(renamed) == {"_text", "pii_masked", "sentiment_rule", "emotion_anger", "text_masked"}
    assert renamed["pii_masked"] == "input_pii_masked_2"  # input_pii_masked was taken by the file itself
    assert table.frame["input_pii_masked"].tolist() == list("efghij")

    header = tmp_path / "header.csv"
    header.write_text("note,note,note.1,comment\n1,2,3,bien\n", encoding="utf-8")
    raw = read_table(header)
    assert list(raw.frame.columns) == ["note", "note.2", "note.1", "comment"]
    assert raw.frame.iloc[0].tolist() == ["1", "2", "3", "bien"]


@pytest.mark.parametrize("third", ["T3;Facture fausse;2", 'T3;"Facture fausse";2'])
def test_a_quote_never_closed_costs_only_its_own_record(tmp_path, third):
    """Also when a later record's quote closes it and the swallowed record has the header's field count."""
    path = tmp_path / "quote.csv"
    path.write_text(
        f'id;commentaire;nps\nT1;Très bien;9\nT2;"Le technicien a dit; revenez demain;3\n{third}\n'
        'T4;"Un commentaire\nsur deux lignes";5\nT5;Rapide;10\n',
        encoding="utf-8",
    )
    raw = read_table(path)
    assert raw.frame["id"].tolist() == ["T1", "T3", "T4", "T5"]
    assert raw.frame["commentaire"].tolist()[2] == "Un commentaire\nsur deux lignes"  # a closed quote still spans lines
    assert raw.source_rows == [2, 4, 5, 7]
    assert [(u.line, u.reason.split(" (")[0]) for u in raw.unreadable] == [
        (3, "a quote opened on this line is never closed")
    ]
    assert raw.unreadable[0].excerpt.startswith('T2;"Le technicien')


def test_one_bad_byte_does_not_garble_the_good_utf8_rows(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "id;commentaire\n1;Facture erronée\n".encode("utf-8")
        + "2;Très déçu\n".encode("cp1252")
        + "3;Conseillère très aimable\n".encode("utf-8")
    )
    raw = read_table(path)
    assert raw.frame["commentaire"].tolist() == ["Facture erronée", "Très déçu", "Conseillère très aimable"]
    assert raw.details["encoding"] == "utf-8 (1 line read as cp1252)"
    plain = tmp_path / "cp1252.csv"
    plain.write_bytes("id;commentaire\n1;Très déçu\n".encode("cp1252"))
    assert read_table(plain).details["encoding"] == "cp1252"


def test_parquet_index_holding_ids_is_kept(tmp_path):
    frame = pd.DataFrame({"comment": ["Trop cher", "Super"], "nps": [3, 10]}, index=pd.Index(["C1", "C2"], name="id"))
    frame.to_parquet(tmp_path / "indexed.parquet")
    raw = read_table(tmp_path / "indexed.parquet")
    assert raw.frame["id"].tolist() == ["C1", "C2"]
    pd.DataFrame({"comment": ["ok"]}).to_parquet(tmp_path / "plain.parquet")
    assert list(read_table(tmp_path / "plain.parquet").frame.columns) == ["comment"]


def test_xlsx_text_written_as_formulas_without_a_result_is_kept(tmp_path):
    """A tool that wrote '=…' comments unguarded leaves formula cells with no cached value: not lost as empty."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in [
        ["id", "comment", "nps"],
        ["a", "=+33 6 12 never call me again", 2],
        ["b", "fine", 9],
        ["c", "=SUM(1,2)", 5],
    ]:
        sheet.append(row)
    path = tmp_path / "formulas.xlsx"
    book.save(path)
    raw = read_table(path)
    assert raw.frame["comment"].tolist() == ["=+33 6 12 never call me again", "fine", "=SUM(1,2)"]
    assert raw.details["formula_cells_read_as_text"] == 2
