"""Facility -> county attribution: the bundled reference, the rules in their order, the real traps.

Expected counties were checked by hand against the sources (ICE facility list, HIFLD prisons, HIFLD
law-enforcement agencies) and a reading of where each facility is; none is taken from the code.
"""
from __future__ import annotations

import csv

import openpyxl
import pandas as pd
import pytest

from reports import attribution as attr
from reports import attribution_sources as sources
from reports.facility_names import distinctive_words, name_keys
from reports.facility_reference import REFERENCE_DIR, build, load_rows, reference_files
from reports.load import load_inputs
from reports.reference import load_counties
from reports.vocabulary import STATES

COUNTIES = load_counties()
NO_STAFF = sources.StaffFacilities()


def attribute(name, city, state, code=None, staff=NO_STAFF) -> attr.Attribution:
    return attr.attribute_facility(code, name, city, state, staff, sources.load_reference(), COUNTIES)


# --------------------------------------------------------------------------- the reference


@pytest.mark.slow  # rebuilds the whole facility reference from its sources
def test_committed_reference_is_what_the_build_makes_from_the_sources():
    for name, text in reference_files(build()).items():
        assert (REFERENCE_DIR / name).read_text(encoding="utf-8") == text, (
            f"{name} differs from a rebuild: run python -m reports.facility_reference build")


def test_reference_counties_are_census_counties_of_the_facility_state():
    rows = load_rows()["facilities"]
    assert len(rows) > 6000
    for row in rows:
        assert row["county_fips"] in COUNTIES.by_fips, row["id"]
        assert COUNTIES.by_fips[row["county_fips"]].state == row["state"], row["id"]
        assert row["established"], row["id"]
    codes = [r["facility_code"] for r in rows if r["facility_code"]]
    assert len(codes) == len(set(codes)) > 1000  # every ICE code at most once


def test_one_facility_written_several_ways_is_one_entry_with_every_alias():
    rows = {r["id"]: r for r in load_rows()["facilities"]}
    dauphin = rows["ice:DAUPHPA"]
    assert dauphin["normalised_name"] == "DAUPHIN COUNTY JAIL"
    curran = next(r for r in rows.values() if r["name"].startswith("CURRAN- FROMHOLD"))
    assert curran["name_keys"].split(" | ") == ["CURRAN FROMHOLD CORRECTIONAL FACILITY CFCF",
                                                "CURRAN FROMHOLD CORRECTIONAL FACILITY"]
    merged = [r for r in rows.values() if " + " in r["source"]]
    assert len(merged) > 300  # ICE and HIFLD spellings of one facility, joined
    assert all(len(r["aliases"].split(" | ")) >= 1 for r in merged)
    usp = rows["ice:BOPCAA"]  # "USP CANAAN" in both lists
    assert usp["source"] == "ICE facility list 2017-11-06 + HIFLD prison boundaries 2024"


@pytest.mark.parametrize("written, state, key", [
    ("MONTGOMERY CNTY JAIL, PA", "PA", "MONTGOMERY COUNTY JAIL"),
    ("S.C.I., CRESSON, PA", "PA", "STATE CORRECTIONAL INSTITUTION CRESSON"),
    ("LEWISBURG U.S. PEN.", "PA", "LEWISBURG UNITED STATES PENITENTIARY"),
    ("MCKEAN FED.CORR.INST.", "PA", "MCKEAN FEDERAL CORRECTIONAL INSTITUTION"),
    ("CLARION  COUNTY CORRECTIONS", "PA", "CLARION COUNTY CORRECTIONAL"),
    ("JEFFERSON CO. JAIL, PA.", "PA", "JEFFERSON COUNTY JAIL"),
    ("BUCKS COUNTY JAIL (PENNSYLVANIA)", "PA", "BUCKS COUNTY JAIL"),
    ("Dauphin Co Prison", "PA", "DAUPHIN COUNTY PRISON"),
    ("YUMA HOLDROOM", "AZ", "YUMA HOLD ROOM"),
])
def test_names_are_normalised_the_way_ice_abbreviates(written, state, key):
    assert name_keys(written, state)[0] == key


