"""Privacy and disclosure control: redaction (reports/privacy.py), top-coding and week-only dates
(reports/disclosure.py), suppression (reports/suppression.py)."""
import datetime as dt
import itertools
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reports.period import Week, week_containing
from reports.disclosure import top_code, week_ending, week_only
from reports.redaction import _identifiers_that_could_appear, _published_texts, identifier_texts, redact_published_text
from reports.privacy import A_NUMBER, DATE_OF_BIRTH, FINDING_COLUMNS, IDENTIFIER, REDACTED, Redactor, redact_frame
from reports.suppression import SUPPRESSED, suppress

FAST = settings(max_examples=150, deadline=None, database=None)
SATURDAY = 5


# ------------------------------------------------------------------------------------------------ A-numbers
@pytest.mark.parametrize("text, redacted", [
    ("Subject A209999999 released", "Subject [redacted] released"),
    ("A-209999999", "[redacted]"),
    ("A 209-999-999", "[redacted]"),
    ("A#209999999", "[redacted]"),
    ("A# 209 999 999.", "[redacted]."),
    ("A-#20999999", "[redacted]"),  # 8 digits: older A-numbers
    ("A 209 - 999 - 999", "[redacted]"),
    ("A209-999-99", "[redacted]"),
    ("(A:209999999)", "([redacted])"),
    ("A-number: 209-999-999", "A-number: [redacted]"),
    ("a number 209999999", "a number [redacted]"),
    ("Alien No. 20999999", "Alien No. [redacted]"),
    ("alien registration number #209999999", "alien registration number #[redacted]"),
])
def test_a_numbers_are_redacted(text, redacted):
    out, findings = Redactor().redact(text)
    assert out == redacted
    assert [f.kind for f in findings] == [A_NUMBER]
    found = text[findings[0].start:findings[0].start + findings[0].length]
    assert len(re.sub(r"\D", "", found)) in (8, 9)


@pytest.mark.parametrize("text", [
    "Assault, 2nd degree", "A Apple", "Area 51", "A1234567 (7 digits)", "A2099999991 (10 digits)",
    "DATA12345678", "Plan A: 12 weeks", "Case 2017-CR-1234567", "phone 555-123-4567",
    "A209-999-9 (7 digits)", "A 2099 - - - 99999 (a run of 4 separators)",
])
def test_ordinary_text_is_not_an_a_number(text):
    assert Redactor().find(text) == []


@st.composite
def written_a_numbers(draw):
    digits = draw(st.text(alphabet="0123456789", min_size=8, max_size=9))
    separator = draw(st.sampled_from(["", "-", " ", "#", "# ", "-#", " - ", ":"]))
    spaced = "".join(d + (draw(st.sampled_from(["", "", " ", "-"])) if i < len(digits) - 1 else "")
                     for i, d in enumerate(digits))
    return "A" + separator + spaced


@FAST
@given(written_a_numbers(), st.text(alphabet="abc XYZ.,;()\n", max_size=15),
       st.text(alphabet="abc XYZ.,;()\n", max_size=15))
def test_no_digit_of_an_a_number_survives(a_number, before, after):
    assume(not before[-1:].isalnum())
    text = before + a_number + after
    out, findings = Redactor().redact(text)
    assert not re.search(r"\d", out)
    assert [f.kind for f in findings] == [A_NUMBER]
    assert out == before + REDACTED + after


# --------------------------------------------------------------------------------------------- dates of birth
@pytest.mark.parametrize("text, redacted", [
    ("DOB: 01/02/1990", "DOB: [redacted]"),
    ("D.O.B. 1990-01-02, Mexico", "D.O.B. [redacted], Mexico"),
    ("dob 1-2-90", "dob [redacted]"),
    ("date of birth is 2 January 1990", "date of birth is [redacted]"),
    ("Birth date: Jan. 2nd 1990", "Birth date: [redacted]"),
    ("born in Mexico on January 2, 1990.", "born in Mexico on [redacted]."),
    ("Born 02-JAN-90", "Born [redacted]"),
    ("born in March 1990", "born in [redacted]"),
    ("01/02/1990 (DOB)", "[redacted] (DOB)"),
    ("1990-01-02, d.o.b.", "[redacted], d.o.b."),
])
def test_dates_of_birth_are_redacted(text, redacted):
    out, findings = Redactor().redact(text)
    assert out == redacted
    assert [f.kind for f in findings] == [DATE_OF_BIRTH]


