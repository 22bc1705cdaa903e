"""Stage 3: combine sheets into one table per kind; duplicates, updates, corrections, charges.

Jurisdictions are attributed by ``attribution``.

Joins never drop a row: a row that does not match becomes a problem, and every
row keeps a ``row_status`` ("used" or the reason it was not used).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from dataclasses import field as dc_field

import pandas as pd

from .attribution import CORRECTION
from .correction_rows import CORRECTION_COLUMNS
from .errors import Problem
from .facility_names import name_keys
from .reference import Counties
from .schema import KINDS
from .vocabulary import STATES
from .validate import ValidatedSheet

def combine(sheets: list[ValidatedSheet], kind: str) -> pd.DataFrame:
    frames = [s.frame for s in sheets if s.table.kind == kind]
    if not frames:  # no sheet of this kind: an empty frame with the columns and types a sheet would give
        columns = {"source_file": object, "source_sheet": object, "source_row": "int64", "source_layout": object}
        columns.update({c.field: "datetime64[s]" if c.type in ("date", "partial_date") else object
                        for c in KINDS[kind].columns})
        columns.update({f"{c.field}_precision": object for c in KINDS[kind].columns if c.type == "partial_date"})
        if kind == "detainers":
            columns.update({"outcome_detail": object, "outcome_date_source": object})
        if kind == "corrections":
            columns.update({name: object for name in CORRECTION_COLUMNS})
        columns.update({"row_status": object})
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})
    return pd.concat(frames, ignore_index=True)


def _content_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns
            if c not in ("source_file", "source_sheet", "source_row", "source_layout", "row_status")]


def resolve_duplicates(detainers: pd.DataFrame, problems: list[Problem], label=lambda row, field: field) -> pd.DataFrame:
    """Repeated IDs in one file: identical rows count once (warning), differing rows are errors.

    The same ID in several files is an update. Which version wins is decided by the data, never by
    modification times (copying or unzipping resets them): the file with the later *as-of* date wins
    (``file_as_of``), and of two with the same as-of date, the one whose name sorts last. An update that
    takes a recorded outcome back to pending is a warning (W410) listing the detainers.
    Returns the change log (one row per changed field of an updated detainer; staff only).
    """
    content = [c for c in _content_columns(detainers) if c not in ("outcome_date_source",)]
    live = detainers[detainers["row_status"] == "used"]
    repeated = live[live.duplicated(["source_file", "detainer_id"], keep=False)]
    for (_, _), group in repeated.groupby(["source_file", "detainer_id"], sort=False):
        first = group.iloc[0]
        shown = group[content].map(_display)  # astype(str) keeps blanks as NaN, and NaN != NaN
        same = shown.eq(shown.iloc[0]).all(axis=1)
        if same.all():
            for index, row in group.iloc[1:].iterrows():
                detainers.at[index, "row_status"] = f"repeat of row {first.source_row}"
                problems.append(Problem("W401", row["source_file"], row["source_sheet"], int(row["source_row"]),
                                        label(row, "detainer_id"), str(row["detainer_id"]),
                                        f"same as row {first.source_row}"))
        else:
            rows = ", ".join(str(r) for r in group["source_row"])
            for index, row in group.iterrows():
                detainers.at[index, "row_status"] = "error"
                problems.append(Problem("E401", row["source_file"], row["source_sheet"], int(row["source_row"]),
                                        label(row, "detainer_id"), str(row["detainer_id"]), f"rows {rows} share this ID"))

    live = detainers[detainers["row_status"] == "used"]
    multi = live[live.groupby("detainer_id")["source_file"].transform("nunique") > 1]
    as_of = file_as_of(detainers)
    ranked = multi.assign(_as_of=multi["source_file"].map(as_of)).sort_values(
        ["detainer_id", "_as_of", "source_file"], kind="stable")
    winners = ranked.drop_duplicates("detainer_id", keep="last")
    older = ranked[~ranked.index.isin(winners.index)]
    pairs = older.merge(winners, on="detainer_id", how="left", suffixes=("", "_new")).set_axis(older.index)
    detainers.loc[pairs.index, "row_status"] = "superseded by " + pairs["source_file_new"]
    changes = []
    for column in (c for c in content if c != "detainer_id"):  # the same ID, by definition
        old_shown, new_shown = _shown(pairs[column]), _shown(pairs[f"{column}_new"])
        differ = pairs[old_shown != new_shown]
        for index, row in differ.iterrows():
            changes.append({
                "detainer_id": row["detainer_id"], "field": column, "old_value": old_shown[index],
                "new_value": new_shown[index], "old_file": row["source_file"], "old_row": row["source_row"],
                "new_file": row["source_file_new"], "new_row": row["source_row_new"],
                "old_file_as_of": as_of[row["source_file"]].isoformat(),
                "new_file_as_of": as_of[row["source_file_new"]].isoformat(),
            })
    changes.sort(key=lambda c: (c["detainer_id"], content.index(c["field"]), c["old_file"]))
    backwards = {}
    back = pairs[(pairs["outcome"] != "pending") & (pairs["outcome_new"] == "pending")]
    for _, row in back.iterrows():
        new = {"detainer_id": row["detainer_id"], "source_row": row["source_row_new"]}
        old = {"outcome": row["outcome"], "source_file": row["source_file"], "source_row": row["source_row"]}
        backwards.setdefault((row["source_file_new"], row["source_sheet_new"]), []).append((new, old))
    for (file, sheet), pairs in backwards.items():
        listed = "; ".join(f"{new['detainer_id']} (row {new['source_row']}; {old['outcome']} in "
                           f"{old['source_file']} row {old['source_row']})" for new, old in pairs[:10])
        more = f"; and {len(pairs) - 10:,} more (changes.csv)" if len(pairs) > 10 else ""
        problems.append(Problem("W410", file, sheet, message=(
            f"{len(pairs):,} {'detainer has' if len(pairs) == 1 else 'detainers have'} no outcome in this file, "
            f"which is the newest version, but had one in an older file: {listed}{more}")))
    return pd.DataFrame(changes, columns=["detainer_id", "field", "old_value", "new_value", "old_file", "old_row",
                                          "new_file", "new_row", "old_file_as_of", "new_file_as_of"])


_NAME_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)[-_.]?([01]\d)[-_.]?([0-3]\d)(?!\d)")


def file_as_of(detainers: pd.DataFrame) -> dict[str, dt.date]:
    """Each file's as-of date: the latest of any date in its name (2017-02-10, 20170210) and the latest
    issue or outcome date of its detainers (rows with an error are not read)."""
    readable = detainers[detainers["row_status"] != "error"]
    latest = pd.concat([readable["date_issued"], readable["outcome_date"]]).groupby(
        pd.concat([readable["source_file"], readable["source_file"]])).max()
    out = {}
    for file in detainers["source_file"].unique():
        days = [d.date() for d in (latest.get(file),) if d is not None and not pd.isna(d)]
        for m in _NAME_DATE.finditer(file):
            try:
                days.append(dt.date(int(m[1]), int(m[2]), int(m[3])))
            except ValueError:
                continue
        out[file] = max(days, default=dt.date.min)
    return out


def _shown(values: pd.Series) -> pd.Series:
    """``_display`` of a whole column, vectorised where the column has one type."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d").fillna("")
    return values.map(_display)


