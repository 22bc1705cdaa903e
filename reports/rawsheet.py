"""What a reader gives for one sheet (``RawSheet``), and the reasons a file cannot be read."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

HEADER_SEARCH_ROWS = 30  # the header row is looked for in the first rows of a sheet; a large sheet reads these


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
    # (header index, column indexes, convert) -> ({index: [convert(array) for each block of the values below
    # the header]}, merged ranges, formula gaps): a large sheet's merged ranges and formula cells are known once
    # its columns are read
    read_columns: Callable | None = None
    read_whole: Callable | None = None  # () -> every row, for a sheet whose columns cannot be read by type

    @property
    def row_count(self) -> int:
        return len(self.rows)


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
