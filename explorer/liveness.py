"""Liveness on the explored state graph: three property templates, lassos, fairness.

Generic like the safety explorer: it knows nothing of Raft. A model in liveness mode provides
`init_states()`, `labelled_successors(state) -> (edges, bounded)` and `state_flags(state)`:

- each edge is (action, next state, label bits, fairness key); labels: FAULT (a fault-free
  continuation never takes it), UNTIMELY (excluded by the timing assumptions), CHANGE (the
  thing that must not happen forever, here: a leadership change), SHIFT (the successor was
  normalised, see `no_fair_cycle`), RACING (an UNTIMELY edge that strong fairness still counts
  as enabled: its key may not be taken now, but it must win some time); a key >= 0 names a
  fair action (weakly: if it is enabled in every state of a cycle it must be taken in that
  cycle; strongly, for the keys `analyse` is told: if enabled in some state), -1 none;
- `bounded` lists the keys of actions a bound disabled in that state (they count as enabled:
  a cycle that avoids them only because of the bound is not called fair); -1 for an action
  without a key, and -2 - key for a RACING edge (enabled, whatever the bound);
- flags: CONNECTED (the environment allows progress), GOOD (progress has been made), ANCHORED
  (a GOOD state whose progress must be kept), SETTLED (an ANCHORED state with nothing left
  over from the way there, whose progress must be kept in any case).

Templates (the model names them, `liveness_properties()`, in this order):
1. `recoverable`: from every CONNECTED state a fault-free path reaches a GOOD state;
2. `eventually`: no fair, timely cycle of CONNECTED states avoids every ANCHORED state;
3. `kept`: from an ANCHORED state no fault-free, timely path takes a CHANGE edge;
4. `no_fair_cycle`: no fair, timely cycle of CONNECTED states takes a CHANGE edge;
5. `settled_kept` (optional): from a SETTLED state no fault-free, timely path takes a CHANGE
   edge (`kept` from fewer states).

The graph is kept as compact arrays (CSR: per state an offset; per edge target, label, key), so
memory grows by about 10 bytes per transition on top of the explorer's seen set.

The analysis's hot loops (Tarjan's SCCs, the reverse graph, backward reachability) run in the
compiled explorer/_livecore.c when it is built; the pure-Python functions here (`sccs`,
`_reverse`, `_backward`) are the reference it must agree with. `USE_CORE` (env
RAFTCHECK_LIVECORE=0 turns it off) or `analyse(core=...)` chooses.
"""

from __future__ import annotations

import os
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, compress, repeat
from typing import Any

from explorer.bfs import Limits, Progress

try:
    from explorer import _livecore  # type: ignore[attr-defined]
except ImportError:  # not compiled on this machine
    _livecore = None  # type: ignore[assignment]

# The compiled analysis where it is built, unless RAFTCHECK_LIVECORE=0 asks for the reference.
USE_CORE: bool = _livecore is not None and os.environ.get("RAFTCHECK_LIVECORE", "1") != "0"


def core_note() -> str | None:
    """One line saying the analysis runs on the pure-Python reference, and why; None if not."""
    if _livecore is None:
        return ("liveness analysis: pure Python (the compiled explorer/_livecore.c is not built; "
                "pip install could not compile it)")
    return None

FAULT, UNTIMELY, CHANGE, SHIFT, RACING = 1, 2, 4, 8, 16
CONNECTED, GOOD, ANCHORED, SETTLED = 1, 2, 4, 8
_CLOCK_EVERY = 256


@dataclass
class LiveGraph:
    """The explored graph: states in BFS order, BFS parents, CSR edges, flags, bound info."""

    states: list[Any]
    parent: array
    offsets: array
    dst: array
    label: array
    key: array
    flags: array
    bounded: Mapping[int, tuple[int, ...]]  # a dict, or explorer/livegraph.py's PackedBounded
    complete: bool
    stop_reason: str | None
    seconds: float
    max_depth: int
    action_counts: dict[str, int] = field(default_factory=dict)
    # the compiled builder's counters (explorer/livegraph.py); empty for the reference
    builder_stats: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.states)

    @property
    def transitions(self) -> int:
        return len(self.dst)

    def out(self, s: int) -> range:
        return range(self.offsets[s], self.offsets[s + 1])

    def graph_bytes(self) -> int:
        """Bytes of the liveness-only arrays (edges, offsets, flags, parents)."""
        arrays = (self.offsets, self.dst, self.label, self.key, self.flags, self.parent)
        return sum(a.itemsize * len(a) for a in arrays)