def _display(value) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


LINK_COLUMNS = {"detainer_id": "linked_detainer_id", "county_fips": "declined_county_fips",
                "state": "declined_state", "outcome_date": "declined_date"}


def link_charges(charges: pd.DataFrame, detainers: pd.DataFrame, problems: list[Problem],
                 label=lambda row, field: field) -> pd.DataFrame:
    """Attach each charge to the declined detainer it follows; unmatched charges are errors, never dropped.

    A charge with a Detainer ID follows that declined detainer. Otherwise it follows its Subject ID's latest
    decline before the arrest, or, when every decline of that person is later, the person's latest decline
    (ties broken by Detainer ID, so the link never depends on row order)."""
    declined = detainers[(detainers["row_status"] == "used") & (detainers["outcome"] == "declined")]
    declined = declined[list(LINK_COLUMNS) + ["subject_id"]].sort_values(["outcome_date", "detainer_id"],
                                                                       kind="stable")
    live = charges["row_status"] == "used"
    by_id = charges["detainer_id"].map(lambda v: isinstance(v, str) and v != "") & live
    matched = pd.DataFrame(index=charges.index, columns=list(LINK_COLUMNS), dtype=object)

    first_of_id = declined.drop_duplicates("detainer_id").set_index("detainer_id", drop=False)
    ids = charges.loc[by_id, "detainer_id"]
    found = ids[ids.isin(first_of_id.index)]
    matched.loc[found.index] = first_of_id.loc[found.to_numpy(), list(LINK_COLUMNS)].to_numpy()

    by_subject = live & ~by_id & charges["subject_id"].notna()
    if by_subject.any():
        people = declined.dropna(subset=["subject_id", "outcome_date"])
        wanted = charges.loc[by_subject, ["subject_id", "arrest_date"]].reset_index()
        before = pd.merge_asof(wanted.sort_values("arrest_date"), people, left_on="arrest_date",
                               right_on="outcome_date", by="subject_id", direction="backward",
                               allow_exact_matches=False).set_index("index")
        latest = people.drop_duplicates("subject_id", keep="last").set_index("subject_id")
        fallback = before["detainer_id"].isna() & before["subject_id"].isin(latest.index)
        before.loc[fallback, list(LINK_COLUMNS)] = latest.loc[before.loc[fallback, "subject_id"],
                                                                list(LINK_COLUMNS)].to_numpy()
        hit = before["detainer_id"].notna()
        matched.loc[before.index[hit]] = before.loc[hit, list(LINK_COLUMNS)].to_numpy()

    linked = charges.copy()
    unmatched = live & matched["detainer_id"].isna()
    for index in unmatched[unmatched].index:
        charge = charges.loc[index]
        field = "detainer_id" if by_id[index] else "subject_id"
        reason = (f"no declined detainer with ID {charge['detainer_id']}" if by_id[index]
                  else "no declined detainer for this Subject ID")
        problems.append(Problem("E403", charge["source_file"], charge["source_sheet"], int(charge["source_row"]),
                                label(charge, field), str(charge[field]), reason))
    linked.loc[unmatched, "row_status"] = "error"
    for source, target in LINK_COLUMNS.items():
        linked[target] = matched[source].where(matched[source].notna(), None)
    linked["declined_date"] = pd.to_datetime(linked["declined_date"]).astype("datetime64[s]")
    linked["subsequent"] = (linked["arrest_date"] > linked["declined_date"]).fillna(False)
    return linked


