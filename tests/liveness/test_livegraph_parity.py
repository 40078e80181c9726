"""The compiled liveness-graph builder (explorer/livegraph.py, explorer/_fastcore.c) against the
reference `explore_graph`: on every kind of liveness configuration the tests use, the same
graph (states and their numbers, parents, edges with labels and keys, flags, bound states,
action counts, depth, stop reason), hence the same verdicts and lassos."""

from __future__ import annotations

import shlex
from typing import Any

import pytest
from click.testing import CliRunner

import explorer.livegraph as livegraph
from audit.liveness import (
    BRIDGE,
    CHECK_QUORUM_2,
    LEARNER_AHEAD,
    LEARNER_BEHIND,
    LEARNER_CUT,
    STALE_TERM,
)
from explorer.bfs import Limits, Progress
from explorer.livegraph import PackedStates, build_graph, compiled_graph
from explorer.liveness import LiveGraph, LivenessVerdicts, explore_graph
from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.liveness import Liveness, LivenessOptions
from model.rules import RuleSet
from model.variants import VARIANTS_BY_NAME
from raftcheck.cli import explore_cmd, main, prepare_exploration
from raftcheck.liveness_run import liveness_graph

# (name, explore arguments): no partition, chain, lossy, rejoin, each flag, the timing
# assumptions, learners, pending configurations, broken variants, limits
CLI_CONFIGS: dict[str, str] = {
    "n2": "--nodes 2",
    "n2-pv-cq": "--nodes 2 --pre-vote --check-quorum",
    "n3": "--nodes 3",
    "n3-pv": "--nodes 3 --pre-vote",
    "n3-cq": "--nodes 3 --check-quorum --max-term 2 --max-msgs 2",
    "learners-silent": "--variant learners-silent --nodes 2 --learners 1 --promoted-learners "
                       "--partition 2|1,3",
    "learners-etcd": "--nodes 2 --learners 1 --promoted-learners --partition 2|1,3",
    "lossy": "--nodes 3 --lossy 1-3 --max-term 2 --max-msgs 2",
    "lossy-pv": "--nodes 3 --pre-vote --lossy 1-3 --max-term 2 --max-msgs 2",
    "rejoin": "--nodes 3 --partition 3|1,2 --partition-faults 1 --max-term 2 --max-msgs 2",
    "rejoin-later": "--nodes 3 --partition 3|1,2 --partition-faults 2 --partition-later "
                    "--max-term 2 --max-msgs 2",
    "static-groups": "--nodes 3 --partition 3|1,2 --max-term 2 --max-msgs 2",
    "chain": "--nodes 3 --partition 1-3 --max-term 2 --max-msgs 2",
    "chain-pv": "--nodes 3 --pre-vote --partition 1-3 --max-term 2 --max-msgs 2",
    "assume-none": "--nodes 3 --assume none --max-msgs 2",
    "assume-hb": "--nodes 3 --assume heartbeats --max-term 2 --max-msgs 2",
    "pending-conf": "--nodes 3 --pending-conf 1 --pending-conf 2 --pending-conf 3",
    "broken-variant": "--nodes 3 --pre-vote --variant reject-request-term --max-msgs 2",
    "faults": "--nodes 3 --faults duplicate,restart --fault-budget 1 --max-term 2 "
              "--max-msgs 2",
    "transfer-append": "--nodes 2 --faults duplicate,restart --transfers 1 --appends 1 "
                       "--max-term 2 --max-msgs 2",
    "terms-logs": "--nodes 3 --pre-vote --term 1:2 --term 2:1 --term 3:1 --log 1:1,2 --log 2:1 "
                  "--max-msgs 2",
    "start-leader-chain": "--nodes 3 --start-leader 1 --partition 1-3 --max-term 2 --max-msgs 2",
    "start-leader-pv-cq": "--nodes 3 --pre-vote --check-quorum --start-leader 2 --max-term 2 "
                          "--max-msgs 2",
    "crashed": "--nodes 3 --crashed 3 --max-term 2",
    "crashed-start-leader-pv": "--nodes 4 --pre-vote --crashed 4 --start-leader 1 "
                               "--partition 1-3 --max-term 2 --max-msgs 3",
    "state-limit": "--nodes 3 --max-states 700",
    "depth-limit": "--nodes 3 --max-depth 6",
}
# larger ones (seconds to a minute each): pytest -m slow
SLOW_CONFIGS: dict[str, str] = {
    "lossy-cq": "--nodes 3 --check-quorum --lossy 1-3 --max-term 2 --max-msgs 2",
    "rejoin-pv-cq": "--nodes 3 --pre-vote --check-quorum --partition 3|1,2 "
                    "--partition-faults 1 --max-term 2 --max-msgs 2",
    "drops": "--nodes 2 --faults drop,duplicate,restart --fault-budget 1 --transfers 1 "
             "--appends 1 --max-term 2 --max-msgs 2",
    "rejoin-pv": "--nodes 3 --pre-vote --partition 3|1,2 --partition-faults 1 --max-msgs 2",
    "n3-cq": "--nodes 3 --check-quorum --max-term 2",
    "chain-cq": "--nodes 3 --check-quorum --partition 1-3 --max-term 2 --max-msgs 2",
}
# the catalogue's historical variants in their audit configurations (2 voters, learners,
# initial terms and logs, pre-vote and check-quorum)
CATALOGUE = {
    "learners-silent": LEARNER_CUT,
    "lower-term-prevote-dropped": STALE_TERM,
    "grant-local-term": LEARNER_BEHIND,
    "no-lower-term-appresp": LEARNER_AHEAD,
    "lease-not-candidate": CHECK_QUORUM_2,
}
SLOW_CATALOGUE = {"prevote-without-check-quorum": BRIDGE}


