"""Ctrl-C inside explore(): a partial result, never a verdict of `held` (issue 13, defect 6)."""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

from explorer.bfs import INTERRUPTED, explore
from explorer.protocol import Invariant

Counter2 = tuple[int, int]


class InterruptedAfter:
    """Two counters 0..3 (16 states), with Ctrl-C arriving while the k-th state is expanded."""

    def __init__(self, k: int) -> None:
        self.left = k

    def init_states(self) -> list[Counter2]:
        return [(0, 0)]

    def successors(self, s: Counter2) -> list[tuple[tuple[str, int], Counter2]]:
        self.left -= 1
        if self.left < 0:
            raise KeyboardInterrupt
        out = []
        for i in (0, 1):
            if s[i] < 3:
                t = list(s)
                t[i] += 1
                out.append((("inc", i), (t[0], t[1])))
        return out

    def invariants(self) -> Sequence[Invariant]:
        return [Invariant("Anything", "always true")]

    def violations(self, s: Counter2) -> Sequence[str]:
        return []

    def canonical(self, s: Counter2) -> Counter2:
        return s

    action_kind = staticmethod(itemgetter(0))


def test_interrupt_returns_partial_result() -> None:
    r = explore(InterruptedAfter(3))
    assert r.stop_reason == INTERRUPTED
    assert not r.complete
    assert 1 < r.distinct_states < 16
    assert set(r.invariants.values()) == {"unknown"}


def test_interrupt_under_keep_going_is_not_held() -> None:
    r = explore(InterruptedAfter(3), keep_going=True)
    assert r.stop_reason == INTERRUPTED
    assert set(r.invariants.values()) == {"unknown"}
