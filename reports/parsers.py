"""One parser per column type: a raw cell to a date, FIPS code, state or vocabulary value, or the reason not."""
from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field

import pycountry

from .vocabulary import (
    CORRECTION_TYPE_VOCABULARY,
    CRIMINALITY_VOCABULARY,
    OUTCOME_VOCABULARY,
    OUTCOMES,
    STATE_VOCABULARY,
    STATUS_VOCABULARY,
    normalise_value,
    outcome_texts,
    outcome_vocabulary,
)

EXCEL_1900_EPOCH = dt.date(1899, 12, 30)
EXCEL_1904_EPOCH = dt.date(1904, 1, 1)
EARLIEST_DATE = dt.date(1980, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)


class Invalid(Exception):
    """A value that cannot be read; the message says why in plain English."""


class Unrecognised(Exception):
    """A value read but not in its vocabulary (a warning, counted as unknown)."""


@dataclass(frozen=True)
class ReadRules:
    """What the settings and the day of the run change about reading values."""

    outcomes: dict = field(default_factory=lambda: dict(OUTCOME_VOCABULARY))  # match key -> outcome
    outcome_names: dict = field(default_factory=outcome_texts)  # match key -> text staff know, for suggestions
    day_first: bool = False  # slash dates: 5/6/2017 is 5 June (else May 6, US order)
    today: dt.date | None = None  # a date after this is an error (E314); None: no check

    @classmethod
    def from_settings(cls, settings, today: dt.date | None) -> "ReadRules":
        extra = dict(settings.outcomes)
        return cls(outcome_vocabulary(extra), outcome_texts(extra), settings.day_first, today)


DEFAULT_RULES = ReadRules()


def display(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if not isinstance(value, (dt.date, dt.datetime)) else value.isoformat()


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?)?$", re.IGNORECASE)
_TEXT_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%d-%b-%Y", "%d-%b-%y")


def parse_date(value, date1904: bool = False, day_first: bool = False) -> dt.date:
    """A day: an Excel date or date number, YYYY-MM-DD, M/D/YYYY (D/M/YYYY when day_first) or a month name."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 1 <= value < 2958466:
            raise Invalid("a number that is not an Excel date")
        epoch = EXCEL_1904_EPOCH if date1904 else EXCEL_1900_EPOCH
        day = epoch + dt.timedelta(days=int(value))
        return _in_range(day)
    text = str(value).strip()
    m = _ISO.match(text)
    if m:
        return _in_range(_date(int(m[1]), int(m[2]), int(m[3])))
    m = _US.match(text)
    if m:  # US order, month/day/year, as US agency systems write it, unless the settings say day first
        first, second = int(m[1]), int(m[2])
        month, day = (second, first) if day_first else (first, second)
        return _in_range(_date(int(m[3]), month, day))
    for fmt in _TEXT_FORMATS:
        try:
            return _in_range(dt.datetime.strptime(text, fmt).date())
        except ValueError:
            continue
    if _month_or_year(text):
        raise Invalid("only a month or a year; this date needs the day")
    raise Invalid("not a date; write it as YYYY-MM-DD")


# Descriptive dates (a policy's Date Enacted, As Of) may be a month or a year, as policy lists write them.
DAY, MONTH, YEAR = "day", "month", "year"
_MONTH_WORD = re.compile(r"^([A-Za-z]{3,9})\.?,?\s+(\d{4})$")  # February 2017, Feb. 2017, Sept. 2014
_MONTH_SLASH = re.compile(r"^(\d{1,2})[/.](\d{4})$")  # 2/2017
_MONTH_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})$")  # 2017-02
_YEAR = re.compile(r"^(\d{4})$")
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december")


def _month_or_year(text: str) -> tuple[dt.date, str] | None:
    """(first day, MONTH or YEAR) of a month or year written as text, or None."""
    m = _MONTH_WORD.match(text)
    if m:
        word = m[1].lower()
        month = next((i for i, name in enumerate(_MONTH_NAMES, start=1) if name.startswith(word)), None)
        return (_in_range(_date(int(m[2]), month, 1)), MONTH) if month else None
    m = _MONTH_SLASH.match(text) or _MONTH_ISO.match(text)
    if m:
        year, month = (int(m[2]), int(m[1])) if m.re is _MONTH_SLASH else (int(m[1]), int(m[2]))
        return _in_range(_date(year, month, 1)), MONTH
    m = _YEAR.match(text)
    if m:
        return _in_range(dt.date(int(m[1]), 1, 1)), YEAR
    return None


def parse_partial_date(value, date1904: bool = False, day_first: bool = False) -> tuple[dt.date, str]:
    """(first day, precision) of a day, a month or a year. A month is never given an invented day."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer() \
            and EARLIEST_DATE.year <= value <= LATEST_DATE.year:
        return dt.date(int(value), 1, 1), YEAR  # a year typed into a number cell, not an Excel date number
    if isinstance(value, str):
        found = _month_or_year(value.strip())
        if found:
            return found
    try:
        return parse_date(value, date1904, day_first), DAY
    except Invalid as exc:
        raise Invalid(f"{exc}, or a month such as February 2017 or 2017-02") from None


def format_partial_date(day: dt.date, precision: str) -> str:
    """ISO at the precision written: 2017-02-01, 2017-02 or 2017."""
    return {DAY: day.isoformat(), MONTH: f"{day:%Y-%m}", YEAR: f"{day:%Y}"}[precision]


