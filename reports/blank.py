"""What counts as no value: one null test and one blank test, used by every stage."""
from __future__ import annotations

import numpy as np
import pandas as pd

# Texts that mean "no value", on purpose (what validation counts as missing). Compared after stripping and
# lowering.
BLANK_TOKENS = frozenset({"", "n/a", "na", "null", "none given", "-", "--", "—", "#n/a"})


def is_null(value) -> bool:
    """None, NaN (Python or NumPy), pandas NaT or NA: what a reader or pandas puts where there is nothing."""
    return (value is None or value is pd.NaT or value is pd.NA
            or (isinstance(value, (float, np.floating)) and value != value))


def is_empty(value) -> bool:
    """Nothing typed in the cell: null, or text of only whitespace.

    The ingest's test for blank rows, headers and unnamed columns, stricter than ``is_blank`` on purpose: a
    row of cells reading "n/a" was filled in, so it is a record whose values are missing (E301), never a
    blank row dropped without a word.
    """
    return is_null(value) or (isinstance(value, str) and value.strip() == "")


def is_blank(value) -> bool:
    """No value: an empty cell or one of ``BLANK_TOKENS``. Validation's test (E301, a blank outcome is
    pending, a correction's blank County FIPS is "not determined")."""
    return is_null(value) or (isinstance(value, str) and value.strip().lower() in BLANK_TOKENS)
