"""A cache of every input file as read and checked, so a run reads only the files that changed.

Each entry is one input file's result (its checked frames, problems, notes, reconciliation lines), stored as
Parquet and JSON under a key made of the file's SHA-256, the layout definitions in force (with the staff's
aliases), the reading settings (outcome mapping, date order) and the software version. A changed file, a
changed layout or alias, or a new software version is a new key, so it is read again; an unchanged file is
never reopened. The file's hash itself is taken from a stat index (size, modification time, inode, as git's
index does) when the file has not been touched since it was hashed, and recomputed otherwise.

Beside the files' entries, frames derived from several files are kept the same way (``store_frame``,
``store_bundle``), under a key made of what they were derived from: ``reports.load`` keeps the record frames
(everything but the policies, joined, attributed and corrected) under the keys of the files they came from,
the run's day and the counties. A cached file's rows are read back only when a stage asks for them
(``CachedSheet.frame``), so a run that takes the record frames from the cache never reads them.

Entries are written to a temporary folder and renamed into place, so a run killed half-way, or a ``--check``
beside a publishing run, never leaves one half-written; the cache survives failed runs. It lives in the
staff folder (``staff/cache`` by default): it holds detainer rows and is never public. Deleting it only costs
the next run its speed.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import TEMP_PREFIX, rename_into_place, sha256_file, write_atomic
from .blank import is_null
from .errors import DataNote, Problem
from .exceptions import EnvironmentProblem
from .frames import IDENTIFIER_COLUMNS
from .resources import code_fingerprint

FORMAT = 1  # bump when the stored shape changes
INDEX = "stat-index.json"
RACY_SECONDS = 2  # a file modified this close to when it was hashed is hashed again (git's racy-timestamp rule)


def software_key() -> str:
    """The code that reads and checks files, and its reference data: a new version is a new key."""
    return code_fingerprint()


@dataclasses.dataclass
class SheetMeta:
    """What later stages need of a checked sheet (``ingest.SheetTable`` without its raw values)."""

    file: str
    sheet: str
    kind: str
    layout_name: str
    identity: object
    mtime: float
    columns: dict
    headers: dict

    def column_label(self, field_name: str) -> str:
        from .errors import column_letter

        return f"{column_letter(self.columns[field_name])} ({self.headers[field_name]})"

    @classmethod
    def of(cls, table) -> "SheetMeta":
        return cls(table.file, table.sheet, table.kind, table.layout.name, table.layout.identity, table.mtime,
                   dict(table.columns), dict(table.headers))


class CachedSheet:
    """A checked sheet from the cache. Its frame is read from Parquet only when a stage asks for it: a run whose
    derived frames are cached too (``load_bundle``) never reads the record sheets' rows."""

    def __init__(self, table: SheetMeta, read_frame, problems: list, notes: list, value_mapping: list):
        self.table, self.problems, self.notes, self.value_mapping = table, problems, notes, value_mapping
        self._read_frame = read_frame
        self._frame: pd.DataFrame | None = None

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = self._read_frame()
        return self._frame


@dataclasses.dataclass
class FileResult:
    """One input file, read and checked: every problem, the reconciliation, the checked sheets."""

    rel: str
    digest: str | None
    problems: list[Problem]
    sheet_rows: list[dict]
    excluded: list[dict]
    sheets: list  # validate.ValidatedSheet or CachedSheet (the same attributes)


