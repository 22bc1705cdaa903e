"""Reading a rendered PDF as a reader would: where every glyph is, which text is on which page."""
from __future__ import annotations

import re
from pathlib import Path

import pdfplumber

CM = 72 / 2.54
SIDE_MARGIN = 1.6 * CM  # templates/report.css: @page margin 2.1cm 1.6cm 2cm
EDGE = 0.5 * CM  # running headers and footers sit in the top and bottom margins, never nearer the edge than this


def glyphs_outside_margins(path: Path) -> list[tuple[int, str, float, float]]:
    """(page, character, x0, x1) of every glyph outside the left and right margins or off the page."""
    outside = []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            for char in page.chars:
                if char["text"].isspace():
                    continue
                if (char["x0"] < SIDE_MARGIN - 0.5 or char["x1"] > page.width - SIDE_MARGIN + 0.5
                        or char["top"] < EDGE or char["bottom"] > page.height - EDGE):
                    outside.append((number, char["text"], round(char["x0"], 1), round(char["x1"], 1)))
    return outside


def page_lines(path: Path) -> list[list[tuple[float, str]]]:
    """Each page's lines of text, top to bottom, as (top, text)."""
    pages = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            lines: dict[int, list] = {}
            for word in page.extract_words(keep_blank_chars=False, use_text_flow=False):
                lines.setdefault(round(word["top"]), []).append(word)
            pages.append([(top, " ".join(w["text"] for w in sorted(words, key=lambda w: w["x0"])))
                          for top, words in sorted(lines.items())])
    return pages


CAPTION = re.compile(r"^Table (\d+)([ab]?)\. ")


def captions(pages) -> list[tuple[int, str, float]]:
    """(page index, table number, top) of every table caption, in reading order."""
    return [(i, m[1] + m[2], top) for i, lines in enumerate(pages) for top, text in lines
            if (m := CAPTION.match(text))]


def overlapping_glyphs(path: Path, em: float = 0.25) -> list[tuple[int, str]]:
    """(page, the two glyphs and their line) wherever a glyph is drawn over the one before it on its line by
    more than ``em`` of its font size: what a table column too narrow for its text gives (a number that may not
    wrap runs into the next cell). Kerning overlaps less: at most 0.17 em in the report's fonts (To, Ta)."""
    found = []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            lines: dict[int, list] = {}
            for char in page.chars:  # (not the SAMPLE watermark, drawn slanted across the page on purpose)
                if not char["text"].isspace() and char["matrix"][1] == char["matrix"][2] == 0:
                    lines.setdefault(round(char["top"]), []).append(char)
            for chars in lines.values():
                chars.sort(key=lambda c: c["x0"])
                for before, after in zip(chars, chars[1:]):
                    if before["x1"] - after["x0"] > em * after["size"]:
                        line = "".join(c["text"] for c in chars)
                        found.append((number, f"{before['text']}{after['text']} in {line[:80]!r}"))
    return found
