"""The day of the run: time zone, which weeks may be published, weeks without data, and what a publishing run
warns about. Runs in-process with a frozen clock (RunOptions.now)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from reports import changed_figures, cli
from reports.run import run_job
from reports.options import RunOptions
from reports.settings import SettingsError, load_settings

UTC = dt.timezone.utc
DETAINERS = ("Detainer ID,Facility,State,County FIPS,Date Issued,Outcome,Outcome Date\n"
             "A1,Travis County Jail,TX,48453,2017-01-30,declined,2017-02-01\n"
             "A2,Travis County Jail,TX,48453,2017-02-06,honored,2017-02-07\n"
             "A3,Clark County Detention,NV,32003,2017-02-08,,\n")
BASE_URL = 'public_base_url = "https://stats.example.gov/detainers/"\n'


def _base(tmp_path: Path, settings: str = BASE_URL) -> Path:
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "detainers.csv").write_text(DETAINERS, encoding="utf-8")
    (tmp_path / "settings.toml").write_text(settings, encoding="utf-8")
    return tmp_path


def _options(base: Path, now: dt.datetime, **extra) -> RunOptions:
    return RunOptions(inputs=base / "inputs", outputs=base / "out", staff=base / "staff",
                      settings=base / "settings.toml", now=now, **extra)


def _published(result) -> list[tuple[str, str]]:
    return [(p.parent.name, p.name) for p in result.published]


AFTER_THE_WEEKS = dt.datetime(2017, 3, 20, 12, 0, tzinfo=UTC)
EMPTY_WEEK = dt.date(2017, 1, 20)  # in Jan 14-20, before the first detainer of DETAINERS
# Friday 2017-02-10, 23:30 in New York is Saturday 04:30 UTC: the week of Feb 4-10 has not ended there yet.
FRIDAY_NIGHT = dt.datetime(2017, 2, 11, 4, 30, tzinfo=UTC)


def test_today_is_taken_in_the_configured_time_zone(tmp_path):
    base = _base(tmp_path)
    result = run_job(_options(base, FRIDAY_NIGHT))  # default time_zone: America/New_York
    assert result.exit_code == 0, result.summary
    assert _published(result) == [("2017-02-03", "r1")]  # Feb 4-10 is still running on Friday evening
    data = json.loads((base / "out" / "2017-02-03" / "report.json").read_text())
    assert data["published"] == "2017-02-10"  # the local date, not UTC's Saturday
    manifest = json.loads((base / "out" / "2017-02-03" / "manifest.json").read_text())
    assert manifest["published"] == "2017-02-10T23:30:00-05:00"


def test_a_utc_time_zone_setting_sees_saturday(tmp_path):
    base = _base(tmp_path, BASE_URL + 'time_zone = "UTC"\n')
    result = run_job(_options(base, FRIDAY_NIGHT, week=dt.date(2017, 2, 10)))
    assert result.exit_code == 0, result.summary
    assert json.loads((base / "out" / "2017-02-10" / "report.json").read_text())["published"] == "2017-02-11"


def test_all_never_publishes_a_week_that_has_not_ended(tmp_path):
    base = _base(tmp_path)
    # Wednesday Feb 8: data in the weeks ending Feb 3 and Feb 10; the second is still running
    result = run_job(_options(base, dt.datetime(2017, 2, 8, 18, 0, tzinfo=UTC), all_weeks=True))
    assert result.exit_code == 0, result.summary
    assert _published(result) == [("2017-02-03", "r1")]
    assert not (base / "out" / "2017-02-10").exists()


def test_a_week_without_data_is_refused_unless_asked_for(tmp_path):
    base = _base(tmp_path)
    now = AFTER_THE_WEEKS
    refused = run_job(_options(base, now, week=EMPTY_WEEK))  # Jan 14-20: no detainer data at all
    assert refused.exit_code == 1
    assert refused.summary.startswith("No detainer data were received for the week January 14 – January 20, 2017")
    assert "--allow-empty-week" in refused.summary
    assert refused.published == [] and not (base / "out" / "2017-01-20").exists()

    folder = _publish_the_empty_week(base)
    data = json.loads((folder / "report.json").read_text())
    assert data["data_received"] is False and data["totals"]["issued"] == 0 and data["totals"]["declined"] == 0
    # a week with data says nothing of the kind
    with_data = run_job(_options(base, now, week=dt.date(2017, 2, 1)))
    assert with_data.exit_code == 0, with_data.summary
    data = json.loads((base / "out" / "2017-02-03" / "report.json").read_text())
    assert data["data_received"] is True
    assert "No detainer data were received" not in (base / "out" / "2017-02-03" / "report.html").read_text()


@pytest.mark.slow
@pytest.mark.real_render
def test_page_1_of_the_pdf_of_a_week_without_data_says_so(tmp_path):
    first_page = PdfReader(_publish_the_empty_week(_base(tmp_path)) / "report.pdf").pages[0].extract_text()
    assert "No detainer data were received for this week." in " ".join(first_page.split())


def _publish_the_empty_week(base: Path) -> Path:
    allowed = run_job(_options(base, AFTER_THE_WEEKS, week=EMPTY_WEEK, allow_empty_week=True))
    assert allowed.exit_code == 0, allowed.summary
    return base / "out" / "2017-01-20"


def test_allow_empty_week_needs_week():
    result = CliRunner().invoke(cli.main, ["--allow-empty-week"])
    assert result.exit_code == 2
    assert "--allow-empty-week applies only to a week given with --week" in result.output


def test_not_determined_row_is_always_in_report_json_and_its_arrival_is_not_a_revision(tmp_path):
    base = _base(tmp_path)
    result = run_job(_options(base, dt.datetime(2017, 3, 20, 12, tzinfo=UTC), week=dt.date(2017, 2, 1)))
    assert result.exit_code == 0, result.summary
    data = json.loads((base / "out" / "2017-02-03" / "report.json").read_text())
    undetermined = [j for j in data["jurisdictions"] if j["fips"] is None]
    assert undetermined == [changed_figures.UNDETERMINED_ZEROS]  # every detainer has a county: zeros, not absent
    assert data["totals"]["issued_not_determined"] == 0
    older = {**data, "jurisdictions": [j for j in data["jurisdictions"] if j["fips"] is not None]}
    assert changed_figures.diff(older, data) == []


def test_the_example_base_url_is_warned_about_on_a_real_data_run(tmp_path, capsys):
    base = _base(tmp_path, settings="")  # no public_base_url: the example.org default
    code = cli.run(_options(base, dt.datetime(2017, 3, 20, 12, tzinfo=UTC), week=dt.date(2017, 2, 1)))
    assert code == 0
    err = capsys.readouterr().err
    assert "WARNING W501 x1: public_base_url is still the example address" in err
    assert "https://example.org/detainer-reports/" in err
    assert "W501" in (base / "staff" / "check-report.txt").read_text()
    (base / "settings.toml").write_text(BASE_URL, encoding="utf-8")
    code = cli.run(_options(base, dt.datetime(2017, 3, 20, 12, tzinfo=UTC), week=dt.date(2017, 2, 1)))
    assert code == 0
    assert "W501" not in capsys.readouterr().err
    assert "W501" not in (base / "staff" / "check-report.txt").read_text()


def test_bad_time_zone_and_date_order_settings_are_usage_errors(tmp_path):
    path = tmp_path / "settings.toml"
    for text, message in [('time_zone = "Eastern"\n', "time_zone 'Eastern' is not a known time zone"),
                          ('date_order = "european"\n', "date_order must be one of month-first, day-first"),
                          ("max_input_bytes = 0\n", "max_input_bytes must be at least 1")]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(SettingsError, match=message):
            load_settings(path)
