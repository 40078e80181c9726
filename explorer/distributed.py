"""Distributed exploration on Ray: the compiled core in every worker, the seen set split by hash.

The shape of TLC's distributed mode and of parallel Murphi / PReach: each worker (a Ray actor)
owns the states whose packed words hash into its partition. The search goes level by level; a
level is done in rounds: every worker expands a slice of its frontier with the compiled core
(`dist_expand`), which routes each successor, canonical under symmetry, to its owner as a
record (state words, parent's index at its owner, successor ordinal); each owner then adds the
records it received (`dist_absorb`): new states join its set and next level's frontier, with
their parent links, and the invariants are checked on them. A violation found in level k is at
depth k, so its trace is a shortest one; it is rebuilt by following the parent links from
owner to owner and replaying the model along the ordinals, as the single-process engine does.

The rules stay in Python: each worker builds its own model and tables (model/core_tables.py).
All processes number interned values alike (explorer/shared_ids.py), so a packed state means
the same in every worker and the driver.

The driver runs the rounds: it asks every worker to expand, hands each owner the batches meant
for it (Ray moves them from worker to worker through its object store), and checks the limits,
Ctrl-C and worker failures between rounds. A worker that dies stops the run as partial (never
complete) with a message naming it.

Checkpoints (explorer/checkpoint.py's directory and meta.json) are taken at a round boundary
with no expansion in flight (the driver lets the queued rounds be absorbed first): every
worker writes its own core dump (set, parent links) and its frontier position into the
checkpoint's data directory, the driver adds the shared interning and its own progress, then
commits meta.json. On several machines the directory must be one shared filesystem. A resumed
run needs the same number of workers (the partition of the set depends on it).
"""

from __future__ import annotations

import bisect
import json
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from explorer.bfs import (
    INTERRUPTED,
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
    DRIVER_FILE,
    STRETCH,
    CheckpointError,
    Checkpointing,
    Saved,
    begin_write,
    check_settings,
    commit,
    open_checkpoint,
    read_interning,
    restore_interning,
    worker_files,
    write_interning,
)
from explorer.fast import collision_probability, exploration_settings, unavailable_reason
from explorer.shared_ids import SharedIdsServer, share_ids, socket_client, unshare_ids

EXTRA_HINT = "pip install 'raftcheck[distributed]' (or pip install -e '.[distributed]')"
# states each worker expands per round: big enough that Ray's per-call cost (about a
# millisecond) is small beside the core's work, small enough that a round's routed
# batches stay tens of MB and the limits, progress and Ctrl-C are seen often
ROUND_STATES = 1 << 15
# rounds a worker may expand ahead of the round being absorbed (each holds a round's batches)
ROUNDS_AHEAD = 2
# states remembered per worker as routed already (a few MB): a successor found there is not
# routed again; most successors are states seen before (a cache, as in PReach and TLC)
CACHE_SLOTS = 1 << 16
# the names model/rules_file.py gives the modules of rules files
RULES_FILE_MODULES = "raftcheck_rules_"


class DistributedUnavailable(Exception):
    """The distributed search cannot run (the message says why, in one line)."""


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise DistributedUnavailable(
            f"--ray needs the distributed extra: {EXTRA_HINT}"
        ) from None
    return ray


@dataclass
class RayInfo:
    """What a distributed run adds to the report (the JSON's "ray" object)."""

    address: str
    workers: int
    rounds: int = 0
    bytes_routed: int = 0  # records sent from one worker to another
    bytes_local: int = 0  # records whose owner was their sender (no network)
    shared_id_misses: int = 0
    worker_states: list[int] = field(default_factory=list)
    worker_bytes: list[int] = field(default_factory=list)
    lost_worker: str | None = None
    worker_timings: list[dict[str, float]] = field(default_factory=list)
    # the last complete checkpoint (written by this run or resumed from), for the message
    checkpoint: str | None = None

    def as_json(self, distinct: int) -> dict[str, Any]:
        total = self.bytes_routed + self.bytes_local
        return {
            "address": self.address,
            "workers": self.workers,
            "rounds": self.rounds,
            "bytes_routed": self.bytes_routed,
            "bytes_local": self.bytes_local,
            "bytes_routed_per_state": round(self.bytes_routed / distinct, 1) if distinct else None,
            "bytes_per_state_all_records": round(total / distinct, 1) if distinct else None,
            "shared_id_misses": self.shared_id_misses,
            "worker_states": self.worker_states,
            "worker_bytes": self.worker_bytes,
            "lost_worker": self.lost_worker,
            "worker_timings": self.worker_timings,
        }


