"""Fixtures for the differential tests against etcd's real raft library.

`harness_binary` and `harness` come from etcdharness/pytest_fixtures.py (shared with the etcd
sides of tests/scenarios and tests/conformance). Every test here needs the harness binary
(etcdharness/build.sh): without Go the tests fail with the set-up command in the message,
unless RAFTCHECK_SKIP_ETCD=1, in which case they are skipped (``pytest -rs``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

try:
    import etcdharness  # noqa: F401
except ModuleNotFoundError:  # an editable install made before etcdharness/ existed
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from etcdharness.pytest_fixtures import SKIP_ENV, harness, harness_binary  # noqa: F401


@pytest.fixture(autouse=True)
def _etcd_required(harness_binary: Path) -> None:  # noqa: F811
    """Make every test in tests/etcd fail (or skip) clearly when Go is missing."""
