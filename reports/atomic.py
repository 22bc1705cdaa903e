"""Files that readers never see half-written: write beside, fsync, rename over.

One place for it, used by the public tree (publish, archive) and the staff reports alike.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable

TEMP_PREFIX = ".tmp-"


def temp_path(path: Path) -> Path:
    return path.with_name(f"{TEMP_PREFIX}{path.name}-{os.getpid()}")


def replace_with(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary path)``, fsync the result, then rename it over ``path``. On any failure the
    temporary file is removed and ``path`` is left as it was."""
    tmp = temp_path(path)
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_atomic(path: Path, content: str | bytes) -> Path:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return replace_with(path, lambda tmp: tmp.write_bytes(data))


def write_if_changed(path: Path, content: str | bytes) -> bool:
    """Replace ``path`` atomically unless it already holds exactly this content. True if written."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
            return False
    except OSError:
        pass
    write_atomic(path, data)
    return True


def symlink_atomic(target: str, link: Path) -> None:
    tmp = link.with_name(f"{TEMP_PREFIX}link-{link.name}-{os.getpid()}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """Every file of a folder and the folder itself on disk (before the folder is renamed into place)."""
    for path in folder.iterdir():
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    fsync_dir(folder)


def rename_into_place(staged: Path, target: Path) -> Path:
    """A folder built beside ``target``: its files flushed to disk, then renamed to ``target`` in one step,
    and the rename itself flushed. Readers see no folder or a complete one, even after a crash."""
    fsync_tree(staged)
    os.rename(staged, target)
    fsync_dir(target.parent)
    return target


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
