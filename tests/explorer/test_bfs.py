"""The explorer on toy models whose state counts are computed by hand."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import permutations
from operator import itemgetter

from explorer.bfs import Limits, explore
from explorer.protocol import Invariant

Counter2 = tuple[int, int]


class TwoCounters:
    """Two counters 0..3; either may be incremented. Invariant: not both at 3.

    Hand count: 4 * 4 = 16 states; 2 * 4 * 3 = 24 transitions (each counter can step from
    0, 1 and 2 whatever the other is). The only bad state is (3, 3), at depth 6.
    """

    def init_states(self) -> list[Counter2]:
        return [(0, 0)]

    def successors(self, s: Counter2) -> list[tuple[tuple[str, int], Counter2]]:
        out = []
        for i in (0, 1):
            if s[i] < 3:
                t = list(s)
                t[i] += 1
                out.append((("inc", i), (t[0], t[1])))
        return out

    def actions(self, s: Counter2) -> list[tuple[str, int]]:
        return [a for a, _ in self.successors(s)]

    def next_state(self, s: Counter2, a: tuple[str, int]) -> Counter2 | None:
        return dict(self.successors(s)).get(a)

    def invariants(self) -> Sequence[Invariant]:
        return [Invariant("NotBothFull", "the counters are never both 3")]

    def violations(self, s: Counter2) -> Sequence[str]:
        return ["NotBothFull"] if s == (3, 3) else []

    def canonical(self, s: Counter2) -> Counter2:
        return (min(s), max(s))

    action_kind = staticmethod(itemgetter(0))


class Safe(TwoCounters):
    def violations(self, s: Counter2) -> Sequence[str]:
        return []


def test_hand_computed_counts() -> None:
    r = explore(Safe())
    assert r.complete
    assert r.distinct_states == 16
    assert r.transitions == 24
    assert r.max_depth == 6
    assert r.invariants == {"NotBothFull": "held"}
    assert r.action_counts == {"inc": 24}


def test_symmetry_counts_orbits() -> None:
    r = explore(Safe(), symmetry=True)
    # Unordered pairs {a, b} with 0 <= a <= b <= 3: 10 orbits.
    assert r.complete and r.distinct_states == 10


def test_violation_gives_shortest_trace() -> None:
    r = explore(TwoCounters())
    assert not r.complete
    assert r.invariants == {"NotBothFull": "violated"}
    (v,) = r.violations
    assert len(v) == 6
    assert v.steps[-1].state == (3, 3)
    # The trace is a real path: every step is a successor of the previous state.
    prev = v.init
    for step in v.steps:
        assert (step.action, step.state) in TwoCounters().successors(prev)
        prev = step.state


def test_violation_trace_under_symmetry_is_concrete() -> None:
    r = explore(TwoCounters(), symmetry=True)
    (v,) = r.violations
    assert len(v) == 6
    prev = v.init
    for step in v.steps:
        assert (step.action, step.state) in TwoCounters().successors(prev)
        prev = step.state


def test_limits_make_the_run_partial() -> None:
    r = explore(Safe(), limits=Limits(max_states=5))
    assert not r.complete and r.stop_reason == "state limit 5 reached"
    assert r.invariants == {"NotBothFull": "unknown"}
    r = explore(Safe(), limits=Limits(max_depth=2))
    assert not r.complete and "depth" in (r.stop_reason or "")


def test_graph_recording() -> None:
    r = explore(Safe(), record_graph=True)
    assert r.edges is not None and len(r.edges) == 24
    assert len(r.states) == 16


class Ring:
    """n tokens on a ring of 3 places, permutation-symmetric ids; checks exactness of a
    canonical form built from sorting (orbit counting by brute force)."""

    def __init__(self) -> None:
        self.states = {(a, b, c) for a in range(3) for b in range(3) for c in range(3)}

    def init_states(self) -> list[tuple[int, int, int]]:
        return [(0, 0, 0)]

    def successors(self, s: tuple[int, int, int]) -> list[tuple[tuple[str, int], tuple[int, ...]]]:
        out = []
        for i in range(3):
            t = list(s)
            t[i] = (t[i] + 1) % 3
            out.append((("move", i), tuple(t)))
        return out

    def invariants(self) -> Sequence[Invariant]:
        return []

    def violations(self, s: object) -> Sequence[str]:
        return []

    def canonical(self, s: tuple[int, int, int]) -> tuple[int, ...]:
        return min(tuple(s[i] for i in p) for p in permutations(range(3)))

    action_kind = staticmethod(itemgetter(0))


def test_symmetry_is_exact_on_a_permutation_symmetric_model() -> None:
    full = explore(Ring())  # type: ignore[arg-type]
    reduced = explore(Ring(), symmetry=True)  # type: ignore[arg-type]
    assert full.distinct_states == 27
    assert reduced.distinct_states == 10  # multisets of size 3 over 3 values
