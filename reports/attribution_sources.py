"""The evidence attribution draws on, as lookups: the bundled facility reference and the staff facilities sheet."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from .errors import Problem
from .facility_names import distinctive_words, name_keys, tokens
from .facility_reference import DISAGREE, PLACE_SOURCES, load_rows
from .wording import source_reference


@dataclass(frozen=True)
class Entry:
    """One facility of the bundled reference."""

    id: str
    code: str
    name: str
    city: str
    state: str
    fips: str
    source: str
    established: str
    keys: tuple[str, ...]

    @property
    def words(self) -> tuple[frozenset, ...]:
        return tuple(w for w in (distinctive_words(k) for k in self.keys) if w)

    def describe(self) -> str:
        code = f" ({self.code})" if self.code else ""
        return f"{self.name}{code}, {self.city}"


@dataclass
class FacilityReference:
    by_code: dict[str, list[Entry]] = field(default_factory=dict)
    by_key: dict[tuple[str, str], list[Entry]] = field(default_factory=dict)
    by_words: dict[tuple[str, frozenset], list[Entry]] = field(default_factory=dict)
    in_state: dict[str, list[Entry]] = field(default_factory=dict)
    disputed_by_code: dict[str, str] = field(default_factory=dict)  # code -> what the sources say
    disputed_by_key: dict[tuple[str, str], str] = field(default_factory=dict)
    places: dict[tuple[str, str], dict[str, set[str]]] = field(default_factory=dict)
    place_words: dict[str, set[frozenset]] = field(default_factory=dict)


@lru_cache(maxsize=1)
def load_reference() -> FacilityReference:
    rows = load_rows()
    ref = FacilityReference()
    by_code, by_key, by_words, in_state = (defaultdict(list) for _ in range(4))
    for row in rows["facilities"]:
        entry = Entry(row["id"], row["facility_code"], row["name"], row["city"], row["state"], row["county_fips"],
                      row["source"], row["established"], tuple(k for k in row["name_keys"].split(" | ") if k))
        if entry.code:
            by_code[entry.code].append(entry)
        for key in entry.keys:
            by_key[(entry.state, key)].append(entry)
        for words in set(entry.words):
            by_words[(entry.state, words)].append(entry)
        in_state[entry.state].append(entry)
    for row in rows["excluded"]:
        if row["reason"] != DISAGREE:
            continue  # unconfirmed: nothing contradicts the weaker rules
        if row["facility_code"]:
            ref.disputed_by_code[row["facility_code"]] = row["evidence"]
        for key in row["name_keys"].split(" | "):
            if key:
                ref.disputed_by_key[(row["state"], key)] = row["evidence"]
    place_words = defaultdict(set)
    for row in rows["places"]:
        ref.places[(row["state"], row["place"])] = {s: set(filter(None, row[s].split(";"))) for s in PLACE_SOURCES}
        place_words[row["state"]].add(frozenset({row["place"]}))
        for spelling in row["names"].split(" | "):
            place_words[row["state"]].add(distinctive_words(" ".join(tokens(spelling))))
    ref.by_code, ref.by_key, ref.by_words, ref.in_state = dict(by_code), dict(by_key), dict(by_words), dict(in_state)
    ref.place_words = dict(place_words)
    return ref


# --- the staff facilities sheet ---------------------------------------------------------------------------


@dataclass
class StaffFacilities:
    """Facility -> county as staff mapped it; each value is (fips, where staff wrote it)."""

    by_code: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    by_key: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)


def staff_facilities(facilities: pd.DataFrame, problems: list[Problem], label=lambda row, field: field
                     ) -> tuple[StaffFacilities, pd.DataFrame]:
    """The staff facilities sheets as lookups. A facility mapped to two counties is an error (E402) and maps
    nothing. Returns a new facilities frame with those rows' status set to error."""
    facilities = facilities.copy()
    live = facilities[facilities["row_status"] == "used"]
    staff = StaffFacilities()
    keyed: dict[tuple, list] = defaultdict(list)  # (table, state, key) -> [index] of rows giving it in full
    shortened: dict[tuple, list] = defaultdict(list)  # (state, key) -> [index] of rows whose name shortens to it
    for index, row in live.iterrows():
        if isinstance(row["facility_code"], str) and row["facility_code"].strip():
            keyed[("code", row["state"], row["facility_code"].strip())].append(index)
        full, *shorter = name_keys(row["facility"], row["state"]) or ("",)
        if full:
            keyed[("name", row["state"], full)].append(index)
        for key in shorter:
            shortened[(row["state"], key)].append(index)
    conflicted: set = set()
    for (table, state, key), indexes in keyed.items():
        counties = sorted({live.at[i, "county_fips"] for i in indexes})
        if len(counties) > 1:  # one facility, by its code or its full name, in two counties: staff must choose
            conflicted.update(indexes)
            continue
        target = staff.by_code if table == "code" else staff.by_key
        target[(state, key)] = (counties[0], source_reference(live.loc[indexes[0]]))
    # "X (OAK PARK HEIGHTS)" and "X (RUSH CITY)" both shorten to "X": two facilities, not a conflict. The short
    # name maps only where it is no other row's full name and all rows shortening to it agree on the county.
    for (state, key), indexes in shortened.items():
        counties = sorted({live.at[i, "county_fips"] for i in indexes})
        if ("name", state, key) not in keyed and len(counties) == 1 and not set(indexes) & conflicted:
            staff.by_key[(state, key)] = (counties[0], source_reference(live.loc[indexes[0]]))
    for index in sorted(conflicted):
        row = live.loc[index]
        others = sorted({live.at[i, "county_fips"] for (t, s, k), ii in keyed.items() if index in ii
                         for i in ii})
        facilities.at[index, "row_status"] = "error"
        problems.append(Problem("E402", row["source_file"], row["source_sheet"], int(row["source_row"]),
                                label(row, "county_fips"), row["county_fips"],
                                f"{row['facility']} ({row['state']}) is mapped to {', '.join(others)}"))
    if conflicted:  # rows in conflict map nothing, by code or by name
        bad = {(t, s, k) for (t, s, k), ii in keyed.items() if set(ii) & conflicted}
        for table, state, key in bad:
            (staff.by_code if table == "code" else staff.by_key).pop((state, key), None)
    return staff, facilities
