"""Counting helpers shared by the report's tables: a week's rows, rows counted per key, a county's fields."""
from __future__ import annotations

import pandas as pd

from .period import Week
from .reference import JURISDICTION_NOT_DETERMINED, Counties
from .rounding import ratio_half_up
from .vocabulary import OUTCOMES

NOT_DETERMINED_ROW = JURISDICTION_NOT_DETERMINED.capitalize()  # a table row's name, and a county column's value


def in_week(dates: pd.Series, week: Week) -> pd.Series:
    start, end = pd.Timestamp(week.start), pd.Timestamp(week.end)
    return ((dates >= start) & (dates <= end)).fillna(False).astype(bool)


def jurisdiction_key(frame: pd.DataFrame, column: str = "county_fips") -> pd.Series:
    return frame[column].fillna("")


def outcome_counts(frame: pd.DataFrame) -> dict:
    counts = frame["outcome"].value_counts()
    return {o: int(counts.get(o, 0)) for o in OUTCOMES}


MIN_RATE_DECIMALS = 1  # decline rates and rates per 100,000 are printed with one decimal


def decline_rate(declined: int, resolved: int, min_base: int) -> float | None:
    return ratio_half_up(declined, resolved, MIN_RATE_DECIMALS, scale=100) if resolved >= min_base and resolved \
        else None


def count_by(keys: pd.Series, values: pd.Series, categories) -> pd.DataFrame:
    """Rows counted per key (index) and value (columns, exactly ``categories``), in one groupby."""
    if not len(keys):
        return pd.DataFrame(0, index=pd.Index([], dtype=object), columns=list(categories))
    pairs = pd.DataFrame({"key": keys.to_numpy(dtype=object), "value": values.to_numpy(dtype=object)})
    counts = pairs.groupby(["key", "value"], sort=False).size().unstack(fill_value=0)
    return counts.reindex(columns=list(categories), fill_value=0).astype(int)


def with_total_row(table: pd.DataFrame, labels: dict, count_columns: list[str]) -> pd.DataFrame:
    """The table with a last row: ``labels``, and the sum of each count column."""
    total = {**labels, **{c: int(table[c].sum()) for c in count_columns}}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def county_fields(fips_codes, counties: Counties) -> pd.DataFrame:
    """name, state and population (a Python int, or None) of each FIPS code; '' is 'not determined'."""
    places = [counties.county(fips) for fips in fips_codes]
    rows = [{"name": _row_name(county), "state": county.state if county else "",
             "population": county.population if county else None} for county in places]
    return pd.DataFrame(rows, index=pd.Index(list(fips_codes), dtype=object), columns=["name", "state", "population"])


def county_label(frame: pd.DataFrame, fips_column: str, counties: Counties) -> pd.Series:
    return frame[fips_column].map(lambda fips: _row_name(counties.county(fips)))


def _row_name(county) -> str:
    return county.name if county else NOT_DETERMINED_ROW
