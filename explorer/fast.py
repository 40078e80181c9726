"""The fast engine: the compiled core's breadth-first search, with the reference's results.

Raft-blind like explorer/bfs.py. A model opts in by offering `core_tables(names)`, an object the
compiled core (explorer/_fastcore.c) asks for every step it has not cached yet; models without
it, or runs the core cannot do (recording the graph), stay on the reference engine. The result
is the reference's `Result`, and traces are rebuilt by replaying the model from the successor
ordinals the core keeps, so they are the model's own steps.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

from explorer.bfs import (
    Limits,
    Progress,
    Result,
    Step,
    Violation,
    initial_states,
    invariant_names,
    replay_concrete,
    verdicts_of,
)
from explorer.checkpoint import (
    DEFAULT_INTERVAL,
    STRETCH,
    CheckpointError,
    Checkpointing,
    check_settings,
    load_checkpoint,
    open_checkpoint,
    write_checkpoint,
)
from explorer.protocol import Model

try:
    from explorer import _fastcore  # type: ignore[attr-defined]
except ImportError:  # not compiled on this machine
    _fastcore = None  # type: ignore[assignment]


class EngineUnavailable(Exception):
    """The fast engine cannot run this exploration (the message says why)."""


def unavailable_reason(model: Any, *, record_graph: bool = False) -> str | None:
    """Why the fast engine cannot explore `model`, or None when it can."""
    if _fastcore is None:
        return "the compiled core is not built (pip install could not compile it)"
    if record_graph:
        return "recording the state graph needs the reference engine"
    if getattr(model, "core_tables", None) is None:
        return "this model offers no tables to the compiled core"
    reason = model.core_tables_unsupported()
    return reason if isinstance(reason, str) else None


def exploration_settings(
    tables: Any,
    names: list[str],
    *,
    symmetry: bool,
    fingerprint: bool,
    keep_going: bool,
    extra: dict[str, str],
) -> dict[str, str]:
    """What decides a fast exploration, for checkpoints: the model's settings, the invariants
    checked, symmetry, the state set, the engine, keep-going, and the caller's extras."""
    settings = dict(tables.settings())
    settings.update(
        invariants=",".join(names),
        symmetry=str(symmetry).lower(),
        state_set="fingerprint" if fingerprint else "exact",
        engine="fast",
        keep_going=str(keep_going).lower(),
    )
    settings.update(extra)
    return settings


MAX_WORKERS = 16 if _fastcore is None else int(_fastcore.MAX_WORKERS)
# (states per block, smallest block run on threads) of the parallel search; None: the core's
# defaults (32768, 512). Tests shrink them to cross block boundaries on small state spaces.
PARALLEL_BLOCK: tuple[int, int] | None = None


# Fingerprint mode: the bytes of queued states, and of parent links, kept in memory; the rest
# goes to files in the spill directory (explorer/_fastcore.c, "the disk-backed queue").
SPILL_BYTES = 256 * 2**20
# Tests: that many queued states and parent links instead; None: SPILL_BYTES of each.
SPILL_WINDOW: int | None = None


class SpillError(Exception):
    """The spill directory cannot be made or written (the message says which, in one line)."""


