"""Distributed exploration on Ray (explorer/distributed.py) against the single-process engine:
the same distinct states, transitions, depth, action counts and verdicts; a shortest
counterexample of the same length on a planted bug; a killed worker stops the run as partial.

One local Ray cluster for the session (conftest.py: loopback, 2 CPUs, no dashboard).
Without the `distributed` extra these tests are skipped, except where RAFTCHECK_REQUIRE_RAY=1
(CI), where its absence fails them.
"""
from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import Any

import pytest
from click.testing import CliRunner

from explorer.bfs import Limits, Result
from explorer.fast import explore_fast
from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.topology import parse_partition
from model.variants import VARIANTS_BY_NAME
from raftcheck.cli import main

if os.environ.get("RAFTCHECK_REQUIRE_RAY") == "1":
    import ray
else:
    ray = pytest.importorskip("ray", reason="the distributed extra is not installed")

from explorer.distributed import explore_ray  # noqa: E402

pytestmark = pytest.mark.usefixtures("ray_cluster")

BASE = ClusterConfig(voters=3, max_term=2, max_msgs=2)


def same_counts(local: Result, dist: Result) -> None:
    assert (dist.distinct_states, dist.transitions, dist.max_depth) == (
        local.distinct_states, local.transitions, local.max_depth)
    assert dist.action_counts == local.action_counts
    assert dist.invariants == local.invariants
    assert dist.complete == local.complete


@pytest.mark.parametrize(
    ("cfg", "symmetry", "workers"),
    [
        (BASE, False, 2),
        (replace(BASE, pre_vote=True, max_term=1), True, 2),
        (ClusterConfig(voters=4, max_term=1, max_msgs=3, check_quorum=True), True, 3),
        (ClusterConfig(voters=4, max_term=1, max_msgs=3, pre_vote=True), True, 2),
        (replace(BASE, max_term=1, pre_vote=True, partition_faults=1,
                 cut_links=parse_partition("3|1,2", 3)), False, 2),
    ],
    ids=["3 voters", "3 voters pre-vote, symmetry", "4 voters cq, symmetry, 3 workers",
         "4 voters pre-vote, symmetry", "network: partition fault"],
)
def test_distributed_counts_match_one_process(cfg: ClusterConfig, symmetry: bool,
                                              workers: int) -> None:
    local = explore_fast(ClusterModel(cfg), symmetry=symmetry)
    dist, info = explore_ray(ClusterModel(cfg), workers=workers, symmetry=symmetry,
                             round_states=4096)
    assert local.complete and local.distinct_states > 1000
    same_counts(local, dist)
    assert dist.engine == "ray" and dist.workers == workers
    # every worker owns a share, and the shares add up
    assert len(info.worker_states) == workers and all(info.worker_states)
    assert sum(info.worker_states) == dist.distinct_states
    assert info.bytes_routed > 0 and info.lost_worker is None


@pytest.mark.parametrize("symmetry", [False, True])
def test_planted_bug_gives_a_shortest_counterexample(symmetry: bool) -> None:
    v = VARIANTS_BY_NAME["reset-clears-vote"]
    cfg = replace(BASE, max_msgs=3, rules=v.baseline)
    local = explore_fast(ClusterModel(cfg, v.rules), symmetry=symmetry)
    model = ClusterModel(cfg, v.rules)
    dist, _ = explore_ray(model, workers=2, symmetry=symmetry, round_states=2048)
    assert local.violations and dist.violations
    assert dist.invariants == local.invariants
    assert not dist.complete and dist.stop_reason == "invariant violated"
    lv, dv = local.violations[0], dist.violations[0]
    assert dv.invariant == lv.invariant
    assert len(dv.steps) == len(lv.steps)
    # the trace is the model's own: replaying its actions reaches its states, and the last
    # one breaks the invariant
    cur = dv.init
    for step in dv.steps:
        cur = model.next_state(cur, step.action)
        assert cur == step.state
    assert dv.invariant in model.violations(cur)
    # after the run the model interns on its own again (the shared table is gone)
    assert "node_id" not in vars(model) and "msg_id" not in vars(model)