@pytest.mark.parametrize("text", [
    "Policy enacted 2017-01-05; detainers honored with a judicial warrant only.",
    "Released 01/02/2017 after arraignment.",
    "Convicted 2015-06-01 of burglary",
    "born in 1990",  # a year alone is not matched
    "DOB not recorded; released 2017-02-01",  # the date is in another clause
    "Newborn 2017-02-01",
    "DOB\n2017-02-01",  # not on the same line
])
def test_a_date_without_a_birth_cue_is_kept(text):
    out, findings = Redactor().redact(text)
    assert out == text and findings == []


# ------------------------------------------------------------------------------------------------ identifiers
def test_identifiers_match_whole_tokens_ignoring_case_and_separators():
    redactor = Redactor(["SUBJ-T1", "Juan Garcia Lopez", 1234567.0])
    out, findings = redactor.redact("SUBJ-T1, subj t1 and SUBJ/T1; not SUBJ-T10 or XSUBJ-T1. "
                                    "JUAN GARCIA  LOPEZ; Garcia Lopez; id 1234567, not 12345678")
    assert out == ("[redacted], [redacted] and [redacted]; not SUBJ-T10 or XSUBJ-T1. "
                   "[redacted]; Garcia Lopez; id [redacted], not 12345678")
    assert {f.kind for f in findings} == {IDENTIFIER} and len(findings) == 5


def test_identifiers_too_short_or_generic_are_ignored():
    redactor = Redactor(["A1", "12", "2017", "10101", "unknown", "N/A", "None", "other", "  ", None,
                         float("nan"), "SUBJ-0042"])
    assert len(redactor) == 1
    assert redactor.ignored == ("10101", "12", "2017", "A1", "N/A", "None", "other", "unknown")
    text = "In 2017, 12 detainers (A1 unit, 10101 code) were unknown or other; N/A; None"
    assert redactor.redact(text) == (text, [])


def test_identifier_split_across_lines_is_not_one_token_run():
    redactor = Redactor(["Juan Garcia"])
    assert redactor.redact("Juan\nGarcia")[1] == []
    assert redactor.redact("Juan - Garcia")[0] == REDACTED


def test_overlapping_findings_are_one_redaction():
    # a subject ID that is an A-number: one [redacted], counted once
    out, findings = Redactor(["A209999999"]).redact("ID A209999999 DOB 01/02/1990")
    assert out == "ID [redacted] DOB [redacted]"
    assert [(f.kind, f.start, f.length) for f in findings] == [(A_NUMBER, 3, 10), (DATE_OF_BIRTH, 18, 10)]


def test_from_columns_reads_every_frame_and_skips_missing_columns():
    detainers = pd.DataFrame({"detainer_id": ["DET-0001", None], "subject_id": ["SUBJ-77", "SUBJ-78"]})
    charges = pd.DataFrame({"subject_id": ["SUBJ-79"]})
    redactor = Redactor.from_columns([detainers, charges], ["detainer_id", "subject_id", "name"])
    out, _ = redactor.redact("DET-0001 SUBJ-77 SUBJ-78 SUBJ-79 SUBJ-80")
    assert out == "[redacted] [redacted] [redacted] [redacted] SUBJ-80"


