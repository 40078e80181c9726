"""The abstraction function, message round trips, and model_step against successors."""

from __future__ import annotations

import random

import pytest

from conformance.abstraction import (
    ImplCluster,
    abstract,
    abstract_message,
    abstract_node,
    abstract_node_via_status,
    concrete_message,
)
from conformance.engine import Lockstep
from conformance.modelstep import candidates, model_step
from model.cluster import ClusterModel
from model.config import ClusterConfig

KINDS = ("tick", "timeout", "heartbeat", "deliver", "drop", "duplicate", "restart", "transfer",
         "append")

CONFIGS = [
    ClusterConfig(),
    ClusterConfig(pre_vote=True, check_quorum=True, election_timeout=1),
    ClusterConfig(voters=5, learners=2, promoted_learners=True, rules="seed", duplicates=2,
                  restarts=1, transfers=1, appends=2, max_term=6, max_msgs=12),
    ClusterConfig(voters=4, learners=1, check_quorum=True, init_terms=((1, 2), (2, 1)),
                  init_logs=((1, (1, 2)),), pending_conf=frozenset({3}), max_term=5,
                  max_msgs=10, appends=1, transfers=1, restarts=1, duplicates=1),
]


def random_walk(cfg: ClusterConfig, seed: int, steps: int) -> Lockstep:
    rnd = random.Random(seed)
    run = Lockstep(cfg)
    assert not run.init_problems
    for _ in range(steps):
        acts = [a for k in KINDS for a in candidates(run.model, run.state, k)]
        s = run.step(rnd.choice(acts))
        assert s is None or not s.problems, "\n".join(run.render())
    return run


@pytest.mark.parametrize("cfg", CONFIGS)
def test_initial_abstraction_is_the_model_initial_state(cfg: ClusterConfig) -> None:
    model = ClusterModel(cfg)
    assert abstract(ImplCluster(cfg), model) == model.init_states()[0]


@pytest.mark.parametrize("cfg", CONFIGS)
def test_model_step_matches_successors(cfg: ClusterConfig) -> None:
    model = ClusterModel(cfg)
    rnd = random.Random(3)
    for walk in range(15):
        st = model.init_states()[0]
        for _ in range(40):
            succ = dict(model.successors(st))
            for k in KINDS:
                for a in candidates(model, st, k):
                    assert model_step(model, st, a) == succ.get(a), (a, walk)
            listed = {a for a in succ}
            tried = {a for k in KINDS for a in candidates(model, st, k)}
            assert listed <= tried
            if not succ:
                break
            st = succ[rnd.choice(sorted(succ, key=repr))]


@pytest.mark.parametrize("cfg", CONFIGS)
def test_fast_abstraction_equals_status_abstraction(cfg: ClusterConfig) -> None:
    run = random_walk(cfg, 1, 150)
    for rn in run.impl.nodes:
        et, cq = cfg.election_timeout, cfg.check_quorum
        assert abstract_node(rn, et, cq) == abstract_node_via_status(rn, et, cq)


def test_messages_round_trip() -> None:
    run = random_walk(CONFIGS[2], 5, 200)
    seen = 0
    for st in [s.after for s in run.steps]:
        for m in run.model.messages(st):
            assert abstract_message(concrete_message(m)) == m
            seen += 1
    assert seen > 0
