#!/usr/bin/env python3
"""Entry point for staff and cron: see README.md, or run `python generate.py --help`."""
from reports.cli import main

if __name__ == "__main__":
    main()
