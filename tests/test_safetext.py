"""Text safety: control characters, formula injection, CSV quoting, log lines (reports/safetext.py)."""
import csv
import io
import re
import shutil
import subprocess

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.safetext import (clean_frame, clean_text, neutralise_formula, one_line, safe_frame, safe_text,
                              write_csv)

FAST = settings(max_examples=150, deadline=None, database=None)
FORMULA_START = re.compile(r"[=+\-@\t\r]")
LINE_BREAK = re.compile(r"\r\n|\r|\n")
ATTACK = "a\r=cmd|' /C calc'!A0"
# Text that exercises every rule: formula prefixes, line breaks of every kind, quotes, delimiters, controls.
NASTY = st.text(alphabet=st.sampled_from(list("=+-@\t\r\n\x00\x1b\x7f\x85\x9f\u2028\u2029\",;' aZ9|!")),
                max_size=25)


def _controls_left(text: str) -> list[str]:
    return [ch for ch in text if (ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F
            or ch in "\u2028\u2029"]


def _lines_starting_with_formula(text: str) -> list[str]:
    return [line for line in LINE_BREAK.split(text) if FORMULA_START.match(line)]


# ----------------------------------------------------------------------------------------------- clean_text
@pytest.mark.parametrize("raw, cleaned", [
    ("A2099\x0099999", "A209999999"),  # a NUL inside an A-number must not hide it from the redactor
    ("line one\r\nline two", "line one\nline two"),
    ("line one\rline two", "line one\nline two"),
    ("one\x85two\u2028three\u2029four", "one\ntwo\nthree\nfour"),
    ("col\tcol", "col col"),
    ("bell\x07 esc\x1b[31m del\x7f c1\x9b", "bell esc[31m del c1"),
    ("Ciudad Juárez – «ok» 北京", "Ciudad Juárez – «ok» 北京"),
])
def test_clean_text(raw, cleaned):
    assert clean_text(raw) == cleaned


@pytest.mark.parametrize("value", [None, 3, 2.5, float("nan"), pd.Timestamp("2017-02-01")])
def test_clean_text_leaves_non_text_alone(value):
    assert clean_text(value) is value


@FAST
@given(NASTY)
def test_clean_text_leaves_no_control_character_but_lf(text):
    cleaned = clean_text(text)
    assert _controls_left(cleaned) == []
    assert clean_text(cleaned) == cleaned
    assert cleaned == _clean_by_hand(text)


def _clean_by_hand(text: str) -> str:
    """The documented rule, one character at a time: an independent model of clean_text."""
    out = []
    for i, ch in enumerate(text):
        if ch == "\n" and i and text[i - 1] == "\r":
            continue  # CR LF: the CR already made the line break
        if ch in "\r\n\x85\u2028\u2029":
            out.append("\n")
        elif ch == "\t":
            out.append(" ")
        elif not _controls_left(ch):
            out.append(ch)
    return "".join(out)


# ------------------------------------------------------------------------------------------ neutralise_formula
@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r'=1"),
    ("Jail\n=HYPERLINK(\"x\")", "Jail\n'=HYPERLINK(\"x\")"),
    (ATTACK, "a\r'=cmd|' /C calc'!A0"),
    ("a\r\n@x\n+y\r-z", "a\r\n'@x\n'+y\r'-z"),
    ("Travis County, TX", "Travis County, TX"), ("a-b = c", "a-b = c"), ("'=already", "'=already"),
])
def test_neutralise_formula(value, expected):
    assert neutralise_formula(value) == expected


@FAST
@given(NASTY)
def test_no_line_of_a_neutralised_value_starts_a_formula(text):
    safe = neutralise_formula(text)
    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert _lines_starting_with_formula(safe) == []
    assert safe.replace("'", "") == text.replace("'", "")  # only apostrophes added
    assert neutralise_formula(safe) == safe


