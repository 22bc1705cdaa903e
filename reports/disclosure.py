"""Disclosure control: what the public may see of each table, by the policy in the settings.

- Row-level tables (one row per detainer or charge: the downloads and the list of declines) give each date
  as its week (``row_level_dates = "week"``), and a citizenship seen fewer than
  ``top_code_citizenship_below`` times in the table as "Other", so a row cannot be matched to a person by
  the day of an event or a rare nationality.
- ``min_cell`` (off by default: the DDOR published exact counts) withholds small counts: see
  ``suppress_report``.

- ``top_code``: in row-level downloads, a citizenship seen fewer than k times in the week becomes "Other",
  so a rare nationality cannot single a person out.
- ``week_only``: row-level downloads carry the week (its last day) instead of exact dates. Flags computed
  from the exact dates (``issued_before_week``, ``in_report_week``) must be computed before and are kept;
  because weeks are aligned, "week ending before the report week" is the same as "date before it".

Small-cell suppression, and the proof that withheld counts cannot be worked out from the totals, are in
``suppression``; this module applies it to the report's tables.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

import pandas as pd

from .settings import Settings
from .suppression import SUPPRESSED, suppress
from .vocabulary import CHARGE_STATUSES

NOT_TOP_CODED = ("unknown",)


# --- row-level tables -----------------------------------------------------------------------------------------

def top_code(series: pd.Series, k: int, other: str = "Other", keep: Iterable[str] = ()) -> pd.Series:
    """A new series where every value seen fewer than ``k`` times in ``series`` is ``other``.

    Missing values (None, NaN) are not a value: they are not counted and stay missing. Values in ``keep``
    (e.g. "unknown") are never replaced. With ``k`` of 1 or less nothing changes. Values are compared exactly
    (case and spacing matter; the validated citizenship names are already canonical)."""
    out = series.astype(object).copy()
    if k <= 1:
        return out
    counts = series.dropna().value_counts()
    rare = set(counts[counts < k].index) - set(keep)
    return out.where(~series.isin(rare).to_numpy(), other)


ROW_LEVEL_DATE_COLUMNS = {
    # column of tables.declines_detail / issued_detail / charges_detail → its week-only name
    "date_issued": "week_issued",
    "date_declined": "week_declined",
    "outcome_date": "outcome_week",
    "arrest_date": "arrest_week",
}


def week_ending(dates: pd.Series, week_start: int) -> pd.Series:
    """Each date replaced by the last day of the reporting week that contains it (``period.week_containing``;
    ``week_start``: 0 = Monday … 5 = Saturday), as ``datetime.date``; missing dates stay missing (NaT).
    Accepts dates, datetimes or ISO strings."""
    stamps = pd.to_datetime(pd.Series(dates, copy=True), format="ISO8601").dt.normalize()
    days_to_end = (week_start + 6 - stamps.dt.day_of_week) % 7
    return (stamps + pd.to_timedelta(days_to_end, unit="D")).dt.date


def week_only(frame: pd.DataFrame, week_start: int,
              columns: Mapping[str, str] = ROW_LEVEL_DATE_COLUMNS) -> pd.DataFrame:
    """A copy of a row-level table whose exact-date columns hold the week instead: each column named in
    ``columns`` (old name → new name) that the frame has becomes the last day of its week, renamed, in the
    same position. Every other column is unchanged, so flags computed from the exact dates survive."""
    out = frame.copy()
    present = {old: new for old, new in columns.items() if old in out.columns}
    for old in present:
        out[old] = week_ending(out[old], week_start)
    return out.rename(columns=present)


def row_level(frame: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """A row-level table as the public may see it (a new frame)."""
    out = frame
    if settings.row_level_dates == "week":
        out = week_only(out, settings.week_start_index)
    if "citizenship" in out.columns and settings.top_code_citizenship_below > 1:
        out = out.assign(citizenship=top_code(out["citizenship"], settings.top_code_citizenship_below,
                                              keep=NOT_TOP_CODED))
    return out


# --- small counts ---------------------------------------------------------------------------------------------

WITHHELD = SUPPRESSED
OUTCOME_COLUMNS = ["honored", "issued_declined", "pending", "other"]
CRIMINALITY = ["convicted", "pending_charges", "no_record", "criminality_unknown"]
ROW_LEVEL_DOWNLOADS = ("detainers-issued.csv", "declines.csv", "subsequent-charges.csv")


def suppress_report(report):
    """The report as published under ``min_cell``: a new Report whose counts 1..min_cell-1, and the further
    counts that would give them away, read "[c]". Each table is protected with its totals
    (``suppression.suppress``); a figure printed in two tables is withheld in both; a rate or median computed from a
    withheld count is withheld too; rows of "all other jurisdictions" are withheld where any of their members
    is. Row-level tables are not published at all (anyone could count them), and caveats that print a small or
    local count are left out (``caveats.computed_caveats``)."""
    min_cell = report.settings.min_cell
    if min_cell < 2:
        return report
    s = report.summary
    # Table 2 and jurisdictions.csv: outcomes of the week's detainers, by jurisdiction, with the national total
    jurisdictions = report.jurisdictions.set_index(report.jurisdictions["name"] + "|" + report.jurisdictions["fips"])
    national = pd.DataFrame([{"issued": s["issued"], **{c: s["issued_outcomes"][c.replace("issued_", "")]
                                                        for c in OUTCOME_COLUMNS}}], index=["Total|"])
    outcomes = suppress(pd.concat([jurisdictions[["issued", *OUTCOME_COLUMNS]], national]), OUTCOME_COLUMNS,
                        min_cell, total_row="Total|", total_column="issued")
    # Table 3a: declines recorded this week by criminality; its totals are Table 2's "declines recorded"
    declines = report.declines_by_jurisdiction
    declines = declines.set_index(declines["name"] + "|" + declines["fips"])
    by_criminality = suppress(declines, CRIMINALITY, min_cell, total_row="Total|", total_column="declined")
    before = suppress(declines[["issued_before_week"]], ["issued_before_week"], min_cell, total_row="Total|")
    recorded = by_criminality.mask["declined"]

    masked_j = outcomes.mask.reindex(jurisdictions.index).fillna(False).astype(bool)
    masked_j["declined"] = recorded.reindex(jurisdictions.index).fillna(False).astype(bool)
    masked_j["decline_rate"] = masked_j[["issued", *OUTCOME_COLUMNS]].any(axis=1)
    masked_j["issued_per_100k"] = masked_j["issued"]
    jurisdictions_out = _withhold(report.jurisdictions, masked_j.set_axis(report.jurisdictions.index))

    issued_out = _issued_table(report, masked_j, outcomes.mask.loc["Total|"], recorded.get("Total|", False))
    declines_mask = by_criminality.mask.copy()
    declines_mask["issued_before_week"] = before.mask["issued_before_week"]
    declines_out = _withhold(report.declines_by_jurisdiction, declines_mask.set_axis(report.declines_by_jurisdiction.index))

    charges_out = _charges_by_jurisdiction(report.charges_by_jurisdiction, min_cell)
    categories_out = _charges_by_category(report.charges_by_category, min_cell)
    summary = _summary(s, outcomes.mask.loc["Total|"], recorded.get("Total|", False),
                       before.mask.loc["Total|", "issued_before_week"], charges_out, min_cell)
    trend = _trend(report.trend, summary, min_cell)
    return dataclasses.replace(
        report, summary=summary, jurisdictions=jurisdictions_out, issued_table=issued_out,
        declines_by_jurisdiction=declines_out, charges_by_jurisdiction=charges_out, charges_by_category=categories_out,
        trend=trend, declines_detail=report.declines_detail.iloc[0:0], issued_detail=report.issued_detail.iloc[0:0],
        charges_detail=report.charges_detail.iloc[0:0])


def _withhold(frame: pd.DataFrame, mask: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with "[c]" where ``mask`` (same index; any subset of columns) is True."""
    out = frame.copy()
    for column in mask.columns:
        if column in out.columns and mask[column].any():
            out[column] = out[column].astype(object).where(~mask[column].to_numpy(), WITHHELD)
    return out


