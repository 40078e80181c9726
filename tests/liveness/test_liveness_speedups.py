"""What the faster liveness code relies on: normal forms are fixpoints (so an explored state
is never normalised again), the memoised labels equal the computed ones, and Tarjan's cyclic
components are exactly the components with a cycle."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from explorer.liveness import FAULT, LiveGraph, explore_graph, sccs
from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.liveness import _ELECTION_TRAFFIC, Liveness, LivenessOptions, _TimingBase
from model.topology import parse_links, parse_partition
from raftcheck.defaults import liveness_config

CONFIGS = {
    "cq": replace(liveness_config(3), check_quorum=True, max_term=2, max_msgs=2),
    "pv-chain": replace(liveness_config(3), pre_vote=True, max_term=2, max_msgs=2,
                        cut_links=parse_partition("1-3", 3)),
    "lossy": replace(liveness_config(3), max_term=2, max_msgs=2,
                     lossy_links=parse_links("1-3", 3, "--lossy")),
    "rejoin": replace(liveness_config(3), max_term=2, max_msgs=2, partition_faults=1,
                      cut_links=parse_partition("3|1,2", 3)),
    "n2": liveness_config(2),
}


def graph(cfg: ClusterConfig, known: bool) -> tuple[ClusterModel, LiveGraph]:
    m = ClusterModel(cfg, None, liveness=Liveness(LivenessOptions()))
    index: dict[Any, int] = {}
    assert m.live is not None
    m.live.use_known(index if known else None)
    g = explore_graph(m, index=index)
    m.live.use_known(None)
    return m, g


def arrays(g: LiveGraph) -> tuple[Any, ...]:
    return (g.states, list(g.offsets), list(g.dst), list(g.label), list(g.key),
            list(g.flags), list(g.parent), g.bounded, g.action_counts)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_explored_state_is_its_own_normal_form(name: str) -> None:
    m, g = graph(CONFIGS[name], known=True)
    assert m.live is not None
    for s in g.states:
        norm, high, shifted = m.live.rebase(s)
        assert norm == s and not shifted and high <= m.cfg.max_term


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_skipping_known_successors_builds_the_same_graph(name: str) -> None:
    assert arrays(graph(CONFIGS[name], known=True)[1]) == \
        arrays(graph(CONFIGS[name], known=False)[1])


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_memoised_flags_and_timing_equal_fresh_ones(name: str) -> None:
    m, g = graph(CONFIGS[name], known=True)
    live = m.live
    assert live is not None
    for k, s in enumerate(g.states):
        assert live.flags(s) == live._flags_of(s)
        # messages in flight take flags away from those of the nodes and links (SETTLED)
        clear = 0
        for mid in s[m.hist_pos + 1 :]:
            clear |= live.unsettling(mid)
        assert g.flags[k] == live.state_flags(s) == live.flags(s) & ~clear
        t = live.timing(s)
        fresh = _TimingBase(live, s)
        assert t.base.heard == fresh.heard
        for i in range(m.n):
            tick = m._local_steps(i + 1, s[i])[0]
            if tick is not None:
                assert t.tick(i, tick) == fresh._tick(i, tick)
        traffic = any(m.msg_tab[mid][0] in _ELECTION_TRAFFIC and m.msg_link[mid] & fresh.healthy
                      for mid in s[m.hist_pos + 1 :])
        assert t.traffic == traffic


def test_an_initial_state_above_the_term_bound_turns_the_skip_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    m = ClusterModel(liveness_config(3), None, liveness=Liveness(LivenessOptions()))
    live = m.live
    assert live is not None
    index: dict[Any, int] = {}
    live.use_known(index)
    assert live.known is index
    monkeypatch.setattr(live, "rebase", lambda s: (s, m.cfg.max_term + 1, False))
    live.use_known(index)
    assert live.known is None


class Toy:
    def __init__(self, edges: dict[int, list[tuple[int, int]]]) -> None:
        self.edges = edges

    def init_states(self) -> list[int]:
        return [0]

    def labelled_successors(self, s: int) -> tuple[list[Any], list[int]]:
        return [(("a",), t, lab, -1) for t, lab in self.edges.get(s, [])], []

    def state_flags(self, s: int) -> int:
        return 0


def test_cyclic_components_are_those_with_a_cycle() -> None:
    # 0 -> 1 -> 2 -> 1 (a 2-cycle), 2 -> 3 (3 loops on itself), 3 -> 4 (a dead end),
    # 0 -> 5 -> 5 only through a FAULT edge (not kept).
    g = explore_graph(Toy({0: [(1, 0), (5, 0)], 1: [(2, 0)], 2: [(1, 0), (3, 0)],
                           3: [(3, 0), (4, 0)], 5: [(5, FAULT)]}))
    keep = bytes(0 if lab & FAULT else 1 for lab in g.label)
    cyclic: list[list[int]] = []
    comp, n = sccs(g, keep, bytes([1]) * len(g), cyclic=cyclic)
    names = {g.states[i]: i for i in range(len(g))}
    got = sorted(sorted(g.states[i] for i in ss) for ss in cyclic)
    assert got == [[1, 2], [3]]
    assert n == 5 and comp[names[1]] == comp[names[2]]
    # Without the state 2, the 2-cycle is gone; the self-loop of 3 stays (every state is a
    # root).
    mask = bytearray([1]) * len(g)
    mask[names[2]] = 0
    cyclic = []
    sccs(g, keep, mask, cyclic=cyclic)
    assert cyclic == [[names[3]]]
