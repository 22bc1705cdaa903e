"""Stage 4: every figure the report prints, as pure functions from frames to frames.

Counting rules (README, "How the figures are counted"):
- issued in the week: Date Issued in the week; their outcomes so far always add up to the issued count;
- declines recorded in the week: Outcome declined and Outcome Date in the week, whatever the issue date;
- a subsequent charge: Arrest Date on a later day than the decline of the detainer it follows.

Here: the jurisdiction, declines, policies and trend tables, and ``build_report``, which assembles a week's
``Report``. The charges tables are ``charge_tables``, the caveats ``caveats``, the shared counting helpers
``counting``; ``jsondoc`` turns a Report into report.json.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from . import headlines
from .attribution import method_counts
from .caveats import computed_caveats
from .charge_tables import charge_frames, charges_by_category, charges_by_jurisdiction, charges_detail
from .counting import (MIN_RATE_DECIMALS, NOT_DETERMINED_ROW, count_by, county_fields, county_label, decline_rate,
                       in_week, jurisdiction_key, outcome_counts, with_total_row)
from .disclosure import row_level, suppress_report
from .parsers import DAY, format_partial_date
from .period import Week
from .load import Dataset
from .reference import Counties
from .rounding import ratio_half_up
from .settings import Settings
from .frames import PUBLIC_CORRECTION_LOG_COLUMNS, PUBLIC_RESPONSE_COLUMNS
from .vocabulary import CHARGE_STATUSES, OUTCOMES

CRIMINALITY_COLUMNS = {"convicted": "convicted", "pending charges": "pending_charges", "none": "no_record",
                       "unknown": "criminality_unknown"}


@dataclass
class Report:
    week: Week
    published: dt.date
    sample: bool
    revision_number: int  # 1 for a week's first edition (report.json "revision")
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
    # set by the publisher when this edition revises an earlier one (see changed_figures.py)
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


def week_has_data(dataset: Dataset, week: Week) -> bool:
    """Was any detainer data received for this week: a detainer issued, or an outcome recorded, in it?"""
    detainers = dataset.used("detainers")
    return bool(in_week(detainers["date_issued"], week).any() or in_week(detainers["outcome_date"], week).any())


def jurisdiction_table(issued: pd.DataFrame, declines: pd.DataFrame, charges_week: pd.DataFrame,
                       policies: pd.DataFrame, counties: Counties, settings: Settings) -> pd.DataFrame:
    """One row per jurisdiction with any figure this week, and always the undetermined row (fips '', zeros
    when none), so that report.json consumers never have to handle its absence. Each frame is grouped once."""
    issued_key = jurisdiction_key(issued)
    outcomes = count_by(issued_key, issued["outcome"], OUTCOMES)
    recorded = jurisdiction_key(declines).value_counts()
    keys = sorted(set(outcomes.index) | set(recorded.index)
                  | set(jurisdiction_key(charges_week, "declined_county_fips")) | {""})
    outcomes = outcomes.reindex(keys, fill_value=0)
    policy_fips = set(policies["county_fips"].dropna())
    places = county_fields(keys, counties)
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
        extra.append(_sum_row(undetermined, NOT_DETERMINED_ROW, "not_determined", settings))
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
    key = jurisdiction_key(declines)
    by_criminality = count_by(key, declines["criminality"], CRIMINALITY_COLUMNS).rename(columns=CRIMINALITY_COLUMNS)
    before = (declines["date_issued"] < pd.Timestamp(week.start)).groupby(key.to_numpy(dtype=object)).sum()
    keys = list(by_criminality.index)
    places = county_fields(keys, counties)
    columns = ["fips", "name", "state", "declined", "issued_before_week", *CRIMINALITY_COLUMNS.values()]
    table = pd.DataFrame({
        "fips": keys, "name": places["name"].to_numpy(), "state": places["state"].to_numpy(),
        "declined": key.value_counts().reindex(keys, fill_value=0).astype(int).to_numpy(),
        "issued_before_week": before.reindex(keys, fill_value=0).astype(int).to_numpy(),
        **{c: by_criminality[c].to_numpy() for c in CRIMINALITY_COLUMNS.values()}}, columns=columns)
    table = table.sort_values(["declined", "state", "name"], ascending=[False, True, True], ignore_index=True)
    return with_total_row(table, {"fips": "", "name": "Total", "state": ""}, columns[3:])


def declines_detail(declines: pd.DataFrame, week: Week, counties: Counties) -> pd.DataFrame:
    """One line per declined detainer recorded this week. No IDs, names or birth dates."""
    detail = pd.DataFrame({
        "state": declines["state"],
        "county": county_label(declines, "county_fips", counties),
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
        "county": county_label(issued, "county_fips", counties),
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


def build_report(dataset: Dataset, week: Week, settings: Settings, counties: Counties, *, sample: bool,
                 published: dt.date, revision_number: int = 1) -> Report:
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
        week=week, published=published, sample=sample, revision_number=revision_number, settings=settings, summary=summary,
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


def corrections_and_responses(dataset: Dataset, jurisdictions: pd.DataFrame, published: dt.date):
    """The public corrections log (every correction recorded by the publication date) and the responses
    of the jurisdictions this edition prints, newest first. No detainer or subject IDs."""
    log = getattr(dataset, "corrections", None)
    if log is None or not len(log):
        log = pd.DataFrame(columns=list(PUBLIC_CORRECTION_LOG_COLUMNS))
    else:
        log = log[(log["date"] <= pd.Timestamp(published)).fillna(True)]
        log = log.sort_values("date", ascending=False, kind="stable")[list(PUBLIC_CORRECTION_LOG_COLUMNS)]
        log = log.reset_index(drop=True)
        log["date"] = log["date"].dt.date
    responses = getattr(dataset, "responses", None)
    columns = list(PUBLIC_RESPONSE_COLUMNS)
    if responses is None or not len(responses):
        responses = pd.DataFrame(columns=columns)
    else:
        shown = set(jurisdictions["fips"])
        responses = responses[responses["county_fips"].isin(shown) & (responses["date"] <= pd.Timestamp(published))]
        responses = responses.sort_values("date", ascending=False, kind="stable")[columns].reset_index(drop=True)
        responses["date"] = responses["date"].dt.date
    return log, responses
