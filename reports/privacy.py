"""Redaction of personal data in free text published as written (``Redactor``).

Every function is pure: inputs are never changed, results are new objects.

Redaction (``Redactor``)
    Free text that is published as written (most serious conviction, lift reason, charge, arresting agency,
    policy text, correction notes) may hold personal data typed by staff. ``Redactor.redact`` replaces each of
    these with ``[redacted]`` and returns where it was found (kind, start, length; never the text itself), so the
    staff report can warn about it without repeating it:

    - **A-numbers** (``a_number``): ``A`` followed by 8 or 9 digits, as ICE writes them: ``A209999999``,
      ``A-209999999``, ``A 209-999-999``, ``A#209999999``, ``A# 209 999 999`` (capital A, not inside a word;
      up to two of ``#``, ``:``, ``-`` (with spaces) between A and the digits; up to 3 spaces or dashes
      between two digits, as in ``209 - 999 - 999``; not followed by a further digit). Also 8 or 9 digits
      after a label, any case: ``A-number``, ``A number``, ``A No.``, ``A num``, ``Alien number``, ``Alien
      registration number``, ``Alien No.`` (then ``:`` or ``#`` allowed); then only the digits are
      replaced. Ordinary words are never touched: every match needs 8 or 9 digits.
    - **Dates of birth** (``date_of_birth``): a date within 40 characters (same line, no ``;``) after a cue, or
      at most 5 characters (``(``, ``,``, spaces) before one. Cues, any case, whole words: ``DOB``, ``D.O.B.``,
      ``D O B``, ``date of birth``, ``birth date``, ``birthdate``, ``born``. Dates: ``1990-01-02``,
      ``01/02/1990``, ``1-2-90``, ``01.02.1990``, ``January 2, 1990``, ``Jan. 2nd 1990``, ``2 January 1990``,
      ``2nd of Jan 1990``, ``02-JAN-90``, and month with year (``March 1990``). Only the date is replaced, so
      ``DOB: [redacted]`` still reads. A date with no cue (a policy's enactment date) is not a birth date and
      is kept; a year alone (``born in 1990``) is not matched. A cue near an unrelated date (``Born Free Act
      of 01/05/2017``) is redacted: over-redaction is the safe failure.
    - **Identifier values** (``identifier``): values of the inputs' ID and name columns (subject IDs, detainer
      IDs, names), matched whole-token and ignoring case: the text and each identifier are split into runs of
      letters and digits, and an identifier matches where the same runs follow one another in the text,
      separated by at most 3 characters other than a line break. So ``SUBJ-T1`` matches ``subj t1`` and
      ``SUBJ/T1`` but not ``SUBJ-T10``. Identifiers that would match ordinary text are ignored (and listed in
      ``Redactor.ignored``): under 4 letters and digits (``A1``, ``12``), digits only with fewer than 6 digits
      (``2017``, ``101``: years, counts, codes), and placeholders (``unknown``, ``none``, ``null``, ``nan``,
      ``missing``, ``other``, ``redacted``, ``test``). A one-word name that is also a place (``Travis``) is
      redacted wherever it appears.

    Where matches overlap they are merged into one ``[redacted]`` with the kind of the first-starting match
    (A-number before date of birth before identifier on a tie). Run ``safetext.clean_text`` first: a NUL
    inside an A-number would otherwise hide it.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .blank import is_null

REDACTED = "[redacted]"
A_NUMBER, DATE_OF_BIRTH, IDENTIFIER = "a_number", "date_of_birth", "identifier"
_KIND_ORDER = {A_NUMBER: 0, DATE_OF_BIRTH: 1, IDENTIFIER: 2}

# ---------------------------------------------------------------------------------------------- patterns
_NOT_AFTER_ALNUM = r"(?<![^\W_])"
_NOT_BEFORE_ALNUM = r"(?![^\W_])"
_EIGHT_OR_NINE_DIGITS = r"(?:\d[ \-]{0,3}){7,8}\d(?!\d)"  # up to 3 spaces or dashes between digits
_A_NUMBER_BARE = re.compile(_NOT_AFTER_ALNUM + r"A[ \t]*(?:[#:\-][ \t]*){0,2}" + _EIGHT_OR_NINE_DIGITS)
_A_NUMBER_LABELLED = re.compile(
    _NOT_AFTER_ALNUM
    + r"(?i:a[\- ]?(?:number|no\.?|num\.?)|alien[ \t]+(?:registration[ \t]+)?(?:number|no\.?))"
    + r"[ \t]*[:#]?[ \t]*(?P<digits>" + _EIGHT_OR_NINE_DIGITS + ")")

_MONTH = (_NOT_AFTER_ALNUM + r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = (
    r"(?<!\d)(?:"
    r"\d{4}-\d{1,2}-\d{1,2}"                                       # 1990-01-02
    r"|\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})"                 # 01/02/1990, 1-2-90, 01.02.1990
    r"|" + _DAY + r"[ \t\-]+(?:of[ \t]+)?" + _MONTH + r"[ \t,\-]+(?:\d{4}|\d{2})"  # 2 January 1990, 02-JAN-90
    r"|" + _MONTH + r"[ \t]+" + _DAY + r",?[ \t]+\d{4}"            # January 2, 1990
    r"|" + _MONTH + r",?[ \t]+\d{4}"                               # March 1990
    r")(?!\d)"
)
_CUE = _NOT_AFTER_ALNUM + r"(?:d\.?[ ]?o\.?[ ]?b\.?|date[ \t]+of[ \t]+birth|birth[ \t]*date|born)" \
    + r"(?:(?<=\.)|" + _NOT_BEFORE_ALNUM + ")"
_DOB_AFTER_CUE = re.compile(r"(?i)" + _CUE + r"[^\r\n;]{0,40}?(?P<date>" + _DATE + ")")
_DOB_BEFORE_CUE = re.compile(r"(?i)(?P<date>" + _DATE + r")[ \t(,\[:\-]{0,5}" + _CUE)

_TOKEN = re.compile(r"[^\W_]+")
_MAX_TOKEN_GAP = 3
_PLACEHOLDERS = frozenset({"unknown", "none", "null", "nan", "missing", "other", "redacted", "test"})
MIN_IDENTIFIER_CHARS = 4
MIN_IDENTIFIER_DIGITS = 6


@dataclass(frozen=True)
class Finding:
    """One redaction: what kind of personal data, and where it was in the (cleaned) text. Never the text."""
    kind: str
    start: int
    length: int


def _identifier_text(value) -> str | None:
    if is_null(value) or isinstance(value, bool):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():  # an ID read from Excel as 1234567.0
        return str(int(value))
    return str(value)


def _identifier_tokens(text: str) -> tuple[str, ...] | None:
    """The identifier as casefolded letter/digit runs, or None when it is too short or generic to match safely."""
    tokens = tuple(t.casefold() for t in _TOKEN.findall(text))
    joined = "".join(tokens)
    if len(joined) < MIN_IDENTIFIER_CHARS or " ".join(tokens) in _PLACEHOLDERS:
        return None
    if joined.isdigit() and len(joined) < MIN_IDENTIFIER_DIGITS:
        return None
    return tokens


class Redactor:
    """Finds and replaces A-numbers, dates of birth and known identifier values in free text."""

    def __init__(self, identifiers: Iterable = ()):
        sequences, ignored = set(), set()
        for value in identifiers:
            text = _identifier_text(value)
            if text is None or not text.strip():
                continue
            tokens = _identifier_tokens(text)
            if tokens is None:
                ignored.add(text)
            else:
                sequences.add(tokens)
        self._sequences = frozenset(sequences)
        self._lengths_by_first: dict[str, tuple[int, ...]] = {}
        for tokens in sequences:
            self._lengths_by_first.setdefault(tokens[0], set()).add(len(tokens))
        self._lengths_by_first = {k: tuple(sorted(v, reverse=True)) for k, v in self._lengths_by_first.items()}
        self.ignored: tuple[str, ...] = tuple(sorted(ignored))  # staff may want to know what is not looked for

    @classmethod
    def from_columns(cls, frames: Iterable[pd.DataFrame], columns: Iterable[str]) -> "Redactor":
        """Identifiers: every value of the named columns (those a frame has) of every frame."""
        wanted = list(columns)
        values = []
        for frame in frames:
            for column in wanted:
                if column in frame.columns:
                    values.extend(frame[column].dropna().unique().tolist())
        return cls(values)

    def __len__(self) -> int:
        return len(self._sequences)

    def find(self, text: str) -> list[Finding]:
        """Where ``text`` holds personal data, merged and in order."""
        spans = [(m.start(), m.end(), A_NUMBER) for m in _A_NUMBER_BARE.finditer(text)]
        spans += [(m.start("digits"), m.end("digits"), A_NUMBER) for m in _A_NUMBER_LABELLED.finditer(text)]
        spans += [(m.start("date"), m.end("date"), DATE_OF_BIRTH) for m in _DOB_AFTER_CUE.finditer(text)]
        spans += [(m.start("date"), m.end("date"), DATE_OF_BIRTH) for m in _DOB_BEFORE_CUE.finditer(text)]
        spans += self._identifier_spans(text)
        return _merge(spans)

    def redact(self, text):
        """(text with every finding replaced by ``[redacted]``, findings). Not a ``str``: returned as it is."""
        if not isinstance(text, str):
            return text, []
        findings = self.find(text)
        parts, at = [], 0
        for f in findings:
            parts += [text[at:f.start], REDACTED]
            at = f.start + f.length
        parts.append(text[at:])
        return "".join(parts), findings

    def _identifier_spans(self, text: str) -> list[tuple[int, int, str]]:
        if not self._sequences:
            return []
        tokens = [(m.group().casefold(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        spans = []
        for i, (token, start, _) in enumerate(tokens):
            for length in self._lengths_by_first.get(token, ()):
                run = tokens[i:i + length]
                if len(run) == length and self._adjacent(text, run) \
                        and tuple(t for t, _, _ in run) in self._sequences:
                    spans.append((start, run[-1][2], IDENTIFIER))
                    break  # the longest identifier starting here
        return spans

    @staticmethod
    def _adjacent(text: str, run) -> bool:
        for (_, _, end), (_, start, _) in zip(run, run[1:]):
            gap = text[end:start]
            if len(gap) > _MAX_TOKEN_GAP or "\n" in gap or "\r" in gap:
                return False
        return True


def _merge(spans: list[tuple[int, int, str]]) -> list[Finding]:
    merged: list[list] = []
    for start, end, kind in sorted(spans, key=lambda s: (s[0], _KIND_ORDER[s[2]], -s[1])):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, kind])
    return [Finding(kind, start, end - start) for start, end, kind in merged]


FINDING_COLUMNS = ["column", "row", "kind", "start", "length"]


def _text_columns(frame: pd.DataFrame) -> list:
    return [c for c in frame.columns
            if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype)]


def redact_frame(frame: pd.DataFrame, redactor: Redactor,
                 columns: Sequence | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(a copy of ``frame`` with ``columns`` redacted — default: every text column —, the findings: one row per
    finding with ``column``, ``row`` (index label), ``kind``, ``start``, ``length``). Each distinct value is
    scanned once."""
    out = frame.copy()
    rows = []
    for column in (_text_columns(frame) if columns is None else list(columns)):
        series = frame[column]
        results = {v: redactor.redact(v) for v in pd.unique(series.dropna()) if isinstance(v, str)}
        if not any(found for _, found in results.values()):
            continue
        out[column] = series.map(lambda v: results[v][0] if isinstance(v, str) else v)
        for label, value in series.items():
            if isinstance(value, str):
                rows += [(column, label, f.kind, f.start, f.length) for f in results[value][1]]
    return out, pd.DataFrame(rows, columns=FINDING_COLUMNS)
