"""Which county each detainer belongs to, by the strongest evidence there is, and why.

Real ICE data name a facility (code, name, city, state), never a county. Each distinct facility of
the inputs is attributed once, by the first rule that applies (README, "How attribution works"):

1. ``record``: the detainer's own County FIPS (applied per row by ``assign_jurisdictions``);
2. ``staff``: the staff facilities sheet, by facility code, then by normalised name and state;
3. ``reference-code``: the bundled reference (``facility_reference``), by ICE facility code;
4. ``reference-name``: the reference, by normalised name and state, when all matches lie in one county;
5. ``name-names-county``: the name names exactly one county of its own state ("LEHIGH COUNTY JAIL"),
   unless the reference places a facility of the same distinctive words elsewhere;
6. ``reference-words``: every reference facility of the state whose distinctive words are exactly the
   record's lies in one county (a name that is only a place name must also share the record's city);
7. ``city``: every source puts the record's city in one county, no reference facility of that city lies
   elsewhere, and no reference facility sharing the record's distinctive words lies elsewhere;
8. ``none``: not determined. A facility the sources disagree about stops here: staff decide.

Every comparison is an exact comparison of normalised names, words or places (``facility_names``):
no edit distances or similarity scores. Each attribution carries its evidence in words. The reference and
the staff sheet are read into lookups by ``attribution_sources``.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from .attribution_sources import FacilityReference, StaffFacilities, load_reference
from .blank import is_null
from .facility_names import COUNTY_MARKERS, distinctive_words, name_keys, place_key, squash
from .facility_reference import DISAGREE
from .jurisdiction import resolve_jurisdictions
from .reference import NOT_DETERMINED, Counties

RECORD, STAFF, REFERENCE_CODE, REFERENCE_NAME = "record", "staff", "reference-code", "reference-name"
NAME_NAMES_COUNTY, REFERENCE_WORDS, CITY, NONE = "name-names-county", "reference-words", "city", "none"
CORRECTION = "correction"  # set by a correction sheet (corrections.apply_*_corrections)
METHODS = (RECORD, STAFF, REFERENCE_CODE, REFERENCE_NAME, NAME_NAMES_COUNTY, REFERENCE_WORDS, CITY, NONE)
# Strongest first; staff review sheets list the weakest first.
METHOD_DESCRIPTIONS = {
    RECORD: "the detainer's own County FIPS",
    STAFF: "the staff facilities sheet",
    REFERENCE_CODE: "the bundled facility reference, by ICE facility code",
    REFERENCE_NAME: "the bundled facility reference, by facility name",
    NAME_NAMES_COUNTY: "the facility's name names the county",
    REFERENCE_WORDS: "the bundled facility reference, by the distinctive words of the name",
    CITY: "the facility's city lies in one county",
    NONE: NOT_DETERMINED,
    CORRECTION: "a correction recorded by staff",
}


@dataclass(frozen=True)
class Attribution:
    fips: str | None
    method: str
    evidence: str


# --- the rules ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _county_index(counties: Counties, state: str) -> dict[str, list[tuple[str, str]]]:
    """squashed county base name -> [(fips, marker)] for the counties of a state."""
    index = defaultdict(list)
    for county in counties.in_state(state):
        marker = next((m for m, word in COUNTY_MARKERS.items() if county.name.endswith(word)), None)
        if marker:
            index[squash(county.base_name)].append((county.fips, marker))
    return dict(index)


def counties_named(key: str, state: str, counties: Counties) -> set[str]:
    """Counties of the state that a normalised name names as '<name> COUNTY' (or PARISH, BOROUGH)."""
    words = key.split()
    index = _county_index(counties, state)
    named = set()
    for i, word in enumerate(words):
        if word not in COUNTY_MARKERS:
            continue
        for span in range(min(i, 4), 0, -1):  # the longest name first: "JEFFERSON DAVIS PARISH"
            hits = [fips for fips, marker in index.get("".join(words[i - span:i]), []) if marker == word]
            if hits:
                named.update(hits)
                break
    return named


def _one_county(entries) -> str | None:
    found = {e.fips for e in entries}
    return next(iter(found)) if len(found) == 1 else None


def _label(fips: str, counties: Counties) -> str:
    return counties.by_fips[fips].label


def _entries_text(entries, limit: int = 3) -> str:
    shown = "; ".join(e.describe() for e in sorted(entries, key=lambda e: e.id)[:limit])
    return shown + (f"; and {len(entries) - limit} more" if len(entries) > limit else "")


def attribute_facility(code, name, city, state, staff: StaffFacilities, reference: FacilityReference,
                       counties: Counties) -> Attribution:
    """The county of one facility (rules 2 to 8 of the module docstring), with the evidence in words."""
    if state is None:
        return Attribution(None, NONE, "the record has no valid state")
    code = code.strip() if isinstance(code, str) else ""
    keys = name_keys(name, state)
    word_sets = [w for w in dict.fromkeys(distinctive_words(k) for k in keys) if w]
    notes = []

    # 2. staff
    if code and (state, code) in staff.by_code:
        fips, where = staff.by_code[(state, code)]
        return Attribution(fips, STAFF, f"facilities sheet {where}, by facility code {code}")
    for key in keys:
        if (state, key) in staff.by_key:
            fips, where = staff.by_key[(state, key)]
            return Attribution(fips, STAFF, f"facilities sheet {where}, by facility name")

    # 3. reference by code
    if code and code in reference.disputed_by_code:
        return Attribution(None, NONE, f"{DISAGREE} about facility code {code}: {reference.disputed_by_code[code]}")
    if code and code in reference.by_code:
        entries = reference.by_code[code]
        mine = [e for e in entries if e.state == state]
        if not mine:
            return Attribution(None, NONE, f"facility code {code} is {_entries_text(entries)} in "
                                           f"{entries[0].state}, but the record's state is {state}")
        entry = mine[0]
        return Attribution(entry.fips, REFERENCE_CODE, f"ICE facility code {code}: {entry.describe()}; "
                                                      f"county from {entry.established}")
    if code:
        notes.append(f"facility code {code} is not in the reference")

    # 4. reference by name
    for key in keys:
        if (state, key) in reference.disputed_by_key:
            return Attribution(None, NONE, f"{DISAGREE} about {key}: {reference.disputed_by_key[(state, key)]}")
    for n, key in enumerate(keys):  # the name in full first, then without its parenthesised part
        by_name = {e.id: e for e in reference.by_key.get((state, key), [])}
        if not by_name:
            continue
        fips = _one_county(by_name.values())
        how = "same name" if n == 0 else f"same name without its parenthesised part ({key})"
        if fips:
            return Attribution(fips, REFERENCE_NAME, f"{how} as {_entries_text(list(by_name.values()))}")
        notes.append(f"{how} as reference facilities in several counties: {_entries_text(list(by_name.values()))}")
        break

    same_words = {e.id: e for words in word_sets for e in reference.by_words.get((state, words), [])}

    # 5. the name names a county of its own state
    named = set().union(*(counties_named(k, state, counties) for k in keys)) if keys else set()
    if len(named) == 1:
        fips = next(iter(named))
        elsewhere = [e for e in same_words.values() if e.fips != fips]
        if not elsewhere:
            return Attribution(fips, NAME_NAMES_COUNTY, f"the name names {_label(fips, counties)}")
        notes.append(f"the name names {_label(fips, counties)}, but the reference has "
                     f"{_entries_text(elsewhere)} in {_label(elsewhere[0].fips, counties)}")
    elif len(named) > 1:
        notes.append("the name names several counties: " + ", ".join(_label(f, counties) for f in sorted(named)))

    # 6. the distinctive words
    city_key = place_key(city)
    place_names = reference.place_words.get(state, set())
    matches = {}
    for words in word_sets:
        found = reference.by_words.get((state, words), [])
        if words in place_names:  # "BOSTON HOLD ROOM": the facility must also be in the record's city
            found = [e for e in found if city_key and place_key(e.city) == city_key]
        matches.update({e.id: e for e in found})
    if matches:
        fips = _one_county(matches.values())
        words_text = ", ".join(sorted(set().union(*word_sets)))
        if fips:
            return Attribution(fips, REFERENCE_WORDS, f"distinctive words {words_text}: "
                                                      f"{_entries_text(list(matches.values()))}")
        notes.append(f"facilities with the words {words_text} lie in several counties")

    # 7. the city
    if city_key:
        by_source = reference.places.get((state, city_key), {})
        found = set().union(*by_source.values()) if by_source else set()
        if not (by_source.get("agencies") or by_source.get("prisons")):
            notes.append(f"{city} is not in the gazetteer of {state}")
        elif len(found) > 1:
            notes.append(f"{city} lies in several counties: " + ", ".join(_label(f, counties) for f in sorted(found)))
        else:
            fips = next(iter(found))
            in_city = [e for e in reference.in_state.get(state, []) if place_key(e.city) == city_key and e.fips != fips]
            sharing = [e for e in reference.in_state.get(state, []) if e.fips != fips and any(
                w and (mine <= w or w <= mine) for w in e.words for mine in word_sets)]
            if in_city:
                notes.append(f"the reference has {_entries_text(in_city)} in {city} but in another county")
            elif sharing:
                notes.append(f"{city} lies in {_label(fips, counties)}, but the name points elsewhere: "
                             f"{_entries_text(sharing)} in {_label(sharing[0].fips, counties)}")
            else:
                return Attribution(fips, CITY, f"every source puts {city} in {_label(fips, counties)}")
    else:
        notes.append("the record has no city")
    return Attribution(None, NONE, "; ".join(notes) or "no rule applies")


FACILITY_KEY = ["facility_code", "facility", "city", "state"]


def distinct_facilities(detainers: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """(each distinct facility key (code, name, city, state; a blank is a value of its own) in order of first
    appearance, for each detainer the position of its key in that frame). Column by column with factorize: no
    row-by-row hashing of four text columns and no merge back onto every detainer."""
    group = group_codes(detainers, FACILITY_KEY)
    first = np.unique(group, return_index=True)[1]  # groups are numbered in order of first appearance
    return detainers[FACILITY_KEY].iloc[first].reset_index(drop=True), group


def group_codes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """For each row, the number of its distinct combination of ``columns`` (0, 1, … in order of first
    appearance; a blank is a value of its own). Column by column with factorize, in C."""
    group = np.zeros(len(frame), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)  # blank: -1
        group, _ = pd.factorize(group * (len(uniques) + 1) + codes + 1)  # stays below the number of rows
    return group


def attribute_facilities(keys: pd.DataFrame, staff: StaffFacilities, counties: Counties,
                         reference: FacilityReference | None = None, known: pd.DataFrame | None = None
                         ) -> pd.DataFrame:
    """``keys`` (distinct facilities, as ``distinct_facilities`` gives them) in the same order, with their
    attribution; facilities already in ``known`` (an earlier result with the same staff sheet) are not
    attributed again."""
    if known is not None and len(known):
        found = keys.merge(known, on=FACILITY_KEY, how="left", validate="one_to_one")
        todo = found["attribution_method"].isna().to_numpy()
    else:
        found = keys.assign(attributed_fips=None, attribution_method=None, attribution_evidence=None)
        todo = np.ones(len(keys), dtype=bool)
    if todo.any():
        reference = reference or load_reference()
    results = [attribute_facility(*(None if is_null(v) else v for v in row), staff, reference, counties)
               for row in keys[todo].itertuples(index=False, name=None)]
    columns = {"attributed_fips": [r.fips for r in results], "attribution_method": [r.method for r in results],
               "attribution_evidence": [r.evidence for r in results]}
    out = found.astype({c: object for c in columns})
    for column, values in columns.items():
        out.loc[todo, column] = pd.Series(values, index=out.index[todo], dtype=object)
    return out


def assign_jurisdictions(detainers: pd.DataFrame, staff: StaffFacilities, counties: Counties,
                         reference: FacilityReference | None = None, known: pd.DataFrame | None = None
                         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(a new frame with county_fips, jurisdiction_source, jurisdiction_evidence, county_name,
    county_population; the attribution of every facility, to pass as ``known`` to a later call).

    The record's own County FIPS wins; otherwise the facility's attribution."""
    keys, group = distinct_facilities(detainers)
    by_facility = attribute_facilities(keys, staff, counties, reference, known)

    def per_detainer(column: str) -> pd.Series:
        return pd.Series(by_facility[column].to_numpy(dtype=object)[group], index=detainers.index, dtype=object)

    own = detainers["county_fips"]
    has_own = own.notna()
    out = resolve_jurisdictions(detainers, own.where(has_own, per_detainer("attributed_fips")),
                                per_detainer("attribution_method").where(~has_own, RECORD),
                                per_detainer("attribution_evidence").where(~has_own, "County FIPS in the record"),
                                counties)
    return out, by_facility


