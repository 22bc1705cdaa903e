"""County choropleth maps as inline SVG, drawn at build time (no JavaScript, no network), on the outlines of
``mapgeometry``.

Drawing, bottom to top: the land, filled with the "no data" hatching (one path, so one PDF pattern); the
counties with data, grouped by class; for a browser, the counties without data too, unfilled so the hatching
shows through, so that every county has a path with its FIPS and a title shown on hover; the state borders;
the legend below the map. For the PDF (``for_pdf``) the same picture is drawn in one path per class.

Classes and breaks (``classify``): values are first rounded to the ``decimals`` they are printed with, so a
county is always in the class its printed value reads into. Zero is data, never "no data": when any county
has 0 it gets a class of its own, the lightest. The positive values are cut at their nearest-rank quantiles
(so each class holds about as many counties), each cut rounded up to one significant digit (3, 20, 400); the
top class runs to the largest value. Or pass ``breaks`` for a scale fixed from week to week.
Colours: ColorBrewer YlGnBu (Cynthia Brewer, Mark Harrower and The Pennsylvania State University, Apache
License 2.0), a sequential scheme that ColorBrewer lists as colour-blind safe and print friendly; its
lightness falls monotonically, so the classes also read in greyscale.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Mapping, Sequence
from xml.sax.saxutils import escape

from .blank import is_null
from .mapgeometry import PRINT_TOLERANCE, Geometry, load_geometry
from .reference import load_counties
from .wording import counted, noun

# ColorBrewer YlGnBu, by number of classes
PALETTES = {
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
}
MAX_CLASSES = max(PALETTES)
NO_DATA_BACKGROUND = "#ffffff"
HATCH_COLOUR = "#b4b4b4"
COUNTY_BORDER = "#ffffff"
STATE_BORDER = "#4d4d4d"
TEXT_COLOUR = "#1a1a1a"
FONT_FAMILY = "DejaVu Sans, Helvetica, Arial, sans-serif"
EN_DASH = "\u2013"


# --- classes ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MapClass:
    low: int  # inclusive, in units of 10 ** -decimals (the printed precision)
    high: int | None  # inclusive; None: no upper bound ("21 or more")
    colour: str
    label: str

    def holds(self, units: int) -> bool:
        return self.low <= units and (self.high is None or units <= self.high)


@dataclass(frozen=True)
class Classification:
    classes: tuple[MapClass, ...]
    decimals: int

    def class_of(self, units: int) -> MapClass:
        for map_class in self.classes:
            if map_class.holds(units):
                return map_class
        raise ValueError(f"{format_units(units, self.decimals)} is in no class")


def to_units(value: float | int | None, decimals: int) -> int | None:
    """The value as printed, in units of 10 ** -decimals; None for no data (None or NaN)."""
    if is_null(value):
        return None
    if value < 0 or math.isinf(value):
        raise ValueError(f"a mapped value must be a finite number of at least 0, not {value!r}")
    return int(Decimal(format(value, f".{decimals}f")).scaleb(decimals))


def format_units(units: int, decimals: int) -> str:
    return f"{Decimal(units).scaleb(-decimals):,.{decimals}f}"


def nice_ceiling(units: int) -> int:
    """``units`` rounded up to one significant digit: 3 -> 3, 12 -> 20, 142 -> 200."""
    power = 10 ** (len(str(units)) - 1)
    return -(-units // power) * power


def palette(count: int) -> tuple[str, ...]:
    """ColorBrewer's scheme for that many classes; for fewer than 3, colours of the 3-class one."""
    if count > MAX_CLASSES:
        raise ValueError(f"at most {MAX_CLASSES} classes can be told apart, not {count}")
    if count >= 3:
        return PALETTES[count]
    light, middle, dark = PALETTES[3]
    return ((), (middle,), (light, dark))[count]


def quantile_upper_bounds(positive: Sequence[int], count: int) -> list[int]:
    """Upper bounds of ``count`` classes of the sorted positive values: nearest-rank quantiles rounded up to
    nice numbers, then the largest value. Ties and rounding can give fewer classes, never empty ones."""
    cuts = {nice_ceiling(positive[math.ceil(i * len(positive) / count) - 1]) for i in range(1, count)}
    return sorted(cut for cut in cuts if cut < positive[-1]) + [positive[-1]]


def range_label(low: int, high: int | None, decimals: int) -> str:
    if high is None:
        return f"{format_units(low, decimals)} or more"
    if low == high:
        return format_units(low, decimals)
    return f"{format_units(low, decimals)}{EN_DASH}{format_units(high, decimals)}"


