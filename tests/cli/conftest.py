"""Shared settings for these tests."""

from __future__ import annotations

import os
import tempfile

# Audits share baseline runs on disk (audit/shared.py): a test session keeps its own records,
# never the user's ~/.cache, and runs audits without a time budget (a loaded machine must not
# change a verdict).
os.environ.setdefault("RAFTCHECK_CACHE_DIR",
                      os.path.join(tempfile.gettempdir(), f"raftcheck-test-cache-{os.getppid()}"))
os.environ.setdefault("RAFTCHECK_AUDIT_BUDGET", "0")
