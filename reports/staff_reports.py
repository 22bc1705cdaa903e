"""Staff-only outputs of a check: the files written to the staff folder (never under the public outputs)
and the text blocks the check report and the CLI print.

``check-report.txt``, ``problems.csv``, ``reconciliation.csv``, ``changes.csv``, ``value-mapping.csv``,
``corrections-applied.csv`` (names detainers) and ``facility-attribution.xlsx``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from pathlib import Path

import pandas as pd

from . import attribution
from .atomic import replace_with
from .load import Dataset
from .resources import code_fingerprint
from .safetext import write_csv


def write_staff_reports(dataset: Dataset, staff_dir: Path, now: dt.datetime) -> list[Path]:
    """Staff-only files: problems, reconciliation, change log, facility attribution. Never public."""
    staff_dir.mkdir(parents=True, exist_ok=True)
    written = []
    problems = pd.DataFrame([p.as_row() for p in dataset.problems],
                            columns=["severity", "code", "title", "file", "sheet", "row", "column", "value",
                                     "message", "help"])
    problems["row"] = problems["row"].astype("Int64")  # "12", not "12.0", when some problems have no row
    def csv_writer(frame):
        return lambda path: write_csv(frame, path, bom=True)

    outputs = [("problems.csv", csv_writer(problems)), ("reconciliation.csv", csv_writer(dataset.reconciliation)),
               ("changes.csv", csv_writer(dataset.changes)),
               ("value-mapping.csv", csv_writer(dataset.value_mapping)),
               ("facility-attribution.xlsx", lambda path: write_attribution_workbook(dataset.attribution, path)),
               ("check-report.txt", lambda path: path.write_text(format_check_report(dataset, now), encoding="utf-8"))]
    # The log of corrections applied names detainers, so it is staff only. Written when the inputs hold a
    # corrections sheet; otherwise a log left by an earlier run is removed, so it never describes old inputs.
    corrections_log = staff_dir / "corrections-applied.csv"
    if len(dataset.correction_rows) or len(dataset.correction_log):
        outputs.insert(3, ("corrections-applied.csv", csv_writer(dataset.correction_log)))
    elif corrections_log.exists():
        corrections_log.unlink()
    for name, write in outputs:
        if name == "facility-attribution.xlsx" and attribution_workbook_is_current(dataset.attribution,
                                                                                   staff_dir / name):
            written.append(staff_dir / name)  # thousands of facilities: not written again when nothing changed
            continue
        # a --check running beside a publication never leaves staff a file half of one run and half of the other
        written.append(replace_with(staff_dir / name, write))
    return written


def _attribution_digest(review: pd.DataFrame) -> str:
    """What facility-attribution.xlsx shows (its rows and the software that lays them out), as a digest the
    workbook keeps in its document properties."""
    material = f"{code_fingerprint()}\n{review.to_csv(index=False)}"
    return "facility-attribution " + hashlib.sha256(material.encode("utf-8")).hexdigest()


def attribution_workbook_is_current(review: pd.DataFrame, path: Path) -> bool:
    """The workbook at ``path`` was written from exactly this review by this software."""
    try:
        with zipfile.ZipFile(path) as workbook:
            properties = workbook.read("docProps/core.xml").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return f"<cp:keywords>{_attribution_digest(review)}</cp:keywords>" in properties


def write_attribution_workbook(review: pd.DataFrame, path: Path) -> None:
    """facility-attribution.xlsx: every facility, weakest attribution first; the first four columns are
    laid out as a facilities sheet, so staff copy rows into one to confirm or override a county."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties({"keywords": _attribution_digest(review)})
    sheet = workbook.add_worksheet("Facility attribution")
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    text = workbook.add_format({"num_format": "@", "valign": "top"})
    sheet.write(0, 0, "Every facility in the inputs, the county its detainers were attributed to, how, and why. "
                "Weakest methods and facilities without a county come first. To confirm or override a county, "
                "copy the row's first four columns (Facility, Facility Code, State, County FIPS) into a "
                "facilities sheet in inputs/ and correct the County FIPS: staff sheets always win.", bold)
    for col, name in enumerate(review.columns):
        sheet.write(2, col, name, bold)
    for r, row in enumerate(review.itertuples(index=False), start=3):
        for col, value in enumerate(row):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, "" if value is None else str(value),
                                   wrap if review.columns[col] == "Evidence" else text)
    widths = {"Facility": 38, "Facility Code": 13, "State": 7, "County FIPS": 11, "County": 26, "Method": 17,
              "Evidence": 70, "City": 16, "Detainers": 10, "Detainers by method": 30}
    for col, name in enumerate(review.columns):
        sheet.set_column(col, col, widths.get(name, 14))
    sheet.freeze_panes(3, 1)
    sheet.autofilter(2, 0, 2 + len(review), len(review.columns) - 1)
    workbook.close()


