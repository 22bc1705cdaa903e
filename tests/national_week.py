"""A national-scale week for tests: every county of the Census reference gets detainers (about 3,000
jurisdictions), seeded, written in the simple CSV layout staff use."""
from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from reports.reference import load_counties

WEEK_END = dt.date(2017, 2, 3)  # a Friday: weeks run Saturday to Friday
NOW = dt.datetime(2017, 3, 20, 9, 0, tzinfo=dt.timezone.utc)
OUTCOMES = ["Detainer Declined by LEA", "Booked into Detention", "", "Transferred"]


def write_national_week(folder: Path, *, seed: int = 11, weeks: int = 3, counties_limit: int | None = None) -> int:
    """detainers.csv, charges.csv and policies.csv in ``folder``; returns the number of counties used."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    counties = sorted(load_counties().by_fips.values(), key=lambda c: c.fips)[:counties_limit]
    first = WEEK_END - dt.timedelta(days=7 * weeks - 1)
    detainers, charges, policies = [], [], []
    n = 0
    for county in counties:
        for _ in range(rng.choice([1, 1, 2, 3])):
            n += 1
            issued = first + dt.timedelta(days=rng.randrange(7 * weeks))
            outcome = rng.choice(OUTCOMES)
            decided = "" if not outcome else (issued + dt.timedelta(days=rng.randrange(0, 5)))
            if decided and decided > WEEK_END:
                decided = WEEK_END
            detainers.append([f"D{n}", f"S{n}", f"{county.name.upper()} JAIL", county.state, county.fips,
                              issued.isoformat(), outcome, decided and decided.isoformat(),
                              rng.choice(["convicted", "pending charges", "none"])])
            if outcome.startswith("Detainer Declined") and rng.random() < 0.3:
                arrest = decided + dt.timedelta(days=rng.randrange(1, 10))
                if arrest <= WEEK_END:
                    charges.append([f"S{n}", f"D{n}", arrest.isoformat(), county.state, "Theft", "Property",
                                    rng.choice(["pending", "convicted", "dismissed"])])
        if rng.random() < 0.05:
            policies.append([county.name, county.state, county.fips, "Field Office",
                             (first - dt.timedelta(days=rng.randrange(1, 900))).isoformat(), "Policy text",
                             "Judicial warrant", "Public statement", ""])
    _write(folder / "detainers.csv", ["Detainer ID", "Subject ID", "Facility", "State", "County FIPS",
                                      "Date Issued", "Outcome", "Outcome Date", "Criminality"], detainers)
    _write(folder / "charges.csv", ["Subject ID", "Detainer ID", "Arrest Date", "State", "Charge",
                                    "Charge Category", "Status"], charges)
    _write(folder / "policies.csv", ["Jurisdiction", "State", "County FIPS", "AOR", "Date Enacted", "Policy",
                                     "Criteria for Honoring Detainer", "Source", "As Of"], policies)
    return len(counties)


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
