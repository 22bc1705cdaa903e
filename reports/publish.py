"""Stage 6: write a week's publication (HTML, PDF, JSON, CSV and XLSX downloads) and the index.

A week's files are written to a staging folder beside the public one and only then
swapped into place, so the public never sees half a publication.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pandas as pd

from .render import DOWNLOADS, environment, render_html, render_pdf
from .tables import Report, report_json

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_formula)
    return out


def download_tables(report: Report) -> dict[str, pd.DataFrame]:
    return {
        "jurisdictions.csv": report.jurisdictions,
        "detainers-issued.csv": report.issued_detail,
        "declines.csv": report.declines_detail,
        "declines-by-jurisdiction.csv": report.declines_by_jurisdiction,
        "subsequent-charges.csv": report.charges_detail,
        "subsequent-charges-by-jurisdiction.csv": report.charges_by_jurisdiction,
        "subsequent-charges-by-category.csv": report.charges_by_category,
        "policies.csv": report.policies,
        "trend.csv": report.trend,
    }


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path, report: Report) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                               "nan_inf_to_errors": False})
    workbook.set_properties({"title": f"{report.settings.title}, week ending {report.week.name}",
                             "created": dt.datetime.combine(report.published, dt.time())})
    bold = workbook.add_format({"bold": True})
    for name, frame in tables.items():
        sheet = workbook.add_worksheet(name.removesuffix(".csv")[:31])
        if report.sample:
            sheet.write_string(0, 0, "SAMPLE DATA - NOT OFFICIAL", bold)
        top = 1 if report.sample else 0
        for col, column in enumerate(frame.columns):
            sheet.write_string(top, col, str(column), bold)
        for r, row in enumerate(frame.itertuples(index=False), start=top + 1):
            for col, value in enumerate(row):
                if value is None or (isinstance(value, float) and value != value):
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(r, col, value)
                elif isinstance(value, (int, float)) or hasattr(value, "item"):
                    sheet.write_number(r, col, float(value))
                else:
                    text = value.isoformat() if isinstance(value, (dt.date, pd.Timestamp)) else str(value)
                    sheet.write_string(r, col, text)  # never a formula, whatever it starts with
        sheet.freeze_panes(top + 1, 0)
    workbook.close()


def build_publication(report: Report, folder: Path, public_base_url: str) -> list[Path]:
    """Write every file of one week's publication into ``folder`` (which must be empty)."""
    folder.mkdir(parents=True, exist_ok=False)
    week_url = f"{public_base_url.rstrip('/')}/{report.week.name}/"
    (folder / "report.html").write_text(render_html(report), encoding="utf-8")
    pdf = render_pdf(render_html(report, link_base=week_url, for_pdf=True), report.published)
    (folder / "report.pdf").write_bytes(pdf)
    (folder / "report.json").write_text(json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    tables = download_tables(report)
    for name, frame in tables.items():
        safe_frame(frame).to_csv(folder / name, index=False, encoding="utf-8", lineterminator="\n")
    write_xlsx(tables, folder / "tables.xlsx", report)
    expected = {name for name, _ in DOWNLOADS} | {"report.html", "report.pdf"}
    written = {p.name for p in folder.iterdir()}
    assert written == expected, f"publication files differ from the documented list: {written ^ expected}"
    return sorted(folder.iterdir())


def publish_week(report: Report, outputs_dir: Path, public_base_url: str) -> Path:
    """Build in a staging folder, then swap it in; the previous version stays until the swap."""
    outputs_dir.mkdir(parents=True, exist_ok=True)
    staging = outputs_dir / f".staging-{report.week.name}-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    try:
        build_publication(report, staging, public_base_url)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    final = outputs_dir / report.week.name
    retired = outputs_dir / f".retired-{report.week.name}-{os.getpid()}"
    if final.exists():
        os.rename(final, retired)
    os.rename(staging, final)
    shutil.rmtree(retired, ignore_errors=True)
    return final


def published_weeks(outputs_dir: Path) -> list[dict]:
    weeks = []
    for folder in sorted(outputs_dir.glob("????-??-??"), reverse=True):
        meta_path = folder / "report.json"
        if not meta_path.is_file():
            continue
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        weeks.append({"name": folder.name, "start": meta["period"]["start"], "end": meta["period"]["end"],
                      "published": meta["published"], "revision": meta["revision"], "sample": meta["sample"],
                      "issued": meta["totals"]["issued"], "declined": meta["totals"]["declined"],
                      "pdf_bytes": (folder / "report.pdf").stat().st_size,
                      "html_bytes": (folder / "report.html").stat().st_size})
    if any(not w["sample"] for w in weeks):
        weeks = [w for w in weeks if not w["sample"]]  # sample editions never sit beside real ones
    return weeks


def write_index(outputs_dir: Path, title: str, agency: str) -> Path:
    env = environment()
    weeks = published_weeks(outputs_dir)
    html = env.get_template("index.html.j2").render(
        title=title, agency=agency, weeks=weeks, sample=any(w["sample"] for w in weeks))
    tmp = outputs_dir / f".index.html.{os.getpid()}"
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, outputs_dir / "index.html")
    return outputs_dir / "index.html"

