"""Scenario driver over any harness speaking specs/HARNESS.md (`--impl cmd:...`).

The etcd driver's requests (conformance/scenarios/etcd_driver.py) on another process: nodes are
created one `create` each with the cluster's rule set, the timeout is pinned sticky, `hup` is
`campaign`. Initial roles other than follower (or a known leader) need the harness' `set_role`
feature; scenarios that need a rule set or a feature the harness lacks raise `Unsupported`
(skipped).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from conformance.scenarios.etcd_driver import NEVER, EtcdDriver, Unsupported
from conformance.scenarios.language import Cluster, Driver, DriverFactory, ScenarioError


class CmdDriver(EtcdDriver):
    """`harness`: a started `etcdharness.client.Harness` on the plug-in (its `info` is the
    hello answer)."""

    name = "cmd"

    def __init__(self, cluster: Cluster, harness: Any) -> None:
        Driver.__init__(self, cluster)
        from etcdharness.client import MODEL_BRIDGE, EtcdRawNode, _spec

        rules = harness.info.get("rules", ["etcd-3.4"])
        if cluster.rules not in rules:
            raise Unsupported(f"the harness implements {', '.join(rules)} only")
        inits = [cluster.init(nid) for nid in cluster.ids]
        if any(i.role != "follower" or i.lead for i in inits) and "set_role" not in \
                harness.info.get("features", []):
            raise Unsupported("initial roles and leaders need the harness feature set_role")
        reqs: list[dict[str, Any]] = []
        configs = [self._config(nid) for nid in cluster.ids]
        for c in configs:
            spec = _spec(dataclasses.replace(c, rules="etcd-3.4"), MODEL_BRIDGE)
            spec["rules"] = c.rules
            reqs.append({"op": "create", "node": spec})
            reqs.append({"op": "set_randomized_election_timeout", "handle": -1,
                         "value": NEVER, "sticky": True})
            init = cluster.init(c.id)
            if init.role != "follower" or init.lead:
                reqs.append({"op": "set_role", "handle": -1, "role": init.role,
                             "lead": init.lead})
        res = harness.batch(reqs)
        bad = [r for r in res if "error" in r]
        if bad:
            raise ScenarioError(f"harness: {bad[0]['error']}")
        created = [r["handle"] for r, q in zip(res, reqs, strict=True) if q["op"] == "create"]
        self.nodes = {
            c.id: EtcdRawNode(c, harness, bridge=MODEL_BRIDGE, _handle=h)
            for c, h in zip(configs, created, strict=True)
        }
        self._harness = harness

    def close(self) -> None:
        for n in self.nodes.values():
            n.destroy()


def cmd_factory(harness: Any) -> DriverFactory:
    """A driver factory on one started plug-in harness."""

    def make(cluster: Cluster) -> Driver:
        return CmdDriver(cluster, harness)

    return make
