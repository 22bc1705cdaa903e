#!/usr/bin/env python3
"""Entry point for staff and cron: see README.md, or run `python generate.py --help`."""
from pathlib import Path

from reports.cli import console

if __name__ == "__main__":
    console(obj=Path(__file__).resolve().parent)  # default folders (inputs/, outputs/, staff/) beside this file
