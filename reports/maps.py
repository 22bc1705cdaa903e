"""The report's two county maps: declines recorded this week, and detainers issued per 100,000 residents.

What is "no data" (hatched): a county with no detainer at all this week (none issued, no decline recorded).
A county with detainers but no declines is 0, the lightest class. A count withheld under ``min_cell`` ("[c]")
is never mapped as a number: it is hatched too, and the legend says so. Detainers whose county could not be
determined cannot be mapped; their number is stated beside the map.
"""
from __future__ import annotations

from collections import Counter

import pandas as pd
from markupsafe import Markup

from .blank import is_null
from .countymap import county_map_svg, figures_rows, map_description
from .mapgeometry import load_geometry
from .disclosure import WITHHELD
from .wording import counted


def _with_detainers(jurisdictions: pd.DataFrame) -> pd.DataFrame:
    def positive(value) -> bool:
        return isinstance(value, str) or bool(value)

    known = jurisdictions[jurisdictions["fips"] != ""]
    mask = [positive(i) or positive(d) for i, d in zip(known["issued"], known["declined"])]
    return known[pd.Series(mask, index=known.index, dtype=bool)]


def map_values(jurisdictions: pd.DataFrame, column: str) -> tuple[dict, int]:
    """({FIPS: value} for the counties with any detainer this week, the number withheld). A withheld value is
    left out: hatched, never a number."""
    rows = _with_detainers(jurisdictions)
    values, withheld = {}, 0
    for fips, value in zip(rows["fips"], rows[column]):
        if isinstance(value, str) and value == WITHHELD:
            withheld += 1
        else:
            values[fips] = 0 if is_null(value) else value
    return values, withheld


MAPS = (
    # id, column, title, measure, unit, units, legend, decimals, rate
    ("declines", "declined", "Map 1. Declines recorded this week, by county", "declines recorded this week",
     "decline", "declines", "Declines recorded this week", 0, False),
    ("per100k", "issued_per_100k", "Map 2. Detainers issued this week per 100,000 residents, by county",
     "detainers issued this week per 100,000 residents (2019 population)", "detainer", "detainers",
     "Detainers issued per 100,000 residents", 1, True),
)


def report_maps(jurisdictions: pd.DataFrame, not_determined: dict, *, for_pdf: bool, min_cell: int) -> list[dict]:
    """Each map with its SVG, text alternative, the note on what is not mapped, the number of counties per
    legend class, and (for the HTML) the figures of every county with data."""
    total_counties = len(load_geometry().counties)
    out = []
    for map_id, column, title, measure, unit, units, legend, decimals, rate in MAPS:
        values, withheld = map_values(jurisdictions, column)
        missing = not_determined[map_id]
        note = (f"Not determined: {counted(missing, unit, units)} could not be placed in a county and "
                f"{'is' if missing == 1 else 'are'} not on the map." if missing else None)
        no_data = "No detainer this week" + (", or withheld [c]" if min_cell else "")
        description = map_description(values, measure=measure, unit=unit, units=units, decimals=decimals,
                                      rate=rate)
        svg = county_map_svg(values, title=title, description=description, legend_title=legend, decimals=decimals,
                             note=note, no_data_label=no_data, id_prefix=f"map-{map_id}", for_pdf=for_pdf)
        figures = figures_rows(values, decimals=decimals)
        per_class = Counter(row["class_label"] for row in figures)
        classes = [{"label": label, "counties": n} for label, n in reversed(per_class.items())]
        classes.append({"label": no_data + " (hatched)", "counties": total_counties - len(values)})
        out.append({"id": map_id, "title": title, "svg": Markup(svg), "description": description,
                    "not_determined_note": note or f"Every {unit} this week was placed in a county.",
                    "withheld": withheld, "classes": classes, "figures": [] if for_pdf else figures,
                    "counties_with_data": len(values), "legend": legend,
                    "with_detainers": counted(len(values) + withheld, "county", "counties")})
    return out
