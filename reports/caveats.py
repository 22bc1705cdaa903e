"""The caveats a week's data call for, each naming its number."""
from __future__ import annotations

import re

import pandas as pd

from .attribution import method_counts
from .load import Dataset
from .parsers import DAY
from .period import Week
from .reference import NOT_DETERMINED, Counties
from .rounding import percent_text
from .wording import counted

VALUE_WARNINGS = {
    "W301": "had a citizenship that was not recognised and {verb} counted as unknown",
    "W302": "had a criminality value that was not recognised and {verb} counted as unknown",
    "W303": "were declined without an outcome date and {verb} counted on the date issued",
    "W401": "repeated an earlier row exactly and {verb} counted once",
}


def _pct(part: int, whole: int) -> str:
    return percent_text(part, whole)


ATTRIBUTION_PHRASES = {
    "record": "from the County FIPS in the record",
    "staff": "from the staff facilities table",
    "reference-code": "from the facility's ICE code in the bundled facility reference",
    "reference-name": "from the facility's name in the bundled facility reference",
    "name-names-county": "from the county named in the facility's name",
    "reference-words": "from the distinctive words of the facility's name, matched with the facility reference",
    "city": "from the facility's city alone (a city that lies in a single county)",
    "correction": "from a correction recorded by staff",
    "none": NOT_DETERMINED,
}


def attribution_caveat(issued: pd.DataFrame, declines: pd.DataFrame) -> str:
    """Where the week's counties come from, method by method, so readers see how much rests on the weaker
    ones. The counts of each sentence add up to its total."""
    parts = []
    for label, frame in (("Detainers issued this week", issued), ("Declines recorded this week", declines)):
        if len(frame):
            counts = method_counts(frame)
            ways = [f"{n:,} {ATTRIBUTION_PHRASES[m]}" for m, n in counts.items() if n]
            parts.append(f"{label} ({len(frame):,}): {_join(ways)}.")
    if not parts:
        return ""
    text = "Where the counties come from. " + " ".join(parts)
    if issued["county_fips"].isna().any() or declines["county_fips"].isna().any():
        text += (" Detainers whose county could not be determined are counted in the national totals as "
                 "'jurisdiction not determined'; the report never guesses between counties of the same name.")
    return text


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def computed_caveats(issued, declines, week_charges, not_subsequent, week: Week, dataset: Dataset,
                     policies: pd.DataFrame, counties: Counties, min_cell: int = 0) -> list[str]:
    """Caveats that this week's data calls for; each names its number.

    With small-cell suppression on (``min_cell``), a caveat about one county's or one facility's count is left
    out, and so is any caveat with a count below ``min_cell``: it would give a withheld figure away."""
    caveats = []
    attribution = attribution_caveat(issued, declines)
    if attribution:
        caveats.append(attribution)
    n_declines = len(declines)
    if n_declines:
        before = declines[declines["date_issued"] < pd.Timestamp(week.start)]
        if len(before):
            earliest = before["date_issued"].min().date()
            caveats.append(
                f"{len(before):,} of the {n_declines:,} declines recorded this week ({_pct(len(before), n_declines)}) "
                f"were for detainers issued before the week began, the earliest on {earliest:%B} {earliest.day}, "
                f"{earliest.year}. Declines are counted in the week they were recorded, not the week of issue.")
        by_day = declines["outcome_date"].dt.date.value_counts()
        if n_declines >= 5 and by_day.iloc[0] > n_declines / 2:
            day, count = by_day.index[0], int(by_day.iloc[0])
            that_day = declines[declines["outcome_date"].dt.date == day]
            top_fips = that_day["county_fips"].value_counts()
            text = (f"{count:,} of the {n_declines:,} declines ({_pct(count, n_declines)}) were recorded on a single "
                    f"day, {day:%A, %B} {day.day}.")
            if len(top_fips) and top_fips.iloc[0] > count / 2 and not min_cell:
                fips = top_fips.index[0]
                text += f" {int(top_fips.iloc[0]):,} of them were in {counties.by_fips[fips].label}."
                enacted = policies[(policies["county_fips"] == fips) & (policies["date_enacted"].dt.date == day)
                                   & (policies["date_enacted_precision"] == DAY)]  # a month names no day
                if len(enacted):
                    text += (" That is the day a policy limiting cooperation took effect there, when detainers "
                             "held at the time were assessed at once; the spike reflects that, not a week's flow.")
            caveats.append(text)
        by_place = declines["facility"].value_counts()
        if n_declines >= 5 and by_place.iloc[0] > n_declines / 2 and not min_cell:
            caveats.append(f"{int(by_place.iloc[0]):,} of the {n_declines:,} declines "
                           f"({_pct(int(by_place.iloc[0]), n_declines)}) were recorded at one facility, "
                           f"{by_place.index[0]}.")
        undated = int((declines["outcome_date_source"] != "record").sum())
        if undated:
            caveats.append(f"{counted(undated, 'decline')} recorded this week had no date of decline in the data and "
                           "{} counted on the date the detainer was issued.".format("is" if undated == 1 else "are"))
    if len(issued):
        pending = int((issued["outcome"] == "pending").sum())
        if pending:
            caveats.append(f"{pending:,} of the {len(issued):,} detainers issued this week "
                           f"({_pct(pending, len(issued))}) had no recorded outcome yet. They are shown as pending, "
                           "never as declined.")
        no_ids = issued[issued["source_layout"].isin(["older FOIA detainer export"])]
        if len(no_ids):
            caveats.append(f"{counted(len(no_ids), 'detainer')} issued this week come from the older FOIA export, which "
                           "has no detainer IDs: identical rows are counted as separate detainers and duplicates "
                           "across files cannot be detected.")
    if len(not_subsequent):
        caveats.append(f"{counted(len(not_subsequent), 'charge')} of people whose detainer was declined "
                       f"{'was' if len(not_subsequent) == 1 else 'were'} dated on or before the decline and "
                       "{} not counted as subsequent charges.".format("is" if len(not_subsequent) == 1 else "are"))
    pending_charges = int((week_charges["status"] == "pending").sum())
    if pending_charges:
        caveats.append(f"{pending_charges:,} of the {len(week_charges):,} subsequent charges recorded this week are "
                       "pending: they are allegations, not convictions.")
    if not len(dataset.charges):
        caveats.append("No data on later charges were provided, so this edition reports no subsequent charges; "
                       "that is not a count of zero.")
    warned = pd.Series([p.code for p in dataset.warnings if p.code in VALUE_WARNINGS], dtype=object)
    for code, count in warned.value_counts().sort_index().items():
        caveats.append(f"Data check: {counted(int(count), 'record')} in the source files "
                       + VALUE_WARNINGS[code].format(verb="was" if count == 1 else "were") + ".")
    if min_cell:
        caveats = [c for c in caveats if not _has_small_count(c, min_cell)]
    return caveats


def _has_small_count(text: str, min_cell: int) -> bool:
    """Does a sentence print a count from 1 to min_cell - 1? (Years and days of the month are not counts.)"""
    text = re.sub(r"[A-Z][a-z]+ \d{1,2}, \d{4}|\d{4}-\d{2}-\d{2}|\(\d+%\)", "", text)
    return any(1 <= int(n.replace(",", "")) < min_cell for n in re.findall(r"(?<![\w.])\d[\d,]*(?![\w.%])", text))
