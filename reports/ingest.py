"""Stage 1: find staff files, read every sheet, find its header, recognise its layout.

Output is a list of ``SheetTable``: the raw cell values of the columns a layout
needs, one row per candidate record, each with its spreadsheet row number.
Nothing is parsed here beyond what the reader gives (see ``validate``).
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import defusedxml.ElementTree as SafeET
import python_calamine

from .errors import Problem, column_index, column_letter
from .schema import LAYOUTS, Layout, layout_required_fields, normalise_header

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm"}
CSV_SUFFIXES = {".csv"}
HEADER_SEARCH_ROWS = 30
# A real 100 MB ICE export inflates to roughly 1 GB of XML; far beyond that, or a
# member that inflates more than MAX_RATIO times, is treated as a zip bomb.
MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
MAX_RATIO = 250
RATIO_CHECK_MIN_BYTES = 20 * 1024**2

TOTAL_ROW = re.compile(r"^\s*(grand\s+)?(sub)?totals?\b", re.IGNORECASE)


@dataclass
class RawSheet:
    file: str  # path relative to the inputs folder, as staff see it
    sheet: str  # sheet name; "" for a CSV file
    rows: list[list]  # rows[i] is spreadsheet row i + 1
    mtime: float
    date1904: bool = False
    hidden: bool = False
    merged_ranges: list = field(default_factory=list)
    formula_gaps: frozenset = frozenset()  # (row index, column index) of formulas with no saved value


@dataclass
class SheetTable:
    """One recognised sheet: the layout, and the raw values of the rows below its header."""

    file: str
    sheet: str
    mtime: float
    layout: Layout
    header_row: int  # spreadsheet row number of the header
    columns: dict[str, int]  # field -> 0-based column index
    headers: dict[str, str]  # field -> header text as written
    date1904: bool
    record_rows: list[int]  # spreadsheet row numbers of candidate records
    values: dict[str, list]  # field -> raw values, aligned with record_rows
    excluded: dict[int, str]  # spreadsheet row -> reason (blank, total, note)
    formula_gaps: frozenset = frozenset()  # (row index, column index): formula cells with no saved value

    @property
    def kind(self) -> str:
        return self.layout.kind

    def column_label(self, field_name: str) -> str:
        return f"{column_letter(self.columns[field_name])} ({self.headers[field_name]})"

    @property
    def rows_read(self) -> int:
        return len(self.record_rows) + len(self.excluded)


def find_input_files(inputs_dir: Path) -> tuple[list[Path], list[Problem]]:
    """Every spreadsheet under inputs_dir (sub-folders too), sorted; other files are warned about."""
    files, problems = [], []
    if not inputs_dir.exists():
        return files, problems
    for path in sorted(p for p in inputs_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(inputs_dir).as_posix()
        if any(part.startswith(".") for part in path.relative_to(inputs_dir).parts):
            continue  # .gitkeep, editor and OS metadata
        suffix = path.suffix.lower()
        if path.name.startswith("~$"):
            problems.append(Problem("W101", rel, message="an Excel lock file (the workbook is open somewhere); not read"))
        elif suffix in SPREADSHEET_SUFFIXES | CSV_SUFFIXES:
            files.append(path)
        elif suffix == ".xls":
            problems.append(Problem("E101", rel, message="old .xls format; save it as .xlsx"))
        else:
            problems.append(Problem("W101", rel, message=f"{suffix or 'no extension'} files are not read"))
    return files, problems


def read_file(path: Path, rel: str) -> tuple[list[RawSheet], list[Problem]]:
    try:
        if path.suffix.lower() in CSV_SUFFIXES:
            return read_csv(path, rel)
        return read_workbook(path, rel)
    except UnsafeFile as exc:
        return [], [Problem("E102", rel, message=str(exc))]
    except UnreadableFile as exc:
        return [], [Problem(exc.code, rel, message=str(exc))]


class UnreadableFile(Exception):
    code = "E101"


class UnsafeFile(Exception):
    pass


class BadEncoding(UnreadableFile):
    code = "E103"


def decode_csv_bytes(data: bytes) -> str:
    """UTF-8 with or without BOM, else cp1252 (what Excel writes on Windows)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise BadEncoding(f"neither UTF-8 nor Windows-1252 (byte {exc.start})") from exc


def read_csv(path: Path, rel: str) -> tuple[list[RawSheet], list[Problem]]:
    text = decode_csv_bytes(path.read_bytes())
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    return [RawSheet(rel, "", rows, path.stat().st_mtime)], []


