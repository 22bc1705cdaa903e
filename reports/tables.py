"""Stage 4: every figure the report prints, as pure functions from frames to frames.

Counting rules (README, "How the figures are counted"):
- issued in the week: Date Issued in the week; their outcomes so far always add up to the issued count;
- declines recorded in the week: Outcome declined and Outcome Date in the week, whatever the issue date;
- a subsequent charge: Arrest Date on a later day than the decline of the detainer it follows.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field

import pandas as pd

from . import headlines
from .period import Week
from .pipeline import Dataset
from .reference import Counties
from .vocabulary import CHARGE_STATUSES, OUTCOMES
from .settings import Settings
from .attribution import method_counts
from .disclosure import WITHHELD, row_level, suppress_report
from .parsers import DAY, format_partial_date
from .rounding import percent_text, ratio_half_up, value_half_up
from .wording import counted

NOT_DETERMINED = "Jurisdiction not determined"
CRIMINALITY_COLUMNS = {"convicted": "convicted", "pending charges": "pending_charges", "none": "no_record",
                       "unknown": "criminality_unknown"}
VALUE_WARNINGS = {
    "W301": "had a citizenship that was not recognised and {verb} counted as unknown",
    "W302": "had a criminality value that was not recognised and {verb} counted as unknown",
    "W303": "were declined without an outcome date and {verb} counted on the date issued",
    "W401": "repeated an earlier row exactly and {verb} counted once",
}


@dataclass
class Report:
    week: Week
    published: dt.date
    sample: bool
    revision: int
    settings: Settings
    summary: dict
    jurisdictions: pd.DataFrame  # every jurisdiction with a figure this week (+ not determined)
    issued_table: pd.DataFrame  # top N + all other + not determined + total
    declines_by_jurisdiction: pd.DataFrame
    declines_detail: pd.DataFrame
    issued_detail: pd.DataFrame
    charges_by_jurisdiction: pd.DataFrame
    charges_by_category: pd.DataFrame
    charges_detail: pd.DataFrame
    policies: pd.DataFrame
    trend: pd.DataFrame
    caveats: list[str]
    data_notes: list[str] = field(default_factory=list)
    # set by the publisher when this edition revises an earlier one (see revisions.py)
    first_published: dt.date | None = None
    earlier_revisions: list[dict] = field(default_factory=list)  # {revision, published, path}
    revision_changes: list[dict] = field(default_factory=list)  # {table, row, column, old, new}
    revision_reasons: list[str] = field(default_factory=list)
    revision_downloads: list[dict] = field(default_factory=list)  # {file, rows_removed, rows_added}
    corrections: pd.DataFrame | None = None  # the corrections log: every correction recorded by publication
    responses: pd.DataFrame | None = None  # statements of jurisdictions in this week's tables
    data_received: bool = True  # False: no detainer in the inputs is dated in this week (page 1 says so)
    # as of publication: the latest complete week with any data, and the complete weeks since it without any
    data_currency: dict = field(default_factory=lambda: {"latest_week_with_data": None,
                                                         "weeks_without_data_since": None})


def in_week(dates: pd.Series, week: Week) -> pd.Series:
    start, end = pd.Timestamp(week.start), pd.Timestamp(week.end)
    return ((dates >= start) & (dates <= end)).fillna(False).astype(bool)


def week_has_data(dataset: Dataset, week: Week) -> bool:
    """Was any detainer data received for this week: a detainer issued, or an outcome recorded, in it?"""
    detainers = dataset.used("detainers")
    return bool(in_week(detainers["date_issued"], week).any() or in_week(detainers["outcome_date"], week).any())


def _jurisdiction_key(frame: pd.DataFrame, column: str = "county_fips") -> pd.Series:
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


def _county_fields(fips_codes, counties: Counties) -> pd.DataFrame:
    """name, state and population (a Python int, or None) of each FIPS code; '' is 'not determined'."""
    rows = []
    for fips in fips_codes:
        county = counties.by_fips.get(fips)
        rows.append({"name": county.name if county else NOT_DETERMINED, "state": county.state if county else "",
                     "population": int(county.population) if county and county.population == county.population
                     and county.population is not None else None})
    return pd.DataFrame(rows, index=pd.Index(list(fips_codes), dtype=object), columns=["name", "state", "population"])


def jurisdiction_table(issued: pd.DataFrame, declines: pd.DataFrame, charges_week: pd.DataFrame,
                       policies: pd.DataFrame, counties: Counties, settings: Settings) -> pd.DataFrame:
    """One row per jurisdiction with any figure this week, and always the undetermined row (fips '', zeros
    when none), so that report.json consumers never have to handle its absence. Each frame is grouped once."""
    issued_key = _jurisdiction_key(issued)
    outcomes = count_by(issued_key, issued["outcome"], OUTCOMES)
    recorded = _jurisdiction_key(declines).value_counts()
    keys = sorted(set(outcomes.index) | set(recorded.index)
                  | set(_jurisdiction_key(charges_week, "declined_county_fips")) | {""})
    outcomes = outcomes.reindex(keys, fill_value=0)
    policy_fips = set(policies["county_fips"].dropna())
    places = _county_fields(keys, counties)
    population = [None if pd.isna(p) else int(p) for p in places["population"]]
    issued_n = outcomes.sum(axis=1).astype(int)
    resolved = issued_n - outcomes["pending"]
    table = pd.DataFrame({
        "fips": keys, "name": places["name"].to_numpy(), "state": places["state"].to_numpy(),
        "population": pd.Series(population, dtype=object),
        "issued": issued_n.to_numpy(), "honored": outcomes["honored"].to_numpy(),
        "issued_declined": outcomes["declined"].to_numpy(), "pending": outcomes["pending"].to_numpy(),
        "other": outcomes["other"].to_numpy(),
        "decline_rate": pd.Series([decline_rate(d, r, settings.min_rate_base)
                                   for d, r in zip(outcomes["declined"], resolved)], dtype=object),
        "issued_per_100k": pd.Series([ratio_half_up(n, p, MIN_RATE_DECIMALS, scale=100_000) if p else None
                                      for n, p in zip(issued_n, population)], dtype=object),
        "declined": recorded.reindex(keys, fill_value=0).astype(int).to_numpy(),
        "policy_on_file": [bool(f and f in policy_fips) for f in keys],
    })
    return table.sort_values(["issued", "declined", "state", "name"], ascending=[False, False, True, True],
                             ignore_index=True)


def issued_table(jurisdictions: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Top N by detainers issued, then 'all other', 'not determined' and a total that equals the summary."""
    known = jurisdictions[(jurisdictions["fips"] != "") & (jurisdictions["issued"] > 0)]
    top = known.head(settings.top_jurisdictions).copy()
    top["row_type"] = "jurisdiction"
    rest = known.iloc[settings.top_jurisdictions:]
    undetermined = jurisdictions[jurisdictions["fips"] == ""]
    count_columns = ["issued", "honored", "issued_declined", "pending", "other"]
    extra = []
    if len(rest):
        extra.append(_sum_row(rest, f"All other jurisdictions ({len(rest)})", "other", settings))
    if len(undetermined) and int(undetermined["issued"].sum()):
        extra.append(_sum_row(undetermined, NOT_DETERMINED, "not_determined", settings))
    everything = jurisdictions
    extra.append(_sum_row(everything, "Total", "total", settings))
    table = pd.concat([top, pd.DataFrame(extra)], ignore_index=True)
    table[count_columns] = table[count_columns].astype(int)
    return table


