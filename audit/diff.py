"""Behaviour diff: abstract states and transitions reachable under one rule set only.

An abstract state is a model state without its history variables (no rule reads them): the node
tuples, the fault budgets and the sorted in-flight messages. Because successors never depend on
the history, a breadth-first search over history-free states visits exactly the abstract
reachable graph. Each side is explored with its own model; its states are then decoded and
re-encoded in one neutral key model (same configuration) and canonicalised there, so that both
sides use the same symmetry representative and compare as plain tuples. BFS order gives each
state its shortest trace.
"""

from __future__ import annotations

import time
from array import array
from dataclasses import dataclass, field
from typing import Any

from model.cluster import ClusterModel
from model.node_state import LEADER, ROLE

EMPTY_HISTORY: Any = ((), (), ())
_SHIFT = 32


class KeySpace:
    """A neutral model in which both sides' abstract states are encoded and canonicalised."""

    def __init__(self, model: ClusterModel) -> None:
        self.model = ClusterModel(model.cfg, model.rules)

    def keys(self, g: Graph) -> list[tuple[int, ...]]:
        km = self.model
        src = g.model
        out = []
        for st in g.states:
            enc = km.encode(src.nodes(st), src.messages(st), src.budgets(st))
            out.append(km.canonical(enc))
        return out


@dataclass
class Graph:
    model: ClusterModel
    states: list[tuple[int, ...]]
    index: dict[tuple[int, ...], int]
    parent: array
    edges: set[int]
    complete: bool
    seconds: float
    keys: list[tuple[int, ...]] = field(default_factory=list, repr=False)
    key_index: dict[tuple[int, ...], int] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.states)

    def keyed(self, space: KeySpace) -> None:
        """Compute the neutral keys (once per graph and key space)."""
        if not self.keys or getattr(self, "_space", None) is not space:
            self.keys = space.keys(self)
            self.key_index = {k: i for i, k in enumerate(self.keys)}
            self._space = space


def _stripper(model: ClusterModel) -> tuple[Any, int]:
    hp = model.hist_pos
    empty = model.hist_id(EMPTY_HISTORY)
    canon = model.canonical

    def strip(st: tuple[int, ...]) -> tuple[int, ...]:
        return canon(st[:hp] + (empty,) + st[hp + 1 :])

    return strip, hp


def abstract_graph(model: ClusterModel, time_limit: float | None = None) -> Graph:
    """Every abstract state reachable in `model`, with its BFS parent and the transitions."""
    start = time.perf_counter()
    strip, _ = _stripper(model)
    states: list[tuple[int, ...]] = []
    index: dict[tuple[int, ...], int] = {}
    parent = array("q")
    edges: set[int] = set()
    for init in model.init_states():
        c = strip(init)
        if c not in index:
            index[c] = len(states)
            states.append(c)
            parent.append(-1)
    head = 0
    complete = True
    successors = model.successors
    while head < len(states):
        if time_limit is not None and head % 1024 == 0 and head:
            if time.perf_counter() - start > time_limit:
                complete = False
                break
        for _action, nxt in successors(states[head]):
            c = strip(nxt)
            idx = index.get(c)
            if idx is None:
                idx = index[c] = len(states)
                states.append(c)
                parent.append(head)
            if idx != head:
                edges.add((head << _SHIFT) | idx)
        head += 1
    return Graph(model, states, index, parent, edges, complete, time.perf_counter() - start)


@dataclass
class Witness:
    """A shortest trace to a state or transition that exists on one side only."""

    side: str  # "variant" or "baseline"
    kind: str  # "state" or "transition"
    steps: list[tuple[Any, tuple[int, ...]]]  # (action, concrete state), history stripped
    init: tuple[int, ...]
    model: ClusterModel = field(repr=False)

    def __len__(self) -> int:
        return len(self.steps)


