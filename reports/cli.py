"""Command line: parse arguments, call the library, turn its outcome into messages and exit codes.

Exit codes: 0 success; 1 input errors (nothing published); 2 wrong usage.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .options import OPTIONS, RunOptions
from .pipeline import format_reconciliation, load_inputs, write_staff_reports

EXIT_OK, EXIT_INPUT_ERRORS, EXIT_USAGE = 0, 1, 2


def _add_options(command):
    for option in reversed(OPTIONS):
        if option.is_flag:
            command = click.option(option.flag, option.name, is_flag=True, help=option.help)(command)
        else:
            command = click.option(option.flag, option.name, type=click.Path(path_type=Path),
                                   metavar=option.metavar, help=option.help)(command)
    return command


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
def _command(**kwargs):
    """Build the weekly declined-detainer report from the spreadsheets in the inputs folder."""
    options = RunOptions(**{k: v for k, v in kwargs.items() if v is not None})
    sys.exit(run(options))


main = _add_options(_command)


def run(options: RunOptions) -> int:
    if not options.inputs.is_dir():
        click.echo(f"error: inputs folder {options.inputs} does not exist", err=True)
        return EXIT_USAGE
    dataset = load_inputs(options.inputs)
    written = write_staff_reports(dataset, options.staff, options.now)
    click.echo("Reconciliation (rows read = used + excluded):")
    for line in format_reconciliation(dataset.reconciliation):
        click.echo(line)
    for problem in dataset.errors:
        click.echo(problem.line(), err=True)
    for problem in dataset.warnings:
        click.echo(problem.line(), err=True)
    if options.verbose and dataset.notes:
        click.echo("Data notes:")
        for note in dataset.notes:
            click.echo(f"- {note}")
    report = next(p for p in written if p.name == "check-report.txt")
    summary = (f"{len(dataset.files)} file(s) checked: {len(dataset.errors)} error(s), "
               f"{len(dataset.warnings)} warning(s). Staff report: {report}")
    click.echo(summary)
    return EXIT_INPUT_ERRORS if dataset.errors else EXIT_OK