def test_the_state_is_dropped_only_where_it_is_the_facility_state():
    assert name_keys("BUCKS CNTY JAIL, PA", "PA") == ("BUCKS COUNTY JAIL",)
    assert name_keys("BUCKS CNTY JAIL, PA", "NJ") == ("BUCKS COUNTY JAIL PA",)


def test_distinctive_words_drop_generic_words_numbers_and_initials():
    assert distinctive_words("PHILADELPHIA 15TH POLICE DISTRICT") == {"PHILADELPHIA"}
    assert distinctive_words("MOSHANNON VALLEY PROCESSING CENTER") == {"MOSHANNON", "VALLEY"}
    assert distinctive_words(name_keys("ALLENWOOD (MED) FCI", "PA")[0]) == {"ALLENWOOD"}


def test_sources_that_disagree_leave_the_facility_out_and_list_it():
    excluded = {r["id"]: r for r in load_rows()["excluded"]}
    bowie = excluded["ice:BOWCOTX"]  # ICE's county field says Harris; every other source puts Texarkana in Bowie
    assert bowie["reason"] == "sources disagree"
    assert "Harris" in bowie["evidence"] and "Bowie County, TX" in bowie["evidence"]
    assert "BOWCOTX" not in {r["facility_code"] for r in load_rows()["facilities"]}
    got = attribute("BOWIE COUNTY JAIL", "TEXARKANA", "TX", code="BOWCOTX")
    assert (got.fips, got.method) == (None, "none") and got.evidence.startswith("sources disagree")
    # the same facility found by its name, without the code: staff decide, not the weaker rules
    assert attribute("BOWIE COUNTY JAIL", "TEXARKANA", "TX").fips is None
    broomfield = [r for r in excluded.values() if r["name"] == "BROOMFIELD DETENTION CENTER"]
    assert {r["id"] for r in broomfield} == {"ice:BROOMCO", "hifld:10001463"}  # HIFLD's entry goes out too
    assert attribute("BROOMFIELD DETENTION CENTER", "BROOMFIELD", "CO").fips is None


def test_ice_county_field_alone_never_establishes_a_county():
    excluded = {r["id"]: r for r in load_rows()["excluded"]}
    assert excluded["ice:ADAMSPA"]["reason"] == "not confirmed by a second source"


# --------------------------------------------------------------------------- the traps in the real data


def test_prison_whose_mailing_town_is_a_borough_of_the_next_county():
    got = attribute("MOSHANNON VALLEY CORRECTIONAL", "PHILIPSBURG", "PA")
    assert (got.fips, got.method) == ("42033", "reference-words")  # Clearfield, not Centre (Philipsburg)
    place = sources.load_reference().places[("PA", "PHILIPSBURG")]
    assert "42027" in place["agencies"]  # the city alone would have said Centre County


def test_federal_prison_camp_in_a_borough_of_a_third_county_named_like_another_county():
    got = attribute("ALLENWOOD FED.PRISON CAMP", "MONTGOMERY", "PA")
    assert got.fips is None and got.method == "none"  # never Lycoming (the borough) nor Montgomery County
    assert "Union County, PA" in got.evidence
    assert attribute("ALLENWOOD HOLD ROOM", "WHITE DEER", "PA").fips == "42119"


def test_federal_prison_whose_mailing_town_is_named_like_another_county():
    got = attribute("MCKEAN FED.CORR.INST.", "BRADFORD", "PA")
    assert (got.fips, got.method) == ("42083", "reference-name")  # McKean, not Bradford County (42015)


def test_state_prison_named_after_a_city_outside_the_county_of_that_name():
    got = attribute("SCI CHESTER", "CHESTER", "PA")
    assert (got.fips, got.method) == ("42045", "reference-name")  # the city of Chester is in Delaware County