def test_redact_frame_returns_new_frames_and_findings_without_values():
    frame = pd.DataFrame({
        "charge": ["Assault (A209999999)", "Theft", None, "Assault (A209999999)"],
        "note": ["Person SUBJ-77 DOB 01/02/1990", "ok", "fine", "ok"],
        "count": [1, 2, 3, 4],
    }, index=[10, 11, 12, 13])
    before = frame.copy(deep=True)
    out, findings = redact_frame(frame, Redactor(["SUBJ-77"]))
    pd.testing.assert_frame_equal(frame, before)
    assert out["charge"].tolist()[::3] == ["Assault ([redacted])"] * 2 and out["charge"][11] == "Theft"
    assert pd.isna(out["charge"][12])
    assert out["note"][10] == "Person [redacted] DOB [redacted]"
    pd.testing.assert_series_equal(out["count"], frame["count"])
    assert list(findings.columns) == FINDING_COLUMNS
    assert findings[["column", "row", "kind"]].values.tolist() == [
        ["charge", 10, A_NUMBER], ["charge", 13, A_NUMBER], ["note", 10, IDENTIFIER], ["note", 10, DATE_OF_BIRTH]]
    published = findings.astype(str).to_numpy().ravel().tolist()
    assert not any("209999999" in v or "SUBJ" in v or "1990" in v for v in published)


def candidates(frames):
    return _identifiers_that_could_appear(_published_texts(frames), identifier_texts(frames))


def test_only_ids_whose_every_run_is_in_some_text_are_looked_for():
    """The published-text scan looks for the IDs that could occur: 'ICE' is in a facility name, so 'ice-…'
    detainer IDs share a first run with the texts, but only the one whose other run is there too is kept."""
    frames = {"detainers": pd.DataFrame({
        "detainer_id": ["ice-3f2a9b", "ice-77c0de", "ICE-FFFF00", None],
        "subject_id": [pd.NA, "Müller-9", "77c0de91", 1234567.0],
        "facility": ["ICE Processing Center 77C0DE", "Jail", "ice", "no 1234567"]})}
    assert candidates(frames) == ["1234567", "Müller-9", "ice-77c0de"]
    assert candidates({"detainers": frames["detainers"].astype({"detainer_id": "string"})}
                      ) == ["1234567", "Müller-9", "ice-77c0de"]


id_runs = st.text(alphabet="abcXYZ019ßé", min_size=1, max_size=4)


@given(st.lists(st.lists(id_runs, min_size=1, max_size=3).map("-".join), max_size=8),
       st.lists(st.lists(id_runs, max_size=6).map(" ".join), min_size=1, max_size=4))
@FAST
def test_leaving_out_ids_no_text_can_hold_changes_no_redaction(ids, texts):
    frames = {"detainers": pd.DataFrame({"detainer_id": ids}, dtype=object), "charges": pd.DataFrame({"charge": texts})}
    every, looked_for = Redactor(ids), Redactor(candidates(frames))
    for text in texts:
        assert looked_for.redact(text) == every.redact(text)


@given(st.lists(st.lists(id_runs, min_size=1, max_size=3).map("-".join), min_size=1, max_size=6),
       st.lists(st.lists(id_runs, max_size=6).map(" ".join), min_size=1, max_size=3),
       st.lists(st.lists(id_runs, max_size=6).map(" ".join), min_size=1, max_size=3))
@FAST
def test_policies_redacted_apart_with_the_records_ids_read_as_when_redacted_together(ids, facilities, criteria):
    """A run whose record frames come from the cache redacts a new policies file on its own, with the records'
    IDs (``reports.load``): the texts and the warnings are those of redacting everything at once."""
    def sheet(file, **columns):
        rows = len(next(iter(columns.values())))
        return pd.DataFrame({"source_file": file, "source_sheet": "", "source_row": range(2, rows + 2), **columns})

    facility = (facilities * len(ids))[:len(ids)]
    frames = {"detainers": sheet("d.csv", detainer_id=ids, facility=facility),
              "policies": sheet("p.csv", criteria=criteria)}
    together, together_found = redact_published_text(frames)
    records, records_found = redact_published_text({"detainers": frames["detainers"]})
    policies, policies_found = redact_published_text({"policies": frames["policies"]},
                                                     identifiers=identifier_texts({"detainers": frames["detainers"]}))
    pd.testing.assert_frame_equal(together["detainers"], records["detainers"])
    pd.testing.assert_frame_equal(together["policies"], policies["policies"])
    assert together_found == records_found + policies_found


