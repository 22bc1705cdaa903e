"""Disclosure control: what the public may see of each table, by the policy in the settings.

- Row-level tables (one row per detainer or charge: the downloads and the list of declines) give each date
  as its week (``row_level_dates = "week"``), and a citizenship seen fewer than
  ``top_code_citizenship_below`` times in the table as "Other", so a row cannot be matched to a person by
  the day of an event or a rare nationality.
- ``min_cell`` (off by default: the DDOR published exact counts) withholds small counts: see
  ``suppress_report``.

The building blocks, and the proof that withheld counts cannot be worked out from the totals, are in
``privacy``; this module applies them to the report's tables.
"""
from __future__ import annotations

import pandas as pd

from .privacy import top_code, week_only
from .settings import Settings

NOT_TOP_CODED = ("unknown",)


def row_level(frame: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """A row-level table as the public may see it (a new frame)."""
    out = frame
    if settings.row_level_dates == "week":
        out = week_only(out, settings.week_start_index)
    if "citizenship" in out.columns and settings.top_code_citizenship_below > 1:
        out = out.assign(citizenship=top_code(out["citizenship"], settings.top_code_citizenship_below,
                                              keep=NOT_TOP_CODED))
    return out
