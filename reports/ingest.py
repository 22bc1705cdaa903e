"""Stage 1: find staff files, read every sheet, find its header, recognise its layout.

Output is a list of ``SheetTable``: the raw cell values of the columns a layout
needs, one row per candidate record, each with its spreadsheet row number.
Nothing is parsed here beyond what the reader gives (see ``validate``).
"""
from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import time
import zipfile
import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from os import scandir
from pathlib import Path
from typing import Callable

import defusedxml.ElementTree as SafeET
import numpy as np
import python_calamine

from .atomic import sha256_file
from .errors import Problem, column_index, column_letter
from . import xlsx
from .schema import LAYOUTS, Layout, layout_required_fields, normalise_header

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm"}
ODS_SUFFIXES = {".ods"}
TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}  # delimited text: comma, tab (Excel's "Unicode Text"), semicolon, pipe
READ_SUFFIXES = SPREADSHEET_SUFFIXES | ODS_SUFFIXES | TEXT_SUFFIXES
OTHER_SPREADSHEETS = {".xlsb", ".numbers", ".fods", ".xltx", ".xltm", ".ots"}
HEADER_SEARCH_ROWS = 30
# A real 100 MB ICE export inflates to roughly 1 GB of XML; far beyond that, or a
# member that inflates more than MAX_RATIO times, is treated as a zip bomb.
MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
MAX_RATIO = 250
RATIO_CHECK_MIN_BYTES = 20 * 1024**2
# A file modified this recently may still be being copied: it is looked at once more a second later.
SETTLE_SECONDS = 3.0
SETTLE_PAUSE = 1.0

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003, and Excel's encrypted workbooks
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # the stream an encrypted .xlsx is wrapped in

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
    # A large sheet (reports.xlsx): ``rows`` holds only its first rows; the data are read by column.
    width: int | None = None
    read_columns: Callable | None = None  # (header index, column indexes) -> {index: values below the header}
    read_whole: Callable | None = None  # () -> every row, for a sheet whose columns cannot be read by type

    @property
    def row_count(self) -> int:
        return len(self.rows)


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
    error_rows: frozenset = frozenset()  # spreadsheet rows not counted: under a merged data cell (E203)
    # (spreadsheet row, field) -> "month" or "year": a date cell whose number format shows no day (Excel turns
    # "February 2017" typed into a cell into 1 Feb 2017 shown as Feb-17); only for descriptive date columns
    cell_precisions: dict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.layout.kind

    def column_label(self, field_name: str) -> str:
        return f"{column_letter(self.columns[field_name])} ({self.headers[field_name]})"

    @property
    def rows_read(self) -> int:
        return len(self.record_rows) + len(self.excluded)


