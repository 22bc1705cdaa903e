"""Stage 5: the report as HTML and PDF, and the chart.

Template context (``REPORT_CONTEXT``; StrictUndefined makes a missing key an error):
    title, agency, week (period.Week), published (date), revision (int), sample (bool),
    first_published (date), earlier_revisions (list of {revision, published, path, url}),
    revision_changes (list of {table, row, column, old, new}; at most MAX_DETAIL_ROWS), revision_changes_total,
    revision_reasons (list of sentences), revision_downloads (list of {file, rows_removed, rows_added}),
    summary_marks ({figure: revised?}),
    correction_rows (the corrections log: date, jurisdiction, facility, field, what_was_wrong, correct_value,
    note, detainers_changed), response_rows (date, jurisdiction, county_fips, state, note),
    response_fips (set of county FIPS codes with a response),
    (each row dict of the tables below also has "marks": {column: revised since the previous edition?}),
    summary (dict, see tables.build_report), issued_rows, declines_rows, detail_rows, detail_truncated,
    charges_rows, category_rows, policy_rows, trend_rows (lists of dicts, one per table row),
    jurisdiction_count, top_n, min_rate_base, week_start_day,
    computed_caveats, standing_caveats, data_notes (lists of sentences),
    downloads (list of {file, description}), chart_data_uri (data: URL of the SVG chart),
    css (the stylesheet text), link_base ("" in HTML; the public URL of the week's folder in the PDF),
    detail_dates ("week" or "exact": how table 3b gives dates), top_code_below (citizenship top-coding threshold),
    data_received (False: no detainer data were received for the week; page 1 says so),
    min_cell (0: exact counts; otherwise counts below it read "[c]" and row-level tables are not published),
    declines_more, charges_more, policies_more, corrections_more (rows of tables 3a, 4a, 5 and 8 left out of
    the PDF, which shows the first PDF_ROWS; 0 in the HTML), chart_phone_uri (the chart drawn for phones; "" in
    the PDF), maps (reports.maps.report_maps), nav (reports.render.navigation), for_pdf (bool),
    data_currency ({latest_week_with_data, weeks_without_data_since}), trend_caveats (trend rows with a caveat).
Every template also has the global ``not_determined`` (``reference.NOT_DETERMINED``).
"""
from __future__ import annotations

import base64
import datetime as dt
import functools
import logging
import numbers
import re
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from . import changed_figures
from .blank import is_null
from .exceptions import RenderError
from .reference import NOT_DETERMINED
from .chart import trend_chart_svg
from .mapgeometry import PRINT_TOLERANCE, load_geometry
from .resources import package_path
from .tables import Report
from .wording import noun

TEMPLATES_DIR = package_path("templates")
MAX_DETAIL_ROWS = 300  # longer detail stays in the CSV/XLSX downloads, not the HTML
# The PDF stays bounded (about 30 pages at most) whatever the number of jurisdictions: its long tables show their
# first rows; the full lists are in the downloads and on the county pages, and the PDF says so.
PDF_ROWS = {"declines": 25, "charges": 25, "detail": 40, "policies": 25, "corrections": 15, "revisions": 40,
            "trend": 12}

REPORT_CONTEXT = (
    "title", "agency", "week", "published", "revision", "sample", "first_published", "earlier_revisions",
    "revision_changes", "revision_changes_total", "revision_reasons", "revision_downloads", "summary_marks",
    "correction_rows", "response_rows", "response_fips",
    "summary", "issued_rows", "declines_rows",
    "detail_rows", "detail_truncated", "charges_rows", "category_rows", "policy_rows", "trend_rows",
    "jurisdiction_count", "top_n", "min_rate_base", "week_start_day", "computed_caveats", "standing_caveats",
    "data_notes", "downloads", "chart_data_uri", "css", "link_base", "detail_dates", "top_code_below",
    "data_received", "min_cell", "declines_more", "charges_more", "policies_more", "corrections_more",
    "chart_phone_uri", "maps", "nav", "for_pdf", "data_currency", "trend_caveats",
)





def _figure(format_number):
    """A number formatter that prints '–' for no figure and a withheld figure ('[c]') as it is."""
    def fmt(value) -> str:
        if is_null(value):
            return "–"
        return value if isinstance(value, str) else format_number(value)
    return fmt


