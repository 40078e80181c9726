"""Fixtures for the scenario tests.

Every test runs on impl, on the model, and on both in lockstep ("impl=model"), which also
compares every node's state and every message after every step. The same suite runs on etcd
3.4.23's real raft library ("etcd", and "etcd=model" in lockstep with the model), marked
`etcd` (needs the harness: `bash etcdharness/build.sh`; RAFTCHECK_SKIP_ETCD=1 skips). etcd has
the `etcd-3.4` rule set only: its runs of `seed`-rule scenarios are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from conformance.scenarios import DRIVERS, LockstepDriver
from conformance.scenarios.etcd_driver import EtcdDriver, Unsupported
from conformance.scenarios.language import Cluster, Driver, DriverFactory
from etcdharness.pytest_fixtures import harness, harness_binary  # noqa: F401

SIDES: dict[str, DriverFactory] = {**DRIVERS, "impl=model": LockstepDriver}
ETCD_SIDES = ("etcd", "etcd=model")
# RAFTCHECK_SCENARIO_IMPL='cmd:PROGRAM [ARGS]': the suite also runs on that harness
# (specs/HARNESS.md), alone ("plugin") and in lockstep with the model ("plugin=model").
PLUGIN_ENV = "RAFTCHECK_SCENARIO_IMPL"
PLUGIN_SIDES = ("plugin", "plugin=model") if os.environ.get(PLUGIN_ENV) else ()


@pytest.fixture(scope="session")
def plugin_harness() -> Iterator[object]:
    from conformance.plugins import CmdBackend

    backend = CmdBackend(os.environ[PLUGIN_ENV])
    yield backend.harness
    backend.close()


def plugin_factory(side: str, plugin: object) -> Callable[[Cluster], Driver]:
    from conformance.scenarios.cmd_driver import CmdDriver

    def make(cluster: Cluster) -> Driver:
        try:
            if side == "plugin":
                return CmdDriver(cluster, plugin)
            return LockstepDriver(cluster, lambda c: CmdDriver(c, plugin))
        except Unsupported as e:
            pytest.skip(str(e))

    # A library with etcd's rules only gets etcd's variants of scenarios (is_etcd_factory).
    rules = getattr(plugin, "info", {}).get("rules")
    make.etcd = rules == ["etcd-3.4"]  # type: ignore[attr-defined]
    return make


def etcd_factory(side: str, etcd: object) -> Callable[[Cluster], Driver]:
    def make(cluster: Cluster) -> Driver:
        try:
            if side == "etcd":
                return EtcdDriver(cluster, etcd)
            return LockstepDriver(cluster, lambda c: EtcdDriver(c, etcd))
        except Unsupported as e:
            pytest.skip(str(e))

    make.etcd = True  # type: ignore[attr-defined]  # see is_etcd_factory
    return make


@pytest.fixture(
    params=list(SIDES) + [pytest.param(s, marks=pytest.mark.etcd) for s in ETCD_SIDES]
    + list(PLUGIN_SIDES)
)
def driver(request: pytest.FixtureRequest) -> DriverFactory:
    """The side a scenario runs on: "impl" (RawNodes), "model" (NodeLogic), both in
    lockstep, "etcd" (etcd's RawNodes through the harness) or etcd and the model in lockstep."""
    side = str(request.param)
    if side in PLUGIN_SIDES:
        return plugin_factory(side, request.getfixturevalue("plugin_harness"))
    if side in ETCD_SIDES:
        return etcd_factory(side, request.getfixturevalue("harness"))
    return SIDES[side]


@pytest.fixture(params=["seed", "etcd-3.4"])
def rules(request: pytest.FixtureRequest) -> str:
    """The rule set, for scenarios whose outcome could depend on it."""
    return str(request.param)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """etcd has the etcd-3.4 rules only: do not generate its runs of the seed rule set
    (scenarios written for the seed rules alone carry the `seed_rules` mark)."""
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        seed_only = params.get("rules") == "seed" or item.get_closest_marker("seed_rules")
        if params.get("driver") in ETCD_SIDES and seed_only:
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
