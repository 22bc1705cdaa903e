"""The bundled facility -> county reference: built from public sources, shipped as CSV, loaded at run time.

    python -m reports.facility_reference build    # rewrite reports/data/facility-reference/*.csv

Sources (raw, unedited, in ``reports/data/facility-sources/``; provenance in its README):
- ICE's Facility List Report of 2017-11-06: facility codes (DETLOC, what ICE exports call Detention
  Facility Code), names, cities, and a county NAME that is sometimes wrong, so never trusted alone;
- HIFLD Prison Boundaries (2024): every US prison and jail with its county FIPS;
- HIFLD Local Law Enforcement Locations (2024): a gazetteer of city -> county pairs.

How a county is established (the ``established`` column says which, for every entry):
- a HIFLD facility: its own county FIPS;
- an ICE facility: the county of the HIFLD facility of the same name in the same state (or, failing
  that, of the same distinctive words in the same city), provided ICE's county field does not name
  another county; else ICE's county field confirmed by the city gazetteer (every source puts the
  facility's city in that one county). ICE's county field alone never establishes anything.
Where the sources disagree, the facility is left out and listed in ``excluded.csv`` for staff; where
only one weak source speaks, it is listed there as unconfirmed.

Outputs (``reports/data/facility-reference/``): ``facilities.csv`` (one row per facility, every
spelling in ``aliases``), ``excluded.csv``, ``places.csv`` (city -> counties, per source).
"""
from __future__ import annotations

import csv
import io
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .facility_names import COUNTY_MARKERS, distinctive_words, name_keys, place_key, squash, tokens
from .reference import Counties, load_counties
from .resources import package_path
from .vocabulary import STATES

DATA_DIR = package_path("data")
SOURCES_DIR = DATA_DIR / "facility-sources"
REFERENCE_DIR = DATA_DIR / "facility-reference"
ICE_LIST = SOURCES_DIR / "ice_facility_list_2017-11-06.psv"
HIFLD_PRISONS = SOURCES_DIR / "hifld_prison_boundaries.csv"
HIFLD_AGENCIES = SOURCES_DIR / "hifld_local_law_enforcement.csv"
ICE_SOURCE = "ICE facility list 2017-11-06"
HIFLD_SOURCE = "HIFLD prison boundaries 2024"
AGENCIES_SOURCE = "HIFLD law enforcement 2024"
ICE_TITLE_ROWS = 8

# County FIPS codes renamed since the sources were drawn up, to the code the Census 2019 list uses.
RENAMED_FIPS = {"02270": "02158", "46113": "46102", "51515": "51019"}

FACILITY_COLUMNS = ["id", "facility_code", "name", "normalised_name", "city", "state", "county_fips", "county",
                    "source", "established", "aliases", "name_keys"]
EXCLUDED_COLUMNS = ["id", "facility_code", "name", "city", "state", "reason", "evidence", "name_keys"]
PLACE_SOURCES = ("agencies", "prisons", "ice")  # which source puts the place in which county
PLACE_COLUMNS = ["state", "place", *PLACE_SOURCES, "names"]
DISAGREE = "sources disagree"
UNCONFIRMED = "not confirmed by a second source"


@dataclass
class SourceFacility:
    id: str
    source: str
    code: str
    name: str
    city: str
    state: str
    fips: str | None  # HIFLD: its own county; ICE: as established (None until then)
    county_text: str = ""  # ICE's county field, as written
    keys: tuple[str, ...] = ()
    established: str = ""


@dataclass
class Built:
    facilities: list[dict] = field(default_factory=list)
    excluded: list[dict] = field(default_factory=list)
    places: list[dict] = field(default_factory=list)


# --- reading the raw sources -----------------------------------------------------------------------------