def test_county_jail_named_after_a_county_found_in_many_states():
    franklins = {c.state: c.fips for c in COUNTIES.by_fips.values() if c.name == "Franklin County"}
    assert len(franklins) >= 24
    for state, fips in franklins.items():
        got = attribute("FRANKLIN CNTY JAIL", "", state)
        assert got.fips in (fips, None), state  # its own state's Franklin, or nothing: never another state's
        if got.fips is None:
            assert state == "VA"  # Franklin County and Franklin city: the name is ambiguous there
    for state in set(STATES) - set(franklins):
        got = attribute("FRANKLIN CNTY JAIL", "", state)
        assert got.fips is None or got.fips[:2] == STATES[state][0], state


def test_a_county_of_another_state_is_never_used():
    got = attribute("COOK COUNTY JAIL", "", "NV")  # Cook County is in Illinois (and elsewhere), not Nevada
    assert got.fips is None and got.method == "none"


def test_a_place_name_alone_must_share_the_record_city():
    # "PITTSBURGH POLICE DEPT" says where, not which facility: facilities of those words count only in its city
    assert attribute("PITTSBURGH POLICE DEPT", "PITTSBURGH", "PA") == attr.Attribution(
        "42003", "reference-words", "distinctive words PITTSBURGH: SCI PITTSBURGH, PITTSBURGH; "
                                    "PITTSBURGH HOLD ROOM (PITHOLD), PITTSBURGH")
    elsewhere = attribute("PITTSBURGH POLICE DEPT", "ERIE", "PA")
    assert elsewhere.fips is None  # neither Allegheny (the words) nor Erie (the city, contradicted by the name)
    # ICE's Boston hold room sits in Burlington (Middlesex County): a Boston facility is not placed there
    assert attribute("BOSTON HOLD ROOM", "BURLINGTON", "MA").fips == "25017"
    assert attribute("BOSTON HOLDING FACILITY", "BOSTON", "MA").fips != "25017"


@pytest.mark.parametrize("key, expected", [
    ("LEHIGH COUNTY JAIL", {"42077"}), ("ADAMS COUNTY ADULT CORRECTIONAL CENTER", {"42001"}),
    ("STATE CORRECTIONAL INSTITUTION CHESTER", set()),  # a city's name without "County" names no county
    ("BUCKS MONTGOMERY JOINT JAIL", set()), ("BUCKS COUNTY MONTGOMERY COUNTY JOINT JAIL", {"42017", "42091"}),
])
def test_counties_named_need_the_word_county(key, expected):
    assert attr.counties_named(key, "PA", COUNTIES) == expected


def test_counties_named_tells_a_county_from_a_city_of_the_same_name():
    assert attr.counties_named("BALTIMORE COUNTY DETENTION CENTER", "MD", COUNTIES) == {"24005"}
    assert attr.counties_named("JEFFERSON DAVIS PARISH JAIL", "LA", COUNTIES) == {"22053"}
    assert attr.counties_named("SAINT LOUIS COUNTY JAIL", "MO", COUNTIES) == {"29189"}


