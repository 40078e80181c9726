"""The liveness graph built on the compiled core (explorer/_fastcore.c, "the liveness graph").

`build_graph` is what `raftcheck explore --liveness` calls: the compiled builder where it is
built and the model offers `live_tables()` (model/live_tables.py), else the reference,
`explorer.liveness.explore_graph`. Both give the same LiveGraph, state numbers included
(tests/liveness/test_livegraph_parity.py); env RAFTCHECK_LIVEGRAPH=0 asks for the reference.

The compiled graph keeps its states packed in the core (a few 32-bit words each) and
`LiveGraph.states` decodes one when it is asked for: the analysis reads only a few (lasso
states, bound states for the progress witness).
"""

from __future__ import annotations

import os
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, overload

from explorer.bfs import Limits, Progress
from explorer.liveness import CHANGE, FAULT, RACING, SHIFT, UNTIMELY, LiveGraph, explore_graph

try:
    from explorer import _fastcore  # type: ignore[attr-defined]
except ImportError:  # not compiled on this machine
    _fastcore = None  # type: ignore[assignment]

# The compiled builder where it is built, unless RAFTCHECK_LIVEGRAPH=0 asks for the reference.
USE_CORE: bool = (_fastcore is not None and hasattr(_fastcore.Core, "live_graph")
                  and os.environ.get("RAFTCHECK_LIVEGRAPH", "1") != "0")

KIND_ORDER = ("tick", "timeout", "heartbeat", "transfer", "append", "restart", "deliver", "drop",
              "duplicate", "heal", "split")  # the core's kind numbers (model/core_tables.py)


def builder_note() -> str | None:
    """One line saying the graph is built by the pure-Python reference because the compiled
    core is missing; None otherwise (an explicit RAFTCHECK_LIVEGRAPH=0 needs no note)."""
    if _fastcore is None or not hasattr(_fastcore.Core, "live_graph"):
        return ("liveness graph: built in pure Python (the compiled explorer/_fastcore.c is "
                "not built; pip install could not compile it)")
    return None


class PackedStates(Sequence[Any]):
    """The graph's states, kept packed in the core and decoded on demand."""

    def __init__(self, core: Any, count: int) -> None:
        self._core = core
        self._count = count

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, i: int) -> Any: ...

    @overload
    def __getitem__(self, i: slice) -> list[Any]: ...

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._count))]
        if i < 0:
            i += self._count
        if not 0 <= i < self._count:
            raise IndexError("state index out of range")
        return self._core.state(i)

    def __iter__(self) -> Iterator[Any]:
        return (self._core.state(i) for i in range(self._count))

    def nbytes(self) -> int:
        """Bytes the core holds for the states (packed words, the state set, parent links)."""
        return int(self._core_bytes)

    _core_bytes = 0


class PackedBounded(Mapping[int, tuple[int, ...]]):
    """LiveGraph.bounded as three arrays (bound states in increasing order, offsets, keys):
    most states of a large graph are bound states, and a dict of tuples cost ~200 B each."""

    def __init__(self, states: array, offsets: array, keys: array) -> None:
        self._states, self._offsets, self._keys = states, offsets, keys

    def __len__(self) -> int:
        return len(self._states)

    def __iter__(self) -> Iterator[int]:
        return iter(self._states)

    def __getitem__(self, s: int) -> tuple[int, ...]:
        i = bisect_left(self._states, s)
        if i == len(self._states) or self._states[i] != s:
            raise KeyError(s)
        return tuple(self._keys[self._offsets[i] : self._offsets[i + 1]])

    def nbytes(self) -> int:
        return sum(a.itemsize * len(a) for a in (self._states, self._offsets, self._keys))


def compiled_available(model: Any) -> bool:
    return USE_CORE and callable(getattr(model, "live_tables", None))


def build_graph(
    model: Any,
    *,
    limits: Limits | None = None,
    progress: Callable[[Progress], None] | None = None,
    progress_interval: float = 0.5,
    core: bool | None = None,
) -> LiveGraph:
    """The liveness graph of a liveness-mode model: compiled if `core` (default: where it is
    available), else by the reference `explore_graph` with its explored-states shortcut."""
    if core is None:
        core = compiled_available(model)
    if core:
        return compiled_graph(model, limits=limits, progress=progress,
                              progress_interval=progress_interval)
    index: dict[Any, int] = {}
    model.live.use_known(index)
    try:
        return explore_graph(model, limits=limits, progress=progress,
                             progress_interval=progress_interval, index=index)
    finally:
        model.live.use_known(None)


def compiled_graph(
    model: Any,
    *,
    limits: Limits | None = None,
    progress: Callable[[Progress], None] | None = None,
    progress_interval: float = 0.5,
    verify: bool | None = None,
) -> LiveGraph:
    """`explore_graph`'s graph, built by the compiled core (same BFS order, same numbers).
    `verify` (default: env RAFTCHECK_LIVEGRAPH_VERIFY=1) checks the core's normal-form test
    against `rebase` on every successor it decides (for tests; slower)."""
    if verify is None:
        verify = os.environ.get("RAFTCHECK_LIVEGRAPH_VERIFY", "0") == "1"
    if _fastcore is None:
        raise RuntimeError("the compiled core is not built")
    start = time.perf_counter()
    limits = limits or Limits()
    tables = model.live_tables()
    n, nb, max_msgs, drop = tables.layout
    core = _fastcore.Core(tables, n, nb, max_msgs, drop, 0, False, False)
    consts = (FAULT, UNTIMELY, CHANGE, SHIFT, RACING, *tables.fairness_keys)
    # as Liveness.use_known: the explored-states shortcut needs initial states within the bound
    use_known = tables.known_shortcut_ok()
    inits = list(model.init_states())

    def on_progress(distinct: int, transitions: int, queue: int, depth: int, sec: float) -> None:
        assert progress is not None
        progress(Progress(distinct, transitions, queue, depth, sec))

    def limit(x: float | int | None) -> Any:
        return -1 if x is None else x

    out = core.live_graph(
        tables, inits, consts, tables.max_term, use_known, limit(limits.max_states),
        limit(limits.max_depth), float(limit(limits.time_limit)),
        on_progress if progress is not None else None, progress_interval,
        tables.partition_splits(), verify)
    count = int(out["distinct"])
    states = PackedStates(core, count)
    states._core_bytes = int(out["core_bytes"])
    graph = LiveGraph(
        states,  # type: ignore[arg-type]
        # popped one by one: each bytes object goes as soon as its array is made
        _array("i", out.pop("parent")), _array("q", out.pop("offsets")),
        _array("i", out.pop("dst")), _array("b", out.pop("label")),
        _array("i", out.pop("key")), _array("b", out.pop("flags")),
        PackedBounded(*(_array("i", b) for b in out.pop("bounded"))),
        out["stop_reason"] is None, out["stop_reason"], time.perf_counter() - start,
        int(out["max_depth"]),
        dict(sorted((KIND_ORDER[k], c) for k, c in enumerate(out["kinds"]) if c)),
    )
    graph.builder_stats = {k: int(out[k]) for k in ("rebase_calls", "norm_hits", "known_hits",
                                                  "normal_hits", "shift_hits", "core_bytes")}
    return graph


def _array(code: str, data: bytes) -> array:
    a = array(code)
    a.frombytes(data)
    return a
