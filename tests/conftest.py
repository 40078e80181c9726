"""Test-session settings shared by every test directory."""

from __future__ import annotations

import os
import tempfile


def pytest_configure() -> None:
    # Audits share baseline runs on disk (audit/shared.py); a test session keeps its own
    # records, never the user's ~/.cache.
    os.environ.setdefault("RAFTCHECK_CACHE_DIR", tempfile.mkdtemp(prefix="raftcheck-cache-"))
    # No audit time budget in tests: a loaded machine must not change a verdict.
    os.environ.setdefault("RAFTCHECK_AUDIT_BUDGET", "0")
