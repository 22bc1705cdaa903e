"""Loads a folder of staff files into a ``Dataset``: read, check, join, attribute, correct.

``load_inputs`` is pure with respect to the inputs folder: it reads, never writes. The staff reports
made from a Dataset are written by ``reports.staff_reports``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import attribution, attribution_sources, ingest, input_files, join, redaction, validate, workbooks
from .parsers import ReadRules
from .atomic import sha256_file
from .jurisdiction import JURISDICTION_COLUMNS
from .blank import is_empty
from .cache import FileResult, InputCache, SheetMeta
from .corrections import apply_county_corrections, apply_detainer_corrections, correction_tables
from .errors import ERROR, WARNING, DataNote, Problem
from .frames import (CORRECTION_SUMMARY_COLUMNS, DETAINER_COLUMNS, LINKED_CHARGE_COLUMNS, RESPONSE_COLUMNS,
                     ROW_STATUS, ROW_STATUS_COLUMNS, STAFF_CORRECTION_LOG_COLUMNS, read_columns,
                     require_columns)
from .reference import Counties, load_counties
from .schema import KINDS, layouts_with_aliases
from .settings import DEFAULTS, Settings
from .wording import counted

RECORD_KINDS = ("detainers", "charges", "facilities", "policies", "corrections")


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass
class Dataset:
    detainers: pd.DataFrame  # every detainer row read, with row_status; see ``used`` (frames.DETAINER_COLUMNS)
    charges: pd.DataFrame  # frames.LINKED_CHARGE_COLUMNS
    facilities: pd.DataFrame
    policies: pd.DataFrame
    problems: list[Problem]
    reconciliation: pd.DataFrame  # one row per file+sheet
    row_status: pd.DataFrame  # one row per spreadsheet row below a header
    changes: pd.DataFrame  # detainers updated by a newer file (staff only)
    attribution: pd.DataFrame  # every facility: county, method and evidence, weakest first (staff only)
    data_notes: list[DataNote] = field(default_factory=list)  # what each source can and cannot tell
    files: list[str] = field(default_factory=list)
    # Corrections sheets. correction_rows: every row read, with row_status (staff only: has detainer IDs).
    # corrections: one row per correction used, no detainer IDs (CORRECTION_SUMMARY_COLUMNS; its reference names
    # the staff file: tables publishes PUBLIC_CORRECTION_LOG_COLUMNS of it).
    # responses: one row per jurisdiction response used, no detainer IDs (RESPONSE_COLUMNS).
    # correction_log: one row per detainer field a correction set, old and new value (staff only:
    # STAFF_CORRECTION_LOG_COLUMNS). Corrected detainers name their corrections in detainers["corrections"].
    correction_rows: pd.DataFrame = field(default_factory=lambda: _empty([ROW_STATUS]))
    corrections: pd.DataFrame = field(default_factory=lambda: _empty(CORRECTION_SUMMARY_COLUMNS))
    responses: pd.DataFrame = field(default_factory=lambda: _empty(RESPONSE_COLUMNS))
    correction_log: pd.DataFrame = field(default_factory=lambda: _empty(STAFF_CORRECTION_LOG_COLUMNS))
    # each distinct Outcome, Criminality and Citizenship text read, its rows and what it was counted as (staff)
    value_mapping: pd.DataFrame = field(default_factory=lambda: _empty(validate.VALUE_MAPPING_COLUMNS))
    # kind -> (the frame, its used rows): each week's figures ask for them several times
    _used_rows: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def notes(self) -> list[str]:
        """The data notes as staff read them (naming files and sheets)."""
        return [n.staff() for n in self.data_notes]

    def public_notes(self) -> list[str]:
        """The data notes as the public reads them: files numbered in the order staff see them, never named."""
        numbers = {name: n for n, name in enumerate(self.files, start=1)}
        return [n.public(numbers.get(n.file, 0)) for n in self.data_notes]

    def used(self, kind: str) -> pd.DataFrame:
        frame = self.correction_rows if kind == "corrections" else getattr(self, kind)
        known = self._used_rows.get(kind)
        if known is None or known[0] is not frame:  # (a frame replaced since is selected again)
            known = self._used_rows[kind] = (frame, frame[frame["row_status"] == "used"])
        return known[1].copy(deep=False)  # copy-on-write: a caller's change never reaches the next caller


class RecordFramesStore(functools.partial):
    """The storing of newly derived record frames, as ``load_inputs`` defers it: the heaviest cache write of a
    run (about 2 s nationally), which the caller may plan around."""


def load_inputs(inputs_dir: Path, counties: Counties | None = None, settings: Settings | None = None,
                today: dt.date | None = None, cache_dir: Path | None = None,
                deferred_cache_writes: list | None = None) -> Dataset:
    """Read, check and join every file in inputs_dir. ``today`` (default: today in the settings' time zone)
    is the day of the run: no record may be dated after it. With ``cache_dir``, a file read before with the
    same layouts, settings and software is taken from the cache (``reports.cache``) instead of being read, and
    so are the record frames derived from the same record files on the same day. Given a list,
    ``deferred_cache_writes`` receives the storing of newly read files and newly derived record frames (calls,
    about 3 s for a national set) for the caller to make when the process would otherwise wait: a publishing run
    makes them while its PDF renders."""
    counties = counties or load_counties()
    settings = settings or DEFAULTS
    today = today or settings.today()
    rules = ReadRules.from_settings(settings, None)  # dates after the run's day: checked below
    layouts = layouts_with_aliases(dict(settings.aliases))
    cache = InputCache(cache_dir, {"layouts": repr(layouts), "outcomes": sorted(settings.outcomes),
                                   "day_first": settings.day_first, "max_bytes": settings.max_input_bytes})
    paths, problems = input_files.find_input_files(inputs_dir)

    def check(path: Path, rel: str, digest: str | None) -> FileResult:
        return check_file(path, rel, digest, inputs_dir, layouts, counties, rules, settings.max_input_bytes)

    results = input_files.read_inputs(inputs_dir, paths, check, cache, deferred_cache_writes)
    cache.save_index()
    cache.prune()
    sheets, tables, sheet_rows, excluded_rows, digests = [], {}, [], [], {}
    for result in results:
        problems += result.problems
        sheet_rows += result.sheet_rows
        excluded_rows += result.excluded
        if result.digest:
            digests[result.rel] = result.digest
        for sheet in result.sheets:
            problems += sheet.problems
            tables[(sheet.table.file, sheet.table.sheet)] = sheet.table
            sheets.append(sheet)

    def label(row, field_name: str) -> str:
        """The column as staff see it; "" for a field the sheet has no column for (a derived detainer ID)."""
        table = tables.get((row["source_file"], row["source_sheet"]))
        if table is None:
            return field_name
        return table.column_label(field_name) if field_name in table.columns else ""

    # Everything but the policies is derived from the record sheets alone: a run whose record files, day and
    # software are those of an earlier run takes it from the cache and never reads their rows (a new policies
    # file is read and redacted on its own).
    material = _records_material(results, cache, today, counties)
    records = RecordFrames.from_bundle(cache.load_bundle("records", material) if material else None)
    if records is None:
        records = derive_records([s for s in sheets if s.table.kind != "policies"], label, counties, today, cache)
        if material:
            store = RecordFramesStore(cache.store_bundle, "records", material, *records.to_bundle())
            if deferred_cache_writes is None:
                store()
            else:
                deferred_cache_writes.append(store)
    policy_sheets, late = [], []
    for sheet in (s for s in sheets if s.table.kind == "policies"):
        sheet, sheet_late = validate.future_date_problems(sheet, today)
        policy_sheets.append(sheet)
        late += sheet_late
    policies = join.combine(policy_sheets, "policies")
    require_columns(policies, read_columns("policies"), "the combined policies frame")
    redacted_policies, redacted = redaction.redact_published_text({"policies": policies}, label, records.identifiers)
    problems += records.problems + late + redacted
    problems += identical_files(digests, tables)
    data_notes = [n for s in sheets for n in s.notes]
    frames_out = {"detainers": records.detainers, "charges": records.charges,
                  "facilities": records.facilities, "policies": redacted_policies["policies"]}
    status = pd.concat(
        [f[list(ROW_STATUS_COLUMNS)] for f in (*frames_out.values(), records.correction_rows)]
        + [pd.DataFrame(excluded_rows, columns=list(ROW_STATUS_COLUMNS))],
        ignore_index=True)
    reconciliation = reconcile(pd.DataFrame(sheet_rows, columns=["file", "sheet", "kind", "layout"]), status)
    # in the order staff read their files: by file, sheet, row and column (file-level problems first)
    problems.sort(key=lambda p: (p.file, p.sheet, p.row or 0, p.column, p.code))
    return Dataset(**frames_out, problems=problems, reconciliation=reconciliation, row_status=status,
                   changes=records.changes, attribution=records.attribution, data_notes=data_notes,
                   files=[p.relative_to(inputs_dir).as_posix() for p in paths],
                   correction_rows=records.correction_rows, corrections=records.corrections,
                   responses=records.responses, correction_log=records.correction_log,
                   value_mapping=value_mapping(sheets))


@dataclass
class RecordFrames:
    """What the detainer, charge, facility and corrections sheets give the run, derived from them alone."""

    detainers: pd.DataFrame
    charges: pd.DataFrame
    facilities: pd.DataFrame
    correction_rows: pd.DataFrame
    corrections: pd.DataFrame
    responses: pd.DataFrame
    correction_log: pd.DataFrame
    changes: pd.DataFrame
    attribution: pd.DataFrame
    problems: list[Problem]
    identifiers: object  # redaction.identifier_texts of the record sheets (Arrow): the policies are redacted for them

    def to_bundle(self) -> tuple[dict, dict, dict]:
        frames = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                  if f.name not in ("problems", "identifiers")}
        return frames, {"identifiers": self.identifiers}, {"problems": [dataclasses.asdict(p) for p in self.problems]}

    @classmethod
    def from_bundle(cls, bundle) -> "RecordFrames | None":
        if bundle is None:
            return None
        frames, tables, data = bundle
        return cls(**frames, problems=[Problem(**p) for p in data["problems"]], identifiers=tables["identifiers"])


def _records_material(results, cache: InputCache, today: dt.date, counties: Counties) -> str | None:
    """What the record frames are derived from: each record file's cache key (its content, path, the layouts,
    settings and software) and sheets, the run's day and the counties. None without a cache, or when a file
    could not be hashed (its content is unknown)."""
    if not cache.enabled:
        return None
    files = []
    for result in results:
        kinds = [(s.table.sheet, s.table.kind) for s in result.sheets]
        if all(kind == "policies" for _, kind in kinds) and kinds:
            continue  # a policies file changes no record frame
        if result.digest is None:
            if kinds:
                return None
            continue  # a file with no sheet read adds nothing to the record frames
        files.append([result.rel, cache.key(result.digest, result.rel), kinds])
    counties_key = hashlib.sha256(repr(sorted(counties.by_fips.items())).encode("utf-8")).hexdigest()
    return json.dumps({"files": files, "today": today.isoformat(), "counties": counties_key})


def derive_records(sheets: list, label, counties: Counties, today: dt.date, cache: InputCache) -> RecordFrames:
    """The record sheets checked against the run's day, combined, redacted, de-duplicated, attributed to
    counties, corrected and linked."""
    problems: list[Problem] = []
    dated = []
    for sheet in sheets:
        sheet, late = validate.future_date_problems(sheet, today)
        problems += late
        dated.append(sheet)
    frames = {kind: join.combine(dated, kind) for kind in RECORD_KINDS if kind != "policies"}
    for kind, frame in frames.items():
        require_columns(frame, read_columns(kind), f"the combined {kind} frame")
    identifiers = redaction.identifier_texts(frames)
    frames, redacted = redaction.redact_published_text(frames, label, identifiers)
    problems += redacted
    changes = join.resolve_duplicates(frames["detainers"], problems, label)
    staff_map, frames["facilities"] = attribution_sources.staff_facilities(frames["facilities"], problems, label)
    # facilities attributed by an earlier run with the same staff facilities sheets (and software) are not
    # attributed again: nationally, thousands of facilities and the reference behind them
    memo = repr((sorted(staff_map.by_code.items()), sorted(staff_map.by_key.items())))
    before_corrections, facilities = attribution.assign_jurisdictions(
        frames["detainers"], staff_map, counties, known=cache.load_frame("facility-attribution", memo))
    by_detainer = apply_detainer_corrections(frames["detainers"], frames["corrections"],
                                             before_corrections["county_fips"], counties, label)
    problems += by_detainer.problems
    # corrections may change a facility or a state: only those facilities are attributed again
    located_by = [*attribution.FACILITY_KEY, "county_fips"]
    if by_detainer.detainers[located_by].equals(frames["detainers"][located_by]):  # no correction moved one
        attributed = by_detainer.detainers.assign(**{c: before_corrections[c] for c in JURISDICTION_COLUMNS})
    else:
        attributed, facilities = attribution.assign_jurisdictions(by_detainer.detainers, staff_map, counties,
                                                                  known=facilities)
    cache.store_frame("facility-attribution", memo, facilities)
    by_county = apply_county_corrections(attributed, by_detainer.corrections, by_detainer.applied, counties, label)
    problems += by_county.problems
    detainers = by_county.detainers
    public_corrections, responses, correction_log = correction_tables(
        by_detainer.corrections, detainers, by_county.applied, counties)
    charges = join.link_charges(frames["charges"], detainers, problems, label)
    require_columns(detainers, DETAINER_COLUMNS, "the detainers frame after corrections")
    require_columns(charges, LINKED_CHARGE_COLUMNS, "the charges frame after linking")
    review = attribution.attribution_review(detainers, counties)
    unattributed = review[review["Method"] == attribution.NONE]
    if len(unattributed):
        problems.append(Problem("W402", "(all files)", message=(
            f"{counted(len(unattributed), 'facility', 'facilities')} with "
            f"{counted(int(unattributed['Detainers'].sum()), 'detainer')} "
            f"{'has' if len(unattributed) == 1 else 'have'} no county; their detainers are counted nationally "
            "as 'jurisdiction not determined'")))
    return RecordFrames(detainers, charges, frames["facilities"], by_detainer.corrections, public_corrections,
                        responses, correction_log, changes, review, problems, identifiers)


def check_file(path: Path, rel: str, digest: str | None, inputs_dir: Path, layouts, counties: Counties,
               rules: ReadRules, max_bytes: int) -> FileResult:
    """One file read, its sheets recognised and checked: everything the run needs of it, and all it can cache."""
    raw_sheets, problems = input_files.read_file(path, rel, max_bytes)
    readable = bool(raw_sheets) or not problems
    digest = (digest or sha256_file(path)) if readable else None
    sheet_rows, excluded, sheets = [], [], []
    if not readable:
        sheet_rows.append({"file": rel, "sheet": "", "kind": "", "layout": "not read"})
    for raw in raw_sheets:
        table, sheet_problems = ingest.recognise(raw, layouts)
        problems += sheet_problems
        if table is None:
            if raw.hidden:
                reason = "hidden sheet, not read"
            elif any(p.severity == ERROR for p in sheet_problems):
                reason = "sheet not read: error in its header"
            else:
                reason = "sheet not recognised"
            sheet_rows.append({"file": rel, "sheet": raw.sheet, "kind": "", "layout": reason})
            # every non-blank row is still accounted for, as excluded with the sheet's reason
            excluded += [{"source_file": rel, "source_sheet": raw.sheet, "source_row": i + 1, "row_status": reason}
                         for i, row in enumerate(raw.rows) if not all(is_empty(c) for c in row)]
            continue
        partial_dates = [c.field for c in KINDS[table.kind].columns if c.type == "partial_date"]
        if partial_dates and rel.lower().endswith(tuple(input_files.SPREADSHEET_SUFFIXES)):
            workbooks.add_cell_precisions(table, inputs_dir / rel, partial_dates)
        sheet_rows.append({"file": rel, "sheet": raw.sheet, "kind": table.kind, "layout": table.layout.name})
        checked = validate.validate_sheet(table, counties, rules)
        sheets.append(dataclasses.replace(checked, table=SheetMeta.of(table)))  # the raw values are done with
        excluded += [{"source_file": table.file, "source_sheet": table.sheet, "source_row": row,
                      "row_status": reason} for row, reason in table.excluded.items()]
    return FileResult(rel, digest, problems, sheet_rows, excluded, sheets)


def value_mapping(sheets: list[validate.ValidatedSheet]) -> pd.DataFrame:
    """Every distinct text of the vocabulary columns, over all files: its rows and what it was counted as."""
    rows = pd.DataFrame([r for s in sheets for r in s.value_mapping], columns=validate.VALUE_MAPPING_COLUMNS)
    if rows.empty:
        return rows
    order = {name: i for i, name in enumerate(("Outcome", "Criminality", "Citizenship"))}
    mapping = rows.groupby(["kind", "column", "value", "counted_as"], as_index=False)["rows"].sum()
    mapping["_order"] = mapping["column"].map(order).fillna(len(order))
    return (mapping.sort_values(["kind", "_order", "counted_as", "rows", "value"],
                                ascending=[True, True, True, False, True])
            .drop(columns="_order").reset_index(drop=True))


def identical_files(digests: dict[str, str], tables: dict) -> list[Problem]:
    """W102 for byte-identical files. Detainers with IDs in them are counted once (the copies are the same
    detainers); rows without IDs (the older FOIA export, charges, policies) are counted once per copy."""
    by_digest: dict[str, list[str]] = {}
    for rel, digest in sorted(digests.items()):
        by_digest.setdefault(digest, []).append(rel)
    problems = []
    for files in by_digest.values():
        if len(files) < 2:
            continue
        mine = [t for (file, _), t in tables.items() if file == files[0]]
        once = all(t.kind == "facilities" or (t.kind == "detainers" and t.identity != "row-content")
                   for t in mine)
        if once:
            counted_how = "their detainers have IDs, so each is counted once"
        else:
            counted_how = ("they hold rows without IDs, so those rows are counted once per copy: "
                           "delete all copies but one")
        problems.append(Problem("W102", files[0], message=(
            f"{', '.join(files[1:])} {'is' if len(files) == 2 else 'are'} byte for byte the same file; "
            f"{counted_how}")))
    return problems


def reconcile(sheets: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    """Per file and sheet: rows read = used + excluded, with the reason for every exclusion."""
    # one pass over the rows: how many of each status per file and sheet, in order of first appearance
    sizes = status.groupby(["source_file", "source_sheet", "row_status"], sort=False, dropna=False).size()
    by_sheet: dict[tuple, dict[str, int]] = {}
    for (file, sheet, row_status), n in sizes.items():
        reasons = by_sheet.setdefault((file, sheet), {})
        reason = _reason_group(row_status)
        reasons[reason] = reasons.get(reason, 0) + int(n)
    rows = []
    for sheet in sheets.itertuples(index=False):
        counts = by_sheet.get((sheet.file, sheet.sheet), {})
        used, read = counts.get("used", 0), sum(counts.values())
        ordered = sorted(counts.items(), key=lambda item: -item[1])  # most rows first; ties as they came
        rows.append({"file": sheet.file, "sheet": sheet.sheet, "kind": sheet.kind, "layout": sheet.layout,
                     "rows_read": read, "used": used, "excluded": read - used,
                     "excluded_reasons": "; ".join(f"{reason}: {n:,}" for reason, n in ordered if reason != "used")})
    return pd.DataFrame(rows, columns=["file", "sheet", "kind", "layout", "rows_read", "used", "excluded",
                                       "excluded_reasons"])


def _reason_group(status: str) -> str:
    """'repeat of row 7' and 'repeat of row 9' count as one reason; other statuses are their own."""
    return "repeat of an earlier row" if status.startswith("repeat of row") else status
