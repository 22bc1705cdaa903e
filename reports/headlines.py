"""What the summary says around its headline figures: the cohort behind the subsequent charges, the change
from the previous week and the four-week average, which trend weeks carry a caveat, and how current the
data are. Pure functions of the week's frames (``tables.build_report`` calls them)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .period import Week, week_containing
from .rounding import ratio_half_up
from .parsers import DAY

MIN_COHORT_FOR_RATE = 20  # never a rate on fewer people
AVERAGE_WEEKS = 4
WEEK_OVER_WEEK = ("issued", "declined", "honored")  # trend columns with a week-over-week line
MIN_DECLINES_FOR_CAVEAT = 5
LATE_BATCH_DAYS = 28


def _person_keys(detainers: pd.DataFrame) -> pd.Series:
    """A person: their Subject ID, or, without one, the detainer itself."""
    return detainers["subject_id"].astype(object).where(detainers["subject_id"].notna(),
                                                        "detainer:" + detainers["detainer_id"].astype(str))


def charges_cohort(detainers: pd.DataFrame, cumulative_charges: pd.DataFrame, week: Week) -> dict:
    """The denominator of the subsequent charges: the people whose detainer was declined from the first decline
    in the data to the end of the week, how many of them have any subsequent charge by then, how long each was
    followed (from their first decline in that window to the week's end), and a share only on 20 people or more."""
    end = pd.Timestamp(week.end)
    declined = detainers[(detainers["outcome"] == "declined") & (detainers["outcome_date"] <= end).fillna(False)]
    if not len(declined):
        return {"declined_since": None, "people": 0, "people_charged": 0, "follow_up_days_min": None,
                "follow_up_days_max": None, "people_charged_percent": None, "min_people_for_percent": MIN_COHORT_FOR_RATE}
    people = _person_keys(declined)
    first_decline = declined["outcome_date"].groupby(people.to_numpy(dtype=object)).min()
    follow_up = (end - first_decline).dt.days
    person_of_detainer = dict(zip(declined["detainer_id"].astype(str), people))
    charged = {person_of_detainer.get(str(linked), subject) for linked, subject
               in zip(cumulative_charges.get("linked_detainer_id", pd.Series(dtype=object)),
                      cumulative_charges["subject_id"])}
    charged &= set(first_decline.index)
    n, k = len(first_decline), len(charged)
    return {"declined_since": first_decline.min().date().isoformat(), "people": n, "people_charged": k,
            "follow_up_days_min": int(follow_up.min()), "follow_up_days_max": int(follow_up.max()),
            "people_charged_percent": ratio_half_up(k, n, 1, scale=100) if n >= MIN_COHORT_FOR_RATE else None,
            "min_people_for_percent": MIN_COHORT_FOR_RATE}


def week_over_week(trend: pd.DataFrame) -> dict:
    """For each headline count: this week, the previous week, the change, and the average of the four weeks
    before this one (one decimal, half up). A withheld count ("[c]") withholds what it would give away."""
    out = {}
    for column in WEEK_OVER_WEEK:
        values = list(trend[column])
        this, previous = values[-1], values[-2] if len(values) > 1 else None
        before = values[-1 - AVERAGE_WEEKS:-1] if len(values) > AVERAGE_WEEKS else []
        known = not isinstance(this, str) and previous is not None and not isinstance(previous, str)
        average = (ratio_half_up(sum(int(v) for v in before), len(before), 1)
                   if before and not any(isinstance(v, str) for v in before) else None)
        out[column] = {"this_week": this if isinstance(this, str) else int(this),
                       "previous_week": previous if previous is None or isinstance(previous, str) else int(previous),
                       "change": int(this) - int(previous) if known else None,
                       "four_week_average": average}
    return out


def trend_caveats(detainers: pd.DataFrame, policies: pd.DataFrame, trend: pd.DataFrame, counties) -> list[str]:
    """One caveat text per trend week ("" for none), by a small rule on what the data say:
    - a policy limiting cooperation took effect that week (a policy dated to the day);
    - a late batch: of at least 5 declines recorded that week, more than half were of detainers issued more
      than four weeks before it began;
    - one day: of at least 5 declines recorded that week, more than half were recorded on a single day."""
    declined = detainers[detainers["outcome"] == "declined"]
    # numpy arrays, not Series: a dozen weeks of filters on small frames, where pandas' overhead is the cost
    recorded = declined["outcome_date"].to_numpy(dtype="datetime64[s]")
    recorded_day = recorded.astype("datetime64[D]")
    issued = declined["date_issued"].to_numpy(dtype="datetime64[s]")
    enacted_on = policies["date_enacted"].to_numpy(dtype="datetime64[s]")
    to_the_day = (policies["date_enacted_precision"] == DAY).to_numpy(dtype=bool)
    texts = []
    for start, end in zip(trend["week_start"], trend["week_end"]):
        first = pd.Timestamp(start).to_datetime64().astype("datetime64[s]")
        last = pd.Timestamp(end).to_datetime64().astype("datetime64[s]")
        notes = []
        enacted = policies[(enacted_on >= first) & (enacted_on <= last) & to_the_day]
        if len(enacted):
            places = sorted({counties.by_fips[f].label if f in counties.by_fips else j
                             for f, j in zip(enacted["county_fips"], enacted["jurisdiction"])})
            notes.append("policy took effect: " + ", ".join(places))
        in_week = (recorded >= first) & (recorded <= last)
        n = int(in_week.sum())
        if n >= MIN_DECLINES_FOR_CAVEAT:
            late = int((issued[in_week] < first - np.timedelta64(LATE_BATCH_DAYS, "D")).sum())
            if late > n / 2:
                notes.append("late batch: most declines were of detainers issued over four weeks earlier")
            top_day = int(np.unique(recorded_day[in_week], return_counts=True)[1].max())
            if top_day > n / 2:
                notes.append("most declines recorded on one day")
        texts.append("; ".join(notes))
    return texts


def data_currency(detainers: pd.DataFrame, week: Week, published: dt.date, week_start: int) -> dict:
    """The latest complete week (by the publication date) in which a detainer was issued or a decline recorded,
    and how many complete weeks have passed since it with no data at all."""
    days = pd.concat([detainers["date_issued"],
                      detainers.loc[detainers["outcome"] == "declined", "outcome_date"]]).dropna()
    days = days[days < pd.Timestamp(published)]
    if not len(days):
        return {"latest_week_with_data": None, "weeks_without_data_since": None}
    latest = week_containing(days.max().date(), week_start)
    if latest.end >= published:  # a week still running is not complete
        latest = latest.previous()
    current = week_containing(published, week_start).previous()  # the last complete week by publication
    weeks_since = max(0, (current.end - latest.end).days // 7)
    return {"latest_week_with_data": latest.end.isoformat(), "weeks_without_data_since": weeks_since}
