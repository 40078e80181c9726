"""Random walks run on impl (and, marked `etcd`, on etcd's raft library) and the model in
lockstep.

Each walk picks a small configuration (voters, learners, promotion, pre-vote, check-quorum,
rule set, election timeout, initial terms / votes / logs, pending configuration changes) and
then random actions, with messages delivered or dropped in random order. LockstepDriver fails
at the first step where the two sides differ in any node's state or in the messages sent.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from conformance.scenarios import LockstepDriver
from conformance.scenarios.etcd_driver import EtcdDriver
from conformance.scenarios.language import Cluster, Msg, NodeInit

WALKS = 120
STEPS = 80


def random_cluster(rnd: random.Random) -> Cluster:
    voters = rnd.randint(1, 5)
    learners = rnd.randint(0, 2)
    nodes = {}
    for nid in range(1, voters + learners + 1):
        term = rnd.randint(0, 3)
        log = tuple(sorted(rnd.randint(1, term) for _ in range(rnd.randint(0, 3)))) if term else ()
        vote = rnd.choice([0, 0, rnd.randint(1, voters + learners)]) if term else 0
        nodes[nid] = NodeInit(term=term, vote=vote, log=log)
    return Cluster(
        voters=voters,
        learners=learners,
        promoted_learners=learners > 0 and rnd.random() < 0.5,
        pre_vote=rnd.random() < 0.5,
        check_quorum=rnd.random() < 0.5,
        election_timeout=rnd.randint(1, 3),
        rules=rnd.choice(["seed", "etcd-3.4"]),
        nodes=nodes,
        pending_conf=frozenset(i for i in range(1, voters + 1) if rnd.random() < 0.1),
    )


def etcd_cluster(c: Cluster) -> Cluster:
    """`c` as etcd can start it: the `etcd-3.4` rules, and with a pending configuration change
    every log starting with the pending node's committed, unapplied entry (1,)
    (etcdharness/FINDINGS.md 9a and 9c: etcd's pending change is an entry, raft.go:920-927,
    and a committed entry is never overwritten, log.go:94-95)."""
    nodes = dict(c.nodes)
    if c.pending_conf:
        for nid in c.ids:
            init = c.init(nid)
            log = (1,) if nid in c.pending_conf else init.log
            if not log or log[0] != 1:
                log = (1,) + log
            nodes[nid] = replace(init, term=max(init.term, 1), log=log)
    return replace(c, rules="etcd-3.4", nodes=nodes)


@pytest.mark.parametrize(
    "side", ["impl", pytest.param("etcd", marks=pytest.mark.etcd)]
)
@pytest.mark.parametrize("seed", range(WALKS))
def test_random_walk_lockstep(seed: int, side: str, request: pytest.FixtureRequest) -> None:
    """impl (or etcd's raft library, "etcd") and the model on the same random walk."""
    rnd = random.Random(seed)
    c = random_cluster(rnd)
    if side == "etcd":
        etcd = request.getfixturevalue("harness")
        c = etcd_cluster(c)
        d = LockstepDriver(c, lambda cl: EtcdDriver(cl, etcd))
    else:
        d = LockstepDriver(c)
    in_flight: list[Msg] = []
    for _ in range(STEPS):
        r = rnd.random()
        nid = rnd.randint(1, c.n)
        leader = d.view(nid).role == "leader"
        if r < 0.15:
            in_flight += d.hup(nid)
        elif r < 0.30:
            in_flight += d.tick(nid)
        elif r < 0.75 and in_flight:
            m = in_flight.pop(rnd.randrange(len(in_flight)))
            if rnd.random() >= 0.1:  # else dropped
                in_flight += d.step(m)
        elif r < 0.80:
            in_flight += d.beat(nid)
        elif r < 0.85 and leader:
            in_flight += d.append(nid)
        elif r < 0.90 and leader:
            in_flight += d.transfer(nid, rnd.randint(1, c.n + 1))
        elif r < 0.93:
            d.restart(nid)
