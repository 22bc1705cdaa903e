"""Make the project importable however pytest is started (``pytest``, ``python -m pytest``)."""
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))