class InputCache:
    def __init__(self, folder: Path | None, settings_key: dict):
        self.folder = folder
        self.settings_key = settings_key
        self._index: dict | None = None
        self.hits: list[str] = []
        self.misses: list[str] = []
        self.not_stored: list[str] = []

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    # --- the stat index: a file's hash without reading it --------------------------------------------------

    def digest(self, path: Path, rel: str) -> str:
        stat = path.stat()
        signature = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        index = self._load_index()
        known = index.get(rel)
        racy = time.time_ns() - stat.st_mtime_ns < RACY_SECONDS * 1e9
        if known and known["stat"] == signature and not racy and not known.get("racy"):
            return known["sha256"]
        digest = sha256_file(path)
        index[rel] = {"stat": signature, "sha256": digest, "racy": racy}
        return digest

    def _load_index(self) -> dict:
        if self._index is None:
            self._index = {}
            if self.enabled:
                try:
                    self._index = json.loads((self.folder / INDEX).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    self._index = {}
        return self._index

    def save_index(self) -> None:
        if self.enabled and self._index is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomic(self.folder / INDEX, json.dumps(self._index, sort_keys=True))

    # --- entries ----------------------------------------------------------------------------------------------

    def key(self, digest: str, rel: str) -> str:
        """The file's content and path (IDs derived for rows without IDs depend on the path), the software
        and the settings that change how a file is read."""
        material = json.dumps({"format": FORMAT, "file": digest, "path": rel, "software": software_key(),
                               **self.settings_key}, sort_keys=True, default=str)
        return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]

    def load(self, digest: str, rel: str) -> FileResult | None:
        if not self.enabled:
            return None
        entry = self.folder / self.key(digest, rel)
        try:
            meta = json.loads((entry / "result.json").read_text(encoding="utf-8"))
            sheets = []
            for n, sheet in enumerate(meta["sheets"]):
                path = entry / f"sheet-{n}.parquet"
                if not path.is_file():
                    raise OSError(f"{path} is missing")
                sheets.append(CachedSheet(SheetMeta(**sheet["table"]), self._frame_reader(entry, path, sheet["dtypes"]),
                                          [Problem(**p) for p in sheet["problems"]],
                                          [DataNote(**n) for n in sheet["notes"]], sheet["value_mapping"]))
        except (OSError, ValueError, KeyError, TypeError):
            self.misses.append(rel)
            return None
        self.hits.append(rel)
        os.utime(entry)  # recently used: kept when the cache is pruned
        return FileResult(rel, digest, [Problem(**p) for p in meta["problems"]], meta["sheet_rows"],
                          meta["excluded"], sheets)

    def _frame_reader(self, entry: Path, path: Path, dtypes: dict):
        """Reads a cached sheet's frame when first asked for. Entries are written once and renamed into place,
        so this fails only if someone damaged or deleted the cache during the run: the entry is removed (the
        next run reads the file again) and the run stops."""
        def read() -> pd.DataFrame:
            try:
                return _restore(path, dtypes)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                shutil.rmtree(entry, ignore_errors=True)
                raise EnvironmentProblem(f"the input cache entry {entry} could not be read ({type(exc).__name__}); "
                                         "it was removed, and the next run reads that file again") from exc
        return read

    def store(self, result: FileResult) -> None:
        """Keep a file's result for the next runs; a result that cannot be stored is simply not cached."""
        if not self.enabled or result.digest is None:
            return

        def fill(tmp: Path) -> None:
            sheets = []
            for n, sheet in enumerate(result.sheets):
                table = dataclasses.asdict(SheetMeta.of(sheet.table) if not isinstance(sheet.table, SheetMeta)
                                           else sheet.table)
                sheets.append({"table": table, "dtypes": _write_frame(sheet.frame, tmp / f"sheet-{n}.parquet"),
                               "problems": [dataclasses.asdict(p) for p in sheet.problems],
                               "notes": [dataclasses.asdict(n) for n in sheet.notes],
                               "value_mapping": sheet.value_mapping})
            meta = {"problems": [dataclasses.asdict(p) for p in result.problems], "sheet_rows": result.sheet_rows,
                    "excluded": result.excluded, "sheets": sheets}
            (tmp / "result.json").write_text(json.dumps(meta, default=_plain), encoding="utf-8")

        self._write_entry(self.folder / self.key(result.digest, result.rel), result.rel, fill)

    def _write_entry(self, entry: Path, label: str, fill) -> None:
        """Make the entry folder with ``fill(temporary folder)`` and rename it into place. An entry that cannot be
        stored (say, a column of mixed types Parquet cannot hold, or another run storing it at the same moment)
        is not kept: it is computed again next time."""
        if entry.exists():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{TEMP_PREFIX}{entry.name}-{os.getpid()}"
        try:
            tmp.mkdir()
            fill(tmp)
            rename_into_place(tmp, entry)
        except Exception as exc:  # noqa: BLE001
            shutil.rmtree(tmp, ignore_errors=True)
            self.not_stored.append(f"{label}: {type(exc).__name__}")

    # --- frames derived from every input (not from one file) ---------------------------------------------------

    def _memo_entry(self, name: str, material: str) -> Path:
        key = hashlib.sha256(json.dumps({"format": FORMAT, "memo": name, "software": software_key(),
                                         "material": material}, sort_keys=True).encode("utf-8")).hexdigest()
        return self.folder / f"{name}-{key[:32]}"

    def load_frame(self, name: str, material: str) -> pd.DataFrame | None:
        """A frame stored by ``store_frame`` under the same name and material (by this software), or None."""
        if not self.enabled:
            return None
        entry = self._memo_entry(name, material)
        try:
            frame = _restore(entry / "frame.parquet", json.loads((entry / "dtypes.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        os.utime(entry)
        return frame

    def store_frame(self, name: str, material: str, frame: pd.DataFrame) -> None:
        """Keep ``frame`` for a later run whose ``material`` (what the frame was computed from) is the same."""
        if not self.enabled:
            return

        def fill(tmp: Path) -> None:
            dtypes = _write_frame(frame, tmp / "frame.parquet")
            (tmp / "dtypes.json").write_text(json.dumps(dtypes), encoding="utf-8")

        self._write_entry(self._memo_entry(name, material), name, fill)

    def load_bundle(self, name: str, material: str) -> tuple[dict, dict, dict] | None:
        """Frames, Arrow tables and JSON stored by ``store_bundle`` under the same name and material, or None."""
        if not self.enabled:
            return None
        import pyarrow.parquet as pq

        entry = self._memo_entry(name, material)
        try:
            meta = json.loads((entry / "bundle.json").read_text(encoding="utf-8"))
            frames = {n: _restore(entry / f"frame-{i}.parquet", dtypes) for i, (n, dtypes) in enumerate(meta["frames"])}
            tables = {n: pq.read_table(entry / f"table-{i}.parquet") for i, n in enumerate(meta["tables"])}
        except (OSError, ValueError, KeyError, TypeError):
            return None
        os.utime(entry)
        return frames, tables, meta["data"]

    def store_bundle(self, name: str, material: str, frames: dict[str, pd.DataFrame], tables: dict,
                     data: dict) -> None:
        """Keep frames, Arrow tables and JSON-able ``data`` for a later run whose ``material`` is the same."""
        if not self.enabled:
            return
        import pyarrow.parquet as pq

        def fill(tmp: Path) -> None:
            stored = [[n, _write_frame(frame, tmp / f"frame-{i}.parquet")] for i, (n, frame) in enumerate(frames.items())]
            for i, table in enumerate(tables.values()):
                pq.write_table(table, tmp / f"table-{i}.parquet")
            (tmp / "bundle.json").write_text(json.dumps({"frames": stored, "tables": list(tables), "data": data},
                                                        default=_plain), encoding="utf-8")

        self._write_entry(self._memo_entry(name, material), name, fill)

    def prune(self, keep_days: float = 30) -> None:
        """Remove entries not used for ``keep_days`` (and temporary folders of stopped runs)."""
        if not self.enabled or not self.folder.is_dir():
            return
        limit = time.time() - keep_days * 86400
        for entry in self.folder.iterdir():
            if entry.is_dir() and (entry.name.startswith(TEMP_PREFIX) or entry.stat().st_mtime < limit):
                shutil.rmtree(entry, ignore_errors=True)


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__}")


# A column holding values of several types (a correction's value: a date, a word or a code) is stored as text
# tagged with each value's type, and read back as those values.
_ENCODERS = {str: ("s", str), pd.Timestamp: ("t", lambda v: v.isoformat()), int: ("i", str), float: ("f", repr),
             bool: ("b", str)}
_DECODERS = {"s": str, "t": lambda v: pd.Timestamp(v).as_unit("s"), "i": int, "f": float, "b": lambda v: v == "True"}


def _several_types(column: pd.Series) -> bool:
    # infer_dtype looks at the values in C: a column of only texts (most of them) needs no Python loop
    if pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):
        return False
    return len({type(v) for v in column.dropna()}) > 1


def _encode_mixed(frame: pd.DataFrame) -> tuple[pd.DataFrame, set[str]]:
    mixed = {c for c in frame.columns if frame[c].dtype == object and _several_types(frame[c])}
    if not mixed:
        return frame, mixed

    def encode(value):
        if is_null(value):
            return None
        tag, text = _ENCODERS[type(value)]
        return f"{tag}:{text(value)}"

    return frame.assign(**{c: frame[c].map(encode) for c in mixed}), mixed


def _objects(column) -> np.ndarray:
    """A text column from Parquet as the pipeline holds it: Python strings, None where empty. Each distinct
    text becomes one Python string that every row holding it shares (a county, an outcome: a few hundred
    strings for 320,000 rows, not 320,000 copies)."""
    import pyarrow.compute as pc
    from pyarrow import types as pa_types

    encoded = (column if pa_types.is_dictionary(column.type) else pc.dictionary_encode(column)).combine_chunks()
    texts = np.array([*encoded.dictionary.to_pylist(), None], dtype=object)
    return texts[pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)]  # -1: the None at the end