def explore_graph(
    model: Any,
    *,
    limits: Limits | None = None,
    progress: Callable[[Progress], None] | None = None,
    progress_interval: float = 0.5,
    index: dict[Any, int] | None = None,
) -> LiveGraph:
    """Breadth-first exploration that keeps every labelled transition.

    Actions are not stored (`edge_action` recomputes one); `action_counts` counts them by
    their first element. `index` (empty) is filled with state -> number as states are found;
    a caller may hand the same dict to the model, which may use it to recognise successors
    that are already explored states."""
    start = time.perf_counter()
    limits = limits or Limits()
    if index is None:
        index = {}
    states: list[Any] = []
    parent = array("i")
    offsets = array("q", [0])
    dst = array("i")
    label = array("b")
    key = array("i")
    flags = array("b")
    bounded: dict[int, tuple[int, ...]] = {}
    counts: dict[str, int] = {}
    state_flags = model.state_flags
    succ_of = model.labelled_successors
    index_get, states_append, counts_get = index.get, states.append, counts.get
    dst_append, label_append, key_append = dst.append, label.append, key.append
    for init in model.init_states():
        if init not in index:
            index[init] = len(states)
            states.append(init)
            parent.append(-1)
            flags.append(state_flags(init))
    head = 0
    depth = 0
    level_end = len(states)
    max_depth = 0
    stop_reason: str | None = None
    last = start
    while head < len(states):
        if head == level_end:
            depth += 1
            level_end = len(states)
            if limits.max_depth is not None and depth >= limits.max_depth:
                stop_reason = f"depth limit {limits.max_depth} reached"
                break
        if head % _CLOCK_EVERY == 0 and head:
            now = time.perf_counter()
            if limits.time_limit is not None and now - start >= limits.time_limit:
                stop_reason = f"time limit {limits.time_limit:g}s reached"
                break
            if progress is not None and now - last >= progress_interval:
                last = now
                progress(Progress(len(states), len(dst), len(states) - head, depth, now - start))
        edges, bound = succ_of(states[head])
        if bound:
            bounded[head] = tuple(bound)
        for action, nxt, lab, k in edges:
            idx = index_get(nxt)
            if idx is None:
                idx = index[nxt] = len(states)
                states_append(nxt)
                parent.append(head)
                flags.append(state_flags(nxt))
                max_depth = depth + 1
            dst_append(idx)
            label_append(lab)
            key_append(k)
            kind = action[0]
            counts[kind] = counts_get(kind, 0) + 1
        offsets.append(len(dst))
        head += 1
        if limits.max_states is not None and len(states) >= limits.max_states \
                and head < len(states):
            stop_reason = f"state limit {limits.max_states} reached"
            break
    seconds = time.perf_counter() - start
    if progress is not None:
        progress(Progress(len(states), len(dst), len(states) - head, max_depth, seconds))
    # States never expanded keep an empty edge list; the run is then incomplete anyway.
    while len(offsets) < len(states) + 1:
        offsets.append(len(dst))
    return LiveGraph(states, parent, offsets, dst, label, key, flags, bounded,
                     stop_reason is None, stop_reason, seconds, max_depth,
                     dict(sorted(counts.items())))


# -- analysis ----------------------------------------------------------------------------------


@dataclass
class Lasso:
    """A liveness counterexample: init, the prefix to the loop, the loop (state indexes)."""

    prop: str
    init: int
    prefix: list[int]  # edge ids from the initial state to the first state of the cycle
    cycle: list[int]  # edge ids of the cycle (empty: the run ends in a deadlock)
    marks: dict[str, int] = field(default_factory=dict)  # name -> step number (1-based)
    note: str = ""


@dataclass
class LivenessVerdicts:
    verdicts: dict[str, str]
    lassos: list[Lasso]
    details: dict[str, dict[str, Any]]
    seconds: float


def edge_action(model: Any, g: LiveGraph, e: int) -> Any:
    """The action of edge `e` (successors are deterministic, so the edge's position among its
    source's successors names it)."""
    s = _src_of(g, e)
    return model.labelled_successors(g.states[s])[0][e - g.offsets[s]][0]