def check_zip(path: Path) -> tuple[bool, dict[str, frozenset]]:
    """Refuse zip bombs from the declared sizes, before anything is inflated.

    Returns the workbook's 1904 flag and, per sheet name, the formula cells that have no saved
    value (a workbook written by a script and never opened in Excel): a reader sees them empty.
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise UnreadableFile("not a valid .xlsx file (it is not a zip archive)") from exc
    with archive:
        members = archive.infolist()
        total = sum(m.file_size for m in members)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise UnsafeFile(f"declares {total:,} bytes of content, more than the {MAX_UNCOMPRESSED_BYTES:,} allowed")
        for m in members:
            if m.file_size > RATIO_CHECK_MIN_BYTES and m.file_size > MAX_RATIO * max(m.compress_size, 1):
                raise UnsafeFile(f"part {m.filename} inflates {m.file_size // max(m.compress_size, 1)}x")
        try:
            workbook_xml = archive.read("xl/workbook.xml")
        except KeyError as exc:
            raise UnreadableFile("not a valid .xlsx file (no workbook part)") from exc
        root = _safe_xml(workbook_xml, "workbook")
        date1904 = any(e.get("date1904", "0").lower() in ("1", "true")
                       for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "workbookPr")
        gaps = {name: _formula_gaps(archive, part) for name, part in _sheet_parts(archive, root).items()}
    return date1904, {name: found for name, found in gaps.items() if found}


def _safe_xml(data: bytes, what: str):
    try:
        return SafeET.fromstring(data)
    except Exception as exc:  # defusedxml raises on entity tricks, ParseError on junk
        raise UnsafeFile(f"{what} part refused by the XML parser: {exc}") from exc


def _sheet_parts(archive: zipfile.ZipFile, workbook_root) -> dict[str, str]:
    """Sheet name -> its XML part in the archive, from the workbook and its relationships."""
    try:
        rels = _safe_xml(archive.read("xl/_rels/workbook.xml.rels"), "relationships")
    except KeyError:
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter() if r.tag.rsplit("}", 1)[-1] == "Relationship"}
    parts = {}
    for sheet in workbook_root.iter():
        if sheet.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        rel_id = next((v for k, v in sheet.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
        target = targets.get(rel_id, "")
        parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return parts


_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_SAVED_VALUE = re.compile(rb"<v>[^<]")  # openpyxl writes an empty <v /> for a formula it cannot calculate


def _formula_gaps(archive: zipfile.ZipFile, part: str) -> frozenset:
    """Cells holding a formula but no saved value. Streams the part and parses it only if it has formulas."""
    try:
        with archive.open(part) as handle:
            tail, has_formula = b"", False
            for block in iter(lambda: handle.read(1 << 24), b""):
                if b"<f" in tail + block:
                    has_formula = True
                    break
                tail = block[-2:]
            if not has_formula:
                return frozenset()
        data = archive.read(part)
    except KeyError:
        return frozenset()
    gaps = set()
    for match in _CELL.finditer(data):
        inner = match[2] or b""
        if b"<f" in inner and not _SAVED_VALUE.search(inner):
            ref = _REF.search(match[1])
            if ref:
                gaps.add((int(ref[2]) - 1, column_index(ref[1].decode("ascii"))))
    return frozenset(gaps)



def read_workbook(path: Path, rel: str) -> tuple[list[RawSheet], list[Problem]]:
    date1904, formula_gaps = check_zip(path)
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several types for corrupt parts
        raise UnreadableFile(f"not a readable .xlsx file ({type(exc).__name__}: {exc})") from exc
    sheets = []
    mtime = path.stat().st_mtime
    try:
        for meta in workbook.sheets_metadata:
            if str(meta.typ) != str(python_calamine.SheetTypeEnum.WorkSheet):
                continue
            hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
            sheet = workbook.get_sheet_by_name(meta.name)
            # skip_empty_area=False keeps rows[i] == spreadsheet row i + 1
            rows = sheet.to_python(skip_empty_area=False)  # hidden sheets too: their rows are reconciled
            merged = [] if hidden else (sheet.merged_cell_ranges or [])
            sheets.append(RawSheet(rel, meta.name, rows, mtime, date1904, hidden, merged,
                                   formula_gaps.get(meta.name, frozenset())))
    except Exception as exc:
        raise UnreadableFile(f"not a readable .xlsx file ({type(exc).__name__}: {exc})") from exc
    finally:
        workbook.close()
    return sheets, []


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _header_keys(row: list) -> dict[str, list[int]]:
    keys: dict[str, list[int]] = {}
    for index, cell in enumerate(row):
        if isinstance(cell, str) and cell.strip():
            keys.setdefault(normalise_header(cell), []).append(index)
    return keys


def _match(layout: Layout, keys: dict[str, list[int]]) -> dict[str, list[int]]:
    """field -> column indexes of every header in the row that means that field."""
    matched = {}
    for field_name, aliases in layout.headers.items():
        indexes = sorted({i for alias in aliases for i in keys.get(normalise_header(alias), [])})
        if indexes:
            matched[field_name] = indexes
    return matched


def recognise(sheet: RawSheet) -> tuple[SheetTable | None, list[Problem]]:
    """Find the header row and the layout it belongs to."""
    where = dict(file=sheet.file, sheet=sheet.sheet)
    if sheet.hidden:
        return None, [Problem("W203", **where)]
    if not any(not is_blank(c) for row in sheet.rows for c in row):
        return None, [Problem("W205", **where)]

    best_partial = None  # (matched required count, row index, layout, missing)
    for row_index, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        keys = _header_keys(row)
        if not keys:
            continue
        candidates = []
        for order, layout in enumerate(LAYOUTS):
            matched = _match(layout, keys)
            required = layout_required_fields(layout)
            missing = [f for f in required if f not in matched]
            if not missing:
                candidates.append((-len(matched), order, layout, matched))
            else:
                have = len(required) - len(missing)
                if have >= 2 and (best_partial is None or have > best_partial[0]):
                    best_partial = (have, row_index, layout, missing)
        if candidates:
            candidates.sort(key=lambda c: (c[0], c[1]))
            _, _, layout, matched = candidates[0]
            return _build_table(sheet, row_index, layout, matched)

    if best_partial:
        _, row_index, layout, missing = best_partial
        names = ", ".join(repr(_canonical_name(layout, f)) for f in missing)
        return None, [Problem("E201", row=row_index + 1, message=(
            f"looks like a {layout.kind} table ({layout.name}) but has no {names} column"), **where)]
    return None, [Problem("W201", message="no header row of a known table in the first "
                          f"{HEADER_SEARCH_ROWS} rows; the sheet was not read", **where)]


def _canonical_name(layout: Layout, field_name: str) -> str:
    from .schema import KINDS

    return KINDS[layout.kind].column(field_name).name


def _build_table(sheet: RawSheet, header_index: int, layout: Layout, matched: dict[str, list[int]]):
    where = dict(file=sheet.file, sheet=sheet.sheet)
    header = sheet.rows[header_index]
    header_row = header_index + 1
    problems: list[Problem] = []
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for field_name, indexes in matched.items():
        if len(indexes) > 1:
            labels = " and ".join(f"{column_letter(i)} ({header[i]})" for i in indexes)
            problems.append(Problem("E202", row=header_row, column=labels,
                                    message=f"both mean {_canonical_name(layout, field_name)!r}", **where))
        columns[field_name] = indexes[0]
        headers[field_name] = str(header[indexes[0]]).strip()

    used = {i for indexes in matched.values() for i in indexes}
    data = sheet.rows[header_index + 1:]
    width = max((len(r) for r in sheet.rows), default=0)
    unknown = [f"{column_letter(i)} ({str(header[i]).strip()})" for i in range(min(len(header), width))
               if i not in used and not is_blank(header[i])]
    if unknown:
        problems.append(Problem("W202", row=header_row, column=", ".join(unknown), message=(
            f"{len(unknown)} column(s) not part of the {layout.name} layout were ignored"), **where))
    for i in range(width):
        if i in used or (i < len(header) and not is_blank(header[i])):
            continue
        if any(i < len(r) and not is_blank(r[i]) for r in data):
            merged = any(r0 == header_index and c0 < i <= c1 for (r0, c0), (_, c1) in sheet.merged_ranges)
            note = " (the header cell is part of a merged cell)" if merged else ""
            problems.append(Problem("W204", row=header_row, column=column_letter(i),
                                    message=f"the column has values but no header{note}; not read", **where))

    if any(p.code == "E202" for p in problems):
        return None, problems

    required = layout_required_fields(layout)
    required_idx = [columns[f] for f in required]
    excluded: dict[int, str] = {}
    status: list[str] = []
    for row in data:
        if all(is_blank(c) for c in row):
            status.append("blank row")
        else:
            first = next(c for c in row if not is_blank(c))
            status.append("total row" if isinstance(first, str) and TOTAL_ROW.match(first) else "")
    # A row holding a single text cell (a source line, a footnote) is not a record, even when
    # that cell sits in a required column: after the last record it is a note below the data.
    # Scanning back from the end keeps the whole-row check to the few rows below the data.
    last_data = next((i for i in range(len(data) - 1, -1, -1)
                      if status[i] == "" and any(j < len(data[i]) and not is_blank(data[i][j]) for j in required_idx)
                      and not _single_text_cell(data[i])), -1)
    for i in range(last_data + 1, len(data)):
        if status[i] == "":
            status[i] = "note below the data"

    record_rows = []
    record_data = []
    for i, (s, row) in enumerate(zip(status, data)):
        row_number = header_row + 1 + i
        if s:
            excluded[row_number] = s
        else:
            record_rows.append(row_number)
            record_data.append(row)
    values = {f: [r[idx] if idx < len(r) else "" for r in record_data] for f, idx in columns.items()}
    table = SheetTable(sheet.file, sheet.sheet, sheet.mtime, layout, header_row, columns, headers,
                       sheet.date1904, record_rows, values, excluded, sheet.formula_gaps)
    return table, problems


def _single_text_cell(row: list) -> bool:
    filled = [c for c in row if not is_blank(c)]
    return len(filled) == 1 and isinstance(filled[0], str)


def file_fingerprint(rel: str) -> str:
    return hashlib.sha1(rel.encode("utf-8")).hexdigest()[:8]
