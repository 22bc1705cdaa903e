"""report.json: every figure the report prints, machine-readable (README, "report.json")."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from .blank import is_null
from .disclosure import WITHHELD
from .tables import Report


def report_json(report: Report) -> dict:
    """The machine-readable companion: every figure the report prints (README documents it)."""
    def num(value):
        return None if is_null(value) else value

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
        "revision": report.revision_number,
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
            elif is_null(value):
                value = None
            elif hasattr(value, "item"):
                value = value.item()
            clean[key] = value
        if "fips" in clean and clean["fips"] == "":
            clean["fips"] = None
        out.append(clean)
    return out
