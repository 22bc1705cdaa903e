"""Large .xlsx sheets read by column: the first rows from the XML stream, the data through fastexcel.

A national ICE export has ~60 columns and ~320,000 rows, of which the ingest uses ~13 columns. Turning every
cell into a Python object (what python-calamine's ``to_python`` does) costs more time and memory than the rest
of the run. So, for a sheet whose declared size (``<dimension>``) is large:

- the header is found in the first rows, read here by streaming the sheet's XML and stopping after them
  (shared strings are read only as far as those rows need);
- once the layout is known, only its columns are read, by fastexcel (calamine to Arrow) into columnar memory,
  and turned into Python values column by column. calamine holds every cell of what it parses, so the sheet
  is handed to it in blocks of rows (a one-sheet workbook each, built here from the streamed XML), two
  blocks parsed at a time on two threads: the peak is a few blocks' cells, not the whole sheet's (about
  0.9 GB instead of 1.7 GB for 320,000 rows x 60 columns), and it takes no longer than one whole read.

Small sheets (staff templates) are read whole by python-calamine, as before: nothing about them changes.
"""
from __future__ import annotations

import collections
import datetime as dt
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from xml.parsers import expat

from .errors import column_index, column_letter

# fastexcel logs a column without any value in a block of rows ("falling back to string"): expected here
logging.getLogger("fastexcel").setLevel(logging.ERROR)

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


@dataclass
class SheetTail:
    """What a read in blocks saw of the rest of the sheet's XML, so that it need not be inflated again."""

    has_formula: bool = False
    after_data: bytes = b""  # what follows the rows (merged ranges)


def column_reader(path: Path, sheet_name: str, part: str, date1904: bool):
    """A function (header index, column indexes) -> ({index: [pyarrow arrays, one per block of rows]}, SheetTail
    or None when the sheet was read whole) holding the data rows below the header, read by fastexcel (calamine
    to Arrow). Within a block, a column of one type comes typed (timestamps, floats, text) and a column of mixed
    types comes as text (fastexcel coerces it). ``convert`` is applied to each array on the thread that read it
    (the caller's own work on a block is done while the next ones are parsed).

    calamine holds every cell of what it parses (all ~60 columns of a national export: about 2 GB for 320,000
    rows), so the sheet is handed to it in blocks of rows (``ROW_BLOCK_XML_BYTES`` of XML each), and only the
    wanted columns of each block are kept, as Arrow arrays. A sheet whose rows cannot be cut safely (a row
    without its number, rows out of order, a prefixed namespace) is read whole, as before."""
    def read(header_index: int, indexes: list[int], convert: Callable = as_is
             ) -> tuple[dict[int, list], SheetTail | None]:
        tail = SheetTail()
        try:
            return _read_in_row_blocks(path, part, date1904, header_index, indexes, tail, convert), tail
        except _NotCuttable:
            return _read_whole(path, sheet_name, header_index, indexes, convert), None

    return read


ROW_BLOCK_XML_BYTES = 64 << 20  # ~20,000 rows of a 60-column export; calamine then holds ~130 MB at a time
BLOCK_PARSERS = 2  # blocks parsed at the same time: two cores; each holds a block's cells while it parses
# Every block's workbook carries the whole shared-strings table, which calamine parses again for each block:
# blocks are at least this many times its size, so that costs at most a quarter more than one whole read.
SHARED_STRINGS_PER_BLOCK = 4
_READ_BYTES = 16 << 20
_ROW_START = re.compile(rb"<row\b")
# a formula's start tag (<f>, <f t="shared" …/>); the regex engine skips the XML's many other "<" faster than
# bytes.find(b"<f") does, and "<family" (a rich text's font) is not taken for one
FORMULA_START = re.compile(rb"<f[\s/>]")
_ROW_NUMBER = re.compile(rb'<row r="(\d+)"')
_PACKAGE = {
    "[Content_Types].xml": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/xl/workbook.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        b'<Override PartName="/xl/worksheets/sheet1.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Target="xl/workbook.xml" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
        b'</Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        b'<Relationship Id="rId2" Target="styles.xml" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"/>'
        b'<Relationship Id="rId3" Target="sharedStrings.xml" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
        b'</Relationships>'),
}
_WORKBOOK = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
             b'<workbookPr date1904="%d"/><sheets><sheet name="rows" sheetId="1" r:id="rId1"/></sheets></workbook>')