fmt_num = _figure(lambda value: f"{int(round(value)):,}")
fmt_dec = _figure(lambda value: f"{value:,.1f}")
fmt_pct = _figure(lambda value: f"{value:.1f}%")


def fmt_isodate(value) -> str:
    if is_null(value) or value is dt.date.min:
        return "–"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def fmt_partial_date(value) -> str:
    """A policy date at the precision written: 2017-02-03 as it is, 2017-02 as February 2017, 2017 as 2017."""
    if is_null(value) or value == "":
        return "–"
    m = _MONTH.match(str(value))
    if m:
        return f"{dt.date(int(m[1]), int(m[2]), 1):%B %Y}"
    return fmt_isodate(value)


def fmt_longdate(value: dt.date) -> str:
    return f"{value:%B} {value.day}, {value.year}"


def fmt_signed(value) -> str:
    """A change: '+6', '−7' (a minus sign), 'no change'."""
    if is_null(value):
        return "–"
    return "no change" if value == 0 else f"+{value:,}" if value > 0 else f"\u2212{-value:,}"


def fmt_isolong(value) -> str:
    """An ISO date string as 'March 28, 2026'."""
    return "–" if is_null(value) or not value else fmt_longdate(dt.date.fromisoformat(str(value)[:10]))


def fmt_count_cell(value) -> str:
    """A count in a table cell: "–" where not reported (None), thousands separated, a withheld "[c]" as it is."""
    if value is None:
        return "–"
    return f"{value:,}" if isinstance(value, numbers.Number) else str(value)


SERIES_COUNTS = ("issued", "honored", "declined_so_far", "pending", "other", "declines_recorded", "charges")


@functools.lru_cache(maxsize=8192, typed=True)  # typed: True, 1 and 1.0 are one key to a dict
def _count_td(value) -> str:
    return f'<td class="n">{escape(fmt_count_cell(value))}</td>'


def series_rows(rows: list[dict]) -> Markup:
    """The rows of a county page's week-by-week table (``countypages.county_series``), one per published week.
    Written here rather than by a loop in county.html.j2: a national archive has ~2,000 pages of ~100 rows,
    and the loop took 9.6 s of a run that adds a week, this about a tenth of it; its 1.3 million count cells,
    most of them small numbers, are each formatted once (``_count_td``). Every value is escaped."""
    out = []
    for r in rows:
        week = escape(r["week"])
        cells = "".join([_count_td(r[name]) for name in SERIES_COUNTS])
        notes = (f" (revision {escape(r['revision'])})" if r["revision"] > 1 else "") + (
            "" if r["data_received"] else " · no data received")
        out.append(f'<tr data-week="{week}"><th scope="row" class="week">{week}</th>{cells}'
                   f'<td>{"Yes" if r["policy_on_file"] else "No"}</td><td class="links">'
                   f'<a href="../{week}/report.html" aria-label="Report for the week ending {week}">HTML</a> · '
                   f'<a href="../{week}/report.pdf" aria-label="PDF for the week ending {week}">PDF</a>{notes}'
                   "</td></tr>\n")
    return Markup("".join(out))


def fmt_criminality(value: str) -> str:
    return {"none": "no criminal record", "unknown": "unknown"}.get(value, value)


def fmt_title_unknown(value: str) -> str:
    return "Unknown" if value in (None, "unknown") else value


@functools.lru_cache(maxsize=1)  # one per process, so each template is compiled once, not once per page
def environment() -> jinja2.Environment:
    # autoescape=True, not select_autoescape(): that would not cover a *.html.j2 template
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=fmt_num, dec=fmt_dec, pct=fmt_pct, isodate=fmt_isodate, longdate=fmt_longdate,
                       criminality=fmt_criminality, title_unknown=fmt_title_unknown, plural=noun,
                       partial_date=fmt_partial_date, signed=fmt_signed, isolong=fmt_isolong,
                       count_cell=fmt_count_cell, series_rows=series_rows)
    env.globals["not_determined"] = NOT_DETERMINED
    return env


