"""The input contract for people: README tables and blank template spreadsheets, made from ``schema``.

    python -m reports.contract templates   # rewrite docs/spreadsheet-templates/*.xlsx (run in the checkout)
    python -m reports.contract markdown    # print the README's column tables
"""
from __future__ import annotations

import sys
from pathlib import Path

from .errors import CATALOGUE, ERROR
from .schema import KINDS, LAYOUTS
from .vocabulary import ICE_LIFT_REASONS, OUTCOME_WORDS

SPREADSHEET_TEMPLATES_DIR = Path("docs", "spreadsheet-templates")  # in the checkout, the documentation's copies


def contract_markdown() -> str:
    out = []
    for kind in KINDS.values():
        out.append(f"#### {kind.name}\n\n{kind.description}\n")
        out.append("| column | required | also accepted as | what it holds |")
        out.append("| --- | --- | --- | --- |")
        for c in kind.columns:
            aliases = ", ".join(c.aliases) or "–"
            out.append(f"| {c.name} | {'**yes**' if c.required else 'no'} | {aliases} | {c.description or '–'} |")
        out.append("")
    out.append("#### Layouts read as they come\n")
    out.append("| layout | kind | header texts |")
    out.append("| --- | --- | --- |")
    for layout in LAYOUTS:
        if layout.name.endswith("(project template)"):
            continue
        headers = "; ".join(f"{KINDS[layout.kind].column(f).name} ← {' / '.join(h)}"
                            for f, h in layout.headers.items())
        out.append(f"| {layout.name} | {layout.kind} | {headers} |")
    out.append("")
    out.append("#### Outcome vocabulary\n")
    out.append("The Outcome column is a closed vocabulary, matched ignoring case, spaces and punctuation: "
               f"{', '.join(OUTCOME_WORDS)} (and blank = pending), or an ICE lift reason below. Any other text is "
               "an error (E313) naming the nearest known values, until it is corrected or mapped in "
               "`settings.toml` under `[outcomes]`. The reason is kept beside the outcome.\n")
    out.append("| ICE lift reason | counted as | meaning |")
    out.append("| --- | --- | --- |")
    for reason, (outcome, meaning) in ICE_LIFT_REASONS.items():
        out.append(f"| {reason} | {outcome} | {meaning} |")
    out.append("")
    out.append("#### Error and warning codes\n")
    out.append("| code | kind | meaning | what to do |")
    out.append("| --- | --- | --- | --- |")
    for code in CATALOGUE.values():
        kind = "error (blocks publication)" if code.severity == ERROR else "warning"
        out.append(f"| {code.code} | {kind} | {code.title} | {code.help} |")
    return "\n".join(out) + "\n"


def write_blank_templates(folder: Path) -> list[Path]:
    import xlsxwriter

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS.values():
        path = folder / f"{kind.name}.xlsx"
        workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
        workbook.set_properties({"title": f"{kind.name} template", "created": __import__("datetime").datetime(2026, 1, 1)})
        sheet = workbook.add_worksheet(kind.name)
        title = workbook.add_format({"bold": True, "font_size": 13})
        required = workbook.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
        optional = workbook.add_format({"bg_color": "#EDEDED", "border": 1})
        date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        text = workbook.add_format({"num_format": "@"})
        sheet.write(0, 0, f"{kind.name.capitalize()}: {kind.description} Shaded bold columns are required. "
                          "Keep the header row; rows above it are ignored.", title)
        for col, column in enumerate(kind.columns):
            sheet.write(2, col, column.name, required if column.required else optional)
            note = column.description or ""
            if column.aliases:
                note += f" Also accepted: {', '.join(column.aliases)}."
            if note.strip():
                sheet.write_comment(2, col, note.strip())
            fmt = date if column.type == "date" else text if column.type == "fips" else None
            sheet.set_column(col, col, max(14, len(column.name) + 4), fmt)
        sheet.freeze_panes(3, 0)
        workbook.close()
        written.append(path)
    return written


if __name__ == "__main__":
    if sys.argv[1:] == ["templates"]:
        for p in write_blank_templates(SPREADSHEET_TEMPLATES_DIR):
            print(p)
    elif sys.argv[1:] == ["markdown"]:
        print(contract_markdown(), end="")
    else:
        print(__doc__)
        sys.exit(2)