def test_redact_frame_with_nothing_found_has_empty_findings():
    frame = pd.DataFrame({"charge": ["Theft"]})
    out, findings = redact_frame(frame, Redactor(["SUBJ-77"]), columns=["charge"])
    pd.testing.assert_frame_equal(out, frame)
    assert findings.empty and list(findings.columns) == FINDING_COLUMNS


# ------------------------------------------------------------------------------------------------ top-coding
def test_top_code_rare_values_missing_and_kept_values():
    series = pd.Series(["MEXICO"] * 3 + ["GUATEMALA"] * 2 + ["ATLANTIS", "unknown", None, np.nan],
                       index=range(100, 109))
    before = series.copy()
    coded = top_code(series, 3, keep=["unknown"])
    pd.testing.assert_series_equal(series, before)
    assert coded.index.equals(series.index)
    assert coded.tolist()[:7] == ["MEXICO"] * 3 + ["Other"] * 3 + ["unknown"]
    assert pd.isna(coded[107]) and pd.isna(coded[108])
    assert top_code(series, 2, other="Other countries").tolist()[5:7] == ["Other countries"] * 2
    assert top_code(series, 1).tolist()[:7] == series.tolist()[:7]


@FAST
@given(st.lists(st.sampled_from(["MX", "GT", "HN", "SV", "CN", "unknown", None]), max_size=30),
       st.integers(0, 5))
def test_top_code_leaves_no_value_seen_fewer_than_k_times(values, k):
    series = pd.Series(values, dtype=object)
    coded = top_code(series, k, keep=["unknown"])
    counts = coded.value_counts()
    for value, count in counts.items():
        assert value in ("Other", "unknown") or count >= max(k, 1)
    original = series.value_counts()
    for (before, after) in zip(series, coded):
        if before is None:
            assert after is None
        elif before == "unknown" or original[before] >= k:
            assert after == before
        else:
            assert after == "Other"


# ------------------------------------------------------------------------------------------- week-only dates
@FAST
@given(st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31)), st.integers(0, 6), st.dates(dt.date(2000, 1, 1),
                                                                                        dt.date(2040, 12, 31)))
def test_week_ending_is_the_reporting_week_and_keeps_before_the_week(day, week_start, report_day):
    (end,) = week_ending(pd.Series([day]), week_start)
    assert end == week_containing(day, week_start).end
    week = week_containing(report_day, week_start)
    assert (end < week.start) == (day < week.start)
    assert (week.start <= end <= week.end) == (week.start <= day <= week.end)


def test_week_only_on_a_declines_detail_shaped_table():
    week = Week(dt.date(2017, 1, 28), dt.date(2017, 2, 3))
    detail = pd.DataFrame({
        "state": ["TX", "TX", "NV"],
        "date_issued": [dt.date(2016, 11, 5), dt.date(2017, 1, 30), None],
        "date_declined": [dt.date(2017, 2, 1), dt.date(2017, 1, 28), dt.date(2017, 2, 3)],
        "issued_before_week": [True, False, False],
        "most_serious_conviction": ["Assault", "", ""],
    })
    before = detail.copy(deep=True)
    out = week_only(detail, SATURDAY)
    pd.testing.assert_frame_equal(detail, before)
    assert list(out.columns) == ["state", "week_issued", "week_declined", "issued_before_week",
                                 "most_serious_conviction"]
    assert out["week_issued"].tolist()[:2] == [dt.date(2016, 11, 11), week.end] and pd.isna(out["week_issued"][2])
    assert out["week_declined"].tolist() == [week.end] * 3
    pd.testing.assert_series_equal(out["issued_before_week"], detail["issued_before_week"])
    assert ((out["week_issued"].dropna() < week.start) == detail["issued_before_week"][:2]).all()


def test_week_only_of_datetimes_and_a_custom_name():
    frame = pd.DataFrame({"arrest_date": pd.to_datetime(["2017-02-04 13:30", "2017-02-10"], format="ISO8601")})
    out = week_only(frame, SATURDAY, {"arrest_date": "arrest_week_ending"})
    assert out["arrest_week_ending"].tolist() == [dt.date(2017, 2, 10)] * 2


