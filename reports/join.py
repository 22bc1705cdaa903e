"""Stage 3: combine sheets into one table per kind; duplicates, updates, jurisdictions, charges.

Joins never drop a row: a row that does not match becomes a problem, and every
row keeps a ``row_status`` ("used" or the reason it was not used).
"""
from __future__ import annotations

import functools
import re

import pandas as pd

from .errors import Problem
from .reference import Counties
from .schema import KINDS
from .validate import ValidatedSheet

UNDETERMINED = "jurisdiction not determined"


def normalise_facility(name) -> str:
    return re.sub(r"[^0-9A-Z]", "", str(name).upper()) if name is not None else ""


def combine(sheets: list[ValidatedSheet], kind: str) -> pd.DataFrame:
    frames = [s.frame.assign(_mtime=s.table.mtime) for s in sheets if s.table.kind == kind]
    if not frames:  # no sheet of this kind: an empty frame with the columns and types a sheet would give
        columns = {"source_file": object, "source_sheet": object, "source_row": "int64", "source_layout": object}
        columns.update({c.field: "datetime64[s]" if c.type == "date" else object for c in KINDS[kind].columns})
        if kind == "detainers":
            columns.update({"outcome_detail": object, "outcome_date_source": object})
        columns.update({"row_status": object, "_mtime": float})
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})
    return pd.concat(frames, ignore_index=True)


def _content_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns
            if c not in ("source_file", "source_sheet", "source_row", "source_layout", "row_status", "_mtime")]


def resolve_duplicates(detainers: pd.DataFrame, problems: list[Problem], label=lambda row, field: field) -> pd.DataFrame:
    """Repeated IDs in one file: identical rows count once (warning), differing rows are errors.

    The same ID in several files is an update: the most recently modified file wins.
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

    changes = []
    live = detainers[detainers["row_status"] == "used"]
    multi = live[live.groupby("detainer_id")["source_file"].transform("nunique") > 1]
    for detainer_id, group in multi.groupby("detainer_id", sort=False):
        ordered = group.sort_values(["_mtime", "source_file"])
        winner = ordered.iloc[-1]
        for index, row in ordered.iloc[:-1].iterrows():
            detainers.at[index, "row_status"] = f"superseded by {winner.source_file}"
            for column in content:
                old, new = row[column], winner[column]
                if _display(old) != _display(new):
                    changes.append({
                        "detainer_id": detainer_id, "field": column, "old_value": _display(old),
                        "new_value": _display(new), "old_file": row["source_file"], "old_row": row["source_row"],
                        "new_file": winner.source_file, "new_row": winner.source_row,
                    })
    return pd.DataFrame(changes, columns=["detainer_id", "field", "old_value", "new_value",
                                          "old_file", "old_row", "new_file", "new_row"])


def _display(value) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def build_facility_map(facilities: pd.DataFrame, problems: list[Problem], label=lambda row, field: field
                       ) -> tuple[dict, dict]:
    """(state, code) -> fips and (state, normalised name) -> fips; a facility with two counties is an error."""
    by_code: dict = {}
    by_name: dict = {}
    for key_columns, target in ((["state", "facility_code"], by_code), (["state", "_name"], by_name)):
        # Rows found in conflict by code map nothing by name either (and are reported once).
        live = facilities[facilities["row_status"] == "used"].copy()
        live["_name"] = live["facility"].map(normalise_facility)
        keyed = live.dropna(subset=key_columns)
        keyed = keyed[keyed[key_columns[1]] != ""]
        for key, group in keyed.groupby(key_columns, sort=False):
            counties = sorted(set(group["county_fips"]))
            if len(counties) > 1:
                for index, row in group.iterrows():
                    facilities.at[index, "row_status"] = "error"
                    problems.append(Problem("E402", row["source_file"], row["source_sheet"], int(row["source_row"]),
                                            label(row, "county_fips"), row["county_fips"],
                                            f"{row['facility']} ({row['state']}) is mapped to {', '.join(counties)}"))
            else:
                target[tuple(key)] = counties[0]
    return by_code, by_name


def assign_jurisdictions(detainers: pd.DataFrame, by_code: dict, by_name: dict, counties: Counties) -> pd.DataFrame:
    """County from the record itself, else the facilities table (code, then name), else undetermined."""
    own = detainers["county_fips"]
    from_code = pd.Series([by_code.get((s, c)) for s, c in zip(detainers["state"], detainers["facility_code"])],
                          index=detainers.index, dtype=object)
    names = detainers["facility"].map(normalise_facility)
    from_name = pd.Series([by_name.get((s, n)) for s, n in zip(detainers["state"], names)],
                          index=detainers.index, dtype=object)
    fips = own.where(own.notna(), from_code)
    fips = fips.where(fips.notna(), from_name)
    source = pd.Series("none", index=detainers.index, dtype=object)
    source[from_name.notna()] = "facility name"
    source[from_code.notna()] = "facility code"
    source[own.notna()] = "record"
    out = detainers.copy()
    out["county_fips"] = fips
    out["jurisdiction_source"] = source.where(fips.notna(), "none")
    out["county_name"] = fips.map(lambda f: counties.by_fips[f].name if isinstance(f, str) else UNDETERMINED)
    out["county_population"] = fips.map(lambda f: counties.by_fips[f].population if isinstance(f, str) else None)
    return out


def unmapped_facilities(detainers: pd.DataFrame, counties: Counties) -> pd.DataFrame:
    """Facilities whose detainers have no county, with a *suggested* county where the name names one."""
    live = detainers[(detainers["row_status"] == "used") & detainers["county_fips"].isna()]
    if live.empty:
        return pd.DataFrame(columns=["Facility", "Facility Code", "City", "State", "Detainers",
                                     "Suggested County FIPS", "Suggested County", "Basis"])
    grouped = (live.assign(facility_code=live["facility_code"].fillna(""), city=live["city"].fillna(""))
               .groupby(["facility", "facility_code", "state"], dropna=False, sort=False)
               .agg(detainers=("source_row", "size"), city=("city", "first")).reset_index()
               .sort_values(["detainers", "facility"], ascending=[False, True]))
    rows = []
    suggestions: dict = {}
    for r in grouped.itertuples(index=False):
        key = (r.facility, r.state)
        if key not in suggestions:
            suggestions[key] = suggest_county(r.facility, r.state, counties)
        fips, basis = suggestions[key]
        rows.append({"Facility": r.facility, "Facility Code": r.facility_code, "City": r.city, "State": r.state,
                     "Detainers": int(r.detainers), "Suggested County FIPS": fips or "",
                     "Suggested County": counties.by_fips[fips].label if fips else "", "Basis": basis})
    return pd.DataFrame(rows)


_WORDS = re.compile(r"[A-Z]+")
COUNTY_MARKERS = {"COUNTY", "CNTY", "CO", "CTY", "PARISH"}


@functools.lru_cache(maxsize=None)
def _county_words(counties: Counties, state: str) -> tuple:
    return tuple((c, _WORDS.findall(c.base_name.upper())) for c in counties.in_state(state))


def suggest_county(facility: str, state: str, counties: Counties) -> tuple[str | None, str]:
    """A county of the facility's own state whose name appears in the facility name, only if exactly one."""
    words = _WORDS.findall(str(facility).upper())
    matches = []
    for county, target in _county_words(counties, state):
        for start in range(len(words) - len(target) + 1):
            if words[start:start + len(target)] == target:
                followed = start + len(target) < len(words) and words[start + len(target)] in COUNTY_MARKERS
                matches.append((county, followed))
                break
    if len(matches) == 1:
        county, followed = matches[0]
        strength = "names the county" if followed else "contains the county's name (check it is not a town)"
        return county.fips, f"facility name {strength}: {county.base_name}"
    if len(matches) > 1:
        return None, "name matches several counties: " + ", ".join(c.label for c, _ in matches)
    return None, "name does not contain a county name of its state"


