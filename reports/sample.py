"""The bundled SAMPLE data set: synthetic, seeded, realistic in shape. Not official figures.

    python -m reports.sample      # rewrite reports/data/sample/ (deterministic)

It goes through exactly the same ingest as staff files, in the same layouts staff
use (title rows, a CSV, County FIPS left blank so the facilities table is used,
one facility left unmapped), so a fresh clone shows every part of the report.
"""
from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from .reference import load_counties
from .resources import package_path

SAMPLE_DIR = package_path("data", "sample")
SEED = 20170320  # the day the first DDOR was published
FIRST_DAY = dt.date(2026, 7, 25)  # a Saturday
LAST_DAY = dt.date(2026, 11, 13)  # a Friday: 16 full Saturday-Friday weeks
CREATED = dt.datetime(2026, 11, 14)

# county FIPS, weekly detainers (mean), decline share, policy (date enacted, text, criteria) or None
COUNTIES = [
    ("48453", 9, 0.55, (dt.date(2026, 9, 5), "Sheriff honors detainers only for listed serious offenses",
                        "Charged with or convicted of capital murder, aggravated sexual assault or continuous smuggling")),
    ("32003", 14, 0.05, None),
    ("36059", 8, 0.35, (dt.date(2025, 3, 1), "County honors detainers only with a judicial warrant",
                        "Detainer accompanied by a judicial warrant")),
    ("17031", 10, 0.80, (dt.date(2024, 1, 15), "Ordinance bars holding people on civil detainers",
                         "None: detainers are not honored")),
    ("42091", 5, 0.30, (dt.date(2025, 6, 10), "County prison requires a judicial warrant",
                        "Judicial warrant or order")),
    ("42101", 7, 0.70, (dt.date(2024, 11, 1), "City policy limits notification and holds",
                        "Convicted of a first- or second-degree felony involving violence, with a judicial warrant")),
    ("53061", 4, 0.40, (dt.date(2025, 2, 20), "Jail declines detainers without a warrant",
                        "Judicial warrant")),
    ("41067", 3, 0.60, (dt.date(2023, 8, 1), "State law limits use of resources for immigration enforcement",
                        "Judicial warrant")),
    ("12001", 3, 0.02, None),
    ("42055", 2, 0.0, None),
    ("36033", 1, 0.0, None),
    ("19137", 1, 0.0, None),
    ("06037", 16, 0.45, (dt.date(2023, 1, 1), "State law limits detainer compliance",
                         "Convicted of serious or violent felony listed in state law")),
    ("04013", 18, 0.02, None),
    ("48201", 20, 0.01, None),
    ("48113", 12, 0.03, None),
    ("12086", 11, 0.04, None),
    ("53033", 6, 0.50, (dt.date(2024, 5, 1), "County honors only with a judicial warrant", "Judicial warrant")),
    ("08031", 5, 0.50, (dt.date(2025, 10, 1), "City ordinance limits cooperation", "Judicial warrant")),
    ("06085", 5, 0.65, (dt.date(2024, 2, 1), "County policy declines civil detainers",
                        "Convicted of a serious or violent felony, with a judicial warrant")),
    ("27053", 4, 0.40, None),
    ("48029", 9, 0.02, None),
    ("37119", 6, 0.05, None),
    ("13121", 7, 0.03, None),
]
CITIZENSHIP = [("MEXICO", 48), ("GUATEMALA", 14), ("HONDURAS", 12), ("EL SALVADOR", 9), ("DOMINICAN REPUBLIC", 3),
               ("VENEZUELA", 3), ("CUBA", 2), ("COLOMBIA", 2), ("ECUADOR", 2), ("HAITI", 1), ("INDIA", 1),
               ("CHINA, PEOPLES REPUBLIC OF", 1), ("JAMAICA", 1), ("BRAZIL", 1)]
CRIMINALITY = [("1 Convicted Criminal", 55), ("2 Pending Criminal Charges", 27), ("3 Other Immigration Violator", 18)]
CONVICTIONS = ["Driving under the influence", "Assault", "Drug possession", "Larceny", "Burglary",
               "Traffic offense", "Illegal entry", "Weapon offense", "Fraud", "Domestic violence"]
CHARGE_CATEGORIES = [("Traffic", "Driving with suspended license"), ("Traffic", "Driving under the influence"),
                     ("Drug", "Possession of marijuana"), ("Drug", "Possession of controlled substance"),
                     ("Property", "Shoplifting"), ("Property", "Burglary"), ("Violent", "Assault"),
                     ("Violent", "Robbery"), ("Other", "Failure to appear"), ("Other", "Trespass")]
