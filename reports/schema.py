"""The input contract: kinds of table, their columns, and the layouts staff drop in.

Everything here is data. A new spreadsheet layout is a new entry in ``LAYOUTS``
(a few lines), not a new code branch. The README's input-contract section is
written from these tables and a test keeps the two in step.
The vocabularies of the coded columns are in ``vocabulary``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace


def normalise_header(text: object) -> str:
    """Header match key: case-, space- and punctuation-insensitive."""
    return re.sub(r"[^0-9a-z]", "", str(text).lower())


@dataclass(frozen=True)
class Column:
    name: str  # canonical name, as staff see it in the templates
    field: str  # snake_case name used in code and in downloads
    # text | date | partial_date | fips | state | outcome | criminality | status | citizenship | correction_type
    # ("date" needs the day; "partial_date" may be a month or a year, for descriptive dates such as a policy's)
    type: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Kind:
    name: str
    description: str
    columns: tuple[Column, ...]
    id_field: str | None = None  # the field that identifies a record across files

    def column(self, field_name: str) -> Column:
        return next(c for c in self.columns if c.field == field_name)

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns if c.required)


def _c(name, field_name, type_="text", required=False, aliases=(), description=""):
    return Column(name, field_name, type_, required, tuple(aliases), description)


KINDS: dict[str, Kind] = {
    "detainers": Kind(
        "detainers",
        "One row per detainer, whatever its outcome.",
        (
            _c("Detainer ID", "detainer_id", required=True, aliases=["Detainer Number", "Detainer No"],
               description="Identifies the detainer; the same ID in a newer file is an update."),
            _c("Subject ID", "subject_id", aliases=["Person ID", "Unique Identifier", "Anonymized Identifier"],
               description="Identifies the person; used only to match later charges, never published."),
            _c("Facility", "facility", required=True, aliases=["Detention Facility", "Facility Name"],
               description="The jail or facility the detainer was sent to."),
            _c("Facility Code", "facility_code", aliases=["Detention Facility Code"]),
            _c("City", "city", aliases=["Facility City"]),
            _c("State", "state", "state", required=True, aliases=["Facility State"],
               description="Postal code (TX) or full name (Texas)."),
            _c("County FIPS", "county_fips", "fips", aliases=["FIPS", "County FIPS Code"],
               description="5-digit state+county code; if blank, taken from the facilities table."),
            _c("AOR", "aor", aliases=["Facility AOR", "Area of Responsibility"]),
            _c("Date Issued", "date_issued", "date", required=True, aliases=["Issue Date", "Detainer Prepare Date"]),
            _c("Outcome", "outcome", "outcome", required=True, aliases=["Detainer Lift Reason", "Lift Reason"],
               description="declined, honored, pending, other, or an ICE lift reason."),
            _c("Outcome Date", "outcome_date", "date", aliases=["Detainer Lift Date", "Lift Date", "Date Declined"],
               description="When the detainer was declined, honored or lifted."),
            _c("Citizenship", "citizenship", "citizenship", aliases=["Citizenship Country", "Country of Citizenship"]),
            _c("Criminality", "criminality", "criminality", aliases=["Detainer Prepared Criminality"],
               description="convicted, pending charges or none, or the ICE wording."),
            _c("Most Serious Conviction", "most_serious_conviction",
               aliases=["Most Serious Conviction (MSC) Charge", "MSC Charge"]),
            _c("Detainer Type", "detainer_type"),
        ),
        id_field="detainer_id",
    ),
    "charges": Kind(
        "charges",
        "Later arrests of people whose detainer was declined; one row per charge.",
        (
            _c("Subject ID", "subject_id", required=True, aliases=["Person ID", "Unique Identifier", "Anonymized Identifier"]),
            _c("Detainer ID", "detainer_id", description="The declined detainer this charge follows, if known."),
            _c("Arrest Date", "arrest_date", "date", required=True),
            _c("Offense Date", "offense_date", "date", aliases=["Offence Date"]),
            _c("Arresting Agency", "arresting_agency"),
            _c("State", "state", "state", required=True),
            _c("County FIPS", "county_fips", "fips", aliases=["FIPS"]),
            _c("Charge", "charge", required=True, aliases=["Offense", "Offence"]),
            _c("Charge Category", "charge_category", aliases=["Offense Category", "Offence Category"]),
            _c("Status", "status", "status", required=True, aliases=["Charge Status", "Disposition"],
               description="pending, convicted, dismissed or acquitted."),
            _c("Disposition Date", "disposition_date", "date"),
        ),
    ),
    "facilities": Kind(
        "facilities",
        "Staff-maintained map from facility to county.",
        (
            _c("Facility", "facility", required=True, aliases=["Detention Facility", "Facility Name"]),
            _c("Facility Code", "facility_code", aliases=["Detention Facility Code"]),
            _c("State", "state", "state", required=True),
            _c("County FIPS", "county_fips", "fips", required=True, aliases=["FIPS"]),
            _c("AOR", "aor", aliases=["Area of Responsibility"]),
        ),
    ),
    "policies": Kind(
        "policies",
        "Jurisdictions with policies limiting cooperation with ICE.",
        (
            _c("Jurisdiction", "jurisdiction", required=True),
            _c("State", "state", "state", required=True),
            _c("County FIPS", "county_fips", "fips", aliases=["FIPS"]),
            _c("AOR", "aor", aliases=["Area of Responsibility"]),
            _c("Date Enacted", "date_enacted", "partial_date", required=True,
               description="A day, or a month (February 2017, Sept. 2014, 2/2017, 2017-02) or a year: "
                           "printed as precise as written."),
            _c("Policy", "policy", required=True),
            _c("Criteria for Honoring Detainer", "criteria", required=True, aliases=["Criteria"]),
            _c("Source", "source"),
            _c("As Of", "as_of", "partial_date", aliases=["As Of Date"],
               description="A day, a month or a year, like Date Enacted."),
        ),
    ),
    "corrections": Kind(
        "corrections",
        "Disputes and corrections of the detainer data, and jurisdictions' responses; one row per correction "
        "or response. Corrections are applied on top of the detainer files, which are never edited.",
        (
            _c("Date", "date", "date", required=True, aliases=["Date Recorded"],
               description="When staff recorded the correction or response."),
            _c("Type", "type", "correction_type", required=True, aliases=["Correction Type", "Entry Type"],
               description="correction (or dispute) or response (or jurisdiction response, statement)."),
            _c("Detainer ID", "detainer_id",
               description="The one detainer a correction changes; blank for a correction of a whole county."),
            _c("County FIPS", "county_fips", "fips", aliases=["FIPS"],
               description="The jurisdiction concerned. For a correction without a Detainer ID: every "
                           "detainer attributed to this county (Field must be County FIPS)."),
            _c("Jurisdiction", "jurisdiction",
               description="The jurisdiction's name, for people; never used to match records."),
            _c("Facility", "facility",
               description="For a whole-county correction: only the detainers at this facility."),
            _c("Field", "field", aliases=["Field Corrected"],
               description="The detainer column corrected: Outcome, Outcome Date, Date Issued, County FIPS, "
                           "Criminality, Citizenship, Facility or State."),
            _c("Correct Value", "correct_value", aliases=["Corrected Value"],
               description="The right value, written as the detainers sheet would hold it; a blank County "
                           "FIPS means jurisdiction not determined."),
            _c("What Was Wrong", "what_was_wrong", description="In plain words, for the public corrections log."),
            _c("Note", "note", aliases=["Notes", "Statement"],
               description="For a response: the jurisdiction's statement, as published."),
        ),
    ),
}

# Detainer fields a correction may change (detainers kind field names), and the only one a
# correction of a whole county may change.
CORRECTABLE_FIELDS = ("outcome", "outcome_date", "date_issued", "county_fips", "criminality", "citizenship",
                      "facility", "state")
COUNTY_CORRECTABLE_FIELDS = ("county_fips",)


def correctable_field(text: object) -> str | None:
    """The detainer field a correction's Field cell names (canonical name or alias), or None."""
    key = normalise_header(text)
    for column in KINDS["detainers"].columns:
        if column.field in CORRECTABLE_FIELDS and key in {normalise_header(h) for h in (column.name, *column.aliases)}:
            return column.field
    return None