def _sum_row(rows: pd.DataFrame, label: str, row_type: str, settings: Settings) -> dict:
    issued, pending = int(rows["issued"].sum()), int(rows["pending"].sum())
    declined = int(rows["issued_declined"].sum())
    return {"fips": "", "name": label, "state": "", "population": None, "issued": issued,
            "honored": int(rows["honored"].sum()), "issued_declined": declined, "pending": pending,
            "other": int(rows["other"].sum()), "decline_rate": decline_rate(declined, issued - pending,
                                                                             settings.min_rate_base),
            "issued_per_100k": None, "declined": int(rows["declined"].sum()), "policy_on_file": False,
            "row_type": row_type}


def declines_by_jurisdiction(declines: pd.DataFrame, week: Week, counties: Counties) -> pd.DataFrame:
    key = _jurisdiction_key(declines)
    by_criminality = count_by(key, declines["criminality"], CRIMINALITY_COLUMNS).rename(columns=CRIMINALITY_COLUMNS)
    before = (declines["date_issued"] < pd.Timestamp(week.start)).groupby(key.to_numpy(dtype=object)).sum()
    keys = list(by_criminality.index)
    places = _county_fields(keys, counties)
    columns = ["fips", "name", "state", "declined", "issued_before_week", *CRIMINALITY_COLUMNS.values()]
    table = pd.DataFrame({
        "fips": keys, "name": places["name"].to_numpy(), "state": places["state"].to_numpy(),
        "declined": key.value_counts().reindex(keys, fill_value=0).astype(int).to_numpy(),
        "issued_before_week": before.reindex(keys, fill_value=0).astype(int).to_numpy(),
        **{c: by_criminality[c].to_numpy() for c in CRIMINALITY_COLUMNS.values()}}, columns=columns)
    table = table.sort_values(["declined", "state", "name"], ascending=[False, True, True], ignore_index=True)
    total = {"fips": "", "name": "Total", "state": "", **{c: int(table[c].sum()) for c in columns[3:]}}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def _county_label(frame: pd.DataFrame, fips_column: str, counties: Counties) -> pd.Series:
    return frame[fips_column].map(lambda f: counties.by_fips[f].name if isinstance(f, str) and f else NOT_DETERMINED)