# ---- the actors' code (plain classes; ray.remote wraps them at run time) -------------------


class _SharedIdsActor(SharedIdsServer):
    """The shared numbering, held by one actor that serves it on a TCP port of its node."""

    def __init__(self) -> None:
        import ray

        super().__init__(_node_ip(ray))


class _Worker:
    """One partition owner: a model, its core, and its frontier."""

    def __init__(self, spec: dict[str, Any], wid: int, nworkers: int, shared: Any) -> None:
        import ray

        from explorer import _fastcore  # type: ignore[attr-defined]
        from model.cluster import ClusterModel

        self.wid, self.nworkers = wid, nworkers
        # unpickled with the rules: the very objects the rules' wrappers record into
        self.observed: list[Any] = spec["observers"]
        self.model = ClusterModel(spec["cfg"], spec["rules"])
        self.client = socket_client(ray.get(shared.where.remote()))
        self.sync = share_ids(self.model, self.client)
        self.tables = self.model.core_tables(spec["names"])
        n, nb, max_msgs, drop = self.tables.layout
        self.core = _fastcore.Core(self.tables, n, nb, max_msgs, drop, len(spec["names"]),
                                   spec["fingerprint"], spec["symmetry"])
        # states routed lately (see dist_expand): CACHE_SLOTS of them, most recent per slot
        self.cache = bytearray(b"\xff" * (CACHE_SLOTS * 4 * (n + nb + 1 + max_msgs)))
        self.head = 0  # next state to expand
        self.level_end = 0  # end of the level being expanded
        self.runs: list[int] = []  # sender of the states from runs_at[j] on (parent links)
        self.runs_at: list[int] = []
        # seconds of work (wall, and CPU of this thread), for the benchmarks
        self.busy = {"expand": 0.0, "absorb": 0.0, "expand_cpu": 0.0, "absorb_cpu": 0.0}

    def ping(self) -> int:
        return os.getpid()

    def observers(self) -> list[Any]:
        """This worker's copies of the rules' observers (see explore_ray), as they are now."""
        return self.observed

    def pack_inits(self) -> list[bytes]:
        return self.core.dist_pack(self.model.init_states(), self.nworkers)  # type: ignore

    def expand(self, limit: int) -> tuple[Any, ...]:
        """Up to `limit` states of the current level: one batch per owner, then the stats
        (transitions, action kinds, states expanded, states left in this level)."""
        t0, c0 = time.perf_counter(), time.thread_time()
        hi = min(self.head + limit, self.level_end)
        batches, transitions, kinds = self.core.dist_expand(self.head, hi, self.nworkers,
                                                            self.cache)
        self.busy["expand"] += time.perf_counter() - t0
        self.busy["expand_cpu"] += time.thread_time() - c0
        done = hi - self.head
        self.head = hi
        sizes = [len(b) for b in batches]
        return (*batches, (transitions, kinds, done, self.level_end - hi, sizes))

    def absorb(self, *batches: bytes) -> tuple[int, dict[int, int], int, int, int]:
        """The round's records for this owner, batch i from worker i: (new states, first
        violating new state per invariant bit, states held, bytes held, shared-id misses)."""
        t0, c0 = time.perf_counter(), time.thread_time()
        self.sync()  # the senders interned every value their records hold
        new = 0
        found: dict[int, int] = {}
        for sender, batch in enumerate(batches):
            if not batch:
                continue
            held = self.core.dist_info()[0]
            added, hits = self.core.dist_absorb(batch)
            if added:
                self.runs_at.append(held)
                self.runs.append(sender)
            new += added
            for bit, idx in hits.items():
                found.setdefault(bit, idx)
        count, nbytes = self.core.dist_info()
        self.busy["absorb"] += time.perf_counter() - t0
        self.busy["absorb_cpu"] += time.thread_time() - c0
        return new, found, count, nbytes, self.client.misses

    def timings(self) -> dict[str, float]:
        """Seconds this worker spent expanding, absorbing, and waiting on new shared ids
        (within expanding), and its process's CPU seconds."""
        return {**self.busy, "shared_ids": self.client.miss_seconds,
                "cpu": time.process_time()}

    def next_level(self, start: bool = True) -> int:
        """Start expanding the states added since the level began (`start`; else go on
        with the current level, after a resume); how many are left to expand."""
        if start:
            self.level_end = self.core.dist_info()[0]
        return self.level_end - self.head

    def save(self, data: str) -> tuple[str | None, int]:
        """This worker's part of a checkpoint, into the directory `data` (shared with the
        driver): its core (set, parent links) and its frontier position. (error or None,
        bytes written); only at a round boundary, with no expansion in flight."""
        core_path = os.path.join(data, f"worker-{self.wid}.core")
        meta_path = os.path.join(data, f"worker-{self.wid}.json")
        try:
            self.core.dist_absorb(b"")  # makes the (empty) set exist, as a dump needs it
            self.core.dump(core_path)
            position = {"worker": self.wid, "workers": self.nworkers, "head": self.head,
                        "level_end": self.level_end, "runs": self.runs,
                        "runs_at": self.runs_at}
            with open(meta_path, "w", encoding="utf-8") as f:
                json.dump(position, f)
                f.flush()
                os.fsync(f.fileno())
            return None, os.path.getsize(core_path) + os.path.getsize(meta_path)
        except OSError as exc:
            return f"worker {self.wid}: {exc.strerror or exc}", 0

    def restore(self, data: str) -> str | None:
        """Load this worker's part of a checkpoint (the shared table holds the saved
        interning already): None, or what is wrong (one line)."""
        name = f"worker-{self.wid}"
        try:
            self.sync()  # every id the saved states hold
            with open(os.path.join(data, name + ".json"), encoding="utf-8") as f:
                position = json.load(f)
            head, level_end = int(position["head"]), int(position["level_end"])
            runs = [int(x) for x in position["runs"]]
            runs_at = [int(x) for x in position["runs_at"]]
            if (position["worker"], position["workers"]) != (self.wid, self.nworkers) or \
                    len(runs) != len(runs_at) or not 0 <= head <= level_end:
                return f"{name}.json is damaged (inconsistent)"
            self.core.load(os.path.join(data, name + ".core"))
            if level_end > self.core.dist_info()[0]:
                return f"{name}.json does not fit {name}.core"
        except OSError as exc:
            return f"cannot read {name} ({exc.strerror or exc})"
        except (ValueError, KeyError, TypeError) as exc:
            return f"{name} is damaged ({_first_line(exc)})"
        self.head, self.level_end, self.runs, self.runs_at = head, level_end, runs, runs_at
        return None

    def link(self, idx: int) -> tuple[int, int, int]:
        """(owner of the parent or -1, parent's index there or the initial state's ordinal,
        successor ordinal)."""
        parent, ord_ = self.core.dist_link(idx)
        if parent < 0:
            return -1, ord_, 0
        sender = self.runs[bisect.bisect_right(self.runs_at, idx) - 1]
        return sender, parent, ord_