# ------------------------------------------------------------------------------------------------ suppression
def make_table(values, total_row: bool, total_column: bool) -> pd.DataFrame:
    values = np.asarray(values, dtype=np.int64)
    columns = [f"c{j}" for j in range(values.shape[1])]
    table = pd.DataFrame(values, columns=columns, index=[f"r{i}" for i in range(values.shape[0])])
    if total_column:
        table["total"] = table[columns].sum(axis=1)
    if total_row:
        table.loc["Total"] = table.sum(axis=0)
    table.insert(0, "label", table.index.str.upper())  # a text column that suppression must leave alone
    return table


def structure(table: pd.DataFrame):
    counts = [c for c in table.columns if c.startswith("c")]
    return counts, ("Total" if "Total" in table.index else None), ("total" if "total" in table.columns else None)


def determined_cells(table: pd.DataFrame, mask: pd.DataFrame) -> list:
    """Withheld cells whose value the published figures determine, by linear programming.

    Variables: every count and total cell. Published cells are fixed; withheld ones are free non-negative.
    Equations: each printed total equals the sum of its cells. A withheld cell of value v is protected when
    a table satisfying all of that has v + 1 or v - 1 there, with integer cells: the LP optimum (a vertex,
    by dual simplex) is checked to be integral and to satisfy every equation exactly, so it *is* such a
    table. The constraint matrix is that of a transportation problem (totally unimodular), so when an
    alternative value exists the LP finds an integral one; if it did not, this test would fail, not pass."""
    counts, total_row, total_column = structure(table)
    rows = [r for r in table.index if r != total_row]
    columns = counts + ([total_column] if total_column else [])
    cells = [(r, c) for r in table.index for c in columns]
    position = {cell: k for k, cell in enumerate(cells)}
    truth = np.array([int(table.at[r, c]) for r, c in cells])
    equations = []
    if total_column:
        for r in table.index:
            equations.append({**{(r, c): 1 for c in counts}, (r, total_column): -1})
    if total_row:
        for c in columns:
            equations.append({**{(r, c): 1 for r in rows}, (total_row, c): -1})
    a_eq = np.zeros((len(equations), len(cells)))
    for i, equation in enumerate(equations):
        for cell, coefficient in equation.items():
            a_eq[i, position[cell]] = coefficient
    b_eq = np.zeros(len(equations))
    assert (a_eq @ truth == 0).all()
    withheld = [cell for cell in cells if mask.at[cell]]
    determined = []
    for cell in withheld:
        k, v = position[cell], truth[position[cell]]
        if not any(_alternative(a_eq, b_eq, cells, mask, truth, k, target) for target in (v + 1, v - 1)
                   if target >= 0):
            determined.append(cell)
    return determined


def _alternative(a_eq, b_eq, cells, mask, truth, k, target) -> bool:
    from scipy.optimize import linprog  # imported here: 0.6 s that collecting the suite need not pay

    bounds = [(0, None) if mask.at[cell] else (truth[i], truth[i]) for i, cell in enumerate(cells)]
    up = target > truth[k]
    bounds[k] = (0, target) if up else (target, None)
    objective = np.zeros(len(cells))
    objective[k] = -1 if up else 1
    result = linprog(objective, A_eq=a_eq if len(a_eq) else None, b_eq=b_eq if len(b_eq) else None,
                     bounds=bounds, method="highs-ds")
    if result.status != 0 or abs(result.x[k] - target) > 1e-7:
        return False
    table = np.round(result.x).astype(np.int64)
    assert np.abs(result.x - table).max() < 1e-7, "LP vertex not integral"
    assert (table >= 0).all() and (a_eq.astype(np.int64) @ table == 0).all()
    fixed = [i for i, cell in enumerate(cells) if not mask.at[cell]]
    assert (table[fixed] == truth[fixed]).all() and table[k] == target
    return True


def _mask_of(table, cells) -> pd.DataFrame:
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    for cell in cells:
        mask.at[cell] = True
    return mask