@dataclass
class GraphDiff:
    variant_states: int
    baseline_states: int
    variant_transitions: int
    baseline_transitions: int
    only_variant_states: int
    only_baseline_states: int
    only_variant_transitions: int
    only_baseline_transitions: int
    complete: bool
    witnesses: list[Witness]
    seconds: float

    @classmethod
    def identical(cls) -> GraphDiff:
        """A diff known to be empty without building the graphs."""
        return cls(0, 0, 0, 0, 0, 0, 0, 0, True, [], 0.0)

    @property
    def changed(self) -> bool:
        return bool(
            self.only_variant_states
            or self.only_baseline_states
            or self.only_variant_transitions
            or self.only_baseline_transitions
        )


def _chain(g: Graph, idx: int) -> list[int]:
    out = []
    while idx >= 0:
        out.append(idx)
        idx = g.parent[idx]
    out.reverse()
    return out


def _replay(g: Graph, chain: list[int], last: int | None = None) -> Witness:
    """Concrete steps along `chain` (and one more step to state `last`), history stripped."""
    model = g.model
    strip, hp = _stripper(model)
    empty = model.hist_id(EMPTY_HISTORY)
    init = model.init_states()[0]
    cur = init[:hp] + (empty,) + init[hp + 1 :]
    steps: list[tuple[Any, tuple[int, ...]]] = []
    targets = [g.states[i] for i in chain[1:]]
    if last is not None:
        targets.append(g.states[last])
    for target in targets:
        for action, nxt in model.successors(cur):
            flat = nxt[:hp] + (empty,) + nxt[hp + 1 :]
            if strip(flat) == target:
                steps.append((action, flat))
                cur = flat
                break
        else:  # pragma: no cover - canonical() would not be a function of the orbit
            raise RuntimeError("diff replay failed: canonical form is inconsistent")
    return Witness("", "", steps, init[:hp] + (empty,) + init[hp + 1 :], model)


def _first_state_only(a: Graph, b: Graph) -> int | None:
    for i, k in enumerate(a.keys):
        if k not in b.key_index:
            return i
    return None


def _count_states_only(a: Graph, b: Graph) -> int:
    return sum(1 for k in a.keys if k not in b.key_index)


def _transitions_only(a: Graph, b: Graph) -> tuple[int, int | None]:
    """How many of a's transitions b lacks, and the first one between states both reach."""
    mask = (1 << _SHIFT) - 1
    count = 0
    first: int | None = None
    for e in a.edges:
        src, dst = e >> _SHIFT, e & mask
        s2 = b.key_index.get(a.keys[src])
        d2 = b.key_index.get(a.keys[dst])
        if s2 is None or d2 is None or ((s2 << _SHIFT) | d2) not in b.edges:
            count += 1
            if s2 is not None and d2 is not None and (first is None or e < first):
                first = e
    return count, first


def diff_graphs(variant: Graph, baseline: Graph, space: KeySpace) -> GraphDiff:
    """Compare two abstract graphs of the same configuration in the neutral key space."""
    start = time.perf_counter()
    baseline.keyed(space)
    variant.keyed(space)
    ov = _count_states_only(variant, baseline)
    ob = _count_states_only(baseline, variant)
    tv, first_tv = _transitions_only(variant, baseline)
    tb, first_tb = _transitions_only(baseline, variant)
    witnesses: list[Witness] = []
    mask = (1 << _SHIFT) - 1
    for side, g, other, first_edge in (
        ("variant", variant, baseline, first_tv),
        ("baseline", baseline, variant, first_tb),
    ):
        i = _first_state_only(g, other)
        if i is not None:
            w = _replay(g, _chain(g, i))
            w.side, w.kind = side, "state"
            witnesses.append(w)
        elif first_edge is not None:
            src, dst = first_edge >> _SHIFT, first_edge & mask
            w = _replay(g, _chain(g, src), dst)
            w.side, w.kind = side, "transition"
            witnesses.append(w)
    return GraphDiff(
        variant_states=len(variant),
        baseline_states=len(baseline),
        variant_transitions=len(variant.edges),
        baseline_transitions=len(baseline.edges),
        only_variant_states=ov,
        only_baseline_states=ob,
        only_variant_transitions=tv,
        only_baseline_transitions=tb,
        complete=variant.complete and baseline.complete,
        witnesses=witnesses,
        seconds=time.perf_counter() - start + variant.seconds,
    )


