"""Command line: parse arguments, call the library, turn its outcome into messages and exit codes.

Exit codes: 0 success; 1 input errors (nothing published); 2 wrong usage or settings;
3 the report could not be rendered (nothing published).
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from .job import EXIT_RENDER_FAILED, EXIT_USAGE, run_job
from .options import OPTIONS, RunOptions
from .pipeline import format_reconciliation
from .render import RenderError
from .settings import SettingsError


def _parse_date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None


def _add_options(command: click.Command) -> click.Command:
    """Options from the shared registry, in registry order (appended to an existing Command)."""
    for option in OPTIONS:
        if option.kind == "flag":
            decorator = click.option(option.flag, option.name, is_flag=True, help=option.help)
        elif option.kind == "date":
            decorator = click.option(option.flag, option.name, metavar=option.metavar, help=option.help,
                                     callback=_parse_date)
        else:
            decorator = click.option(option.flag, option.name, type=click.Path(path_type=Path),
                                     metavar=option.metavar, help=option.help)
        command = decorator(command)
    return command


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
def _command(**kwargs):
    """Build the weekly declined-detainer report from the spreadsheets in the inputs folder.

    With no staff spreadsheets in the inputs folder it renders the bundled SAMPLE data.
    """
    if kwargs.get("week") and kwargs.get("all_weeks"):
        raise click.UsageError("--week and --all cannot be used together")
    options = RunOptions(**{k: v for k, v in kwargs.items() if v is not None and v is not False})
    sys.exit(run(options))


main = _add_options(_command)


def run(options: RunOptions) -> int:
    if not options.inputs.is_dir():
        click.echo(f"error: inputs folder {options.inputs} does not exist", err=True)
        return EXIT_USAGE
    try:
        result = run_job(options)
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_USAGE
    except RenderError as exc:
        click.echo(f"error: {exc}; nothing was published", err=True)
        return EXIT_RENDER_FAILED
    dataset = result.dataset
    if options.check or options.verbose:
        click.echo("Reconciliation (rows read = used + excluded):")
        for line in format_reconciliation(dataset.reconciliation):
            click.echo(line)
    for problem in dataset.errors:
        click.echo(problem.line(), err=True)
    if options.check or options.verbose:
        for problem in dataset.warnings:
            click.echo(problem.line(), err=True)
    if options.verbose and dataset.notes:
        click.echo("Data notes:")
        for note in dataset.notes:
            click.echo(f"- {note}")
    click.echo(result.summary, err=result.exit_code != 0)
    return result.exit_code
