"""Benchmark: reading an ICE-detainer-export-shaped workbook. Prints figures; asserts nothing.

    python bench/ingest_speed.py            # 50,000 rows x 60 columns
    python bench/ingest_speed.py 320000     # the size of a national export (~100 MB; takes minutes to build)

Machines here are shared and noisy, so it reports a ratio measured in the same run:
our whole ingest (read + validate + join) against openpyxl merely reading the cells.
"""
from __future__ import annotations

import datetime as dt
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from reports.load import load_inputs

USED = ["Detainer Prepare Date", "Facility State", "Facility AOR", "Detention Facility", "Detention Facility Code",
        "Facility City", "Citizenship Country", "Detainer Prepared Criminality",
        "Most Serious Conviction (MSC) Charge", "Detainer Lift Reason", "Detainer Type", "Unique Identifier"]
EXTRA = [f"Flag {i}" for i in range(60 - len(USED))]


def build(path: Path, rows: int) -> None:
    import xlsxwriter

    rng = random.Random(1)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Detainers")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for r in range(6):
        sheet.write(r, 0, f"Title row {r + 1}" if r < 3 else "")
    for c, name in enumerate(USED + EXTRA):
        sheet.write(6, c, name)
    states = ["TX", "CA", "AZ", "FL", "NY", "IL", "GA", "NC", "PA", "WA"]
    reasons = ["Booked into Detention", "Detainer Declined by LEA", "", "Lifted", "Case Closed"]
    start = dt.datetime(2023, 9, 1)
    for r in range(rows):
        state = rng.choice(states)
        values = [start + dt.timedelta(minutes=rng.randint(0, 660 * 24 * 60)), state, f"{state} AOR",
                  f"{state} FACILITY {rng.randint(1, 40)}", f"{state}{rng.randint(1, 40):03d}", "CITY",
                  rng.choice(["MEXICO", "GUATEMALA", "HONDURAS", "EL SALVADOR"]),
                  rng.choice(["1 Convicted Criminal", "2 Pending Criminal Charges", "3 Other Immigration Violator"]),
                  rng.choice(["Assault", "DUI", ""]), rng.choice(reasons), "I-247A", f"U{r:08d}"]
        values += [rng.choice(["Y", "N"]) for _ in EXTRA]
        for c, value in enumerate(values):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(7 + r, c, value, date_format)
            else:
                sheet.write_string(7 + r, c, value)
    workbook.close()


def timed(label, fn):
    t0 = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label:<38} {seconds:8.2f} s   process peak RSS so far {peak:8.0f} MiB")
    return seconds, result


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "inputs"
        inputs.mkdir()
        path = inputs / "ice_export.xlsx"
        t0 = time.perf_counter()
        build(path, rows)
        print(f"built {rows:,} rows x {len(USED + EXTRA)} columns, {path.stat().st_size / 2**20:.1f} MB "
              f"in {time.perf_counter() - t0:.1f} s")

        def openpyxl_read():
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True)
            return sum(1 for _ in wb.active.iter_rows(values_only=True))

        ours, dataset = timed("our ingest (read+validate+join)", lambda: load_inputs(inputs))
        baseline, _ = timed("openpyxl read-only, cells only", openpyxl_read)
        used = dataset.reconciliation["used"].sum()
        print(f"rows used: {used:,} of {dataset.reconciliation['rows_read'].sum():,}; errors {len(dataset.errors)}")
        print(f"ratio ours / openpyxl-read: {ours / baseline:.2f}  ({rows / ours:,.0f} rows/s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