@dataclass(frozen=True)
class Layout:
    """How one real-world table maps onto a kind.

    ``headers`` maps a kind's field to the header texts that layout uses for it.
    ``identity`` says how a record is identified:
      - ``"column"``: the kind's ID column is in the sheet;
      - a tuple of fields that do not change between exports: a stable ID is derived
        from them (a date field with its time of day, where the cell has one); rows
        sharing them in one file are one record (identical: counted once; different:
        an error), unless ``identity_tiebreak`` fields tell them apart;
      - ``"row-content"``: no identity at all; the ID is derived from the file
        and the row's content, so identical rows stay separate records and no
        record is ever matched across files.
    """

    name: str
    kind: str
    description: str
    headers: dict[str, tuple[str, ...]]
    identity: str | tuple[str, ...] = "column"
    identity_tiebreak: tuple[str, ...] = ()  # added to the derived ID only where identity fields repeat
    notes: tuple[str, ...] = field(default=())


def _canonical_layout(kind: Kind) -> Layout:
    return Layout(
        name=f"{kind.name} (project template)",
        kind=kind.name,
        description=f"The project's own {kind.name} template, with documented aliases.",
        headers={c.field: (c.name, *c.aliases) for c in kind.columns},
        identity="column",
    )


ICE_DETAINER_EXPORT = Layout(
    name="ICE detainer export",
    kind="detainers",
    description="ICE detainer table as released by the Deportation Data Project "
    "(title rows above the header, ~60 columns).",
    headers={
        "subject_id": ("Unique Identifier", "Anonymized Identifier"),
        "facility": ("Detention Facility",),
        "facility_code": ("Detention Facility Code",),
        "city": ("Facility City",),
        "state": ("Facility State",),
        "aor": ("Facility AOR",),
        "date_issued": ("Detainer Prepare Date",),
        "outcome": ("Detainer Lift Reason",),
        "outcome_date": ("Detainer Lift Date",),
        "citizenship": ("Citizenship Country",),
        "criminality": ("Detainer Prepared Criminality",),
        "most_serious_conviction": ("Most Serious Conviction (MSC) Charge",),
        "detainer_type": ("Detainer Type",),
    },
    identity=("subject_id", "date_issued"),
    identity_tiebreak=("facility_code",),
    notes=(
        "has no detainer ID column: IDs are derived from the subject identifier and the prepare date and time "
        "(and the facility code where those repeat), which do not change between exports",
    ),
)

