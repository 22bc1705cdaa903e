"""Text that is safe to publish: no control characters, no spreadsheet formulas, no broken CSV rows or log lines.

Order of use for free text: ``clean_text`` first (so that a NUL hidden inside an A-number cannot hide it
from the redactor in ``privacy.py``), then redaction, then ``neutralise_formula`` when writing a
spreadsheet-readable file. ``write_csv`` does the first and last itself.

Decisions:

- **Control characters.** ``clean_text`` removes NUL, the other C0 controls, DEL and the C1 controls
  (U+0080–U+009F). Line breaks are kept, in one convention: CR LF, a lone CR, NEL (U+0085) and the Unicode
  line and paragraph separators (U+2028, U+2029) become LF. Policy text and correction notes are written in
  paragraphs, so LF carries meaning; a lone CR is the character that splits a CSV row in some readers while
  looking like nothing in HTML, so it never survives. A tab becomes a space: in HTML and the PDF it is white
  space anyway, and at the start of a cell a spreadsheet treats it as a formula prefix.
- **Formulas.** A spreadsheet runs a cell as a formula when it starts with ``=``, ``+``, ``-``, ``@``, tab or
  CR. ``neutralise_formula`` puts an apostrophe before such a value, and also before every *line* inside a
  value that starts with ``=``, ``+``, ``-``, ``@`` or tab: a reader that splits rows on line breaks inside
  quotes must not find a formula at the start of a row either. The apostrophe is what Excel and LibreOffice
  show as "text follows"; it is visible in other readers, which is the accepted price.
- **CSV quoting.** ``write_csv`` quotes every field holding a comma, a double quote or a line break. Python's
  csv module (and so ``DataFrame.to_csv``) quotes a line break only when it is part of the line terminator:
  with ``lineterminator="\\n"`` a field holding a lone CR is written *unquoted*, and a reader that ends rows at
  CR (LibreOffice, Excel) starts a new row inside it. ``write_csv`` never hands it a CR: ``clean_text`` has
  turned every CR into LF, which is the terminator and therefore always quoted.
- **Log lines.** ``one_line`` escapes line breaks and other control characters (``\\n``, ``\\x1b``, …) so a
  file named ``"a.csv\\nERROR E101 …"`` cannot forge a second log line. Backslashes are not escaped, so the
  escaped text is readable but not always reversible.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_LINE_BREAKS = re.compile(r"\r\n|[\r\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 except LF (tab already a space), DEL, C1
# An apostrophe goes at each of these empty positions: the start of the value before any formula prefix
# (CR included), and the start of any later line before =, +, -, @ or tab.
_FORMULA_START = re.compile(r"\A(?=[=+\-@\t\r])|(?<=[\r\n])(?=[=+\-@\t])")
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def clean_text(value):
    """``value`` without control characters (module docstring: LF kept, CR/CRLF/NEL/LS/PS → LF, tab → space,
    other C0, DEL and C1 removed). Anything that is not a ``str`` (None, NaN, numbers, dates) is returned
    as it is."""
    if not isinstance(value, str):
        return value
    text = _LINE_BREAKS.sub("\n", value).replace("\t", " ")
    return _CONTROL.sub("", text)


def neutralise_formula(value):
    """A text value that a spreadsheet would run as a formula, at its start or at the start of any line in it,
    gets an apostrophe there. Idempotent. Anything that is not a ``str`` is returned as it is."""
    if not isinstance(value, str):
        return value
    return _FORMULA_START.sub("'", value)


def safe_text(value):
    """``neutralise_formula(clean_text(value))``: what a cell of a CSV download holds."""
    return neutralise_formula(clean_text(value))


def _is_text_column(series: pd.Series) -> bool:
    dtype = series.dtype
    return (dtype == object or pd.api.types.is_string_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype))


def _map_text_cells(frame: pd.DataFrame, function) -> pd.DataFrame:
    out = frame.copy()
    for position, column in enumerate(out.columns):
        series = out.iloc[:, position]
        if _is_text_column(series):
            if isinstance(series.dtype, pd.CategoricalDtype):
                series = series.astype(object)
            out.isetitem(position, series.map(_once_per_value(function)))
    return out


def _once_per_value(function):
    """``function``, computed once per distinct value (a column repeats its states, counties, facilities)."""
    done: dict = {}

    def mapped(value):
        try:
            return done[value]
        except KeyError:
            result = done[value] = function(value)
            return result
        except TypeError:  # unhashable
            return function(value)

    return mapped


def clean_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with ``clean_text`` applied to every text cell (for HTML and the PDF)."""
    return _map_text_cells(frame, clean_text)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` fit for a CSV: every text cell and every text column label through ``safe_text``.
    Numbers, booleans and dates are left as they are."""
    out = _map_text_cells(frame, safe_text)
    out.columns = [safe_text(c) for c in out.columns]
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` (no index) as CSV text with LF line ends, through ``safe_frame``.

    Every field holding a comma, a double quote or a line break is quoted: after ``safe_frame`` a text cell
    holds no CR, and LF is the line terminator, which ``csv.QUOTE_MINIMAL`` always quotes."""
    return safe_frame(frame).to_csv(index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)


def write_csv(frame: pd.DataFrame, path: Path, *, bom: bool = False) -> None:
    """Write ``csv_text(frame)`` as UTF-8. ``bom=True`` starts the file with a UTF-8 byte-order mark, which
    Excel needs to read it as UTF-8 (staff files)."""
    path.write_text(csv_text(frame), encoding="utf-8-sig" if bom else "utf-8", newline="")


def _escape(char: str) -> str:
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _needs_escape(char: str) -> bool:
    # Cc: C0/C1 controls and DEL; Zl/Zp: Unicode line/paragraph separators; Cs: lone surrogates, which is how
    # Python holds undecodable bytes of a file name and which cannot be encoded to print; bidi controls can
    # make a terminal show a line in another order than it is written.
    return unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in _BIDI_CONTROLS


def one_line(value) -> str:
    """``str(value)`` on one printable line: line breaks, tabs, other control characters, lone surrogates and
    bidi controls written as Python-style escapes (``\\n``, ``\\t``, ``\\x00``, ``\\udcff``, ``\\u202e``)."""
    return "".join(_escape(ch) if _needs_escape(ch) else ch for ch in str(value))
