"""Delimited text files (.csv, .tsv, .txt): encoding, delimiter, and their one sheet."""
from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from .errors import Problem
from .rawsheet import BadEncoding, CellTooLong, RawSheet, UnreadableFile


def decode_csv_bytes(data: bytes) -> str:
    """UTF-16 by its byte-order mark (Excel's "Unicode Text"), UTF-8 with or without BOM, else cp1252 (what
    Excel writes on Windows). Text that still holds NUL characters is not text in any of these: one error."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _decode(data, "utf-16")
    elif data.startswith(b"\xef\xbb\xbf"):
        text = _decode(data[3:], "utf-8")
    elif _looks_utf16(data):
        text = _decode(data, "utf-16-le" if data[1:200:2].count(0) > data[0:200:2].count(0) else "utf-16-be")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as exc:
                raise BadEncoding(f"wrong encoding: neither UTF-8, UTF-16 nor Windows-1252 text "
                                  f"(byte {exc.start})") from exc
    if "\x00" in text:
        raise BadEncoding("wrong encoding: the text holds NUL characters, so it is not UTF-8, UTF-16 or "
                          "Windows-1252 text (a binary file, or another encoding)")
    return text


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise BadEncoding(f"wrong encoding: not valid {encoding.upper()} (byte {exc.start})") from exc


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a byte-order mark: in ASCII-range text every other byte is NUL."""
    sample = data[:2000]
    if len(sample) < 4 or sample.count(0) < len(sample) // 4:
        return False
    half = len(sample) // 2
    return max(sample[0::2].count(0), sample[1::2].count(0)) > 0.8 * half and min(
        sample[0::2].count(0), sample[1::2].count(0)) < 0.1 * half


DELIMITERS = (",", "\t", ";", "|")


def choose_delimiter(text: str, preferred: str = ",") -> str:
    """The delimiter that splits the most of the first lines into the same number (two or more) of fields.
    Title lines above a header do not confuse it the way csv.Sniffer is confused."""
    lines = [line for line in text[:50000].splitlines()[:200] if line.strip()]
    best, best_score = preferred, 0
    for delimiter in (preferred, *(d for d in DELIMITERS if d != preferred)):
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        common = Counter(w for w in widths if w >= 2).most_common(1)
        score = common[0][1] if common else 0
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_csv(path: Path, rel: str) -> tuple[list[RawSheet], list[Problem]]:
    """A delimited text file (.csv, .tsv, .txt): one sheet, named ""."""
    text = decode_csv_bytes(path.read_bytes())
    delimiter = choose_delimiter(text, "," if path.suffix.lower() == ".csv" else "\t")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, line = [], 0  # line: the last line of the last row read whole
    try:
        for row in reader:
            rows.append(row)
            line = reader.line_num
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise CellTooLong(f"the row starting on line {line + 1:,} has a cell longer than "
                              f"{csv.field_size_limit():,} characters (a quote that is never closed, or not a "
                              "table)") from None
        raise UnreadableFile(f"not a readable delimited text file (line {line + 1:,}: {exc})") from None
    return [RawSheet(rel, "", rows, path.stat().st_mtime)], []