def declines_detail(declines: pd.DataFrame, week: Week, counties: Counties) -> pd.DataFrame:
    """One line per declined detainer recorded this week. No IDs, names or birth dates."""
    detail = pd.DataFrame({
        "state": declines["state"],
        "county": _county_label(declines, "county_fips", counties),
        "county_fips": declines["county_fips"].fillna(""),
        "jurisdiction_source": declines["jurisdiction_source"],
        "facility": declines["facility"],
        "citizenship": declines["citizenship"],
        "date_issued": declines["date_issued"].dt.date,
        "date_declined": declines["outcome_date"].dt.date,
        "issued_before_week": declines["date_issued"] < pd.Timestamp(week.start),
        "criminality": declines["criminality"],
        "most_serious_conviction": declines["most_serious_conviction"].fillna(""),
        "date_declined_source": declines["outcome_date_source"],
    })
    return detail.sort_values(["state", "county", "date_declined", "facility"], ignore_index=True)


def issued_detail(issued: pd.DataFrame, counties: Counties) -> pd.DataFrame:
    detail = pd.DataFrame({
        "state": issued["state"],
        "county": _county_label(issued, "county_fips", counties),
        "county_fips": issued["county_fips"].fillna(""),
        "jurisdiction_source": issued["jurisdiction_source"],
        "facility": issued["facility"],
        "date_issued": issued["date_issued"].dt.date,
        "outcome": issued["outcome"],
        "outcome_detail": issued["outcome_detail"].fillna(""),
        "outcome_date": issued["outcome_date"].dt.date,
        "criminality": issued["criminality"],
    })
    return detail.sort_values(["state", "county", "date_issued", "facility"], ignore_index=True)