def _write_frame(frame: pd.DataFrame, path: Path) -> dict[str, str]:
    """``frame`` as Parquet at ``path``; returns its dtypes as ``_restore`` needs them."""
    encoded, mixed = _encode_mixed(frame)
    encoded.to_parquet(path, engine="pyarrow", index=False)
    return {c: "mixed" if c in mixed else str(t) for c, t in frame.dtypes.items()}


def _restore(path: Path, dtypes: dict) -> pd.DataFrame:
    """The frame as it was stored: text columns as Python strings (Parquet gives them back as pandas' string
    dtype), dates in the unit they had (Parquet gives milliseconds), mixed columns decoded."""
    import pyarrow.parquet as pq
    from pyarrow import types as pa_types

    schema = pq.read_schema(path)
    texts = [c for c, dtype in dtypes.items() if dtype == "object"
             and (pa_types.is_string(schema.field(c).type) or pa_types.is_large_string(schema.field(c).type))]
    # through Parquet's dictionary pages, as it stores them (no hashing of every text again); IDs, nearly all
    # distinct, are read plain: a dictionary of them would cost more than it shares
    shared = [c for c in texts if c not in IDENTIFIER_COLUMNS]
    table = pq.read_table(path, read_dictionary=shared)
    out = {}
    for column, dtype in dtypes.items():
        if column in shared:
            out[column] = pd.Series(_objects(table.column(column)), dtype=object)
            continue
        if column in texts:
            out[column] = pd.Series(table.column(column).to_numpy(zero_copy_only=False), dtype=object)
            continue
        values = table.column(column).to_pandas()
        if dtype == "mixed":
            values = pd.Series([None if is_null(v) else _DECODERS[v[0]](v[2:]) for v in values], dtype=object)
        elif dtype == "object":
            values = values.astype(object)
            values = values.where(values.notna(), None)
        elif str(values.dtype) != dtype:
            values = values.astype(dtype)
        out[column] = values
    return pd.DataFrame(out, index=pd.RangeIndex(table.num_rows))
