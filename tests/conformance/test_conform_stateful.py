"""The Hypothesis state machine as a plain pytest test (small: the CLI runs the big ones)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from conformance.lockstep import machine_class

LockstepMachine3 = machine_class(voters=3)
LockstepMachine3.TestCase.settings = settings(
    max_examples=10,
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
TestLockstep3 = LockstepMachine3.TestCase
