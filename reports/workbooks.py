"""Excel and OpenDocument workbooks: zip-bomb and XML checks, one scan of each sheet's XML, then its cells."""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import defusedxml.ElementTree as SafeET
import python_calamine

from . import xlsx
from .errors import Problem, column_index
from .rawsheet import HEADER_SEARCH_ROWS, Encrypted, RawSheet, UnreadableFile, UnsafeFile

if TYPE_CHECKING:
    from .ingest import SheetTable

# A real 100 MB ICE export inflates to roughly 1 GB of XML; far beyond that, or a
# member that inflates more than MAX_RATIO times, is treated as a zip bomb.
MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
MAX_RATIO = 250
RATIO_CHECK_MIN_BYTES = 20 * 1024**2


@dataclass(frozen=True)
class SheetScan:
    """What one pass over a sheet's XML tells before it is read: formula cells without a saved value (a
    reader sees them empty), merged ranges, and how many rows the sheet declares."""

    formula_gaps: frozenset = frozenset()
    merged: tuple = ()
    declared: tuple[int, int] | None = None  # (rows, columns)
    # a large sheet is scanned by the read of its columns, which inflates it anyway (reports.xlsx)
    deferred: bool = False


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
        scans = {name: _first_scan(archive, part) for name, part in _sheet_parts(archive, root).items()}
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


def _sheet_part(archive: zipfile.ZipFile, name: str) -> str:
    return _sheet_parts(archive, _safe_xml(archive.read("xl/workbook.xml"), "workbook"))[name]


_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_SAVED_VALUE = re.compile(rb"<v>[^<]")  # openpyxl writes an empty <v /> for a formula it cannot calculate


_MERGE = re.compile(rb'<mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_END_OF_DATA = b"</sheetData>"


def _first_scan(archive: zipfile.ZipFile, part: str) -> SheetScan:
    declared = xlsx.declared_size(archive, part)
    if declared and declared[0] > xlsx.LARGE_SHEET_ROWS:
        return SheetScan(declared=declared, deferred=True)
    return _scan_sheet(archive, part)


def _scan_sheet(archive: zipfile.ZipFile, part: str) -> SheetScan:
    """One streamed pass over the part; the formula check parses it only if it has formulas."""
    try:
        with archive.open(part) as handle:
            first = handle.read(4096)
            tail, has_formula, after_data = first[-16:], xlsx.FORMULA_START.search(first) is not None, None
            for block in iter(lambda: handle.read(1 << 24), b""):
                seen = tail + block
                has_formula = has_formula or xlsx.FORMULA_START.search(seen) is not None
                if after_data is not None:
                    after_data += block
                elif _END_OF_DATA in seen:
                    after_data = seen[seen.index(_END_OF_DATA):]
                tail = block[-16:]
            if after_data is None and _END_OF_DATA in first:
                after_data = first[first.index(_END_OF_DATA):]
        return _scan(archive, part, has_formula, after_data or b"")
    except KeyError:
        return SheetScan()


def _scan(archive: zipfile.ZipFile, part: str, has_formula: bool, after_data: bytes) -> SheetScan:
    gaps = _formula_gaps(archive.read(part)) if has_formula else frozenset()
    merged = tuple(((int(m[2]) - 1, column_index(m[1].decode())), (int(m[4]) - 1, column_index(m[3].decode())))
                   for m in _MERGE.finditer(after_data))
    return SheetScan(gaps, merged, xlsx.declared_size(archive, part))


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
            if not hidden and scan.deferred:
                sheets.append(_large_sheet(path, rel, meta.name, mtime, date1904, scan, workbook))
                continue
            if scan.deferred:  # a hidden sheet is read whole, however large
                with zipfile.ZipFile(path) as archive:
                    scan = _scan_sheet(archive, _sheet_part(archive, meta.name))
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
    is known (reports.xlsx), with its formula cells and merged ranges from the same pass over its XML."""
    with zipfile.ZipFile(path) as archive:
        part = _sheet_part(archive, name)
        head = xlsx.head_rows(archive, part, HEADER_SEARCH_ROWS)
    reader = xlsx.column_reader(path, name, part, date1904)

    def read_columns(header_index: int, indexes: list[int], convert=xlsx.as_is) -> tuple[dict, list, frozenset]:
        columns, tail = reader(header_index, indexes, convert)
        with zipfile.ZipFile(path) as archive:
            scanned = _scan(archive, part, tail.has_formula, tail.after_data) if tail else _scan_sheet(archive, part)
        return columns, list(scanned.merged), scanned.formula_gaps

    def whole() -> list[list]:
        reopened = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            return reopened.get_sheet_by_name(name).to_python(skip_empty_area=False)
        finally:
            reopened.close()

    width = max(scan.declared[1], max((len(r) for r in head), default=0))
    return RawSheet(rel, name, head, mtime, date1904, False, [], frozenset(), width=width,
                    read_columns=read_columns, read_whole=whole)


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
