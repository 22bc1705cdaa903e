"""Rounding, once, half up, at the precision a figure is printed with.

A rate is computed exactly (as a fraction of two integers) and rounded once to the printed number of decimals,
halves away from zero: 6.25 % prints as 6.3 %, 1.2531 per 100,000 as 1.3. Python's ``round`` and format
specifiers round halves to even and work on the binary float, so neither is used for a published figure.
"""
from __future__ import annotations

from fractions import Fraction


def ratio_half_up(numerator: int, denominator: int, decimals: int, scale: int = 1) -> float | None:
    """``scale * numerator / denominator`` rounded half up to ``decimals`` places; None when the denominator
    is 0."""
    if not denominator:
        return None
    exact = Fraction(int(scale) * int(numerator), int(denominator)) * 10 ** decimals
    units = int(exact + Fraction(1, 2)) if exact >= 0 else -int(-exact + Fraction(1, 2))
    return units / 10 ** decimals


def value_half_up(value: float, decimals: int) -> float:
    """A number already computed (a median, an average) rounded half up: from its decimal text, so 2.675
    rounds as written, not as the nearest binary float."""
    return ratio_half_up(Fraction(str(value)).numerator, Fraction(str(value)).denominator, decimals)


def percent_text(part: int, whole: int, decimals: int = 0) -> str:
    """'56%' (half up), or '–' for no whole."""
    value = ratio_half_up(part, whole, decimals, scale=100)
    return "–" if value is None else f"{value:.{decimals}f}%"
