"""A driver that runs impl and the model side by side and fails at the first divergence.

Every action is done on both sides; the messages each side sent (as multisets) and the view of
every node afterwards must be equal. This checks what the scenario's expectations leave out
(every field of every node, every message) at every step. The in-flight schedule is taken from
the impl side, so both sides always see the same deliveries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from conformance.scenarios.impl_driver import ImplDriver
from conformance.scenarios.language import (
    Cluster,
    Driver,
    DriverFactory,
    Msg,
    NodeView,
    ScenarioFailure,
)
from conformance.scenarios.model_driver import ModelDriver


class LockstepDriver(Driver):
    """impl (or, given `impl`, any other driver factory, e.g. the etcd driver) and the model."""

    name = "impl=model"

    def __init__(self, cluster: Cluster, impl: DriverFactory | None = None) -> None:
        super().__init__(cluster)
        self.impl = (impl or ImplDriver)(cluster)
        self.model = ModelDriver(cluster)
        self.side = self.impl.name
        self._compare_views("the initial state")

    def _compare_views(self, what: str) -> None:
        for nid in self.cluster.ids:
            a, b = self.impl.view(nid), self.model.view(nid)
            if a != b:
                raise ScenarioFailure(
                    f"{self.side} and model diverge after {what}, node {nid}:\n"
                    f"  {self.side}:  {a}\n  model: {b}"
                )

    def _both(self, what: str, act: Callable[[Driver], list[Msg]]) -> list[Msg]:
        got_impl = act(self.impl)
        got_model = act(self.model)
        if Counter(got_impl) != Counter(got_model):
            raise ScenarioFailure(
                f"{self.side} and model send different messages on {what}:\n"
                f"  {self.side}:  {'; '.join(map(str, got_impl)) or 'nothing'}\n"
                f"  model: {'; '.join(map(str, got_model)) or 'nothing'}"
            )
        self._compare_views(what)
        return got_impl

    def hup(self, nid: int) -> list[Msg]:
        return self._both(f"hup({nid})", lambda d: d.hup(nid))

    def tick(self, nid: int) -> list[Msg]:
        return self._both(f"tick({nid})", lambda d: d.tick(nid))

    def step(self, m: Msg) -> list[Msg]:
        return self._both(f"delivery of {m}", lambda d: d.step(m))

    def transfer(self, leader: int, to: int) -> list[Msg]:
        return self._both(f"transfer({leader}, {to})", lambda d: d.transfer(leader, to))

    def append(self, leader: int) -> list[Msg]:
        return self._both(f"append({leader})", lambda d: d.append(leader))

    def beat(self, leader: int) -> list[Msg]:
        return self._both(f"beat({leader})", lambda d: d.beat(leader))

    def restart(self, nid: int) -> None:
        self.impl.restart(nid)
        self.model.restart(nid)
        self._compare_views(f"restart({nid})")

    def view(self, nid: int) -> NodeView:
        return self.impl.view(nid)