class _NotCuttable(Exception):
    """The sheet's rows cannot be handed over in blocks; it is read whole."""


class _NotIndexable(Exception):
    """The blocks cannot hold shared strings by their index; each carries the whole table instead."""


# A text cell from the shared-strings table goes to calamine as a formula's text result holding its index after a
# private-use character (never in an export's text: a sheet holding it is read the other way), and is looked up in
# the table, parsed once, when the block's column comes back: a block then needs no copy of the table, which
# calamine would parse again for every block (a national export's table: about 900,000 strings, 25 MB).
_INDEX_MARK = "\ue000"
_SHARED_CELL = b' t="s"><v>'
_MARK_BYTES = _INDEX_MARK.encode("utf-8")
_MARK_LEAD_BYTE = _MARK_BYTES[:1]
_MARKED_CELL = b' t="str"><v>' + _MARK_BYTES
_PLAIN_SHARED_STRING = re.compile(r'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>')
_XML_ENTITY = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _unescape(text: str) -> str:
    return _XML_ENTITY.sub(lambda m: _ENTITIES[m[1]] if m[1] else chr(int(m[2]) if m[2] else int(m[3], 16)), text)


def shared_string_table(sst: bytes):
    """The shared-strings table as an Arrow text array, when every string is plain text in one ``<t>``, read
    exactly as calamine reads it; None for a table with rich-text runs, phonetic hints, ``_xHHHH_`` escapes or
    carriage returns (calamine's own reading of those is kept: each block then carries the table)."""
    import pyarrow as pa

    if b"_x" in sst or b"\r" in sst:
        return None
    texts = _PLAIN_SHARED_STRING.findall(sst.decode("utf-8"))
    if len(texts) != sst.count(b"<si"):
        return None
    if b"&" in sst:
        texts = [_unescape(t) if "&" in t else t for t in texts]
    return pa.array(texts, type=pa.large_string())


def _mark_shared_cells(rows_xml) -> bytes:
    """The rows with each shared-string cell as its marked index (``_INDEX_MARK``)."""
    rows_xml = bytes(rows_xml)
    # the mark's first byte is looked for first: a one-byte search is a tenth of the three-byte one
    if _MARK_LEAD_BYTE in rows_xml and _MARK_BYTES in rows_xml:
        raise _NotIndexable
    marked = rows_xml.replace(_SHARED_CELL, _MARKED_CELL)
    if b't="s"' in marked:  # a shared-string cell written otherwise (or the words in a text: read the other way)
        raise _NotIndexable
    return marked


def _resolve_shared(array, table):
    """A block's column with every marked index replaced by its text from the shared-strings table."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return array
    marked = pc.starts_with(array, _INDEX_MARK)
    if not pc.any(marked).as_py():
        return array
    index = pc.cast(pc.utf8_slice_codeunits(pc.if_else(marked, array, _INDEX_MARK + "0"), 1), pa.int64())
    if pc.max(index).as_py() >= len(table):
        raise _NotIndexable
    return pc.if_else(marked, table.take(index).cast(array.type), array)


def as_is(array):
    return array


def _read_in_row_blocks(path: Path, part: str, date1904: bool, header_index: int, indexes: list[int],
                        tail: SheetTail, convert: Callable = as_is) -> dict:
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        common = {name: archive.read(f"xl/{name}") for name in ("styles.xml", "sharedStrings.xml")
                  if f"xl/{name}" in names}
    table = shared_string_table(common["sharedStrings.xml"]) if "sharedStrings.xml" in common else None
    if table is not None:
        try:
            return _read_blocks(path, part, date1904, header_index, indexes, tail, convert,
                                {"styles.xml": common["styles.xml"]} if "styles.xml" in common else {}, table)
        except _NotIndexable:
            tail.has_formula, tail.after_data = False, b""
    return _read_blocks(path, part, date1904, header_index, indexes, tail, convert, common, None)


def _read_blocks(path: Path, part: str, date1904: bool, header_index: int, indexes: list[int], tail: SheetTail,
                 convert: Callable, common: dict, table) -> dict:
    """The blocks read on parser threads: with ``table``, shared strings go by their index (``_INDEX_MARK``)
    and blocks carry no table; without, each block carries ``common``'s table."""
    from concurrent.futures import ThreadPoolExecutor

    columns: dict[int, list] = {i: [] for i in indexes}
    in_flight: collections.deque = collections.deque()

    def collect(future) -> None:
        for index, array in future.result().items():
            columns[index].append(array)

    # fastexcel releases the GIL: blocks are parsed on both cores while this thread inflates the next one
    with zipfile.ZipFile(path) as archive, ThreadPoolExecutor(BLOCK_PARSERS, "xlsx-block") as parsers:
        block_bytes = max(ROW_BLOCK_XML_BYTES, SHARED_STRINGS_PER_BLOCK * len(common.get("sharedStrings.xml", b"")))
        blocks = _blocks(archive, part, header_index + 1, indexes, common, date1904, block_bytes, tail,
                         mark_shared=table is not None)
        for book, count in blocks:
            in_flight.append(parsers.submit(_read_block, book, count, indexes, convert, table))
            while len(in_flight) > BLOCK_PARSERS:  # memory: at most this many blocks parsed at a time
                collect(in_flight.popleft())
        while in_flight:
            collect(in_flight.popleft())
    return columns


