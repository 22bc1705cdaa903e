"""Free text published as written, made safe before anything is built from it.

The columns below reach the public as staff typed them (a conviction, a charge, a lift reason, a policy,
a correction note). Each value is cleaned of control characters (``safetext.clean_text``) and scanned for
personal data (``privacy.Redactor``): A-numbers, dates of birth, and any value of the inputs' ID columns.
What is found is replaced by ``[redacted]`` in every later stage, public and staff alike, and each cell is
listed for staff as a warning (W502) by file, sheet, row and column, never by the value it held.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import Problem
from .privacy import _TOKEN, Redactor, _identifier_text
from .safetext import clean_text

PUBLISHED_TEXT = {
    "detainers": ("facility", "city", "most_serious_conviction", "outcome_detail"),
    "charges": ("charge", "charge_category", "arresting_agency"),
    "policies": ("jurisdiction", "aor", "policy", "criteria", "source"),
    "corrections": ("jurisdiction", "facility", "what_was_wrong", "correct_value", "correct_display", "note"),
}
IDENTIFIER_COLUMNS = ("subject_id", "detainer_id")
KIND_WORDS = {"a_number": "an A-number", "date_of_birth": "a date of birth", "identifier": "a subject or detainer ID"}


def _identifier_texts(column: pd.Series):
    """The IDs of a column as the redactor reads them (``privacy._identifier_text``), as an Arrow text array:
    an ID read from Excel as 1234567.0 is "1234567". A column of text goes to Arrow as it is (C++)."""
    import pyarrow as pa

    values = column.dropna()
    if not isinstance(column.dtype, pd.StringDtype) and pd.api.types.infer_dtype(values, skipna=False) != "string":
        values = [t for t in map(_identifier_text, pd.unique(values)) if t is not None]
    return pa.array(values, type=pa.large_string())


def _published_texts(frames: dict[str, pd.DataFrame]) -> dict[tuple[str, str], list[str]]:
    """{(kind, column): the column's distinct texts} for every published text column present."""
    return {(kind, c): [v for v in frames[kind][c].dropna().unique() if isinstance(v, str)]
            for kind, columns in PUBLISHED_TEXT.items() if kind in frames and not frames[kind].empty
            for c in columns if c in frames[kind].columns}


def identifier_texts(frames: dict[str, pd.DataFrame]):
    """Every distinct ID of the frames' ID columns as the redactor reads them, as an Arrow table: ``id``, and
    ``first_run``, its first letters-and-digits run in lower case (null for an ID that is not plain ASCII or
    has no run). A cached run keeps this table, so a new policies file is checked against the IDs of the
    other inputs without reading them again; the first run lets most IDs be ruled out without splitting them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = [_identifier_texts(frame[c]) for frame in frames.values() for c in IDENTIFIER_COLUMNS
               if c in frame.columns]
    ids = (pc.unique(pa.chunked_array(columns, type=pa.large_string()).combine_chunks()) if columns
           else pa.array([], type=pa.large_string()))
    first = pc.struct_field(pc.extract_regex(pc.ascii_lower(ids), r"(?P<run>[0-9a-z]+)"), [0])
    first = pc.if_else(pc.string_is_ascii(ids), first, pa.scalar(None, type=pa.large_string()))
    return pa.table({"id": ids, "first_run": first})


def _identifiers_that_could_appear(published: dict[tuple[str, str], list[str]], identifiers) -> list[str]:
    """Of ``identifiers`` (``identifier_texts``), the IDs that can occur in a published text: an ID is found only
    where a text holds every one of its letters-and-digits runs, so an ID with a run no text holds is left out.
    Hundreds of thousands of IDs, a few thousand texts: the test runs on the IDs in Arrow (C++), first on each
    ID's first run, then on all runs of the IDs left; IDs that are not plain ASCII are always kept (case folding
    can change their runs)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = {text for values in published.values() for text in values}
    tokens = {t.casefold() for text in texts for t in _TOKEN.findall(text)}
    if not identifiers.num_rows or not tokens:
        return []
    token_set = pa.array(list(tokens), type=pa.large_string())
    first = identifiers.column("first_run")
    ids = identifiers.column("id").filter(pc.or_(pc.is_null(first), pc.is_in(first, value_set=token_set)))
    ids = ids.combine_chunks()
    if not len(ids):
        return []
    runs = pc.split_pattern_regex(pc.ascii_lower(ids), "[^0-9a-z]+")  # non-ASCII IDs are kept anyway
    run = pc.list_flatten(runs)
    unheld = pc.and_(pc.not_equal(run, ""), pc.invert(pc.is_in(run, value_set=token_set)))
    owners = pc.list_parent_indices(runs).to_numpy()[unheld.to_numpy(zero_copy_only=False)]
    has_unheld_run = np.bincount(owners, minlength=len(ids)) > 0
    ascii_only = pc.string_is_ascii(ids).to_numpy(zero_copy_only=False)
    return sorted(set(ids.filter(pa.array(~ascii_only | ~has_unheld_run)).to_pylist()))


def redact_published_text(frames: dict[str, pd.DataFrame], label=lambda row, field: field, identifiers=None
                          ) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """New frames whose published text columns are cleaned and redacted, and a W502 per redacted cell.
    The IDs looked for are those of the frames' ID columns, or ``identifiers`` (``identifier_texts``) when given:
    the policies are redacted on their own, with the IDs of the other inputs (``reports.load``). Which IDs a
    text holds does not depend on the other texts, so redacting frames apart or together gives the same texts."""
    texts = _published_texts(frames)
    ids = identifier_texts(frames) if identifiers is None else identifiers
    redactor = Redactor(_identifiers_that_could_appear(texts, ids))
    out, problems = dict(frames), []
    for kind, columns in PUBLISHED_TEXT.items():
        frame = frames.get(kind)
        if frame is None or frame.empty:
            continue
        present = [c for c in columns if c in frame.columns]
        replaced = {}
        for column in present:
            results = {value: redactor.redact(clean_text(value)) for value in texts[(kind, column)]}
            if all(text == value for value, (text, _) in results.items()):
                continue
            replaced[column] = frame[column].map(lambda v: results[v][0] if isinstance(v, str) else v)
            found = {value: findings for value, (_, findings) in results.items() if findings}
            for index in frame.index[frame[column].isin(list(found))]:
                row = frame.loc[index]
                kinds = sorted({KIND_WORDS.get(f.kind, f.kind) for f in found[row[column]]})
                problems.append(Problem("W502", row["source_file"], row["source_sheet"], int(row["source_row"]),
                                        label(row, column), "", f"{' and '.join(kinds)} in this cell "
                                        f"{'is' if len(kinds) == 1 else 'are'} published as [redacted]"))
        if replaced:
            out[kind] = frame.assign(**replaced)
    return out, problems
