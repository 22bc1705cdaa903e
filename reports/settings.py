"""Report settings: one TOML file, documented defaults, unknown keys are an error.

The defaults below are the documentation: README lists them from ``DEFAULTS``.
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
import urllib.parse
import zoneinfo
from dataclasses import dataclass, fields
from pathlib import Path

from .exceptions import SettingsError
from .schema import KINDS, alias_targets
from .vocabulary import OUTCOMES

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DATE_ORDERS = ("month-first", "day-first")
EXAMPLE_BASE_URL = "https://example.org/detainer-reports/"

STANDING_CAVEATS = (
    "A detainer is a request from ICE to a jail, not a judicial warrant: it asks the jail to hold a person "
    "for up to 48 hours past release or to notify ICE of the release. Courts have held that a detainer alone "
    "is no substitute for a warrant or probable cause.",
    "Jails do not report declined detainers to ICE. The counts cover only the declines ICE learned of and "
    "recorded, so they are a floor, not a full count.",
    "A detainer is counted as declined when ICE recorded that the jail released the person without honoring "
    "it, including when notice of release came too late for ICE to take custody.",
    "Charges are allegations, not convictions. A person charged is presumed innocent; pending charges may be "
    "dismissed or end in acquittal.",
    "Policies change. The list of jurisdictions with policies limiting cooperation comes from public "
    "statements and field reports and may be incomplete or out of date.",
    "Outcomes of detainers issued recently are often not yet known (pending). Later editions may revise "
    "these figures as outcomes are recorded.",
)




@dataclass(frozen=True)
class Settings:
    agency: str = "Detainer Statistics Unit"
    title: str = "Weekly Declined Detainer Report"
    week_start: str = "saturday"  # first day of a reporting week; the DDOR used Saturday to Friday
    top_jurisdictions: int = 10  # rows in the "detainers issued by jurisdiction" table
    min_rate_base: int = 5  # decline rates on fewer resolved detainers are not shown
    trend_weeks: int = 12
    public_base_url: str = EXAMPLE_BASE_URL
    standing_caveats: tuple[str, ...] = STANDING_CAVEATS
    # disclosure control (README, "Privacy and disclosure control")
    row_level_dates: str = "week"  # row-level downloads give the week of each date, not the day ("exact": the day)
    top_code_citizenship_below: int = 3  # in row-level tables, citizenships seen fewer times become "Other"
    min_cell: int = 0  # 0: exact counts; n >= 2: counts 1..n-1 are shown as [c], with secondary suppression
    time_zone: str = "America/New_York"  # "today" and the publication date are taken in this zone
    date_order: str = "month-first"  # how slash dates are read: 5/6/2017 is May 6 (US order)
    max_input_bytes: int = 1024**3
    # TOML tables, kept as (key, value) pairs so that Settings stays hashable
    outcomes: tuple[tuple[str, str], ...] = ()  # outcome text as written -> declined | honored | pending | other
    aliases: tuple[tuple[str, str], ...] = ()  # header as written -> column name of the templates

    @property
    def week_start_index(self) -> int:
        return WEEKDAYS.index(self.week_start)

    @property
    def links_to_example_site(self) -> bool:
        """Is public_base_url still the documentation's example address (example.org, .com or .net)?"""
        host = urllib.parse.urlparse(self.public_base_url).hostname or ""
        return re.search(r"(^|\.)example\.(org|com|net)$", host) is not None

    @property
    def day_first(self) -> bool:
        return self.date_order == "day-first"

    def local(self, now: dt.datetime) -> dt.datetime:
        """``now`` in the configured time zone; a naive time is taken to be local already."""
        zone = zoneinfo.ZoneInfo(self.time_zone)
        return now.replace(tzinfo=zone) if now.tzinfo is None else now.astimezone(zone)

    def today(self) -> dt.date:
        return self.local(dt.datetime.now(dt.timezone.utc)).date()


