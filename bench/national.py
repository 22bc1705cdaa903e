"""The national input set for the benchmark harness: seeded, deterministic, synthetic.

    python bench/national.py                   # 320,000 detainers, with the variants bench/run.py needs
    python bench/national.py --rows 40000 --no-variants
    python bench/national.py --rows 2000 --out /tmp/small   # a small set anywhere (nothing cached)

What it writes (by default into bench/.data/national/<rows>-<key>/, which git ignores; the key is a
hash of this file, the parameters and the source files, so a set is built once and reused):

    inputs/ice-detainers-national.xlsx   the ICE detainer export layout: 6 title rows, header on row 7,
                                         60 columns (the 13 the ingest reads, 47 more as ICE exports
                                         them), one row per detainer, ~21 months (93 Saturday-Friday
                                         weeks), 3,388 facilities, ~5.5 % declined
    inputs/charges.csv                   project charges template: later arrests of people whose
                                         detainer was declined (1,992 at national size), linked by
                                         Subject ID, Arrest Date after the decline
    inputs/policies.xlsx                 project policies template, 30 jurisdictions
    variants/ice-detainers-earlier-export.xlsx   the same detainers exported four weeks earlier: a
                                         month shorter, outcomes as known then, a few recorded differently
    variants/ice-detainers-next-week.xlsx        the detainers of the week after the national set
    variants/policies-revised.xlsx       policies.xlsx with the newest policy's criteria changed (that
                                         policy is on file in the last two weeks only: 2 weeks revised)
    variants/policies-new.xlsx           one new small policies file (a policy enacted in the last week)
    variants/facilities.xlsx             facility -> county map for most facilities (not an input by
                                         default; bench/run.py uses it for one PDF-size row)
    manifest.json                        parameters, counts, file sizes and SHA-256

Facilities: every facility of ICE's own facility list (shared data, 1,478 with a DETLOC code and
name after the redacted rows) keeps its real code, name, city, state and AOR; the rest are
synthesised from the HIFLD prison list (real jail names and cities, made-up codes) or, when that
file is missing, from the Census county list shipped with the project. Every person, identifier,
date and outcome is invented. Same parameters and source files: the same bytes.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sys
from pathlib import Path

import numpy as np

from reports.atomic import rename_into_place, sha256_file
from reports.reference import load_counties
from reports.vocabulary import STATES

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent

DATA_ROOT = BENCH / ".data" / "national"
SEED = 20250613
ROWS = 320_000
NATIONAL_ROWS = 320_000  # charges scale with rows from their national count
FACILITIES = 3_388
CHARGES_AT_NATIONAL = 1_992
FIRST_DAY = dt.date(2023, 9, 2)  # a Saturday
WEEKS = 93
LAST_DAY = FIRST_DAY + dt.timedelta(days=7 * WEEKS - 1)  # Friday 2025-06-13: the export's last day
EARLIER_LAST_DAY = LAST_DAY - dt.timedelta(days=28)  # the earlier export, four weeks (a month) shorter
NEXT_WEEK = (LAST_DAY + dt.timedelta(days=1), LAST_DAY + dt.timedelta(days=7))
DECLINE_SHARE = 0.055  # of all detainers, as in recent national data (~5-6 %)
REPEAT_SUBJECT_SHARE = 0.14  # detainers whose subject has an earlier or later detainer too

MAIN_FILE = "ice-detainers-national.xlsx"
EARLIER_FILE = "ice-detainers-earlier-export.xlsx"
NEXT_WEEK_FILE = "ice-detainers-next-week.xlsx"

# The rule of tests/shared_data.py (which the bench, run as a script, cannot import): $DETAINER_SHARED_DATA,
# else the first shared/data beside the checkout or beside a folder above it.
SHARED_CANDIDATES = ([Path(os.environ["DETAINER_SHARED_DATA"])] if os.environ.get("DETAINER_SHARED_DATA")
                     else [folder / "shared" / "data" for folder in PROJECT.parents])
ICE_FACILITY_LIST = "facility-sources/ice_facility_list_2017-11-06.psv"
HIFLD_PRISONS = "facility-sources/hifld_prison_boundaries.csv"

EXCEL_EPOCH = dt.date(1899, 12, 30)

AOR_NAMES = {
    "ATL": "Atlanta", "BAL": "Baltimore", "BOS": "Boston", "BUF": "Buffalo", "CHI": "Chicago", "DAL": "Dallas",
    "DEN": "Denver", "DET": "Detroit", "ELP": "El Paso", "HOU": "Houston", "LOS": "Los Angeles", "MIA": "Miami",
    "NEW": "Newark", "NOL": "New Orleans", "NYC": "New York City", "PHI": "Philadelphia", "PHO": "Phoenix",
    "SEA": "Seattle", "SFR": "San Francisco", "SLC": "Salt Lake City", "SNA": "San Antonio", "SND": "San Diego",
    "SPM": "St. Paul", "WAS": "Washington",
}
# Field office of a state's synthetic facilities (the most common one among its real facilities).
STATE_AOR = {
    "AK": "SEA", "AL": "NOL", "AR": "NOL", "AS": "SFR", "AZ": "PHO", "CA": "LOS", "CO": "DEN", "CT": "BOS",
    "DC": "WAS", "DE": "PHI", "FL": "MIA", "GA": "ATL", "GU": "SFR", "HI": "SFR", "IA": "SPM", "ID": "SLC",
    "IL": "CHI", "IN": "CHI", "KS": "CHI", "KY": "CHI", "LA": "NOL", "MA": "BOS", "MD": "BAL", "ME": "BOS",
    "MI": "DET", "MN": "SPM", "MO": "CHI", "MP": "SFR", "MS": "NOL", "MT": "SLC", "NC": "ATL", "ND": "SPM",
    "NE": "SPM", "NH": "BOS", "NJ": "NEW", "NM": "ELP", "NV": "SLC", "NY": "NYC", "OH": "DET", "OK": "DAL",
    "OR": "SEA", "PA": "PHI", "PR": "MIA", "RI": "BOS", "SC": "ATL", "SD": "SPM", "TN": "NOL", "TX": "HOU",
    "UT": "SLC", "VA": "WAS", "VI": "MIA", "VT": "BOS", "WA": "SEA", "WI": "CHI", "WV": "PHI", "WY": "DEN",
}

# (value, weight). Country names as ICE writes them; every one is recognised by the ingest.
CITIZENSHIP = [
    ("MEXICO", 420), ("GUATEMALA", 130), ("HONDURAS", 115), ("EL SALVADOR", 70), ("VENEZUELA", 45),
    ("COLOMBIA", 25), ("ECUADOR", 25), ("DOMINICAN REPUBLIC", 22), ("CUBA", 20), ("NICARAGUA", 18),
    ("HAITI", 14), ("BRAZIL", 10), ("PERU", 8), ("INDIA", 8), ("JAMAICA", 7), ("CHINA, PEOPLES REPUBLIC OF", 6),
    ("VIETNAM", 5), ("PHILIPPINES", 4), ("ROMANIA", 3), ("NIGERIA", 3), ("CANADA", 2), ("RUSSIA", 2),
    ("UKRAINE", 2), ("KOREA, SOUTH", 2), ("PAKISTAN", 2), ("GHANA", 2), ("BANGLADESH", 1), ("POLAND", 1),
    ("UNITED KINGDOM", 1), ("LAOS", 1), ("CAMBODIA", 1), ("SOMALIA", 1), ("IRAN", 1), ("UNKNOWN", 2),
]
CRIMINALITY = [("1 Convicted Criminal", 62), ("2 Pending Criminal Charges", 25), ("3 Other Immigration Violator", 13)]
DETAINER_TYPES = [("I-247A Immigration Detainer - Notice of Action", 88),
                  ("I-247N Request for Voluntary Notification of Release", 9),
                  ("I-247X Request for Voluntary Transfer", 3)]
DECLINED = "Detainer Declined by LEA"
# Outcomes other than a decline, for a detainer whose outcome is recorded.
LIFT_OTHER = [
    ("Booked into Detention", 680), ("Case Closed", 80), ("Lifted", 70), ("Transferred", 50),
    ("Prosecutorial Discretion", 30), ("Early Release", 25), ("Alien Not Subject to Deportation", 15),
    ("United States Citizen Interviewed", 10), ("Lifted - Lack of Funds", 10), ("Lifted - Lack of Space", 5),
    ("Died", 1),
]
# Most Serious Conviction (MSC): (charge, NCIC-style code, category)
MSC = [
    ("Driving Under Influence Liquor", "5404", "Traffic"), ("Traffic Offense", "5499", "Traffic"),
    ("Assault", "1399", "Violent"), ("Aggravated Assault - Weapon", "1313", "Violent"),
    ("Dangerous Drugs", "3599", "Drug"), ("Marijuana - Possess", "3562", "Drug"),
    ("Cocaine - Sell", "3531", "Drug"), ("Burglary", "2299", "Property"), ("Larceny", "2399", "Property"),
    ("Shoplifting", "2303", "Property"), ("Stolen Vehicle", "2404", "Property"), ("Robbery", "1299", "Violent"),
    ("Illegal Entry (INA SEC.101(a)(43)(O), 8USC1325 only)", "0399", "Immigration"),
    ("Illegal Re-Entry (INA SEC.101(a)(43)(O), 8USC1326 only)", "0398", "Immigration"),
    ("Weapon Offense", "5299", "Weapons"), ("Fraudulent Activities", "2699", "Fraud"),
    ("Forgery", "2589", "Fraud"), ("Family Offense", "3899", "Family"), ("Obstructing Police", "4801", "Public order"),
    ("Public Order Crimes", "5399", "Public order"), ("Sex Assault", "1199", "Sexual"),
    ("Homicide", "0999", "Violent"), ("Kidnapping", "1099", "Violent"), ("Trespassing", "5707", "Public order"),
]
CHARGES = [("Traffic", "Driving with suspended license"), ("Traffic", "Driving under the influence"),
           ("Drug", "Possession of marijuana"), ("Drug", "Possession of controlled substance"),
           ("Property", "Shoplifting"), ("Property", "Burglary"), ("Violent", "Assault"), ("Violent", "Robbery"),
           ("Violent", "Domestic assault"), ("Other", "Failure to appear"), ("Other", "Trespass")]
CHARGE_STATUS = [("pending", 60), ("convicted", 20), ("dismissed", 15), ("acquitted", 5)]

# Jurisdictions with a policy limiting cooperation: (county FIPS, policy, criteria).
POLICY_COUNTIES = [
    ("17031", "Ordinance bars holding people on civil detainers", "None: detainers are not honored"),
    ("06037", "State law limits detainer compliance", "Convicted of a serious or violent felony listed in state law"),
    ("06075", "City and county ordinance limits cooperation", "Judicial warrant and a violent felony conviction"),
    ("06085", "County policy declines civil detainers", "Judicial warrant or order"),
    ("06001", "Sheriff honors detainers only under state law", "Convicted of a serious or violent felony"),
    ("53033", "County honors only with a judicial warrant", "Judicial warrant"),
    ("41051", "Sheriff declines detainers without a warrant", "Judicial warrant"),
    ("08031", "City ordinance limits cooperation", "Judicial warrant"),
    ("42101", "City policy limits notification and holds",
     "Convicted of a first- or second-degree felony involving violence, with a judicial warrant"),
    ("27053", "Sheriff's office declines detainer holds", "Judicial warrant"),
    ("36061", "City law limits honoring detainers", "Judicial warrant and a conviction for a listed crime"),
    ("36047", "City law limits honoring detainers", "Judicial warrant and a conviction for a listed crime"),
    ("36081", "City law limits honoring detainers", "Judicial warrant and a conviction for a listed crime"),
    ("34017", "County jail declines civil detainers", "Judicial warrant and a first- or second-degree offense"),
    ("25025", "City ordinance bars civil detainer holds", "Judicial warrant"),
    ("11001", "District law limits detainer compliance", "Judicial warrant and a conviction for a dangerous crime"),
    ("24031", "County policy limits cooperation", "Judicial warrant"),
    ("51013", "County policy limits notification", "Judicial warrant"),
    ("48453", "Sheriff honors detainers only for listed serious offenses",
     "Charged with or convicted of capital murder, aggravated sexual assault or continuous smuggling"),
    ("35001", "County detention center declines detainers", "Judicial warrant"),
    ("55079", "Sheriff honors detainers with conditions", "Convicted of a felony and a judicial warrant"),
    ("39035", "County jail requires a judicial warrant", "Judicial warrant"),
    ("37119", "Sheriff ended the 287(g) agreement and limits holds", "Judicial warrant"),
    ("37183", "Sheriff limits detainer holds", "Judicial warrant"),
    ("53061", "Jail declines detainers without a warrant", "Judicial warrant"),
    ("41067", "State law limits use of resources for immigration enforcement", "Judicial warrant"),
    ("06067", "State law limits detainer compliance", "Convicted of a serious or violent felony listed in state law"),
    ("09009", "State law limits detainer compliance", "Convicted of a class A or B felony, or a judicial warrant"),
    ("44007", "State prison policy limits holds", "Judicial warrant"),
    ("50007", "State policy limits cooperation", "Judicial warrant"),
]

# The 13 columns the ingest reads (reports.schema.ICE_DETAINER_EXPORT), in export order among the rest.
USED_COLUMNS = [
    "Detainer Prepare Date", "Facility State", "Facility AOR", "Detention Facility", "Detention Facility Code",
    "Facility City", "Citizenship Country", "Detainer Prepared Criminality", "Most Serious Conviction (MSC) Charge",
    "Detainer Lift Reason", "Detainer Lift Date", "Detainer Type", "Unique Identifier",
]
COLUMN_ORDER = [
    "Detainer Prepare Date", "Unique Identifier", "EID Subject ID", "EID Case ID", "Detainer Type",
    "Detainer Prepared Criminality", "Detainer Prep Threat Level", "Detainer Threat Level",
    "Detainer Prepared By Program", "Detainer Issuing Office", "Detainer Prior to Bookin", "Book In After Detainer",
    "Facility State", "Facility AOR", "Detention Facility", "Detention Facility Code", "Facility City",
    "Facility Type", "Detainer Lift Reason", "Detainer Lift Date", "Detainer Lift Program",
    "Citizenship Country", "Birth Country", "Gender", "Birth Year", "Entry Status", "Most Recent Entry Date",
    "LPR Yes No", "Most Serious Conviction (MSC) Charge", "MSC Charge Code", "MSC Criminal Charge Category",
    "MSC Conviction Date", "MSC Sentence Days", "Aggravated Felon", "Aggravated Felon Type", "Case Status",
    "Case Category", "Final Program", "Processing Disposition", "Departed Date", "Departure Country",
    "Port of Departure", "Apprehension Date", "Apprehension Method", "Apprehension Program", "Apprehension State",
    "Apprehension AOR", "287(g) Arrest", "Federal Interest Flag", "Gang Member Flag", "Sex Offender Flag",
    "Violent Criminal Flag", "Prior Deportation Flag", "Juvenile Flag", "Family Unit Flag", "Final Order Flag",
    "Secure Communities Flag", "CAP Local Flag", "Judicial Warrant Flag", "Notice to Appear Issued Flag",
]
assert len(COLUMN_ORDER) == 60 and len(set(COLUMN_ORDER)) == 60 and set(USED_COLUMNS) <= set(COLUMN_ORDER)
DATETIME_COLUMNS = {"Detainer Prepare Date", "Detainer Lift Date"}
DATE_COLUMNS = {"Most Recent Entry Date", "MSC Conviction Date", "Departed Date", "Apprehension Date"}
NUMBER_COLUMNS = {"Birth Year", "MSC Sentence Days"}


# --------------------------------------------------------------------------- helpers

def shared_data_dir() -> Path | None:
    for candidate in SHARED_CANDIDATES:
        if (candidate / ICE_FACILITY_LIST).is_file():
            return candidate
    return None


def serial(day: dt.date) -> int:
    return (day - EXCEL_EPOCH).days


def _choice(rng: np.random.Generator, pairs, size: int) -> np.ndarray:
    values = np.empty(len(pairs), dtype=object)
    values[:] = [p[0] for p in pairs]
    weights = np.array([p[1] for p in pairs], dtype=float)
    return values[rng.choice(len(pairs), size=size, p=weights / weights.sum())]


def _flags(rng: np.random.Generator, size: int, share_yes: float, blank: float = 0.0) -> np.ndarray:
    return _choice(rng, [("Y", share_yes), ("N", 1 - share_yes - blank), (None, blank)], size)


def _blank_where(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    out[mask] = None
    return out


def _days_to_dates(serials: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = np.empty(len(serials), dtype=object)
    out[:] = None
    out[mask] = serials[mask].astype(float)
    return out


def facility_code(name: str, state: str, used: set[str]) -> str:
    """A DETLOC-like code: five letters from the name, then the state (ABRDNWA, ADLNTCA)."""
    words = [w for w in re.sub(r"[^A-Z ]", " ", name.upper()).split() if w not in {"COUNTY", "JAIL", "THE", "OF"}]
    letters = "".join(words) or "FAC"
    consonants = letters[0] + re.sub(r"[AEIOU]", "", letters[1:])
    stem = (consonants + letters + "XXXXX")[:5]
    code = stem + state
    n = 0
    while code in used:
        n += 1
        code = f"{stem[:5 - len(str(n))]}{n}{state}"
    used.add(code)
    return code


# --------------------------------------------------------------------------- facilities

def load_real_facilities(shared: Path | None) -> list[dict]:
    """ICE's facility list (DETLOC code, name, city, state, AOR), redacted rows dropped."""
    if shared is None:
        return []
    with open(shared / ICE_FACILITY_LIST, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="|"))
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "DETLOC")
    header = rows[header_at]
    col = {name: header.index(name) for name in ("DETLOC", "Name", "City", "County", "State", "AOR")}
    facilities, seen = [], set()
    for r in rows[header_at + 1:]:
        code, state = r[col["DETLOC"]].strip(), r[col["State"]].strip()
        if not code or code == "Redacted" or state not in STATES or code in seen:
            continue
        seen.add(code)
        aor = r[col["AOR"]].strip()
        facilities.append({"code": code, "name": r[col["Name"]].strip(), "city": r[col["City"]].strip(),
                           "state": state, "aor": aor if aor in AOR_NAMES else STATE_AOR[state],
                           "county_name": r[col["County"]].strip(), "county_fips": None, "real": True})
    return facilities


