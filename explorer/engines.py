"""Choosing the search engine: the compiled core (fast) or the pure-Python reference.

`fast` is the default; where the core is not built or cannot run a configuration, the run goes
to the reference engine and `note` receives one line saying why. Both return the same Result.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from typing import Any

from explorer.bfs import Limits, Progress, Result, explore
from explorer.checkpoint import CheckpointError, Checkpointing
from explorer.protocol import Model

ENGINES = ("fast", "reference")
STATE_SETS = ("exact", "fingerprint")


def default_max_memory() -> int | None:
    """Three quarters of the memory available now (Linux), else no budget."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 * 3 // 4
    except OSError:
        pass
    return None


def run_search(
    model: Model[Any, Any],
    *,
    engine: str = "fast",
    state_set: str = "exact",
    max_memory: int | None = None,
    symmetry: bool = False,
    limits: Limits | None = None,
    keep_going: bool = False,
    record_graph: bool = False,
    progress: Callable[[Progress], None] | None = None,
    only: Collection[str] | None = None,
    note: Callable[[str], None] | None = None,
    checkpoint: Checkpointing | None = None,
    workers: int = 1,
    spill_dir: str | os.PathLike[str] | None = None,
) -> Result:
    """Explore `model` on the chosen engine (see explorer.bfs.explore for the arguments).

    `checkpoint` (explorer/checkpoint.py) needs the fast engine: CheckpointError, before
    exploring, when the run would go to the reference engine. `workers`: threads of the fast
    engine's search (the reference engine uses one, with a note when more were asked for).
    `spill_dir`: where a fingerprint search spills (explorer.fast.explore_fast)."""
    limits = limits or Limits()
    from explorer.fast import check_workers

    check_workers(workers)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    if state_set not in STATE_SETS:
        raise ValueError(f"unknown state set {state_set!r} (choose from {', '.join(STATE_SETS)})")
    if os.environ.get("RAFTCHECK_ENGINE") in ENGINES and engine == "fast":
        engine = os.environ["RAFTCHECK_ENGINE"]  # lets a test suite pin the engine
    if engine == "fast":
        from explorer.fast import explore_fast, unavailable_reason

        reason = unavailable_reason(model, record_graph=record_graph)
        if reason is None:
            return explore_fast(
                model,
                symmetry=symmetry,
                limits=limits,
                keep_going=keep_going,
                progress=progress,
                only=only,
                fingerprint=state_set == "fingerprint",
                max_memory=max_memory,
                checkpoint=checkpoint,
                workers=workers,
                spill_dir=spill_dir,
            )
        if checkpoint is not None:
            raise CheckpointError(f"checkpoints need the fast engine ({reason})")
        if note is not None:
            note(f"engine: reference ({reason})")
    elif checkpoint is not None:
        raise CheckpointError("checkpoints need the fast engine (--engine reference was chosen)")
    elif state_set == "fingerprint" and note is not None:
        note("state set: exact (fingerprints are a feature of the fast engine)")
    if workers > 1 and note is not None:
        note("workers: 1 (the reference engine is single-threaded)")
    return explore(
        model,
        symmetry=symmetry,
        limits=limits,
        keep_going=keep_going,
        record_graph=record_graph,
        progress=progress,
        only=only,
    )
