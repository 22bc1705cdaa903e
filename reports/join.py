"""Stage 3: combine sheets into one table per kind; duplicates, updates, charges linked to declines.

Jurisdictions are attributed by ``attribution``; staff corrections are applied by ``corrections``.

Joins never drop a row: a row that does not match becomes a problem, and every
row keeps a ``row_status`` ("used" or the reason it was not used).
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from .errors import Problem
from .schema import KINDS
from .frames import CHARGE_LINK_COLUMNS, ROW_STATUS, SOURCE_COLUMNS, STAFF_CHANGE_COLUMNS, read_columns
from .validate import ValidatedSheet


def combine(sheets: list[ValidatedSheet], kind: str) -> pd.DataFrame:
    frames = [s.frame for s in sheets if s.table.kind == kind]
    if not frames:  # no sheet of this kind: an empty frame with the columns and types a sheet would give
        dtypes = {"source_row": "int64"}
        dtypes.update({c.field: "datetime64[s]" for c in KINDS[kind].columns if c.type in ("date", "partial_date")})
        return pd.DataFrame({name: pd.Series(dtype=dtypes.get(name, object)) for name in read_columns(kind)})
    return pd.concat(frames, ignore_index=True)


def _content_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in (*SOURCE_COLUMNS, ROW_STATUS)]


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
        shown = group[content].map(display_value)  # astype(str) keeps blanks as NaN, and NaN != NaN
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
    shared = live[live["detainer_id"].duplicated(keep=False)]  # most IDs occur once: leave them out first
    multi = shared[shared.groupby("detainer_id")["source_file"].transform("nunique") > 1]
    if multi.empty:  # no detainer in two files: nothing superseded, no change to log
        return pd.DataFrame(columns=list(STAFF_CHANGE_COLUMNS))
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
    return pd.DataFrame(changes, columns=list(STAFF_CHANGE_COLUMNS))


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
    """``display_value`` of a whole column, vectorised where the column has one type."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d").fillna("")
    return values.map(display_value)


def display_value(value) -> str:
    """A value as staff read it in a log: blank for a missing value, ISO for a date."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def link_charges(charges: pd.DataFrame, detainers: pd.DataFrame, problems: list[Problem],
                 label=lambda row, field: field) -> pd.DataFrame:
    """Attach each charge to the declined detainer it follows; unmatched charges are errors, never dropped.

    A charge with a Detainer ID follows that declined detainer. Otherwise it follows its Subject ID's latest
    decline before the arrest, or, when every decline of that person is later, the person's latest decline
    (ties broken by Detainer ID, so the link never depends on row order)."""
    declined = detainers[(detainers["row_status"] == "used") & (detainers["outcome"] == "declined")]
    declined = declined[list(CHARGE_LINK_COLUMNS) + ["subject_id"]].sort_values(["outcome_date", "detainer_id"],
                                                                       kind="stable")
    live = charges["row_status"] == "used"
    by_id = charges["detainer_id"].map(lambda v: isinstance(v, str) and v != "") & live
    matched = pd.DataFrame(index=charges.index, columns=list(CHARGE_LINK_COLUMNS), dtype=object)

    first_of_id = declined.drop_duplicates("detainer_id").set_index("detainer_id", drop=False)
    ids = charges.loc[by_id, "detainer_id"]
    found = ids[ids.isin(first_of_id.index)]
    matched.loc[found.index] = first_of_id.loc[found.to_numpy(), list(CHARGE_LINK_COLUMNS)].to_numpy()

    by_subject = live & ~by_id & charges["subject_id"].notna()
    if by_subject.any():
        people = declined.dropna(subset=["subject_id", "outcome_date"])
        wanted = charges.loc[by_subject, ["subject_id", "arrest_date"]].reset_index()
        before = pd.merge_asof(wanted.sort_values("arrest_date"), people, left_on="arrest_date",
                               right_on="outcome_date", by="subject_id", direction="backward",
                               allow_exact_matches=False).set_index("index")
        latest = people.drop_duplicates("subject_id", keep="last").set_index("subject_id")
        fallback = before["detainer_id"].isna() & before["subject_id"].isin(latest.index)
        before.loc[fallback, list(CHARGE_LINK_COLUMNS)] = latest.loc[before.loc[fallback, "subject_id"],
                                                                list(CHARGE_LINK_COLUMNS)].to_numpy()
        hit = before["detainer_id"].notna()
        matched.loc[before.index[hit]] = before.loc[hit, list(CHARGE_LINK_COLUMNS)].to_numpy()

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
    for source, target in CHARGE_LINK_COLUMNS.items():
        linked[target] = matched[source].where(matched[source].notna(), None)
    linked["declined_date"] = pd.to_datetime(linked["declined_date"]).astype("datetime64[s]")
    linked["subsequent"] = (linked["arrest_date"] > linked["declined_date"]).fillna(False)
    return linked