def test_the_checker_finds_recoverable_cells():
    # one withheld cell in a row with its total: recoverable by subtraction
    table = make_table([[1, 5, 7], [4, 4, 4]], total_row=True, total_column=True)
    assert determined_cells(table, _mask_of(table, [("r0", "c0")])) == [("r0", "c0")]
    # a cycle of four withheld cells whose other three are zeros: the 1 cannot move, and the zeros cannot
    # go down; counting the rule "two withheld cells per row and column" would pass this pattern
    table = make_table([[1, 0], [0, 0]], total_row=True, total_column=True)
    cycle = [("r0", "c0"), ("r0", "c1"), ("r1", "c0"), ("r1", "c1")]
    assert sorted(determined_cells(table, _mask_of(table, cycle))) == sorted(cycle)
    # the same cycle round a 1 and a 3: every cell can move
    table = make_table([[1, 2], [4, 3]], total_row=True, total_column=True)
    assert determined_cells(table, _mask_of(table, cycle)) == []
    # a 1-row table: the row's cell equals its column total
    table = make_table([[2, 5]], total_row=True, total_column=True)
    assert determined_cells(table, _mask_of(table, [("r0", "c0"), ("r0", "c1")])) == [("r0", "c0"), ("r0", "c1")]


@settings(max_examples=100, deadline=None, database=None)
@given(st.integers(1, 2), st.integers(1, 2), st.booleans(), st.booleans(), st.data())
def test_the_checker_agrees_with_exhaustive_search(r, c, total_row, total_column, data):
    values = data.draw(st.lists(st.lists(st.integers(0, 2), min_size=c, max_size=c), min_size=r, max_size=r))
    table = make_table(values, total_row, total_column)
    counts, _, total_col = structure(table)
    cells = [(i, j) for i in table.index for j in counts + ([total_col] if total_col else [])]
    withheld = data.draw(st.lists(st.sampled_from(cells), unique=True, max_size=4))
    mask = _mask_of(table, withheld)
    assert sorted(determined_cells(table, mask)) == sorted(_determined_by_search(table, mask))


def _determined_by_search(table, mask) -> list:
    """Try every value from 0 to the grand total + 1 in every withheld cell (all at once, with numpy); keep
    the tables whose printed totals still add up; a cell is determined when one value is left."""
    counts, total_row, total_column = structure(table)
    rows = [r for r in table.index if r != total_row]
    r, c = len(rows), len(counts)
    grid = np.zeros((r + 1, c + 1), dtype=np.int64)  # body, then the total column and the total row
    grid[:r, :c] = table.loc[rows, counts].to_numpy()
    known = np.zeros_like(grid, dtype=bool)
    known[:r, :c] = True
    labels = {(i, j): (rows[i], counts[j]) for i in range(r) for j in range(c)}
    if total_column:
        grid[:r, c] = table.loc[rows, total_column].to_numpy()
        known[:r, c] = True
        labels.update({(i, c): (rows[i], total_column) for i in range(r)})
    if total_row:
        grid[r, :c] = table.loc[total_row, counts].to_numpy()
        known[r, :c] = True
        labels.update({(r, j): (total_row, counts[j]) for j in range(c)})
    if total_row and total_column:
        grid[r, c] = table.at[total_row, total_column]
        known[r, c] = True
        labels[(r, c)] = (total_row, total_column)
    withheld = [pos for pos, label in labels.items() if mask.at[label]]
    top = int(grid[:r, :c].sum()) + 1
    guesses = np.array(list(itertools.product(range(top + 1), repeat=len(withheld))), dtype=np.int64)
    tables = np.repeat(grid[None], len(guesses), axis=0)
    for k, (i, j) in enumerate(withheld):
        tables[:, i, j] = guesses[:, k]
    body = tables[:, :r, :c]
    fits = np.ones(len(tables), dtype=bool)
    if total_column:
        fits &= (body.sum(axis=2) == tables[:, :r, c]).all(axis=1)
    if total_row:
        fits &= (body.sum(axis=1) == tables[:, r, :c]).all(axis=1)
    if total_row and total_column:
        fits &= body.sum(axis=(1, 2)) == tables[:, r, c]
    truth = (guesses == np.array([grid[i, j] for i, j in withheld], dtype=np.int64)).all(axis=1)
    assert truth.sum() == 1 and fits[truth].all()  # the search includes the true table, which fits
    possible = tables[fits]
    return [labels[(i, j)] for i, j in withheld if len(set(possible[:, i, j].tolist())) < 2]


