"""Liveness tests. Audits share baseline runs on disk (audit/shared.py): a test session keeps
its own records, never the user's ~/.cache, and runs audits without a time budget. (Set here:
a conftest.py in this package would put tests/ on sys.path, where tests/impl shadows impl.)"""

import os
import tempfile

os.environ.setdefault("RAFTCHECK_CACHE_DIR",
                      os.path.join(tempfile.gettempdir(), f"raftcheck-test-cache-{os.getppid()}"))
os.environ.setdefault("RAFTCHECK_AUDIT_BUDGET", "0")