def classify(values: Mapping[str, float | int | None], *, classes: int = 5, breaks: Sequence[float] | None = None,
             decimals: int = 0) -> Classification:
    """The classes of the map: 0 on its own when a county has 0 (or always, with fixed ``breaks``), then the
    positive values from 1 unit up. ``breaks`` are the inclusive upper bounds of the positive classes but the
    last, which has no upper bound. ``classes`` is the most there can be."""
    if not 2 <= classes <= MAX_CLASSES:
        raise ValueError(f"classes must be from 2 to {MAX_CLASSES}, not {classes}")
    units = sorted(u for u in (to_units(v, decimals) for v in values.values()) if u is not None)
    positive = [u for u in units if u > 0]
    if breaks is not None:
        bounds = [to_units(b, decimals) for b in breaks]
        if not bounds or bounds[0] <= 0 or any(a >= b for a, b in zip(bounds, bounds[1:])):
            raise ValueError(f"breaks must be positive and increasing at the printed precision, not {breaks!r}")
        uppers: list[int | None] = [*bounds, None]
        with_zero = True
    else:
        with_zero = bool(units) and units[0] == 0
        uppers = list(quantile_upper_bounds(positive, classes - with_zero)) if positive else []
    colours = palette(with_zero + len(uppers))
    made = [MapClass(0, 0, colours[0], format_units(0, decimals))] if with_zero else []
    low = 1
    for high in uppers:
        made.append(MapClass(low, high, colours[len(made)], range_label(low, high, decimals)))
        low = (high or 0) + 1
    return Classification(tuple(made), decimals)


# --- the SVG ------------------------------------------------------------------------------------------------

MARGIN = 4
LEGEND_GAP = 26  # between the map and the legend
LEGEND_TITLE_SIZE = 20  # about 8 pt when the map is 17 cm wide
LEGEND_TEXT_SIZE = 19
SWATCH_HEIGHT = 18
MIN_SWATCH_WIDTH = 80
NO_DATA_SWATCH_WIDTH = 48
CHARACTER_WIDTH = 0.62  # of the font size: enough for DejaVu Sans digits, dashes and commas
SVG_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def check_values(values: Mapping[str, float | int | None], known: Mapping[str, str]) -> None:
    """Every key must be a county of the map: a code that is not is an error, never dropped."""
    unknown = sorted(str(fips) for fips in values if fips not in known)
    if unknown:
        short = any(len(f) < 5 for f in unknown)
        hint = " (a county FIPS code has 5 digits: was a leading zero lost?)" if short else ""
        raise ValueError(f"not a county FIPS code of the map: {', '.join(unknown[:5])}{hint}")


def county_label(fips: str) -> str:
    return load_counties().by_fips[fips].label


@dataclass(frozen=True)
class Shading:
    """Which counties fall in which class, in FIPS order."""
    by_class: dict[MapClass, list[tuple[str, str]]]  # class -> [(fips, printed value)]
    no_data: list[str]


def shade(values: Mapping[str, float | int | None], classification: Classification,
          fips_codes: Iterable[str]) -> Shading:
    by_class: dict[MapClass, list[tuple[str, str]]] = {c: [] for c in classification.classes}
    no_data = []
    for fips in sorted(fips_codes):
        units = to_units(values.get(fips), classification.decimals)
        if units is None:
            no_data.append(fips)
        else:
            by_class[classification.class_of(units)].append((fips, format_units(units, classification.decimals)))
    return Shading(by_class, no_data)


def county_path(fips: str, data: str, value_text: str) -> str:
    title = escape(f"{county_label(fips)}: {value_text}")
    return f'<path data-fips="{fips}" d="{data}"><title>{title}</title></path>'


def interactive_counties(shading: Shading, geometry: Geometry) -> list[str]:
    """One path per county, with its FIPS and a title a browser shows on hover. Counties without data are
    unfilled, so the hatched land shows; pointer-events still gives them their title."""
    parts = []
    for map_class, counties in shading.by_class.items():
        if counties:
            parts.append(f'<g fill="{map_class.colour}">')
            parts.extend(county_path(fips, geometry.counties[fips], text) for fips, text in counties)
            parts.append("</g>")
    if shading.no_data:
        parts.append('<g fill="none" stroke="none" pointer-events="visible">')
        parts.extend(county_path(fips, geometry.counties[fips], "no data") for fips in shading.no_data)
        parts.append("</g>")
    return parts


def print_counties(shading: Shading, geometry: Geometry) -> list[str]:
    """The same picture in one path per class, for the PDF: WeasyPrint spends its time per element, and a
    printed county needs no title or FIPS. Counties without data draw nothing there, so they are left out."""
    return [f'<path fill="{map_class.colour}" d="{"".join(geometry.counties[fips] for fips, _ in counties)}"/>'
            for map_class, counties in shading.by_class.items() if counties]


