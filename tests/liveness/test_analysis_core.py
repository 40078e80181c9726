"""The compiled liveness analysis (explorer/_livecore.c) against the pure-Python reference:
the same SCCs, reverse graphs, reachability sets, component summaries, verdicts and lassos on
the hand-made graphs, on real model graphs and on random graphs; Ctrl-C inside the C loops."""

from __future__ import annotations

import json
import signal
from array import array
from collections.abc import Sequence
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import raftcheck.liveness_run as live_run
from explorer import liveness
from explorer.liveness import (
    ANCHORED,
    CHANGE,
    CONNECTED,
    FAULT,
    GOOD,
    RACING,
    SHIFT,
    UNTIMELY,
    LiveGraph,
    analyse,
    explore_graph,
    kernels,
)
from raftcheck.cli import main

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


def outcome(v: liveness.LivenessVerdicts) -> Any:
    return (v.verdicts, v.details,
            [(x.prop, x.init, x.prefix, x.cycle, x.marks, x.note) for x in v.lassos])


def both(g: LiveGraph, strong: Any = lambda k: False, witness: Any = None) -> Any:
    """The analysis with each implementation; they must agree (returned once)."""
    py = analyse(g, NAMES, witness, strong, core=False)
    c = analyse(g, NAMES, witness, strong, core=True)
    assert outcome(c) == outcome(py)
    assert [len(x.prefix) + len(x.cycle) for x in c.lassos] == \
        [len(x.prefix) + len(x.cycle) for x in py.lassos]
    return py


G, AN = CONNECTED | GOOD | ANCHORED, CONNECTED
# The hand-made cases of test_fair_cycles.py: (edges, flags, bounded, strong keys).
TOYS: dict[str, tuple[Any, dict[int, int], dict[int, list[int]], set[int]]] = {
    "leader-everywhere": ({0: [("a", 1, 0, -1)], 1: [("b", 1, 0, -1)]}, {0: AN, 1: G}, {}, set()),
    "trap": ({0: [("a", 1, 0, -1), ("b", 2, 0, -1)], 1: [("c", 1, 0, -1)],
              2: [("d", 2, 0, -1)]}, {0: AN, 1: G, 2: AN}, {}, set()),
    "fault-recovery": ({0: [("heal", 1, FAULT, -1), ("idle", 0, 0, -1)],
                        1: [("c", 1, 0, -1)]}, {0: AN, 1: G}, {}, set()),
    "bound-recoverable": ({0: [("idle", 0, 0, -1)]}, {0: AN}, {0: [5]}, set()),
    "weak": ({0: [("spin", 0, 0, 1), ("go", 1, 0, 7)], 1: [("stay", 1, 0, -1)]},
             {0: AN, 1: G}, {}, set()),
    "weak-untimely": ({0: [("spin", 0, 0, 1), ("go", 1, UNTIMELY, 7)],
                       1: [("stay", 1, 0, -1)]}, {0: AN, 1: G}, {}, set()),
    "strong-off": ({0: [("to2", 2, 0, 1), ("go", 1, 0, 9)], 2: [("to0", 0, 0, 2)],
                    1: [("stay", 1, 0, -1)]}, {0: AN, 2: AN, 1: G}, {}, set()),
    "strong-on": ({0: [("to2", 2, 0, 1), ("go", 1, 0, 9)], 2: [("to0", 0, 0, 2)],
                   1: [("stay", 1, 0, -1)]}, {0: AN, 2: AN, 1: G}, {}, {9}),
    "racing": ({0: [("to2", 2, 0, 1), ("go", 1, UNTIMELY | RACING, 9)],
                2: [("to0", 0, 0, 2), ("go", 1, 0, 9)], 1: [("stay", 1, 0, -1)]},
               {0: AN, 2: AN, 1: G}, {}, {9}),
    "bound-fair": ({0: [("spin", 0, 0, 1)]}, {0: AN}, {0: [7]}, set()),
    "racing-bound": ({0: [("spin", 0, 0, 1)]}, {0: AN}, {0: [-2 - 4]}, {4}),
    "kept": ({0: [("depose", 1, CHANGE, 1)], 1: [("elect", 0, CHANGE, 2)]},
             {0: G, 1: AN}, {}, set()),
    "kept-untimely": ({0: [("depose", 1, UNTIMELY | CHANGE, 1)],
                       1: [("elect", 0, CHANGE, 2)]}, {0: G, 1: AN}, {}, set()),
    "lasso": ({0: [("a", 1, 0, 1)], 1: [("b", 2, 0, 2)], 2: [("c", 1, CHANGE, 3)]},
              {0: AN, 1: AN, 2: AN}, {}, set()),
    "shift": ({0: [("a", 1, 0, 1)], 1: [("b", 2, SHIFT, 40)], 2: [("c", 1, CHANGE, 3)]},
              {0: AN, 1: AN, 2: AN}, {}, set()),
}


