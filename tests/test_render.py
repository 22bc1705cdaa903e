"""Rendering safety: escaping, strict templates, a fetcher limited to the project's assets, warnings fail."""
from __future__ import annotations

import datetime as dt

import jinja2
import pytest

from reports.render import TEMPLATES_DIR, RenderError, environment, render_pdf

DAY = dt.date(2017, 3, 20)


def page(body: str, head: str = "") -> str:
    return f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title>{head}</head><body>{body}</body></html>'


def test_plain_page_renders_to_pdf():
    assert render_pdf(page("<p>Hello</p>"), DAY).startswith(b"%PDF-")


def test_pdf_bytes_are_reproducible():
    assert render_pdf(page("<p>Same</p>"), DAY) == render_pdf(page("<p>Same</p>"), DAY)


@pytest.mark.parametrize("html", [
    page('<img src="file:///etc/passwd" alt="x">'),
    page('<img src="http://example.com/tracker.png" alt="x">'),
    page("", '<link rel="stylesheet" href="https://example.com/evil.css">'),
    page('<img src="../../../etc/hostname" alt="x">'),
    page("", '<link rel="stylesheet" href="../resources.py">'),  # the package, but not its templates/
])
def test_fetcher_refuses_anything_but_project_assets(html):
    with pytest.raises(RenderError):
        render_pdf(html, DAY)


def test_project_asset_and_data_url_are_allowed():
    css = (TEMPLATES_DIR / "report.css").as_uri()
    pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    assert render_pdf(page(f'<img src="{pixel}" alt="dot">', f'<link rel="stylesheet" href="{css}">'), DAY)


def test_any_weasyprint_warning_fails_the_render():
    with pytest.raises(RenderError, match="WeasyPrint warned"):
        render_pdf(page("<p>x</p>", "<style>p { colour: red; }</style>"), DAY)


def test_templates_escape_and_refuse_undefined():
    env = environment()
    template = env.from_string("<p>{{ name }}</p>")
    assert template.render(name="<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    with pytest.raises(jinja2.UndefinedError):
        template.render()
    assert env.get_template("report.html.j2").environment.autoescape is True


def test_fonttools_subsetting_without_harfbuzz_subset_is_not_a_failure(monkeypatch, caplog):
    """Without the optional HarfBuzz-subset library WeasyPrint subsets fonts with fontTools, correctly, and says
    so at warning level: that notice must not stop a machine without the library from publishing."""
    import weasyprint.pdf.fonts

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    pdf = render_pdf(page("<p>Hello</p>"), DAY)
    assert pdf.startswith(b"%PDF-")
    notices = [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")]
    assert any(n.startswith("Using fontTools instead of HarfBuzz-Subset for font") for n in notices)
    # other warnings still fail the render, with or without the library
    with pytest.raises(RenderError, match="colour"):
        render_pdf(page("<p>x</p>", "<style>p { colour: red; }</style>"), DAY)


def test_a_county_pages_rows_are_what_the_template_loop_wrote():
    """series_rows writes the week-by-week rows in Python (10 times faster than the Jinja loop it replaced over a
    national archive): the same bytes as that loop, every value escaped."""
    from reports.render import environment, series_rows

    loop = environment().from_string(
        '{% for r in c.rows %}\n<tr data-week="{{ r.week }}"><th scope="row" class="week">{{ r.week }}</th>'
        '<td class="n">{{ r.issued|count_cell }}</td><td class="n">{{ r.honored|count_cell }}</td>'
        '<td class="n">{{ r.declined_so_far|count_cell }}</td><td class="n">{{ r.pending|count_cell }}</td>'
        '<td class="n">{{ r.other|count_cell }}</td><td class="n">{{ r.declines_recorded|count_cell }}</td>'
        '<td class="n">{{ r.charges|count_cell }}</td><td>{{ \'Yes\' if r.policy_on_file else \'No\' }}</td>'
        '<td class="links"><a href="../{{ r.week }}/report.html" aria-label="Report for the week ending '
        '{{ r.week }}">HTML</a> · <a href="../{{ r.week }}/report.pdf" aria-label="PDF for the week ending '
        '{{ r.week }}">PDF</a>{% if r.revision > 1 %} (revision {{ r.revision }}){% endif %}'
        '{% if not r.data_received %} · no data received{% endif %}</td></tr>\n{% endfor %}\n')
    rows = [dict(week="2025-06-13", revision=1, data_received=True, issued=1234, honored=0, declined_so_far=7,
                 pending="[c]", other=0, declines_recorded=12, charges=None, policy_on_file=True),
            dict(week="2025-06-20", revision=3, data_received=False, issued=0, honored=0, declined_so_far=0,
                 pending=0, other=0, declines_recorded=0, charges=0, policy_on_file=False),
            dict(week='<b x="1">&', revision=2, data_received=True, issued="<i>", honored=1, declined_so_far=1,
                 pending=1, other=1, declines_recorded=1, charges=1_000_000, policy_on_file=False)]
    written = str(series_rows(rows))
    assert written == loop.render(c={"rows": rows})
    assert "<b " not in written and "<i>" not in written and "&lt;b x=&#34;1&#34;&gt;&amp;" in written
    assert "–" in written and "[c]" in written and "(revision 3) · no data received" in written
