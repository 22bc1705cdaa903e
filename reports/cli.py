"""Command line: parse arguments, call the library, turn its outcome into messages and exit codes.

Made for cron: on success one summary line on stdout; errors and warnings on stderr (so cron
mail carries them); a progress display only when stderr is a terminal; --verbose for detail.
Exit codes (README): 0 success or nothing to do; 1 input errors, nothing published; 2 wrong usage
or settings; 3 the report could not be rendered, nothing published; 4 another run is in progress;
5 an unexpected internal error (a bug: the traceback follows), nothing new published.
"""
from __future__ import annotations

import atexit
import datetime as dt
import os
import sys
from collections import Counter
from pathlib import Path
from typing import NoReturn

import click

from .errors import CATALOGUE
from .exceptions import (EXIT_INTERNAL, Busy, EnvironmentProblem, InternalError, Interrupted, RenderError,
                         ReportsError)
from .run import run_job
from .options import OPTIONS, RunOptions
from .staff_reports import format_attribution, format_reconciliation, format_value_mapping

WARNING_EXAMPLES = 3  # without --verbose, warnings are summarised per code with a few examples


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
@click.pass_context
def _command(ctx: click.Context, **kwargs):
    """Build the weekly declined-detainer report from the spreadsheets in the inputs folder.

    With no staff spreadsheets in the inputs folder it renders the bundled SAMPLE data.
    """
    if kwargs.get("week") and kwargs.get("all_weeks"):
        raise click.UsageError("--week and --all cannot be used together")
    if kwargs.get("allow_empty_week") and not kwargs.get("week"):
        raise click.UsageError("--allow-empty-week applies only to a week given with --week")
    given = {k: v for k, v in kwargs.items() if v is not None and v is not False}
    sys.exit(run(RunOptions.in_folder(project_folder(ctx), **given)))


def project_folder(ctx: click.Context) -> Path:
    """Where the default folders lie: the folder the caller passed as ``main(obj=folder)`` (generate.py passes
    its own), else the current directory (the ``detainer-report`` console script)."""
    return ctx.obj if ctx.obj is not None else Path.cwd()


main = _add_options(_command)


def console(**extra) -> NoReturn:
    """The program as staff and cron start it (generate.py, the ``detainer-report`` command): ``main``, then
    ``end_process``. Tests call ``main`` in their own process instead."""
    use_system_allocator_for_arrow()
    try:
        main(**extra)
        code = 0
    except SystemExit as exc:
        code = exc.code
    end_process(code)


def use_system_allocator_for_arrow() -> None:
    """Arrow's memory from the C library's malloc, in this process and the ones it starts, unless the operator
    chose (ARROW_DEFAULT_MEMORY_POOL). With pyarrow's default (mimalloc), the first large allocation of a process
    is slow: a national frame's first conversion for the cache took 2.2 s instead of 0.3 s, and a cold national
    run was about 1.2 s slower."""
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:
        return
    os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"  # read by pyarrow when a worker process imports it
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())


def end_process(code) -> NoReturn:
    """Exit with ``code`` as ``sys.exit`` would, but without freeing the run's frames object by object (a
    quarter of a second after reading a national export, for memory the system takes back anyway): exit
    handlers run and output is flushed first."""
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()  # (logging's shutdown, the package's extracted files, multiprocessing's children)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _progress(message: str) -> None:
    click.echo(f"\r\033[K{message} …", err=True, nl=False)


# How each kind of library error is introduced on stderr, and what the operator should know.
ERROR_PREFIX = {Busy: "busy", Interrupted: "stopped"}
ERROR_SUFFIX = {Busy: "; this run did nothing", RenderError: "; nothing was published",
                Interrupted: "; staging was cleaned up and the previous publication stands",
                EnvironmentProblem: "; fix it and run again (what is published stays as it was)"}


def run(options: RunOptions) -> int:
    interactive = sys.stderr.isatty()
    try:
        result = run_job(options, progress=_progress if interactive else (lambda message: None))
    except InternalError:
        return _report_bug()
    except ReportsError as exc:
        kind = type(exc)
        click.echo(f"{ERROR_PREFIX.get(kind, 'error')}: {exc}{ERROR_SUFFIX.get(kind, '')}", err=True)
        return exc.exit_code
    except Exception:
        return _report_bug()
    finally:
        if interactive:
            click.echo("\r\033[K", err=True, nl=False)
    dataset = result.dataset
    if dataset is not None:
        if options.check or options.verbose:
            click.echo("Reconciliation (rows read = used + excluded):")
            for line in format_reconciliation(dataset.reconciliation):
                click.echo(line)
            if len(dataset.value_mapping):
                click.echo("How values were counted (each distinct text, its rows, what it was counted as):")
                for line in format_value_mapping(dataset.value_mapping, countries_in_full=False):
                    click.echo(line)
            for line in format_attribution(dataset):
                click.echo(line)
        for problem in dataset.errors:
            click.echo(problem.line(), err=True)
        _report_warnings(dataset.warnings, everything=options.check or options.verbose)
        if options.verbose and dataset.notes:
            click.echo("Data notes:")
            for note in dataset.notes:
                click.echo(f"- {note}")
    click.echo(result.summary, err=result.exit_code != 0)
    return result.exit_code


def _report_bug() -> int:
    """A bug: keep exit 1 for input errors, and show cron mail the traceback."""
    import traceback

    click.echo("internal error (please report it); nothing new was published:", err=True)
    click.echo(traceback.format_exc(), err=True)
    return EXIT_INTERNAL


def _report_warnings(warnings, everything: bool) -> None:
    if everything:
        for problem in warnings:
            click.echo(problem.line(), err=True)
        return
    by_code = Counter(p.code for p in warnings)
    for code, count in sorted(by_code.items()):
        examples = [p for p in warnings if p.code == code][:WARNING_EXAMPLES]
        click.echo(f"WARNING {code} x{count}: {CATALOGUE[code].title}", err=True)
        for problem in examples:
            click.echo(f"  e.g. {problem.line()}", err=True)
        if count > WARNING_EXAMPLES:
            click.echo(f"  … {count - WARNING_EXAMPLES:,} more in the staff report (or run with --verbose)", err=True)
