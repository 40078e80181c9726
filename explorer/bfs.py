"""Breadth-first exhaustive exploration with a seen-set and shortest counterexample traces."""

from __future__ import annotations

import time
from array import array
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from typing import Any

from explorer.protocol import Model

try:  # the C helper behind Counter.update, without its per-call type checks
    from collections import _count_elements  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - other Python implementations

    def _count_elements(mapping: dict[Any, int], iterable: Any) -> None:
        for elem in iterable:
            mapping[elem] = mapping.get(elem, 0) + 1


# How many expansions between two looks at the clock.
_CLOCK_EVERY = 512

# The stop reason of a run ended by Ctrl-C (KeyboardInterrupt): its result is partial.
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Limits:
    max_states: int | None = None
    max_depth: int | None = None
    time_limit: float | None = None


@dataclass
class Step:
    """One step of a trace: the action taken and the state it led to."""

    action: Any
    state: Any


@dataclass
class Violation:
    invariant: str
    init: Any
    steps: list[Step]

    def __len__(self) -> int:
        return len(self.steps)


@dataclass
class Progress:
    distinct: int
    transitions: int
    queue: int
    depth: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.distinct / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Result:
    complete: bool
    stop_reason: str | None
    distinct_states: int
    transitions: int
    max_depth: int
    seconds: float
    action_counts: dict[str, int]
    invariants: dict[str, str]
    violations: list[Violation]
    edges: list[tuple[int, int, Any]] | None = None  # (source, target, action)
    states: list[Any] = field(default_factory=list, repr=False)
    engine: str = "reference"
    # The fast engine's own memory (state set, queue, parent links) and, in fingerprint mode,
    # the estimated chance that a fingerprint collision hid a state.
    state_bytes: int | None = None
    fingerprint_collision: float | None = None
    # Threads that searched (the fast engine's --workers; the reference uses one).
    workers: int = 1
    # Fingerprint mode: the most bytes of queue and parent links held in spill files at once,
    # and the (removed) directory they were in.
    spilled_bytes: int | None = None
    spill_dir: str | None = None

    @property
    def states_per_second(self) -> float:
        return self.distinct_states / self.seconds if self.seconds > 0 else 0.0



def invariant_names(model: Any, only: Collection[str] | None) -> list[str]:
    """The model's invariants an exploration checks (all, or `only`, which must name some)."""
    names = [inv.name for inv in model.invariants() if only is None or inv.name in only]
    if only is not None:
        unknown = set(only) - set(names)
        if unknown:
            raise ValueError(f"unknown invariant(s): {', '.join(sorted(unknown))}")
    return names


def initial_states(model: Any, canon: Callable[[Any], Any] | None) -> list[Any]:
    """The model's initial states (their symmetry representatives), each once, in order."""
    out: list[Any] = []
    for init in model.init_states():
        c = canon(init) if canon else init
        if c not in out:
            out.append(c)
    return out


