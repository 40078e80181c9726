"""Symmetry reduction is exact: same verdicts, fewer states, and orbit counts that match."""

from __future__ import annotations

from dataclasses import replace

import pytest

from explorer.bfs import explore
from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.rules import ETCD_34
from raftcheck.defaults import quick_config

CONFIGS = [
    ClusterConfig(voters=3, max_term=1, max_msgs=2, election_timeout=1),
    ClusterConfig(
        voters=3, max_term=1, max_msgs=2, election_timeout=1, pre_vote=True, check_quorum=True
    ),
    ClusterConfig(
        voters=2,
        learners=1,
        promoted_learners=True,
        max_term=2,
        max_msgs=2,
        election_timeout=1,
        rules="seed",
    ),
    ClusterConfig(voters=3, max_term=1, max_msgs=2, election_timeout=1, restarts=1, duplicates=1),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"v{c.voters}l{c.learners}{c.rules}")
def test_same_verdicts_fewer_states(cfg: ClusterConfig) -> None:
    full = explore(ClusterModel(cfg))
    reduced = explore(ClusterModel(cfg), symmetry=True)
    assert full.complete and reduced.complete
    assert full.invariants == reduced.invariants
    assert reduced.distinct_states < full.distinct_states


def test_orbit_count_matches_brute_force() -> None:
    """Count orbits of the full state set by canonicalising each full state independently."""
    cfg = CONFIGS[0]
    full_model = ClusterModel(cfg)
    full = explore(full_model, record_graph=True)
    orbits = {full_model.canonical(st) for st in full.states}
    reduced = explore(ClusterModel(cfg), symmetry=True)
    assert len(orbits) == reduced.distinct_states


def test_symmetry_finds_the_same_shortest_violation_length() -> None:
    bug = ETCD_34.with_rules("quorum-floor", quorum=lambda n: n // 2)
    cfg = replace(quick_config(4), max_term=1)
    a = explore(ClusterModel(cfg, bug))
    b = explore(ClusterModel(cfg, bug), symmetry=True)
    assert [(v.invariant, len(v)) for v in a.violations] == [
        (v.invariant, len(v)) for v in b.violations
    ]
