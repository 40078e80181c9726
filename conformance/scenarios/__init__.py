"""Scenario language for etcd's election tests and its drivers.

`DRIVERS` maps a side to its driver factory: `run(scenario, DRIVERS["model"])`. `LockstepDriver`
runs both sides together and fails at the first step where they differ.
"""

from __future__ import annotations

from conformance.scenarios.impl_driver import ImplDriver
from conformance.scenarios.language import DriverFactory
from conformance.scenarios.lockstep import LockstepDriver
from conformance.scenarios.model_driver import ModelDriver

DRIVERS: dict[str, DriverFactory] = {"impl": ImplDriver, "model": ModelDriver}

__all__ = ["DRIVERS", "ImplDriver", "LockstepDriver", "ModelDriver"]