FOIA_DETAINER_EXPORT = Layout(
    name="older FOIA detainer export",
    kind="detainers",
    description="ICE detainers released under FOIA, 2007-2015 (date, lift_reason, det_facility, city, state, detainer_type).",
    headers={
        "date_issued": ("date",),
        "outcome": ("lift_reason",),
        "facility": ("det_facility",),
        "city": ("city",),
        "state": ("state",),
        "detainer_type": ("detainer_type",),
    },
    identity="row-content",
    notes=(
        "has no detainer or subject IDs: identical rows are counted as separate detainers, "
        "and duplicates across files cannot be detected",
    ),
)

# Order matters only for ties: a specific export layout wins over the template.
LAYOUTS: tuple[Layout, ...] = (
    ICE_DETAINER_EXPORT,
    FOIA_DETAINER_EXPORT,
    *(_canonical_layout(k) for k in KINDS.values()),
)


def alias_targets(column_name: str) -> list[tuple[str, str]]:
    """(kind, field) of every column whose canonical name or documented alias is ``column_name``."""
    key = normalise_header(column_name)
    return [(kind.name, c.field) for kind in KINDS.values() for c in kind.columns
            if key in {normalise_header(h) for h in (c.name, *c.aliases)}]


def layouts_with_aliases(aliases: dict[str, str] | None) -> tuple[Layout, ...]:
    """LAYOUTS with staff's own header names (settings ``[aliases]``: header -> column name) added to every
    layout that reads that column."""
    if not aliases:
        return LAYOUTS
    layouts = []
    for layout in LAYOUTS:
        headers = dict(layout.headers)
        for header, column_name in aliases.items():
            for kind, field_name in alias_targets(column_name):
                if kind == layout.kind and field_name in headers:
                    headers[field_name] = (*headers[field_name], header)
        layouts.append(replace(layout, headers=headers))
    return tuple(layouts)


def layout_required_fields(layout: Layout) -> tuple[str, ...]:
    """Required fields of the layout's kind that the layout can supply.

    A layout that derives its IDs does not need the kind's ID column.
    """
    kind = KINDS[layout.kind]
    required = [f for f in kind.required_fields if f in layout.headers]
    missing = [f for f in kind.required_fields if f not in layout.headers]
    if layout.identity == "column":
        return tuple(kind.required_fields)
    return tuple(required + [f for f in missing if f != kind.id_field])
