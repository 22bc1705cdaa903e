"""The one place a detainer's jurisdiction is set: its county (FIPS, name, population), how it was found and why.

Used by attribution (``attribution.assign_jurisdictions``) and by the corrections engine
(``corrections.apply_county_corrections``), so a county set either way carries the same columns.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .reference import Counties


JURISDICTION_COLUMNS = ("county_fips", "county_name", "county_population", "jurisdiction_source",
                        "jurisdiction_evidence")


def resolve_jurisdictions(detainers: pd.DataFrame, fips: pd.Series, source, evidence, counties: Counties
                          ) -> pd.DataFrame:
    """A new frame in which the rows of ``fips`` (indexed like ``detainers``; None: not determined) have that
    county, its name and population, ``source`` as jurisdiction_source and ``evidence`` as
    jurisdiction_evidence (each a value, or a Series indexed like ``fips``). Other rows are unchanged."""
    fips = fips.astype(object).where(fips.notna(), None)
    codes, uniques = pd.factorize(fips, use_na_sentinel=True)  # each county looked up once; -1 (none) is last
    names = np.array([counties.name(f) for f in uniques] + [counties.name(None)], dtype=object)
    populations = np.array([counties.population(f) for f in uniques] + [None], dtype=object)
    values = {
        "county_fips": fips,
        "county_name": pd.Series(names[codes].tolist(), index=fips.index),  # dtypes inferred, as Series.map does
        "county_population": pd.Series(populations[codes].tolist(), index=fips.index),
        "jurisdiction_source": source,
        "jurisdiction_evidence": evidence,
    }
    out = detainers.copy(deep=False)  # copy-on-write (pandas 3): setting a column never reaches detainers
    whole = fips.index.equals(out.index)
    for column, value in values.items():
        if whole:
            out[column] = value
        else:
            if column not in out.columns:
                out[column] = None
            out.loc[fips.index, column] = value
    return out