# -- lockstep diff: stop at the first difference ------------------------------------------------


def _local_raw(model: ClusterModel, nid: int, nd: Any) -> tuple[Any, ...]:
    """Node `nid`'s own steps from node state `nd` as the rules compute them (un-interned):
    what `ClusterModel._local_steps` tabulates, restart aside (no rule decides it)."""
    logic = model.logic
    timeout = None
    if logic.can_time_out(nid, nd) and not model._campaign_beyond_bound(nid, nd):
        timeout = logic.timeout(nid, nd)
    leader = None
    if nd[ROLE] == LEADER:
        leader = (
            logic.heartbeat(nid, nd),
            tuple(logic.transfer(nid, nd, to) for to in logic.vote_targets
                  if to != nid and logic.promotable(to)),
            logic.append(nid, nd),
        )
    return logic.tick(nid, nd), timeout, leader


def step_agreement(variant: ClusterModel, baseline: ClusterModel) -> Any:
    """A test of a variant state: do both rule sets give every step enabled there the same
    result? Each node's own steps and each delivery are computed by both sides once per (node
    state, message) and compared as plain tuples; where all agree the successors of the state
    are the same on both sides (the model is deterministic in the steps' results: the cluster
    only places them), so the lockstep diff need not compute the baseline's. None where the
    model's successors are not built from those steps alone (networks, liveness mode, a
    subclass that takes its steps elsewhere, such as the patch audit's implementation)."""
    if type(variant) is not ClusterModel or type(baseline) is not ClusterModel:
        return None
    if variant.net or variant.live is not None or variant.cfg != baseline.cfg:
        return None
    n, hp = variant.n, variant.hist_pos
    node_tab, msg_tab, msg_to = variant.node_tab, variant.msg_tab, variant.msg_to
    step_v, step_b = variant.logic.step, baseline.logic.step
    local_ok: dict[int, bool] = {}
    deliver_ok: dict[int, bool] = {}

    def agrees(st: tuple[int, ...]) -> bool:
        for i in range(n):
            key = st[i] * 16 + i
            ok = local_ok.get(key)
            if ok is None:
                nd = node_tab[st[i]]
                ok = local_ok[key] = \
                    _local_raw(variant, i + 1, nd) == _local_raw(baseline, i + 1, nd)
            if not ok:
                return False
        for mid in st[hp + 1:]:
            i = msg_to[mid] - 1
            key = (st[i] << _SHIFT) | mid
            ok = deliver_ok.get(key)
            if ok is None:
                nd, m = node_tab[st[i]], msg_tab[mid]
                ok = deliver_ok[key] = step_v(i + 1, nd, m) == step_b(i + 1, nd, m)
            if not ok:
                return False
        return True

    return agrees


