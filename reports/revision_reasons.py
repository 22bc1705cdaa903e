"""Explains a revision: what changed since the week's newest edition, and why (corrections, updates, software)."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from . import changed_figures
from .jsondoc import report_json
from .load import Dataset
from .publish import download_changes
from .resources import code_fingerprint
from .tables import Report


def mark_revision(report: Report, earlier, previous: dict, previous_content: dict, current_content: dict,
                  dataset: Dataset) -> None:
    """Make the report a revision of the week's newest edition: what changed, and why where staff said why."""
    report.first_published = dt.date.fromisoformat(previous.get("first_published", previous["published"])[:10])
    report.earlier_revisions = [{"revision": r.number, "published": r.published, "path": r.path} for r in earlier]
    report.revision_changes = [c.as_dict() for c in changed_figures.diff(previous, report_json(report))]
    report.revision_downloads = download_changes(previous_content, current_content)
    report.revision_reasons = revision_reasons(report, dataset)
    if earlier[-1].manifest.get("software_sha256") != code_fingerprint():
        report.revision_reasons.append(
            f"This edition was made by a newer version of the publishing software than revision "
            f"{earlier[-1].number}; changes it makes to the published files (new columns, wording, privacy rules) "
            "are part of this revision too.")


def revision_reasons(report: Report, dataset: Dataset) -> list[str]:
    """What staff said about the records behind this week, where they said it."""
    reasons = []
    corrections = getattr(dataset, "corrections", None)
    if corrections is not None and len(corrections):
        for row in corrections.to_dict(orient="records"):
            if _touches_week(row, report):
                reasons.append(correction_sentence(row))
    updated = _updated_in_window(dataset, report)
    if updated:
        reasons.append(f"{updated:,} detainer record{'' if updated == 1 else 's'} behind these figures "
                       f"{'was' if updated == 1 else 'were'} updated by newer source files.")
    if not reasons:
        reasons.append("Records were added to or changed in the source files since the previous edition "
                       "(for example outcomes recorded late, or facilities newly mapped to their county).")
    return reasons


def _updated_in_window(dataset: Dataset, report: Report) -> int:
    """Detainers updated by a newer file whose dates fall in the weeks this edition prints."""
    if not len(dataset.changes):
        return 0
    detainers = dataset.used("detainers")
    updated = detainers[detainers["detainer_id"].isin(set(dataset.changes["detainer_id"]))]
    start = pd.Timestamp(report.week.start - dt.timedelta(days=7 * (report.settings.trend_weeks - 1)))
    end = pd.Timestamp(report.week.end)
    inside = (updated["date_issued"].between(start, end) | updated["outcome_date"].between(start, end))
    return int(inside.sum())


def _touches_week(row: dict, report: Report) -> bool:
    """Could the correction change a figure this edition prints? It changed detainers whose dates
    (before or after the correction) span some range; the trend reaches back trend_weeks."""
    days = [row.get(k) for k in ("date_issued_min", "date_issued_max", "outcome_date_min", "outcome_date_max")]
    days = [d.date() for d in days if d is not None and d == d and d is not pd.NaT]
    if not days or not row.get("detainers_changed"):
        return False
    window_start = report.week.start - dt.timedelta(days=7 * (report.settings.trend_weeks - 1))
    return not (max(days) < window_start or min(days) > report.week.end)


def correction_sentence(row: dict) -> str:
    """'Correction recorded 2017-03-22 (Franklin County, IA): ... County FIPS corrected to ... for 12 detainers.'"""
    day = row["date"].date().isoformat() if hasattr(row.get("date"), "date") else str(row.get("date"))
    where = f" ({row['jurisdiction']})" if row.get("jurisdiction") else ""
    text = f"Correction recorded {day}{where}: "
    if row.get("what_was_wrong"):
        text += f"{row['what_was_wrong'].rstrip('.')}. "
    count = int(row.get("detainers_changed") or 0)
    text += (f"{row['field']} corrected to {row.get('correct_value') or 'not determined'} for {count:,} "
             f"detainer{'' if count == 1 else 's'}.")
    if row.get("note"):
        text += f" {row['note']}"
    return text