# ------------------------------------------------------------------------------------------------ frames
def _mixed_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "facility": [ATTACK, "=HYPERLINK(\"http://evil.example\")", None, "Plain Jail"],
        "count": [1, -2, 3, 4],
        "rate": [1.5, -0.5, None, 2.0],
        "issued_before_week": [True, False, True, False],
        "date_issued": pd.to_datetime(["2017-02-01", "2017-01-01", None, "2017-02-03"]).date,
        "citizenship": pd.Categorical(["@home", "MEXICO", "MEXICO", "-"]),
    })


def test_safe_frame_neutralises_text_only_and_leaves_the_input_alone():
    frame = _mixed_frame()
    before = frame.copy(deep=True)
    safe = safe_frame(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert safe["facility"].tolist()[:2] == ["a\n'=cmd|' /C calc'!A0", "'=HYPERLINK(\"http://evil.example\")"]
    assert pd.isna(safe["facility"][2]) and safe["facility"][3] == "Plain Jail"
    assert safe["citizenship"].tolist() == ["'@home", "MEXICO", "MEXICO", "'-"]
    for column in ("count", "rate", "issued_before_week", "date_issued"):
        pd.testing.assert_series_equal(safe[column], frame[column])


def test_safe_frame_neutralises_column_labels():
    assert list(safe_frame(pd.DataFrame({"=x": ["a"], "ok": ["b"]})).columns) == ["'=x", "ok"]


def test_clean_frame_removes_controls_without_neutralising():
    cleaned = clean_frame(pd.DataFrame({"t": ["=a\x00b\rc"], "n": [1]}))
    assert cleaned["t"][0] == "=ab\nc" and cleaned["n"][0] == 1


# ------------------------------------------------------------------------------------------------ write_csv
def _written(frame: pd.DataFrame, tmp_path, **kwargs) -> bytes:
    path = tmp_path / "out.csv"
    write_csv(frame, path, **kwargs)
    return path.read_bytes()


def test_pandas_alone_leaves_a_lone_cr_unquoted():
    # Why write_csv exists: csv/pandas quote a line break only when it is in the line terminator.
    raw = pd.DataFrame({"x": [ATTACK]}).to_csv(index=False, lineterminator="\n")
    assert raw == f"x\n{ATTACK}\n"
    assert "=cmd|' /C calc'!A0" in re.split(r"\r|\n", raw)  # a reader that ends rows at CR sees a formula


def test_the_cr_attack_cannot_make_a_formula_cell(tmp_path):
    frame = pd.DataFrame({"facility": [ATTACK, "x"], "declined": [1, 2]})
    data = _written(frame, tmp_path)
    assert b"\r" not in data
    text = data.decode("utf-8")
    assert text == "facility,declined\n\"a\n'=cmd|' /C calc'!A0\",1\nx,2\n"
    expected = [["facility", "declined"], ["a\n'=cmd|' /C calc'!A0", "1"], ["x", "2"]]
    assert list(csv.reader(io.StringIO(text, newline=""))) == expected
    # a file opened without newline="" (universal newlines) reads the same
    with open(tmp_path / "out.csv", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == expected
    for engine in ("c", "python"):
        read = pd.read_csv(tmp_path / "out.csv", engine=engine)
        assert read["facility"].tolist() == ["a\n'=cmd|' /C calc'!A0", "x"]
        assert read["declined"].tolist() == [1, 2]
    # a reader that ignores quotes and splits rows at every line break sees no formula either
    assert [line for line in LINE_BREAK.split(text) if FORMULA_START.match(line.lstrip('"'))] == []


@FAST
@given(rows=st.lists(st.tuples(NASTY, NASTY), max_size=5), bom=st.booleans())
def test_write_csv_round_trips_every_text_safely(rows, bom, tmp_path_factory):
    frame = pd.DataFrame(rows, columns=["a", "b"], dtype=object)
    path = tmp_path_factory.mktemp("csv") / "out.csv"
    write_csv(frame, path, bom=bom)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == bom
    assert b"\r" not in data
    read = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    expected = [[safe_text(v) for v in row] for row in rows]
    assert read == [["a", "b"], *expected]
    for row in read:
        for cell in row:
            assert not FORMULA_START.match(cell) and _lines_starting_with_formula(cell) == []
            assert _controls_left(cell) == []


def test_write_csv_keeps_the_format_of_numbers_dates_and_blanks(tmp_path):
    text = _written(_mixed_frame().drop(columns=["facility", "citizenship"]), tmp_path).decode()
    assert text == ("count,rate,issued_before_week,date_issued\n1,1.5,True,2017-02-01\n-2,-0.5,False,2017-01-01\n"
                    "3,,True,\n4,2.0,False,2017-02-03\n")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_reads_no_formula(tmp_path):
    frame = pd.DataFrame({"facility": [ATTACK, "=1+1", "Jail\n@SUM(1)"], "declined": [1, 2, 3]})
    write_csv(frame, tmp_path / "safe.csv")
    frame.to_csv(tmp_path / "unsafe.csv", index=False, lineterminator="\n")
    # CSV import options: comma, double quote, UTF-8, from line 1, …, token 13: evaluate formulas
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
                    "xlsx", "--infilter=CSV:44,34,76,1,,1033,false,false,false,false,false,-1,true",
                    "--outdir", str(tmp_path / "out"), str(tmp_path / "safe.csv"), str(tmp_path / "unsafe.csv")],
                   check=True, capture_output=True, timeout=120)

    def cells(name):
        sheet = openpyxl.load_workbook(tmp_path / "out" / f"{name}.xlsx").active
        return [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]

    assert any(c.data_type == "f" for c in cells("unsafe"))  # the import does evaluate formulas
    safe = cells("safe")
    assert [c.value for c in safe] == ["facility", "declined", "a\n'=cmd|' /C calc'!A0", 1, "'=1+1", 2,
                                       "Jail\n'@SUM(1)", 3]
    assert not any(c.data_type == "f" for c in safe)


