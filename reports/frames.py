"""The columns of every frame passed between stages, declared once, and a cheap check at stage boundaries.

Frames are plain pandas DataFrames. A stage that makes one takes its column names from here; a stage that
receives one may call ``require_columns``, which raises ``InternalError`` (a bug, exit 5) naming what is
missing, rather than failing later on a ``KeyError`` far from the cause.

Names say who may see a frame: ``STAFF_*`` frames name detainers or staff files and never leave the staff
folder; ``PUBLIC_*`` frames are published as they are.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .exceptions import InternalError
from .schema import KINDS

SOURCE_COLUMNS = ("source_file", "source_sheet", "source_row", "source_layout")  # where each row was read
ROW_STATUS = "row_status"  # "used", or why the row is not counted
ROW_STATUS_COLUMNS = ("source_file", "source_sheet", "source_row", ROW_STATUS)  # Dataset.row_status: every row
IDENTIFIER_COLUMNS = ("detainer_id", "subject_id", "linked_detainer_id")  # never in a public frame

# Columns validate adds to a checked sheet beyond the input contract's fields.
CORRECTION_DERIVED_COLUMNS = ("level", "target_field", "correct_parsed", "correct_display")
DERIVED_COLUMNS = {"detainers": ("outcome_detail", "outcome_date_source"), "corrections": CORRECTION_DERIVED_COLUMNS}


def read_columns(kind: str) -> tuple[str, ...]:
    """Every column of a checked sheet of this kind, as ``join.combine`` gives it: where each row came from,
    every field of the input contract (a partial date with its precision), what validate derives, row_status."""
    fields = KINDS[kind].columns
    return (*SOURCE_COLUMNS, *(c.field for c in fields),
            *(f"{c.field}_precision" for c in fields if c.type == "partial_date"),
            *DERIVED_COLUMNS.get(kind, ()), ROW_STATUS)


# Detainers after attribution and corrections (``load.load_inputs``; ``jurisdiction.resolve_jurisdictions``
# sets the last four).
JURISDICTION_COLUMNS = ("county_name", "county_population", "jurisdiction_source", "jurisdiction_evidence")
DETAINER_COLUMNS = (*read_columns("detainers"), "corrections", *JURISDICTION_COLUMNS)

# Charges after linking to the declined detainer each follows (``join.link_charges``): charge column ->
# the declined detainer's column it is copied from.
CHARGE_LINK_COLUMNS = {"detainer_id": "linked_detainer_id", "county_fips": "declined_county_fips",
                       "state": "declined_state", "outcome_date": "declined_date"}
LINKED_CHARGE_COLUMNS = (*read_columns("charges"), *CHARGE_LINK_COLUMNS.values(), "subsequent")

# Detainers updated by a newer file, one row per changed field (``join.resolve_duplicates``; staff only).
STAFF_CHANGE_COLUMNS = ("detainer_id", "field", "old_value", "new_value", "old_file", "old_row", "new_file",
                        "new_row", "old_file_as_of", "new_file_as_of")

# One row per detainer field a correction set, old and new value (``corrections.correction_tables``): staff
# only, it names detainers and staff files (corrections-applied.csv).
STAFF_CORRECTION_LOG_COLUMNS = ("reference", "correction_date", "level", "detainer_id", "field", "old_value",
                                "new_value", "changed", "source_file", "source_sheet", "source_row")
# One row per correction used (``Dataset.corrections``): no detainer IDs; ``reference`` (the staff file and
# row) is kept for the staff and dropped from what is published (``PUBLIC_CORRECTION_LOG_COLUMNS``).
CORRECTION_SUMMARY_COLUMNS = ("date", "level", "jurisdiction", "county_fips", "county_name", "state", "facility",
                              "field", "what_was_wrong", "correct_value", "note", "detainers_changed",
                              "date_issued_min", "date_issued_max", "outcome_date_min", "outcome_date_max",
                              "reference")
# One row per jurisdiction response used (``Dataset.responses``).
RESPONSE_COLUMNS = ("date", "jurisdiction", "county_fips", "county_name", "state", "note", "reference")
# The responses as published (``tables.corrections_and_responses``).
PUBLIC_RESPONSE_COLUMNS = ("date", "jurisdiction", "county_fips", "state", "note")
# The corrections log as published (``tables.corrections_and_responses``, corrections.csv and report.json).
PUBLIC_CORRECTION_LOG_COLUMNS = ("date", "jurisdiction", "facility", "field", "what_was_wrong", "correct_value",
                                 "note", "detainers_changed")


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise InternalError naming the columns ``frame`` (``what``, as a message names it) lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InternalError(f"{what} lacks the column(s) {', '.join(missing)}")