def _edge_src(g: LiveGraph) -> array:
    offs = g.offsets
    return array("i", chain.from_iterable(
        repeat(s, offs[s + 1] - offs[s]) for s in range(len(g.states))))


def _edge_mask(g: LiveGraph, bad: int, need: int = 0) -> bytes:
    """One byte per edge: 1 where its label has no bit of `bad` and every bit of `need`."""
    table = bytes(1 if not b & bad and b & need == need else 0 for b in range(256))
    return bytes(g.label).translate(table)


def _reverse(g: LiveGraph, keep: bytes, src: array) -> tuple[array, array]:
    """Reverse CSR of the kept edges: (offsets by target, source of each such edge)."""
    n = len(g.states)
    count = array("q", bytes(8 * (n + 1)))
    for t in compress(g.dst, keep):
        count[t + 1] += 1
    for i in range(n):
        count[i + 1] += count[i]
    fill = array("q", count)
    by_target = array("i", bytes(4 * int(count[n])))
    for s, t in compress(zip(src, g.dst, strict=True), keep):
        by_target[fill[t]] = s
        fill[t] += 1
    return count, by_target


def _backward(g: LiveGraph, rev: tuple[array, array], seeds: Iterable[int]) -> bytearray:
    """States from which some kept edge path reaches a seed."""
    offs, by_target = rev
    seen = bytearray(len(g.states))
    todo = []
    for s in seeds:
        if not seen[s]:
            seen[s] = 1
            todo.append(s)
    while todo:
        t = todo.pop()
        for s in by_target[offs[t] : offs[t + 1]]:
            if not seen[s]:
                seen[s] = 1
                todo.append(s)
    return seen


def _path_to(g: LiveGraph, s: int) -> tuple[int, list[int]]:
    """(initial state, edge ids) of the BFS-shortest path to `s`."""
    edges = []
    while g.parent[s] >= 0:
        p = g.parent[s]
        edges.append(_edge_between(g, p, s))
        s = p
    edges.reverse()
    return s, edges


def _edge_between(g: LiveGraph, a: int, b: int, ok: Callable[[int], bool] | None = None) -> int:
    for e in g.out(a):
        if g.dst[e] == b and (ok is None or ok(g.label[e])):
            return e
    raise RuntimeError("no edge between BFS parent and child")  # pragma: no cover


def _bfs_path(
    g: LiveGraph, start: int, goal: Callable[[int], bool], edge_ok: Callable[[int], bool],
) -> list[int] | None:
    """Shortest list of edge ids from `start` to an edge e with goal(e), over edge_ok edges
    (the goal edge is the last one)."""
    prev: dict[int, int] = {start: -1}
    queue = deque([start])
    while queue:
        s = queue.popleft()
        for e in g.out(s):
            if goal(e):
                path = [e]
                while prev[s] >= 0:
                    path.append(prev[s])
                    s = _src_of(g, prev[s])
                path.reverse()
                return path
            if not edge_ok(e):
                continue
            t = g.dst[e]
            if t not in prev:
                prev[t] = e
                queue.append(t)
    return None


def _src_of(g: LiveGraph, e: int) -> int:
    # Binary search in the offsets (sources are not stored per edge).
    lo, hi = 0, len(g.states) - 1
    offs = g.offsets
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if offs[mid] <= e:
            lo = mid
        else:
            hi = mid - 1
    return lo


