"""Files shipped inside the package (templates, reference data, the sample inputs), found with
importlib.resources, so they are found wherever the package is installed."""
from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path

# A package installed from a zip would have its files extracted to temporary copies: they are kept until exit.
_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def package_path(*parts: str) -> Path:
    """The path of a file or folder shipped in the package, e.g. ``package_path("data", "geo")``."""
    resource = files(__package__)
    for part in parts:
        resource = resource.joinpath(part)
    return _extracted.enter_context(as_file(resource))


def _package_files(folder: Traversable, prefix: str):
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            yield from _package_files(entry, f"{prefix}{entry.name}/")
        elif entry.is_file():
            yield f"{prefix}{entry.name}", entry


def package_digest() -> str:
    """SHA-256 over every file of the package (code, templates, data), names included."""
    digest = hashlib.sha256()
    for name, entry in _package_files(files(__package__), f"{__package__}/"):
        digest.update(name.encode())
        digest.update(hashlib.sha256(entry.read_bytes()).hexdigest().encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The package digest, computed once per process: what a run, a revision and the cache record as the software."""
    return package_digest()