def _read_ice(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    reader = csv.reader(lines[ICE_TITLE_ROWS:], delimiter="|")
    header = next(reader)
    return [dict(zip(header, row)) for row in reader if row and row[0] != "Redacted"]


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _fips(value: str, counties: Counties) -> str | None:
    code = RENAMED_FIPS.get(value.strip().zfill(5), value.strip().zfill(5))
    return code if code in counties.by_fips else None


def county_by_name(text: str, state: str, counties: Counties) -> set[str]:
    """Counties of a state whose name (without 'County', 'Parish', ...) is this text: 'MC KEAN' -> McKean."""
    key = squash(text)
    for marker in COUNTY_MARKERS:
        if key.endswith(squash(marker)) and len(key) > len(marker):
            key = key[: -len(squash(marker))]
    return {c.fips for c in counties.in_state(state) if squash(c.base_name) == key} if key else set()


# --- building --------------------------------------------------------------------------------------------


def build(counties: Counties | None = None) -> Built:
    counties = counties or load_counties()
    hifld = _hifld_facilities(counties)
    places = _places(hifld, counties)
    ice = _ice_facilities(counties)
    by_key: dict[tuple[str, str], list[SourceFacility]] = defaultdict(list)
    by_words_city: dict[tuple, list[SourceFacility]] = defaultdict(list)
    for h in hifld:
        for key in h.keys:
            by_key[(h.state, key)].append(h)
            by_words_city[(h.state, distinctive_words(key), place_key(h.city))].append(h)

    place_words = place_word_sets(places)
    built = Built()
    dropped_hifld: set[str] = set()
    for facility in ice:
        matches, matched_by = _hifld_matches(facility, by_key, by_words_city, place_words.get(facility.state, set()))
        named = county_by_name(facility.county_text, facility.state, counties)
        in_city = _single_county(places.get((facility.state, place_key(facility.city)), {}), ignore=("ice",))
        fips, how = _establish(facility, matches, matched_by, named, in_city, counties)
        if fips is None:  # left out: `how` is (reason, evidence)
            reason, evidence = how
            built.excluded.append(_excluded_row(facility, reason, evidence))
            if reason == DISAGREE:
                for h in matches:
                    dropped_hifld.add(h.id)
                    built.excluded.append(_excluded_row(h, reason, f"same facility as ICE {facility.code}: {evidence}"))
            continue
        facility.fips, facility.established = fips, how
    established = [f for f in ice if f.fips] + [h for h in hifld if h.id not in dropped_hifld]
    built.facilities = _merge(established, counties)
    built.places = [{"state": state, "place": place,
                     **{source: ";".join(sorted(by_source.get(source, ()))) for source in PLACE_SOURCES},
                     "names": " | ".join(sorted(by_source.get("names", ())))}
                    for (state, place), by_source in sorted(places.items())]
    built.excluded.sort(key=lambda r: (r["state"], r["name"], r["id"]))
    return built


def _hifld_facilities(counties: Counties) -> list[SourceFacility]:
    out = []
    for row in _read_csv(HIFLD_PRISONS):
        fips = _fips(row["countyfips"], counties)
        if fips is None:
            continue  # Puerto Rico, Connecticut's planning regions: not counties of the Census 2019 list
        state = counties.by_fips[fips].state
        if row["state"] and row["state"] != state:
            continue  # its state and county FIPS contradict each other: neither is used
        out.append(SourceFacility(f"hifld:{row['facilityid']}", HIFLD_SOURCE, "", row["name"].strip(),
                                  row["city"].strip(), state, fips, keys=name_keys(row["name"], state),
                                  established="HIFLD county FIPS"))
    return out


def _ice_facilities(counties: Counties) -> list[SourceFacility]:
    out = []
    for row in _read_ice(ICE_LIST):
        state = row["State"].strip()
        if state not in STATES:
            continue
        out.append(SourceFacility(f"ice:{row['DETLOC'].strip()}", ICE_SOURCE, row["DETLOC"].strip(),
                                  row["Name"].strip(), row["City"].strip(), state, None,
                                  county_text=row["County"].strip(), keys=name_keys(row["Name"], state)))
    return out


def _places(hifld: list[SourceFacility], counties: Counties) -> dict[tuple[str, str], dict[str, set[str]]]:
    """(state, place) -> {source: counties that source puts the place in}."""
    places: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in _read_csv(HIFLD_AGENCIES):
        fips = _fips(row["countyfips"], counties)
        if fips and row["city"].strip():
            entry = places[(counties.by_fips[fips].state, place_key(row["city"]))]
            entry["agencies"].add(fips)
            entry["names"].add(row["city"].strip().upper())
    for h in hifld:
        if h.city:
            entry = places[(h.state, place_key(h.city))]
            entry["prisons"].add(h.fips)
            entry["names"].add(h.city.upper())
    for row in _read_ice(ICE_LIST):
        state = row["State"].strip()
        named = county_by_name(row["County"], state, counties) if state in STATES else set()
        if len(named) == 1 and row["City"].strip():
            entry = places[(state, place_key(row["City"]))]
            entry["ice"] |= named
            entry["names"].add(row["City"].strip().upper())
    return {k: dict(v) for k, v in places.items() if k[1]}


def _single_county(by_source: dict[str, set[str]], ignore=()) -> str | None:
    """The one county every source puts a place in, or None (unknown, or sources disagree)."""
    found = set().union(*(v for k, v in by_source.items() if k not in ignore and k != "names")) if by_source else set()
    return next(iter(found)) if len(found) == 1 else None


def place_word_sets(places) -> dict[str, set[frozenset]]:
    """Per state, the distinctive words of every place name as the sources spell it: a facility name made
    of nothing else ("PITTSBURGH HOLD ROOM") says where the facility is, not which one it is."""
    out: dict[str, set[frozenset]] = defaultdict(set)
    for (state, place), by_source in places.items():
        out[state].add(frozenset({place}))
        for spelling in by_source.get("names", ()):
            out[state].add(distinctive_words(" ".join(tokens(spelling))))
    return out


def _hifld_matches(facility: SourceFacility, by_key, by_words_city, place_words: set):
    """HIFLD facilities of the same state with the same name, else with the same distinctive words in the
    same city (words that are only a place name do not identify a facility)."""
    matches = {h.id: h for key in facility.keys for h in by_key.get((facility.state, key), [])}
    how = "of the same name"
    if not matches:
        city = place_key(facility.city)
        matches = {h.id: h for key in facility.keys
                   if distinctive_words(key) and distinctive_words(key) not in place_words
                   for h in by_words_city.get((facility.state, distinctive_words(key), city), [])}
        how = "with the same distinctive words in the same city"
    return sorted(matches.values(), key=lambda h: h.id), how


def _establish(facility: SourceFacility, matches, matched_by: str, named: set[str], in_city: str | None,
               counties: Counties):
    """(fips, how) when two sources agree, else (None, (reason, evidence)) for the excluded list."""
    said = [f"ICE's county field says {facility.county_text!r}"
            + (f" ({', '.join(counties.by_fips[f].label for f in sorted(named))})" if named else
               " (not a county of the state)")]
    hifld_counties = sorted({h.fips for h in matches})
    if hifld_counties:
        listed = "; ".join(f"{h.name!r} ({h.id}) is in {counties.by_fips[h.fips].label}" for h in matches)
        if len(hifld_counties) > 1:
            return None, (DISAGREE, f"HIFLD facilities {matched_by} lie in several counties: {listed}")
        fips = hifld_counties[0]
        if named and fips not in named:
            return None, (DISAGREE, f"{said[0]}, but HIFLD: {listed}")
        how = f"HIFLD facility {matched_by}: {matches[0].name!r} ({matches[0].id})"
        return fips, how + ("; ICE's county field agrees" if named else "")
    if in_city and named:
        if in_city in named:
            return in_city, (f"ICE's county field {facility.county_text!r}, confirmed by the city: every source "
                             f"puts {facility.city} in {counties.by_fips[in_city].label}")
        return None, (DISAGREE, f"{said[0]}, but every other source puts {facility.city} in "
                                f"{counties.by_fips[in_city].label}")
    return None, (UNCONFIRMED, said[0] + "; no HIFLD facility of this name, and the city does not settle it")


def _excluded_row(facility: SourceFacility, reason: str, evidence: str) -> dict:
    return {"id": facility.id, "facility_code": facility.code, "name": facility.name, "city": facility.city,
            "state": facility.state, "reason": reason, "evidence": evidence, "name_keys": " | ".join(facility.keys)}


def _merge(facilities: list[SourceFacility], counties: Counties) -> list[dict]:
    """One row per facility: records of one state, county and normalised name are one facility, written
    several ways. ICE records keep their own row (each has its own code); HIFLD records of the same name
    and county join it."""
    rows: dict[str, dict] = {}
    owner: dict[tuple[str, str, str], str] = {}
    for f in sorted(facilities, key=lambda f: (f.source != ICE_SOURCE, f.id)):
        key_owner = next((owner[(f.state, f.fips, k)] for k in f.keys if (f.state, f.fips, k) in owner), None)
        if key_owner is None or (f.code and rows[key_owner]["facility_code"]):
            rows[f.id] = {"id": f.id, "facility_code": f.code, "name": f.name,
                          "normalised_name": f.keys[0] if f.keys else "", "city": f.city, "state": f.state,
                          "county_fips": f.fips, "county": counties.by_fips[f.fips].label, "source": f.source,
                          "established": f.established, "aliases": [f.name], "name_keys": list(f.keys)}
            key_owner = f.id
        else:
            row = rows[key_owner]
            if f.source not in row["source"]:
                row["source"] += f" + {f.source}"
            if f.name not in row["aliases"]:
                row["aliases"].append(f.name)
            row["name_keys"] += [k for k in f.keys if k not in row["name_keys"]]
        for k in f.keys:
            owner.setdefault((f.state, f.fips, k), key_owner)
    out = []
    for row in sorted(rows.values(), key=lambda r: (r["state"], r["normalised_name"], r["id"])):
        out.append({**row, "aliases": " | ".join(row["aliases"]), "name_keys": " | ".join(row["name_keys"])})
    return out


# --- writing and reading the committed files ------------------------------------------------------------


def to_csv_text(rows: list[dict], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def reference_files(built: Built) -> dict[str, str]:
    return {"facilities.csv": to_csv_text(built.facilities, FACILITY_COLUMNS),
            "excluded.csv": to_csv_text(built.excluded, EXCLUDED_COLUMNS),
            "places.csv": to_csv_text(built.places, PLACE_COLUMNS)}


def write(folder: Path = REFERENCE_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in reference_files(build()).items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    return written


@lru_cache(maxsize=1)
def load_rows(folder: Path = REFERENCE_DIR) -> dict[str, list[dict]]:
    out = {}
    for name in ("facilities", "excluded", "places"):
        with open(folder / f"{name}.csv", newline="", encoding="utf-8") as handle:
            out[name] = list(csv.DictReader(handle))
    return out


if __name__ == "__main__":
    if sys.argv[1:] == ["build"]:
        for path in write():
            print(path)
    else:
        print(__doc__)
        sys.exit(2)