# ---- the driver ------------------------------------------------------------------------------


def connect(address: str) -> tuple[Any, bool]:
    """Join the Ray cluster at `address`, or for "auto" the local one (started here, loopback
    only and without the dashboard, when none runs). Returns (ray, whether we started it)."""
    ray = import_ray()
    if ray.is_initialized():
        return ray, False
    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": "ERROR",
                             "configure_logging": True}
    if address != "auto":
        try:
            ray.init(address=address, **quiet)
        except Exception as exc:  # noqa: BLE001 - Ray raises many kinds; one line for the user
            raise DistributedUnavailable(
                f"cannot join the Ray cluster at {address}: {_first_line(exc)}") from None
        return ray, True
    try:
        ray.init(address="auto", **quiet)
    except Exception:  # noqa: BLE001 - no local cluster running: start one
        ray.init(include_dashboard=False, _node_ip_address="127.0.0.1", **quiet)
    return ray, True


def _node_ip(ray: Any) -> str:
    """This node's address in the Ray cluster (127.0.0.1 for a local one)."""
    try:
        return str(ray.util.get_node_ip_address())
    except Exception:  # noqa: BLE001 - older Ray: loopback, right for one machine
        return "127.0.0.1"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def explore_ray(
    model: Any,
    *,
    address: str = "auto",
    workers: int | None = None,
    symmetry: bool = False,
    limits: Limits | None = None,
    keep_going: bool = False,
    progress: Callable[[Progress], None] | None = None,
    progress_interval: float = 0.5,
    only: Collection[str] | None = None,
    fingerprint: bool = False,
    max_memory: int | None = None,
    round_states: int = ROUND_STATES,
    checkpoint: Checkpointing | None = None,
    observers: list[Any] | None = None,
    on_start: Callable[[RayInfo], None] | None = None,
    after_round: Callable[[list[Any], int], None] | None = None,
) -> tuple[Result, RayInfo]:
    """As explorer.fast.explore_fast, on `workers` Ray actors (default: one per CPU of the
    cluster, or a resumed checkpoint's count). Counts, depth and verdicts equal the
    single-process search's on a complete run; a violation's trace is a shortest one.

    `checkpoint`: saved at round boundaries every `interval` seconds and when a limit or
    Ctrl-C stops the run; `resume_from` continues a saved distributed search (CheckpointError,
    before exploring, for one that does not fit). `observers`: objects the model's rules
    record into (audit/runner.py's watches); each worker's copies are merged back into them
    at the end (`merge(other)`). `after_round(actors, round)` is for tests (it may kill a
    worker): it is called after each round absorbed in the pipeline's course, not for the
    rounds in flight absorbed before a checkpoint."""
    limits = limits or Limits()
    reason = unavailable_reason(model)
    if reason is not None:
        raise DistributedUnavailable(f"--ray needs the compiled core: {reason}")
    if symmetry and getattr(model, "net", False):
        raise ValueError("symmetry does not apply with a network (links keep nodes apart)")
    names = invariant_names(model, only)
    saving: _Saving | None = None
    if checkpoint is not None:
        saving = _Saving.prepare(model, checkpoint, names, symmetry=symmetry,
                                 fingerprint=fingerprint, keep_going=keep_going)
        if saving.saved is not None:
            saved_workers = int(saving.saved.meta["ray"]["workers"])
            if workers is not None and workers != saved_workers:
                raise CheckpointError(
                    f"--resume {checkpoint.resume_from}: the checkpoint was written by "
                    f"{saved_workers} Ray workers, this run asks for {workers} (resume with "
                    f"--ray-workers {saved_workers}: the set is partitioned by worker)")
            workers = saved_workers
    ray, started = connect(address)
    try:
        return _explore(ray, model, address, workers, names, symmetry, limits, keep_going,
                        progress, progress_interval, fingerprint, max_memory, round_states,
                        saving, observers or [], on_start, after_round)
    finally:
        unshare_ids(model)  # the shared table is gone: the model interns on its own again
        if started:
            ray.shutdown()


