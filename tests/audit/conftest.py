"""Shared helpers for the audit tests (`raftcheck audit`)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

try:
    import audit  # noqa: F401
except ModuleNotFoundError:  # an editable install made before audit/ existed
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

# Audits share baseline runs on disk (audit/shared.py): a test session keeps its own records,
# never the user's ~/.cache, and runs audits without a time budget (a loaded machine must not
# change a verdict).
os.environ.setdefault("RAFTCHECK_CACHE_DIR",
                      os.path.join(tempfile.gettempdir(), f"raftcheck-test-cache-{os.getppid()}"))
os.environ.setdefault("RAFTCHECK_AUDIT_BUDGET", "0")