def _issued_table(report, masked_j: pd.DataFrame, national_mask: pd.Series, national_recorded: bool) -> pd.DataFrame:
    table = report.issued_table
    keyed = report.jurisdictions["name"] + "|" + report.jurisdictions["fips"]
    top = set(keyed[report.jurisdictions["fips"].isin(table.loc[table["row_type"] == "jurisdiction", "fips"])])
    rows = []
    for _, row in table.iterrows():
        key = f"{row['name']}|{row['fips']}"
        if row["row_type"] in ("jurisdiction", "not_determined"):
            rows.append(masked_j.loc[key] if key in masked_j.index else pd.Series(False, index=masked_j.columns))
        elif row["row_type"] == "other":  # a sum of members: withheld where any member's figure is
            members = masked_j.loc[[k for k in masked_j.index if k not in top and not k.endswith("|")]]
            rows.append(members.any(axis=0))
        else:  # the total: the national figures
            total = pd.Series(False, index=masked_j.columns)
            for column in ("issued", *OUTCOME_COLUMNS):
                total[column] = bool(national_mask[column])
            total["declined"] = bool(national_recorded)
            total["decline_rate"] = bool(total[["issued", *OUTCOME_COLUMNS]].any())
            rows.append(total)
    return _withhold(table, pd.DataFrame(rows, index=table.index).astype(bool))