DOWNLOADS = (
    ("report.json", "every figure in this report, machine-readable"),
    ("tables.xlsx", "all the tables below in one spreadsheet, one sheet each"),
    ("jurisdictions.csv", "every jurisdiction with any figure this week (Table 2 in full)"),
    ("detainers-issued.csv", "one row per detainer issued this week, with its outcome so far"),
    ("declines.csv", "one row per declined detainer recorded this week (Table 3b)"),
    ("declines-by-jurisdiction.csv", "Table 3a"),
    ("subsequent-charges.csv", "one row per subsequent charge up to the end of the week"),
    ("subsequent-charges-by-jurisdiction.csv", "Table 4a"),
    ("subsequent-charges-by-category.csv", "Table 4b"),
    ("policies.csv", "Table 5"),
    ("trend.csv", "Table 6"),
    ("corrections.csv", "the corrections log (the last table)"),
    ("data-dictionary.csv", "every column of every file above: meaning, unit and where it comes from"),
)


def downloads_for(report: Report) -> tuple[tuple[str, str], ...]:
    """The files of an edition: all of DOWNLOADS, but for the row-level ones when small counts are withheld
    (anyone could count the rows)."""
    from .disclosure import ROW_LEVEL_DOWNLOADS

    if report.settings.min_cell >= 2:
        return tuple(d for d in DOWNLOADS if d[0] not in ROW_LEVEL_DOWNLOADS)
    return DOWNLOADS


def stylesheet(for_pdf: bool) -> str:
    shared = (TEMPLATES_DIR / "report.css").read_text(encoding="utf-8")
    if for_pdf:
        return shared
    return shared + "\n" + (TEMPLATES_DIR / "screen.css").read_text(encoding="utf-8")


def _first(records: list[dict], limit: int | None, total_key: str = "name") -> tuple[list[dict], int]:
    """The first ``limit`` rows and the total row (if any), and how many rows were left out."""
    if limit is None:
        return records, 0
    body = [r for r in records if r.get(total_key) != "Total"]
    totals = [r for r in records if r.get(total_key) == "Total"]
    return body[:limit] + totals, max(0, len(body) - limit)


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def navigation(report: Report) -> dict:
    """Links to the neighbouring weeks, the index, the feed and the county pages. Absolute (from
    ``public_base_url``), like the links to earlier editions: the same file is served as ``<week>/report.html``
    and as ``archive/<week>/r<N>/report.html``, and no relative link works from both."""
    base = report.settings.public_base_url.rstrip("/") + "/"
    previous, following = report.week.previous(1), report.week.previous(-1)
    return {"previous": {"name": previous.end, "url": f"{base}{previous.end.isoformat()}/report.html"},
            "next": {"name": following.end, "url": f"{base}{following.end.isoformat()}/report.html"},
            "index": f"{base}index.html", "feed": f"{base}feed.xml", "latest": f"{base}latest/report.html",
            "counties": f"{base}jurisdictions/index.html", "county_base": f"{base}jurisdictions/"}