def charge_frames(charges: pd.DataFrame, week: Week) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(subsequent charges this week, subsequent charges up to the week's end, non-subsequent up to the end)."""
    up_to_end = (charges["arrest_date"] <= pd.Timestamp(week.end)).fillna(False)
    subsequent = charges["subsequent"].astype(bool)
    return (charges[subsequent & in_week(charges["arrest_date"], week)],
            charges[subsequent & up_to_end], charges[~subsequent & up_to_end])


def _median_days(days: pd.Series) -> float | None:
    return float(days.median()) if len(days) else None


def charges_by_jurisdiction(week_charges, cumulative, counties: Counties) -> pd.DataFrame:
    cum_key = _jurisdiction_key(cumulative, "declined_county_fips").to_numpy(dtype=object)
    week_key = _jurisdiction_key(week_charges, "declined_county_fips")
    keys = sorted(set(cum_key))
    status = count_by(week_key, week_charges["status"], CHARGE_STATUSES).reindex(keys, fill_value=0)
    days = (cumulative["arrest_date"] - cumulative["declined_date"]).dt.days
    people_week = week_charges["subject_id"].groupby(week_key.to_numpy(dtype=object)).nunique()
    people_cum = cumulative["subject_id"].groupby(cum_key).nunique()
    medians = days.groupby(cum_key).median()
    places = _county_fields(keys, counties)
    columns = ["fips", "name", "state", "people_week", "charges_week", *[f"{s}_week" for s in CHARGE_STATUSES],
               "people_cumulative", "charges_cumulative", "median_days_to_arrest"]
    table = pd.DataFrame({
        "fips": keys, "name": places["name"].to_numpy(), "state": places["state"].to_numpy(),
        "people_week": people_week.reindex(keys, fill_value=0).astype(int).to_numpy(),
        "charges_week": week_key.value_counts().reindex(keys, fill_value=0).astype(int).to_numpy(),
        **{f"{s}_week": status[s].to_numpy() for s in CHARGE_STATUSES},
        "people_cumulative": people_cum.reindex(keys, fill_value=0).astype(int).to_numpy(),
        "charges_cumulative": pd.Series(cum_key).value_counts().reindex(keys, fill_value=0).astype(int).to_numpy(),
        "median_days_to_arrest": [None if pd.isna(m) else float(m) for m in medians.reindex(keys)],
    }, columns=columns)
    table = table.sort_values(["charges_week", "charges_cumulative", "name"], ascending=[False, False, True],
                              ignore_index=True)
    total = {"fips": "", "name": "Total", "state": "",
             "people_week": int(week_charges["subject_id"].nunique()), "charges_week": len(week_charges),
             **{f"{s}_week": int((week_charges["status"] == s).sum()) for s in CHARGE_STATUSES},
             "people_cumulative": int(cumulative["subject_id"].nunique()), "charges_cumulative": len(cumulative),
             "median_days_to_arrest": _median_days(days)}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def charges_by_category(week_charges, cumulative) -> pd.DataFrame:
    cum_category = cumulative["charge_category"].fillna("Not categorised")
    week_category = week_charges["charge_category"].fillna("Not categorised")
    categories = sorted(set(cum_category))
    week = count_by(week_category, week_charges["status"], CHARGE_STATUSES).reindex(categories, fill_value=0)
    cum = count_by(cum_category, cumulative["status"], CHARGE_STATUSES).reindex(categories, fill_value=0)
    columns = ["category", "charges_week", *[f"{s}_week" for s in CHARGE_STATUSES], "charges_cumulative",
               *[f"{s}_cumulative" for s in CHARGE_STATUSES]]
    table = pd.DataFrame({
        "category": categories,
        "charges_week": week_category.value_counts().reindex(categories, fill_value=0).astype(int).to_numpy(),
        **{f"{s}_week": week[s].to_numpy() for s in CHARGE_STATUSES},
        "charges_cumulative": cum_category.value_counts().reindex(categories, fill_value=0).astype(int).to_numpy(),
        **{f"{s}_cumulative": cum[s].to_numpy() for s in CHARGE_STATUSES}}, columns=columns)
    total = {"category": "Total", **{c: int(table[c].sum()) for c in columns[1:]}}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def charges_detail(cumulative: pd.DataFrame, week: Week, counties: Counties) -> pd.DataFrame:
    """Rows behind the charges tables. No subject or detainer IDs."""
    detail = pd.DataFrame({
        "declining_state": cumulative["declined_state"],
        "declining_county": _county_label(cumulative, "declined_county_fips", counties),
        "declining_county_fips": cumulative["declined_county_fips"].fillna(""),
        "date_declined": cumulative["declined_date"].dt.date,
        "arrest_date": cumulative["arrest_date"].dt.date,
        "in_report_week": in_week(cumulative["arrest_date"], week),
        "days_from_decline_to_arrest": (cumulative["arrest_date"] - cumulative["declined_date"]).dt.days,
        "charge": cumulative["charge"],
        "charge_category": cumulative["charge_category"].fillna("Not categorised"),
        "status": cumulative["status"],
        "arresting_agency": cumulative["arresting_agency"].fillna(""),
    })
    return detail.sort_values(["declining_state", "declining_county", "arrest_date", "charge"], ignore_index=True)


def policies_table(policies: pd.DataFrame, week: Week) -> pd.DataFrame:
    """Policies enacted by the end of the week (a month- or year-precise date: from its first day), newest
    first. Dates are ISO at the precision written (2017-02-03, 2017-02, 2017): never an invented day."""
    on_file = policies[(policies["date_enacted"] <= pd.Timestamp(week.end)).fillna(False)]
    on_file = on_file.sort_values(["date_enacted", "jurisdiction"], ascending=[False, True], kind="stable")
    table = pd.DataFrame({
        "jurisdiction": on_file["jurisdiction"], "state": on_file["state"],
        "county_fips": on_file["county_fips"].fillna(""), "aor": on_file["aor"].fillna(""),
        "date_enacted": _partial_dates(on_file, "date_enacted"), "policy": on_file["policy"],
        "criteria": on_file["criteria"], "source": on_file["source"].fillna(""),
        "as_of": _partial_dates(on_file, "as_of"),
    })
    return table.reset_index(drop=True)


def _partial_dates(frame: pd.DataFrame, column: str) -> pd.Series:
    precisions = frame.get(f"{column}_precision", pd.Series(DAY, index=frame.index, dtype=object))
    return pd.Series([None if pd.isna(day) else format_partial_date(day.date(), p if isinstance(p, str) else DAY)
                      for day, p in zip(frame[column], precisions)], index=frame.index, dtype=object)


def trend_table(detainers: pd.DataFrame, week: Week, weeks: int) -> pd.DataFrame:
    """Per week of the last ``weeks``: detainers issued, and declined and honored as recorded (by outcome date).
    Each date is placed in its week once (the week's index back from this one)."""
    first = week.previous(weeks - 1)

    def weeks_back(dates: pd.Series) -> pd.Series:
        days = (dates - pd.Timestamp(first.start)).dt.days
        index = days // 7
        return index.where((days >= 0) & (index < weeks))

    issued = weeks_back(detainers["date_issued"]).value_counts()
    decided = weeks_back(detainers["outcome_date"])
    declined = decided[detainers["outcome"] == "declined"].value_counts()
    honored = decided[detainers["outcome"] == "honored"].value_counts()
    rows = []
    for i in range(weeks):
        w = week.previous(weeks - 1 - i)
        rows.append({"week_start": w.start, "week_end": w.end, "issued": int(issued.get(float(i), 0)),
                     "declined": int(declined.get(float(i), 0)), "honored": int(honored.get(float(i), 0))})
    return pd.DataFrame(rows)


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
    "none": "not determined",
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


def build_report(dataset: Dataset, week: Week, settings: Settings, counties: Counties, *, sample: bool,
                 published: dt.date, revision: int = 1) -> Report:
    detainers = dataset.used("detainers")
    charges = dataset.used("charges")
    policies_all = dataset.used("policies")
    issued = detainers[in_week(detainers["date_issued"], week)]
    declines = detainers[(detainers["outcome"] == "declined") & in_week(detainers["outcome_date"], week)]
    week_charges, cumulative, not_subsequent = charge_frames(charges, week)
    policies = policies_table(policies_all, week)
    policies_in_force = policies_all[(policies_all["date_enacted"] <= pd.Timestamp(week.end)).fillna(False)]
    jurisdictions = jurisdiction_table(issued, declines, week_charges, policies_in_force, counties, settings)
    issued_outcomes = outcome_counts(issued)
    decline_states = sorted(set(declines["state"].dropna()))
    summary = {
        "issued": len(issued),
        "issued_outcomes": issued_outcomes,
        "issued_jurisdictions": int(issued["county_fips"].dropna().nunique()),
        "issued_not_determined": int(issued["county_fips"].isna().sum()),
        "issued_states": int(issued["state"].dropna().nunique()),
        "declined": len(declines),
        "declined_issued_before_period": int((declines["date_issued"] < pd.Timestamp(week.start)).sum()),
        "declined_jurisdictions": int(declines["county_fips"].dropna().nunique()),
        "declined_not_determined": int(declines["county_fips"].isna().sum()),
        "declined_states": len(decline_states),
        "subsequent_charges": len(week_charges),
        "subsequent_charges_people": int(week_charges["subject_id"].nunique()),
        "subsequent_charges_by_status": {s: int((week_charges["status"] == s).sum()) for s in CHARGE_STATUSES},
        "subsequent_charges_cumulative": len(cumulative),
        "charges_data": bool(len(dataset.charges)),  # were any charges rows provided at all?
        "charges_not_subsequent": len(not_subsequent),
        "issued_attribution": method_counts(issued),
        "declined_attribution": method_counts(declines),
        "charges_cohort": headlines.charges_cohort(detainers, cumulative, week),
    }
    caveats = computed_caveats(issued, declines, week_charges, not_subsequent, week, dataset, policies_all,
                               counties, settings.min_cell)
    corrections, responses = corrections_and_responses(dataset, jurisdictions, published)
    trend = trend_table(detainers, week, settings.trend_weeks)
    trend = trend.assign(caveat=headlines.trend_caveats(detainers, policies_all, trend, counties))
    report = suppress_report(Report(
        week=week, published=published, sample=sample, revision=revision, settings=settings, summary=summary,
        corrections=corrections, responses=responses,
        jurisdictions=jurisdictions, issued_table=issued_table(jurisdictions, settings),
        declines_by_jurisdiction=declines_by_jurisdiction(declines, week, counties),
        declines_detail=row_level(declines_detail(declines, week, counties), settings),
        issued_detail=row_level(issued_detail(issued, counties), settings),
        charges_by_jurisdiction=charges_by_jurisdiction(week_charges, cumulative, counties),
        charges_by_category=charges_by_category(week_charges, cumulative),
        charges_detail=row_level(charges_detail(cumulative, week, counties), settings), policies=policies,
        trend=trend, caveats=caveats, data_notes=dataset.public_notes(), data_received=week_has_data(dataset, week),
        data_currency=headlines.data_currency(detainers, week, published, settings.week_start_index)))
    # from the trend as published, so that a withheld week withholds what it would give away
    return dataclasses.replace(report, summary={**report.summary,
                                                "week_over_week": headlines.week_over_week(report.trend)})


CORRECTION_LOG_COLUMNS = ["date", "jurisdiction", "facility", "field", "what_was_wrong", "correct_value", "note",
                          "detainers_changed"]


def corrections_and_responses(dataset: Dataset, jurisdictions: pd.DataFrame, published: dt.date):
    """The public corrections log (every correction recorded by the publication date) and the responses
    of the jurisdictions this edition prints, newest first. No detainer or subject IDs."""
    log = getattr(dataset, "corrections", None)
    if log is None or not len(log):
        log = pd.DataFrame(columns=CORRECTION_LOG_COLUMNS)
    else:
        log = log[(log["date"] <= pd.Timestamp(published)).fillna(True)]
        log = log.sort_values("date", ascending=False, kind="stable")[CORRECTION_LOG_COLUMNS].reset_index(drop=True)
        log["date"] = log["date"].dt.date
    responses = getattr(dataset, "responses", None)
    columns = ["date", "jurisdiction", "county_fips", "state", "note"]
    if responses is None or not len(responses):
        responses = pd.DataFrame(columns=columns)
    else:
        shown = set(jurisdictions["fips"])
        responses = responses[responses["county_fips"].isin(shown) & (responses["date"] <= pd.Timestamp(published))]
        responses = responses.sort_values("date", ascending=False, kind="stable")[columns].reset_index(drop=True)
        responses["date"] = responses["date"].dt.date
    return log, responses


def report_json(report: Report) -> dict:
    """The machine-readable companion: every figure the report prints (README documents it)."""
    def num(value):
        return None if value is None or value != value else value

    def count(value):  # a count, or "[c]" where it is withheld (settings.min_cell)
        return value if isinstance(value, str) else int(value)

    jurisdictions = []
    for r in report.jurisdictions.itertuples(index=False):
        jurisdictions.append({
            "fips": r.fips or None, "name": r.name, "state": r.state or None, "population": num(r.population),
            "issued": count(r.issued),
            "issued_outcomes": {"honored": count(r.honored), "declined": count(r.issued_declined),
                                "pending": count(r.pending), "other": count(r.other)},
            "decline_rate_percent": num(r.decline_rate), "issued_per_100k": num(r.issued_per_100k),
            "resolved": _resolved(r.issued, r.pending),
            "declined": count(r.declined), "policy_on_file": bool(r.policy_on_file),
        })
    s = dict(report.summary)
    if not s["charges_data"]:  # not reported is not zero
        for key in ("subsequent_charges", "subsequent_charges_people", "subsequent_charges_by_status",
                    "subsequent_charges_cumulative", "charges_not_subsequent", "charges_cohort"):
            s[key] = None
    return {
        "title": report.settings.title,
        "agency": report.settings.agency,
        "period": {"start": report.week.start.isoformat(), "end": report.week.end.isoformat()},
        "published": report.published.isoformat(),
        "revision": report.revision,
        "sample": report.sample,
        "data_received": report.data_received,
        "totals": {
            "issued": s["issued"], "issued_outcomes": s["issued_outcomes"],
            "issued_jurisdictions": s["issued_jurisdictions"], "issued_states": s["issued_states"],
            "issued_not_determined": s["issued_not_determined"], "charges_data": s["charges_data"],
            "declined": s["declined"], "declined_issued_before_period": s["declined_issued_before_period"],
            "declined_jurisdictions": s["declined_jurisdictions"], "declined_states": s["declined_states"],
            "declined_not_determined": s["declined_not_determined"],
            "subsequent_charges": s["subsequent_charges"],
            "subsequent_charges_people": s["subsequent_charges_people"],
            "subsequent_charges_by_status": s["subsequent_charges_by_status"],
            "subsequent_charges_cumulative": s["subsequent_charges_cumulative"],
            "charges_not_subsequent": s["charges_not_subsequent"],
            "issued_attribution": s["issued_attribution"], "declined_attribution": s["declined_attribution"],
            "subsequent_charges_cohort": s["charges_cohort"], "week_over_week": s["week_over_week"],
        },
        "latest_week_with_data": report.data_currency["latest_week_with_data"],
        "weeks_without_data_since": report.data_currency["weeks_without_data_since"],
        "jurisdictions": jurisdictions,
        "declines_by_jurisdiction": _records(report.declines_by_jurisdiction),
        "subsequent_charges_by_jurisdiction": _records(report.charges_by_jurisdiction),
        "subsequent_charges_by_category": _records(report.charges_by_category),
        "policies": _records(report.policies),
        "trend": _records(report.trend),
        "caveats": report.caveats,
        "first_published": (report.first_published or report.published).isoformat(),
        "earlier_revisions": report.earlier_revisions,
        "revision_changes": report.revision_changes,
        "revision_reasons": report.revision_reasons,
        "revision_downloads": report.revision_downloads,
        "corrections": _records(report.corrections) if report.corrections is not None else [],
        "responses": _records(report.responses) if report.responses is not None else [],
    }


def _resolved(issued, pending):
    """The decline rate's denominator (issued − pending), withheld where either count is."""
    return WITHHELD if isinstance(issued, str) or isinstance(pending, str) else int(issued) - int(pending)


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for row in frame.to_dict(orient="records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, (dt.date, pd.Timestamp)):
                value = value.isoformat() if not isinstance(value, pd.Timestamp) else value.date().isoformat()
            elif value is None or (isinstance(value, float) and value != value):
                value = None
            elif hasattr(value, "item"):
                value = value.item()
            clean[key] = value
        if "fips" in clean and clean["fips"] == "":
            clean["fips"] = None
        out.append(clean)
    return out
