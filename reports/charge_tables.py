"""The subsequent-charges tables (4a, 4b) and the rows behind them."""
from __future__ import annotations

import pandas as pd

from .counting import count_by, county_fields, county_label, in_week, jurisdiction_key, with_total_row
from .period import Week
from .reference import Counties
from .vocabulary import CHARGE_STATUSES


def charge_frames(charges: pd.DataFrame, week: Week) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(subsequent charges this week, subsequent charges up to the week's end, non-subsequent up to the end)."""
    up_to_end = (charges["arrest_date"] <= pd.Timestamp(week.end)).fillna(False)
    subsequent = charges["subsequent"].astype(bool)
    return (charges[subsequent & in_week(charges["arrest_date"], week)],
            charges[subsequent & up_to_end], charges[~subsequent & up_to_end])


def _median_days(days: pd.Series) -> float | None:
    return float(days.median()) if len(days) else None


def charges_by_jurisdiction(week_charges, cumulative, counties: Counties) -> pd.DataFrame:
    cum_key = jurisdiction_key(cumulative, "declined_county_fips").to_numpy(dtype=object)
    week_key = jurisdiction_key(week_charges, "declined_county_fips")
    keys = sorted(set(cum_key))
    status = count_by(week_key, week_charges["status"], CHARGE_STATUSES).reindex(keys, fill_value=0)
    days = (cumulative["arrest_date"] - cumulative["declined_date"]).dt.days
    people_week = week_charges["subject_id"].groupby(week_key.to_numpy(dtype=object)).nunique()
    people_cum = cumulative["subject_id"].groupby(cum_key).nunique()
    medians = days.groupby(cum_key).median()
    places = county_fields(keys, counties)
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
    return with_total_row(table, {"category": "Total"}, columns[1:])


def charges_detail(cumulative: pd.DataFrame, week: Week, counties: Counties) -> pd.DataFrame:
    """Rows behind the charges tables. No subject or detainer IDs."""
    detail = pd.DataFrame({
        "declining_state": cumulative["declined_state"],
        "declining_county": county_label(cumulative, "declined_county_fips", counties),
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