def synthetic_facility_sources(shared: Path | None) -> list[dict]:
    """Real jail names and cities (HIFLD), else one county jail per Census county."""
    counties = load_counties()
    if shared is not None and (shared / HIFLD_PRISONS).is_file():
        with open(shared / HIFLD_PRISONS, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        out = []
        for r in rows:
            state, fips = r["state"].strip(), r["countyfips"].strip().zfill(5)
            if state not in STATES or r["type"] not in ("COUNTY", "LOCAL", "MULTI") or r["status"] == "CLOSED":
                continue
            ok = fips in counties.by_fips and counties.by_fips[fips].state == state
            out.append({"name": r["name"].strip().upper(), "city": r["city"].strip().upper(), "state": state,
                        "county_fips": fips if ok else None})
        return out
    return [{"name": f"{c.base_name.upper()} {'PARISH' if c.name.endswith('Parish') else 'COUNTY'} JAIL",
             "city": c.base_name.upper(), "state": c.state, "county_fips": c.fips}
            for c in sorted(counties.by_fips.values(), key=lambda c: c.fips)]


def make_facilities(rng: np.random.Generator, count: int, shared: Path | None) -> list[dict]:
    real = load_real_facilities(shared)[:count]
    _map_real_counties(real)
    used_codes = {f["code"] for f in real}
    taken = {(f["name"], f["state"]) for f in real}
    pool = [s for s in synthetic_facility_sources(shared) if (s["name"], s["state"]) not in taken]
    pool = [pool[i] for i in rng.permutation(len(pool))]
    synthetic, names = [], set(taken)
    for source in pool:
        if len(real) + len(synthetic) >= count:
            break
        if (source["name"], source["state"]) in names:
            continue
        names.add((source["name"], source["state"]))
        synthetic.append({"code": facility_code(source["name"], source["state"], used_codes),
                          "name": source["name"], "city": source["city"], "state": source["state"],
                          "aor": STATE_AOR[source["state"]], "county_fips": source["county_fips"], "real": False})
    n = 0
    while len(real) + len(synthetic) < count:  # only with a tiny source list
        n += 1
        state = sorted(STATE_AOR)[n % len(STATE_AOR)]
        name = f"REGIONAL HOLDING FACILITY {n}"
        synthetic.append({"code": facility_code(name, state, used_codes), "name": name, "city": "", "state": state,
                          "aor": STATE_AOR[state], "county_fips": None, "real": False})
    facilities = real + synthetic
    # Detainer volume is heavy-tailed: a few big jails get most of them.
    weights = rng.lognormal(0.0, 1.5, size=len(facilities))
    # Most jails honor nearly every detainer; some decline many.
    kind = rng.random(len(facilities))
    propensity = np.where(kind < 0.80, rng.uniform(0.002, 0.02, len(facilities)),
                          np.where(kind < 0.95, rng.uniform(0.05, 0.2, len(facilities)),
                                   rng.uniform(0.3, 0.7, len(facilities))))
    types = _choice(rng, [("IGSA", 55), ("County", 25), ("USMS IGA", 10), ("City", 6), ("State", 4)], len(facilities))
    for f, w, p, t in zip(facilities, weights, propensity, types):
        f["weight"], f["propensity"], f["type"] = float(w), float(p), t
    return facilities


def _map_real_counties(real: list[dict]) -> None:
    """County FIPS of a real facility where its (unreliable) county name names exactly one county of its state."""
    counties = load_counties()
    by_state: dict[str, dict[str, list[str]]] = {}
    for c in counties.by_fips.values():
        by_state.setdefault(c.state, {}).setdefault(re.sub(r"[^a-z]", "", c.base_name.lower()), []).append(c.fips)
    for f in real:
        key = re.sub(r"[^a-z]", "", f.pop("county_name").lower())
        found = by_state.get(f["state"], {}).get(key, [])
        f["county_fips"] = found[0] if len(found) == 1 else None


# --------------------------------------------------------------------------- detainers

def subject_ids(seed: int, start: int, count: int) -> list[str]:
    """Anonymized subject identifiers (16 hex digits), the same for the same index at every size."""
    return [hashlib.blake2b(f"{seed}:{i}".encode(), digest_size=8).hexdigest() for i in range(start, start + count)]


def make_detainers(rng: np.random.Generator, n: int, facilities: list[dict], first_day: dt.date, days: int,
                   export_end: dt.date, seed: int, subject_start: int, cover_all_facilities: bool) -> dict:
    """Column arrays of n detainers issued from first_day over days, outcomes as known at export_end.

    Returns {column name: object array} for the 60 export columns plus internal arrays (leading "_").
    """
    # Issue times: weekdays busier than weekends, volume growing over the period; sorted like an export.
    day_index = np.arange(days)
    weekday = np.array([(first_day + dt.timedelta(days=int(d))).weekday() for d in day_index])
    weights = np.where(weekday == 5, 0.55, np.where(weekday == 6, 0.45, 1.0)) * (1 + 0.5 * day_index / max(days, 1))
    issue_day = np.sort(rng.choice(days, size=n, p=weights / weights.sum()))
    seconds = rng.integers(6 * 3600, 23 * 3600 + 59 * 60, size=n)
    order = np.lexsort((seconds, issue_day))
    issue_day, seconds = issue_day[order], seconds[order]
    prepared = serial(first_day) + issue_day + seconds / 86400.0
    prepared = np.round(prepared * 86400) / 86400

    # Facilities: weighted; at national size every facility appears at least once.
    fw = np.array([f["weight"] for f in facilities])
    fac = rng.choice(len(facilities), size=n, p=fw / fw.sum())
    if cover_all_facilities and n >= len(facilities):
        fac[rng.choice(n, size=len(facilities), replace=False)] = rng.permutation(len(facilities))

    # Subjects: most have one detainer; some have several.
    subjects = max(1, round(n * (1 - REPEAT_SUBJECT_SHARE / 2)))
    subject_of = np.concatenate([np.arange(subjects), rng.integers(0, subjects, size=n - subjects)])
    rng.shuffle(subject_of)
    ids = np.array(subject_ids(seed, subject_start, subjects), dtype=object)
    s_citizenship = _choice(rng, CITIZENSHIP, subjects)
    s_birth = s_citizenship.copy()
    moved = rng.random(subjects) < 0.05
    s_birth[moved] = _choice(rng, CITIZENSHIP, int(moved.sum()))
    s_gender = _choice(rng, [("Male", 88), ("Female", 12)], subjects)
    s_birth_year = rng.integers(1958, 2007, size=subjects).astype(float)
    s_eid = 300_000_000 + subject_start + rng.permutation(subjects)

    criminality = _choice(rng, CRIMINALITY, n)
    convicted = criminality == CRIMINALITY[0][0]
    msc_index = rng.integers(0, len(MSC), size=n)
    msc_charge = np.array([MSC[i][0] for i in msc_index], dtype=object)
    msc_code = np.array([MSC[i][1] for i in msc_index], dtype=object)
    msc_category = np.array([MSC[i][2] for i in msc_index], dtype=object)

    # Outcomes: when (if ever) the detainer was resolved, and how.
    mode = rng.random(n)
    delay = np.where(mode < 0.70, rng.geometric(0.3, n) - 1,
                     np.where(mode < 0.92, rng.integers(8, 61, n), rng.integers(61, 400, n)))
    lifted = prepared + delay + rng.uniform(0.02, 0.9, n)
    lifted = np.maximum(np.round(lifted * 86400) / 86400, prepared)
    never_recorded = rng.random(n) < 0.05
    end_serial = serial(export_end) + 1  # midnight after the export's last day
    resolved = (lifted < end_serial) & ~never_recorded
    propensity = np.array([facilities[i]["propensity"] for i in fac])
    scale = DECLINE_SHARE * n / max(propensity[resolved].sum(), 1e-9)
    declined = resolved & (rng.random(n) < np.minimum(propensity * scale, 0.95))
    reason = _choice(rng, LIFT_OTHER, n)
    reason[declined] = DECLINED
    reason[~resolved] = None
    lift_date = _days_to_dates(lifted, resolved)
    lift_program = _blank_where(_choice(rng, [("ERO", 70), ("CAP", 25), ("287G", 5)], n), ~resolved)

    removed = resolved & (reason == "Booked into Detention") & (rng.random(n) < 0.55)
    departed = np.floor(lifted + rng.integers(10, 120, n))
    removed &= departed < end_serial
    entry = serial(first_day) - rng.integers(30, 9000, n)
    apprehension = np.floor(prepared) - rng.integers(0, 3, n)
    conviction = np.floor(prepared) - rng.integers(20, 4000, n)
    threat = np.where(convicted, _choice(rng, [("1", 30), ("2", 35), ("3", 35)], n),
                      _choice(rng, [(None, 80), ("3", 20)], n))

    facility = lambda key: np.array([facilities[i][key] for i in fac], dtype=object)  # noqa: E731
    states = facility("state")
    aor_codes = facility("aor")
    out = {
        "Detainer Prepare Date": prepared.astype(object),
        "Unique Identifier": ids[subject_of],
        "EID Subject ID": np.array([str(x) for x in s_eid[subject_of]], dtype=object),
        "EID Case ID": np.array([f"{x:010d}" for x in rng.integers(1_000_000_000, 9_999_999_999, n)], dtype=object),
        "Detainer Type": _choice(rng, DETAINER_TYPES, n),
        "Detainer Prepared Criminality": criminality,
        "Detainer Prep Threat Level": threat,
        "Detainer Threat Level": threat.copy(),
        "Detainer Prepared By Program": _choice(rng, [("Criminal Alien Program", 78), ("287(g) Program", 12),
                                                      ("Fugitive Operations", 6), ("Non-Detained Docket", 4)], n),
        "Detainer Issuing Office": np.array([f"{AOR_NAMES[a]} Field Office" for a in aor_codes], dtype=object),
        "Detainer Prior to Bookin": _choice(rng, [("No", 80), ("Yes", 20)], n),
        "Book In After Detainer": _blank_where(_choice(rng, [("Yes", 60), ("No", 40)], n), ~resolved),
        "Facility State": states,
        "Facility AOR": np.array([f"{AOR_NAMES[a]} Area of Responsibility" for a in aor_codes], dtype=object),
        "Detention Facility": facility("name"),
        "Detention Facility Code": facility("code"),
        "Facility City": _blank_where(facility("city"), facility("city") == ""),
        "Facility Type": facility("type"),
        "Detainer Lift Reason": reason,
        "Detainer Lift Date": lift_date,
        "Detainer Lift Program": lift_program,
        "Citizenship Country": s_citizenship[subject_of],
        "Birth Country": s_birth[subject_of],
        "Gender": s_gender[subject_of],
        "Birth Year": s_birth_year[subject_of].astype(object),
        "Entry Status": _choice(rng, [("Entered Without Inspection", 58), ("Visitor", 9),
                                      ("Lawful Permanent Resident", 8), ("Parolee", 6), ("Student", 1),
                                      ("Unknown", 18)], n),
        "Most Recent Entry Date": _days_to_dates(entry.astype(float), rng.random(n) < 0.7),
        "LPR Yes No": _choice(rng, [("No", 92), ("Yes", 8)], n),
        "Most Serious Conviction (MSC) Charge": _blank_where(msc_charge, ~convicted),
        "MSC Charge Code": _blank_where(msc_code, ~convicted),
        "MSC Criminal Charge Category": _blank_where(msc_category, ~convicted),
        "MSC Conviction Date": _days_to_dates(conviction.astype(float), convicted),
        "MSC Sentence Days": _blank_where(rng.integers(0, 1800, n).astype(float).astype(object),
                                          ~convicted | (rng.random(n) < 0.4)),
        "Aggravated Felon": _blank_where(_choice(rng, [("Y", 18), ("N", 82)], n), ~convicted),
        "Aggravated Felon Type": _blank_where(_choice(rng, [("Drug Trafficking", 30), ("Crime of Violence", 40),
                                                            ("Theft", 20), ("Sexual Abuse of a Minor", 10)], n),
                                              ~convicted | (rng.random(n) < 0.82)),
        "Case Status": _choice(rng, [("ACTIVE", 55), ("8-Excluded/Removed", 20), ("A-Proved", 10),
                                     ("B-Voluntary Departure Granted", 3), ("E-Terminated", 4), ("Closed", 8)], n),
        "Case Category": _choice(rng, [("[16] Reinstated Final Order", 30), ("[3] Deportable - Under Adjudication "
                                                                             "by IJ", 35),
                                       ("[8C] Excludable / Inadmissible - Administrative Final Order Issued", 10),
                                       ("[11] Administrative Deportation", 5), ("[1A] Voluntary Departure", 5),
                                       ("Unknown", 15)], n),
        "Final Program": _choice(rng, [("ERO Criminal Alien Program", 75), ("287(g) Program", 10),
                                       ("Non-Detained Docket", 10), ("Fugitive Operations", 5)], n),
        "Processing Disposition": _choice(rng, [("Notice to Appear Issued", 45), ("Reinstatement of Deport Order "
                                                                                  "I-871", 30),
                                                ("Expedited Removal", 10), ("Voluntary Return", 5), (None, 10)], n),
        "Departed Date": _days_to_dates(departed.astype(float), removed),
        "Departure Country": _blank_where(s_citizenship[subject_of], ~removed),
        "Port of Departure": _blank_where(_choice(rng, [("Brownsville, TX", 30), ("Harlingen, TX", 20),
                                                        ("Alexandria, LA", 25), ("El Paso, TX", 15),
                                                        ("Mesa, AZ", 10)], n), ~removed),
        "Apprehension Date": _days_to_dates(apprehension.astype(float), rng.random(n) < 0.6),
        "Apprehension Method": _choice(rng, [("CAP Local Incarceration", 60), ("CAP State Incarceration", 15),
                                             ("287g Program", 10), ("Located", 8), ("Non-Custodial Arrest", 7)], n),
        "Apprehension Program": _choice(rng, [("Enforcement and Removal Operations", 90),
                                              ("Border Patrol", 6), ("Other", 4)], n),
        "Apprehension State": states.copy(),
        "Apprehension AOR": aor_codes.copy(),
        "287(g) Arrest": _choice(rng, [("N", 88), ("Y", 12)], n),
        "Federal Interest Flag": _flags(rng, n, 0.02),
        "Gang Member Flag": _flags(rng, n, 0.03),
        "Sex Offender Flag": _flags(rng, n, 0.02),
        "Violent Criminal Flag": _flags(rng, n, 0.12),
        "Prior Deportation Flag": _flags(rng, n, 0.3),
        "Juvenile Flag": _flags(rng, n, 0.01),
        "Family Unit Flag": _flags(rng, n, 0.01, blank=0.5),
        "Final Order Flag": _flags(rng, n, 0.35),
        "Secure Communities Flag": _flags(rng, n, 0.6),
        "CAP Local Flag": _flags(rng, n, 0.7),
        "Judicial Warrant Flag": _flags(rng, n, 0.01),
        "Notice to Appear Issued Flag": _flags(rng, n, 0.45),
        "_lifted": lifted, "_resolved": resolved, "_declined": declined, "_subject": subject_of,
        "_facility": fac,
    }
    assert set(COLUMN_ORDER) <= set(out)
    return out


def as_of(det: dict, rng: np.random.Generator, last_day: dt.date, changed_share: float) -> tuple[dict, int]:
    """The same detainers as an export made at last_day would hold them: later detainers left out, later
    outcomes still blank, and a few outcomes recorded differently then (corrected in the newer export)."""
    end_serial = serial(last_day) + 1
    keep = det["Detainer Prepare Date"].astype(float) < end_serial
    out = {k: (v[keep].copy() if isinstance(v, np.ndarray) else v) for k, v in det.items()}
    later = ~(out["_lifted"] < end_serial) | ~out["_resolved"]
    for column in ("Detainer Lift Reason", "Detainer Lift Date", "Detainer Lift Program", "Book In After Detainer",
                   "Departed Date", "Departure Country", "Port of Departure"):
        out[column] = out[column].copy()
        out[column][later] = None
    recorded = ~later
    different = recorded & (rng.random(len(recorded)) < changed_share)
    alternatives = _choice(rng, [("Transferred", 40), ("Lifted", 30), ("Case Closed", 20), (DECLINED, 10)],
                           int(different.sum()))
    current = out["Detainer Lift Reason"][different]
    alternatives[alternatives == current] = "Lifted - Lack of Space"  # a known ICE lift reason (issue 8: no others)
    out["Detainer Lift Reason"][different] = alternatives
    return out, int(different.sum())


# --------------------------------------------------------------------------- writers

def write_export(path: Path, det: dict, title: str, exported: dt.date, seed: int) -> int:
    import xlsxwriter

    n = len(det["Detainer Prepare Date"])
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "tmpdir": str(path.parent),
                                               "strings_to_formulas": False, "strings_to_urls": False,
                                               "strings_to_numbers": False})
    workbook.set_properties({"title": title, "author": "bench/national.py (synthetic)",
                             "created": dt.datetime.combine(exported + dt.timedelta(days=1), dt.time(6, 0))})
    sheet = workbook.add_worksheet("Detainers")
    datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    titles = [
        "U.S. Immigration and Customs Enforcement - Enforcement and Removal Operations",
        title,
        f"Source: ICE Integrated Decision Support (IIDS), EID data through {exported:%m/%d/%Y}",
        f"SYNTHETIC BENCHMARK DATA made by bench/national.py (seed {seed}): no real person or record.",
    ]
    for r, text in enumerate(titles):  # rows 5 and 6 stay blank; the header is on row 7
        sheet.write_string(r, 0, text)
    for c, name in enumerate(COLUMN_ORDER):
        sheet.write_string(6, c, name)
    writers = []
    for name in COLUMN_ORDER:
        if name in DATETIME_COLUMNS:
            writers.append((sheet.write_number, datetime_format))
        elif name in DATE_COLUMNS:
            writers.append((sheet.write_number, date_format))
        elif name in NUMBER_COLUMNS:
            writers.append((sheet.write_number, None))
        else:
            writers.append((sheet.write_string, None))
    columns = [det[name].tolist() for name in COLUMN_ORDER]
    for i, row in enumerate(zip(*columns)):
        r = 7 + i
        for c, value in enumerate(row):
            if value is None:
                continue
            write, fmt = writers[c]
            if fmt is None:
                write(r, c, value)
            else:
                write(r, c, value, fmt)
    workbook.close()
    return n


