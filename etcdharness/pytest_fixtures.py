"""pytest fixtures for the etcd raft harness, shared by tests/etcd, tests/scenarios and
tests/conformance (each conftest imports `harness_binary` and `harness` from here).

Every test using them needs the harness binary (etcdharness/build.sh). Without Go the
tests fail with the set-up command in the message, unless RAFTCHECK_SKIP_ETCD=1, in
which case they are skipped (the reason shows with ``pytest -rs``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from etcdharness.build import EtcdUnavailable, ensure_built
from etcdharness.client import Harness

SKIP_ENV = "RAFTCHECK_SKIP_ETCD"


@pytest.fixture(scope="session")
def harness_binary() -> Path:
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: differential tests against etcd's raft library skipped")
    try:
        return ensure_built()
    except EtcdUnavailable as exc:
        problem = str(exc)
    pytest.fail(
        f"etcd harness unavailable: {problem}\n(set {SKIP_ENV}=1 to skip these tests)",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def harness(harness_binary: Path) -> Iterator[Harness]:
    h = Harness(harness_binary)
    yield h
    h.close()