@pytest.mark.parametrize("name", sorted(TOYS))
def test_hand_made_graphs_agree(name: str) -> None:
    edges, flags, bounded, strong = TOYS[name]
    g = explore_graph(Toy(edges, flags, bounded))
    res = both(g, lambda k: k in strong)
    assert set(res.verdicts) == set(NAMES)


def test_the_hand_made_graphs_cover_every_verdict() -> None:
    seen = set()
    for edges, flags, bounded, strong in TOYS.values():
        res = both(explore_graph(Toy(edges, flags, bounded)), lambda k, s=strong: k in s)
        seen |= set(res.verdicts.values())
        assert all(x.prefix or x.cycle for x in res.lassos)
    assert seen == {"held", "violated", "unknown"}


# -- kernels one by one ------------------------------------------------------------------------


def kernel_results(g: LiveGraph, keep: bytes, state_ok: bytes, seeds: bytes,
                   core: bool) -> dict[str, Any]:
    k = kernels(g, core)
    assert k.compiled == core
    cyclic: list[Sequence[int]] = []
    comp, count = k.sccs(keep, state_ok, None, cyclic)
    rev = k.reverse(keep)
    summaries = [k.component(keep, comp, ss, comp[ss[0]]) for ss in cyclic]
    # members as a list too (a refined search hands the kernel a list)
    assert [k.component(keep, comp, list(ss), comp[ss[0]]) for ss in cyclic] == summaries
    internals = [k.internal(keep, comp, ss, comp[ss[0]]) for ss in cyclic]
    rooted = k.sccs(keep, state_ok, [len(g) - 1, 0])[0]
    return {
        "comp": list(comp), "count": count, "cyclic": [list(ss) for ss in cyclic],
        "summaries": summaries,
        "internals": internals, "rooted": list(rooted),
        "rev": (list(rev[0]), list(rev[1])),
        "backward": bytes(k.backward(rev, seeds)),
        "sources": bytes(k.sources(keep)),
    }