def test_the_compiled_builder_is_built() -> None:
    """`pip install -e .` builds it here; without it every test below would compare the
    reference with itself."""
    assert livegraph.USE_CORE and livegraph.builder_note() is None


def config(args: str) -> tuple[ClusterConfig, Limits, RuleSet | None, LivenessOptions]:
    ctx = explore_cmd.make_context("explore", ["--liveness", *shlex.split(args)])
    cfg, limits, _rest, rules, opts = prepare_exploration(dict(ctx.params))
    return cfg, limits, rules, opts


def both(cfg: ClusterConfig, limits: Limits, rules: RuleSet | None, opts: LivenessOptions,
         ) -> list[tuple[ClusterModel, LiveGraph, LivenessVerdicts]]:
    return [liveness_graph(cfg, opts, rules, limits, core=core) for core in (False, True)]


def same_graph(a: LiveGraph, b: LiveGraph) -> None:
    assert len(a) == len(b) and a.transitions == b.transitions
    for name in ("parent", "offsets", "dst", "label", "key", "flags"):
        assert getattr(a, name) == getattr(b, name), name
    assert a.bounded == b.bounded
    assert (a.complete, a.stop_reason, a.max_depth) == (b.complete, b.stop_reason, b.max_depth)
    assert a.action_counts == b.action_counts
    assert list(a.states) == list(b.states)


def same_verdicts(a: LivenessVerdicts, b: LivenessVerdicts) -> None:
    assert a.verdicts == b.verdicts
    assert a.details == b.details
    assert [(x.prop, x.init, x.prefix, x.cycle, x.marks) for x in a.lassos] == \
        [(x.prop, x.init, x.prefix, x.cycle, x.marks) for x in b.lassos]


@pytest.mark.parametrize("name", sorted(CLI_CONFIGS))
def test_the_compiled_graph_is_the_reference_graph(name: str) -> None:
    (_ma, ga, va), (_mb, gb, vb) = both(*config(CLI_CONFIGS[name]))
    assert isinstance(gb.states, PackedStates) and isinstance(ga.states, list)
    same_graph(ga, gb)
    same_verdicts(va, vb)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW_CONFIGS))
def test_larger_compiled_graphs_are_the_reference_graphs(name: str) -> None:
    (_ma, ga, va), (_mb, gb, vb) = both(*config(SLOW_CONFIGS[name]))
    same_graph(ga, gb)
    same_verdicts(va, vb)


@pytest.mark.parametrize("variant", [
    *sorted(CATALOGUE), *(pytest.param(v, marks=pytest.mark.slow) for v in SLOW_CATALOGUE)])
def test_the_catalogue_configurations_give_the_same_graph(variant: str) -> None:
    ac = CATALOGUE.get(variant) or SLOW_CATALOGUE[variant]
    for rules in (None, VARIANTS_BY_NAME[variant].rules):
        (_ma, ga, va), (_mb, gb, vb) = both(ac.cfg, Limits(), rules, LivenessOptions())
        same_graph(ga, gb)
        same_verdicts(va, vb)


def test_the_parity_set_differs_somewhere() -> None:
    """The configurations above are not all alike: violations, bound states and limits occur."""
    seen = {"violated": False, "bounded": False, "stopped": False, "shifted": False}
    for name in ("lossy", "state-limit", "rejoin", "broken-variant"):
        _m, g, v = liveness_graph(*_reorder(config(CLI_CONFIGS[name])), core=True)
        seen["violated"] |= "violated" in v.verdicts.values()
        seen["bounded"] |= bool(g.bounded)
        seen["stopped"] |= not g.complete
        seen["shifted"] |= any(lab & 8 for lab in g.label)
    assert all(seen.values()), seen