def context(report: Report, link_base: str, for_pdf: bool = False, charts: dict | None = None) -> dict:
    """The template's values. ``charts``: a dict kept between the renderings of one report (its page and its
    PDF), so that each trend chart is drawn once."""
    from .maps import report_maps
    from .settings import WEEKDAYS

    def rows(frame):
        return frame.to_dict(orient="records")

    def limit(name: str) -> int | None:
        return PDF_ROWS[name] if for_pdf else None

    detail = rows(report.declines_detail)
    detail_limit = limit("detail") or MAX_DETAIL_ROWS
    charts = {} if charts is None else charts

    def chart_svg(phone: bool = False) -> bytes:
        if phone not in charts:
            charts[phone] = trend_chart_svg(report, phone=phone)
        return charts[phone]

    chart = chart_svg()
    revised = {(c["table"], c["row"], c["column"]) for c in report.revision_changes}
    base = report.settings.public_base_url.rstrip("/")
    declines_rows, declines_more = _first(_marked(rows(report.declines_by_jurisdiction), revised,
                                                  changed_figures.DECLINES), limit("declines"))
    charges_all = (_marked(rows(report.charges_by_jurisdiction), revised, changed_figures.CHARGES)
                   if report.summary["subsequent_charges_cumulative"] else [])
    charges_rows, charges_more = _first(charges_all, limit("charges"))
    policy_rows, policies_more = _first(rows(report.policies), limit("policies"), "jurisdiction")
    correction_rows = rows(report.corrections) if report.corrections is not None else []
    corrections_shown, corrections_more = _first(correction_rows, limit("corrections"), "date")
    not_determined = {"declines": report.summary["declined_not_determined"],
                      "per100k": report.summary["issued_not_determined"]}
    values = {
        "title": report.settings.title, "agency": report.settings.agency, "week": report.week,
        "published": report.published, "revision": report.revision_number, "sample": report.sample,
        "first_published": report.first_published or report.published,
        "earlier_revisions": [{**r, "url": f"{base}/{r['path']}/"} for r in report.earlier_revisions],
        "revision_changes": report.revision_changes[:limit("revisions") or MAX_DETAIL_ROWS],
        "revision_changes_total": len(report.revision_changes), "revision_reasons": report.revision_reasons,
        "revision_downloads": report.revision_downloads,
        "summary": report.summary, "summary_marks": _marks(revised, changed_figures.SUMMARY, "", SUMMARY_COLUMNS),
        "issued_rows": _issued_rows(rows(report.issued_table), revised),
        "declines_rows": declines_rows, "declines_more": declines_more,
        "detail_rows": detail[:detail_limit],
        "detail_truncated": len(detail) > detail_limit,
        "charges_rows": charges_rows, "charges_more": charges_more,
        "category_rows": _marked(rows(report.charges_by_category), revised, changed_figures.CATEGORIES, "category"),
        "policy_rows": policy_rows, "policies_more": policies_more,
        "correction_rows": corrections_shown, "corrections_more": corrections_more,
        "response_rows": rows(report.responses) if report.responses is not None else [],
        "response_fips": set(report.responses["county_fips"]) if report.responses is not None else set(),
        "trend_rows": _marked(rows(report.trend), revised, changed_figures.TREND, "week_end"),
        "jurisdiction_count": int((report.jurisdictions["fips"] != "").sum()),  # not "not determined"
        "top_n": report.settings.top_jurisdictions, "min_rate_base": report.settings.min_rate_base,
        "week_start_day": WEEKDAYS[report.settings.week_start_index].capitalize(),
        "computed_caveats": report.caveats, "standing_caveats": list(report.settings.standing_caveats),
        "data_notes": report.data_notes,
        "downloads": [{"file": f, "description": d} for f, d in downloads_for(report)],
        "chart_data_uri": _data_uri(chart),
        "chart_phone_uri": "" if for_pdf else _data_uri(chart_svg(phone=True)),
        "maps": report_maps(report.jurisdictions, not_determined, for_pdf=for_pdf,
                            min_cell=report.settings.min_cell),
        "nav": navigation(report), "for_pdf": for_pdf, "data_currency": report.data_currency,
        "trend_caveats": [r for r in rows(report.trend) if r.get("caveat")],
        "css": stylesheet(for_pdf), "link_base": link_base, "data_received": report.data_received,
        "detail_dates": report.settings.row_level_dates, "top_code_below": report.settings.top_code_citizenship_below,
        "min_cell": report.settings.min_cell,
    }
    if set(values) != set(REPORT_CONTEXT):
        raise RuntimeError(f"template context differs from REPORT_CONTEXT: {sorted(set(values) ^ set(REPORT_CONTEXT))}")
    return values


# Summary figures printed in the key-figures list and Table 2's total row, by report.json key.
SUMMARY_COLUMNS = {
    "issued": "issued", "declined": "declined", "declined_issued_before_period": "declined_issued_before_period",
    "subsequent_charges": "subsequent_charges", "subsequent_charges_cumulative": "subsequent_charges_cumulative",
    "honored": "issued_outcomes.honored", "issued_declined": "issued_outcomes.declined",
    "pending": "issued_outcomes.pending", "other": "issued_outcomes.other",
}
ISSUED_COLUMNS = {
    "issued": "issued", "honored": "issued_outcomes.honored", "issued_declined": "issued_outcomes.declined",
    "pending": "issued_outcomes.pending", "other": "issued_outcomes.other", "decline_rate": "decline_rate_percent",
    "population": "population", "issued_per_100k": "issued_per_100k", "policy_on_file": "policy_on_file",
    "declined": "declined",
}


def _marks(revised: set, table: str, row: str, columns: dict) -> dict:
    """{printed column: True if that figure changed since the previous edition}."""
    return {printed: (table, row, key) in revised for printed, key in columns.items()}


