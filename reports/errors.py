"""The error catalogue: stable codes, severities and plain-English messages.

Codes never change meaning once published; staff and the README refer to them.
An *error* means a record cannot be counted correctly, and blocks publication.
A *warning* is worth a look but does not block.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .safetext import one_line

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Code:
    code: str
    severity: str
    title: str
    help: str  # what staff should do about it


CATALOGUE: dict[str, Code] = {
    c.code: c
    for c in (
        # files
        Code("E101", ERROR, "file cannot be read", "Open the file in Excel and save it again as .xlsx or .csv."),
        Code("E102", ERROR, "file looks unsafe", "The file's compressed contents are far larger than the file; export it again from the source system."),
        Code("E103", ERROR, "text encoding not recognised", "Save the CSV as 'CSV UTF-8' from Excel."),
        Code("E104", ERROR, "formula without a saved result",
             "The file was written by a program and never opened in Excel: open it in Excel and save it."),
        Code("W101", WARNING, "file not read", "Only .xlsx, .xlsm, .ods, .csv, .tsv and .txt files are read; move other files out of the inputs folder."),
        Code("E105", ERROR, "file changed while it was read (still being copied)",
             "Wait until the copy or export has finished, then run again. Nothing was published."),
        Code("E106", ERROR, "file or folder cannot be opened (permission denied)",
             "Let the account that runs the report read the file (and list the folder), or move it out of the inputs folder."),
        Code("E107", ERROR, "not a file that can be read",
             "A named pipe, device or broken link is in the inputs folder: remove it, or restore the file the link points to."),
        Code("E108", ERROR, "link leads outside the inputs folder",
             "Copy the file into the inputs folder instead of linking to it."),
        Code("E109", ERROR, "file larger than the size limit",
             "Split the file, or raise max_input_bytes in settings.toml if the file is genuine."),
        Code("E110", ERROR, "a cell is longer than the CSV reader allows",
             "The file is probably not a CSV table, or a quote is never closed: open it in Excel and save it again as CSV UTF-8."),
        Code("E111", ERROR, "workbook is encrypted (password-protected)",
             "Remove the password and save again (Excel: File > Info > Protect Workbook > Encrypt with Password, clear it)."),
        Code("W102", WARNING, "identical files",
             "Delete the extra copy: the files are byte for byte the same."),
        # sheets and headers
        Code("E201", ERROR, "required column missing", "Add the column, or rename the existing one to the name in the template."),
        Code("E202", ERROR, "two columns mean the same thing", "Delete or rename one of the two columns."),
        Code("W201", WARNING, "sheet not recognised", "If the sheet holds data to count, give it the column headers of one of the templates."),
        Code("W202", WARNING, "column not recognised, ignored", "Rename the column if it should be read; otherwise nothing to do."),
        Code("W203", WARNING, "hidden sheet not read", "Unhide the sheet if its rows should be counted."),
        Code("W204", WARNING, "column without a header, ignored", "Give the column a header (merged header cells leave later columns blank)."),
        Code("W205", WARNING, "empty sheet", "Nothing to do if the sheet is meant to be empty."),
        Code("E203", ERROR, "merged cells in the data",
             "Unmerge the cells and type the value in every row: a merged cell holds its value in its first row only."),
        # values
        Code("E301", ERROR, "required value missing", "Fill in the cell."),
        Code("E302", ERROR, "date not recognised", "Type the date as YYYY-MM-DD, or format the cell as a date."),
        Code("E303", ERROR, "county FIPS code not valid", "Use the 5-digit state+county code, e.g. 42091 for Montgomery County, PA."),
        Code("E304", ERROR, "county FIPS code is in another state", "Check the State and the County FIPS code of this row."),
        Code("E305", ERROR, "state not recognised", "Use the postal code (PA) or the full name (Pennsylvania)."),
        Code("E306", ERROR, "charge status not recognised", "Use pending, convicted, dismissed or acquitted."),
        Code("E307", ERROR, "outcome date before issue date", "Check both dates of this detainer."),
        Code("E313", ERROR, "outcome not recognised",
             "Correct the spelling (the message names the nearest known values), or, for a new ICE lift reason, map it "
             "in settings.toml: [outcomes] \"The Reason\" = \"other\" (or declined, honored, pending)."),
        Code("E314", ERROR, "date after the day of the run",
             "Check the date: no record can be dated after today."),
        Code("E315", ERROR, "dates in both day/month and month/day order",
             "Write the dates as YYYY-MM-DD. Slash dates are read month first (US order, 5/6/2017 = May 6) unless "
             "settings.toml says date_order = \"day-first\"."),
        Code("W301", WARNING, "citizenship not recognised, counted as unknown", "Use a country name, e.g. Mexico."),
        Code("W302", WARNING, "criminality not recognised, counted as unknown", "Use convicted, pending charges or none."),
        Code("W303", WARNING, "declined without an outcome date", "Add the date the detainer was declined; until then the issue date is used."),
        # corrections sheet, row by row
        Code("E308", ERROR, "correction type not recognised", "Use correction (or dispute) or response (or jurisdiction response, statement)."),
        Code("E309", ERROR, "correction or response is missing a value it needs", "A correction needs a Field, and a Detainer ID (one detainer) or a County FIPS (every detainer attributed to that county); a response needs a County FIPS and a Note."),
        Code("E310", ERROR, "field cannot be corrected", "Use one of: Outcome, Outcome Date, Date Issued, County FIPS, Criminality, Citizenship, Facility, State."),
        Code("E311", ERROR, "a whole-county correction can only change the County FIPS", "To correct another field, give the Detainer ID: one row per detainer."),
        Code("E312", ERROR, "correct value not valid for its field", "Write the value as the detainers sheet holds it: declined, honored, pending or other; a date as YYYY-MM-DD; a real 5-digit county FIPS code (blank: jurisdiction not determined); a state; convicted, pending charges or none; a country name."),
        # records
        Code("E401", ERROR, "same detainer ID twice in one file, with different content", "Keep one row per detainer; fix or delete the other."),
        Code("W401", WARNING, "row repeats an earlier row exactly, counted once", "Delete the repeated row."),
        Code("E402", ERROR, "facility mapped to two different counties", "Keep one county per facility in the facilities sheets."),
        Code("E403", ERROR, "charge does not match a declined detainer", "Check the Subject ID / Detainer ID; a charge is counted only for a person whose detainer was declined."),
        Code("W402", WARNING, "facilities without a county", "See facility-attribution.xlsx in the staff folder (facilities without a county come first) and copy the right county into a facilities sheet."),
        Code("E404", ERROR, "correction does not match a detainer", "Check the Detainer ID: it must be the ID of a detainer in the inputs that is counted (not a row with an error)."),
        Code("W403", WARNING, "whole-county correction matches no detainer", "Nothing to do if it concerns detainers not yet in the inputs; otherwise check its County FIPS and Facility."),
        # publication
        Code("W502", WARNING, "personal data removed from published text", "The cell holds what looks like an A-number, a date of birth or a subject or detainer ID: it is published as [redacted]. Delete it from the source cell if it does not belong there."),
        Code("W410", WARNING, "update moves an outcome back to pending",
             "Check the newer file: a detainer recorded as declined, honored or ended in an older file has no outcome in it."),
        Code("W411", WARNING, "rows repeat earlier rows exactly, in a layout without IDs",
             "Nothing to do if they are separate detainers (same day, same jail); otherwise delete the repeats."),
        # settings and publication
        Code("W501", WARNING, "public_base_url is still the example address",
             "Set public_base_url in settings.toml to where outputs/ is served: the PDF and the feed link to it."),
    )
}


@dataclass
class Problem:
    code: str
    file: str
    sheet: str = ""
    row: int | None = None  # spreadsheet row number as Excel shows it (CSV: line number)
    column: str = ""  # "C (Facility State)"
    value: str = ""
    message: str = ""

    @property
    def severity(self) -> str:
        return CATALOGUE[self.code].severity

    @property
    def title(self) -> str:
        return CATALOGUE[self.code].title

    def location(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def line(self) -> str:
        """One log line, whatever the file name or value holds (a line break in a name cannot forge another)."""
        value = f" [value: {self.value!r}]" if self.value != "" else ""
        message = f": {self.message}" if self.message else ""
        return one_line(f"{self.severity.upper()} {self.code} {self.location()}: {self.title}{message}{value}")

    def as_row(self) -> dict:
        row = asdict(self)
        row["severity"] = self.severity
        row["title"] = self.title
        row["help"] = CATALOGUE[self.code].help
        return row


@dataclass(frozen=True)
class DataNote:
    """A note on what a source file can and cannot tell, for the report's data fidelity section.

    ``text`` is a predicate about the source ("has no outcome dates: its declines are attributed to the date
    the detainer was issued."). Staff see the file and sheet; the public never does: file and sheet names
    can name people, so the public note numbers the file instead."""

    file: str
    sheet: str
    layout: str
    kind: str
    text: str

    def staff(self) -> str:
        sheet = f", sheet {self.sheet!r}" if self.sheet else ""
        return f"{self.file}{sheet} ({self.layout}) {self.text}"

    def public(self, number: int) -> str:
        return f"Source file {number} ({self.kind}, {self.layout}) {self.text}"


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """A -> 0, Z -> 25, AA -> 26: the inverse of column_letter."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1