def format_check_report(dataset: Dataset, now: dt.datetime) -> str:
    lines = [f"Input check, {now:%Y-%m-%d %H:%M}", ""]
    lines.append("Reconciliation (rows read = used + excluded):")
    lines += format_reconciliation(dataset.reconciliation)
    lines.append("")
    if len(dataset.value_mapping):
        lines.append("How values were counted (each distinct text, its rows, what it was counted as):")
        lines += format_value_mapping(dataset.value_mapping)
        lines.append("")
    lines += format_attribution(dataset)
    lines.append("")
    errors, warnings = dataset.errors, dataset.warnings
    lines.append(f"{len(errors)} error(s), {len(warnings)} warning(s).")
    lines += [p.line() for p in errors + warnings]
    if len(dataset.correction_rows):
        changed = dataset.correction_log.loc[dataset.correction_log["changed"].astype(bool), "detainer_id"].nunique()
        lines += ["", f"Corrections: {len(dataset.corrections)} correction(s) applied, changing {changed:,} "
                      f"detainer(s); {len(dataset.responses)} jurisdiction response(s). Details: "
                      "corrections-applied.csv."]
    if dataset.notes:
        lines += ["", "Data notes:"] + [f"- {n}" for n in dataset.notes]
    return "\n".join(lines) + "\n"


def format_attribution(dataset: Dataset) -> list[str]:
    """One line per attribution method with its detainers, and the share attributed to a county."""
    detainers = dataset.used("detainers")
    if detainers.empty:
        return ["Jurisdictions: no detainers to attribute."]
    counts = attribution.method_counts(detainers)
    attributed = len(detainers) - counts[attribution.NONE]
    share = 100 * attributed / len(detainers)
    shown = ">99.9" if 99.95 <= share < 100 else "<0.1" if 0 < share < 0.05 else f"{share:.1f}"
    lines = [f"Jurisdictions: {attributed:,} of {len(detainers):,} detainers ({shown}%) attributed to a county. "
             "By method (see facility-attribution.xlsx):"]
    width = max(len(m) for m in counts)
    for method, n in counts.items():
        lines.append(f"  {method:<{width}}  {n:>9,}  {attribution.METHOD_DESCRIPTIONS[method]}")
    return lines


def format_reconciliation(reconciliation: pd.DataFrame) -> list[str]:
    lines = []
    for r in reconciliation.itertuples(index=False):
        where = r.file + (f" [{r.sheet}]" if r.sheet else "")
        if not r.kind:
            lines.append(f"  {where}: {r.layout}: {r.rows_read:,} non-blank row(s), none used")
            continue
        reasons = f" ({r.excluded_reasons})" if r.excluded_reasons else ""
        lines.append(f"  {where}: {r.kind}, {r.layout}: {r.rows_read:,} read, {r.used:,} used, "
                     f"{r.excluded:,} excluded{reasons}")
    return lines


def format_value_mapping(mapping: pd.DataFrame, countries_in_full: bool = True) -> list[str]:
    """The counted-as table: Outcome and Criminality in full; Citizenship in full, or (for the terminal)
    only its texts that were not recognised, with a count of the others."""
    lines = []
    for (kind, column), group in mapping.groupby(["kind", "column"], sort=False):
        lines.append(f"  {kind}, {column}:")
        shown = group
        if column == "Citizenship" and not countries_in_full:
            shown = group[group["counted_as"].str.startswith("unknown")]
            rest = group.drop(shown.index)
            if len(rest):
                lines.append(f"    {len(rest):,} texts counted as {rest['counted_as'].nunique():,} countries "
                             f"({int(rest['rows'].sum()):,} rows): see value-mapping.csv")
        width = max((len(v) for v in shown["value"]), default=0)
        for r in shown.itertuples(index=False):
            lines.append(f"    {r.value:<{width}}  {r.rows:>9,}  -> {r.counted_as}")
    return lines
