"""The one place a detainer's jurisdiction is set: its county (FIPS, name, population), how it was found and why.

Used by attribution (``attribution.assign_jurisdictions``) and by the corrections engine
(``corrections.apply_county_corrections``), so a county set either way carries the same columns.
"""
from __future__ import annotations

import pandas as pd

from .reference import Counties


def resolve_jurisdictions(detainers: pd.DataFrame, fips: pd.Series, source, evidence, counties: Counties
                          ) -> pd.DataFrame:
    """A new frame in which the rows of ``fips`` (indexed like ``detainers``; None: not determined) have that
    county, its name and population, ``source`` as jurisdiction_source and ``evidence`` as
    jurisdiction_evidence (each a value, or a Series indexed like ``fips``). Other rows are unchanged."""
    fips = fips.astype(object).where(fips.notna(), None)
    values = {
        "county_fips": fips,
        "county_name": fips.map(counties.name),
        "county_population": fips.map(counties.population),
        "jurisdiction_source": source,
        "jurisdiction_evidence": evidence,
    }
    out = detainers.copy()
    whole = fips.index.equals(out.index)
    for column, value in values.items():
        if whole:
            out[column] = value
        else:
            if column not in out.columns:
                out[column] = None
            out.loc[fips.index, column] = value
    return out