@st.composite
def count_tables(draw):
    r, c = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    cell = st.one_of(st.just(0), st.integers(1, 4), st.integers(0, 15))
    values = draw(st.lists(st.lists(cell, min_size=c, max_size=c), min_size=r, max_size=r))
    return make_table(values, draw(st.booleans()), draw(st.booleans()))


SUPPRESSED_TABLES = (count_tables(), st.sampled_from([2, 3, 4, 5, 10]), st.data())


@pytest.mark.slow  # 150 tables, each checked by linear programming (a few seconds)
@settings(max_examples=150, deadline=None, database=None)
@given(*SUPPRESSED_TABLES)
def test_no_withheld_cell_can_be_recovered(table, min_cell, data):
    _assert_no_withheld_cell_can_be_recovered(table, min_cell, data)


@settings(max_examples=20, deadline=None, database=None)
@given(*SUPPRESSED_TABLES)
def test_no_withheld_cell_can_be_recovered_from_a_few_tables(table, min_cell, data):
    """The guarantee above on fewer random tables, for the fast suite."""
    _assert_no_withheld_cell_can_be_recovered(table, min_cell, data)


def _assert_no_withheld_cell_can_be_recovered(table, min_cell, data):
    counts, total_row, total_column = structure(table)
    figures = counts + ([total_column] if total_column else [])
    forced = None
    if data.draw(st.booleans()):
        forced = _mask_of(table, data.draw(st.lists(st.sampled_from(
            [(r, c) for r in table.index for c in figures]), unique=True, max_size=2)))
    before = table.copy(deep=True)
    result = suppress(table, counts, min_cell, total_row=total_row, total_column=total_column, forced=forced)
    pd.testing.assert_frame_equal(table, before)
    small = table[figures].apply(lambda s: (s >= 1) & (s < min_cell))
    # every small count, and every forced cell, is withheld as primary
    assert (result.primary[figures] == (small | (forced[figures] if forced is not None else False))).all().all()
    assert (result.mask | ~result.primary).all().all()
    assert not result.mask.drop(columns=figures).any().any()
    # [c] exactly where withheld, every other figure as it was
    for column in table.columns:
        kept = ~result.mask[column]
        assert result.display[column][kept].tolist() == table[column][kept].tolist()
        assert (result.display[column][~kept] == SUPPRESSED).all()
    # the guarantee: no withheld figure is determined by what is published
    assert determined_cells(table, result.mask) == []
    # deterministic
    again = suppress(table, counts, min_cell, total_row=total_row, total_column=total_column, forced=forced)
    pd.testing.assert_frame_equal(again.mask, result.mask)


@pytest.mark.parametrize("min_cell", [None, 0, 1])
def test_nothing_is_withheld_when_min_cell_is_off(min_cell):
    table = make_table([[1, 2], [0, 1]], total_row=True, total_column=True)
    result = suppress(table, ["c0", "c1"], min_cell, total_row="Total", total_column="total")
    assert not result.mask.any().any() and not result.primary.any().any()
    pd.testing.assert_frame_equal(result.display, table)


def test_secondary_cells_are_the_smallest_non_zero_interior_cells():
    table = make_table([[1, 0, 9], [6, 0, 3], [5, 4, 8]], total_row=True, total_column=True)
    result = suppress(table, ["c0", "c1", "c2"], 3, total_row="Total", total_column="total")
    withheld = sorted(cell for cell in result.mask.stack().index if result.mask.at[cell])
    # the 1 goes with the 3 in its column's partner row: r0/r1 × c0/c2 (1, 9, 6, 3), never a zero or a total
    assert withheld == [("r0", "c0"), ("r0", "c2"), ("r1", "c0"), ("r1", "c2")]


