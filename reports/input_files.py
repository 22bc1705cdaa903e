"""The inputs folder's files: which are read, each read whole and unchanged, by the reader of its format."""
from __future__ import annotations

import functools
import hashlib
import time
from os import scandir
from pathlib import Path

from .delimited import read_csv
from .errors import Problem
from .rawsheet import Encrypted, RawSheet, UnreadableFile, UnsafeFile
from .workbooks import read_workbook

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm"}
ODS_SUFFIXES = {".ods"}
TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}  # delimited text: comma, tab (Excel's "Unicode Text"), semicolon, pipe
READ_SUFFIXES = SPREADSHEET_SUFFIXES | ODS_SUFFIXES | TEXT_SUFFIXES
OTHER_SPREADSHEETS = {".xlsb", ".numbers", ".fods", ".xltx", ".xltm", ".ots"}
# A file modified this recently may still be being copied: it is looked at once more a second later.
SETTLE_SECONDS = 3.0
SETTLE_PAUSE = 1.0

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003, and Excel's encrypted workbooks
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # the stream an encrypted .xlsx is wrapped in


def find_input_files(inputs_dir: Path) -> tuple[list[Path], list[Problem]]:
    """Every file to read under inputs_dir (sub-folders too), sorted; every other entry is named in a problem.

    Hidden names (.gitkeep, editor and OS metadata) are skipped. A folder that cannot be listed, a named pipe
    or device, a broken link and a link leading outside the folder are errors: never silently skipped.
    """
    files, problems = [], []
    if not inputs_dir.exists():
        return files, problems
    root = inputs_dir.resolve()
    pending = [inputs_dir]
    while pending:
        folder = pending.pop()
        rel_folder = folder.relative_to(inputs_dir).as_posix()
        try:
            entries = sorted(scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(Problem("E106", f"{rel_folder}/", message=f"the folder cannot be listed "
                                                                   f"({exc.strerror or exc}); its files were not read"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            rel = path.relative_to(inputs_dir).as_posix()
            if entry.is_symlink():
                target = path.resolve()
                if not target.exists():
                    problems.append(Problem("E107", rel, message=f"a link to {target}, which does not exist"))
                    continue
                if not target.is_relative_to(root):
                    problems.append(Problem("E108", rel, message=f"a link to {target}, outside {inputs_dir}"))
                    continue
                if target.is_dir():
                    problems.append(Problem("W101", rel, message="a link to a folder inside the inputs folder; "
                                                                 "not followed (its files are read where they are)"))
                    continue
            if entry.is_dir(follow_symlinks=False):
                pending.append(path)
            elif not path.is_file():
                problems.append(Problem("E107", rel, message="not a regular file (a named pipe, socket or device)"))
            else:
                problem = _unread_reason(path, rel)
                if problem:
                    problems.append(problem)
                else:
                    files.append(path)
    files.sort(key=lambda p: p.relative_to(inputs_dir).as_posix())
    return files, problems


def _unread_reason(path: Path, rel: str) -> Problem | None:
    suffix = path.suffix.lower()
    if path.name.startswith("~$"):
        return Problem("W101", rel, message="an Excel lock file (the workbook is open somewhere); not read")
    if suffix in READ_SUFFIXES:
        return None
    if suffix == ".xls":
        return Problem("E101", rel, message="old .xls format; save it as .xlsx")
    if suffix in OTHER_SPREADSHEETS:  # a table that may hold records: an error, never a file quietly skipped
        return Problem("E101", rel, message=f"{suffix} spreadsheets are not read; save it as .xlsx")
    return Problem("W101", rel, message=f"{suffix or 'no extension'} files are not read")


def file_state(path: Path) -> tuple[int, int]:
    """(size, modification time in ns): what changes while a file is still being written."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def pause(seconds: float) -> None:
    time.sleep(seconds)


def read_inputs(inputs_dir: Path, paths: list[Path], check_file, cache=None, store_later: list | None = None) -> list:
    """Check every file (``check_file(path, rel, digest or None) -> cache.FileResult``), or take its result
    from the cache, where a newly read one is stored (or, given ``store_later``, a call storing it is appended
    there for the caller to make when it would otherwise wait);
    a file that changes while it is looked at is still being copied: E105, and nothing of it.

    Each file's size and modification time are taken before and after it is read (or hashed, for the cache);
    files modified in the last SETTLE_SECONDS are looked at once more SETTLE_PAUSE later (one pause for all,
    before reading). A complete file that is merely new is read normally.
    """

    first: dict[Path, tuple | None] = {}
    for path in paths:
        try:
            first[path] = file_state(path)
        except OSError:
            first[path] = None
    now_ns = time.time_ns()
    if any(state and now_ns - state[1] < SETTLE_SECONDS * 1e9 for state in first.values()):
        pause(SETTLE_PAUSE)
    results = []
    for path in paths:
        rel = path.relative_to(inputs_dir).as_posix()
        try:
            before = file_state(path)
        except OSError as exc:
            results.append(_file_problem(rel, Problem("E106", rel, message=f"cannot be read ({exc.strerror or exc})")))
            continue
        if first[path] != before:
            results.append(_file_problem(rel, _still_copying(rel, first[path], before)))
            continue
        result, digest = None, None
        if cache is not None and cache.enabled:
            digest = cache.digest(path, rel)
            result = cache.load(digest, rel)
        fresh = result is None
        if fresh:
            result = check_file(path, rel, digest)
        try:
            after = file_state(path)
        except OSError:
            after = None
        if after != before:
            results.append(_file_problem(rel, _still_copying(rel, before, after)))
            continue
        if fresh and cache is not None:
            if store_later is None:
                cache.store(result)
            else:
                store_later.append(functools.partial(cache.store, result))
        results.append(result)
    return results


def _file_problem(rel: str, problem: Problem):
    from .cache import FileResult

    return FileResult(rel, None, [problem], [{"file": rel, "sheet": "", "kind": "", "layout": "not read"}], [], [])


def _still_copying(rel: str, before, after) -> Problem:
    if after is None:
        what = "it disappeared"
    elif before and after[0] != before[0]:
        what = f"its size went from {before[0]:,} to {after[0]:,} bytes"
    else:
        what = "it was modified"
    return Problem("E105", rel, message=f"{what} while it was being read: it is still being copied or written; "
                                        "run again when it is complete. Nothing was published")


def read_file(path: Path, rel: str, max_bytes: int | None = None) -> tuple[list[RawSheet], list[Problem]]:
    """The sheets of one file, or the problem that stopped it being read."""
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            return [], [Problem("E109", rel, message=f"{size:,} bytes, more than max_input_bytes "
                                                     f"({max_bytes:,}); not read")]
        with open(path, "rb") as handle:
            head = handle.read(8)
        suffix = path.suffix.lower()
        if head.startswith(OLE_MAGIC):
            if _contains(path, ENCRYPTED_PACKAGE):
                raise Encrypted("the workbook is encrypted with a password")
            raise UnreadableFile("an old Excel 97-2003 workbook (.xls format); save it as .xlsx")
        if suffix in TEXT_SUFFIXES:
            if head.startswith(ZIP_MAGIC):
                raise UnreadableFile(f"a zipped spreadsheet (.xlsx or .ods) with a {suffix} name; "
                                     "give it its right extension")
            return read_csv(path, rel)
        if suffix in ODS_SUFFIXES:
            return read_workbook(path, rel, ods=True)
        return read_workbook(path, rel)
    except UnsafeFile as exc:
        return [], [Problem("E102", rel, message=str(exc))]
    except UnreadableFile as exc:
        return [], [Problem(exc.code, rel, message=str(exc))]
    except PermissionError as exc:
        return [], [Problem("E106", rel, message=f"cannot be read ({exc.strerror or exc})")]
    except OSError as exc:
        return [], [Problem("E101", rel, message=f"cannot be read ({exc.strerror or exc})")]


def _contains(path: Path, needle: bytes) -> bool:
    with open(path, "rb") as handle:
        tail = b""
        for block in iter(lambda: handle.read(1 << 20), b""):
            if needle in tail + block:
                return True
            tail = block[-len(needle):]
    return False


def file_fingerprint(rel: str) -> str:
    return hashlib.sha1(rel.encode("utf-8")).hexdigest()[:8]
