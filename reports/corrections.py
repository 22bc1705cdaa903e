"""Staff corrections and jurisdiction responses, applied to the detainers as pure functions.

Staff record corrections in corrections sheets; the detainer files are never edited. A correction of one
detainer (it has a Detainer ID) is applied after duplicate resolution and before jurisdictions are
assigned, so a corrected County FIPS counts like the record's own. A correction of a whole county (County
FIPS, no Detainer ID) moves the detainers attributed to that county after jurisdictions are assigned.
Within each stage corrections apply in Date order, then file, sheet and row: the last one wins and every
one is logged (old and new value, staff only: the log names detainers).

Each stage takes frames and returns a ``Corrected``: new detainers and corrections frames, what was applied
so far and the problems found. The caller's frames are never changed.
"""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field

import pandas as pd

from .attribution import CORRECTION
from .errors import Problem
from .facility_names import name_keys
from .frames import CORRECTION_SUMMARY_COLUMNS, RESPONSE_COLUMNS, STAFF_CORRECTION_LOG_COLUMNS
from .join import display_value
from .jurisdiction import resolve_jurisdictions
from .reference import Counties
from .schema import KINDS
from .vocabulary import STATES
from .wording import source_reference

CORRECTED = CORRECTION  # jurisdiction_source / outcome_date_source of a corrected value
CORRECTED_EVIDENCE = "a correction recorded by staff"
_DATE_COLUMNS = ("date", "date_issued_min", "date_issued_max", "outcome_date_min", "outcome_date_max")


@dataclass
class AppliedCorrections:
    """What applying the corrections did; returned by the apply functions, read by ``correction_tables``."""

    log: list[dict] = dc_field(default_factory=list)
    refs: dict = dc_field(default_factory=dict)  # detainer index -> [correction references]
    county_set_by: dict = dc_field(default_factory=dict)  # detainer index -> (order key, fips) of its last
    #                                                     detainer-level County FIPS correction
    concerned: dict = dc_field(default_factory=dict)  # correction index -> county the detainer was attributed
    #                                                to before it was corrected (when the row gives no County FIPS)

    def copy(self) -> AppliedCorrections:
        return AppliedCorrections(list(self.log), {k: list(v) for k, v in self.refs.items()},
                                  dict(self.county_set_by), dict(self.concerned))

    def record(self, correction: pd.Series, index, detainer_id, field_name: str, old, new) -> None:
        reference = source_reference(correction)
        self.log.append({
            "reference": reference, "correction_date": correction["date"], "level": correction["level"],
            "detainer_id": detainer_id, "field": field_name, "old_value": display_value(old),
            "new_value": display_value(new), "changed": display_value(old) != display_value(new),
            "source_file": correction["source_file"], "source_sheet": correction["source_sheet"],
            "source_row": int(correction["source_row"]),
        })
        mine = self.refs.setdefault(index, [])
        if reference not in mine:
            mine.append(reference)


@dataclass(frozen=True)
class Corrected:
    """The outcome of one stage of corrections: new frames, everything applied so far, the problems found."""

    detainers: pd.DataFrame
    corrections: pd.DataFrame  # the corrections rows, row_status "error" where one could not be applied
    applied: AppliedCorrections
    problems: list[Problem]


def _order_key(row) -> tuple:
    return (row["date"], row["source_file"], row["source_sheet"], int(row["source_row"]))


def _corrections_in_order(corrections: pd.DataFrame, level: str | None = None) -> pd.DataFrame:
    live = corrections[(corrections["row_status"] == "used") & (corrections["type"] == "correction")]
    if level is not None:
        live = live[live["level"] == level]
    return live.sort_values(["date", "source_file", "source_sheet", "source_row"], kind="stable")