# ------------------------------------------------------------------------------------------------ one_line
@pytest.mark.parametrize("raw, line", [
    ("detainers.csv", "detainers.csv"),
    ("a.csv\nERROR E101 fake.csv", "a.csv\\nERROR E101 fake.csv"),
    ("a\r\n\tb", "a\\r\\n\\tb"),
    ("bell\x07\x00\x1b[2J", "bell\\x07\\x00\\x1b[2J"),
    ("nel\x85ls\u2028ps\u2029", "nel\\x85ls\\u2028ps\\u2029"),
    ("bad\udcffbyte", "bad\\udcffbyte"),
    ("evil\u202etxt.exe", "evil\\u202etxt.exe"),
    ("Juárez 北京.xlsx", "Juárez 北京.xlsx"),
])
def test_one_line(raw, line):
    assert one_line(raw) == line


@FAST
@given(st.text(max_size=30))
def test_one_line_is_one_printable_line(text):
    line = one_line(text)
    assert line.splitlines() in ([line], [])
    line.encode("utf-8")  # no lone surrogate: printable to a UTF-8 log
    assert _controls_left(line) == []


def test_staff_problems_csv_is_neutralised(tmp_path):
    from ingest_helpers import run_check

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "detainers.csv").write_bytes(
        b"Detainer ID,Facility,State,County FIPS,Date Issued,Outcome,Outcome Date\n"
        b"A1,Travis County Jail,\"TX\r=cmd|' /C calc'!A0\",48453,2017-01-30,declined,2017-02-01\n"
        b"A2,@SUM(1),=1+1,48453,2017-01-30,declined,2017-02-01\n")
    result = run_check(inputs, tmp_path / "staff")
    assert result.exit_code == 1, result.stderr
    data = (tmp_path / "staff" / "problems.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
    text = data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert sorted(r["value"] for r in rows if r["code"] == "E305") == ["'=1+1", "TX\n'=cmd|' /C calc'!A0"]
    assert [line for line in LINE_BREAK.split(text) if FORMULA_START.match(line.lstrip('"'))] == []
