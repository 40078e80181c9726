"""Liveness tests: audits here share baseline runs in this session's own cache (audit/shared.py),
never the user's ~/.cache, and run without a time budget."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("RAFTCHECK_CACHE_DIR",
                      os.path.join(tempfile.gettempdir(), f"raftcheck-test-cache-{os.getppid()}"))
os.environ.setdefault("RAFTCHECK_AUDIT_BUDGET", "0")
