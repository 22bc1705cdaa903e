"""Detainer IDs for layouts without an ID column, stable across runs and exports."""
from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd

from .blank import is_blank, is_null
from .errors import Problem
from .ingest import SheetTable
from .input_files import file_fingerprint
from .schema import KINDS
from .parsers import EXCEL_1900_EPOCH, EXCEL_1904_EPOCH

def assign_ids(table: SheetTable, frame: pd.DataFrame, problems: list[Problem]) -> list[str]:
    """Give every detainer of a layout without an ID column an ID, stable across runs and exports; the data
    notes to print about them."""
    identity = table.layout.identity
    if identity == "column":
        return []
    if identity == "row-content":
        _assign_content_ids(table, frame, problems)
        return []
    n = len(frame)
    parts = []
    for f in identity:
        if KINDS["detainers"].column(f).type == "date" and f in table.values:  # nearly all distinct: no factorize
            parts.append(np.asarray(_datetime_keys(table.values[f], table.date1904), dtype=object))
        else:
            parts.append(_keyed(frame[f].tolist(), _text_keys, vectorised=True) if f in frame.columns
                         else np.full(n, "", dtype=object))
    columns = [part.tolist() for part in parts]
    incomplete_mask = np.zeros(n, dtype=bool)
    for part in parts:
        incomplete_mask |= part == ""
    keys = ["|".join(fields) for fields in zip(*columns)] if columns else [""] * n
    for i in np.flatnonzero(incomplete_mask).tolist():
        keys[i] = None
    # rows sharing the identity fields in one file are one detainer, unless a tie-break field differs
    tiebreak_fields = [f for f in table.layout.identity_tiebreak if f in frame.columns]
    shared = pd.Series(keys, dtype=object)
    shared = shared[shared.notna() & shared.duplicated(keep=False)]
    for key, members in shared.groupby(shared, sort=False).groups.items():
        members = members.tolist()
        tiebreak = [tuple(_text_key(frame.at[i, f]) for f in tiebreak_fields) for i in members]
        if len(set(tiebreak)) > 1:
            for i, extra in zip(members, tiebreak):
                keys[i] = "|".join((key, *extra))
    ids = ["ice-" + hashlib.sha1(k.encode("utf-8")).hexdigest()[:16] if k is not None else None for k in keys]
    incomplete = [i for i, k in enumerate(keys) if k is None]
    notes = []
    if incomplete:  # no subject identifier: nothing stable to match across files, so the row stands alone
        content = _content_ids(table, frame.loc[incomplete])
        for i, derived in zip(incomplete, content):
            ids[i] = derived
        names = " and ".join(KINDS["detainers"].column(f).name for f in identity)
        notes.append(f"holds {len(incomplete):,} {'row' if len(incomplete) == 1 else 'rows'} without a {names}: "
                     "each is counted as a separate detainer and cannot be matched with the same detainer in "
                     "another file.")
    frame["detainer_id"] = pd.Series(ids, index=frame.index, dtype=object)
    return notes


def _keyed(values, key, vectorised: bool = False) -> np.ndarray:
    """``key`` of every value, computed once per distinct value (``vectorised``: key takes them all at once)."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
    keyed = np.empty(len(uniques), dtype=object)
    keyed[:] = key(list(uniques)) if vectorised else [key(u) for u in uniques]
    return keyed[codes]


def _datetime_keys(values: list, date1904: bool) -> list[str]:
    """``_datetime_key`` of many values; date-times (most of a national export) are formatted by pandas."""
    stamps = [i for i, v in enumerate(values) if isinstance(v, dt.datetime)]
    keys = [None if isinstance(v, dt.datetime) else _datetime_key(v, date1904) for v in values]
    if stamps:
        seconds = (pd.to_datetime(pd.Series([values[i] for i in stamps], dtype=object))
                   .add(pd.Timedelta(milliseconds=500)).dt.floor("s"))
        if seconds.dt.year.between(1000, 9999).all():  # numpy writes the same text as strftime, much faster
            formatted = np.datetime_as_string(seconds.to_numpy().astype("datetime64[s]"), unit="s").tolist()
        else:
            formatted = seconds.dt.strftime("%Y-%m-%dT%H:%M:%S").tolist()
        for i, text in zip(stamps, formatted):
            keys[i] = text
    return keys


def _text_keys(values: list) -> list[str]:
    if all(type(v) is str for v in values):  # a column of texts (an export's IDs): no per-value type tests
        return [v.strip() for v in values]
    return [_text_key(v) for v in values]


def _text_key(value) -> str:
    if is_null(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value).strip()


def _datetime_key(value, date1904: bool) -> str:
    """A date cell with its time of day, the same whether the export came as a workbook or as text."""
    if is_blank(value):
        return ""
    if isinstance(value, dt.datetime):  # to the second, whichever reader rounded the cell's fraction of a day
        return (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):  # a date-only cell is midnight, as the same cell read as a date-time
        return dt.datetime.combine(value, dt.time()).isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        epoch = dt.datetime.combine(EXCEL_1904_EPOCH if date1904 else EXCEL_1900_EPOCH, dt.time())
        return (epoch + dt.timedelta(seconds=round(float(value) * 86400))).isoformat()
    text = str(value).strip()
    for parse in (dt.datetime.fromisoformat, *(lambda t, f=f: dt.datetime.strptime(t, f) for f in _US_TIMES)):
        try:
            return parse(text).isoformat()
        except ValueError:
            continue
    return text


_US_TIMES = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y")


def _content_ids(table: SheetTable, frame: pd.DataFrame) -> list[str]:
    """IDs from the file and the row's content, with an occurrence number: identical rows stay separate."""
    columns = [frame[f].tolist() for f in table.values]
    keys = ["|".join(_text_key(v) for v in values) for values in zip(*columns)]
    digests = pd.Series([hashlib.sha1(k.encode("utf-8")).hexdigest()[:16] for k in keys], dtype=object)
    occurrence = digests.groupby(digests).cumcount() + 1
    return list(f"{file_fingerprint(table.file)}-" + digests + "-" + occurrence.astype(str))


def _assign_content_ids(table: SheetTable, frame: pd.DataFrame, problems: list[Problem]) -> None:
    """A layout with no IDs at all. Identical rows may be two people on the same day at the same jail, so
    they stay separate detainers; they are reported (W411), by content, so staff can check."""
    ids = _content_ids(table, frame)
    frame["detainer_id"] = pd.Series(ids, index=frame.index, dtype=object)
    first_row: dict = {}
    repeats = []
    for row_number, detainer_id in zip(table.record_rows, ids):
        digest, occurrence = detainer_id.rsplit("-", 1)
        if occurrence == "1":
            first_row[digest] = row_number
        else:
            repeats.append((row_number, first_row[digest]))
    if repeats:
        examples = ", ".join(f"row {r} repeats row {f}" for r, f in repeats[:5]) + (" …" if len(repeats) > 5 else "")
        problems.append(Problem("W411", table.file, table.sheet, message=(
            f"{len(repeats):,} {'row repeats' if len(repeats) == 1 else 'rows repeat'} an earlier row exactly "
            f"({examples}); the {table.layout.name} has no IDs, so each is counted as a separate detainer")))