def _charges_by_jurisdiction(table: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    keyed = table.set_axis(table["name"] + "|" + table["fips"])
    week = suppress(keyed, [f"{s}_week" for s in CHARGE_STATUSES], min_cell, total_row="Total|",
                    total_column="charges_week")
    cumulative = suppress(keyed[["charges_cumulative"]], ["charges_cumulative"], min_cell, total_row="Total|")
    mask = week.mask.copy()
    mask["charges_cumulative"] = cumulative.mask["charges_cumulative"]
    mask["median_days_to_arrest"] = mask["charges_cumulative"]
    for people in ("people_week", "people_cumulative"):  # distinct people: not additive, withheld when small
        mask[people] = keyed[people].between(1, min_cell - 1) | mask[people.replace("people", "charges")]
    return _withhold(table, mask.set_axis(table.index))


def _charges_by_category(table: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    keyed = table.set_axis(table["category"])
    mask = pd.DataFrame(False, index=keyed.index, columns=keyed.columns)
    for when in ("week", "cumulative"):
        part = suppress(keyed, [f"{s}_{when}" for s in CHARGE_STATUSES], min_cell, total_row="Total",
                        total_column=f"charges_{when}")
        mask |= part.mask
    return _withhold(table, mask.set_axis(table.index))


def _summary(summary: dict, national: pd.Series, recorded: bool, before: bool, charges: pd.DataFrame,
             min_cell: int) -> dict:
    out = dict(summary)
    out["issued"] = WITHHELD if national["issued"] else summary["issued"]
    out["issued_outcomes"] = {k: WITHHELD if national[f"issued_{k}" if k == "declined" else k] else v
                              for k, v in summary["issued_outcomes"].items()}
    out["declined"] = WITHHELD if recorded else summary["declined"]
    out["declined_issued_before_period"] = WITHHELD if before else summary["declined_issued_before_period"]
    total = charges[charges["name"] == "Total"].iloc[0]
    out["subsequent_charges"] = total["charges_week"]
    out["subsequent_charges_people"] = total["people_week"]
    out["subsequent_charges_cumulative"] = total["charges_cumulative"]
    out["subsequent_charges_by_status"] = {k: total[f"{k}_week"] for k in summary["subsequent_charges_by_status"]}
    for key in ("issued_not_determined", "declined_not_determined", "charges_not_subsequent"):
        if 1 <= (summary.get(key) or 0) < min_cell:
            out[key] = WITHHELD
    cohort = summary.get("charges_cohort")
    if cohort and any(1 <= (cohort[k] or 0) < min_cell for k in ("people", "people_charged")):
        out["charges_cohort"] = {**cohort, **{k: WITHHELD for k in ("people", "people_charged")
                                              if 1 <= (cohort[k] or 0) < min_cell}, "people_charged_percent": None}
    for key in ("issued_attribution", "declined_attribution"):  # by method: small ones would give cells away
        out[key] = {m: WITHHELD if 1 <= n < min_cell else n for m, n in summary[key].items()}
    return out


def _trend(trend: pd.DataFrame, summary: dict, min_cell: int) -> pd.DataFrame:
    """Each week's national counts: small ones withheld; this week's row follows the summary."""
    mask = pd.DataFrame({c: trend[c].between(1, min_cell - 1) for c in ("issued", "declined", "honored")},
                        index=trend.index)
    last = trend.index[-1]
    mask.loc[last, "issued"] |= summary["issued"] == WITHHELD
    mask.loc[last, "declined"] |= summary["declined"] == WITHHELD
    return _withhold(trend, mask)
