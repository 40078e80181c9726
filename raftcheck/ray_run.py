"""`raftcheck explore --ray`: the checks of the options and the run (explorer/distributed.py).

Kept apart from cli.py so that the Ray path stays one branch there. Ray is an optional extra:
without it, --ray is bad input (one line naming the extra, exit 2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from explorer.bfs import Limits, Progress, Result
from explorer.checkpoint import Checkpointing
from raftcheck import render


class RayUsageError(Exception):
    """An option that does not combine with --ray (the message is the one line to print)."""


def ray_options(f: Any) -> Any:
    opts = [
        click.option(
            "--ray",
            "ray_address",
            default=None,
            metavar="auto|ADDRESS",
            help="Explore on a Ray cluster (pip install 'raftcheck[distributed]'): auto joins "
            "the local one or starts it (loopback only, no dashboard); ADDRESS joins a running "
            "cluster (host:port of its head).",
        ),
        click.option(
            "--ray-workers",
            type=click.IntRange(min=1, max=4096),
            default=None,
            help="Ray actors that each own a share of the state set [default: one per CPU of "
            "the Ray cluster].",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def check_ray_options(address: str | None, ray_workers: int | None, *, workers: int,
                      engine: str, checkpointing: bool, export_graph: bool,
                      liveness: bool) -> None:
    """RayUsageError for options that do not go with --ray (or --ray-workers without it).
    Checkpoints go with --ray (`checkpointing` is kept for callers; it refuses nothing)."""
    if address is None:
        if ray_workers is not None:
            raise RayUsageError("--ray-workers needs --ray auto|ADDRESS")
        return
    if not address.strip():
        raise RayUsageError("--ray needs auto or the address of a Ray cluster")
    if liveness:
        raise RayUsageError("--ray does not apply with --liveness (the liveness graph is "
                            "built on one machine)")
    if workers > 1:
        raise RayUsageError("--workers sets the threads of one process; with --ray, "
                            "--ray-workers sets the number of workers")
    if engine != "fast":
        raise RayUsageError("--ray runs the compiled core (drop --engine reference)")
    if export_graph:
        raise RayUsageError("--export-graph does not apply with --ray (it needs the "
                            "reference engine)")
    from explorer.distributed import DistributedUnavailable, import_ray

    try:
        import_ray()
    except DistributedUnavailable as exc:
        raise RayUsageError(str(exc)) from None


def run_ray(
    model: Any, *, address: str, ray_workers: int | None, symmetry: bool, limits: Limits,
    keep_going: bool, state_set: str, max_memory: int | None,
    progress: Callable[[Progress], None] | None, note: Callable[[str], None],
    checkpoint: Checkpointing | None = None,
) -> tuple[Result, dict[str, Any]]:
    """The distributed search; (result, the JSON's "ray" object). A checkpoint that does
    not fit raises CheckpointError (one line) before exploring."""
    from explorer.distributed import DistributedUnavailable, explore_ray

    def started(info: Any) -> None:
        note(f"ray: {info.workers} worker{'s' if info.workers != 1 else ''} on {address}")

    try:
        result, info = explore_ray(
            model, address=address, workers=ray_workers, symmetry=symmetry, limits=limits,
            keep_going=keep_going, progress=progress, fingerprint=state_set == "fingerprint",
            max_memory=max_memory, on_start=started, checkpoint=checkpoint,
        )
    except DistributedUnavailable as exc:
        raise RayUsageError(str(exc)) from None
    if info.lost_worker is not None:
        resume = (f"; resume with --resume {info.checkpoint}" if info.checkpoint is not None
                  else " (no checkpoint: run with --checkpoint DIR to be able to resume)")
        note(f"raftcheck: a Ray worker was lost ({info.lost_worker}); the search stopped "
             f"and is reported as partial{resume}")
    return result, info.as_json(result.distinct_states)


def ray_progress_line(p: Progress, time_limit: float | None, workers: int | None) -> str:
    line = render.progress_line(p, time_limit)
    return line + ("  ray" if workers is None else f"  ray {workers} workers")