# --------------------------------------------------------------------------- order of precedence


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def test_record_beats_staff_and_staff_beats_the_reference(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    _write(inputs / "detainers.csv", [
        ["Detainer ID", "Facility", "Facility Code", "City", "State", "County FIPS", "Date Issued", "Outcome"],
        ["D-1", "USP CANAAN", "BOPCAA", "WAYMART", "PA", "", "2017-01-28", "honored"],  # reference: Wayne
        ["D-2", "USP CANAAN", "BOPCAA", "WAYMART", "PA", "42069", "2017-01-28", "honored"],  # its own FIPS
        ["D-3", "SCI CHESTER", "", "CHESTER", "PA", "", "2017-01-28", "honored"],  # staff by name
    ])
    _write(inputs / "facilities.csv", [
        ["Facility", "Facility Code", "State", "County FIPS"],
        ["Canaan (staff say Lackawanna)", "BOPCAA", "PA", "42089"],
        ["S.C.I. Chester", "", "PA", "42029"],
    ])
    dataset = load_inputs(inputs)
    got = {r.detainer_id: (r.county_fips, r.jurisdiction_source) for r in dataset.used("detainers").itertuples()}
    assert got == {"D-1": ("42089", "staff"), "D-2": ("42069", "record"), "D-3": ("42029", "staff")}
    assert attribute("USP CANAAN", "WAYMART", "PA", code="BOPCAA").fips == "42127"  # without staff: the reference


def test_two_facilities_that_differ_only_in_brackets_are_not_a_conflict(tmp_path):
    """A staff sheet of a state's prisons: 'X (A)' and 'X (B)' are two facilities in two counties (E402 is for
    one facility given two counties). Each is attributed by its full name; plain 'X' is ambiguous, not guessed."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    _write(inputs / "detainers.csv", [
        ["Detainer ID", "Facility", "City", "State", "Date Issued", "Outcome"],
        ["D-1", "MINNESOTA CORRECTIONAL FACILITY (OAK PARK HEIGHTS)", "", "MN", "2017-01-28", "honored"],
        ["D-2", "MINNESOTA CORRECTIONAL FACILITY (RUSH CITY)", "", "MN", "2017-01-28", "honored"],
        ["D-3", "MINNESOTA CORRECTIONAL FACILITY", "", "MN", "2017-01-28", "honored"],
    ])
    _write(inputs / "facilities.csv", [
        ["Facility", "Facility Code", "State", "County FIPS"],
        ["MINNESOTA CORRECTIONAL FACILITY (OAK PARK HEIGHTS)", "", "MN", "27163"],  # Washington County
        ["MINNESOTA CORRECTIONAL FACILITY (RUSH CITY)", "", "MN", "27025"],  # Chisago County
    ])
    dataset = load_inputs(inputs)
    assert [p.code for p in dataset.errors] == []
    got = {r.detainer_id: (r.county_fips, r.jurisdiction_source) for r in dataset.used("detainers").itertuples()}
    assert got["D-1"] == ("27163", "staff") and got["D-2"] == ("27025", "staff")
    assert got["D-3"][1] != "staff"


def test_one_facility_given_two_counties_is_still_an_error(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    _write(inputs / "detainers.csv", [
        ["Detainer ID", "Facility", "City", "State", "Date Issued", "Outcome"],
        ["D-1", "MINNESOTA CORRECTIONAL FACILITY (RUSH CITY)", "", "MN", "2017-01-28", "honored"],
    ])
    _write(inputs / "facilities.csv", [
        ["Facility", "Facility Code", "State", "County FIPS"],
        ["Minnesota Correctional Facility (Rush City)", "", "MN", "27025"],
        ["MINNESOTA CORR. FACILITY (RUSH CITY)", "", "MN", "27163"],
    ])
    dataset = load_inputs(inputs)
    assert [p.code for p in dataset.errors] == ["E402", "E402"]


def test_ice_export_with_real_facility_codes_is_attributed_by_code(tmp_path):
    """The ICE export layout (title rows, no County FIPS, no facilities sheet): codes from ICE's own list."""
    expected = {  # code -> county, as the ICE list and HIFLD agree
        "BOPMCK": "42083", "LEHIGPA": "42077", "LOSCJCA": "06037", "RACINWI": "55101", "CAMDENJ": "34007",
        "LRDHOLD": "48479", "CULPEVA": "51047",
    }
    reference = {r["facility_code"]: r for r in load_rows()["facilities"] if r["facility_code"]}
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Detainers"
    for title in ("ICE Detainers", "FY2017", "", "Source: ICE", "", ""):
        ws.append([title])
    ws.append(["Detainer Prepare Date", "Facility State", "Facility AOR", "Detention Facility",
               "Detention Facility Code", "Facility City", "Citizenship Country", "Detainer Prepared Criminality",
               "Detainer Lift Reason", "Unique Identifier"])
    for n, code in enumerate(expected):
        r = reference[code]
        ws.append(["2017-01-28", r["state"], "", r["name"], code, r["city"], "MEXICO", "Convicted Criminal",
                   "Detainer Declined by LEA", f"S-{n}"])
    wb.save(inputs / "ice.xlsx")
    dataset = load_inputs(inputs)
    assert dataset.errors == []
    used = dataset.used("detainers")
    assert used["source_layout"].eq("ICE detainer export").all()
    got = dict(zip(used["facility_code"], zip(used["county_fips"], used["jurisdiction_source"])))
    assert got == {code: (fips, "reference-code") for code, fips in expected.items()}


def test_every_method_is_reported_with_its_count(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    _write(inputs / "detainers.csv", [
        ["Detainer ID", "Facility", "City", "State", "Date Issued", "Outcome"],
        ["D-1", "MOSHANNON VALLEY CORRECTIONAL", "PHILIPSBURG", "PA", "2017-01-28", "honored"],
        ["D-2", "LACKAWANA CNTY JAIL, PA", "SCRANTON", "PA", "2017-01-28", "honored"],
        ["D-3", "ALLENWOOD FED.PRISON CAMP", "MONTGOMERY", "PA", "2017-01-28", "honored"],
    ])
    dataset = load_inputs(inputs)
    counts = attr.method_counts(dataset.used("detainers"))
    assert counts["reference-words"] == counts["city"] == counts["none"] == 1
    assert sum(counts.values()) == 3
    review = dataset.attribution
    assert list(review["Method"]) == ["none", "city", "reference-words"]  # the weakest first
    assert review.loc[0, "County FIPS"] == "" and "Union County, PA" in review.loc[0, "Evidence"]
    assert [p.code for p in dataset.warnings] == ["W402"]


def test_assign_jurisdictions_returns_a_new_frame():
    frame = pd.DataFrame({"facility_code": [None], "facility": ["SCI CHESTER"], "city": ["CHESTER"], "state": ["PA"],
                          "county_fips": [None]})
    before = frame.copy()
    out, _ = attr.assign_jurisdictions(frame, NO_STAFF, COUNTIES)
    pd.testing.assert_frame_equal(frame, before)
    assert out.loc[0, "county_fips"] == "42045" and out.loc[0, "county_name"] == "Delaware County"


def test_the_staff_attribution_workbook_is_rewritten_only_when_what_it_shows_changed(tmp_path):
    """Thousands of facilities nationally: a run that attributes them as the last one did leaves the workbook
    alone; a new facility, or a workbook that is not this one, is written again."""
    from cli_helpers import run_cli

    inputs, staff = tmp_path / "inputs", tmp_path / "staff"
    inputs.mkdir()
    rows = [["Detainer ID", "Facility", "City", "State", "Date Issued", "Outcome"],
            ["D-1", "MOSHANNON VALLEY CORRECTIONAL", "PHILIPSBURG", "PA", "2017-01-28", "honored"]]
    _write(inputs / "detainers.csv", rows)
    check = ("--check", "--inputs", inputs, "--outputs", tmp_path / "out", "--staff", staff)
    workbook = staff / "facility-attribution.xlsx"

    def facilities_listed() -> list[str]:
        sheet = openpyxl.load_workbook(workbook, read_only=True).active
        return [row[0] for row in sheet.iter_rows(min_row=4, values_only=True)]

    assert run_cli(*check).exit_code == 0
    first = workbook.stat().st_ino
    assert facilities_listed() == ["MOSHANNON VALLEY CORRECTIONAL"]
    assert run_cli(*check).exit_code == 0
    assert workbook.stat().st_ino == first  # not replaced
    _write(inputs / "detainers.csv", [*rows, ["D-2", "SCI CHESTER", "CHESTER", "PA", "2017-01-28", "honored"]])
    assert run_cli(*check).exit_code == 0
    assert workbook.stat().st_ino != first
    assert sorted(facilities_listed()) == ["MOSHANNON VALLEY CORRECTIONAL", "SCI CHESTER"]
    workbook.write_bytes(b"staff saved something else here")
    assert run_cli(*check).exit_code == 0
    assert sorted(facilities_listed()) == ["MOSHANNON VALLEY CORRECTIONAL", "SCI CHESTER"]
