"""Counted nouns for the sentences the report and the staff reports print."""
from __future__ import annotations


def noun(count: int, singular: str, plural: str | None = None) -> str:
    """'detainer' for 1, 'detainers' otherwise (or the plural given)."""
    return singular if count == 1 else (plural or singular + "s")


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """'1 detainer', '1,204 detainers'."""
    return f"{count:,} {noun(count, singular, plural)}"