MONTH_ONLY_POLICIES = {"41067"}  # Date Enacted written as "August 2023"
LIFT_OTHER = ["Case Closed", "Lifted", "Transferred", "Prosecutorial Discretion", "Early Release"]


def _weighted(rng: random.Random, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def build_rows(seed: int = SEED):
    rng = random.Random(seed)
    counties = load_counties()
    facilities, detainers, charges, policies = [], [], [], []
    facility_for = {}
    for index, (fips, _, _, policy) in enumerate(COUNTIES):
        county = counties.by_fips[fips]
        code = f"{county.state}{fips[2:]}CJ"
        name = f"{county.base_name.upper()} COUNTY JAIL, {county.state}"
        facility_for[fips] = (name, code, county)
        facilities.append({"Facility": name, "Facility Code": code, "State": county.state, "County FIPS": fips,
                           "AOR": f"{county.state} Field Office"})
        if policy:
            enacted, text, criteria = policy
            policies.append({"Jurisdiction": f"{county.name} ({county.state} Field Office)", "State": county.state,
                             "County FIPS": fips, "AOR": f"{county.state} Field Office",
                             # policy lists often give only the month: one sample policy is written that way
                             "Date Enacted": f"{enacted:%B %Y}" if fips in MONTH_ONLY_POLICIES else enacted,
                             "Policy": text, "Criteria for Honoring Detainer": criteria,
                             "Source": "Public statement (synthetic sample)", "As Of": dt.date(2026, 11, 1)})
    unmapped = ("REGIONAL PROCESSING CTR", "RPCX01", "TX")  # left out of the facilities table on purpose

    serial = 0
    subject_serial = 0
    days = (LAST_DAY - FIRST_DAY).days + 1
    for day_offset in range(-120, days):  # some detainers issued long before the first week
        day = FIRST_DAY + dt.timedelta(days=day_offset)
        for fips, weekly, decline_share, policy in COUNTIES:
            daily = weekly / 7 * (0.25 if day_offset < 0 else 1.0)
            for _ in range(_poisson(rng, daily)):
                serial += 1
                subject_serial += 1
                name, code, county = facility_for[fips]
                if rng.random() < 0.03:
                    name, code, state = unmapped
                    county_fips_cell = ""
                else:
                    state = county.state
                    county_fips_cell = fips if rng.random() < 0.5 else ""  # rest via facilities table
                age = (LAST_DAY - day).days
                new_policy = policy is not None and FIRST_DAY <= policy[0] <= LAST_DAY
                before_policy = policy is not None and day < policy[0]
                share = decline_share * 0.15 if before_policy else decline_share
                roll = rng.random()
                # most detainers resolve within days; before a new policy, people are held awaiting trial
                resolve_days = (rng.randint(20, 150) if new_policy and before_policy
                                else min(1 + int(rng.expovariate(1 / 3)), 60))
                resolved_on = day + dt.timedelta(days=resolve_days)
                if new_policy and before_policy and resolved_on >= policy[0]:
                    # the policy's first day: every detainer held in that jail re-assessed at once
                    outcome, outcome_date = "Detainer Declined by LEA", policy[0]
                elif resolve_days > age:
                    outcome, outcome_date = "", None
                elif roll < share:
                    outcome, outcome_date = "Detainer Declined by LEA", resolved_on
                elif roll < share + (1 - share) * 0.82:
                    outcome, outcome_date = "Booked into Detention", resolved_on
                else:
                    outcome, outcome_date = rng.choice(LIFT_OTHER), resolved_on
                criminality = _weighted(rng, CRIMINALITY)
                msc = rng.choice(CONVICTIONS) if criminality.startswith("1") else ""
                subject = f"S{subject_serial:06d}"
                detainers.append({
                    "Detainer ID": f"D26-{serial:06d}", "Subject ID": subject, "Facility": name,
                    "Facility Code": code, "City": "", "State": state, "County FIPS": county_fips_cell,
                    "AOR": f"{state} Field Office", "Date Issued": day, "Outcome": outcome,
                    "Outcome Date": outcome_date, "Citizenship": _weighted(rng, CITIZENSHIP),
                    "Criminality": criminality, "Most Serious Conviction": msc,
                    "Detainer Type": "I-247A",
                })
                if outcome == "Detainer Declined by LEA" and rng.random() < 0.18:
                    for _ in range(rng.choice([1, 1, 1, 2, 3])):
                        gap = rng.randint(-5, 90)  # a few charges predate the decline: not subsequent
                        arrest = outcome_date + dt.timedelta(days=gap)
                        if arrest > LAST_DAY:
                            continue
                        category, charge = rng.choice(CHARGE_CATEGORIES)
                        status = _weighted(rng, [("pending", 60), ("convicted", 20), ("dismissed", 15),
                                                 ("acquitted", 5)])
                        linked_id = "" if rng.random() < 0.5 else f"D26-{serial:06d}"
                        disposed = None if status == "pending" else arrest + dt.timedelta(days=rng.randint(20, 60))
                        if disposed and disposed > LAST_DAY:  # not disposed yet when the data were extracted
                            status, disposed = "pending", None
                        charges.append({
                            "Subject ID": subject, "Detainer ID": linked_id,
                            "Arrest Date": arrest.isoformat(), "Offense Date": arrest.isoformat(),
                            "Arresting Agency": f"{county.base_name} County Sheriff", "State": county.state,
                            "County FIPS": fips, "Charge": charge, "Charge Category": category, "Status": status,
                            "Disposition Date": disposed.isoformat() if disposed else "",
                        })
    corrections = _sample_corrections(detainers)
    return detainers, charges, facilities, policies, corrections


def _sample_corrections(detainers: list[dict]) -> list[dict]:
    """One disputed decline corrected (a transfer recorded as a decline) and one jurisdiction's response."""
    week_start = LAST_DAY - dt.timedelta(days=6)
    disputed = next(d for d in detainers if d["County FIPS"] == "17031" and d["Outcome Date"]
                    and d["Outcome"] == "Detainer Declined by LEA" and d["Outcome Date"] >= week_start)
    blank = {"Detainer ID": "", "County FIPS": "", "Field": "", "Correct Value": "", "What Was Wrong": ""}
    return [
        {**blank, "Date": LAST_DAY.isoformat(), "Type": "correction", "Detainer ID": disputed["Detainer ID"],
         "Field": "Outcome", "Correct Value": "other",
         "What Was Wrong": "A transfer to another county's jail was recorded as a decline",
         "Note": "Corrected after the county disputed the record (synthetic sample)."},
        {**blank, "Date": LAST_DAY.isoformat(), "Type": "response", "County FIPS": "48453",
         "Note": "The Sheriff's Office honors detainers for the offenses listed in its policy and any detainer "
                 "accompanied by a judicial warrant (synthetic sample statement)."},
    ]


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method; means here are small
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _write_xlsx(path: Path, title: str, rows: list[dict]) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties({"title": title, "created": CREATED})
    sheet = workbook.add_worksheet("Sheet1")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write(0, 0, f"SAMPLE DATA - NOT OFFICIAL. {title}")
    sheet.write(1, 0, "Synthetic records generated by reports/sample.py; every name and number is invented.")
    header_row = 3
    for col, name in enumerate(rows[0]):
        sheet.write_string(header_row, col, name)
    for r, row in enumerate(rows, start=header_row + 1):
        for col, value in enumerate(row.values()):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, col, dt.datetime.combine(value, dt.time()), date_format)
            elif value is None or value == "":
                continue
            else:
                sheet.write_string(r, col, str(value))
    workbook.close()


def write_sample(folder: Path = SAMPLE_DIR, seed: int = SEED) -> list[Path]:
    detainers, charges, facilities, policies, corrections = build_rows(seed)
    folder.mkdir(parents=True, exist_ok=True)
    _write_xlsx(folder / "detainers.xlsx", "Detainers issued (sample)", detainers)
    _write_xlsx(folder / "facilities.xlsx", "Facility to county map (sample)", facilities)
    _write_xlsx(folder / "policies.xlsx", "Policies limiting cooperation (sample)", policies)
    with open(folder / "charges.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(charges[0]))
        writer.writeheader()
        writer.writerows(charges)
    with open(folder / "corrections.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["Date", "Type", "Detainer ID", "County FIPS", "Field",
                                                    "Correct Value", "What Was Wrong", "Note"])
        writer.writeheader()
        writer.writerows(corrections)
    return sorted(folder.iterdir())


if __name__ == "__main__":
    for path in write_sample():
        print(path)