def hatch_pattern(pattern_id: str) -> str:
    """Thin diagonal lines on white: visible at a glance, quieter than any class colour."""
    return (f'<pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{NO_DATA_BACKGROUND}"/>'
            f'<path d="M3 0v6" stroke="{HATCH_COLOUR}" stroke-width="1.1"/></pattern>')


def text_width(text: str, size: float) -> float:
    return len(text) * size * CHARACTER_WIDTH


@dataclass(frozen=True)
class Legend:
    svg: str
    width: int
    height: int


def swatch(x: int, y: int, width: int, fill: str, label: str, label_y: int) -> str:
    return (f'<rect x="{x}" y="{y}" width="{width}" height="{SWATCH_HEIGHT}" fill="{fill}" stroke="{STATE_BORDER}" '
            f'stroke-width=".6"/><text x="{x + width // 2}" y="{label_y}" text-anchor="middle">{escape(label)}</text>')


def legend_svg(classification: Classification, *, title: str, no_data_label: str, note: str | None,
               pattern_id: str, left: int, top: int) -> Legend:
    """The legend title; a row of swatches, each class's range under it; the hatched no-data swatch set apart
    (no data is not a class); the note on a line of its own."""
    labels = [c.label for c in classification.classes] + [no_data_label]
    class_width = max(MIN_SWATCH_WIDTH, math.ceil(max(text_width(t, LEGEND_TEXT_SIZE) for t in labels)) + 12)
    no_data_width = max(NO_DATA_SWATCH_WIDTH, math.ceil(text_width(no_data_label, LEGEND_TEXT_SIZE)) + 12)
    swatch_top = top + LEGEND_TITLE_SIZE + 10
    label_y = swatch_top + SWATCH_HEIGHT + LEGEND_TEXT_SIZE + 4
    parts = [f'<text x="{left}" y="{top + LEGEND_TITLE_SIZE}" font-size="{LEGEND_TITLE_SIZE}" '
             f'font-weight="bold">{escape(title)}</text>']
    x = left
    for map_class in classification.classes:
        parts.append(swatch(x, swatch_top, class_width, map_class.colour, map_class.label, label_y))
        x += class_width
    x += 28 if classification.classes else 0
    parts.append(swatch(x, swatch_top, no_data_width, f"url(#{pattern_id})", no_data_label, label_y))
    widths = [x + no_data_width - left, text_width(title, LEGEND_TITLE_SIZE)]
    height = label_y - top + 6
    if note:
        height += LEGEND_TEXT_SIZE + 12
        parts.append(f'<text x="{left}" y="{top + height - 6}">{escape(note)}</text>')
        widths.append(text_width(note, LEGEND_TEXT_SIZE))
    return Legend(f'<g font-size="{LEGEND_TEXT_SIZE}" fill="{TEXT_COLOUR}">{"".join(parts)}</g>',
                  math.ceil(max(widths)), height)