def _blocks(archive: zipfile.ZipFile, part: str, done: int, indexes: list[int], common: dict, date1904: bool,
            block_bytes: int, tail: SheetTail, mark_shared: bool = False):
    """The sheet's rows numbered above ``done`` (rows 1..done are the header and what is above it), as
    (a one-sheet workbook, how many rows it covers) for blocks of about ``block_bytes`` of XML; the last
    block covers every row to its last cell (None).

    Each workbook holds its block's rows under a made-up header row numbered ``done``, one named cell per
    wanted column, and the original styles (they tell dates from numbers) and shared strings: calamine's rows
    then start at that header, so a block gives exactly the rows after the previous block, blank rows
    included, wherever its first cell is. A block ends just before a row carrying its number (r="…"), and
    covers the blank rows up to that one. Rows inside a block may omit their numbers (calamine counts them,
    as in a whole read); rows out of order (which the format does not allow) are refused. ``tail`` is told
    whether any cell holds a formula, and given what follows the rows."""
    with archive.open(part) as handle:
        head = b""
        while (start := re.search(rb"<sheetData\b[^>]*>", head)) is None:
            more = handle.read(_READ_BYTES)
            if not more:
                return
            head += more
        root = re.search(rb"<worksheet\b[^>]*>", head)
        if root is None:
            raise _NotCuttable("no <worksheet> start tag without a namespace prefix")
        if start[0].endswith(b"/>"):
            tail.has_formula, tail.after_data = False, head[start.end():] + handle.read()
            return
        carry, block, started = head[start.end():], None, False
        while True:
            more = handle.read(_READ_BYTES)
            data = carry + more if carry else more
            last_row = data.rfind(b"<row ")  # (not "<rowBreaks", which may follow the rows)
            end = data.find(b"</sheetData>", max(last_row, 0))
            last = not more or end >= 0
            rows_end = (len(data) if end < 0 else end) if last else last_row
            tail.has_formula = tail.has_formula or FORMULA_START.search(data, 0, rows_end) is not None
            if rows_end <= 0 and not last:  # no whole row yet (a row longer than a read)
                carry = data
                continue
            rows_start = 0
            if not started:
                rows_start = _first_row_after(data, rows_end, done)
                started = rows_start < rows_end
            if started:
                if block is None:
                    block = _BlockBook(root[0], _header_row(done, indexes), common, date1904)
                rows_xml = memoryview(data)[rows_start:rows_end]
                block.write(_mark_shared_cells(rows_xml) if mark_shared else rows_xml)
            if last:
                tail.after_data = data[end:] + handle.read() if end >= 0 else b""
                if block is not None:
                    yield block.close(), None
                return
            carry = data[rows_end:]
            following = _ROW_NUMBER.match(carry)
            if block is not None and block.size >= block_bytes and (following or b">" in carry):
                if following is None:  # (a start tag cut by the read is completed by the next one)
                    raise _NotCuttable("a row without its number")
                if int(following[1]) <= done:
                    raise _NotCuttable("rows out of order")
                yield block.close(), int(following[1]) - 1 - done
                done, block = int(following[1]) - 1, None


