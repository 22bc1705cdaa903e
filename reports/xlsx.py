"""Large .xlsx sheets read by column: the first rows from the XML stream, the data through fastexcel.

A national ICE export has ~60 columns and ~320,000 rows, of which the ingest uses ~13 columns. Turning every
cell into a Python object (what python-calamine's ``to_python`` does) costs more time and memory than the rest
of the run. So, for a sheet whose declared size (``<dimension>``) is large:

- the header is found in the first rows, read here by streaming the sheet's XML and stopping after them
  (shared strings are read only as far as those rows need);
- once the layout is known, only its columns are read, by fastexcel (calamine to Arrow) into columnar memory,
  and turned into Python values column by column.

Small sheets (staff templates) are read whole by python-calamine, as before: nothing about them changes.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from xml.parsers import expat

from .errors import column_index

LARGE_SHEET_ROWS = 5000  # a sheet declaring more rows than this is read by column
_DIMENSION = re.compile(rb'<dimension\s+ref="[A-Z]+\d+(?::([A-Z]+)(\d+))?"')
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def declared_size(archive: zipfile.ZipFile, part: str) -> tuple[int, int] | None:
    """(rows, columns) the sheet declares in its <dimension> (the first bytes of the part), if it does."""
    try:
        with archive.open(part) as handle:
            start = handle.read(4096)
    except KeyError:
        return None
    match = _DIMENSION.search(start)
    return (int(match[2]), column_index(match[1].decode()) + 1) if match and match[2] else None


def head_rows(archive: zipfile.ZipFile, part: str, count: int) -> list[list]:
    """The first ``count`` rows of a sheet, rows[i] being spreadsheet row i + 1: text, numbers and booleans
    (dates arrive as their serial numbers, which is all the header search needs)."""
    cells: dict[int, dict[int, object]] = {}
    state = {"row": 0, "col": 0, "type": "n", "text": [], "in_value": False, "done": False}

    def start(name, attrs):
        if name == "row":
            state["row"] = int(attrs.get("r", state["row"] + 1))
            if state["row"] > count:
                state["done"] = True
                raise StopIteration
        elif name == "c":
            ref = _CELL_REF.match(attrs.get("r", ""))
            state["col"] = column_index(ref[1]) if ref else state["col"] + 1
            state["type"] = attrs.get("t", "n")
        elif name in ("v", "t", "is") and name != "is":
            state["in_value"], state["text"] = True, []

    def end(name):
        if name in ("v", "t") and state["in_value"]:
            state["in_value"] = False
            text = "".join(state["text"])
            row = cells.setdefault(state["row"], {})
            row[state["col"]] = (state["type"], row.get(state["col"], ("", ""))[1] + text
                                 if state["type"] == "inlineStr" else text)
        elif name == "sheetData":
            state["done"] = True
            raise StopIteration

    def data(text):
        if state["in_value"]:
            state["text"].append(text)

    parser = expat.ParserCreate()
    parser.StartElementHandler = lambda name, attrs: start(name.rsplit(":", 1)[-1], attrs)
    parser.EndElementHandler = lambda name: end(name.rsplit(":", 1)[-1])
    parser.CharacterDataHandler = data
    with archive.open(part) as handle:
        try:
            for block in iter(lambda: handle.read(1 << 16), b""):
                parser.Parse(block, False)
        except StopIteration:
            pass
    shared_needed = [int(v) for row in cells.values() for t, v in row.values() if t == "s" and v.isdigit()]
    shared = shared_strings(archive, max(shared_needed, default=-1))
    rows: list[list] = []
    for number in range(1, max(cells, default=0) + 1):
        row = cells.get(number, {})
        width = max(row, default=-1) + 1
        rows.append([_cell_value(*row[c], shared) if c in row else "" for c in range(width)])
    return rows


def _cell_value(kind: str, text: str, shared: list[str]):
    if kind == "s":
        return shared[int(text)] if text.isdigit() and int(text) < len(shared) else ""
    if kind in ("str", "inlineStr"):
        return text
    if kind == "b":
        return text == "1"
    if kind == "e":
        return text
    try:
        return float(text)
    except ValueError:
        return text


def shared_strings(archive: zipfile.ZipFile, last: int) -> list[str]:
    """The workbook's shared strings up to index ``last`` (streamed: a national export has millions)."""
    if last < 0:
        return []
    strings: list[str] = []
    state = {"text": None, "in_t": False}

    def start(name, attrs):
        name = name.rsplit(":", 1)[-1]
        if name == "si":
            state["text"] = []
        elif name == "t" and state["text"] is not None:
            state["in_t"] = True

    def end(name):
        name = name.rsplit(":", 1)[-1]
        if name == "t":
            state["in_t"] = False
        elif name == "si":
            strings.append("".join(state["text"]))
            state["text"] = None
            if len(strings) > last:
                raise StopIteration

    def data(text):
        if state["in_t"]:
            state["text"].append(text)

    parser = expat.ParserCreate()
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, data
    try:
        with archive.open("xl/sharedStrings.xml") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):
                parser.Parse(block, False)
    except (KeyError, StopIteration):
        pass
    return strings


def column_reader(path: Path, sheet_name: str):
    """A function (header index, column indexes) -> {index: pyarrow array of the data rows below the header},
    read by fastexcel (calamine to Arrow). A column of one type comes typed (timestamps, floats, text); a column
    of mixed types comes as text (fastexcel coerces it)."""
    def read(header_index: int, indexes: list[int]) -> dict:
        import fastexcel

        reader = fastexcel.read_excel(str(path))
        # every row decides a column's type: sampled, a text among dates further down would come back empty
        batch = reader.load_sheet_eager(sheet_name, header_row=None, skip_rows=header_index + 1,
                                        use_columns=sorted(indexes), schema_sample_rows=None,
                                        dtype_coercion="coerce")
        return {index: batch.column(position) for position, index in enumerate(sorted(indexes))}

    return read


def is_serial_number_text(value) -> bool:
    """A number written as text by fastexcel's coercion of a mixed column ("42763", "6037.0")."""
    return isinstance(value, str) and bool(re.fullmatch(r"\d+(\.\d+)?", value.strip()))


def excel_date(serial: float, date1904: bool) -> dt.datetime:
    epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    return epoch + dt.timedelta(days=serial)