# --------------------------------------------------------------------------- corrections
#
# Staff record corrections in corrections sheets; the detainer files are never edited. A correction of one
# detainer (it has a Detainer ID) is applied after duplicate resolution and before jurisdictions are
# assigned, so a corrected County FIPS counts like the record's own. A correction of a whole county (County
# FIPS, no Detainer ID) moves the detainers attributed to that county after jurisdictions are assigned.
# Within each stage corrections apply in Date order, then file, sheet and row: the last one wins and every
# one is logged (old and new value, staff only: the log names detainers).

CORRECTED = CORRECTION  # jurisdiction_source / outcome_date_source of a corrected value
CORRECTION_LOG_COLUMNS = ["reference", "correction_date", "level", "detainer_id", "field", "old_value",
                          "new_value", "changed", "source_file", "source_sheet", "source_row"]
PUBLIC_CORRECTION_COLUMNS = ["date", "level", "jurisdiction", "county_fips", "county_name", "state", "facility",
                             "field", "what_was_wrong", "correct_value", "note", "detainers_changed",
                             "date_issued_min", "date_issued_max", "outcome_date_min", "outcome_date_max",
                             "reference"]
RESPONSE_COLUMNS = ["date", "jurisdiction", "county_fips", "county_name", "state", "note", "reference"]
_DATE_COLUMNS = ("date", "date_issued_min", "date_issued_max", "outcome_date_min", "outcome_date_max")


@dataclass
class AppliedCorrections:
    """What applying the corrections did; filled by the apply functions, read by ``correction_tables``."""

    log: list[dict] = dc_field(default_factory=list)
    refs: dict = dc_field(default_factory=dict)  # detainer index -> [correction references]
    county_set_by: dict = dc_field(default_factory=dict)  # detainer index -> (order key, fips) of its last
    #                                                     detainer-level County FIPS correction
    concerned: dict = dc_field(default_factory=dict)  # correction index -> county the detainer was attributed
    #                                                to before it was corrected (when the row gives no County FIPS)

    def record(self, correction: pd.Series, index, detainer_id, field_name: str, old, new) -> None:
        reference = correction_reference(correction)
        self.log.append({
            "reference": reference, "correction_date": correction["date"], "level": correction["level"],
            "detainer_id": detainer_id, "field": field_name, "old_value": _display(old), "new_value": _display(new),
            "changed": _display(old) != _display(new), "source_file": correction["source_file"],
            "source_sheet": correction["source_sheet"], "source_row": int(correction["source_row"]),
        })
        mine = self.refs.setdefault(index, [])
        if reference not in mine:
            mine.append(reference)


def correction_reference(row) -> str:
    """'corrections.xlsx [Sheet1] row 5': where staff find the correction (file, sheet, spreadsheet row)."""
    sheet = f" [{row['source_sheet']}]" if row["source_sheet"] else ""
    return f"{row['source_file']}{sheet} row {int(row['source_row'])}"


def _order_key(row) -> tuple:
    return (row["date"], row["source_file"], row["source_sheet"], int(row["source_row"]))


def _corrections_in_order(corrections: pd.DataFrame, level: str | None = None) -> pd.DataFrame:
    live = corrections[(corrections["row_status"] == "used") & (corrections["type"] == "correction")]
    if level is not None:
        live = live[live["level"] == level]
    return live.sort_values(["date", "source_file", "source_sheet", "source_row"], kind="stable")