def explore(
    model: Model[Any, Any],
    *,
    symmetry: bool = False,
    limits: Limits = Limits(),
    keep_going: bool = False,
    record_graph: bool = False,
    progress: Callable[[Progress], None] | None = None,
    progress_interval: float = 0.5,
    only: Collection[str] | None = None,
) -> Result:
    """Visit every state reachable from the model's initial states, within `limits`.

    `only` restricts the check to the named invariants.

    Stops at the first violation unless `keep_going`, in which case it goes on (through
    violating states too) and records the first, shortest, violation of each invariant.
    """
    start = time.perf_counter()
    canon: Callable[[Any], Any] | None = model.canonical if symmetry else None
    names = invariant_names(model, only)
    if only is not None:
        wanted = frozenset(only)
        all_violations = model.violations

        def violations_of(state: Any) -> Sequence[str]:
            return [n for n in all_violations(state) if n in wanted]
    else:
        violations_of = model.violations
    index: dict[Hashable, int] = {}
    states: list[Any] = []
    parent = array("q")
    via: list[Any] = []
    kinds: Counter[str] = Counter()
    edges: list[tuple[int, int, Any]] | None = [] if record_graph else None
    found: dict[str, int] = {}  # invariant -> index of the first violating state
    stop_reason: str | None = None

    def add(state: Any, frm: int, action: Any) -> int:
        idx = len(states)
        index[state] = idx
        states.append(state)
        parent.append(frm)
        via.append(action)
        return idx

    for c in initial_states(model, canon):
        idx = add(c, -1, None)
        for name in violations_of(c):
            found.setdefault(name, idx)

    head = 0
    depth = 0
    max_depth = 0
    level_end = len(states)
    transitions = 0
    last_report = start
    successors = model.successors
    violations = violations_of
    kind_of = model.action_kind
    count_kinds = partial(_count_elements, kinds)
    first = itemgetter(0)
    index_get = index.get
    states_append = states.append
    parent_append = parent.append
    via_append = via.append
    max_states = limits.max_states
    stop = bool(found) and not keep_going
    try:
        while head < len(states) and not stop:
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
                if progress is not None and now - last_report >= progress_interval:
                    last_report = now
                    progress(
                        Progress(len(states), transitions, len(states) - head, depth, now - start)
                    )
            succ = successors(states[head])
            if type(succ) is not list:
                succ = list(succ)
            transitions += len(succ)
            count_kinds(map(kind_of, map(first, succ)))
            for action, nxt in succ:
                c = nxt if canon is None else canon(nxt)
                found_idx = index_get(c)
                if found_idx is None:
                    idx = len(states)
                    index[c] = idx
                    states_append(c)
                    parent_append(head)
                    via_append(action)
                    max_depth = depth + 1
                    names_bad = violations(c)
                    if names_bad:
                        for name in names_bad:
                            found.setdefault(name, idx)
                        if not keep_going or len(found) == len(names):
                            stop = True
                            break
                    if max_states is not None and len(states) >= max_states:
                        stop_reason = f"state limit {max_states} reached"
                        stop = True
                        break
                else:
                    idx = found_idx
                if edges is not None:
                    edges.append((head, idx, action))
            head += 1
    except KeyboardInterrupt:
        # Ctrl-C: keep what was explored. An interrupted insertion may have left the tables
        # of different lengths; cut them to the states fully recorded.
        stop_reason = INTERRUPTED
        kept = min(len(states), len(parent), len(via))
        del states[kept:], parent[kept:], via[kept:]
        head = min(head, kept)

    seconds = time.perf_counter() - start
    complete = stop_reason is None and head >= len(states) and not (found and not keep_going)
    if found and not keep_going and stop_reason is None:
        stop_reason = "invariant violated"
    if progress is not None:
        progress(Progress(len(states), transitions, len(states) - head, max_depth, seconds))

    verdicts = verdicts_of(names, found, complete, keep_going, stop_reason)
    traces = [
        _trace(model, canon, states, parent, via, found[name], name)
        for name in sorted(found, key=lambda n: (found[n], n))
    ]
    action_counts = dict(kinds)
    return Result(
        complete=complete and not found,
        stop_reason=stop_reason,
        distinct_states=len(states),
        transitions=transitions,
        max_depth=max_depth,
        seconds=seconds,
        action_counts=dict(sorted(action_counts.items())),
        invariants=verdicts,
        violations=traces,
        edges=edges,
        states=states if record_graph else [],
    )


def verdicts_of(
    names: list[str], found: dict[str, int], complete: bool, keep_going: bool,
    stop_reason: str | None,
) -> dict[str, str]:
    """Each invariant's verdict: violated if found; held only when the run covered everything
    (a complete run, or --keep-going that no limit stopped); unknown otherwise."""
    verdicts = {}
    for name in names:
        if name in found:
            verdicts[name] = "violated"
        elif complete or (keep_going and stop_reason is None):
            verdicts[name] = "held"
        else:
            verdicts[name] = "unknown"
    return verdicts


def _trace(
    model: Model[Any, Any],
    canon: Callable[[Any], Any] | None,
    states: list[Any],
    parent: array,
    via: list[Any],
    idx: int,
    name: str,
) -> Violation:
    """Rebuild the path to state `idx` as concrete steps (undoing symmetry reduction)."""
    chain = []
    while idx >= 0:
        chain.append(idx)
        idx = parent[idx]
    chain.reverse()
    if canon is None:
        steps = [Step(via[i], states[i]) for i in chain[1:]]
        return Violation(name, states[chain[0]], steps)
    init = states[chain[0]]
    targets = [states[i] for i in chain[1:]]
    return Violation(name, init, replay_concrete(model, canon, init, targets))


def replay_concrete(
    model: Model[Any, Any], canon: Callable[[Any], Any], init: Any, targets: list[Any]
) -> list[Step]:
    """Under symmetry a stored path goes through representatives; replay it from the initial
    state so that every step applies to the state the previous step produced."""
    cur = init
    steps = []
    for target in targets:
        for action, nxt in model.successors(cur):
            if canon(nxt) == target:
                steps.append(Step(action, nxt))
                cur = nxt
                break
        else:  # pragma: no cover - would mean canonical() is not a function of the orbit
            raise RuntimeError("symmetry replay failed: canonical form is inconsistent")
    return steps
