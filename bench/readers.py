"""The reference readers bench/run.py times, one per process: python bench/readers.py READER FILE.

    calamine          python-calamine reads the whole sheet into Python lists (the baseline)
    pandas-openpyxl   pandas.read_excel(engine="openpyxl"), what a user would write
    pandas-calamine   pandas.read_excel(engine="calamine")
    fastexcel         fastexcel reads only the 13 columns the ingest uses, every one as text

Prints one line (rows x columns read) so a wrong read shows in the harness log.
"""
from __future__ import annotations

import sys

HEADER_ROW = 6  # 0-based: the ICE export's header is on spreadsheet row 7


def calamine(path: str) -> str:
    import python_calamine

    workbook = python_calamine.CalamineWorkbook.from_path(path)
    rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)  # as reports/workbooks.py reads it
    return f"{len(rows):,} rows x {max(len(r) for r in rows)} columns"


def pandas_read(path: str, engine: str) -> str:
    import pandas as pd

    frame = pd.read_excel(path, sheet_name=0, header=HEADER_ROW, engine=engine)
    return f"{frame.shape[0]:,} rows x {frame.shape[1]} columns"


def fastexcel_read(path: str) -> str:
    import fastexcel

    from reports.schema import ICE_DETAINER_EXPORT

    used = [names[0] for names in ICE_DETAINER_EXPORT.headers.values()]  # the 13 header texts, as exported
    sheet = fastexcel.read_excel(path).load_sheet(0, header_row=HEADER_ROW, use_columns=used, dtypes="string")
    frame = sheet.to_pandas()
    return f"{frame.shape[0]:,} rows x {frame.shape[1]} columns"


READERS = {
    "calamine": calamine,
    "pandas-openpyxl": lambda path: pandas_read(path, "openpyxl"),
    "pandas-calamine": lambda path: pandas_read(path, "calamine"),
    "fastexcel": fastexcel_read,
}

if __name__ == "__main__":
    print(READERS[sys.argv[1]](sys.argv[2]))