def county_map_svg(values: Mapping[str, float | int | None], *, title: str, description: str, legend_title: str,
                   classes: int = 5, breaks: Sequence[float] | None = None, decimals: int = 0,
                   note: str | None = None, no_data_label: str = "No data", id_prefix: str = "county-map",
                   for_pdf: bool = False) -> str:
    """A standalone ``<svg>`` element of every US county shaded by ``values`` ({5-digit FIPS: value}).

    A county absent from ``values``, or None or NaN there, has no data and is hatched; 0 is data (the lightest
    class). ``title`` and ``description`` are the accessible name and description (``map_description``
    writes one). ``note`` is printed under the legend, e.g. how many could not be attributed to a county.
    ``id_prefix`` keeps ids unique when a page has two maps.

    ``for_pdf`` draws the same picture for WeasyPrint: one path per class, without the per-county titles and
    FIPS that only a browser uses and that make WeasyPrint 10 times slower, with outlines simplified to what
    print shows (``mapgeometry.PRINT_TOLERANCE``); and, since WeasyPrint takes the PDF figure's alternative text
    from ``<title>`` alone, the description goes there too.
    The same arguments give the same bytes."""
    if not SVG_ID.fullmatch(id_prefix):
        raise ValueError(f"id_prefix must be a plain identifier, not {id_prefix!r}")
    geometry = load_geometry(tolerance=PRINT_TOLERANCE if for_pdf else 0.0)
    check_values(values, geometry.counties)
    classification = classify(values, classes=classes, breaks=breaks, decimals=decimals)
    shading = shade(values, classification, geometry.counties)
    pattern_id = f"{id_prefix}-no-data"
    min_x, min_y, max_x, max_y = geometry.extent
    legend = legend_svg(classification, title=legend_title, no_data_label=no_data_label, note=note,
                        pattern_id=pattern_id, left=min_x, top=max_y + LEGEND_GAP)
    left, top = min_x - MARGIN, min_y - MARGIN
    width = max(max_x - min_x, legend.width) + 2 * MARGIN  # a long legend widens the picture rather than be cut
    height = max_y + LEGEND_GAP + legend.height + MARGIN - top
    counties = print_counties(shading, geometry) if for_pdf else interactive_counties(shading, geometry)
    accessible_name = f"{title.rstrip('.')}. {description}" if for_pdf else title
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{left} {top} {width} {height}" role="img" '
        f'aria-labelledby="{id_prefix}-title {id_prefix}-desc" class="county-map" '
        f'font-family="{FONT_FAMILY}" style="width:100%;height:auto">',
        f'<title id="{id_prefix}-title">{escape(accessible_name)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(description)}</desc>',
        f"<defs>{hatch_pattern(pattern_id)}</defs>",
        # the land, hatched: counties with data cover it
        f'<path d="{geometry.land}" fill="url(#{pattern_id})" stroke="{STATE_BORDER}" stroke-width=".8"/>',
        f'<g fill-rule="evenodd" stroke="{COUNTY_BORDER}" stroke-width=".3" stroke-linejoin="round">',
        *counties,
        "</g>",
        f'<path d="{geometry.state_borders}" fill="none" stroke="{STATE_BORDER}" stroke-width=".7" '
        f'stroke-linejoin="round" stroke-linecap="round"/>',
        legend.svg,
        "</svg>",
    ])


# --- the figures table and the text alternative ---------------------------------------------------------------

def figures_rows(values: Mapping[str, float | int | None], *, classes: int = 5,
                 breaks: Sequence[float] | None = None, decimals: int = 0) -> list[dict]:
    """One row per county with data (the map's figures as a table): fips, county ("Cook County, IL"), value
    (as given), value_text (as printed on the map) and class_label (its legend entry). Largest value first,
    then by FIPS. Pass the same classes, breaks and decimals as to the map."""
    check_values(values, load_geometry().counties)
    classification = classify(values, classes=classes, breaks=breaks, decimals=decimals)
    printed = sorted((-units, fips) for fips, units in ((f, to_units(v, decimals)) for f, v in values.items())
                     if units is not None)
    return [{"fips": fips, "county": county_label(fips), "value": values[fips],
             "value_text": format_units(-negative, decimals),
             "class_label": classification.class_of(-negative).label} for negative, fips in printed]


def joined(items: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def map_description(values: Mapping[str, float | int | None], *, measure: str, unit: str,
                    units: str | None = None, not_determined: int | None = None, decimals: int = 0,
                    rate: bool = False) -> str:
    """The map in one or two sentences, for its text alternative: how many counties are shaded above zero,
    where the largest value is, how many have no data, and how many could not be put on the map. ``unit``
    and ``units`` name one and several of what is counted ("decline", "declines"); with ``rate`` the values
    are rates, not counts ("a rate above zero", "the highest")."""
    check_values(values, load_geometry().counties)
    printed = {fips: u for fips, u in ((f, to_units(v, decimals)) for f, v in values.items()) if u is not None}
    positive = {fips: u for fips, u in printed.items() if u > 0}
    units = units or unit + "s"
    above = "a rate above zero" if rate else f"at least one {unit}"
    if positive:
        top = max(positive.values())
        leaders = sorted(fips for fips, u in positive.items() if u == top)
        where = (joined([county_label(f) for f in leaders]) if len(leaders) <= 3
                 else counted(len(leaders), "county", "counties"))
        sentence = (f"Map of US counties shaded by {measure}; {counted(len(positive), 'county', 'counties')} "
                    f"had {above}, {'the highest' if rate else 'the most'} in {where} "
                    f"({format_units(top, decimals)}{' each' if len(leaders) > 1 else ''}).")
    elif printed:
        sentence = f"Map of US counties shaded by {measure}; no county had {above if rate else 'any ' + units}."
    else:
        sentence = f"Map of US counties shaded by {measure}; no county has data."
    missing = len(load_geometry().counties) - len(printed)
    if missing and printed:
        sentence += (f" {counted(missing, 'county has', 'counties have')} no data and "
                     f"{noun(missing, 'is', 'are')} hatched.")
    if not_determined:
        sentence += (f" {not_determined:,} {noun(not_determined, unit, units)} could not be attributed to a county "
                     f"and {noun(not_determined, 'is', 'are')} not on the map.")
    return sentence