def apply_detainer_corrections(detainers: pd.DataFrame, corrections: pd.DataFrame, attributed: pd.Series,
                               counties: Counties, label=lambda row, field: field) -> Corrected:
    """Apply corrections of single detainers, before jurisdictions are assigned.

    ``attributed`` is each detainer's county as attributed before any correction (by index).

    A Detainer ID that matches no counted detainer is an error (E404), never dropped. Values that a
    correction leaves inconsistent are checked as the detainers sheet checks them (E307, E304, W303),
    on the correction's row.
    """
    # a shallow copy: with pandas' copy-on-write, a cell set below copies its column, never the caller's frame
    detainers, corrections = detainers.copy(deep=False), corrections.copy()
    applied, problems = AppliedCorrections(), []
    detainers["corrections"] = pd.Series("", index=detainers.index, dtype=object)
    todo = _corrections_in_order(corrections, "detainer")
    if todo.empty:
        return Corrected(detainers, corrections, applied, problems)
    used = detainers[detainers["row_status"] == "used"]
    index_of = dict(zip(used["detainer_id"], used.index))
    known = set(detainers["detainer_id"].dropna())
    position = {ci: n for n, ci in enumerate(todo.index)}
    touched: dict = {}  # detainer index -> {field: index of the last correction of that field}

    for ci, c in todo.iterrows():
        index = index_of.get(c["detainer_id"])
        if index is None:
            corrections.at[ci, "row_status"] = "error"
            reason = ("the detainer with this ID has an error in its own row and is not counted"
                      if c["detainer_id"] in known else "no detainer with this ID in the inputs")
            problems.append(Problem("E404", c["source_file"], c["source_sheet"], int(c["source_row"]),
                                    label(c, "detainer_id"), str(c["detainer_id"]), reason))
            continue
        detainer = detainers.loc[index]
        if not isinstance(c["county_fips"], str) and ci not in applied.concerned:
            applied.concerned[ci] = attributed.get(index)
        field_name, new = c["target_field"], c["correct_parsed"]
        applied.record(c, index, detainer["detainer_id"], field_name, detainer[field_name], new)
        detainers.at[index, field_name] = new
        touched.setdefault(index, {})[field_name] = ci
        if field_name == "outcome":
            detainers.at[index, "outcome_detail"] = c["correct_value"]
        elif field_name == "outcome_date":
            detainers.at[index, "outcome_date_source"] = CORRECTED
        elif field_name == "county_fips":
            applied.county_set_by[index] = (_order_key(c), new)
            if new is not None and detainer["state"] != counties.by_fips[new].state:
                # a county is in one state: the detainer's state follows its corrected county
                applied.record(c, index, detainer["detainer_id"], "state", detainer["state"],
                               counties.by_fips[new].state)
                detainers.at[index, "state"] = counties.by_fips[new].state
                touched[index]["state"] = ci

    def last(fields: dict, *names):
        hits = [fields[n] for n in names if n in fields]
        return max(hits, key=position.get) if hits else None

    def flag(code, ci, message, value="", error=True):
        c = corrections.loc[ci]
        if error:
            corrections.at[ci, "row_status"] = "error"
        problems.append(Problem(code, c["source_file"], c["source_sheet"], int(c["source_row"]),
                                label(c, "correct_value"), value, message))

    for index, fields in touched.items():
        d = detainers.loc[index]
        source = d["outcome_date_source"]
        if isinstance(source, str) and source.startswith("issue date"):  # a date derived from the issue date follows it
            detainers.at[index, "outcome_date"] = pd.NaT if d["outcome"] == "pending" else d["date_issued"]
        d = detainers.loc[index]
        if d["outcome"] == "declined" and pd.isna(d["outcome_date"]):
            detainers.at[index, "outcome_date"] = d["date_issued"]
            detainers.at[index, "outcome_date_source"] = "issue date (outcome date blank)"
            flag("W303", last(fields, "outcome"), f"detainer {d['detainer_id']} is now declined without an outcome "
                 "date; the issue date is used", error=False)
        d = detainers.loc[index]
        if pd.notna(d["outcome_date"]) and d["outcome_date"] < d["date_issued"]:
            culprit = last(fields, "outcome_date", "date_issued")
            flag("E307", culprit, f"detainer {d['detainer_id']}: outcome date {d['outcome_date'].date().isoformat()}"
                 f" is before its issue date {d['date_issued'].date().isoformat()}",
                 display_value(corrections.at[culprit, "correct_value"]))
        fips = d["county_fips"]
        if isinstance(fips, str) and STATES[d["state"]][0] != fips[:2]:
            culprit = last(fields, "state", "county_fips")
            flag("E304", culprit, f"detainer {d['detainer_id']}: its County FIPS {fips} is "
                 f"{counties.by_fips[fips].label}, but its State would be {d['state']}",
                 display_value(corrections.at[culprit, "correct_value"]))
    return Corrected(detainers, corrections, applied, problems)


