"""County, state and land outlines for the county maps, as SVG path data.

Source: ``data/geo/counties-albers-10m.json`` (us-atlas 3.0.1, Census 2017 cartographic boundaries 1:10m,
pre-projected to Albers USA in a 975 × 610 space with Alaska and Hawaii as insets). The TopoJSON is decoded
here: its arcs are quantised and delta-encoded, and each polygon ring is a list of arc indices (``~i`` is
arc ``i`` reversed).
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from .resources import package_path

GEO_DIR = package_path("data", "geo")
TOPOLOGY_FILE = GEO_DIR / "counties-albers-10m.json"

PRECISION = 10  # coordinates are rounded to tenths of a unit of the 975 × 610 space: finer is invisible
# The PDF's maps are 5.9 inches wide, so a unit is about 0.44 pt there: outlines simplified to within half a unit
# (0.2 pt, 0.08 mm) look the same in print and take WeasyPrint 12-17 % less time to draw a national PDF
PRINT_TOLERANCE = 0.5
MARKER_SIZE = 2  # units: the side of the square drawn for a county the source reduced to a point or a line

Point = tuple[int, int]  # in units of 1 / precision
Ring = list[Point]


@dataclass(frozen=True)
class Geometry:
    counties: dict[str, str]  # FIPS -> SVG path data
    land: str  # path data of the whole country
    state_borders: str  # path data of the borders between states, each once
    extent: tuple[int, int, int, int]  # min x, min y, max x, max y, in whole units


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Absolute coordinates of every arc (the file stores quantised steps from the previous point)."""
    (scale_x, scale_y), (move_x, move_y) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for encoded in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in encoded:
            x += dx
            y += dy
            points.append((x * scale_x + move_x, y * scale_y + move_y))
        arcs.append(points)
    return arcs


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker: the points of a line without those within ``tolerance`` of the line through the points
    kept around them; both ends are kept. Applied to each arc once, so that the two counties on either side of
    a border still draw the same line."""
    if tolerance <= 0 or len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    spans = [(0, len(points) - 1)]
    while spans:
        first, last = spans.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy)
        farthest, distance = None, tolerance
        for i in range(first + 1, last):
            x, y = points[i]
            # (a closed arc starts and ends at the same point: the distance to that point)
            d = abs(dy * (x - x1) - dx * (y - y1)) / length if length else math.hypot(x - x1, y - y1)
            if d > distance:
                farthest, distance = i, d
        if farthest is not None:
            keep[farthest] = True
            spans += [(first, farthest), (farthest, last)]
    return [point for point, kept in zip(points, keep) if kept]


def stitch_ring(arcs: list[list[tuple[float, float]]], indices: Iterable[int]) -> list[tuple[float, float]]:
    """A ring's points in order; each arc starts where the previous one ended, so that point is not repeated."""
    ring: list[tuple[float, float]] = []
    for index in indices:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(points[1:] if ring else points)
    return ring


def quantise(points: Iterable[tuple[float, float]], precision: int) -> list[Point]:
    """Points rounded to 1 / precision, without the repeats that rounding makes. Shared borders round the
    same way on both sides, so neighbouring counties still meet exactly."""
    out: list[Point] = []
    for x, y in points:
        point = (round(x * precision), round(y * precision))
        if not out or out[-1] != point:
            out.append(point)
    return out


def closed_ring(points: list[Point]) -> Ring:
    return points[:-1] if len(points) > 1 and points[0] == points[-1] else points


def geometry_rings(geometry: dict) -> list[list[int]]:
    """Every ring (outer or hole) of a Polygon or MultiPolygon, as lists of arc indices."""
    if geometry["type"] == "Polygon":
        return geometry["arcs"]
    if geometry["type"] == "MultiPolygon":
        return [ring for polygon in geometry["arcs"] for ring in polygon]
    raise ValueError(f"unexpected geometry type {geometry['type']!r}")


@lru_cache(maxsize=None)  # the same small steps recur thousands of times
def format_fixed(value: int, precision: int) -> str:
    """With precision 10: 123 -> '12.3', 120 -> '12', -5 -> '-.5' (the shortest form SVG reads)."""
    whole, fraction = divmod(abs(value), precision)
    digits = len(str(precision)) - 1
    decimals = f"{fraction:0{digits}d}".rstrip("0") if fraction else ""
    text = (str(whole) if whole else "") + ("." + decimals if decimals else "")
    return ("-" if value < 0 else "") + (text or "0")