def sccs(
    g: LiveGraph, keep: bytes, state_ok: bytes | bytearray, roots: Iterable[int] | None = None,
    cyclic: list[Sequence[int]] | None = None,
) -> tuple[array, int]:
    """Tarjan's strongly connected components, iteratively, over the kept edges (`keep`: a
    byte per edge) and states (`state_ok`: a byte per state).

    Returns (component id per state, -1 where not kept or not visited; number of components).
    `cyclic`, if given, receives the members (in increasing order) of every component that has
    a cycle (more than one state, or a kept self-loop), in the order they were completed.
    """
    n = len(g.states)
    loops = bytearray(n) if cyclic is not None else None
    comp = array("i", [-1]) * n
    low = array("i", [0]) * n
    num = array("i", [-1]) * n
    on_stack = bytearray(n)
    stack: list[int] = []
    counter = 0
    ncomp = 0
    offs, dst = g.offsets, g.dst
    for root in range(n) if roots is None else roots:
        if num[root] >= 0 or not state_ok[root]:
            continue
        work = [(root, offs[root])]
        num[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = 1
        while work:
            v, e = work[-1]
            end = offs[v + 1]
            advanced = False
            while e < end:
                w = dst[e]
                ok = keep[e] and state_ok[w]
                e += 1
                if not ok:
                    continue
                if num[w] < 0:
                    work[-1] = (v, e)
                    num[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = 1
                    work.append((w, offs[w]))
                    advanced = True
                    break
                if on_stack[w]:
                    if num[w] < low[v]:
                        low[v] = num[w]
                    if w == v and loops is not None:
                        loops[v] = 1
            if advanced:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == num[v]:
                if cyclic is not None and (stack[-1] != v or loops[v]):  # type: ignore[index]
                    at = len(stack) - 1
                    while stack[at] != v:
                        at -= 1
                    cyclic.append(sorted(stack[at:]))
                while True:
                    w = stack.pop()
                    on_stack[w] = 0
                    comp[w] = ncomp
                    if w == v:
                        break
                ncomp += 1
    return comp, ncomp


# A reverse graph: (offsets by target, source of each kept edge), arrays or int memoryviews.
Rev = tuple[Any, Any]


class _Kernels:
    """The analysis's hot loops on one graph, in pure Python: the reference."""

    compiled = False

    def __init__(self, g: LiveGraph) -> None:
        self.g = g
        self._src: array | None = None

    def reverse(self, keep: bytes) -> Rev:
        if self._src is None:
            self._src = _edge_src(self.g)
        return _reverse(self.g, keep, self._src)

    def backward(self, rev: Rev, seeds: bytes | bytearray) -> bytearray:
        """States from which a kept path reaches a state whose `seeds` byte is set."""
        return _backward(self.g, rev, (s for s in range(len(seeds)) if seeds[s]))

    def sources(self, mask: bytes) -> bytearray:
        """One byte per state: 1 where some edge in `mask` leaves it."""
        if self._src is None:
            self._src = _edge_src(self.g)
        out = bytearray(len(self.g.states))
        for s in compress(self._src, mask):
            out[s] = 1
        return out

    def sccs(self, keep: bytes, state_ok: bytes | bytearray, roots: list[int] | None = None,
             cyclic: list[Sequence[int]] | None = None) -> tuple[Any, int]:
        return sccs(self.g, keep, state_ok, roots, cyclic)

    def component(self, keep: bytes, comp: Any, members: Sequence[int], c: int,
                  ) -> tuple[int, int, set[int]]:
        """(number, OR of labels, set of keys) of the kept edges inside component c."""
        g = self.g
        offs, dst, label, key = g.offsets, g.dst, g.label, g.key
        count = labels = 0
        keys: set[int] = set()
        for v in members:
            for e in range(offs[v], offs[v + 1]):
                if keep[e] and comp[dst[e]] == c:
                    count += 1
                    labels |= label[e]
                    keys.add(key[e])
        return count, labels, keys

    def internal(self, keep: bytes, comp: Any, members: Sequence[int], c: int) -> set[int]:
        """The kept edges inside component c (the edge ids, for a lasso through it)."""
        offs, dst = self.g.offsets, self.g.dst
        return {e for v in members for e in range(offs[v], offs[v + 1])
                if keep[e] and comp[dst[e]] == c}


class _CoreKernels(_Kernels):
    """The same loops in explorer/_livecore.c (results equal to the reference's)."""

    compiled = True

    def reverse(self, keep: bytes) -> Rev:
        offs, by = _livecore.reverse(self.g.offsets, self.g.dst, keep)
        return memoryview(offs).cast("q"), memoryview(by).cast("i")

    def backward(self, rev: Rev, seeds: bytes | bytearray) -> bytearray:
        return _livecore.backward(rev[0], rev[1], seeds)  # type: ignore[no-any-return]

    def sources(self, mask: bytes) -> bytearray:
        return _livecore.sources(self.g.offsets, mask)  # type: ignore[no-any-return]

    def sccs(self, keep: bytes, state_ok: bytes | bytearray, roots: list[int] | None = None,
             cyclic: list[Sequence[int]] | None = None) -> tuple[Any, int]:
        comp, count, found = _livecore.sccs(self.g.offsets, self.g.dst, keep, state_ok, roots,
                                            cyclic is not None)
        if cyclic is not None:
            cyclic.extend(memoryview(members).cast("i") for members in found)
        return memoryview(comp).cast("i"), count

    def component(self, keep: bytes, comp: Any, members: Sequence[int], c: int,
                  ) -> tuple[int, int, set[int]]:
        g = self.g
        return _livecore.component(  # type: ignore[no-any-return]
            g.offsets, g.dst, keep, comp, g.label, g.key, members, c)


def kernels(g: LiveGraph, core: bool | None = None) -> _Kernels:
    """The compiled kernels if `core` (default: USE_CORE) and they are built, else Python."""
    if core is None:
        core = USE_CORE
    return _CoreKernels(g) if core and _livecore is not None else _Kernels(g)


def _flag_mask(g: LiveGraph, bit: int) -> bytes:
    """One byte per state: 1 where its flags have `bit`."""
    return bytes(g.flags).translate(bytes(int(bool(b & bit)) for b in range(256)))


def _mask_of(n: int, states: Iterable[int]) -> bytearray:
    out = bytearray(n)
    for s in states:
        out[s] = 1
    return out


def _int(mask: bytes | bytearray) -> int:
    """A 0/1 mask as a big integer, so that masks combine with &, |, ~ without a loop per
    state in Python (back with `_bytes`)."""
    return int.from_bytes(mask, "little")


def _bytes(x: int, n: int) -> bytes:
    return x.to_bytes(n, "little")


def _count(mask: bytes | bytearray) -> int:
    return len(mask) - mask.count(0)


def analyse(
    g: LiveGraph, names: tuple[str, ...],
    witness: Callable[[Any], bool] | None = None,
    strong: Callable[[int], bool] = lambda k: False,
    core: bool | None = None,
) -> LivenessVerdicts:
    """Judge the templates on an explored graph (names: recoverable, eventually, kept,
    no_fair_cycle, and optionally settled_kept).

    `strong(key)` names the keys under strong fairness. `witness(state)`, if given, may show
    that a state the bounds cut off still makes progress
    (a real path of the unbounded system, outside the graph); it is asked only about states
    where a bound disabled an action and that reach no GOOD state inside the graph.
    `core`: the compiled kernels (True), the Python reference (False), or USE_CORE (None).
    A KeyboardInterrupt (Ctrl-C) propagates from either, as from any loop here."""
    t0 = time.perf_counter()
    recoverable, eventually, kept, no_cycle = names[:4]
    settled_kept: str | None = names[4] if len(names) > 4 else None
    verdicts: dict[str, str] = {}
    lassos: list[Lasso] = []
    details: dict[str, dict[str, Any]] = {}
    n = len(g.states)
    if not g.complete:
        for name in names:
            verdicts[name] = "unknown"
            details[name] = {"why": f"the exploration stopped early ({g.stop_reason})"}
        return LivenessVerdicts(verdicts, lassos, details, time.perf_counter() - t0)
    k = kernels(g, core)
    timely_mask = _edge_mask(g, FAULT | UNTIMELY)

    def fault_free(lab: int) -> bool:
        return not lab & FAULT

    def timely(lab: int) -> bool:
        return not lab & (FAULT | UNTIMELY)

    # 1. recoverable
    rev_ff = k.reverse(_edge_mask(g, FAULT))
    good = k.backward(rev_ff, _flag_mask(g, GOOD))
    witnessed = 0
    if witness is not None:
        extra = [s for s in g.bounded if not good[s] and witness(g.states[s])]
        witnessed = len(extra)
        if extra:
            more = k.backward(rev_ff, _mask_of(n, extra))
            good = bytearray(_bytes(_int(good) | _int(more), n))
    hit_bound = k.backward(rev_ff, _bytes(_int(_mask_of(n, g.bounded)) & ~_int(good), n))
    del rev_ff
    relevant = _flag_mask(g, CONNECTED)
    rel, no_good, bnd = _int(relevant), ~_int(good), _int(hit_bound)
    stuck, unsure = _bytes(rel & no_good & ~bnd, n), _bytes(rel & no_good & bnd, n)
    n_stuck, n_unsure = _count(stuck), _count(unsure)
    details[recoverable] = {"states_checked": _count(relevant), "stuck_states": n_stuck,
                            "bound_dependent_states": n_unsure,
                            "frontier_states_shown_live_beyond_the_bounds": witnessed}
    if n_stuck:
        verdicts[recoverable] = "violated"
        lassos.append(_trap_lasso(g, recoverable, stuck.index(1), fault_free, k))
    elif n_unsure:
        verdicts[recoverable] = "unknown"
        details[recoverable]["why"] = (
            f"{n_unsure:,} states reach no stable leader within the bounds but reach a state "
            "where a bound disabled an action")
    else:
        verdicts[recoverable] = "held"
    if not _count(relevant):
        details[recoverable]["vacuous"] = True
    del good, hit_bound, relevant, stuck, unsure, rel, no_good, bnd

    # 2. kept
    def timely_no_change(lab: int) -> bool:
        return not lab & (FAULT | UNTIMELY | CHANGE)

    change_src = k.sources(_edge_mask(g, FAULT | UNTIMELY, CHANGE))
    rev_t = k.reverse(_edge_mask(g, FAULT | UNTIMELY | CHANGE))
    doomed = k.backward(rev_t, change_src)
    del rev_t, change_src

    def is_change(e: int) -> bool:
        return bool(g.label[e] & CHANGE) and timely(g.label[e])

    # kept, then settled_kept: the same question asked from ANCHORED, then SETTLED states
    protect: list[tuple[str | None, int, str, str]] = [
        (kept, ANCHORED, "anchored_states", "stable"),
        (settled_kept, SETTLED, "settled_states", "settled")]
    for prop, bit, count_key, mark in protect:
        if prop is None:
            continue
        protected = _flag_mask(g, bit)
        bad = _bytes(_int(protected) & _int(doomed), n)
        n_bad = _count(bad)
        details[prop] = {count_key: _count(protected), "deposing_states": n_bad}
        if n_bad:
            verdicts[prop] = "violated"
            s = bad.index(1)
            init, prefix = _path_to(g, s)
            tail = _bfs_path(g, s, is_change, lambda e: timely_no_change(g.label[e])) or []
            lassos.append(Lasso(prop, init, prefix + tail, [],
                                {mark: len(prefix), "deposed": len(prefix) + len(tail)}))
        else:
            verdicts[prop] = "held"
            if not _count(protected):
                details[prop]["vacuous"] = True
        del protected, bad
    del doomed

    # 3. no fair cycle of connected states without an anchored leader
    flag_bytes = bytes(g.flags)
    _fair_cycle_verdict(
        g, eventually,
        flag_bytes.translate(bytes(int(b & CONNECTED and not b & ANCHORED) for b in range(256))),
        False, timely, timely_mask, verdicts, lassos, details,
        "component(s) without a stable leader are unfair only because a bound disabled an "
        "action in them", strong, k)

    # 4. no fair cycle that changes leadership
    _fair_cycle_verdict(
        g, no_cycle, flag_bytes.translate(bytes(int(bool(b & CONNECTED)) for b in range(256))),
        True, timely, timely_mask, verdicts, lassos, details,
        "component(s) that change leadership are unfair only because a bound "
        "disabled an action in them", strong, k)
    return LivenessVerdicts(verdicts, lassos, details, time.perf_counter() - t0)


def _fair_cycle_verdict(
    g: LiveGraph, name: str, state_ok: bytes, need_change: bool,
    timely: Callable[[int], bool], timely_mask: bytes, verdicts: dict[str, str],
    lassos: list[Lasso],
    details: dict[str, dict[str, Any]], why: str, strong: Callable[[int], bool],
    k: _Kernels,
) -> None:
    """A fair, timely cycle among `state_ok` states (taking a CHANGE edge if `need_change`).

    Weak fairness for every key; strong fairness (enabled infinitely often, taken infinitely
    often) for the keys `strong` names. Strong fairness is checked by the usual refinement:
    in a component where a strong key is enabled but never taken, the states enabling it are
    removed and the rest is searched again."""
    fair = _Fair(g, timely, timely_mask, strong, k)
    mask = bytearray(state_ok)
    found = fair.search(mask, need_change)
    details[name] = {"components_checked": fair.checked,
                     "bound_dependent_components": fair.bound_hits}
    if found is not None:
        verdicts[name] = "violated"
        lassos.append(fair.lasso(name, found, need_change))
    elif fair.bound_hits:
        verdicts[name] = "unknown"
        details[name]["why"] = f"{fair.bound_hits} {why}"
    else:
        verdicts[name] = "held"


class _Fair:
    def __init__(self, g: LiveGraph, timely: Callable[[int], bool], timely_mask: bytes,
                 strong: Callable[[int], bool], k: _Kernels) -> None:
        self.g = g
        self.k = k
        self.timely = timely
        self.timely_mask = timely_mask
        self._interned: dict[frozenset[int], frozenset[int]] = {}
        self._strong = strong
        self._strong_of: dict[int, bool] = {}
        self.checked = 0
        self.bound_hits = 0
        # Per state the number of its (enabled, bound-only) pair among the few distinct ones:
        # 4 bytes a state, where a dict entry per state took about a hundred.
        self._pair_of = array("i", [-1]) * len(g.states)
        self._pairs: list[tuple[frozenset[int], frozenset[int]]] = []
        self._pair_ids: dict[tuple[frozenset[int], frozenset[int]], int] = {}

    def strong(self, k: int) -> bool:
        """Whether key k is strongly fair (asked of the model once per key)."""
        got = self._strong_of.get(k)
        if got is None:
            got = self._strong_of[k] = bool(self._strong(k))
        return got

    def enabled(self, s: int) -> tuple[frozenset[int], frozenset[int]]:
        """(keys enabled in s or disabled there by a bound, keys only a bound disabled)."""
        i = self._pair_of[s]
        if i < 0:
            g = self.g
            tk, key, label = self.timely_mask, g.key, g.label
            real = {key[e] for e in g.out(s) if key[e] >= 0 and (
                tk[e] or (label[e] & RACING and not label[e] & FAULT and self.strong(key[e])))}
            marks = g.bounded.get(s, ())
            real |= {-2 - k for k in marks if k <= -2 and self.strong(-2 - k)}
            bound = {k for k in marks if k >= 0}
            intern = self._interned.setdefault
            en, bo = frozenset(real | bound), frozenset(bound - real)
            pair = (intern(en, en), intern(bo, bo))
            i = self._pair_ids.get(pair, -1)
            if i < 0:
                i = self._pair_ids[pair] = len(self._pairs)
                self._pairs.append(pair)
            self._pair_of[s] = i
        return self._pairs[i]

    def search(self, mask: bytearray, need_change: bool) -> tuple[Sequence[int], set[int]] | None:
        g = self.g
        tk = self.timely_mask
        n = len(g.states)
        # A refined search's states, kept as a sorted list until it is searched (a mask per
        # pending search would cost a byte per state each); roots None: every state in order.
        work: list[tuple[bytearray | None, list[int] | None]] = [(mask, None)]
        while work:
            m, roots = work.pop()
            if m is None:
                assert roots is not None
                m = _mask_of(n, roots)
            cyclic: list[Sequence[int]] = []
            comp, _ = self.k.sccs(tk, m, roots, cyclic)
            cyclic.sort(key=lambda ss: ss[0])
            for ss in cyclic:
                c = comp[ss[0]]
                count, labels, taken = self.k.component(tk, comp, ss, c)
                if not count:
                    continue
                if need_change and not labels & CHANGE:
                    continue
                self.checked += 1
                kinds = {self.enabled(v) for v in ss}  # few distinct (interned) pairs
                bad = {k for en, _ in kinds for k in en if self.strong(k) and k not in taken}
                bound_only = set().union(*(bo for _, bo in kinds))
                if bad:
                    if bad <= bound_only:
                        self.bound_hits += 1  # removing these states rests on a bound
                    rest = [v for v in ss if not self.enabled(v)[0] & bad]
                    if rest:
                        work.append((None, rest))
                    continue
                missing = self._weak_missing(ss, bool(labels & SHIFT), taken)
                if not missing:
                    return ss, self.k.internal(tk, comp, ss, c)
                if all(any(k in self.enabled(v)[1] for v in ss) for k in missing):
                    self.bound_hits += 1
        return None

    def _weak_missing(self, ss: Iterable[int], shifting: bool, taken: set[int]) -> set[int]:
        """Weakly fair keys enabled in every state and never taken. When an edge shifted the
        state (`shifting`), every message in flight is delivered within finitely many turns (its
        term would otherwise fall below 1), so delivery keys need no check then."""
        common: set[int] | None = None
        for v in ss:
            en = self.enabled(v)[0]
            common = set(en) if common is None else common & en
            if not common:
                return set()
        missing = (common or set()) - taken
        if shifting:
            missing = {k for k in missing if k < 32}
        return missing

    def lasso(self, name: str, found: tuple[Sequence[int], set[int]], need_change: bool) -> Lasso:
        """A cycle through the fair component that is fair by itself, with its prefix."""
        g = self.g
        ss, inside = found
        entry = min(ss)
        init, prefix = _path_to(g, entry)

        def ok(e: int) -> bool:
            return e in inside

        goals: list[Callable[[int], bool]] = []
        if need_change:
            goals.append(lambda e: e in inside and bool(g.label[e] & CHANGE))
        cycle: list[int] = []
        for _round in range(24):
            cycle = []
            cur = entry
            for goal in goals:
                if any(goal(e) for e in cycle):
                    continue
                path = _bfs_path(g, cur, goal, ok)
                if path is None:
                    continue
                cycle += path
                cur = g.dst[path[-1]]
            if cur != entry or not cycle:
                back = _bfs_path(g, cur, lambda e: e in inside and g.dst[e] == entry, ok)
                assert back is not None
                cycle += back
            visited = [entry] + [g.dst[e] for e in cycle]
            taken = {g.key[e] for e in cycle}
            todo = {k for v in visited for k in self.enabled(v)[0]
                    if self.strong(k) and k not in taken}
            todo |= self._weak_missing(visited, any(g.label[e] & SHIFT for e in cycle), taken)
            if not todo:
                break
            for k in sorted(todo):
                goals.append(self._serves(k, inside))
        return Lasso(name, init, prefix, cycle)

    def _serves(self, k: int, inside: set[int]) -> Callable[[int], bool]:
        """An edge that takes key k, or one into a state where k is not enabled."""
        g = self.g

        def goal(e: int) -> bool:
            if e not in inside:
                return False
            return g.key[e] == k or (not self.strong(k) and k not in self.enabled(g.dst[e])[0])

        return goal


def _bottom_lasso(
    g: LiveGraph, name: str, init: int, prefix: list[int], s: int, entry: int,
    vs: list[int], comp: Any, c: int, fault_free: Callable[[int], bool],
) -> Lasso:
    """Prefix, then the way from stuck state `s` into bottom component `c`, then its loop."""
    to_entry = [] if entry == s else (
        _bfs_path(g, s, lambda e: g.dst[e] == entry and fault_free(g.label[e]),
                  lambda e: fault_free(g.label[e])) or [])
    inside = {e for v in vs for e in g.out(v) if comp[g.dst[e]] == c and fault_free(g.label[e])}
    if not inside:
        return Lasso(name, init, prefix + to_entry, [], {"stuck": len(prefix)},
                     "no fault-free action is enabled here")
    loop = _bfs_path(g, entry, lambda e: e in inside and g.dst[e] == entry,
                     lambda e: e in inside) or []
    return Lasso(name, init, prefix + to_entry, loop, {"stuck": len(prefix)})


def _trap_lasso(g: LiveGraph, name: str, s: int, fault_free: Callable[[int], bool],
                k: _Kernels) -> Lasso:
    """Path to the first stuck state, then a cycle it cannot leave (or a deadlock)."""
    init, prefix = _path_to(g, s)
    reach: list[int] = []
    seen = {s}
    todo = [s]
    while todo:
        v = todo.pop()
        reach.append(v)
        for e in g.out(v):
            if fault_free(g.label[e]) and g.dst[e] not in seen:
                seen.add(g.dst[e])
                todo.append(g.dst[e])
    in_reach = bytearray(len(g.states))
    for v in seen:
        in_reach[v] = 1
    comp, _ = k.sccs(_edge_mask(g, FAULT), in_reach, roots=[s])
    bottoms: dict[int, list[int]] = {}
    for v in reach:
        bottoms.setdefault(comp[v], []).append(v)
    for c, vs in sorted(bottoms.items(), key=lambda kv: min(kv[1])):
        leaves = any(comp[g.dst[e]] != c for v in vs for e in g.out(v)
                     if fault_free(g.label[e]))
        if leaves:
            continue
        return _bottom_lasso(g, name, init, prefix, s, min(vs), vs, comp, c, fault_free)
    return Lasso(name, init, prefix, [], {"stuck": len(prefix)})  # pragma: no cover
