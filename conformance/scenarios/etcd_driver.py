"""Scenario driver over etcd 3.4.23's real raft library (etcdharness.client.EtcdRawNode).

The same clock handling as the impl driver (conformance/scenarios/impl_driver.py): the
randomized election timeout is pinned far away (`sticky`, so it survives etcd's redraws on
every state change and restart), and a leader's own heartbeats are withheld by the bridge's
`quiet_tick` (etcd needs HeartbeatTick >= 1 < ElectionTick, raft.go:217-223; the harness'
`unchecked_election_tick` allows ElectionTick 1). `hup` is tickElection's firing: on a
promotable non-leader electionElapsed is set to 0, then MsgHup is stepped.

Initial roles other than follower are set as the impl driver sets them (state, step and tick
functions and lead; no election), through the harness' `set_role`. The nodes run with
`MODEL_BRIDGE` (etcdharness/FINDINGS.md): whole-log MsgApp, pinned commit, quiet leader,
transfer to a caught-up node, quiet tick. Messages are impl's, converted like the impl
driver's.

Only the `etcd-3.4` rule set exists in etcd: other clusters raise `Unsupported`.
"""

from __future__ import annotations

from typing import Any

from conformance.scenarios.impl_driver import RawNodeDriver
from conformance.scenarios.language import Cluster, Msg, ScenarioError

NEVER = 10**9
ETCD_RULES = "etcd-3.4"


class Unsupported(ScenarioError):
    """The scenario needs something etcd does not have (the `seed` rule set)."""


class EtcdDriver(RawNodeDriver):
    """`harness`: an `etcdharness.client.Harness` (None: the process-wide default one)."""

    name = "etcd"

    def __init__(self, cluster: Cluster, harness: Any = None) -> None:
        super().__init__(cluster)
        if cluster.rules != ETCD_RULES:
            raise Unsupported(f"etcd implements {ETCD_RULES} only (rules={cluster.rules!r})")
        from etcdharness.client import MODEL_BRIDGE, EtcdCluster

        self._cluster = EtcdCluster(
            [self._config(nid) for nid in cluster.ids], harness, bridge=MODEL_BRIDGE
        )
        self.nodes = self._cluster.nodes
        h = self._cluster.harness
        reqs: list[dict[str, Any]] = []
        for nid in cluster.ids:
            handle = self.nodes[nid].handle
            reqs.append({"op": "set_randomized_election_timeout", "handle": handle,
                         "value": NEVER, "sticky": True})
            init = cluster.init(nid)
            reqs.append({"op": "set_role", "handle": handle, "role": init.role,
                         "lead": init.lead})
        for r in h.batch(reqs):
            if "error" in r:
                raise ScenarioError(f"etcd harness: {r['error']}")

    def close(self) -> None:
        self._cluster.destroy()

    def _config(self, nid: int) -> Any:
        from etcdharness.client import Config

        c = self.cluster
        voters, lrn = self.views(nid)
        init = c.init(nid)
        return Config(
            id=nid,
            voters=voters,
            learners=lrn,
            election_tick=c.election_timeout,
            heartbeat_tick=1,
            pre_vote=c.pre_vote,
            check_quorum=c.check_quorum,
            rules=c.rules,
            term=init.term,
            vote=init.vote,
            log_terms=init.log,
            pending_conf=nid in c.pending_conf,
            unchecked_election_tick=True,
        )

    def hup(self, nid: int) -> list[Msg]:
        n = self.nodes[nid]
        s = n.status()
        n.campaign(reset_elapsed=s.role != "leader" and s.promotable)
        return self._out(nid)

    def tick(self, nid: int) -> list[Msg]:
        self.nodes[nid].tick()
        return self._out(nid)


def is_etcd_factory(factory: Any) -> bool:
    """True for a driver factory that runs on etcd (`EtcdDriver`, or one marked with an
    `etcd = True` attribute, e.g. a lockstep of etcd and the model): for scenarios with an
    etcd-specific expectation."""
    return factory is EtcdDriver or bool(getattr(factory, "etcd", False))