def test_a_single_column_with_a_total_row_prefers_a_non_zero_cell_to_a_zero():
    table = make_table([[1], [0], [7]], total_row=True, total_column=False)
    result = suppress(table, ["c0"], 3, total_row="Total")
    assert result.mask["c0"].tolist() == [True, False, True, False]


def test_a_one_row_table_withholds_totals_or_more_cells():
    table = make_table([[2, 5]], total_row=True, total_column=True)
    result = suppress(table, ["c0", "c1"], 3, total_row="Total", total_column="total")
    assert result.mask.loc["Total", "c0"]  # it equals the withheld cell
    assert determined_cells(table, result.mask) == []
    assert result.display.loc["r0", "c0"] == SUPPRESSED


def test_a_small_grand_total_withholds_the_whole_table_of_it():
    table = make_table([[1, 1]], total_row=True, total_column=True)
    result = suppress(table, ["c0", "c1"], 3, total_row="Total", total_column="total")
    assert result.primary.loc["Total", "total"] and result.primary.loc["r0", "total"]
    assert determined_cells(table, result.mask) == []


def test_a_table_of_the_reports_shape():
    # declines by jurisdiction: criminality columns, the declined column as row total, a Total row
    table = pd.DataFrame({
        "fips": ["48453", "32003", "42055", ""], "name": ["Travis", "Clark", "Franklin", "Total"],
        "convicted": [40, 1, 0, 41], "pending_charges": [91, 0, 0, 91], "no_record": [11, 0, 1, 12],
    })
    table["declined"] = table[["convicted", "pending_charges", "no_record"]].sum(axis=1)
    result = suppress(table, ["convicted", "pending_charges", "no_record"], 3, total_row=3, total_column="declined")
    assert result.primary.loc[1, "convicted"] and result.primary.loc[2, "no_record"]
    assert result.primary.loc[1, "declined"] and result.primary.loc[2, "declined"]  # row totals of 1
    assert result.display.loc[3, "declined"] == 144  # the total is kept
    assert result.display["name"].tolist() == table["name"].tolist()
    assert determined_cells(table.rename(columns={"convicted": "c0", "pending_charges": "c1", "no_record": "c2",
                                                  "declined": "total"}, index={3: "Total"}),
                            result.mask.rename(columns={"convicted": "c0", "pending_charges": "c1",
                                                        "no_record": "c2", "declined": "total"},
                                               index={3: "Total"})) == []


@pytest.mark.parametrize("change, message", [
    (lambda t: t.assign(c0=[1, -1, 0]), "non-negative integers"),
    (lambda t: t.assign(c0=[1.5, 0, 1.5]), "non-negative integers"),
    (lambda t: t.assign(c0=[1, None, 1]), "non-negative integers"),
    (lambda t: t.assign(total=[9, 9, 9]), "not the sum"),
])
def test_inconsistent_tables_are_refused(change, message):
    table = change(make_table([[1, 2], [0, 3]], total_row=True, total_column=True).drop(columns="label"))
    with pytest.raises(ValueError, match=message):
        suppress(table, ["c0", "c1"], 3, total_row="Total", total_column="total")


def test_a_larger_table_of_jurisdictions():
    rng = np.random.default_rng(2017)
    values = rng.integers(0, 9, size=(40, 4))
    values[rng.random(values.shape) < 0.35] = 0
    table = make_table(values, total_row=True, total_column=True)
    counts, total_row, total_column = structure(table)
    result = suppress(table, counts, 5, total_row=total_row, total_column=total_column)
    small = table[counts + [total_column]].apply(lambda s: (s >= 1) & (s < 5))
    assert (result.mask[counts + [total_column]] | ~small).all().all()
    assert determined_cells(table, result.mask) == []
    assert not result.mask.loc["Total"].any()  # interior cells were enough


def test_huge_counts_keep_exact_costs():
    table = make_table([[1, 10 ** 15], [2, 3 * 10 ** 14]], total_row=True, total_column=True)
    counts, total_row, total_column = structure(table)
    result = suppress(table, counts, 3, total_row=total_row, total_column=total_column)
    assert result.mask.loc["r0", "c0"] and result.mask.loc["r1", "c0"]
    assert determined_cells(table, result.mask) == []
