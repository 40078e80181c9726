"""Shared helpers for the audit tests (`raftcheck audit`)."""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import audit  # noqa: F401
except ModuleNotFoundError:  # an editable install made before audit/ existed
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

