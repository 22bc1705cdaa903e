"""Which printed figures changed between two editions of the same week (the Revisions section of a revision).

A figure is addressed as (table, row, column), with the same labels the report prints,
so the revisions section can list it and the table cell can carry an [r] mark.
"""
from __future__ import annotations

from dataclasses import dataclass

from .counting import NOT_DETERMINED_ROW

SUMMARY = "Summary"
ISSUED = "Table 2: detainers issued by jurisdiction"
DECLINES = "Table 3a: declines by jurisdiction"
CHARGES = "Table 4a: subsequent charges by jurisdiction"
CATEGORIES = "Table 4b: subsequent charges by category"
POLICIES = "Table 5: policies"
TREND = "Table 6: trend"

# Keys of report.json that are not figures: they change with every edition, or are prose.
NOT_FIGURES = ("published", "revision", "first_published", "revision_changes", "revision_reasons",
               "revision_downloads", "earlier_revisions", "caveats", "corrections", "responses", "title", "agency",
               "latest_week_with_data", "weeks_without_data_since")


COLUMN_LABELS = {
    "issued": "issued", "declined": "declines recorded", "issued_outcomes.honored": "honored (of issued)",
    "issued_outcomes.declined": "declined (of issued)", "issued_outcomes.pending": "pending (of issued)",
    "issued_outcomes.other": "other outcome (of issued)", "decline_rate_percent": "decline rate (%)",
    "issued_per_100k": "issued per 100,000 residents", "declined_issued_before_period": "declines issued before the week",
    "issued_before_week": "declines issued before the week", "pending_charges": "pending charges at issuance",
    "no_record": "no criminal record", "criminality_unknown": "criminality unknown",
    "subsequent_charges": "subsequent charges this week", "subsequent_charges_cumulative": "subsequent charges to date",
    "policy_on_file": "limiting policy on file",
}


@dataclass(frozen=True)
class Change:
    table: str
    row: str
    column: str
    old: object
    new: object

    def as_dict(self) -> dict:
        figure = COLUMN_LABELS.get(self.column, self.column.replace("_", " ").replace(".", ": "))
        return {"table": self.table, "row": self.row, "column": self.column, "figure": figure,
                "old": self.old, "new": self.new}


def jurisdiction_label(row: dict) -> str:
    if not row.get("fips"):
        return row.get("name") or NOT_DETERMINED_ROW
    return f"{row['name']}, {row['state']}"


def figure_cells(figures: dict) -> dict[tuple[str, str, str], object]:
    """Flatten report.json into {(table, row, column): value}."""
    cells: dict[tuple[str, str, str], object] = {}

    def put(table, row, record, skip=()):
        for key, value in record.items():
            if key in skip:
                continue
            if isinstance(value, dict):
                for sub, sub_value in value.items():
                    cells[(table, row, f"{key}.{sub}")] = sub_value
            else:
                cells[(table, row, key)] = value

    put(SUMMARY, "", figures.get("totals", {}), skip=("week_over_week",))  # derived from Table 6
    for row in with_undetermined(figures.get("jurisdictions", [])):
        put(ISSUED, jurisdiction_label(row), row, skip=("fips", "name", "state", "resolved"))  # issued − pending
    for row in figures.get("declines_by_jurisdiction", []):
        put(DECLINES, jurisdiction_label(row), row, skip=("fips", "name", "state"))
    for row in figures.get("subsequent_charges_by_jurisdiction", []):
        put(CHARGES, jurisdiction_label(row), row, skip=("fips", "name", "state"))
    for row in figures.get("subsequent_charges_by_category", []):
        put(CATEGORIES, row["category"], row, skip=("category",))
    for row in figures.get("policies", []):
        put(POLICIES, f"{row['jurisdiction']} ({row['date_enacted']})", row, skip=("jurisdiction",))
    for row in figures.get("trend", []):
        put(TREND, row["week_end"], row, skip=("week_start", "week_end", "caveat"))
    if "period" in figures:
        put("Period", "", figures["period"])
    return cells


UNDETERMINED_ZEROS = {
    "fips": None, "name": NOT_DETERMINED_ROW, "state": None, "population": None, "issued": 0,
    "issued_outcomes": {"honored": 0, "declined": 0, "pending": 0, "other": 0}, "decline_rate_percent": None,
    "issued_per_100k": None, "resolved": 0, "declined": 0, "policy_on_file": False,
}


def with_undetermined(jurisdictions: list[dict]) -> list[dict]:
    """Editions published before report.json always held the "jurisdiction not determined" row left it out
    when it was all zeros: compare them as if it were there, so that its arrival is not a revision."""
    if any(row.get("fips") is None for row in jurisdictions):
        return jurisdictions
    return [*jurisdictions, UNDETERMINED_ZEROS]


def figures_only(report_json: dict) -> dict:
    return {k: v for k, v in report_json.items() if k not in NOT_FIGURES}


def diff(old: dict, new: dict) -> list[Change]:
    """Every figure whose value differs, including rows that appeared or disappeared (shown as None)."""
    before, after = figure_cells(figures_only(old)), figure_cells(figures_only(new))
    changes = [Change(t, r, c, before.get((t, r, c)), after.get((t, r, c)))
               for (t, r, c) in sorted(set(before) | set(after), key=_order)
               if before.get((t, r, c)) != after.get((t, r, c))]
    return changes


_TABLE_ORDER = {name: i for i, name in enumerate((SUMMARY, ISSUED, DECLINES, CHARGES, CATEGORIES, POLICIES, TREND))}


def _order(key):
    table, row, column = key
    return (_TABLE_ORDER.get(table, 99), table, row, column)
