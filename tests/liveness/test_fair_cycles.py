"""The generic liveness templates (explorer/liveness.py) on small hand-made graphs."""

from __future__ import annotations

from typing import Any

from explorer.liveness import (
    ANCHORED,
    CHANGE,
    CONNECTED,
    FAULT,
    GOOD,
    RACING,
    UNTIMELY,
    analyse,
    explore_graph,
)

NAMES = ("Recoverable", "Eventually", "Kept", "NoChangeCycle")


class Toy:
    """States are ints; `edges` maps a state to (action, next, label, key) tuples."""

    def __init__(self, edges: dict[int, list[tuple[Any, int, int, int]]],
                 flags: dict[int, int], bounded: dict[int, list[int]] | None = None) -> None:
        self.edges = edges
        self.flags_of = flags
        self.bounded = bounded or {}

    def init_states(self) -> list[int]:
        return [0]

    def labelled_successors(self, s: int) -> tuple[list[Any], list[int]]:
        return list(self.edges.get(s, [])), list(self.bounded.get(s, []))

    def state_flags(self, s: int) -> int:
        return self.flags_of.get(s, CONNECTED)


def verdicts(toy: Toy, strong: Any = lambda k: False) -> dict[str, str]:
    g = explore_graph(toy)
    return analyse(g, NAMES, strong=strong).verdicts


def test_a_reachable_leader_everywhere_holds() -> None:
    toy = Toy({0: [("a", 1, 0, -1)], 1: [("b", 1, 0, -1)]},
              {0: CONNECTED, 1: CONNECTED | GOOD | ANCHORED})
    assert verdicts(toy) == dict.fromkeys(NAMES, "held")


def test_a_trap_breaks_recoverable_and_eventually() -> None:
    # 0 -> 1 (good) or 0 -> 2, and 2 loops forever without progress.
    toy = Toy({0: [("a", 1, 0, -1), ("b", 2, 0, -1)], 1: [("c", 1, 0, -1)],
               2: [("d", 2, 0, -1)]},
              {0: CONNECTED, 1: CONNECTED | GOOD | ANCHORED, 2: CONNECTED})
    v = verdicts(toy)
    assert v["Recoverable"] == "violated"
    assert v["Eventually"] == "violated"


def test_faults_do_not_count_as_recovery() -> None:
    # From 0 only a fault edge leads to the good state.
    toy = Toy({0: [("heal", 1, FAULT, -1), ("idle", 0, 0, -1)], 1: [("c", 1, 0, -1)]},
              {0: CONNECTED, 1: CONNECTED | GOOD | ANCHORED})
    assert verdicts(toy)["Recoverable"] == "violated"


def test_a_bound_makes_recoverable_unknown_not_violated() -> None:
    toy = Toy({0: [("idle", 0, 0, -1)]}, {0: CONNECTED}, bounded={0: [5]})
    assert verdicts(toy)["Recoverable"] == "unknown"


def test_weak_fairness_excludes_a_cycle_that_ignores_an_always_enabled_action() -> None:
    # State 0 loops on "spin" (no progress); "go" (key 7) is enabled in 0 and leads to good.
    toy = Toy({0: [("spin", 0, 0, 1), ("go", 1, 0, 7)], 1: [("stay", 1, 0, -1)]},
              {0: CONNECTED, 1: CONNECTED | GOOD | ANCHORED})
    assert verdicts(toy)["Eventually"] == "held"
    # The same with "go" untimely: no longer enabled for fairness, so the spin is fair.
    toy.edges[0][1] = ("go", 1, UNTIMELY, 7)
    assert verdicts(toy)["Eventually"] == "violated"


def test_strong_fairness_needs_the_key_only_sometimes_enabled() -> None:
    # 0 <-> 2 forever; "go" (key 9) is enabled in 0 only. Weakly fair, strongly unfair.
    edges = {0: [("to2", 2, 0, 1), ("go", 1, 0, 9)], 2: [("to0", 0, 0, 2)],
             1: [("stay", 1, 0, -1)]}
    flags = {0: CONNECTED, 2: CONNECTED, 1: CONNECTED | GOOD | ANCHORED}
    assert verdicts(Toy(edges, flags))["Eventually"] == "violated"
    assert verdicts(Toy(edges, flags), strong=lambda k: k == 9)["Eventually"] == "held"
    # A racing (held back) edge still counts as enabled for strong fairness.
    edges[0][1] = ("go", 1, UNTIMELY | RACING, 9)
    edges[2].append(("go", 1, 0, 9))
    assert verdicts(Toy(edges, flags), strong=lambda k: k == 9)["Eventually"] == "held"


def test_a_bound_disabled_fair_action_makes_a_cycle_unknown() -> None:
    toy = Toy({0: [("spin", 0, 0, 1)]}, {0: CONNECTED}, bounded={0: [7]})
    assert verdicts(toy)["Eventually"] == "unknown"


def test_kept_and_change_cycles() -> None:
    # 0 (anchored) -> 1 by a leadership change, 1 -> 0 by another: a fair change cycle.
    toy = Toy({0: [("depose", 1, CHANGE, 1)], 1: [("elect", 0, CHANGE, 2)]},
              {0: CONNECTED | GOOD | ANCHORED, 1: CONNECTED})
    v = verdicts(toy)
    assert v["Kept"] == "violated"
    assert v["NoChangeCycle"] == "violated"
    # Untimely changes do not count against a kept leader.
    toy.edges[0][0] = ("depose", 1, UNTIMELY | CHANGE, 1)
    v = verdicts(toy)
    assert v["Kept"] == "held"
    assert v["NoChangeCycle"] == "held"


def test_lasso_cycle_returns_to_its_start() -> None:
    toy = Toy({0: [("a", 1, 0, 1)], 1: [("b", 2, 0, 2)], 2: [("c", 1, CHANGE, 3)]},
              {0: CONNECTED, 1: CONNECTED, 2: CONNECTED})
    g = explore_graph(toy)
    res = analyse(g, NAMES)
    lasso = next(x for x in res.lassos if x.prop == "NoChangeCycle")
    assert [g.dst[e] for e in lasso.prefix] == [1]
    assert g.dst[lasso.cycle[-1]] == 1
    assert any(g.label[e] & CHANGE for e in lasso.cycle)


def test_a_stopped_exploration_decides_nothing() -> None:
    from explorer.bfs import Limits

    toy = Toy({0: [("a", 1, 0, -1)], 1: [("b", 2, 0, -1)], 2: [("c", 2, 0, -1)]}, {})
    g = explore_graph(toy, limits=Limits(max_states=2))
    assert not g.complete
    assert set(analyse(g, NAMES).verdicts.values()) == {"unknown"}