@pytest.mark.slow  # explores the variant's whole space twice (about 10 s)
def test_keep_going_finds_a_shortest_violation_of_each_invariant() -> None:
    v = VARIANTS_BY_NAME["reset-clears-vote"]
    cfg = replace(BASE, max_msgs=3, rules=v.baseline)
    local = explore_fast(ClusterModel(cfg, v.rules), symmetry=True, keep_going=True)
    dist, _ = explore_ray(ClusterModel(cfg, v.rules), workers=2, symmetry=True,
                          keep_going=True)
    assert dist.invariants == local.invariants
    assert sorted((x.invariant, len(x.steps)) for x in dist.violations) == sorted(
        (x.invariant, len(x.steps)) for x in local.violations)


def test_limits_leave_verdicts_unknown() -> None:
    cut, _ = explore_ray(ClusterModel(BASE), workers=2, limits=Limits(max_states=3000),
                         round_states=512)
    assert not cut.complete and cut.stop_reason == "state limit 3000 reached"
    assert set(cut.invariants.values()) == {"unknown"}
    deep, _ = explore_ray(ClusterModel(BASE), workers=2, limits=Limits(max_depth=5))
    ref = explore_fast(ClusterModel(BASE), limits=Limits(max_depth=5))
    assert (deep.distinct_states, deep.stop_reason) == (ref.distinct_states, ref.stop_reason)


def test_a_killed_worker_stops_the_run_as_partial() -> None:
    def kill_one(actors: list[Any], rounds: int) -> None:
        if rounds == 3:
            ray.kill(actors[1])

    dist, info = explore_ray(ClusterModel(BASE), workers=2, round_states=256,
                             after_round=kill_one)
    assert not dist.complete
    assert dist.stop_reason is not None and "worker was lost" in dist.stop_reason
    assert info.lost_worker
    assert set(dist.invariants.values()) == {"unknown"}
    assert dist.distinct_states < explore_fast(ClusterModel(BASE)).distinct_states


def test_cli_ray_json_has_the_local_keys_and_ray_info() -> None:
    args = ["explore", "--bounds", "quick", "--max-term", "1", "--json"]
    local = CliRunner().invoke(main, args)
    dist = CliRunner().invoke(main, [*args, "--ray", "auto", "--ray-workers", "2"])
    assert local.exit_code == dist.exit_code == 0, dist.output
    assert "ray: 2 workers on auto" in dist.stderr
    a, b = json.loads(local.stdout), json.loads(dist.stdout)
    assert set(a) <= set(b) and set(b) - set(a) == {"ray"}
    assert b["ray"]["workers"] == 2 and b["ray"]["bytes_routed_per_state"] > 0
    for key in ("distinct_states", "transitions", "max_depth", "invariants", "complete",
                "action_counts", "config"):
        assert b[key] == a[key]
    assert b["engine"] == "ray"


def test_fingerprint_mode_counts_and_traces_as_one_process() -> None:
    v = VARIANTS_BY_NAME["reset-clears-vote"]
    cfg = replace(BASE, max_msgs=3, rules=v.baseline)
    local = explore_fast(ClusterModel(cfg, v.rules), symmetry=True, fingerprint=True)
    dist, _ = explore_ray(ClusterModel(cfg, v.rules), workers=2, symmetry=True,
                          fingerprint=True, round_states=1024)
    assert local.violations and dist.violations
    assert [len(x.steps) for x in dist.violations] == [len(x.steps) for x in local.violations]
    clean = replace(BASE, max_term=1)
    a = explore_fast(ClusterModel(clean), fingerprint=True)
    b, _ = explore_ray(ClusterModel(clean), workers=2, fingerprint=True, round_states=512)
    same_counts(a, b)
    assert b.fingerprint_collision is not None
