"""Report settings: one TOML file, documented defaults, unknown keys are an error.

The defaults below are the documentation: README lists them from ``DEFAULTS``.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from .exceptions import SettingsError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

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
    public_base_url: str = "https://example.org/detainer-reports/"
    standing_caveats: tuple[str, ...] = STANDING_CAVEATS
    # disclosure control (README, "Privacy and disclosure control")
    row_level_dates: str = "week"  # row-level downloads give the week of each date, not the day ("exact": the day)
    top_code_citizenship_below: int = 3  # in row-level tables, citizenships seen fewer times become "Other"
    min_cell: int = 0  # 0: exact counts; n >= 2: counts 1..n-1 are shown as [c], with secondary suppression

    @property
    def week_start_index(self) -> int:
        return WEEKDAYS.index(self.week_start)


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
}


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
        if isinstance(default, tuple):
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
    return settings