DEFAULTS = Settings()
DESCRIPTIONS = {
    "agency": "Publisher named on the title block.",
    "title": "Report title, on the title block and in the running header.",
    "week_start": "First day of a reporting week (monday … sunday).",
    "top_jurisdictions": "How many jurisdictions the issued-detainers table lists before 'all other'.",
    "min_rate_base": "Decline rates based on fewer resolved detainers than this are not shown.",
    "trend_weeks": "How many weeks the trend chart and table cover.",
    "public_base_url": "Where outputs/ is served; used for absolute links.",
    "standing_caveats": "The caveats printed in every report (a list of sentences).",
    "row_level_dates": "Dates in row-level downloads and in the list of declines: 'week' (the last day of its "
                       "week) or 'exact' (the day).",
    "top_code_citizenship_below": "In row-level downloads, a citizenship seen fewer times than this in the "
                                  "table is shown as 'Other' (0 or 1: never).",
    "min_cell": "0: every count exact (as the DDOR published). 2 or more: counts from 1 to min_cell - 1 are "
                "shown as [c], with further cells withheld so none can be worked out from the totals.",
    "time_zone": "Time zone (IANA name) of 'today' and of the publication date.",
    "date_order": "How slash dates such as 5/6/2017 are read: month-first (US, May 6) or day-first (5 June).",
    "max_input_bytes": "A file in the inputs folder larger than this is an error (E109), not read.",
    "outcomes": "Table: outcome texts the vocabulary does not know (a new ICE lift reason) -> declined, honored, "
                "pending or other.",
    "aliases": "Table: your own header names -> the template's column name, e.g. \"Issued On\" = \"Date Issued\".",
}
TABLE_SETTINGS = ("outcomes", "aliases")


def load_settings(path: Path | None) -> Settings:
    if path is None or not path.exists():
        if path is not None and path.name != "settings.toml":
            raise SettingsError(f"settings file {path} does not exist")
        return DEFAULTS
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from exc
    known = {f.name: f for f in fields(Settings)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise SettingsError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
    values = {}
    for key, value in data.items():
        default = getattr(DEFAULTS, key)
        if key in TABLE_SETTINGS:
            if not (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
                raise SettingsError(f"{path}: [{key}] must be a table of texts, e.g. \"Some text\" = \"other\"")
            value = tuple(value.items())
        elif isinstance(default, tuple):
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise SettingsError(f"{path}: {key} must be a list of strings")
            value = tuple(value)
        elif not isinstance(value, type(default)) or isinstance(value, bool) != isinstance(default, bool):
            raise SettingsError(f"{path}: {key} must be {type(default).__name__}, not {value!r}")
        values[key] = value
    settings = Settings(**values)
    if settings.week_start not in WEEKDAYS:
        raise SettingsError(f"{path}: week_start must be one of {', '.join(WEEKDAYS)}")
    if settings.row_level_dates not in ("week", "exact"):
        raise SettingsError(f"{path}: row_level_dates must be 'week' or 'exact'")
    if settings.min_cell < 0 or settings.min_cell == 1 or settings.top_code_citizenship_below < 0:
        raise SettingsError(f"{path}: min_cell must be 0 (off) or at least 2; top_code_citizenship_below at least 0")
    if settings.top_jurisdictions < 1 or settings.trend_weeks < 1 or settings.min_rate_base < 1:
        raise SettingsError(f"{path}: top_jurisdictions, trend_weeks and min_rate_base must be at least 1")
    if settings.date_order not in DATE_ORDERS:
        raise SettingsError(f"{path}: date_order must be one of {', '.join(DATE_ORDERS)}")
    if settings.max_input_bytes < 1:
        raise SettingsError(f"{path}: max_input_bytes must be at least 1")
    try:
        zoneinfo.ZoneInfo(settings.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{path}: time_zone {settings.time_zone!r} is not a known time zone "
                            "(use a name such as America/New_York)") from None
    for text, outcome in settings.outcomes:
        if outcome not in OUTCOMES:
            raise SettingsError(f"{path}: [outcomes] {text!r} = {outcome!r}: the outcome must be one of "
                                f"{', '.join(OUTCOMES)}")
    _check_aliases(path, settings.aliases)
    return settings


def _check_aliases(path: Path, aliases) -> None:
    """An alias must name a template column, and must not be a header that already means another column."""
    for header, column_name in aliases:
        if not alias_targets(column_name):
            names = sorted({c.name for kind in KINDS.values() for c in kind.columns})
            raise SettingsError(f"{path}: [aliases] {header!r} = {column_name!r}: no template column is called "
                                f"{column_name!r}; use one of: {', '.join(names)}")
        targets = {field for _, field in alias_targets(column_name)}
        taken = {field for _, field in alias_targets(header)} - targets
        if taken:
            raise SettingsError(f"{path}: [aliases] {header!r} already names the column {sorted(taken)[0]!r}; "
                                f"it cannot also mean {column_name!r}")