def _first_row_after(data: bytes, end: int, done: int) -> int:
    """Where the first row numbered above ``done`` starts in data[:end] (end if none does): the first block
    also holds the title rows and the header."""
    for match in _ROW_START.finditer(data, 0, end):
        number = _ROW_NUMBER.match(data, match.start())
        if number is None:
            raise _NotCuttable("a row without its number")
        if int(number[1]) > done:
            return match.start()
    return end


def _header_row(number: int, indexes: list[int]) -> bytes:
    cells = b"".join(b'<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>'
                     % (column_letter(i).encode(), number, _block_column(i).encode()) for i in sorted(indexes))
    return b'<row r="%d">%s</row>' % (number, cells)


def _block_column(index: int) -> str:
    return f"column {index}"


class _BlockBook:
    """A one-sheet workbook in memory, its sheet written piece by piece (stored, not compressed)."""

    def __init__(self, root: bytes, header: bytes, common: dict[str, bytes], date1904: bool):
        self.out = io.BytesIO()
        self.book = zipfile.ZipFile(self.out, "w", zipfile.ZIP_STORED)
        for name, data in _PACKAGE.items():
            self.book.writestr(name, data)
        self.book.writestr("xl/workbook.xml", _WORKBOOK % int(date1904))
        for name, data in common.items():
            self.book.writestr(f"xl/{name}", data)
        self.sheet = self.book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self.sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + root + b"<sheetData>" + header)
        self.size = 0

    def write(self, rows_xml) -> None:
        self.sheet.write(rows_xml)
        self.size += len(rows_xml)

    def close(self) -> bytes:
        self.sheet.write(b"</sheetData></worksheet>")
        self.sheet.close()
        self.book.close()
        return self.out.getvalue()


def _read_block(book: bytes, count: int | None, indexes: list[int], convert: Callable = as_is, table=None) -> dict:
    """The ``count`` rows under a block's made-up header row (None: to the last cell), the given columns; with
    ``table``, the block's shared strings are marked indexes into it (``_mark_shared_cells``)."""
    import fastexcel
    import pyarrow as pa

    sheet = fastexcel.read_excel(book).load_sheet(
        0, header_row=0, n_rows=count, schema_sample_rows=None, dtype_coercion="coerce",
        use_columns=[_block_column(i) for i in indexes])
    batch = sheet.to_arrow()
    out = {}
    for index in indexes:
        array = batch.column(_block_column(index))
        if count is not None and len(array) < count:  # blank rows at the end of the block
            array = pa.concat_arrays([array, pa.nulls(count - len(array), array.type)])
        out[index] = convert(_resolve_shared(array, table) if table is not None else array)
    return out


def _read_whole(path: Path, sheet_name: str, header_index: int, indexes: list[int],
                convert: Callable = as_is) -> dict:
    import fastexcel
    import pyarrow as pa

    wanted = set(indexes)
    # every row decides a column's type: sampled, a text among dates further down would come back empty
    sheet = fastexcel.read_excel(str(path)).load_sheet(
        sheet_name, header_row=None, skip_rows=header_index + 1, schema_sample_rows=None, dtype_coercion="coerce",
        use_columns=lambda column: column.absolute_index in wanted)
    batch = sheet.to_arrow()
    # fastexcel numbers columns from the first one holding a cell: they are matched by their absolute index
    position = {column.absolute_index: n for n, column in enumerate(sheet.selected_columns)}
    return {index: [convert(batch.column(position[index]) if index in position else pa.nulls(batch.num_rows))]
            for index in indexes}


def is_serial_number_text(value) -> bool:
    """A number written as text by fastexcel's coercion of a mixed column ("42763", "6037.0")."""
    return isinstance(value, str) and bool(re.fullmatch(r"\d+(\.\d+)?", value.strip()))


def excel_date(serial: float, date1904: bool) -> dt.datetime:
    epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
    return epoch + dt.timedelta(days=serial)
