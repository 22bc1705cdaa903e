"""Reference data shipped with the project: US counties (Census Bureau, vintage 2019)."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .resources import package_path
from .vocabulary import STATES

COUNTIES_CSV = package_path("data", "us_county_population_2010_2019.csv")
STATE_BY_FIPS = {fips: code for code, (fips, _) in STATES.items()}
NOT_DETERMINED = "not determined"  # a detainer's county when no rule could place it in one
JURISDICTION_NOT_DETERMINED = f"jurisdiction {NOT_DETERMINED}"
COUNTY_WORDS = re.compile(r"\s+(County|Parish|Borough|Census Area|City and Borough|Municipality|Municipio|city)$")


@dataclass(frozen=True)
class County:
    fips: str
    state: str  # postal code
    name: str  # "Montgomery County"
    population: int  # 2019 estimate

    @property
    def base_name(self) -> str:
        """'Montgomery County' -> 'Montgomery'; 'Baltimore city' stays distinct by its suffix."""
        return COUNTY_WORDS.sub("", self.name)

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}"


@dataclass(frozen=True, eq=False)  # hashed by identity, so per-state lookups can be cached
class Counties:
    by_fips: dict[str, County]

    def in_state(self, state: str) -> list[County]:
        return [c for c in self.by_fips.values() if c.state == state]

    def county(self, fips) -> County | None:
        """The county of a FIPS code; None for no code (None, NaN, "") or one not in the list."""
        return self.by_fips.get(fips) if isinstance(fips, str) else None

    def name(self, fips) -> str:
        """'Montgomery County', or 'jurisdiction not determined' for no county."""
        county = self.county(fips)
        return county.name if county else JURISDICTION_NOT_DETERMINED

    def population(self, fips) -> int | None:
        county = self.county(fips)
        return county.population if county else None


@lru_cache(maxsize=1)
def load_counties(path: Path = COUNTIES_CSV) -> Counties:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return Counties({
        row["fips"]: County(row["fips"], STATE_BY_FIPS[row["state_fips"]], row["county_name"], int(row["popest_2019"]))
        for row in rows
    })