@dataclass
class _Saving:
    """A distributed run's checkpointing: where, how often, and what it resumes."""

    spec: Checkpointing
    settings: dict[str, str]
    saved: Saved | None
    driver: dict[str, Any]  # the resumed run's driver.json ({} when not resuming)
    interning: dict[str, list[Any]] | None
    last_write: float = 0.0

    @staticmethod
    def prepare(model: Any, spec: Checkpointing, names: list[str], *, symmetry: bool,
                fingerprint: bool, keep_going: bool) -> _Saving:
        settings = exploration_settings(
            model.core_tables(names), names, symmetry=symmetry, fingerprint=fingerprint,
            keep_going=keep_going, extra=spec.extra_settings)
        settings["engine"] = "ray"
        if spec.resume_from is None:
            return _Saving(spec, settings, None, {}, None)
        saved = open_checkpoint(spec.resume_from, ray=True)
        check_settings(saved, settings)
        where = f"--resume {spec.resume_from}"
        try:
            driver = json.loads((saved.data / DRIVER_FILE).read_text(encoding="utf-8"))
            for key in _DRIVER_KEYS:
                driver[key]  # noqa: B018 - present, or the file is damaged
        except OSError as exc:
            raise CheckpointError(f"{where}: cannot read {DRIVER_FILE} ({exc.strerror})"
                                  ) from None
        except (ValueError, KeyError, TypeError):
            raise CheckpointError(f"{where}: {DRIVER_FILE} is damaged") from None
        return _Saving(spec, settings, saved, driver, read_interning(saved))

    def pause(self) -> float:
        if self.spec.interval is not None:
            return self.spec.interval
        return max(DEFAULT_INTERVAL, STRETCH * self.last_write)

    def note(self, text: str) -> None:
        if self.spec.note is not None:
            self.spec.note(text)