def _reorder(c: tuple[Any, ...]) -> tuple[Any, ...]:
    cfg, limits, rules, opts = c
    return cfg, opts, rules, limits


@pytest.mark.parametrize("name", ["rejoin", "lossy", "chain", "terms-logs",
                                  "broken-variant"])
def test_the_cores_normal_form_test_agrees_with_rebase(name: str) -> None:
    """verify: every successor the core calls normal is also handed to `rebase`, which must
    return it unchanged (an AssertionError from the core otherwise)."""
    cfg, limits, rules, opts = config(CLI_CONFIGS[name])
    g = compiled_graph(ClusterModel(cfg, rules, liveness=Liveness(opts)), limits=limits,
                       verify=True)
    assert g.builder_stats["normal_hits"] > 0
    ref = explore_graph(ClusterModel(cfg, rules, liveness=Liveness(opts)), limits=limits)
    assert list(ref.dst) == list(g.dst) and ref.label == g.label


@pytest.mark.parametrize("name", ["rejoin", "n2-pv-cq", "chain-pv", "faults", "transfer-append"])
def test_the_cores_term_shift_agrees_with_rebase(name: str) -> None:
    """A successor whose normal form is a uniform term shift is moved by the core (ids asked
    once per (id, delta)); with verify, `rebase` is asked as well and must give the same
    state, highest term and SHIFT bit (an AssertionError from the core otherwise)."""
    cfg, limits, rules, opts = config(CLI_CONFIGS[name])
    g = compiled_graph(ClusterModel(cfg, rules, liveness=Liveness(opts)), limits=limits)
    assert g.builder_stats["shift_hits"] > 0
    checked = compiled_graph(ClusterModel(cfg, rules, liveness=Liveness(opts)),
                             limits=limits, verify=True)
    ref = explore_graph(ClusterModel(cfg, rules, liveness=Liveness(opts)), limits=limits)
    for a in (g, checked):
        assert list(ref.dst) == list(a.dst) and ref.label == a.label
        assert list(ref.states) == list(a.states)


def test_packed_states_decode_on_demand() -> None:
    cfg, limits, rules, opts = config(CLI_CONFIGS["rejoin"])
    (_ma, ga, _va), (_mb, gb, _vb) = both(cfg, limits, rules, opts)
    s = gb.states
    assert s[0] == ga.states[0] and s[-1] == ga.states[-1] and s[3:6] == ga.states[3:6]
    with pytest.raises(IndexError):
        s[len(s)]


def test_progress_and_an_exception_from_it_behave_as_in_the_reference() -> None:
    cfg, _limits, rules, opts = config(CLI_CONFIGS["rejoin"])
    seen: dict[bool, list[Progress]] = {False: [], True: []}
    for core in (False, True):
        m = ClusterModel(cfg, rules, liveness=Liveness(opts))
        g = build_graph(m, progress=seen[core].append, progress_interval=0.0, core=core)
        assert seen[core][-1].distinct == len(g) and seen[core][-1].queue == 0

        def stop(p: Progress) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):  # Ctrl-C while the graph is built
            build_graph(ClusterModel(cfg, rules, liveness=Liveness(opts)), progress=stop,
                        progress_interval=0.0, core=core)
    assert [p.distinct for p in seen[False]][-1] == [p.distinct for p in seen[True]][-1]


def test_without_the_compiled_core_the_reference_builds_and_a_note_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(livegraph, "_fastcore", None)
    monkeypatch.setattr(livegraph, "USE_CORE", False)
    note = livegraph.builder_note()
    assert note is not None and "pure Python" in note
    cfg, limits, rules, opts = config(CLI_CONFIGS["n2"])
    _m, g, _v = liveness_graph(cfg, opts, rules, limits)
    assert isinstance(g.states, list)
    res = CliRunner().invoke(main, ["explore", "--liveness", "--nodes", "2"])
    assert res.exit_code == 0
    assert "liveness graph: built in pure Python" in res.stderr


def test_the_environment_switch_asks_for_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(livegraph, "USE_CORE", False)  # what RAFTCHECK_LIVEGRAPH=0 sets
    cfg, limits, rules, opts = config(CLI_CONFIGS["n2"])
    _m, g, _v = liveness_graph(cfg, opts, rules, limits)
    assert isinstance(g.states, list) and livegraph.builder_note() is None