def link_charges(charges: pd.DataFrame, detainers: pd.DataFrame, problems: list[Problem],
                 label=lambda row, field: field) -> pd.DataFrame:
    """Attach each charge to the declined detainer it follows; unmatched charges are errors, never dropped."""
    declined = detainers[(detainers["row_status"] == "used") & (detainers["outcome"] == "declined")]
    by_id = declined.set_index("detainer_id", drop=False)
    by_id = by_id[~by_id.index.duplicated()]
    with_subject = declined.dropna(subset=["subject_id"]).sort_values("outcome_date")
    by_subject = {s: with_subject.iloc[positions]
                  for s, positions in with_subject.groupby("subject_id").indices.items()} if len(charges) else {}
    linked = charges.copy()
    for column in ("linked_detainer_id", "declined_county_fips", "declined_state", "declined_date"):
        linked[column] = None
    for index, charge in linked[linked["row_status"] == "used"].iterrows():
        match = None
        if isinstance(charge["detainer_id"], str) and charge["detainer_id"]:
            if charge["detainer_id"] in by_id.index:
                match = by_id.loc[charge["detainer_id"]]
            reason, field = f"no declined detainer with ID {charge['detainer_id']}", "detainer_id"
        else:
            candidates = by_subject.get(charge["subject_id"])
            if candidates is not None:
                before = candidates[candidates["outcome_date"] < charge["arrest_date"]]
                match = (before if len(before) else candidates).iloc[-1]
            reason, field = "no declined detainer for this Subject ID", "subject_id"
        if match is None:
            linked.at[index, "row_status"] = "error"
            problems.append(Problem("E403", charge["source_file"], charge["source_sheet"], int(charge["source_row"]),
                                    label(charge, field), str(charge[field]), reason))
            continue
        linked.at[index, "linked_detainer_id"] = match["detainer_id"]
        linked.at[index, "declined_county_fips"] = match["county_fips"]
        linked.at[index, "declined_state"] = match["state"]
        linked.at[index, "declined_date"] = match["outcome_date"]
    linked["declined_date"] = pd.to_datetime(linked["declined_date"]).astype("datetime64[s]")
    linked["subsequent"] = (linked["arrest_date"] > linked["declined_date"]).fillna(False)
    return linked