def _marked(records: list[dict], revised: set, table: str, label_key: str | None = None) -> list[dict]:
    for record in records:
        if label_key:
            label = record[label_key].isoformat() if hasattr(record[label_key], "isoformat") else record[label_key]
        else:
            label = changed_figures.jurisdiction_label(record)
        record["marks"] = {column: (table, str(label), column) in revised for column in record}
    return records


def _issued_rows(records: list[dict], revised: set) -> list[dict]:
    for record in records:
        if record["row_type"] == "total":  # the total row prints the summary's figures
            record["marks"] = {printed: (changed_figures.SUMMARY, "", SUMMARY_COLUMNS.get(printed, "")) in revised
                               for printed in ISSUED_COLUMNS}
        elif record["row_type"] in ("jurisdiction", "not_determined"):
            record["marks"] = _marks(revised, changed_figures.ISSUED, changed_figures.jurisdiction_label(record), ISSUED_COLUMNS)
        else:  # "all other jurisdictions": its members carry the marks, in jurisdictions.csv
            record["marks"] = {printed: False for printed in ISSUED_COLUMNS}
    return records


def render_html(report: Report, link_base: str = "", for_pdf: bool = False, charts: dict | None = None) -> str:
    return environment().get_template("report.html.j2").render(**context(report, link_base, for_pdf, charts))


# --- PDF --------------------------------------------------------------------------------------


def prepare_print_rendering() -> None:
    """Load what drawing an edition's PDF needs once per process: WeasyPrint, matplotlib, the compiled template
    and both map outlines (full, to check the values; simplified, to print). A PDF worker does this while the
    run reads its inputs, so that the edition's PDF starts as soon as its figures exist."""
    import matplotlib
    import weasyprint  # noqa: F401

    matplotlib.use("svg")
    import matplotlib.pyplot  # noqa: F401

    environment().get_template("report.html.j2")
    load_geometry()
    load_geometry(tolerance=PRINT_TOLERANCE)


def _project_fetcher():
    from weasyprint.urls import URLFetcher

    assets = TEMPLATES_DIR.resolve()

    class ProjectAssetsFetcher(URLFetcher):
        """Only data: URLs and files under the package's templates/; anything else stops the render."""

        def __init__(self):
            super().__init__(allowed_protocols={"data", "file"}, fail_on_errors=True)

        def fetch(self, url, headers=None):
            if url.startswith("file:"):
                from urllib.request import url2pathname

                path = Path(url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
                if not path.is_relative_to(assets):
                    raise RenderError(f"the report may only load the project's own assets, not {url}")
            elif not url.startswith("data:"):
                raise RenderError(f"the report may not load {url}")
            return super().fetch(url, headers)

    return ProjectAssetsFetcher()


# WeasyPrint logs these at warning level, but the PDF is right: without the optional HarfBuzz-subset library
# it subsets fonts with fontTools instead. Every other WeasyPrint warning fails the render.
HARMLESS_WEASYPRINT_NOTICES = ("Using fontTools instead of HarfBuzz-Subset for font",)


class _CollectWarnings(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def render_pdf(html: str, published: dt.date) -> bytes:
    """WeasyPrint with a fetcher limited to the project's assets. Any WeasyPrint warning fails the render."""
    import os

    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    # reproducible bytes: the PDF's dates come from SOURCE_DATE_EPOCH (restored afterwards)
    previous_epoch = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(dt.datetime.combine(published, dt.time(),
                                                                  tzinfo=dt.timezone.utc).timestamp()))
    handler = _CollectWarnings()
    loggers = [logging.getLogger(name) for name in ("weasyprint", "weasyprint.progress")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        document = weasyprint.HTML(string=html, base_url=str(TEMPLATES_DIR) + "/", url_fetcher=_project_fetcher(),
                                   media_type="print")
        pdf = document.write_pdf(pdf_variant="pdf/ua-1", uncompressed_pdf=False)
    except (Exception, FatalURLFetchingError) as exc:  # the fetcher's refusal is a BaseException
        cause = exc.__cause__ or exc
        raise RenderError(f"PDF rendering failed: {exc} ({cause})") from exc
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        if previous_epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous_epoch
    warnings = [m for m in handler.messages if not m.startswith(HARMLESS_WEASYPRINT_NOTICES)]
    if warnings:
        raise RenderError("WeasyPrint warned, so the PDF is not published: " + " | ".join(warnings[:5]))
    return pdf