def components_as_sets(comp: list[int]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for s, c in enumerate(comp):
        if c >= 0:
            groups.setdefault(c, set()).add(s)
    return {frozenset(v) for v in groups.values()}


def assert_kernels_agree(g: LiveGraph, keep: bytes, state_ok: bytes, seeds: bytes) -> None:
    py = kernel_results(g, keep, state_ok, seeds, False)
    c = kernel_results(g, keep, state_ok, seeds, True)
    assert components_as_sets(c["comp"]) == components_as_sets(py["comp"])
    assert c == py  # the same ids too: Tarjan visits in the same order


def csr(n: int, edges: list[tuple[int, int, int, int]]) -> LiveGraph:
    """A LiveGraph of n states from (source, target, label, key) edges."""
    edges = sorted(edges, key=lambda e: e[0])  # stable: keeps each state's edge order
    offsets = array("q", [0])
    for s in range(n):
        offsets.append(offsets[-1] + sum(1 for e in edges if e[0] == s))
    return LiveGraph(
        list(range(n)), array("i", [-1] * n), offsets,
        array("i", [e[1] for e in edges]), array("b", [e[2] for e in edges]),
        array("i", [e[3] for e in edges]), array("b", [CONNECTED] * n), {}, True, None, 0.0, 0)


@st.composite
def graphs(draw: Any) -> tuple[LiveGraph, bytes, bytes, bytes]:
    n = draw(st.integers(1, 24))
    state = st.integers(0, n - 1)
    edges = draw(st.lists(st.tuples(state, state, st.integers(0, 31), st.integers(-1, 5)),
                          max_size=4 * n))
    g = csr(n, edges)
    keep = bytes(draw(st.lists(st.integers(0, 1), min_size=len(g.dst), max_size=len(g.dst))))
    ok = bytes(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    seeds = bytes(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    return g, keep, ok, seeds


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_random_graphs_same_kernels(case: tuple[LiveGraph, bytes, bytes, bytes]) -> None:
    assert_kernels_agree(*case)


@st.composite
def toys(draw: Any) -> tuple[Toy, set[int]]:
    n = draw(st.integers(1, 14))
    state = st.integers(0, n - 1)
    label = st.sampled_from([0, 0, 0, FAULT, UNTIMELY, CHANGE, UNTIMELY | RACING, SHIFT,
                             CHANGE | UNTIMELY])
    edges: dict[int, list[tuple[Any, int, int, int]]] = {}
    for s in range(n):
        out = draw(st.lists(st.tuples(state, label, st.integers(-1, 4)), max_size=3))
        edges[s] = [(f"a{s}.{i}", t, lab, k) for i, (t, lab, k) in enumerate(out)]
    flag = st.sampled_from([0, CONNECTED, CONNECTED, CONNECTED | GOOD, CONNECTED | GOOD | ANCHORED,
                            GOOD | ANCHORED])
    flags = {s: draw(flag) for s in range(n)}
    bounded = draw(st.dictionaries(state, st.lists(st.integers(-7, 4), min_size=1, max_size=2),
                                   max_size=3))
    strong = draw(st.sets(st.integers(0, 4)))
    return Toy(edges, flags, bounded), strong


@settings(max_examples=300, deadline=None)
@given(toys(), st.booleans())
def test_random_graphs_same_verdicts_and_lassos(case: tuple[Toy, set[int]], wit: bool) -> None:
    toy, strong = case
    g = explore_graph(toy)
    both(g, lambda k: k in strong, (lambda s: s % 2 == 0) if wit else None)


# -- real model graphs -------------------------------------------------------------------------

REAL = {
    "no-partition": ["--nodes", "3", "--max-term", "2", "--max-msgs", "2"],
    "no-partition-pv": ["--nodes", "3", "--pre-vote", "--max-term", "2", "--max-msgs", "2"],
    "n2-pv-cq": ["--nodes", "2", "--pre-vote", "--check-quorum"],
    "chain": ["--nodes", "3", "--partition", "1-3", "--max-term", "2", "--max-msgs", "2"],
    "chain-pv": ["--nodes", "3", "--pre-vote", "--partition", "1-3", "--max-term", "2",
                 "--max-msgs", "2"],
    "lossy": ["--nodes", "3", "--lossy", "1-3", "--max-term", "2", "--max-msgs", "2"],
    "lossy-pv": ["--nodes", "3", "--pre-vote", "--lossy", "1-3", "--max-term", "2",
                 "--max-msgs", "2"],
    "rejoin": ["--nodes", "3", "--partition", "3|1,2", "--partition-faults", "1",
               "--max-term", "2", "--max-msgs", "2"],
    "rejoin-pv": ["--nodes", "3", "--pre-vote", "--partition", "3|1,2", "--partition-faults",
                  "1", "--max-term", "2", "--max-msgs", "2"],
    "learners-silent": ["--variant", "learners-silent", "--nodes", "2", "--learners", "1",
                        "--promoted-learners", "--partition", "2|1,3"],
}


def model_graph(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[LiveGraph, Any, Any]:
    """The CLI's liveness graph for `args`, with the witness and strong fairness it used."""
    got: list[tuple[LiveGraph, Any, Any]] = []
    real = live_run.analyse

    def capture(g: LiveGraph, names: tuple[str, ...], witness: Any = None,
                strong: Any = lambda k: False) -> liveness.LivenessVerdicts:
        got.append((g, witness, strong))
        return real(g, names, witness, strong)

    monkeypatch.setattr(live_run, "analyse", capture)
    res = CliRunner().invoke(main, ["explore", "--liveness", "--json", *args])
    assert res.exit_code in (0, 1, 3), res.output
    assert got
    return got[0]


@pytest.mark.parametrize("name", sorted(REAL))
def test_model_graphs_same_analysis(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    g, witness, strong = model_graph(REAL[name], monkeypatch)
    answers: dict[Any, bool] = {}

    def memo(s: Any) -> bool:
        if s not in answers:
            answers[s] = witness(s)
        return answers[s]

    res = both(g, strong, memo)
    assert set(res.verdicts.values()) <= {"held", "violated", "unknown"}
    flags = bytes(g.flags)
    connected = flags.translate(bytes(int(bool(b & CONNECTED)) for b in range(256)))
    good = flags.translate(bytes(int(bool(b & GOOD)) for b in range(256)))
    for bad in (FAULT, FAULT | UNTIMELY, FAULT | UNTIMELY | CHANGE):
        keep = bytes(g.label).translate(bytes(int(not b & bad) for b in range(256)))
        assert_kernels_agree(g, keep, connected, good)


def test_the_model_graphs_give_lassos_and_every_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: set[str] = set()
    lassos = 0
    for name in ("lossy", "learners-silent", "no-partition"):
        g, witness, strong = model_graph(REAL[name], monkeypatch)
        res = both(g, strong, witness)
        seen |= set(res.verdicts.values())
        lassos += len(res.lassos)
    assert seen == {"held", "violated", "unknown"}
    assert lassos >= 3


# -- switch and Ctrl-C -------------------------------------------------------------------------


def test_the_switch_picks_the_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    g = explore_graph(Toy(*TOYS["trap"][:3]))
    assert kernels(g, True).compiled and not kernels(g, False).compiled
    monkeypatch.setattr(liveness, "USE_CORE", False)
    assert not kernels(g).compiled
    monkeypatch.setattr(liveness, "USE_CORE", True)
    assert kernels(g).compiled
    monkeypatch.setattr(liveness, "_livecore", None)
    assert not kernels(g, True).compiled
    assert liveness.core_note() is not None


def test_the_c_loops_poll_for_signals() -> None:
    # A long ring: while the C search runs, a repeating timer's handler must run (inside the
    # loop, through PyErr_CheckSignals), not just once after it; then it raises, as Ctrl-C
    # does, and the search ends with that exception.
    n = 3_000_000
    offsets = array("q", range(n + 1))
    dst = array("i", range(1, n + 1))
    dst[-1] = 0
    keep, ok = bytes([1]) * n, bytes([1]) * n
    calls = [0]
    stop = [False]

    def handler(signum: int, frame: Any) -> None:
        calls[0] += 1
        if stop[0]:
            stop[0] = False  # once: a later tick must not interrupt the test itself
            raise KeyboardInterrupt

    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
        liveness._livecore.sccs(offsets, dst, keep, ok, None, False)
        signal.setitimer(signal.ITIMER_REAL, 0)
        assert calls[0] > 1
        stop[0] = True
        signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
        with pytest.raises(KeyboardInterrupt):
            liveness._livecore.sccs(offsets, dst, keep, ok, None, False)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("core", [False, True])
def test_ctrl_c_during_the_analysis_ends_as_before(core: bool,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # Ctrl-C raised inside the kernels (the C ones raise it from PyErr_CheckSignals) reaches
    # the CLI as a KeyboardInterrupt from either implementation, with the same ending.
    monkeypatch.setattr(liveness, "USE_CORE", core)
    cls = liveness._CoreKernels if core else liveness._Kernels

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(cls, "sccs", interrupted)
    res = CliRunner().invoke(main, ["explore", "--liveness", "--nodes", "2"])
    assert res.exit_code == 130
    assert "liveness: on" in res.output
    assert "OK" not in res.output
    # the complete safety run is reported; no liveness property is said to hold
    assert "safety run:" in res.output and "complete                          yes" in res.output
    assert "LeaderStable, NoLivelock, SettledLeaderStable: unknown" in res.output
    assert "\nINTERRUPTED: " in res.output


def test_a_missing_core_is_one_note_and_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["explore", "--liveness", "--json", *REAL["lossy"]]
    with_core = CliRunner().invoke(main, args)
    monkeypatch.setattr(liveness, "_livecore", None)
    without = CliRunner().invoke(main, args)
    assert without.exit_code == with_core.exit_code == 1
    notes = [line for line in without.stderr.splitlines() if "_livecore" in line]
    assert len(notes) == 1 and notes[0].startswith("raftcheck: note: liveness analysis")
    assert "_livecore" not in with_core.stderr
    drop = ("seconds", "seconds_analyse", "seconds_explore", "states_per_second")
    a, b = json.loads(with_core.stdout), json.loads(without.stdout)
    for out in (a, b):
        for key in drop:
            out.pop(key, None)
            out["liveness"].pop(key, None)
    assert a == b


def test_arrays_that_are_not_a_graph_are_refused() -> None:
    core = liveness._livecore
    offsets, dst = array("q", [0, 1, 2]), array("i", [1, 2])  # 2 is not a state
    with pytest.raises(ValueError):
        core.sccs(offsets, dst, b"\x01\x01", b"\x01\x01", None, True)
    with pytest.raises(ValueError):
        core.reverse(offsets, dst, b"\x01\x01")
    with pytest.raises(ValueError):
        core.sources(array("q", [0, 2, 1]), b"\x01\x01")
    with pytest.raises(TypeError):  # int32 targets expected, not bytes
        core.reverse(offsets, b"\x01\x00", b"\x01\x01")
    good = array("i", [1, 0])
    assert list(memoryview(core.reverse(offsets, good, b"\x01\x01")[1]).cast("i")) == [1, 0]