SHARED_STRINGS_FILE = "ice-detainers-national-shared-strings.xlsx"
_INLINE_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"((?: s="[0-9]+")?) t="inlineStr"><is><t( xml:space="preserve")?>(.*?)</t></is></c>',
                          re.DOTALL)
_SHARED_STRINGS_TYPE = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
_SHARED_STRINGS_RELATION = (b'<Relationship Id="rIdSharedStrings" Type="http://schemas.openxmlformats.org/'
                            b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>')


def shared_strings_copy(source: Path, target: Path) -> int:
    """The same workbook with its text in a shared-strings table, as Excel and ICE's tools write it (XlsxWriter's
    constant-memory mode, which makes the set, writes inline strings). The sheet XML is streamed, block by block
    of whole rows; returns the number of distinct strings."""
    import zipfile

    index: dict[bytes, int] = {}
    preserve: set[int] = set()
    cells = [0]

    def shared(match: re.Match) -> bytes:
        cells[0] += 1
        text = match[4]
        number = index.setdefault(text, len(index))
        if match[3]:
            preserve.add(number)
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (match[1], match[2], number)

    tmp = target.with_name(target.name + ".part")
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as new:
        for info in old.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with old.open(info) as sheet, new.open(info.filename, "w", force_zip64=True) as out:
                    pending = b""
                    while block := sheet.read(1 << 24):
                        pending += block
                        cut = pending.rfind(b"</row>") + len(b"</row>")
                        if cut < len(b"</row>"):
                            continue
                        out.write(_INLINE_CELL.sub(shared, pending[:cut]))
                        pending = pending[cut:]
                    out.write(_INLINE_CELL.sub(shared, pending))
                continue
            data = old.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", _SHARED_STRINGS_TYPE + b"</Types>")
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", _SHARED_STRINGS_RELATION + b"</Relationships>")
            new.writestr(info.filename, data)
        with new.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
            out.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.'
                      b'openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">' % (cells[0], len(index)))
            for number, text in enumerate(index):
                space = b' xml:space="preserve"' if number in preserve else b""
                out.write(b"<si><t%s>%s</t></si>" % (space, text))
            out.write(b"</sst>")
    tmp.replace(target)
    return len(index)