def apply_detainer_corrections(detainers: pd.DataFrame, corrections: pd.DataFrame, attributed: pd.Series,
                               counties: Counties, problems: list[Problem],
                               label=lambda row, field: field) -> AppliedCorrections:
    """Apply corrections of single detainers in place, before jurisdictions are assigned.

    ``attributed`` is each detainer's county as attributed before any correction (by index).

    A Detainer ID that matches no counted detainer is an error (E404), never dropped. Values that a
    correction leaves inconsistent are checked as the detainers sheet checks them (E307, E304, W303),
    on the correction's row.
    """
    applied = AppliedCorrections()
    detainers["corrections"] = pd.Series("", index=detainers.index, dtype=object)
    todo = _corrections_in_order(corrections, "detainer")
    if todo.empty:
        return applied
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
                 _display(corrections.at[culprit, "correct_value"]))
        fips = d["county_fips"]
        if isinstance(fips, str) and STATES[d["state"]][0] != fips[:2]:
            culprit = last(fields, "state", "county_fips")
            flag("E304", culprit, f"detainer {d['detainer_id']}: its County FIPS {fips} is "
                 f"{counties.by_fips[fips].label}, but its State would be {d['state']}",
                 _display(corrections.at[culprit, "correct_value"]))
    return applied


def _set_county(detainers: pd.DataFrame, indexes: list, fips, counties: Counties) -> None:
    detainers.loc[indexes, "county_fips"] = fips
    detainers.loc[indexes, "county_name"] = counties.name(fips)
    detainers.loc[indexes, "county_population"] = counties.population(fips)
    detainers.loc[indexes, "jurisdiction_source"] = CORRECTED
    detainers.loc[indexes, "jurisdiction_evidence"] = "a correction recorded by staff"


def apply_county_corrections(detainers: pd.DataFrame, corrections: pd.DataFrame, applied: AppliedCorrections,
                             counties: Counties, problems: list[Problem], label=lambda row, field: field) -> None:
    """After assign_jurisdictions: settle detainer-level County FIPS corrections, then move whole counties.

    A detainer-level correction to a blank County FIPS (jurisdiction not determined) is not overridden by
    the facilities sheet. A whole-county correction moves every counted detainer attributed to its County
    FIPS (only those at its Facility, when given) to the county in its Correct Value (blank: jurisdiction not
    determined), except a detainer whose own County FIPS correction is dated later. One that moves nothing
    is a warning (W403): it may concern detainers not loaded yet.
    """
    for index, (_, fips) in applied.county_set_by.items():
        _set_county(detainers, [index], fips, counties)
    todo = _corrections_in_order(corrections, "county")
    if not todo.empty:
        keys = pd.Series([set(name_keys(f, s)) for f, s in zip(detainers["facility"], detainers["state"])],
                         index=detainers.index, dtype=object)
        used = detainers["row_status"] == "used"
    for ci, c in todo.iterrows():
        key, new = _order_key(c), c["correct_parsed"]
        mask = used & (detainers["county_fips"] == c["county_fips"]).fillna(False)
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
            applied.record(c, i, detainers.at[i, "detainer_id"], "county_fips", detainers.at[i, "county_fips"], new)
            if new_state and detainers.at[i, "state"] != new_state:
                applied.record(c, i, detainers.at[i, "detainer_id"], "state", detainers.at[i, "state"], new_state)
        _set_county(detainers, hits, new, counties)
        if new_state:
            detainers.loc[hits, "state"] = new_state
    for index, references in applied.refs.items():
        detainers.at[index, "corrections"] = "; ".join(references)


def correction_tables(corrections: pd.DataFrame, detainers: pd.DataFrame, applied: AppliedCorrections,
                      counties: Counties) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(public corrections log, public responses, staff correction log).

    The public frames hold no detainer or subject IDs: one row per correction, with the number of detainers
    it changed and the range of their dates (so a report can tell which weeks it affects); one row per
    jurisdiction response.
    """
    log = pd.DataFrame(applied.log, columns=CORRECTION_LOG_COLUMNS)
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
        reference = correction_reference(c)
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
    public = pd.DataFrame(rows, columns=PUBLIC_CORRECTION_COLUMNS)
    public["detainers_changed"] = public["detainers_changed"].astype("int64")

    live = corrections[(corrections["row_status"] == "used") & (corrections["type"] == "response")]
    live = live.sort_values(["date", "source_file", "source_sheet", "source_row"], kind="stable")
    responses = pd.DataFrame([
        {"date": r["date"], **place(r["county_fips"], r["jurisdiction"]),
         "note": r["note"], "reference": correction_reference(r)}
        for _, r in live.iterrows()], columns=RESPONSE_COLUMNS)
    for frame in (public, responses):
        for name in _DATE_COLUMNS:
            if name in frame.columns:
                frame[name] = pd.to_datetime(frame[name]).astype("datetime64[s]")
    return public, responses, log