REVIEW_COLUMNS = ["Facility", "Facility Code", "State", "County FIPS", "County", "Method", "Evidence", "City",
                  "Detainers", "Detainers by method"]


def attribution_review(detainers: pd.DataFrame, counties: Counties) -> pd.DataFrame:
    """Staff review: every facility seen, its detainers, county, method and evidence, weakest methods first.

    The first four columns are laid out as a facilities sheet, so staff copy a row to confirm or override.
    A facility whose detainers were attributed in several ways (some carry their own FIPS) shows its most
    frequent method (the stronger one on a tie) and lists them all."""
    used = ["facility", "facility_code", "city", "state", "county_fips", "jurisdiction_source", "jurisdiction_evidence"]
    live = detainers.loc[detainers["row_status"] == "used", used]  # only the columns the review reads
    if live.empty:
        return pd.DataFrame(columns=REVIEW_COLUMNS)
    keys = ["facility", "_code", "_city", "_state"]
    frame = live.assign(_code=live["facility_code"].fillna(""), _city=live["city"].fillna(""),
                        _state=live["state"].fillna(""), _fips=live["county_fips"].fillna(""))
    strength = {m: i for i, m in enumerate((*METHODS[:-1], CORRECTION, NONE))}
    by_fips = _first_of_each_group(frame, [*keys, "jurisdiction_source", "_fips"],
                                   frame.rename(columns={"jurisdiction_evidence": "evidence"})["evidence"])
    by_fips = by_fips.sort_values(["n", "_fips"], ascending=[False, True], kind="stable")
    per_method = _first_of_each_group(by_fips, [*keys, "jurisdiction_source"], by_fips["evidence"],
                                      by_fips["_fips"].rename("fips"), counts=by_fips["n"])
    per_method["_strength"] = per_method["jurisdiction_source"].map(lambda m: strength.get(m, len(strength)))
    per_method = per_method.sort_values([*keys, "n", "_strength"], ascending=[True] * 4 + [False, True],
                                        kind="stable")
    # a facility's methods, in the order just sorted, and its detainers: a few thousand rows, where a pandas
    # groupby with a string join cost more than the rest of the review
    parts: dict[tuple, list[str]] = {}
    detainers_of: dict[tuple, int] = {}
    for key, method, n in zip(zip(*(per_method[k] for k in keys)), per_method["jurisdiction_source"],
                              per_method["n"]):
        parts.setdefault(key, []).append(f"{method}: {n:,}")
        detainers_of[key] = detainers_of.get(key, 0) + int(n)
    main = per_method.drop_duplicates(keys).set_index(keys)
    review = pd.DataFrame({
        "Facility": main.index.get_level_values(0), "Facility Code": main.index.get_level_values(1),
        "State": main.index.get_level_values(3), "County FIPS": main["fips"].to_numpy(),
        "County": [counties.by_fips[f].label if f else "" for f in main["fips"]],
        "Method": main["jurisdiction_source"].to_numpy(), "Evidence": main["evidence"].to_numpy(),
        "City": main.index.get_level_values(2), "Detainers": [detainers_of[key] for key in main.index],
        "Detainers by method": [", ".join(parts[key]) for key in main.index]}, columns=REVIEW_COLUMNS)
    weakest = {m: i for i, m in enumerate(reversed(METHODS))}
    order = review["Method"].map(lambda m: weakest.get(m, len(weakest)))
    return (review.assign(_order=order).sort_values(["_order", "Detainers", "Facility"], ascending=[True, False, True],
                                                    kind="stable")
            .drop(columns="_order").reset_index(drop=True))


def _first_of_each_group(frame: pd.DataFrame, keys: list[str], *firsts: pd.Series,
                         counts: pd.Series | None = None) -> pd.DataFrame:
    """One row per distinct ``keys`` in order of first appearance: the keys, each of ``firsts`` as in the
    group's first row, and ``n``, the group's rows (or the sum of its ``counts``). What
    ``groupby(sort=False, dropna=False).agg(first/size/sum)`` gives, without its cost on the small frames of
    most runs."""
    group = group_codes(frame, keys)
    first = np.unique(group, return_index=True)[1]
    weights = None if counts is None else counts.to_numpy(dtype=np.int64)
    n = np.bincount(group, weights=weights, minlength=len(first)).astype(np.int64)
    out = frame[keys].iloc[first].reset_index(drop=True)
    for column in firsts:
        out[column.name] = column.iloc[first].to_numpy()
    return out.assign(n=n)


def method_counts(detainers: pd.DataFrame) -> dict[str, int]:
    """Detainers per attribution method, every method present (zeros included), strongest first."""
    counts = detainers["jurisdiction_source"].value_counts()
    return {m: int(counts.get(m, 0)) for m in (*METHODS[:-1], CORRECTION, NONE)}