def apply_county_corrections(detainers: pd.DataFrame, corrections: pd.DataFrame, applied: AppliedCorrections,
                             counties: Counties, label=lambda row, field: field) -> Corrected:
    """After assign_jurisdictions: settle detainer-level County FIPS corrections, then move whole counties.

    A detainer-level correction to a blank County FIPS (jurisdiction not determined) is not overridden by
    the facilities sheet. A whole-county correction moves every counted detainer attributed to its County
    FIPS (only those at its Facility, when given) to the county in its Correct Value (blank: jurisdiction not
    determined), except a detainer whose own County FIPS correction is dated later. One that moves nothing
    is a warning (W403): it may concern detainers not loaded yet.
    """
    applied, problems = applied.copy(), []
    # each detainer's county and state as the corrections so far left them; resolved once at the end
    fips_now, state_now = detainers["county_fips"].copy(), detainers["state"].copy()
    moved: dict = {}  # detainer index -> None (an ordered set of the detainers a correction placed)
    for index, (_, fips) in applied.county_set_by.items():
        fips_now.loc[index] = fips
        moved[index] = None
    todo = _corrections_in_order(corrections, "county")
    if not todo.empty:
        keys = pd.Series([set(name_keys(f, s)) for f, s in zip(detainers["facility"], detainers["state"])],
                         index=detainers.index, dtype=object)
        used = detainers["row_status"] == "used"
    for ci, c in todo.iterrows():
        key, new = _order_key(c), c["correct_parsed"]
        mask = used & (fips_now == c["county_fips"]).fillna(False)
        facility = c["facility"] if isinstance(c["facility"], str) and c["facility"].strip() else None
        if facility:
            wanted = set(name_keys(facility, counties.by_fips[c["county_fips"]].state))
            mask &= keys.map(lambda mine: bool(mine & wanted))
        hits = [i for i in mask[mask].index
                if not (i in applied.county_set_by and applied.county_set_by[i][0] > key)]
        if not hits:
            where = f" at {facility}" if facility else ""
            problems.append(Problem("W403", c["source_file"], c["source_sheet"], int(c["source_row"]),
                                    label(c, "county_fips"), c["county_fips"],
                                    f"no counted detainer{where} is attributed to "
                                    f"{counties.by_fips[c['county_fips']].label}; nothing was changed"))
            continue
        new_state = counties.by_fips[new].state if new else None
        for i in hits:
            detainer_id = detainers.at[i, "detainer_id"]
            applied.record(c, i, detainer_id, "county_fips", fips_now.at[i], new)
            if new_state and state_now.at[i] != new_state:
                applied.record(c, i, detainer_id, "state", state_now.at[i], new_state)
        fips_now.loc[hits] = new
        if new_state:
            state_now.loc[hits] = new_state
        moved.update(dict.fromkeys(hits))
    out = resolve_jurisdictions(detainers, fips_now.loc[list(moved)], CORRECTED, CORRECTED_EVIDENCE, counties)
    out["state"] = state_now
    for index, references in applied.refs.items():
        out.at[index, "corrections"] = "; ".join(references)
    return Corrected(out, corrections, applied, problems)


def correction_tables(corrections: pd.DataFrame, detainers: pd.DataFrame, applied: AppliedCorrections,
                      counties: Counties) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(corrections summary, responses, staff correction log).

    The first two hold no detainer or subject IDs: one row per correction, with the number of detainers
    it changed and the range of their dates (so a report can tell which weeks it affects); one row per
    jurisdiction response.
    """
    log = pd.DataFrame(applied.log, columns=list(STAFF_CORRECTION_LOG_COLUMNS))
    log["correction_date"] = pd.to_datetime(log["correction_date"]).astype("datetime64[s]")
    log["changed"] = log["changed"].astype(bool)
    log["source_row"] = log["source_row"].astype("int64")
    used = detainers[detainers["row_status"] == "used"].set_index("detainer_id")

    def place(fips, written):
        county = counties.by_fips.get(fips) if isinstance(fips, str) else None
        if county is None:
            return {"jurisdiction": written if isinstance(written, str) else "", "county_fips": "",
                    "county_name": "", "state": ""}
        return {"jurisdiction": county.label, "county_fips": fips, "county_name": county.name,
                "state": county.state}

    rows = []
    for ci, c in _corrections_in_order(corrections).iterrows():
        reference = source_reference(c)
        fips = c["county_fips"] if isinstance(c["county_fips"], str) else applied.concerned.get(ci)
        mine = log[(log["reference"] == reference) & log["changed"] & (log["field"] == c["target_field"])]
        changed = used.loc[used.index.intersection(mine["detainer_id"].unique())]
        dates = {"date_issued": list(changed["date_issued"]), "outcome_date": list(changed["outcome_date"])}
        if c["target_field"] in dates:  # the weeks the old dates fell in are affected too
            dates[c["target_field"]] += list(pd.to_datetime(mine["old_value"].where(mine["old_value"] != "")))
        spans = {}
        for name, values in dates.items():
            values = [v for v in values if pd.notna(v)]
            spans[f"{name}_min"], spans[f"{name}_max"] = (min(values), max(values)) if values else (pd.NaT, pd.NaT)
        rows.append({
            "date": c["date"], "level": c["level"], **place(fips, c["jurisdiction"]),
            "facility": c["facility"] if isinstance(c["facility"], str) else "",
            "field": KINDS["detainers"].column(c["target_field"]).name,
            "what_was_wrong": c["what_was_wrong"] if isinstance(c["what_was_wrong"], str) else "",
            "correct_value": c["correct_display"], "note": c["note"] if isinstance(c["note"], str) else "",
            "detainers_changed": int(len(changed)), **spans, "reference": reference,
        })
    public = pd.DataFrame(rows, columns=list(CORRECTION_SUMMARY_COLUMNS))
    public["detainers_changed"] = public["detainers_changed"].astype("int64")

    live = corrections[(corrections["row_status"] == "used") & (corrections["type"] == "response")]
    live = live.sort_values(["date", "source_file", "source_sheet", "source_row"], kind="stable")
    responses = pd.DataFrame([
        {"date": r["date"], **place(r["county_fips"], r["jurisdiction"]),
         "note": r["note"], "reference": source_reference(r)}
        for _, r in live.iterrows()], columns=list(RESPONSE_COLUMNS))
    for frame in (public, responses):
        for name in _DATE_COLUMNS:
            if name in frame.columns:
                frame[name] = pd.to_datetime(frame[name]).astype("datetime64[s]")
    return public, responses, log