def shared_strings_variant(folder: Path) -> Path:
    """``SHARED_STRINGS_FILE`` beside the set's variants, made from its main file once."""
    target = folder / "variants" / SHARED_STRINGS_FILE
    if not target.is_file():
        shared_strings_copy(folder / "inputs" / MAIN_FILE, target)
    return target


def write_template_xlsx(path: Path, title: str, header: list[str], rows: list[list], created: dt.datetime) -> None:
    """A sheet in the project's template layout: a title line, a blank row, the header on row 3."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties({"title": title, "created": created})
    sheet = workbook.add_worksheet(path.stem)
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_string(0, 0, title)
    for c, name in enumerate(header):
        sheet.write_string(2, c, name)
    for r, row in enumerate(rows, start=3):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            elif value not in (None, ""):
                sheet.write_string(r, c, str(value))
    workbook.close()


POLICY_HEADER = ["Jurisdiction", "State", "County FIPS", "AOR", "Date Enacted", "Policy",
                 "Criteria for Honoring Detainer", "Source", "As Of"]


def policy_rows(rng: np.random.Generator) -> list[list]:
    """30 policies, newest first; the newest enacted in the second-to-last week, so it is on file in two weeks."""
    counties = load_counties()
    newest = LAST_DAY - dt.timedelta(days=10)
    span = (newest - dt.date(2014, 10, 1)).days
    offsets = sorted(rng.choice(span, size=len(POLICY_COUNTIES) - 1, replace=False).tolist(), reverse=True)
    dates = [newest] + [dt.date(2014, 10, 1) + dt.timedelta(days=int(o)) for o in offsets]
    rows = []
    for (fips, policy, criteria), enacted in zip(POLICY_COUNTIES, dates):
        county = counties.by_fips[fips]
        aor = STATE_AOR[county.state]
        rows.append([f"{county.name}, {county.state}", county.state, fips, f"{AOR_NAMES[aor]} Field Office",
                     enacted, policy, criteria, "Public statement (synthetic benchmark data)", LAST_DAY])
    return rows


def charge_rows(rng: np.random.Generator, det: dict, count: int) -> list[list]:
    """count charges of people whose detainer was declined, each arrested after that decline."""
    end = serial(LAST_DAY)
    decline_day = np.floor(det["_lifted"])
    eligible = np.flatnonzero(det["_declined"] & (decline_day <= end - 1))
    rows: list[list] = []
    if count == 0 or len(eligible) == 0:
        return rows
    people = rng.choice(eligible, size=min(len(eligible), max(1, round(count / 1.3))), replace=False)
    per_person = np.ones(len(people), dtype=int)
    extra = count - len(people)
    while extra > 0:
        i = int(rng.integers(0, len(people)))
        if per_person[i] < 4:
            per_person[i] += 1
            extra -= 1
    for index, k in zip(people.tolist(), per_person.tolist()):
        declined_on = int(decline_day[index])
        subject = det["Unique Identifier"][index]
        state = det["Facility State"][index]
        city = det["Facility City"][index] or det["Detention Facility"][index]
        for _ in range(k):
            arrest = declined_on + int(rng.integers(1, min(300, end - declined_on) + 1))
            category, charge = CHARGES[int(rng.integers(0, len(CHARGES)))]
            status = CHARGE_STATUS[int(rng.choice(len(CHARGE_STATUS), p=[0.6, 0.2, 0.15, 0.05]))][0]
            disposition = arrest + int(rng.integers(15, 90))
            if status != "pending" and disposition > end:
                status = "pending"
            day = lambda s: (EXCEL_EPOCH + dt.timedelta(days=int(s))).isoformat()  # noqa: E731
            rows.append([subject, "", day(arrest), day(arrest - int(rng.integers(0, 3))),
                         f"{str(city).title()} Police Department", state, "", charge, category, status,
                         "" if status == "pending" else day(disposition)])
    return rows


CHARGES_HEADER = ["Subject ID", "Detainer ID", "Arrest Date", "Offense Date", "Arresting Agency", "State",
                  "County FIPS", "Charge", "Charge Category", "Status", "Disposition Date"]


def write_charges(path: Path, rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CHARGES_HEADER)
        writer.writerows(rows)


# --------------------------------------------------------------------------- the set

def build(folder: Path, rows: int = ROWS, seed: int = SEED, variants: bool = True) -> dict:
    """Write the national input set into folder (inputs/, variants/, manifest.json). Deterministic."""
    shared = shared_data_dir()
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    rng_fac, rng_det, rng_charges, rng_policies, rng_earlier, rng_next = streams[:6]
    inputs, variant_dir = folder / "inputs", folder / "variants"
    inputs.mkdir(parents=True, exist_ok=True)
    facilities = make_facilities(rng_fac, FACILITIES, shared)
    days = (LAST_DAY - FIRST_DAY).days + 1
    det = make_detainers(rng_det, rows, facilities, FIRST_DAY, days, LAST_DAY, seed, 0, cover_all_facilities=True)
    exported = dt.datetime.combine(LAST_DAY + dt.timedelta(days=1), dt.time(6, 0))
    created = exported

    write_export(inputs / MAIN_FILE, det, f"Detainers prepared {FIRST_DAY:%m/%d/%Y} - {LAST_DAY:%m/%d/%Y}",
                 LAST_DAY, seed)
    charges = charge_rows(rng_charges, det, round(CHARGES_AT_NATIONAL * rows / NATIONAL_ROWS))
    write_charges(inputs / "charges.csv", charges)
    policies = policy_rows(rng_policies)
    write_template_xlsx(inputs / "policies.xlsx", "Policies limiting cooperation (synthetic benchmark data)",
                        POLICY_HEADER, policies, created)
    files = {f"inputs/{p.name}": p for p in sorted(inputs.iterdir())}

    earlier_changed = 0
    if variants:
        variant_dir.mkdir(exist_ok=True)
        earlier, earlier_changed = as_of(det, rng_earlier, EARLIER_LAST_DAY, 0.01)
        write_export(variant_dir / EARLIER_FILE, earlier,
                     f"Detainers prepared {FIRST_DAY:%m/%d/%Y} - {EARLIER_LAST_DAY:%m/%d/%Y}", EARLIER_LAST_DAY, seed)
        next_rows = max(1, round(rows / WEEKS * 1.03))
        nxt = make_detainers(rng_next, next_rows, facilities, NEXT_WEEK[0], 7, NEXT_WEEK[1], seed,
                             subject_start=10 * rows + 1, cover_all_facilities=False)
        # some of next week's people had a detainer before
        again = rng_next.random(next_rows) < 0.05
        nxt["Unique Identifier"][again] = det["Unique Identifier"][rng_next.integers(0, rows, int(again.sum()))]
        write_export(variant_dir / NEXT_WEEK_FILE, nxt,
                     f"Detainers prepared {NEXT_WEEK[0]:%m/%d/%Y} - {NEXT_WEEK[1]:%m/%d/%Y}", NEXT_WEEK[1], seed)
        revised = [list(r) for r in policies]
        revised[0][6] = revised[0][6] + ", or a conviction for a violent felony"
        write_template_xlsx(variant_dir / "policies-revised.xlsx",
                            "Policies limiting cooperation (synthetic benchmark data)", POLICY_HEADER, revised, created)
        county = load_counties().by_fips["06073"]
        new_policy = [[f"{county.name}, {county.state}", county.state, county.fips, "San Diego Field Office",
                       LAST_DAY - dt.timedelta(days=3), "Sheriff limits notification of release dates",
                       "Judicial warrant", "Public statement (synthetic benchmark data)", LAST_DAY]]
        write_template_xlsx(variant_dir / "policies-new.xlsx", "New policy (synthetic benchmark data)",
                            POLICY_HEADER, new_policy, created)
        mapped = [f for f in facilities if f["county_fips"]]
        write_template_xlsx(variant_dir / "facilities.xlsx", "Facility to county map (synthetic benchmark data)",
                            ["Facility", "Facility Code", "State", "County FIPS", "AOR"],
                            [[f["name"], f["code"], f["state"], f["county_fips"], f"{AOR_NAMES[f['aor']]} Field Office"]
                             for f in mapped], created)
        files.update({f"variants/{p.name}": p for p in sorted(variant_dir.iterdir())})

    # Fixed modification times: the newer export is the newer file, whatever the copy order.
    for rel, path in files.items():
        stamp = exported
        if rel.endswith(EARLIER_FILE):
            stamp = dt.datetime.combine(EARLIER_LAST_DAY + dt.timedelta(days=1), dt.time(6, 0))
        elif rel.endswith(NEXT_WEEK_FILE):
            stamp = dt.datetime.combine(NEXT_WEEK[1] + dt.timedelta(days=1), dt.time(6, 0))
        ts = stamp.replace(tzinfo=dt.timezone.utc).timestamp()
        os.utime(path, (ts, ts))

    declined = int(det["_declined"].sum())
    pending = int((~det["_resolved"]).sum())
    manifest = {
        "generator": "bench/national.py", "seed": seed, "rows": rows, "columns": len(COLUMN_ORDER),
        "first_day": FIRST_DAY.isoformat(), "last_day": LAST_DAY.isoformat(), "weeks": WEEKS,
        "facilities": len(set(det["Detention Facility Code"].tolist())),
        "facilities_real_ice_codes": sum(1 for f in facilities if f["real"]),
        "facilities_with_county": sum(1 for f in facilities if f["county_fips"]),
        "subjects": len(set(det["Unique Identifier"].tolist())),
        "declined": declined, "declined_share": round(declined / rows, 4),
        "pending_blank": pending, "charges": len(charges), "policies": len(policies),
        "earlier_export": {"last_day": EARLIER_LAST_DAY.isoformat(),
                           "rows": int((det["Detainer Prepare Date"].astype(float) < serial(EARLIER_LAST_DAY) + 1).sum()),
                           "outcomes_recorded_differently": earlier_changed} if variants else None,
        "next_week": {"first_day": NEXT_WEEK[0].isoformat(), "last_day": NEXT_WEEK[1].isoformat(),
                      "rows": max(1, round(rows / WEEKS * 1.03))} if variants else None,
        "shared_data": str(shared) if shared else None,
        "files": {rel: {"bytes": p.stat().st_size, "sha256": sha256_file(p)} for rel, p in sorted(files.items())},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def cache_key(rows: int, seed: int, variants: bool) -> str:
    """What the set depends on: this file, the parameters, and the source files it reads."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(json.dumps({"rows": rows, "seed": seed, "variants": variants}).encode())
    shared = shared_data_dir()
    for rel in (ICE_FACILITY_LIST, HIFLD_PRISONS):
        if shared and (shared / rel).is_file():
            digest.update(sha256_file(shared / rel).encode())
    digest.update(sha256_file(PROJECT / "reports" / "data" / "us_county_population_2010_2019.csv").encode())
    return digest.hexdigest()[:12]


