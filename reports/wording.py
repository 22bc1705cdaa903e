"""Counted nouns for the sentences the report and the staff reports print."""
from __future__ import annotations


def noun(count: int, singular: str, plural: str | None = None) -> str:
    """'detainer' for 1, 'detainers' otherwise (or the plural given)."""
    return singular if count == 1 else (plural or singular + "s")


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """'1 detainer', '1,204 detainers'."""
    return f"{count:,} {noun(count, singular, plural)}"


def source_reference(row) -> str:
    """'corrections.xlsx [Sheet1] row 5': where staff find a record (file, sheet, spreadsheet row)."""
    sheet = f" [{row['source_sheet']}]" if row["source_sheet"] else ""
    return f"{row['source_file']}{sheet} row {int(row['source_row'])}"


def rows_text(rows: list[int], shown: int = 5) -> str:
    """'row 7', or '12 rows (7, 8, 9, 10, 11 …)': spreadsheet rows named in a staff message."""
    listed = ", ".join(str(r) for r in rows[:shown]) + (" …" if len(rows) > shown else "")
    return f"row {listed}" if len(rows) == 1 else f"{len(rows):,} rows ({listed})"