# the driver's progress a checkpoint keeps (driver.json)
_DRIVER_KEYS = ("depth", "rounds", "expanded", "distinct", "transitions", "max_depth", "kinds",
                "found", "bytes_routed", "bytes_local", "seconds")


def _explore(
    ray: Any, model: Any, address: str, nworkers: int | None, names: list[str], symmetry: bool,
    limits: Limits, keep_going: bool, progress: Callable[[Progress], None] | None,
    progress_interval: float, fingerprint: bool, max_memory: int | None, round_states: int,
    saving: _Saving | None, observers: list[Any],
    on_start: Callable[[RayInfo], None] | None,
    after_round: Callable[[list[Any], int], None] | None,
) -> tuple[Result, RayInfo]:
    cpus = float(ray.cluster_resources().get("CPU", 1))
    if nworkers is None:
        nworkers = max(1, int(cpus))
    if nworkers < 1:
        raise ValueError(f"--ray-workers must be at least 1, not {nworkers}")
    info = RayInfo(address=address, workers=nworkers)
    resumed = saving is not None and saving.saved is not None
    if resumed:
        assert saving is not None and saving.saved is not None
        info.checkpoint = str(saving.saved.directory)
    # one CPU each, or a share when more workers than CPUs are asked for (tests, small clusters)
    per_worker = min(1.0, cpus / nworkers)
    shared = ray.remote(num_cpus=0)(_SharedIdsActor).remote()
    tables = model.core_tables(names)
    if resumed:  # the saved numbering first: the shared table starts from it
        assert saving is not None and saving.saved is not None and saving.interning is not None
        restore_interning(saving.saved, tables, saving.interning)
    # the driver's model numbers values as the workers do: traces are replayed on it
    client = socket_client(ray.get(shared.where.remote()))
    sync = share_ids(model, client)
    spec = {"cfg": model.cfg, "rules": model.rules, "names": names,
            "fingerprint": fingerprint, "symmetry": symmetry, "observers": observers}
    _rules_files_by_value(ray)
    actor = ray.remote(num_cpus=per_worker, max_restarts=0)(_Worker)
    actors = [actor.remote(spec, w, nworkers, shared) for w in range(nworkers)]
    canon: Callable[[Any], Any] | None = model.canonical if symmetry else None
    inits = initial_states(model, canon)
    try:
        pids = ray.get([a.ping.remote() for a in actors])  # every worker is up (or this raises)
        if resumed:
            assert saving is not None and saving.saved is not None
            data = str(saving.saved.data)
            problems = [p for p in ray.get([a.restore.remote(data) for a in actors]) if p]
            if problems:
                _stop_actors(ray, actors + [shared])
                raise CheckpointError(f"--resume {saving.saved.directory}: {problems[0]}")
    except ray.exceptions.RayActorError as exc:
        _stop_actors(ray, actors + [shared])
        raise DistributedUnavailable(f"a Ray worker did not start: {_first_line(exc)}") from None
    if on_start is not None:
        on_start(info)

    prior = saving.driver if saving is not None and resumed else {}
    prior_seconds = float(prior.get("seconds", 0.0))
    start = time.monotonic()  # the search's seconds, from when every worker is up
    distinct = int(prior.get("distinct", 0))
    transitions = int(prior.get("transitions", 0))
    depth = int(prior.get("depth", 0))
    max_depth = int(prior.get("max_depth", 0))
    rounds = int(prior.get("rounds", 0))
    expanded = int(prior.get("expanded", 0))
    kinds = [0] * len(tables.kind_names)
    for k, c in enumerate(prior.get("kinds", [])):
        kinds[k] = int(c)
    # invariant -> (depth, owner, index) of a shortest violation
    found: dict[str, tuple[int, int, int]] = {
        str(n): (int(at[0]), int(at[1]), int(at[2])) for n, at in prior.get("found", {}).items()}
    info.rounds = rounds
    info.bytes_routed = int(prior.get("bytes_routed", 0))
    info.bytes_local = int(prior.get("bytes_local", 0))
    stop_reason: str | None = None
    last_report = start
    last_save = start
    held_bytes = [0] * nworkers

    def expand_round() -> list[Any]:
        """Every worker expands its next slice: per worker, its batch for each owner and
        its stats (object refs)."""
        return [a.expand.options(num_returns=nworkers + 1).remote(round_states)
                for a in actors]

    def absorb_round(batches: list[list[Any]], level: int) -> int:
        """Hand owner j batch j of every sender (the new states are at depth `level`);
        record what they found. New states."""
        nonlocal distinct
        replies = ray.get([actors[j].absorb.remote(*[b[j] for b in batches])
                           for j in range(nworkers)])
        new = 0
        hits_now: dict[str, tuple[int, int, int]] = {}
        info.worker_states = [0] * nworkers
        for j, (added, hits, count, nbytes, misses) in enumerate(replies):
            new += added
            held_bytes[j] = nbytes
            info.worker_states[j] = count
            info.shared_id_misses = max(info.shared_id_misses, misses)
            for bit, idx in hits.items():  # all at this level's depth: any is a shortest one
                at = (level, j, idx)
                hits_now[names[bit]] = min(hits_now.get(names[bit], at), at)
        for name, at in hits_now.items():
            found.setdefault(name, at)  # an earlier round's is no deeper
        distinct += new
        return new

    def finish_round(outs: list[Any]) -> None:
        """Absorb one expanded round and count it."""
        nonlocal rounds, transitions, expanded, max_depth
        stats = ray.get([o[nworkers] for o in outs])
        new = absorb_round([o[:nworkers] for o in outs], depth + 1)
        rounds += 1
        info.rounds = rounds
        for w, (trans, kc, done, _left, sizes) in enumerate(stats):
            info.bytes_local += sizes[w]
            info.bytes_routed += sum(sizes) - sizes[w]
            transitions += trans
            for k, c in enumerate(kc):
                kinds[k] += c
            expanded += done
        if new:
            max_depth = depth + 1

    def save(reason: str | None) -> None:
        """A checkpoint of the search as it is now (no expansion in flight)."""
        assert saving is not None
        seconds = prior_seconds + time.monotonic() - start
        t0 = time.monotonic()
        directory = saving.spec.directory
        try:
            name, tmp = begin_write(directory)
            replies = ray.get([a.save.remote(str(tmp)) for a in actors])
            problem = next((err for err, _ in replies if err), None)
            missing = [f for f in worker_files(nworkers) if not (tmp / f).is_file()]
            if problem is None and missing:
                problem = (f"{missing[0]} is not in {directory} (on several machines the "
                           "checkpoint directory must be a filesystem shared by every node)")
            if problem is not None:
                raise OSError(problem)
            sync()  # the driver's model holds the whole shared numbering now
            write_interning(tmp, tables.interning())
            driver = {"depth": depth, "rounds": rounds, "expanded": expanded,
                      "distinct": distinct, "transitions": transitions,
                      "max_depth": max_depth, "kinds": kinds,
                      "found": {n: list(at) for n, at in found.items()},
                      "bytes_routed": info.bytes_routed, "bytes_local": info.bytes_local,
                      "seconds": round(seconds, 3)}
            with open(tmp / DRIVER_FILE, "w", encoding="utf-8") as f:
                json.dump(driver, f)
                f.flush()
                os.fsync(f.fileno())
            figures = {"distinct": distinct, "transitions": transitions,
                       "max_depth": max_depth, "queue": distinct - expanded,
                       "seconds": round(seconds, 3), "stop_reason": reason}
            size = commit(directory, name, tmp, saving.settings, figures,
                          {"ray": {"workers": nworkers}})
        except OSError as exc:  # the previous checkpoint stays; the search goes on
            saving.note(f"raftcheck: warning: checkpoint not written to {directory}: "
                        f"{exc.strerror or exc}")
            return
        saving.last_write = time.monotonic() - t0
        info.checkpoint = str(directory)
        saving.note(f"checkpoint: {directory} ({distinct:,} states, {size / 2**20:,.1f} MiB, "
                    f"{nworkers} workers, written in {saving.last_write:.2f}s)")

    ctrl_c: list[bool] = []  # with checkpoints, Ctrl-C is taken at the next round boundary
    try:
        with _deferred_sigint(saving is not None, ctrl_c):
            if not resumed:
                packed = ray.get(actors[0].pack_inits.remote())
                absorb_round([[packed[j] if w == 0 else b"" for j in range(nworkers)]
                              for w in range(nworkers)], 0)
            mid_level = resumed  # a resumed run first finishes the level it was saved in
            while stop_reason is None:
                sizes_now = ray.get([a.next_level.remote(not mid_level) for a in actors])
                if mid_level:
                    mid_level = False
                    if sum(sizes_now) == 0:  # saved as its level ended
                        depth += 1
                        continue
                if sum(sizes_now) == 0:
                    break
                if found and not keep_going:
                    break
                if depth > 0 and limits.max_depth is not None and depth >= limits.max_depth:
                    stop_reason = f"depth limit {limits.max_depth} reached"
                    if saving is not None:  # nothing in flight: the level is about to start
                        save(stop_reason)
                    break
                # Expansions are queued ROUNDS_AHEAD rounds ahead of absorptions (actors run
                # calls in the order sent): a worker that is ahead, or scheduled more often on
                # a shared machine, expands its next slices instead of waiting for the slowest.
                # A checkpoint waits until the queued rounds are absorbed.
                nrounds = -(-max(sizes_now) // round_states)
                queued: deque[list[Any]] = deque()
                sent = 0
                while True:
                    while sent < nrounds and len(queued) < ROUNDS_AHEAD + 1:
                        queued.append(expand_round())
                        sent += 1
                    if not queued:
                        break
                    finish_round(queued.popleft())
                    if after_round is not None:
                        after_round(actors, rounds)
                    stop_reason = _limit_reached(limits, distinct, start, max_memory,
                                                 sum(held_bytes))
                    if ctrl_c:
                        stop_reason = INTERRUPTED
                    if found and (not keep_going or len(found) == len(names)):
                        break
                    if stop_reason is not None:
                        if saving is not None:  # resumable: absorb what is in flight, save
                            while queued:
                                finish_round(queued.popleft())
                            save(stop_reason)
                        break
                    now = time.monotonic()
                    if progress is not None and now - last_report >= progress_interval:
                        last_report = now
                        progress(Progress(distinct, transitions, distinct - expanded, depth,
                                          prior_seconds + now - start))
                    if saving is not None and now - last_save >= saving.pause():
                        while queued:
                            finish_round(queued.popleft())
                        save("pause")
                        last_save = time.monotonic()
                if stop_reason is not None:
                    break
                if found and (not keep_going or len(found) == len(names)):
                    break
                depth += 1
    except KeyboardInterrupt:
        stop_reason = INTERRUPTED
    except (ray.exceptions.RayError, ConnectionError) as exc:  # a worker, or the cluster
        info.lost_worker = _lost_worker(ray, actors, shared, pids, exc)
        stop_reason = "a Ray worker was lost; the search stopped"
    seconds = prior_seconds + time.monotonic() - start
    traces: list[Violation] = []
    if info.lost_worker is None and stop_reason != INTERRUPTED:
        try:
            for name in sorted(found, key=lambda n: (found[n], n)):  # shortest first
                traces.append(_trace(ray, actors, model, canon, inits, found[name][1:], name))
            info.worker_timings = ray.get([a.timings.remote() for a in actors])
            sync()  # the driver's model knows every value interned (e.g. for vacuity checks)
            if observers:  # what the rules recorded in each worker, merged into ours
                for copies in ray.get([a.observers.remote() for a in actors]):
                    for mine, theirs in zip(observers, copies, strict=True):
                        mine.merge(theirs)
        except (ray.exceptions.RayError, ConnectionError) as exc:  # lost while tracing
            info.lost_worker = _lost_worker(ray, actors, shared, pids, exc)
            stop_reason = "a Ray worker was lost; the search stopped"
            traces = []
    _stop_actors(ray, actors + [shared])
    complete = stop_reason is None and not found and info.lost_worker is None
    if found and not keep_going and stop_reason is None:
        stop_reason = "invariant violated"
    found_names = {n: 0 for n in found}
    if info.lost_worker is not None:
        found_names = {}  # a violation without its trace is not reported
    verdicts = verdicts_of(names, found_names, complete, keep_going, stop_reason)
    if progress is not None:
        progress(Progress(distinct, transitions, distinct - expanded, max_depth, seconds))
    kind_names = tables.kind_names
    counts = {kind_names[k]: c for k, c in enumerate(kinds) if c}
    result = Result(
        complete=complete,
        stop_reason=stop_reason,
        distinct_states=distinct,
        transitions=transitions,
        max_depth=max_depth,
        seconds=seconds,
        action_counts=dict(sorted(counts.items())),
        invariants=verdicts,
        violations=traces if info.lost_worker is None else [],
        engine="ray",
        workers=nworkers,
        state_bytes=sum(held_bytes),
        fingerprint_collision=(
            collision_probability(distinct, transitions) if fingerprint else None
        ),
    )
    info.worker_bytes = held_bytes
    return result, info


class _deferred_sigint:  # noqa: N801 - used as a context manager, like contextlib's
    """With checkpoints (`on`): a first Ctrl-C is noted in `seen` and the search stops at the
    next round boundary, with a checkpoint; a second one interrupts at once. Only where
    Python's default handler is in charge (the main thread)."""

    def __init__(self, on: bool, seen: list[bool]) -> None:
        self.on, self.seen = on, seen
        self.previous: Any = None

    def __enter__(self) -> None:
        if (not self.on or threading.current_thread() is not threading.main_thread()
                or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
            self.on = False
            return

        def noted(_sig: int, _frame: Any) -> None:
            if self.seen:
                raise KeyboardInterrupt
            self.seen.append(True)

        self.previous = signal.signal(signal.SIGINT, noted)

    def __exit__(self, *exc: object) -> None:
        if self.on:
            signal.signal(signal.SIGINT, self.previous)


def _rules_files_by_value(ray: Any) -> None:
    """Rules loaded from a file (model/rules_file.py) live in a module the workers cannot
    import by name: their code travels with the rules instead."""
    import sys

    from ray import cloudpickle

    for name, module in list(sys.modules.items()):
        if name.startswith(RULES_FILE_MODULES) and module is not None:
            cloudpickle.register_pickle_by_value(module)


def _lost_worker(ray: Any, actors: list[Any], shared: Any, pids: list[int],
                 exc: BaseException) -> str:
    """Which worker is gone (each is asked for a sign of life), and Ray's first line."""
    why = _first_line(exc)
    for w, a in enumerate(actors):
        try:
            ray.get(a.ping.remote(), timeout=10)
        except Exception:  # noqa: BLE001 - dead, unreachable or stuck: this is the one
            return f"worker {w} of {len(actors)} (pid {pids[w]}): {why}"
    try:
        ray.get(shared.where.remote(), timeout=10)
    except Exception:  # noqa: BLE001
        return f"the shared id table's actor: {why}"
    return why


def _limit_reached(limits: Limits, distinct: int, start: float, max_memory: int | None,
                   held: int) -> str | None:
    if limits.max_states is not None and distinct >= limits.max_states:
        return f"state limit {limits.max_states} reached"
    if limits.time_limit is not None and time.monotonic() - start >= limits.time_limit:
        return f"time limit {limits.time_limit:g}s reached"
    if max_memory is not None and held >= max_memory:
        return "memory budget reached"
    return None


def _trace(ray: Any, actors: list[Any], model: Any, canon: Callable[[Any], Any] | None,
           inits: list[Any], at: tuple[int, int], name: str) -> Violation:
    """Follow the parent links from owner to owner, then replay the model along the ordinals
    (concretely under symmetry), as explorer/fast.py does for one process."""
    owner, idx = at
    ords: list[int] = []
    while True:
        sender, parent, ord_ = ray.get(actors[owner].link.remote(idx))
        if sender < 0:
            init_ix = parent
            break
        ords.append(ord_)
        owner, idx = sender, parent
    ords.reverse()
    init = inits[init_ix]
    chain: list[tuple[Any, Any]] = []
    cur = init
    for o in ords:
        action, nxt = list(model.successors(cur))[o]
        cur = canon(nxt) if canon else nxt
        chain.append((action, cur))
    if canon is None:
        return Violation(name, init, [Step(a, s) for a, s in chain])
    return Violation(name, init, replay_concrete(model, canon, init, [s for _, s in chain]))


def _stop_actors(ray: Any, actors: list[Any]) -> None:
    for a in actors:
        try:
            ray.kill(a)
        except Exception:  # noqa: BLE001, S110 - already gone
            pass

