"""Fixtures for the scenario tests.

Every test runs on impl, on the model, and on both in lockstep ("impl=model"), which also
compares every node's state and every message after every step.
"""

from __future__ import annotations

import pytest

from conformance.scenarios import DRIVERS, LockstepDriver
from conformance.scenarios.language import DriverFactory

SIDES: dict[str, DriverFactory] = {**DRIVERS, "impl=model": LockstepDriver}


@pytest.fixture(params=list(SIDES))
def driver(request: pytest.FixtureRequest) -> DriverFactory:
    """The side a scenario runs on: "impl" (RawNodes), "model" (NodeLogic) or both."""
    return SIDES[request.param]


@pytest.fixture(params=["seed", "etcd-3.4"])
def rules(request: pytest.FixtureRequest) -> str:
    """The rule set, for scenarios whose outcome could depend on it."""
    return str(request.param)
