"""`raftcheck audit --ray`: the audit's safety explorations on a Ray cluster.

Only the exhaustive explorations (baseline and changed rules, the directed configurations)
go to Ray (explorer/distributed.py): they are the part of an audit that grows with the
configuration. The obligations (Z3), the behaviour diff (a lockstep search of two abstract
graphs, audit/diff.py) and the liveness configurations (the reference engine's graphs) run on
this machine. What the rules record in the workers (the divergence watch, the recorded inputs)
is merged back into the driver's objects, so the verdicts are the single-machine audit's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audit.configs import symmetry_applies
from explorer.bfs import Limits, Result

# what `raftcheck audit --ray` prints once (stderr) about the steps that stay local
LOCAL_NOTE = ("audit --ray: the safety explorations run on Ray; the obligations, the behaviour "
              "diff and the liveness configurations run on this machine")


@dataclass(frozen=True)
class RayTarget:
    """Where the explorations run: a Ray address (auto, or host:port) and the worker count
    (None: one per CPU of the cluster)."""

    address: str
    workers: int | None = None


def explore_on_ray(model: Any, target: RayTarget, *, keep_going: bool, limits: Limits,
                   observers: list[Any]) -> tuple[Result, str | None]:
    """One audit exploration (symmetry on, as on one machine): (result, the lost worker's
    description or None)."""
    from explorer.distributed import explore_ray

    result, info = explore_ray(model, address=target.address, workers=target.workers,
                               symmetry=symmetry_applies(model.cfg), keep_going=keep_going,
                               limits=limits,
                               observers=observers)
    return result, info.lost_worker