def find_input_files(inputs_dir: Path) -> tuple[list[Path], list[Problem]]:
    """Every file to read under inputs_dir (sub-folders too), sorted; every other entry is named in a problem.

    Hidden names (.gitkeep, editor and OS metadata) are skipped. A folder that cannot be listed, a named pipe
    or device, a broken link and a link leading outside the folder are errors: never silently skipped.
    """
    files, problems = [], []
    if not inputs_dir.exists():
        return files, problems
    root = inputs_dir.resolve()
    pending = [inputs_dir]
    while pending:
        folder = pending.pop()
        rel_folder = folder.relative_to(inputs_dir).as_posix()
        try:
            entries = sorted(scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(Problem("E106", f"{rel_folder}/", message=f"the folder cannot be listed "
                                                                   f"({exc.strerror or exc}); its files were not read"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            rel = path.relative_to(inputs_dir).as_posix()
            if entry.is_symlink():
                target = path.resolve()
                if not target.exists():
                    problems.append(Problem("E107", rel, message=f"a link to {target}, which does not exist"))
                    continue
                if not target.is_relative_to(root):
                    problems.append(Problem("E108", rel, message=f"a link to {target}, outside {inputs_dir}"))
                    continue
                if target.is_dir():
                    problems.append(Problem("W101", rel, message="a link to a folder inside the inputs folder; "
                                                                 "not followed (its files are read where they are)"))
                    continue
            if entry.is_dir(follow_symlinks=False):
                pending.append(path)
            elif not path.is_file():
                problems.append(Problem("E107", rel, message="not a regular file (a named pipe, socket or device)"))
            else:
                problem = _unread_reason(path, rel)
                if problem:
                    problems.append(problem)
                else:
                    files.append(path)
    files.sort(key=lambda p: p.relative_to(inputs_dir).as_posix())
    return files, problems


def _unread_reason(path: Path, rel: str) -> Problem | None:
    suffix = path.suffix.lower()
    if path.name.startswith("~$"):
        return Problem("W101", rel, message="an Excel lock file (the workbook is open somewhere); not read")
    if suffix in READ_SUFFIXES:
        return None
    if suffix == ".xls":
        return Problem("E101", rel, message="old .xls format; save it as .xlsx")
    if suffix in OTHER_SPREADSHEETS:  # a table that may hold records: an error, never a file quietly skipped
        return Problem("E101", rel, message=f"{suffix} spreadsheets are not read; save it as .xlsx")
    return Problem("W101", rel, message=f"{suffix or 'no extension'} files are not read")


def file_state(path: Path) -> tuple[int, int]:
    """(size, modification time in ns): what changes while a file is still being written."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def pause(seconds: float) -> None:
    time.sleep(seconds)


def read_inputs(inputs_dir: Path, paths: list[Path], check_file, cache=None) -> list:
    """Check every file (``check_file(path, rel, digest or None) -> cache.FileResult``), or take its result
    from the cache;
    a file that changes while it is looked at is still being copied: E105, and nothing of it.

    Each file's size and modification time are taken before and after it is read (or hashed, for the cache);
    files modified in the last SETTLE_SECONDS are looked at once more SETTLE_PAUSE later (one pause for all,
    before reading). A complete file that is merely new is read normally.
    """
    from .cache import FileResult

    first: dict[Path, tuple | None] = {}
    for path in paths:
        try:
            first[path] = file_state(path)
        except OSError:
            first[path] = None
    now_ns = time.time_ns()
    if any(state and now_ns - state[1] < SETTLE_SECONDS * 1e9 for state in first.values()):
        pause(SETTLE_PAUSE)
    results = []
    for path in paths:
        rel = path.relative_to(inputs_dir).as_posix()
        try:
            before = file_state(path)
        except OSError as exc:
            results.append(_file_problem(rel, Problem("E106", rel, message=f"cannot be read ({exc.strerror or exc})")))
            continue
        if first[path] != before:
            results.append(_file_problem(rel, _still_copying(rel, first[path], before)))
            continue
        result, digest = None, None
        if cache is not None and cache.enabled:
            digest = cache.digest(path, rel)
            result = cache.load(digest, rel)
        fresh = result is None
        if fresh:
            result = check_file(path, rel, digest)
        try:
            after = file_state(path)
        except OSError:
            after = None
        if after != before:
            results.append(_file_problem(rel, _still_copying(rel, before, after)))
            continue
        if fresh and cache is not None:
            cache.store(result)
        results.append(result)
    return results


def _file_problem(rel: str, problem: Problem):
    from .cache import FileResult

    return FileResult(rel, None, [problem], [{"file": rel, "sheet": "", "kind": "", "layout": "not read"}], [], [])


def _still_copying(rel: str, before, after) -> Problem:
    if after is None:
        what = "it disappeared"
    elif before and after[0] != before[0]:
        what = f"its size went from {before[0]:,} to {after[0]:,} bytes"
    else:
        what = "it was modified"
    return Problem("E105", rel, message=f"{what} while it was being read: it is still being copied or written; "
                                        "run again when it is complete. Nothing was published")


def read_file(path: Path, rel: str, max_bytes: int | None = None) -> tuple[list[RawSheet], list[Problem]]:
    """The sheets of one file, or the problem that stopped it being read."""
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            return [], [Problem("E109", rel, message=f"{size:,} bytes, more than max_input_bytes "
                                                     f"({max_bytes:,}); not read")]
        with open(path, "rb") as handle:
            head = handle.read(8)
        suffix = path.suffix.lower()
        if head.startswith(OLE_MAGIC):
            if _contains(path, ENCRYPTED_PACKAGE):
                raise Encrypted("the workbook is encrypted with a password")
            raise UnreadableFile("an old Excel 97-2003 workbook (.xls format); save it as .xlsx")
        if suffix in TEXT_SUFFIXES:
            if head.startswith(ZIP_MAGIC):
                raise UnreadableFile(f"a zipped spreadsheet (.xlsx or .ods) with a {suffix} name; "
                                     "give it its right extension")
            return read_csv(path, rel)
        if suffix in ODS_SUFFIXES:
            return read_workbook(path, rel, ods=True)
        return read_workbook(path, rel)
    except UnsafeFile as exc:
        return [], [Problem("E102", rel, message=str(exc))]
    except UnreadableFile as exc:
        return [], [Problem(exc.code, rel, message=str(exc))]
    except PermissionError as exc:
        return [], [Problem("E106", rel, message=f"cannot be read ({exc.strerror or exc})")]
    except OSError as exc:
        return [], [Problem("E101", rel, message=f"cannot be read ({exc.strerror or exc})")]


def _contains(path: Path, needle: bytes) -> bool:
    with open(path, "rb") as handle:
        tail = b""
        for block in iter(lambda: handle.read(1 << 20), b""):
            if needle in tail + block:
                return True
            tail = block[-len(needle):]
    return False


class UnreadableFile(Exception):
    code = "E101"


class UnsafeFile(Exception):
    pass


class BadEncoding(UnreadableFile):
    code = "E103"


class Encrypted(UnreadableFile):
    code = "E111"


class CellTooLong(UnreadableFile):
    code = "E110"


def decode_csv_bytes(data: bytes) -> str:
    """UTF-16 by its byte-order mark (Excel's "Unicode Text"), UTF-8 with or without BOM, else cp1252 (what
    Excel writes on Windows). Text that still holds NUL characters is not text in any of these: one error."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _decode(data, "utf-16")
    elif data.startswith(b"\xef\xbb\xbf"):
        text = _decode(data[3:], "utf-8")
    elif _looks_utf16(data):
        text = _decode(data, "utf-16-le" if data[1:200:2].count(0) > data[0:200:2].count(0) else "utf-16-be")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as exc:
                raise BadEncoding(f"wrong encoding: neither UTF-8, UTF-16 nor Windows-1252 text "
                                  f"(byte {exc.start})") from exc
    if "\x00" in text:
        raise BadEncoding("wrong encoding: the text holds NUL characters, so it is not UTF-8, UTF-16 or "
                          "Windows-1252 text (a binary file, or another encoding)")
    return text


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise BadEncoding(f"wrong encoding: not valid {encoding.upper()} (byte {exc.start})") from exc


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a byte-order mark: in ASCII-range text every other byte is NUL."""
    sample = data[:2000]
    if len(sample) < 4 or sample.count(0) < len(sample) // 4:
        return False
    half = len(sample) // 2
    return max(sample[0::2].count(0), sample[1::2].count(0)) > 0.8 * half and min(
        sample[0::2].count(0), sample[1::2].count(0)) < 0.1 * half


DELIMITERS = (",", "\t", ";", "|")


def choose_delimiter(text: str, preferred: str = ",") -> str:
    """The delimiter that splits the most of the first lines into the same number (two or more) of fields.
    Title lines above a header do not confuse it the way csv.Sniffer is confused."""
    lines = [line for line in text[:50000].splitlines()[:200] if line.strip()]
    best, best_score = preferred, 0
    for delimiter in (preferred, *(d for d in DELIMITERS if d != preferred)):
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        common = Counter(w for w in widths if w >= 2).most_common(1)
        score = common[0][1] if common else 0
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_csv(path: Path, rel: str) -> tuple[list[RawSheet], list[Problem]]:
    """A delimited text file (.csv, .tsv, .txt): one sheet, named ""."""
    text = decode_csv_bytes(path.read_bytes())
    delimiter = choose_delimiter(text, "," if path.suffix.lower() == ".csv" else "\t")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, line = [], 0  # line: the last line of the last row read whole
    try:
        for row in reader:
            rows.append(row)
            line = reader.line_num
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise CellTooLong(f"the row starting on line {line + 1:,} has a cell longer than "
                              f"{csv.field_size_limit():,} characters (a quote that is never closed, or not a "
                              "table)") from None
        raise UnreadableFile(f"not a readable delimited text file (line {line + 1:,}: {exc})") from None
    return [RawSheet(rel, "", rows, path.stat().st_mtime)], []


@dataclass(frozen=True)
class SheetScan:
    """What one pass over a sheet's XML tells before it is read: formula cells without a saved value (a
    reader sees them empty), merged ranges, and how many rows the sheet declares."""

    formula_gaps: frozenset = frozenset()
    merged: tuple = ()
    declared: tuple[int, int] | None = None  # (rows, columns)


def check_zip(path: Path) -> tuple[bool, dict[str, SheetScan]]:
    """Refuse zip bombs from the declared sizes, before anything is inflated; the 1904 flag; each sheet's scan."""
    archive = _open_zip(path, ".xlsx")
    with archive:
        _check_sizes(archive)
        try:
            workbook_xml = archive.read("xl/workbook.xml")
        except KeyError as exc:
            raise UnreadableFile("not a valid .xlsx file (no workbook part)") from exc
        root = _safe_xml(workbook_xml, "workbook")
        date1904 = any(e.get("date1904", "0").lower() in ("1", "true")
                       for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "workbookPr")
        scans = {name: _scan_sheet(archive, part) for name, part in _sheet_parts(archive, root).items()}
    return date1904, scans


def check_ods(path: Path) -> None:
    """An OpenDocument spreadsheet: the zip-bomb check, and a password-protected file is named as such."""
    archive = _open_zip(path, ".ods")
    with archive:
        _check_sizes(archive)
        try:
            manifest = archive.read("META-INF/manifest.xml")
        except KeyError:
            manifest = b""
        if b"encryption-data" in manifest:
            raise Encrypted("the spreadsheet is encrypted with a password")


def _open_zip(path: Path, what: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise UnreadableFile(f"not a valid {what} file (it is not a zip archive)") from exc


def _check_sizes(archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise UnsafeFile(f"declares {total:,} bytes of content, more than the {MAX_UNCOMPRESSED_BYTES:,} allowed")
    for m in members:
        if m.file_size > RATIO_CHECK_MIN_BYTES and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise UnsafeFile(f"part {m.filename} inflates {m.file_size // max(m.compress_size, 1)}x")


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


_MERGE = re.compile(rb'<mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_END_OF_DATA = b"</sheetData>"


def _scan_sheet(archive: zipfile.ZipFile, part: str) -> SheetScan:
    """One streamed pass over the part; the formula check parses it only if it has formulas."""
    try:
        with archive.open(part) as handle:
            first = handle.read(4096)
            tail, has_formula, after_data = first[-16:], b"<f" in first, None
            for block in iter(lambda: handle.read(1 << 24), b""):
                seen = tail + block
                has_formula = has_formula or b"<f" in seen
                if after_data is not None:
                    after_data += block
                elif _END_OF_DATA in seen:
                    after_data = seen[seen.index(_END_OF_DATA):]
                tail = block[-16:]
            if after_data is None and _END_OF_DATA in first:
                after_data = first[first.index(_END_OF_DATA):]
        declared = xlsx.declared_size(archive, part)
        gaps = _formula_gaps(archive.read(part)) if has_formula else frozenset()
    except KeyError:
        return SheetScan()
    merged = tuple(((int(m[2]) - 1, column_index(m[1].decode())), (int(m[4]) - 1, column_index(m[3].decode())))
                   for m in _MERGE.finditer(after_data or b""))
    return SheetScan(gaps, merged, declared)


def _formula_gaps(data: bytes) -> frozenset:
    """Cells holding a formula but no saved value."""
    gaps = set()
    for match in _CELL.finditer(data):
        inner = match[2] or b""
        if b"<f" in inner and not _SAVED_VALUE.search(inner):
            ref = _REF.search(match[1])
            if ref:
                gaps.add((int(ref[2]) - 1, column_index(ref[1].decode("ascii"))))
    return frozenset(gaps)


def read_workbook(path: Path, rel: str, ods: bool = False) -> tuple[list[RawSheet], list[Problem]]:
    what = ".ods" if ods else ".xlsx"
    if ods:
        check_ods(path)
        date1904, scans = False, {}
    else:
        date1904, scans = check_zip(path)
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several types for corrupt parts
        raise UnreadableFile(f"not a readable {what} file ({type(exc).__name__}: {exc})") from exc
    sheets = []
    mtime = path.stat().st_mtime
    try:
        for meta in workbook.sheets_metadata:
            if str(meta.typ) != str(python_calamine.SheetTypeEnum.WorkSheet):
                continue
            hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
            scan = scans.get(meta.name, SheetScan())
            if not hidden and scan.declared and scan.declared[0] > xlsx.LARGE_SHEET_ROWS:
                sheets.append(_large_sheet(path, rel, meta.name, mtime, date1904, scan, workbook))
                continue
            sheet = workbook.get_sheet_by_name(meta.name)
            # skip_empty_area=False keeps rows[i] == spreadsheet row i + 1
            rows = sheet.to_python(skip_empty_area=False)  # hidden sheets too: their rows are reconciled
            merged = [] if hidden else (sheet.merged_cell_ranges or [])
            sheets.append(RawSheet(rel, meta.name, rows, mtime, date1904, hidden, merged, scan.formula_gaps))
    except UnreadableFile:
        raise
    except Exception as exc:
        raise UnreadableFile(f"not a readable {what} file ({type(exc).__name__}: {exc})") from exc
    finally:
        workbook.close()
    return sheets, []


def _large_sheet(path: Path, rel: str, name: str, mtime: float, date1904: bool, scan: SheetScan,
                 workbook) -> RawSheet:
    """A sheet too large to turn whole into Python values: its first rows now, its columns once its layout
    is known (reports.xlsx)."""
    with zipfile.ZipFile(path) as archive:
        root = _safe_xml(archive.read("xl/workbook.xml"), "workbook")
        part = _sheet_parts(archive, root)[name]
        head = xlsx.head_rows(archive, part, HEADER_SEARCH_ROWS)

    def whole() -> list[list]:
        reopened = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            return reopened.get_sheet_by_name(name).to_python(skip_empty_area=False)
        finally:
            reopened.close()

    width = max(scan.declared[1], max((len(r) for r in head), default=0))
    return RawSheet(rel, name, head, mtime, date1904, False, list(scan.merged), scan.formula_gaps, width=width,
                    read_columns=xlsx.column_reader(path, name), read_whole=whole)


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


def recognise(sheet: RawSheet, layouts: tuple[Layout, ...] = LAYOUTS) -> tuple[SheetTable | None, list[Problem]]:
    """Find the header row and the layout it belongs to.

    A header row is scored against every layout by the columns it explains: columns matched minus required
    columns missing. The best layout decides the sheet's kind, so a detainers table with one renamed column
    is still a detainers table (one E201 naming the column), never read as another kind that happens to be
    complete (a facilities table, for Facility, State and County FIPS).
    """
    where = dict(file=sheet.file, sheet=sheet.sheet)
    if sheet.hidden:
        return None, [Problem("W203", **where)]
    if not any(not is_blank(c) for row in sheet.rows for c in row):
        return None, [Problem("W205", **where)]

    best_partial = None  # (score, row index, layout, matched, missing)
    for row_index, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        keys = _header_keys(row)
        if len(keys) < 2:
            continue
        ranked = []
        for order, layout in enumerate(layouts):
            matched = _match(layout, keys)
            required = layout_required_fields(layout)
            missing = [f for f in required if f not in matched]
            ranked.append((len(matched) - len(missing), not missing, -order, layout, matched, missing))
        score, complete, _, layout, matched, missing = max(ranked, key=lambda c: c[:3])
        if complete:
            return _build_table(sheet, row_index, layout, matched)
        have = len(layout_required_fields(layout)) - len(missing)
        if have >= 2 and (best_partial is None or score > best_partial[0]):
            best_partial = (score, row_index, layout, matched, missing)

    if best_partial:
        _, row_index, layout, matched, missing = best_partial
        return None, [_missing_columns_problem(sheet, row_index, layout, matched, missing)]
    return None, [Problem("W201", message="no header row of a known table in the first "
                          f"{HEADER_SEARCH_ROWS} rows; the sheet was not read", **where)]


def _missing_columns_problem(sheet: RawSheet, row_index: int, layout: Layout, matched: dict, missing: list) -> Problem:
    """E201 for a sheet that is clearly of a kind but lacks required columns: one problem for the sheet,
    naming each missing column and the header that probably means it."""
    header = sheet.rows[row_index]
    used = {i for indexes in matched.values() for i in indexes}
    unmatched = {i: str(header[i]).strip() for i in range(len(header)) if i not in used and not is_blank(header[i])}
    template = layout.name.endswith("(project template)")
    described = "" if template else f" ({layout.name})"
    parts, found_labels = [], []
    for field_name in missing:
        name = _canonical_name(layout, field_name) if template else layout.headers[field_name][0]
        index = _similar_header(unmatched, (name, *layout.headers.get(field_name, ())))
        if index is None:
            parts.append(f"no {name!r} column")
            continue
        found = unmatched.pop(index)
        found_labels.append(f"{column_letter(index)} ({found})")
        parts.append(f"no {name!r} column (found {found!r}: rename it, or add it as an alias in settings.toml: "
                     f"[aliases] \"{found}\" = \"{name}\")")
    return Problem("E201", sheet.file, sheet.sheet, row_index + 1, ", ".join(found_labels),
                   message=f"looks like a {layout.kind} table{described} but has " + "; and ".join(parts))


GENERIC_WORDS = {"date", "id", "code", "no", "number", "name", "of", "the", "on", "by", "a", "to", "in", "for"}


def _similar_header(candidates: dict[int, str], names: tuple[str, ...]) -> int | None:
    """The column whose header most probably means one of ``names``: a shared distinctive word (compared on its
    first five letters), else a close spelling. None when nothing is close."""
    def stems(text):
        return {w[:5] for w in re.findall(r"[a-z0-9]+", str(text).lower())} - {w[:5] for w in GENERIC_WORDS}

    wanted = set().union(*(stems(n) for n in names))
    keys = [normalise_header(n) for n in names]
    best, best_score = None, 0.0
    for index, text in candidates.items():
        shared = len(stems(text) & wanted)
        close = max(difflib.SequenceMatcher(None, normalise_header(text), k).ratio() for k in keys)
        score = shared + close if shared else (close if close >= 0.8 else 0.0)
        if score > best_score:
            best, best_score = index, score
    return best


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
    width = sheet.width or max((len(r) for r in sheet.rows), default=0)
    unknown = [f"{column_letter(i)} ({str(header[i]).strip()})" for i in range(min(len(header), width))
               if i not in used and not is_blank(header[i])]
    if unknown:
        problems.append(Problem("W202", row=header_row, column=", ".join(unknown), message=(
            f"{len(unknown)} column(s) not part of the {layout.name} layout were ignored"), **where))
    unnamed = [i for i in range(width) if i not in used and (i >= len(header) or is_blank(header[i]))]
    if any(p.code == "E202" for p in problems):
        return None, problems
    # a sheet read whole is checked on every column, as staff see it; a large one on the columns it reads
    looked_at = sorted(used | set(unnamed)) if sheet.read_columns is not None else list(range(width))
    n, cells = _data_columns(sheet, header_index, looked_at)
    if sheet.read_columns is not None and _dates_as_text(layout, columns, cells):
        whole = dataclasses.replace(sheet, rows=sheet.read_whole(), width=None, read_columns=None)
        return _build_table(whole, header_index, layout, matched)
    for i in unnamed:
        if cells[i].nonblank.any():
            merged = any(r0 == header_index and c0 < i <= c1 for (r0, c0), (_, c1) in sheet.merged_ranges)
            note = " (the header cell is part of a merged cell)" if merged else ""
            problems.append(Problem("W204", row=header_row, column=column_letter(i),
                                    message=f"the column has values but no header{note}; not read", **where))

    required = layout_required_fields(layout)
    status = _row_status(n, [cells[i] for i in looked_at], [cells[columns[f]] for f in required])
    rows = np.arange(header_row + 1, header_row + 1 + n)
    keep = status == ""
    record_rows = rows[keep].tolist()
    excluded = dict(zip(rows[~keep].tolist(), status[~keep].tolist()))
    values = {f: cells[index].values[keep].tolist() for f, index in columns.items()}
    def cell(row_index: int, column: int):  # 0-based, as merged ranges give them
        position = row_index - header_index - 1
        if column in cells and 0 <= position < n:
            return cells[column].values[position]
        return sheet.rows[row_index][column] if row_index < len(sheet.rows) and column < len(sheet.rows[row_index]) \
            else ""

    merged_problems, merged_rows = _merged_data_cells(sheet, set(record_rows), columns, headers, cell)
    problems += merged_problems
    table = SheetTable(sheet.file, sheet.sheet, sheet.mtime, layout, header_row, columns, headers,
                       sheet.date1904, record_rows, values, excluded, sheet.formula_gaps, merged_rows)
    return table, problems


@dataclass
class _Cells:
    """One column of data rows: its values ("" for an empty cell) and what the row checks need of them."""

    values: np.ndarray  # of Python values, dtype object
    nonblank: np.ndarray  # bool
    text: np.ndarray  # bool: a non-blank text cell
    total: np.ndarray  # bool: text reading "Total", "Grand total", "Subtotal"
    arrow_type: str = ""


def _data_columns(sheet: RawSheet, header_index: int, indexes: list[int]) -> tuple[int, dict[int, _Cells]]:
    """The data rows below the header, column by column: from the sheet's rows, or read by column."""
    if sheet.read_columns is None:
        data = sheet.rows[header_index + 1:]
        out = {}
        for i in indexes:
            values = np.empty(len(data), dtype=object)
            values[:] = [r[i] if i < len(r) else "" for r in data]
            nonblank = np.fromiter((not is_blank(v) for v in values), bool, len(values))
            text = np.fromiter((isinstance(v, str) for v in values), bool, len(values)) & nonblank
            total = np.fromiter((isinstance(v, str) and bool(TOTAL_ROW.match(v)) for v in values), bool, len(values))
            out[i] = _Cells(values, nonblank, text, total)
        return len(data), out
    import pyarrow as pa
    import pyarrow.compute as pc

    arrays = sheet.read_columns(header_index, indexes)
    n = len(next(iter(arrays.values()))) if arrays else 0
    out = {}
    for i, array in arrays.items():
        is_text = pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
        if is_text:
            nonblank = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(array), ""), False).to_numpy(zero_copy_only=False)
            total = pc.fill_null(pc.match_substring_regex(array, TOTAL_ROW.pattern, ignore_case=True),
                                 False).to_numpy(zero_copy_only=False)
        else:
            nonblank = pc.is_valid(array).to_numpy(zero_copy_only=False)
            total = np.zeros(n, dtype=bool)
        values = np.empty(n, dtype=object)
        values[:] = ["" if v is None else v for v in array.to_pylist()]
        out[i] = _Cells(values, nonblank, nonblank & is_text, total & nonblank, str(array.type))
    return n, out


def _dates_as_text(layout: Layout, columns: dict[str, int], cells: dict[int, _Cells]) -> bool:
    """A date column that fastexcel could only give as text, holding numbers: a mix of Excel date numbers and
    text that only a cell-by-cell read tells apart."""
    from .schema import KINDS

    kind = KINDS[layout.kind]
    for field_name, index in columns.items():
        column = next((c for c in kind.columns if c.field == field_name), None)
        if column is not None and column.type in ("date", "partial_date") and cells[index].arrow_type in (
                "string", "large_string") and any(xlsx.is_serial_number_text(v) for v in cells[index].values):
            return True
    return False


def _row_status(n: int, every: list[_Cells], required: list[_Cells]) -> np.ndarray:
    """Per data row: "" for a record, else why it is not one (blank row, total row, note below the data)."""
    status = np.full(n, "", dtype=object)
    if n == 0:
        return status
    nonblank = np.zeros(n, dtype=int)
    undecided = np.ones(n, dtype=bool)
    total = np.zeros(n, dtype=bool)
    for cells in every:  # in column order: a total row is one whose first non-blank cell reads "Total"
        total |= undecided & cells.total
        undecided &= ~cells.nonblank
        nonblank += cells.nonblank
    text_cells = sum((c.text.astype(int) for c in every), np.zeros(n, dtype=int))
    status[nonblank == 0] = "blank row"
    status[(status == "") & total] = "total row"
    # A row holding a single text cell (a source line, a footnote) is not a record, even when that cell sits
    # in a required column: after the last record it is a note below the data.
    has_required = np.zeros(n, dtype=bool)
    for cells in required:
        has_required |= cells.nonblank
    single_text = (nonblank == 1) & (text_cells == 1)
    candidates = np.flatnonzero((status == "") & has_required & ~single_text)
    last_data = candidates[-1] if len(candidates) else -1
    tail = np.arange(n) > last_data
    status[tail & (status == "")] = "note below the data"
    return status


def _merged_data_cells(sheet: RawSheet, record_rows: set[int], columns: dict[str, int], headers: dict[str, str],
                       cell):
    """A merged cell holds its value in its first cell only: the other rows it covers would read blank (an
    Outcome merged over four rows would be one outcome and three pending detainers). E203 names the range;
    the rows it covers are not counted."""
    problems, rows = [], set()
    by_index = {index: field_name for field_name, index in columns.items()}
    for (r0, c0), (r1, c1) in sheet.merged_ranges:
        covered = [(r + 1, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)
                   if (r, c) != (r0, c0) and r + 1 in record_rows and c in by_index]
        if not covered:
            continue
        span = f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}"
        first_column = by_index[min(c for _, c in covered)]
        top_left = cell(r0, c0)
        affected = sorted({r for r in range(r0 + 1, r1 + 2) if r in record_rows})
        blank = sorted({r for r, _ in covered})
        rows.update(affected)
        problems.append(Problem("E203", sheet.file, sheet.sheet, r0 + 1,
                                f"{column_letter(columns[first_column])} ({headers[first_column]})",
                                "" if is_blank(top_left) else str(top_left).strip(), message=(
                                    f"cells {span} are merged: the value is in row {r0 + 1} only, so "
                                    f"{_row_list(blank, 'would read')} as blank; "
                                    f"{_row_list(affected, 'are', 'is')} not counted")))
    return problems, frozenset(rows)


def _row_list(rows: list[int], verb: str, singular_verb: str | None = None) -> str:
    if len(rows) == 1:
        return f"row {rows[0]} {singular_verb or verb}"
    return f"rows {', '.join(str(r) for r in rows)} {verb}"


def _single_text_cell(row: list) -> bool:
    filled = [c for c in row if not is_blank(c)]
    return len(filled) == 1 and isinstance(filled[0], str)


def file_fingerprint(rel: str) -> str:
    return hashlib.sha1(rel.encode("utf-8")).hexdigest()[:8]


def add_cell_precisions(table: SheetTable, path: Path, fields: list[str]) -> None:
    """Read the number formats of a workbook's descriptive date columns (a policy's Date Enacted, As Of):
    a date shown without its day was typed as a month or a year, and is kept at that precision."""
    import openpyxl

    columns = {table.columns[f]: f for f in fields if f in table.columns}
    if not columns or not table.record_rows:
        return
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook[table.sheet]
        rows = sheet.iter_rows(min_row=table.header_row + 1, max_row=max(table.record_rows),
                               min_col=min(columns) + 1, max_col=max(columns) + 1)
        for offset, row in enumerate(rows):
            for cell in row:
                index = getattr(cell, "column", None)
                if index is None or index - 1 not in columns:
                    continue
                precision = format_precision(getattr(cell, "number_format", None))
                if precision:
                    table.cell_precisions[(table.header_row + 1 + offset, columns[index - 1])] = precision
    finally:
        workbook.close()


def format_precision(number_format: str | None) -> str | None:
    """"month" for a date format without a day (mmm-yy, mmmm yyyy), "year" for yyyy; else None."""
    if not number_format:
        return None
    code = re.sub(r'"[^"]*"|\[[^]]*\]|\\.', "", number_format.lower())
    if "y" not in code or "d" in code:
        return None
    return "month" if "m" in code else "year"
