"""The fast engine (compiled core) against the reference explorer: same counts, same verdicts,
same traces. The reference is the specification the core must match."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from explorer.bfs import Limits, explore
from explorer.engines import run_search
from explorer.fast import EngineUnavailable, explore_fast, unavailable_reason
from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.topology import parse_links, parse_partition
from model.variants import VARIANTS_BY_NAME

pytest.importorskip("explorer._fastcore", reason="the compiled core is not built")

BASE = ClusterConfig(voters=3, max_term=1, max_msgs=2)
CONFIGS = {
    "plain": BASE,
    "pv+cq": replace(BASE, pre_vote=True, check_quorum=True),
    "faults": replace(BASE, duplicates=1, restarts=1, transfers=1, appends=1),
    "no-drop": replace(BASE, drop=False, max_term=2, max_msgs=3),
    "learner": ClusterConfig(voters=2, learners=1, promoted_learners=True, max_term=1, max_msgs=2),
    "logs": replace(
        BASE, max_term=2, init_terms=((1, 1), (2, 1)), init_logs=((1, (1,)), (2, (1,)))
    ),
    "start leader pv+cq": replace(BASE, max_term=2, pre_vote=True, check_quorum=True,
                                  start_leader=2),
}
# Networks (model/network.py): cut and lossy links, heal/split faults. No symmetry: links keep
# nodes apart.
NET_CONFIGS = {
    "cut 1-3": replace(BASE, cut_links=parse_partition("1-3", 3)),
    "isolated pv+cq": replace(BASE, max_term=2, max_msgs=1, pre_vote=True, check_quorum=True,
                              cut_links=parse_partition("3|1,2", 3)),
    "lossy, no drop": replace(BASE, max_msgs=3, drop=False,
                              lossy_links=parse_links("1-2", 3, "--lossy")),
    "lossy+cut cq": replace(BASE, check_quorum=True, lossy_links=parse_links("1-2", 3, "--lossy"),
                            cut_links=parse_partition("2-3", 3)),
    "1 fault pv": replace(BASE, pre_vote=True, partition_faults=1,
                          cut_links=parse_partition("3|1,2", 3)),
    "2 faults later cq": replace(BASE, check_quorum=True, partition_faults=2,
                                 partition_later=True, cut_links=parse_partition("1-3", 3)),
    "crashed 3": replace(BASE, max_term=2, crashed=frozenset({3})),
    "start leader 1, cut 1-3 pv": replace(BASE, max_term=2, pre_vote=True, start_leader=1,
                                          cut_links=parse_partition("1-3", 3)),
    "start leader 3, crashed 4, cut 1-3 cq": ClusterConfig(
        voters=4, max_term=2, max_msgs=3, check_quorum=True, start_leader=3,
        crashed=frozenset({4}), cut_links=parse_partition("1-3", 4)),
    "2 faults, no drop, faults": replace(
        BASE, drop=False, partition_faults=2, cut_links=parse_partition("1-3", 3), restarts=1,
        transfers=1),
}
# 80k-240k states: 5-15 s each on the reference engine.
SLOW_NET_CONFIGS = {
    "cut 1-3, max term 2": replace(BASE, max_term=2, cut_links=parse_partition("1-3", 3)),
    "isolated pv+cq, max term 2": replace(BASE, max_term=2, pre_vote=True, check_quorum=True,
                                          cut_links=parse_partition("3|1,2", 3)),
    "2 faults, no drop, all faults": replace(
        BASE, drop=False, partition_faults=2, cut_links=parse_partition("1-3", 3),
        duplicates=1, restarts=1, transfers=1, appends=1),
    "5 voters, partial partition": ClusterConfig(
        voters=5, max_term=1, max_msgs=2, pre_vote=True, check_quorum=True,
        cut_links=parse_partition("1-4,1-5,3-4,2-5,4-5", 5)),
}
# Rule mistakes whose violations need the network within these bounds (without drops, the
# bounded network fills up and stalls unless a partition loses messages).
NET_BUGS = {
    "reset-clears-vote": replace(BASE, max_term=2, drop=False, check_quorum=True,
                                 cut_links=parse_partition("1-3", 3)),
    "canvote-always": replace(BASE, max_term=2, drop=False, pre_vote=True, check_quorum=True,
                              partition_faults=1, partition_later=True,
                              cut_links=parse_partition("3|1,2", 3)),
}
# Membership changes (issue 14): propose-conf and apply on the core, the conf budget word.
CONF_BASE = ClusterConfig(voters=2, learners=1, start_leader=1, max_term=1, max_msgs=3,
                          drop=False, conf_changes=1)
# 36k-240k states each: a few seconds on the reference.
CONF_CONFIGS = {
    "promote": replace(CONF_BASE, conf_specs=("promote:3",)),
    "remove pv+cq": replace(CONF_BASE, conf_specs=("remove:2",), pre_vote=True,
                            check_quorum=True),
    "any kind, faults": replace(CONF_BASE, learners=0, spares=1, max_msgs=2, restarts=1,
                                transfers=1, duplicates=1,
                                conf_kinds=("add", "remove", "promote", "demote")),
    "joint, cut 3|1,2, 1 fault": ClusterConfig(
        voters=3, spares=1, start_leader=1, max_term=1, max_msgs=2, drop=False,
        conf_changes=1, rules="etcd-3.5", conf_kinds=("add", "remove", "joint"),
        conf_specs=("joint:add:4+remove:3",), cut_links=parse_partition("3|1,2", 4),
        partition_faults=1),
}
# etcd 3.4.23's auto-leave keeps pendingConfIndex (etcd #12582): a second leave-joint is
# accepted and ConfOneAtATime breaks; the same run under etcd-3.5 holds.
CONF_BUG = ClusterConfig(voters=3, spares=1, start_leader=1, max_term=1, max_msgs=3,
                         drop=False, conf_changes=1, conf_kinds=("joint",),
                         conf_specs=("joint:add:4+remove:3",))
# Slower without symmetry (about 20 s on the reference): symmetric runs only.
SYMMETRIC_ONLY = {"4 voters": ClusterConfig(voters=4, max_term=1, max_msgs=3, check_quorum=True)}


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert (a.distinct_states, a.transitions, a.max_depth) == (
        b.distinct_states, b.transitions, b.max_depth)
    assert a.action_counts == b.action_counts
    assert a.invariants == b.invariants
    assert (a.complete, a.stop_reason) == (b.complete, b.stop_reason)
    assert [(v.invariant, v.init, [(s.action, s.state) for s in v.steps]) for v in a.violations] \
        == [(v.invariant, v.init, [(s.action, s.state) for s in v.steps]) for v in b.violations]


@pytest.mark.parametrize(
    ("name", "symmetry"),
    [(n, s) for n in sorted(CONFIGS) for s in (False, True)] + [(n, True) for n in SYMMETRIC_ONLY])
def test_fast_engine_matches_reference(name: str, symmetry: bool) -> None:
    cfg = CONFIGS.get(name) or SYMMETRIC_ONLY[name]
    ref = explore(ClusterModel(cfg), symmetry=symmetry)
    fast = explore_fast(ClusterModel(cfg), symmetry=symmetry)
    assert ref.complete and ref.distinct_states > 100
    _same(ref, fast)
    assert fast.engine == "fast" and fast.state_bytes


# Keeping going without symmetry explores the whole space: left to the benchmark.
@pytest.mark.parametrize(("keep_going", "symmetry"), [(False, False), (False, True), (True, True)])
@pytest.mark.parametrize("variant", ["reset-clears-vote", "quorum-half"])
def test_violations_and_traces_match(variant: str, keep_going: bool, symmetry: bool) -> None:
    v = VARIANTS_BY_NAME[variant]
    cfg = replace(BASE, max_term=2, max_msgs=3, rules=v.baseline)
    ref = explore(ClusterModel(cfg, v.rules), symmetry=symmetry, keep_going=keep_going)
    fast = explore_fast(ClusterModel(cfg, v.rules), symmetry=symmetry, keep_going=keep_going)
    assert ref.violations, "the variant must break an invariant here"
    _same(ref, fast)


@pytest.mark.parametrize(
    "limits", [Limits(max_states=5000), Limits(max_depth=7)], ids=["states", "depth"])
def test_limits_stop_at_the_same_point(limits: Limits) -> None:
    cfg = CONFIGS["pv+cq"]
    ref = explore(ClusterModel(cfg), limits=limits)
    fast = explore_fast(ClusterModel(cfg), limits=limits)
    assert not fast.complete and "unknown" in fast.invariants.values()
    _same(ref, fast)


def test_fingerprint_mode_counts_and_reports_collision_chance() -> None:
    cfg = CONFIGS["pv+cq"]
    exact = explore_fast(ClusterModel(cfg))
    fp = explore_fast(ClusterModel(cfg), fingerprint=True)
    assert fp.distinct_states == exact.distinct_states
    assert fp.transitions == exact.transitions
    assert fp.fingerprint_collision is not None and 0 < fp.fingerprint_collision < 1e-6
    assert exact.fingerprint_collision is None


def test_fingerprint_mode_rebuilds_traces_without_kept_states() -> None:
    v = VARIANTS_BY_NAME["reset-clears-vote"]
    cfg = replace(BASE, max_term=2, max_msgs=3, rules=v.baseline)
    ref = explore(ClusterModel(cfg, v.rules), symmetry=True)
    fp = explore_fast(ClusterModel(cfg, v.rules), symmetry=True, fingerprint=True)
    _same(ref, fp)


def test_memory_budget_stops_the_run_as_partial() -> None:
    res = explore_fast(ClusterModel(CONFIGS["pv+cq"]), max_memory=1)
    assert not res.complete and res.stop_reason == "memory budget reached"
    assert set(res.invariants.values()) == {"unknown"}


def _core_successors_match(model: ClusterModel, states: int = 3000) -> set[str]:
    """Walk `states` states depth first: the core lists the model's successors, in its order
    and with its kinds. The kinds seen."""
    from explorer import _fastcore  # type: ignore[attr-defined]

    names = [i.name for i in model.invariants()]
    t = model.core_tables(names)
    core = _fastcore.Core(t, *t.layout, len(names), False, False)
    frontier, seen = list(model.init_states()), set()
    kinds: set[str] = set()
    while frontier and len(seen) < states:
        st = frontier.pop()
        if st in seen:
            continue
        seen.add(st)
        expected = model.successors(st)
        got = core.successors(st)
        assert [s for _, _, s in got] == [s for _, s in expected]
        assert [t.kind_names[k] for _, k, _ in got] == [a[0] for a, _ in expected]
        kinds.update(a[0] for a, _ in expected)
        frontier.extend(s for _, s in expected)
    return kinds


def test_core_successors_equal_the_models() -> None:
    _core_successors_match(ClusterModel(CONFIGS["faults"]))


def test_liveness_models_fall_back_to_the_reference_with_a_note() -> None:
    from model.liveness import Liveness, LivenessOptions

    model = ClusterModel(BASE, liveness=Liveness(LivenessOptions()))
    assert unavailable_reason(model) is not None
    with pytest.raises(EngineUnavailable):
        explore_fast(model)
    notes: list[str] = []
    res = run_search(model, note=notes.append)
    assert res.engine == "reference" and notes and notes[0].startswith("engine: reference")


def test_network_models_run_on_the_fast_engine() -> None:
    notes: list[str] = []
    res = run_search(ClusterModel(NET_CONFIGS["cut 1-3"]), note=notes.append)
    assert res.engine == "fast" and not notes


def test_symmetry_is_refused_with_a_network() -> None:
    with pytest.raises(ValueError, match="symmetry"):
        explore_fast(ClusterModel(NET_CONFIGS["cut 1-3"]), symmetry=True)


def test_cli_engine_flags() -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "raftcheck.cli", "explore", "--nodes", "3",
                               "--max-term", "1", "--json", *args],
                              capture_output=True, text=True, timeout=120)

    import json

    fast, ref = run(), run("--engine", "reference")
    a, b = json.loads(fast.stdout), json.loads(ref.stdout)
    assert (a["engine"], b["engine"]) == ("fast", "reference")
    assert a["distinct_states"] == b["distinct_states"] and a["transitions"] == b["transitions"]
    bad = run("--engine", "turbo")
    assert bad.returncode == 2
    fp = json.loads(run("--state-set", "fingerprint").stdout)
    assert fp["fingerprint_collision"] is not None


@pytest.mark.parametrize(
    "name",
    sorted(NET_CONFIGS) + [pytest.param(n, marks=pytest.mark.slow) for n in SLOW_NET_CONFIGS])
def test_fast_engine_matches_reference_with_a_network(name: str) -> None:
    cfg = NET_CONFIGS.get(name) or SLOW_NET_CONFIGS[name]
    ref = explore(ClusterModel(cfg))
    fast = explore_fast(ClusterModel(cfg))
    assert ref.complete and ref.distinct_states > 1000
    _same(ref, fast)
    assert fast.engine == "fast"
    if cfg.partition_faults:  # the partition heals (or splits, when it comes later)
        kind = "split" if cfg.partition_later else "heal"
        assert fast.action_counts.get(kind)


@pytest.mark.parametrize("keep_going", [False, True])
@pytest.mark.parametrize("variant", sorted(NET_BUGS))
def test_violations_across_a_partition_match(variant: str, keep_going: bool) -> None:
    v = VARIANTS_BY_NAME[variant]
    cfg = NET_BUGS[variant]
    connected = explore_fast(ClusterModel(replace(cfg, cut_links=frozenset(), partition_faults=0,
                                                  partition_later=False), v.rules))
    assert connected.complete and not connected.violations, "found without the partition"
    ref = explore(ClusterModel(cfg, v.rules), keep_going=keep_going)
    fast = explore_fast(ClusterModel(cfg, v.rules), keep_going=keep_going)
    assert ref.violations, "the variant must break an invariant across the partition"
    _same(ref, fast)


@pytest.mark.parametrize("name", ["2 faults, no drop, faults", "lossy+cut cq"])
def test_core_successors_equal_the_models_with_a_network(name: str) -> None:
    _core_successors_match(ClusterModel(NET_CONFIGS[name]))


def test_liveness_runs_make_their_safety_run_on_the_fast_engine() -> None:
    import json

    def run(*args: str) -> dict:  # type: ignore[type-arg]
        p = subprocess.run(
            [sys.executable, "-m", "raftcheck.cli", "explore", "--liveness", "--nodes", "3",
             "--partition", "3|1,2", "--partition-faults", "1", "--max-term", "2", "--max-msgs",
             "2", "--json", *args], capture_output=True, text=True, timeout=300)
        assert "engine: reference" not in p.stderr or args
        return json.loads(p.stdout)  # type: ignore[no-any-return]

    fast, ref = run(), run("--engine", "reference")
    assert (fast["engine"], ref["engine"]) == ("fast", "reference")
    for k in ("distinct_states", "transitions", "action_counts", "invariants", "liveness"):
        if k == "liveness":
            strip = ("seconds", "states_per_second", "bytes")
            fast[k] = {a: b for a, b in fast[k].items() if not a.startswith(strip)}
            ref[k] = {a: b for a, b in ref[k].items() if not a.startswith(strip)}
        assert fast[k] == ref[k], k


@pytest.mark.parametrize("name", sorted(CONF_CONFIGS))
def test_fast_engine_matches_reference_with_membership_changes(name: str) -> None:
    cfg = CONF_CONFIGS[name]
    ref = explore(ClusterModel(cfg))
    fast = explore_fast(ClusterModel(cfg))
    assert ref.complete and ref.distinct_states > 1000
    assert ref.action_counts.get("apply") and ref.action_counts.get("propose-conf")
    _same(ref, fast)


@pytest.mark.parametrize("rules", ["etcd-3.4", "etcd-3.5"])
def test_membership_violations_match(rules: str) -> None:
    cfg = replace(CONF_BUG, rules=rules)
    ref = explore(ClusterModel(cfg))
    fast = explore_fast(ClusterModel(cfg), fingerprint=True)
    assert bool(ref.violations) == (rules == "etcd-3.4")
    if ref.violations:
        assert ref.violations[0].invariant == "ConfOneAtATime"
    _same(ref, fast)


@pytest.mark.parametrize("name", ["any kind, faults", "joint, cut 3|1,2, 1 fault"])
def test_core_successors_equal_the_models_with_membership_changes(name: str) -> None:
    kinds = _core_successors_match(ClusterModel(CONF_CONFIGS[name]))
    assert {"apply", "propose-conf"} <= kinds


def test_membership_changes_run_on_both_workers() -> None:
    cfg = CONF_CONFIGS["promote"]
    one = explore_fast(ClusterModel(cfg))
    two = explore_fast(ClusterModel(cfg), workers=2)
    _same(one, two)
