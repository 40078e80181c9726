#!/usr/bin/env python3
"""The model against real etcd 3.4.23 with membership changes, every divergence kept.

    python bench/etcd_conf_survey.py [SECONDS_PER_CASE]   (default 60)

Runs the exhaustive differential (`run_differential`, `keep_going`) with `EtcdBackend` on a
few membership-change configurations and classifies the divergences by the findings of
etcdharness/FINDINGS.md: 26 (pendingConfIndex after the automatic leave), 29 (the answer to
a stale whole-log append below the follower's commit), 30 (a response from a removed node
refused by RawNode.Step). Needs the harness (bash etcdharness/build.sh).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import Any

from conformance.differential import DiffDivergence, run_differential
from conformance.nodes import EtcdBackend
from model.config import ClusterConfig

CASES: dict[str, dict[str, Any]] = {
    "promote 2v+1l": dict(voters=2, learners=1, conf_specs=("promote:3",),
                          conf_kinds=("promote",), max_term=1, max_msgs=2),
    "promote 2v+1l t2": dict(voters=2, learners=1, conf_specs=("promote:3",),
                             conf_kinds=("promote",), max_term=2, max_msgs=2),
    "remove 3v": dict(voters=3, conf_specs=("remove:3",), conf_kinds=("remove",), max_term=2,
                      max_msgs=3),
    "demote 3v": dict(voters=3, conf_specs=("demote:3",), conf_kinds=("demote",), max_term=1,
                      max_msgs=3),
    "add spare 2v+1s": dict(voters=2, spares=1, conf_specs=("add:3",), conf_kinds=("add",),
                            max_term=1, max_msgs=2),
    "joint auto 3v+1l": dict(voters=3, learners=1, conf_specs=("joint:promote:4+remove:1",),
                             conf_kinds=("promote", "remove", "joint"), max_term=1,
                             max_msgs=2),
    "joint auto 3v+1l t2 m3": dict(voters=3, learners=1,
                                   conf_specs=("joint:promote:4+remove:1",),
                                   conf_kinds=("promote", "remove", "joint"), max_term=2,
                                   max_msgs=3),
    "joint explicit 3v+1l": dict(voters=3, learners=1,
                                 conf_specs=("joint-explicit:promote:4+remove:1",),
                                 conf_kinds=("promote", "remove", "joint"), max_term=1,
                                 max_msgs=2),
    "promote 3v+1l pv+cq": dict(voters=3, learners=1, conf_specs=("promote:4",),
                                conf_kinds=("promote",), max_term=1, max_msgs=2,
                                pre_vote=True, check_quorum=True),
    "v1+v2 remove 3v": dict(voters=3, conf_specs=("remove:3",), conf_kinds=("remove",),
                            max_term=1, max_msgs=2, conf_entry=("v1", "v2")),
}


def classify(d: DiffDivergence) -> str:
    s = " ".join(d.problems)
    if "pending_conf_index" in s:
        return "26 pendingConfIndex after auto-leave"
    if "ErrStepPeerNotFound" in s:
        return "30 response from a removed node"
    if "MsgAppResp" in s and "index=" in s:
        return "29 stale append answer"
    if "no impl node for node" in s:
        # keep_going: a state reached only through a diverging step has no etcd node
        return "follow-on of an earlier divergence"
    return "other: " + s[:200]


def main(argv: list[str]) -> int:
    limit = float(argv[1]) if len(argv) > 1 else 60.0
    backend = EtcdBackend()
    other = 0
    try:
        for name, kw in CASES.items():
            cfg = ClusterConfig(election_timeout=1, conf_changes=1, rules="etcd-3.4", **kw)
            cfg.validate()
            t = time.time()
            rep = run_differential(cfg, time_limit=limit, keep_going=True, backend=backend,
                                   max_states=3_000_000)
            kinds = Counter(classify(d) for d in rep.divergences)
            other += sum(n for k, n in kinds.items() if k.startswith("other"))
            done = "complete" if rep.complete else f"incomplete ({rep.stop_reason})"
            print(f"{name}: {done}, {rep.states} states, {rep.transitions} transitions, "
                  f"{rep.local_steps} etcd steps, {time.time() - t:.1f}s; divergences "
                  f"{dict(kinds) or 'none'}", flush=True)
    finally:
        backend.close()
    return 1 if other else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