def _numbers(values: Iterable[int], precision: int) -> str:
    """Numbers of a path, separated by a space unless the next one starts with a minus sign."""
    out = []
    for value in values:
        text = format_fixed(value, precision)
        out.append(text if not out or text.startswith("-") else " " + text)
    return "".join(out)


def polyline_data(points: Sequence[Point], precision: int, closed: bool) -> str:
    """'M x y l dx dy …': steps relative to the previous point are shorter than absolute ones."""
    (x0, y0), steps = points[0], []
    for (x1, y1), (x2, y2) in zip(points, points[1:]):
        steps += (x2 - x1, y2 - y1)
    return f"M{_numbers((x0, y0), precision)}l{_numbers(steps, precision)}" + ("z" if closed else "")


def area_data(rings: Sequence[list[tuple[float, float]]]) -> str:
    """Path data of an area. A ring that rounding shrinks below a triangle is left out (an islet, or the hole of
    a tiny city). An area with no ring left is drawn as a small square where its points are: the source
    simplified three independent cities of Virginia to a point or a line, and every county must be on the map."""
    drawable = [ring for ring in (closed_ring(quantise(r, PRECISION)) for r in rings) if len(ring) >= 3]
    if not drawable:
        points = [point for ring in rings for point in ring]
        centre_x = round(sum(x for x, _ in points) / len(points) * PRECISION)
        centre_y = round(sum(y for _, y in points) / len(points) * PRECISION)
        half = MARKER_SIZE * PRECISION // 2
        drawable = [[(centre_x - half, centre_y - half), (centre_x + half, centre_y - half),
                     (centre_x + half, centre_y + half), (centre_x - half, centre_y + half)]]
    return "".join(polyline_data(ring, PRECISION, closed=True) for ring in drawable)


def interior_arcs(geometries: Sequence[dict]) -> list[int]:
    """Arcs shared by two different geometries: the borders between them (topojson.mesh with a !== b)."""
    users: dict[int, set[int]] = {}
    for number, geometry in enumerate(geometries):
        for ring in geometry_rings(geometry):
            for index in ring:
                users.setdefault(index if index >= 0 else ~index, set()).add(number)
    return sorted(index for index, owners in users.items() if len(owners) > 1)


def build_geometry(topology: dict, tolerance: float = 0.0) -> Geometry:
    """Every outline; ``tolerance`` > 0 simplifies them (``simplify``, arc by arc) for print."""
    arcs = [simplify(arc, tolerance) for arc in decode_arcs(topology)]
    objects = topology["objects"]
    counties = {}
    for geometry in objects["counties"]["geometries"]:
        fips = geometry["id"]
        if not re.fullmatch(r"\d{5}", fips) or fips in counties:
            raise ValueError(f"county id {fips!r} is not a unique 5-digit FIPS code")
        counties[fips] = area_data([stitch_ring(arcs, ring) for ring in geometry_rings(geometry)])
    land = "".join(area_data([stitch_ring(arcs, ring) for ring in geometry_rings(g)])
                   for g in objects["nation"]["geometries"])
    border_arcs = (quantise(arcs[i], PRECISION) for i in interior_arcs(objects["states"]["geometries"]))
    borders = "".join(polyline_data(points, PRECISION, closed=False) for points in border_arcs if len(points) > 1)
    xs = [x for arc in arcs for x, _ in arc]
    ys = [y for arc in arcs for _, y in arc]
    extent = (math.floor(min(xs)), math.floor(min(ys)), math.ceil(max(xs)), math.ceil(max(ys)))
    return Geometry(counties=dict(sorted(counties.items())), land=land, state_borders=borders, extent=extent)


@lru_cache(maxsize=4)
def load_geometry(path: Path = TOPOLOGY_FILE, tolerance: float = 0.0) -> Geometry:
    with open(path, encoding="utf-8") as handle:
        return build_geometry(json.load(handle), tolerance)