def cached(rows: int = ROWS, seed: int = SEED, variants: bool = True, root: Path = DATA_ROOT) -> Path | None:
    """The folder of an already built set for these parameters (a set with variants serves without too)."""
    for want_variants in ((True, False) if not variants else (True,)):
        folder = root / f"{rows}-{cache_key(rows, seed, want_variants)}"
        if (folder / "manifest.json").is_file():
            return folder
    return None


def ensure(rows: int = ROWS, seed: int = SEED, variants: bool = True, root: Path = DATA_ROOT,
           log=lambda message: None) -> Path:
    """The folder of the set for these parameters, built once."""
    found = cached(rows, seed, variants, root)
    if found:
        return found
    folder = root / f"{rows}-{cache_key(rows, seed, variants)}"
    staging = root / f".{folder.name}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    log(f"building the national input set ({rows:,} rows{', with variants' if variants else ''}) in {folder} …")
    build(staging, rows, seed, variants)
    rename_into_place(staging, folder)
    return folder


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-variants", action="store_true", help="only inputs/ (for the scaling line)")
    parser.add_argument("--out", type=Path, help="write here instead of the cache folder (always rebuilt)")
    args = parser.parse_args(argv)
    if args.out:
        manifest = build(args.out, args.rows, args.seed, not args.no_variants)
        folder = args.out
    else:
        folder = ensure(args.rows, args.seed, not args.no_variants, log=lambda m: print(m, file=sys.stderr))
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    print(folder)
    print(json.dumps({k: v for k, v in manifest.items() if k != "files"}, indent=2))


if __name__ == "__main__":
    main()