def first_difference(
    variant: ClusterModel, baseline: ClusterModel, time_limit: float | None = None,
    tabulated: bool = True,
) -> GraphDiff:
    """Both sides explored together, breadth first, over the abstract states they share: at
    each state the two successor sets are compared (in a neutral key space), and the search
    stops at the first state whose successors differ. Until then every state reached is
    reached on both sides (their successors were equal so far), so the first difference found
    is the shortest one, and a search that ends without one proves the abstract graphs equal.

    The counts of a diff that stopped at its first difference are those seen until then
    (`complete` is False): the verdict needs only that the difference exists, and its witness.

    `tabulated`: at a state where both rule sets give every enabled step the same result
    (`step_agreement`), the baseline's successors are those of the variant and are not
    computed; the outcome is the same, about half the work when the changed rules rarely
    answer differently.
    """
    start = time.perf_counter()
    # Keys are the variant's own abstract states (history stripped, canonical); baseline
    # states are re-encoded into the variant's tables to compare with them.
    strip_v, _ = _stripper(variant)
    hp_b = baseline.hist_pos
    empty_b = baseline.hist_id(EMPTY_HISTORY)
    enc_v, enc_b = variant.encode, baseline.encode
    nodes_v, msgs_v, budgets_v = variant.nodes, variant.messages, variant.budgets
    nodes_b, msgs_b, budgets_b = baseline.nodes, baseline.messages, baseline.budgets
    succ_v, succ_b = variant.successors, baseline.successors

    def key_of(m: ClusterModel, st: tuple[int, ...]) -> tuple[int, ...]:
        if m is variant:
            return strip_v(st)
        return strip_v(enc_v(nodes_b(st), msgs_b(st), budgets_b(st)))

    agrees = step_agreement(variant, baseline) if tabulated else None
    init = key_of(variant, variant.init_states()[0])
    keys = [init]
    index = {init: 0}
    parent = array("q", [-1])
    edges = 0
    head = 0
    found: tuple[str, int, tuple[int, ...]] | None = None  # (side, source, destination key)
    complete = True
    while head < len(keys):
        if time_limit is not None and head % 1024 == 0 and head:
            if time.perf_counter() - start > time_limit:
                complete = False
                break
        k = keys[head]
        mine = {strip_v(nxt) for _a, nxt in succ_v(k)} - {k}
        if agrees is not None and agrees(k):
            succ = [mine, mine]
        else:
            kb = enc_b(nodes_v(k), msgs_v(k), budgets_v(k))
            kb = kb[:hp_b] + (empty_b,) + kb[hp_b + 1:]
            succ = [
                mine,
                {strip_v(enc_v(nodes_b(nxt), msgs_b(nxt), budgets_b(nxt)))
                 for _a, nxt in succ_b(kb)} - {k},
            ]
        if succ[0] != succ[1]:
            only_v = sorted(succ[0] - succ[1])
            only_b = sorted(succ[1] - succ[0])
            found = ("variant", head, only_v[0]) if only_v else ("baseline", head, only_b[0])
            break
        for d in sorted(succ[0]):
            edges += 1
            if d not in index:
                index[d] = len(keys)
                keys.append(d)
                parent.append(head)
        head += 1
    seconds = time.perf_counter() - start
    if found is None:
        n = len(keys)
        return GraphDiff(n, n, edges, edges, 0, 0, 0, 0, complete, [], seconds)
    side, src, dst = found
    chain = []
    i = src
    while i >= 0:
        chain.append(keys[i])
        i = parent[i]
    chain.reverse()
    m = variant if side == "variant" else baseline
    w = _replay_keys(m, key_of, chain[1:] + [dst])
    w.side, w.kind = side, "transition"
    n = len(keys)
    tv, tb = (1, 0) if side == "variant" else (0, 1)
    return GraphDiff(n, n, edges, edges, 0, 0, tv, tb, False, [w], seconds)


def _replay_keys(model: ClusterModel, key_of: Any, targets: list[tuple[int, ...]]) -> Witness:
    """Concrete steps of `model` from its initial state through states with these keys."""
    hp = model.hist_pos
    empty = model.hist_id(EMPTY_HISTORY)
    init = model.init_states()[0]
    cur = init[:hp] + (empty,) + init[hp + 1:]
    steps: list[tuple[Any, tuple[int, ...]]] = []
    for target in targets:
        for action, nxt in model.successors(cur):
            flat = nxt[:hp] + (empty,) + nxt[hp + 1:]
            if key_of(model, flat) == target:
                steps.append((action, flat))
                cur = flat
                break
        else:  # pragma: no cover - canonical() would not be a function of the orbit
            raise RuntimeError("diff replay failed: canonical form is inconsistent")
    return Witness("", "", steps, init[:hp] + (empty,) + init[hp + 1:], model)