def slash_date_order(values, day_first: bool) -> tuple[list, list]:
    """Slash dates (D/D/YYYY) of one column that can only be read in the other order than the settings say,
    and those read in the settings' order. A column with both would be a silent mix of two orders."""
    other, own = [], []
    for value in values:
        m = _US.match(value.strip()) if isinstance(value, str) else None
        if not m:
            continue
        first, second = int(m[1]), int(m[2])
        month_first, day_first_reading = first <= 12 and second <= 31, second <= 12 and first <= 31
        own_reading, other_reading = (day_first_reading, month_first) if day_first else (month_first,
                                                                                         day_first_reading)
        if own_reading:
            own.append(value)
        elif other_reading:
            other.append(value)
    return other, own


def _date(year, month, day) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise Invalid(f"not a real date ({exc})") from exc


def _in_range(day: dt.date) -> dt.date:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise Invalid(f"{day.isoformat()} is outside {EARLIEST_DATE.year}-{LATEST_DATE.year}")
    return day


def parse_state(value) -> str:
    code = STATE_VOCABULARY.get(normalise_value(value))
    if code is None:
        raise Invalid("not a US state, territory or DC")
    return code


def parse_fips(value) -> str:
    """Keeps leading zeros whether typed as text, stored as a number or formatted ('06037', 6037, 6037.0)."""
    if isinstance(value, float):
        if not value.is_integer():
            raise Invalid("not a whole number")
        value = int(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    if not re.fullmatch(r"\d{4,5}", text):
        raise Invalid("not a 5-digit county FIPS code")
    return text.zfill(5)


def parse_outcome(value, rules: ReadRules = DEFAULT_RULES) -> str:
    """The outcome an Outcome text means. The vocabulary is closed: an unknown text is an error naming the
    nearest known values, never "other" by default."""
    key = normalise_value(value)
    if key in rules.outcomes:
        return rules.outcomes[key]
    nearest = difflib.get_close_matches(key, list(rules.outcome_names), n=3, cutoff=0.6)
    hint = ("; nearest known: " + ", ".join(repr(rules.outcome_names[k]) for k in nearest)) if nearest else ""
    raise Invalid(f"not a known outcome{hint}. Known: {', '.join(OUTCOMES)} or an ICE lift reason; a new lift "
                  "reason can be mapped in settings.toml under [outcomes]")


def parse_criminality(value) -> str:
    try:
        return CRIMINALITY_VOCABULARY[normalise_value(value)]
    except KeyError:
        raise Unrecognised("not one of convicted, pending charges, none") from None


def parse_status(value) -> str:
    try:
        return STATUS_VOCABULARY[normalise_value(value)]
    except KeyError:
        raise Invalid("not one of pending, convicted, dismissed, acquitted") from None


# ICE spellings that ISO names do not cover.
CITIZENSHIP_ALIASES = {
    "chinapeoplesrepublicof": "China", "china": "China", "koreasouth": "Korea, Republic of",
    "southkorea": "Korea, Republic of", "koreanorth": "Korea, Democratic People's Republic of",
    "burma": "Myanmar", "ivorycoast": "Côte d'Ivoire", "capeverde": "Cabo Verde",
    "russia": "Russian Federation", "vietnam": "Viet Nam", "laos": "Lao People's Democratic Republic",
    "iran": "Iran, Islamic Republic of", "syria": "Syrian Arab Republic", "bolivia": "Bolivia, Plurinational State of",
    "venezuela": "Venezuela, Bolivarian Republic of", "tanzania": "Tanzania, United Republic of",
    "moldova": "Moldova, Republic of", "macedonia": "North Macedonia", "czechrepublic": "Czechia",
    "congodemocraticrepublic": "Congo, The Democratic Republic of the", "bahamas": "Bahamas",
    "bahamasthe": "Bahamas", "gambia": "Gambia", "gambiathe": "Gambia",
    "unitedkingdom": "United Kingdom", "greatbritain": "United Kingdom", "britishvirginislands": "Virgin Islands, British",
    "soviet union": "Soviet Union (former)", "sovietunion": "Soviet Union (former)",
    "yugoslavia": "Yugoslavia (former)", "serbiaandmontenegro": "Serbia and Montenegro (former)",
    "czechoslovakia": "Czechoslovakia (former)", "kosovo": "Kosovo", "stateless": "Stateless",
}
_COUNTRY_NAMES: dict[str, str] = {}


def _country_names() -> dict[str, str]:
    if not _COUNTRY_NAMES:
        for country in pycountry.countries:
            for attr in ("name", "official_name", "common_name", "alpha_2", "alpha_3"):
                text = getattr(country, attr, None)
                if text:
                    _COUNTRY_NAMES.setdefault(normalise_value(text), getattr(country, "common_name", None) or country.name)
        # An alias of an ISO country gets that country's label, so "KOREA, SOUTH" and "KOR" count together.
        _COUNTRY_NAMES.update({key: _COUNTRY_NAMES.get(normalise_value(name), name)
                               for key, name in CITIZENSHIP_ALIASES.items()})
    return _COUNTRY_NAMES


def parse_citizenship(value) -> str:
    key = normalise_value(value)
    if key == "unknown":
        return "unknown"
    try:
        return _country_names()[key]
    except KeyError:
        raise Unrecognised("not a country name") from None


def parse_correction_type(value) -> str:
    try:
        return CORRECTION_TYPE_VOCABULARY[normalise_value(value)]
    except KeyError:
        raise Invalid("not one of correction, response") from None


def parse_text(value) -> str:
    return display(value)


PARSERS = {
    "text": parse_text, "date": parse_date, "partial_date": parse_partial_date, "fips": parse_fips,
    "state": parse_state, "outcome": parse_outcome, "criminality": parse_criminality, "status": parse_status,
    "citizenship": parse_citizenship, "correction_type": parse_correction_type,
}
DATE_TYPES = ("date", "partial_date")