def _open_spill(core: Any, spill_dir: str | os.PathLike[str] | None, words: int) -> str:
    """A fresh directory (in `spill_dir`, else the system's temp dir) with the core's spill
    files in it; its path."""
    parent = None if spill_dir is None else os.fspath(spill_dir)
    where = parent if parent is not None else tempfile.gettempdir()
    try:
        if parent is not None:
            os.makedirs(parent, exist_ok=True)
        path = tempfile.mkdtemp(prefix="raftcheck-spill-", dir=parent)
    except OSError as exc:
        raise SpillError(f"cannot use spill directory {where}: {exc.strerror or exc}") from None
    if SPILL_WINDOW is not None:
        queue = links = SPILL_WINDOW
    else:
        queue, links = max(2, SPILL_BYTES // (4 * words)), max(1, SPILL_BYTES // 6)
    try:
        core.spill(path, queue, links)
    except OSError as exc:
        shutil.rmtree(path, ignore_errors=True)
        raise SpillError(f"cannot use spill directory {where}: {exc.strerror or exc}") from None
    return path


def check_workers(workers: object) -> None:
    """ValueError unless `workers` is a whole number of threads the core can run."""
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise ValueError(f"workers must be a whole number, not {workers!r}")
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be between 1 and {MAX_WORKERS}, not {workers}")


def collision_probability(distinct: int, transitions: int) -> float:
    """Chance that a 64-bit fingerprint collision hid a state (TLC's optimistic estimate:
    each of the `transitions` look-ups may collide with any of `distinct` fingerprints)."""
    return min(1.0, distinct * transitions / 2.0**64)


@contextmanager
def _deferred_sigint() -> Iterator[list[bool]]:
    """While a checkpoint is written, a Ctrl-C is noted (the list gets True) instead of
    raising in the middle of the write: the caller then stops as interrupted, with the
    checkpoint and the partial summary. Only where Python's default handler is in charge."""
    seen: list[bool] = []
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield seen
        return
    previous = signal.signal(signal.SIGINT, lambda _sig, _frame: seen.append(True))
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


def explore_fast(
    model: Model[Any, Any],
    *,
    symmetry: bool = False,
    limits: Limits | None = None,
    keep_going: bool = False,
    progress: Callable[[Progress], None] | None = None,
    progress_interval: float = 0.5,
    only: Collection[str] | None = None,
    fingerprint: bool = False,
    max_memory: int | None = None,
    checkpoint: Checkpointing | None = None,
    workers: int = 1,
    spill_dir: str | os.PathLike[str] | None = None,
) -> Result:
    """As explorer.bfs.explore (without graph recording), on the compiled core.

    With `fingerprint`, the queue and the parent links beyond SPILL_BYTES each go to files in
    a fresh directory under `spill_dir` (default: the system's temp dir), removed when the
    search ends however it ends (SpillError if it cannot be made). The result is the same.

    With `checkpoint`, the search is saved to its directory every `interval` seconds and when
    a limit or Ctrl-C stops it, and (`resume_from`) continues a saved search: the result is the
    uninterrupted run's, with the seconds of every session added up (explorer/checkpoint.py).
    `workers` > 1 runs the core's block-synchronous parallel search on that many threads; its
    result (counts, depth, verdicts, traces) is the same as with one. The parallel search is
    not saved: checkpoints need one worker.
    """
    limits = limits or Limits()
    check_workers(workers)
    if checkpoint is not None and workers > 1:
        raise CheckpointError("checkpoints need one worker (the parallel search is not saved)")
    reason = unavailable_reason(model)
    if reason is not None:
        raise EngineUnavailable(reason)
    if symmetry and getattr(model, "net", False):
        raise ValueError("symmetry does not apply with a network (links keep nodes apart)")
    names = invariant_names(model, only)
    tables = model.core_tables(names)  # type: ignore[attr-defined]
    n, nb, max_msgs, drop = tables.layout
    core = _fastcore.Core(tables, n, nb, max_msgs, drop, len(names), fingerprint, symmetry)
    spill_path = _open_spill(core, spill_dir, n + nb + 1 + max_msgs) if fingerprint else None
    try:
        settings: dict[str, str] = {}
        prior_seconds = 0.0
        if checkpoint is not None:
            settings = exploration_settings(
                tables, names, symmetry=symmetry, fingerprint=fingerprint, keep_going=keep_going,
                extra=checkpoint.extra_settings,
            )
            if checkpoint.resume_from is not None:
                saved = open_checkpoint(checkpoint.resume_from)
                check_settings(saved, settings)
                load_checkpoint(saved, core, tables)  # before anything else interns a value
                prior_seconds = saved.seconds
                if checkpoint.note is not None:
                    checkpoint.note(
                        f"resuming {checkpoint.resume_from}: "
                        f"{saved.meta['progress']['distinct']:,} states, "
                        f"{prior_seconds:,.1f}s explored before"
                    )
        canon: Callable[[Any], Any] | None = model.canonical if symmetry else None
        inits = initial_states(model, canon)

        session = 0.0  # seconds of this session's calls of core.run before the current one
        last_write = 0.0  # seconds the last checkpoint took to write

        def on_progress(distinct: int, transitions: int, queue: int, depth: int,
                        sec: float) -> None:
            assert progress is not None
            progress(Progress(distinct, transitions, queue, depth, prior_seconds + session + sec))

        def opt(v: float | None) -> float:
            return -1 if v is None else v

        def save(raw: dict[str, Any], seconds: float) -> None:
            nonlocal last_write
            assert checkpoint is not None
            figures = {
                "distinct": raw["distinct"],
                "transitions": raw["transitions"],
                "max_depth": raw["max_depth"],
                "queue": raw["distinct"] - raw["head"],
                "seconds": round(seconds, 3),
                "stop_reason": raw["stop_reason"],
            }
            try:
                took, size = write_checkpoint(checkpoint.directory, core, tables, settings, figures)
            except OSError as exc:  # the previous checkpoint stays; the search goes on
                if checkpoint.note is None:
                    raise CheckpointError(f"checkpoint not written to {checkpoint.directory}: "
                                          f"{exc.strerror or exc}") from None
                checkpoint.note(f"raftcheck: warning: checkpoint not written to "
                                f"{checkpoint.directory}: {exc.strerror or exc}")
                return
            last_write = took
            if checkpoint.note is not None:
                checkpoint.note(
                    f"checkpoint: {checkpoint.directory} ({raw['distinct']:,} states, "
                    f"{size / 2**20:,.1f} MiB, written in {took:.2f}s)"
                )

        def pause() -> float:
            if checkpoint is None:
                return -1.0
            if checkpoint.interval is not None:
                return checkpoint.interval
            return max(DEFAULT_INTERVAL, STRETCH * last_write)

        while workers > 1:  # the parallel search: one call, no checkpoints
            raw = core.run_parallel(
                workers, inits, opt(limits.max_states), opt(limits.max_depth),
                float(opt(limits.time_limit)), keep_going,
                on_progress if progress is not None else None, progress_interval,
                opt(max_memory), *(PARALLEL_BLOCK or ()),
            )
            session = raw["seconds"]
            break
        while workers == 1:
            time_left = opt(limits.time_limit)  # a time limit bounds this session
            if limits.time_limit is not None:
                time_left = max(limits.time_limit - session, 0.0)
            raw = core.run(
                inits,
                opt(limits.max_states),
                opt(limits.max_depth),
                float(time_left),
                keep_going,
                on_progress if progress is not None else None,
                progress_interval,
                opt(max_memory),
                pause(),
            )
            session += raw["seconds"]
            if checkpoint is not None and raw["stop_reason"] is not None:
                # paused for a checkpoint, or stopped by a limit or Ctrl-C: resumable either way
                with _deferred_sigint() as ctrl_c:
                    save(raw, prior_seconds + session)
                if ctrl_c and raw["stop_reason"] == "pause":
                    raw["stop_reason"] = "interrupted"
            if raw["stop_reason"] != "pause":
                break
        raw["seconds"] = prior_seconds + session
        stop_reason: str | None = raw["stop_reason"]
        found = {names[b]: idx for b, idx in raw["found"].items()}
        distinct = raw["distinct"]
        complete = (stop_reason is None and raw["head"] >= distinct
                    and not (found and not keep_going))
        if found and not keep_going and stop_reason is None:
            stop_reason = "invariant violated"
        if progress is not None:
            progress(
                Progress(distinct, raw["transitions"], distinct - raw["head"], raw["max_depth"],
                         raw["seconds"])
            )
        verdicts = verdicts_of(names, found, complete, keep_going, stop_reason)
        kinds = tables.kind_names
        counts = {kinds[k]: c for k, c in enumerate(raw["kinds"]) if c}
        traces = [
            _trace(model, canon, core, inits, found[name], name)
            for name in sorted(found, key=lambda n: (found[n], n))
        ]
        result = Result(
            complete=complete and not found,
            stop_reason=stop_reason,
            distinct_states=distinct,
            transitions=raw["transitions"],
            max_depth=raw["max_depth"],
            seconds=raw["seconds"],
            action_counts=dict(sorted(counts.items())),
            invariants=verdicts,
            violations=traces,
            engine="fast",
            workers=workers,
            state_bytes=raw["bytes"],
            fingerprint_collision=(
                collision_probability(distinct, raw["transitions"]) if fingerprint else None
            ),
            spilled_bytes=raw["spilled"] if fingerprint else None,
            spill_dir=spill_path,
        )
        return result
    finally:  # normal end, a limit, Ctrl-C or an error: the spill files go
        if spill_path is not None:
            core.spill_close()
            shutil.rmtree(spill_path, ignore_errors=True)


def _trace(
    model: Model[Any, Any],
    canon: Callable[[Any], Any] | None,
    core: Any,
    inits: list[Any],
    idx: int,
    name: str,
) -> Violation:
    """Replay the model along the core's successor ordinals (then, under symmetry, concretely)."""
    ords, init_ix = core.path(idx)
    init = inits[init_ix]
    chain: list[tuple[Any, Any]] = []  # (action, stored state) along the core's path
    cur = init
    for o in ords:
        action, nxt = list(model.successors(cur))[o]
        cur = canon(nxt) if canon else nxt
        chain.append((action, cur))
    if canon is None:
        return Violation(name, init, [Step(a, s) for a, s in chain])
    return Violation(name, init, replay_concrete(model, canon, init, [s for _, s in chain]))


def bytes_per_state(result: Result) -> float:
    nbytes = result.state_bytes
    if not nbytes or not result.distinct_states:
        return math.nan
    return float(nbytes) / result.distinct_states
