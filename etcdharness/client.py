"""Python client for the etcd raft harness (etcdharness/go, JSON lines on stdin/stdout).

``EtcdRawNode`` offers the node API of ``impl`` (tick, campaign, step, transfer_leader,
propose, beat, ready, status) on top of a real etcd 3.4.23 ``RawNode``; ``EtcdCluster``
creates several at once. Messages are ``impl.raftpb`` messages. See specs/HARNESS.md (and
etcdharness/README.md) for the wire protocol and etcdharness/FINDINGS.md for the bridge between
etcd's log replication and specs/SEMANTICS.md.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import selectors
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from etcdharness.build import ensure_built
from impl.raft import ErrProposalDropped
from impl.raftpb import Entry, EntryType, Message, MessageType
from impl.rawnode import ConfigStatus, ErrStepLocalMsg, ErrStepPeerNotFound

__all__ = [
    "Bridge",
    "CONF_BRIDGE",
    "ConfState",
    "Config",
    "LogEntry",
    "EtcdCluster",
    "EtcdRawNode",
    "Harness",
    "HarnessError",
    "HarnessRequestError",
    "MODEL_BRIDGE",
    "MODEL_CONF_BRIDGE",
    "NO_BRIDGE",
    "Progress",
    "Status",
    "default_harness",
    "message_from_json",
    "message_to_json",
]

DEFAULT_TIMEOUT = 10.0
# The protocol version of specs/HARNESS.md that this client speaks.
PROTOCOL_VERSION = 1


class HarnessError(RuntimeError):
    """The harness process crashed, hung or answered something that is not a response."""


class HarnessRequestError(RuntimeError):
    """The harness answered ``{"error": ...}`` (bad request, or etcd refused or panicked).

    ``kind`` is ``"panic"`` when etcd's raft code panicked (the node may be unusable),
    ``"bridge"`` when the model bridge met a state it cannot map onto etcd (see
    FINDINGS.md), else ``"error"``; etcd's step/proposal refusals are raised as
    impl's exceptions."""

    def __init__(self, op: str, error: str, kind: str = "error",
                 label: str = "etcd harness") -> None:
        super().__init__(f"{label}: {op}: {error}")
        self.op = op
        self.error = error
        self.kind = kind


@dataclass(frozen=True)
class Bridge:
    """Adaptations of etcd's log replication to specs/SEMANTICS.md (see FINDINGS.md).

    ``NO_BRIDGE`` is etcd as it is; ``MODEL_BRIDGE`` (the default of the node API)
    makes a lockstep comparison with the model meaningful.
    """

    whole_log: bool = True
    pin_commit: bool = True
    quiet_leader: bool = True
    transfer_caught_up: bool = True
    quiet_tick: bool = True
    # Membership changes against the model: whole-log MsgApp with etcd's commit and match
    # (see FINDINGS.md finding 28 and raft_export_harness.go HarnessBridge.CommitLog).
    commit_log: bool = False


MODEL_BRIDGE = Bridge()
NO_BRIDGE = Bridge(False, False, False, False, False)
# Membership changes need etcd's own commit and apply (pin_commit off): etcd's log
# replication as it is, with the leader's tick heartbeats withheld as in the model.
CONF_BRIDGE = Bridge(False, False, False, False, True)
# The model's abstraction with membership changes on: whole-log MsgApps carrying etcd's
# commit, match kept, transfers to a caught-up node, the leader's tick heartbeats withheld.
MODEL_CONF_BRIDGE = Bridge(whole_log=False, pin_commit=False, quiet_leader=False,
                           transfer_caught_up=True, quiet_tick=True, commit_log=True)

# A configuration change as the model writes it (model/confchange.py's values):
# (v2, transition, ((op_type, node_id), ...) sorted); op types and transitions are raftpb's
# ConfChangeType / ConfChangeTransition numbers. V1 = one op, transition 0; a V2 without
# ops leaves the joint configuration.
Change = tuple[bool, int, tuple[tuple[int, int], ...]]


@dataclass
class Config:
    """Same fields as ``impl``'s Config; any object with these attributes is accepted."""

    id: int
    voters: Sequence[int]
    learners: Sequence[int] = ()
    election_tick: int = 10
    heartbeat_tick: int = 1
    pre_vote: bool = False
    check_quorum: bool = False
    rules: str = "etcd-3.4"
    rand: Any = None
    term: int = 0
    vote: int = 0
    log_terms: Sequence[int] = ()
    pending_conf: bool = False
    # Allow election_tick <= heartbeat_tick (etcd's Config.validate refuses it,
    # raft.go:221-223): the harness sets electionTimeout after building the node.
    unchecked_election_tick: bool = False
    # Membership changes: the rest of a joint initial configuration (voters and
    # learners both empty = a spare outside the configuration), configuration entries
    # in the initial log (index i -> the change of entry i + 1, None = normal), and the
    # initial commit and applied indexes (need a bridge without pin_commit).
    voters_outgoing: Sequence[int] = ()
    learners_next: Sequence[int] = ()
    auto_leave: bool = False
    # impl's switch for commit tracking; etcd always tracks commit (the bridge decides
    # what the model sees), so it is accepted and ignored here.
    track_commit: bool = False
    log_changes: Sequence[Change | None] = ()
    commit: int = 0
    applied: int = 0
    # A spare's configuration on its first apply (impl's ``join``: a ConfState-like object
    # with ``voters``, ``learners``[, ``voters_outgoing``, ``learners_next``, ``auto_leave``]).
    join: Any = None


class ConfState(ConfigStatus):
    """impl's ``status().config`` (etcd's tracker.Config as sorted id lists), read from the
    harness's JSON."""

    @staticmethod
    def from_json(d: dict[str, Any]) -> ConfState:
        return ConfState(
            voters_in=list(d.get("voters_in") or ()),
            voters_out=list(d.get("voters_out") or ()),
            learners=list(d.get("learners") or ()),
            learners_next=list(d.get("learners_next") or ()),
            auto_leave=bool(d.get("auto_leave", False)),
        )


@dataclass(frozen=True)
class LogEntry:
    """One log entry: its type (raftpb EntryType number) and, for a configuration
    entry, the change it carries in the model's form (``Change``)."""

    term: int
    index: int
    type: int
    change: Change | None = None


def change_from_json(d: dict[str, Any] | None) -> Change | None:
    if d is None:
        return None
    ops = tuple(sorted((int(t), int(n)) for t, n in d.get("ops") or ()))
    return (bool(d.get("v2", False)), int(d.get("transition", 0)), ops)


def impl_change(cc: Change) -> Any:
    """The model's tuple as impl.raftpb's ConfChange / ConfChangeV2 (when impl has them)."""
    from impl import raftpb

    pb: Any = raftpb
    v2, transition, ops = cc
    if not v2:
        ((op, nid),) = ops
        return pb.ConfChange(pb.ConfChangeType(op), nid)
    return pb.ConfChangeV2(
        pb.ConfChangeTransition(transition),
        tuple(pb.ConfChangeSingle(pb.ConfChangeType(op), nid) for op, nid in ops),
    )


_ENTRY_HAS_CC = "cc" in getattr(Entry, "__dataclass_fields__", {})


def _entry(term: int, index: int, etype: int, data: bytes, change: Change | None) -> Entry:
    """An impl Entry; a configuration entry also carries its change as impl's ``cc``
    (when impl's Entry has that field)."""
    if change is not None and _ENTRY_HAS_CC:
        return Entry(term=term, index=index, type=EntryType(etype), data=data,  # type: ignore[call-arg]
                     cc=impl_change(change))
    return Entry(term=term, index=index, type=EntryType(etype), data=data)


def _join_json(j: Any) -> dict[str, Any] | None:
    if j is None:
        return None
    return {
        "voters_in": sorted(getattr(j, "voters", ()) or ()),
        "voters_out": sorted(getattr(j, "voters_outgoing", ()) or getattr(j, "voters_out", ())
                             or ()),
        "learners": sorted(getattr(j, "learners", ()) or ()),
        "learners_next": sorted(getattr(j, "learners_next", ()) or ()),
        "auto_leave": bool(getattr(j, "auto_leave", False)),
    }


def change_to_json(cc: Any) -> dict[str, Any]:
    """A change in the model's tuple form, or impl's raftpb objects: ``ConfChangeV2``
    (``transition``, ``changes`` of objects with ``type`` and ``node_id``) or a V1
    ``ConfChange`` (``type``, ``node_id``)."""
    if isinstance(cc, tuple):
        v2, transition, ops = cc
        return {"v2": bool(v2), "transition": int(transition),
                "ops": [[int(t), int(n)] for t, n in ops]}
    if hasattr(cc, "changes"):
        return {"v2": True, "transition": int(getattr(cc, "transition", 0)),
                "ops": [[int(c.type), int(c.node_id)] for c in cc.changes]}
    return {"v2": False, "transition": 0, "ops": [[int(cc.type), int(cc.node_id)]]}


@dataclass(frozen=True)
class Progress:
    match: int
    next: int
    state: str
    probe_sent: bool
    recent_active: bool
    is_learner: bool


@dataclass(frozen=True)
class Status:
    """``impl``'s Status fields first, then etcd-only details."""

    term: int
    vote: int
    lead: int
    role: str
    election_elapsed: int
    randomized_election_timeout: int
    votes: dict[int, bool]
    recent_active: frozenset[int]
    log_terms: list[int]
    id: int = 0
    heartbeat_elapsed: int = 0
    commit: int = 0
    applied: int = 0
    lead_transferee: int = 0
    is_learner: bool = False
    promotable: bool = False
    progress: dict[int, Progress] = field(default_factory=dict)
    persisted_term: int = 0
    persisted_vote: int = 0
    persisted_commit: int = 0
    persisted_log_terms: list[int] = field(default_factory=list)
    pending_messages: int = 0
    has_ready: bool = False
    # Membership changes: the tracker's configuration, pendingConfIndex, a leader's
    # match index per tracked node ({} elsewhere), every log entry with its change.
    config: ConfState = field(default_factory=ConfState)
    pending_conf_index: int = 0
    match: dict[int, int] = field(default_factory=dict)
    entries: list[LogEntry] = field(default_factory=list)

    @property
    def log_entries(self) -> list[Entry]:
        """The log as impl Entries (configuration entries with impl's ``cc``)."""
        return [_entry(e.term, e.index, e.type, b"", e.change) for e in self.entries]

    @staticmethod
    def from_json(d: dict[str, Any]) -> Status:
        return Status(
            term=d["term"],
            vote=d["vote"],
            lead=d["lead"],
            role=d["role"],
            election_elapsed=d["election_elapsed"],
            randomized_election_timeout=d["randomized_election_timeout"],
            votes={int(k): bool(v) for k, v in d["votes"].items()},
            recent_active=frozenset(d["recent_active"]),
            log_terms=list(d["log_terms"]),
            # The rest is etcd-only detail: optional for other harnesses (specs/HARNESS.md).
            id=d.get("id", 0),
            heartbeat_elapsed=d.get("heartbeat_elapsed", 0),
            commit=d.get("commit", 0),
            applied=d.get("applied", 0),
            lead_transferee=d.get("lead_transferee", 0),
            is_learner=d.get("is_learner", False),
            promotable=d.get("promotable", False),
            progress={int(k): Progress(**v) for k, v in d.get("progress", {}).items()},
            persisted_term=d.get("persisted_term", 0),
            persisted_vote=d.get("persisted_vote", 0),
            persisted_commit=d.get("persisted_commit", 0),
            persisted_log_terms=list(d.get("persisted_log_terms", ())),
            pending_messages=d.get("pending_messages", 0),
            has_ready=d.get("has_ready", False),
            config=ConfState.from_json(d.get("config") or {}),
            pending_conf_index=d.get("pending_conf_index", 0),
            match={int(k): int(v) for k, v in (d.get("match") or {}).items()},
            entries=[
                LogEntry(e["term"], e["index"], e.get("type", 0), change_from_json(e.get("change")))
                for e in d.get("entries") or ()
            ],
        )


# ----------------------------------------------------------------------------- wire format


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _entry_json(e: Entry) -> dict[str, Any]:
    d: dict[str, Any] = {"term": e.term, "index": e.index, "type": int(e.type),
                         "data": _b64(e.data)}
    cc = getattr(e, "cc", None)
    if cc is not None and not e.data:
        d["change"] = change_to_json(cc)  # the harness encodes it (impl keeps no bytes)
    return d


def message_to_json(m: Message) -> dict[str, Any]:
    d: dict[str, Any] = {
        "type": int(m.type),
        "to": m.to,
        "from": m.frm,
        "term": m.term,
        "log_term": m.log_term,
        "index": m.index,
        "entries": [_entry_json(e) for e in m.entries],
        "commit": m.commit,
        "reject": m.reject,
        "reject_hint": m.reject_hint,
    }
    if m.context:
        d["context"] = _b64(m.context)
    return d


def message_from_json(d: dict[str, Any]) -> Message:
    return Message(
        type=MessageType(d["type"]),
        to=d["to"],
        frm=d["from"],
        term=d["term"],
        log_term=d["log_term"],
        index=d["index"],
        entries=tuple(
            _entry(e["term"], e["index"], e["type"],
                   base64.b64decode(e["data"]) if e.get("data") else b"",
                   change_from_json(e.get("change")))
            for e in d["entries"]
        ),
        commit=d["commit"],
        reject=d["reject"],
        context=base64.b64decode(d["context"]) if d.get("context") else b"",
        reject_hint=d.get("reject_hint", 0),
    )


# ----------------------------------------------------------------------------- process

_live: weakref.WeakSet[Harness] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for h in list(_live):
        h.close()


class Harness:
    """One harness process. Thread-safe (one request at a time); restarts on the next
    request after a crash, hang or garbage answer (nodes created before are lost)."""

    def __init__(
        self, binary: str | os.PathLike[str] | None = None, timeout: float = DEFAULT_TIMEOUT,
        *, argv: Sequence[str] | None = None, label: str = "etcd harness",
        protocol: int | None = None,
    ) -> None:
        """`argv`: run this command instead of the etcd binary (any harness speaking
        specs/HARNESS.md); `label` names it in errors; `protocol`: the version the `hello`
        sent right after each start must answer (None: no handshake)."""
        self.binary = Path(binary) if binary is not None else None
        self.argv = list(argv) if argv is not None else None
        self.label = label
        self.protocol = protocol
        self.info: dict[str, Any] = {}  # the last handshake's hello answer
        self.timeout = timeout
        self.generation = 0
        self.last_request: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._sel: selectors.BaseSelector | None = None
        self._buf = b""
        self._next_id = 0
        self._lock = threading.RLock()
        _live.add(self)

    # -- lifecycle

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        with self._lock:
            if self.alive:
                return
            self._cleanup()
            if self.argv is not None:
                argv = self.argv
            else:
                argv = [str(self.binary if self.binary is not None else ensure_built())]
            self._stderr = tempfile.TemporaryFile(prefix="raftharness-stderr-")
            try:
                self._proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=self._stderr,
                    bufsize=0,
                )
            except OSError as e:
                self._cleanup()
                raise HarnessError(
                    f"{self.label}: cannot run {argv[0]!r}: {e.strerror or e}"
                ) from None
            assert self._proc.stdout is not None
            os.set_blocking(self._proc.stdout.fileno(), False)
            self._sel = selectors.DefaultSelector()
            self._sel.register(self._proc.stdout, selectors.EVENT_READ)
            self._buf = b""
            self.generation += 1
            if self.protocol is not None:
                self._handshake()

    def _handshake(self) -> None:
        """`hello` first: a harness speaking another protocol version is stopped."""
        info = self._exchange({"op": "hello"})
        got = info.get("protocol")
        if got != self.protocol:
            raise self._fail(f"speaks protocol {got!r}, this raftcheck speaks {self.protocol}")
        self.info = info

    def close(self) -> None:
        """Stop the process (EOF, then kill after a second) and reap it."""
        with self._lock:
            self._cleanup()

    def _cleanup(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                if proc.stdin is not None:
                    proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if self._sel is not None:
            self._sel.close()
            self._sel = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self._buf = b""

    def __enter__(self) -> Harness:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    # -- requests

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0, os.SEEK_END)
            size = self._stderr.tell()
            self._stderr.seek(max(0, size - 2000))
            return self._stderr.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def _fail(self, what: str) -> HarnessError:
        proc = self._proc
        rc = proc.poll() if proc is not None else None
        tail = self._stderr_tail()
        msg = f"{self.label} {what}; last request sent: {self.last_request}"
        if rc is not None:
            msg += f"; exit status {rc}"
        if tail:
            msg += f"; stderr: {tail}"
        # Kill and reap now; the next request starts a fresh process.
        if proc is not None and proc.poll() is None:
            proc.kill()
        self._cleanup()
        return HarnessError(msg)

    def _readline(self, deadline: float) -> bytes:
        assert self._proc is not None and self._proc.stdout is not None and self._sel is not None
        fd = self._proc.stdout.fileno()
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                line, self._buf = self._buf[:nl], self._buf[nl + 1 :]
                return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._fail(f"did not answer within {self.timeout:g}s (hung?)")
            if not self._sel.select(remaining):
                continue
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            if not chunk:
                raise self._fail("exited (crashed?)")
            self._buf += chunk

    def raw(self, req: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send one request dict, return the response dict (errors not raised)."""
        with self._lock:
            self.start()
            return self._exchange(req, timeout)

    def _exchange(self, req: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """`raw` on the running process (no restart: the handshake uses it)."""
        with self._lock:
            if self._proc is None or self._proc.stdin is None:
                raise self._fail("is not running")
            self._next_id += 1
            rid = self._next_id
            line = json.dumps({**req, "id": rid}, separators=(",", ":"))
            self.last_request = line if len(line) <= 500 else line[:500] + "..."
            data = memoryview(line.encode() + b"\n")
            try:
                while data:
                    written = self._proc.stdin.write(data)
                    data = data[written or 0 :]
            except (BrokenPipeError, OSError):
                raise self._fail("exited (crashed?)") from None
            deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
            answer = self._readline(deadline)
            try:
                res = json.loads(answer)
            except ValueError:
                raise self._fail(
                    f"printed garbage {answer[:200]!r} instead of a JSON response"
                ) from None
            if not isinstance(res, dict) or res.get("id") != rid:
                raise self._fail(f"answered {answer[:200]!r}, not the response to id {rid}")
            return res

    def request(self, op: str, **args: Any) -> dict[str, Any]:
        """Send ``{"op": op, **args}``; raise HarnessRequestError on ``{"error": ...}``."""
        res = self.raw({"op": op, **args})
        if "error" in res:
            kind = res.get("kind", "error")
            if kind == "step_local_msg":
                raise ErrStepLocalMsg(res["error"])
            if kind == "step_peer_not_found":
                raise ErrStepPeerNotFound(res["error"])
            if kind == "proposal_dropped":
                raise ErrProposalDropped(res["error"])
            raise HarnessRequestError(op, res["error"], kind, self.label)
        return res

    def batch(self, requests: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Several requests in one round trip; each answer may hold ``"error"``."""
        res = self.request("batch", requests=list(requests))
        out: list[dict[str, Any]] = res["responses"]
        return out

    def hello(self) -> dict[str, Any]:
        return self.request("hello")


_default: Harness | None = None
_default_lock = threading.Lock()


def default_harness() -> Harness:
    """The process-wide harness shared by nodes created without an explicit one."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Harness()
        return _default


# ----------------------------------------------------------------------------- nodes


def _seed_of(rand: Any, node_id: int) -> int:
    """An int ``config.rand`` seeds the node's Go random source; anything else
    (None, impl's ``rand(n)`` callable) is replaced by the node id, since etcd
    draws ``randomizedElectionTimeout`` from its own source. Pin the value with
    ``node.raft.randomized_election_timeout = v`` where it matters."""
    if isinstance(rand, int) and not isinstance(rand, bool):
        return rand
    return node_id


def _spec(config: Any, bridge: Bridge, seed: int | None = None) -> dict[str, Any]:
    rules = getattr(config, "rules", "etcd-3.4")
    if rules != "etcd-3.4":
        raise ValueError(f"the etcd harness runs etcd 3.4's rules only (rules={rules!r})")
    return {
        "id": config.id,
        "voters": sorted(config.voters),
        "learners": sorted(config.learners),
        "election_tick": config.election_tick,
        "heartbeat_tick": config.heartbeat_tick,
        "pre_vote": bool(config.pre_vote),
        "check_quorum": bool(config.check_quorum),
        "term": config.term,
        "vote": config.vote,
        "log_terms": list(config.log_terms),
        "pending_conf": bool(config.pending_conf),
        "unchecked_election_tick": bool(getattr(config, "unchecked_election_tick", False)),
        "voters_out": sorted(getattr(config, "voters_outgoing", ()) or ()),
        "learners_next": sorted(getattr(config, "learners_next", ()) or ()),
        "auto_leave": bool(getattr(config, "auto_leave", False)),
        "log_changes": [
            None if c is None else change_to_json(c)
            for c in getattr(config, "log_changes", ()) or ()
        ],
        "commit": int(getattr(config, "commit", 0) or 0),
        "applied": int(getattr(config, "applied", 0) or 0),
        **({"join": _join_json(config.join)} if getattr(config, "join", None) is not None
           else {}),
        "seed": seed if seed is not None else _seed_of(getattr(config, "rand", None), config.id),
        "bridge": asdict(bridge),
    }


class _RaftView:
    """``node.raft.randomized_election_timeout`` (read/write), as on impl's RawNode."""

    def __init__(self, node: EtcdRawNode) -> None:
        self._node = node

    @property
    def id(self) -> int:
        return self._node.id

    @property
    def randomized_election_timeout(self) -> int:
        return self._node.status().randomized_election_timeout

    @randomized_election_timeout.setter
    def randomized_election_timeout(self, value: int) -> None:
        self._node.set_randomized_election_timeout(value)

    @property
    def track_commit(self) -> bool:
        """impl's commit-tracking switch, from the node's config (the abstraction reads it)."""
        return bool(getattr(self._node.config, "track_commit", False))

    @property
    def election_elapsed(self) -> int:
        return self._node.status().election_elapsed

    @election_elapsed.setter
    def election_elapsed(self, value: int) -> None:
        self._node.set_election_elapsed(value)


class EtcdRawNode:
    """A real etcd RawNode in the harness, with impl's node API."""

    def __init__(
        self,
        config: Any,
        harness: Harness | None = None,
        *,
        bridge: Bridge = MODEL_BRIDGE,
        _handle: int | None = None,
    ) -> None:
        self.harness = harness if harness is not None else default_harness()
        self.config = config
        self.id: int = config.id
        self.bridge = bridge
        self.raft = _RaftView(self)
        self.last_suppressed: list[Message] = []
        if _handle is None:
            _handle = self.harness.request("create", node=_spec(config, bridge))["handle"]
        self.handle: int = _handle
        self.generation = self.harness.generation

    def _req(self, op: str, **args: Any) -> dict[str, Any]:
        self.harness.start()
        if self.harness.generation != self.generation:
            raise HarnessError(
                f"node {self.id}: the etcd harness was restarted since this node was "
                "created (after a crash, hang or close); its state is lost"
            )
        return self.harness.request(op, handle=self.handle, **args)

    def tick(self, n: int = 1) -> None:
        self._req("tick", n=n)

    def campaign(self, reset_elapsed: bool = True) -> None:
        """``electionElapsed = 0`` then ``Step(MsgHup)``, as ``tickElection`` firing.

        ``reset_elapsed=False`` is etcd's ``RawNode.Campaign`` (and impl's
        ``campaign``): ``Step(MsgHup)`` with ``electionElapsed`` kept."""
        self._req("campaign", reset_elapsed=reset_elapsed)

    def beat(self) -> None:
        self._req("beat")

    def step(self, msg: Message) -> None:
        self._req("step", msg=message_to_json(msg))

    def transfer_leader(self, to: int) -> None:
        self._req("transfer_leader", to=to)

    def propose(self, data: bytes = b"") -> None:
        """``RawNode.Propose``; raises impl's ``ErrProposalDropped`` when etcd drops it."""
        res = self._req("propose", data=_b64(data)) if data else self._req("propose")
        if res.get("dropped"):
            raise ErrProposalDropped("raft proposal dropped")

    def propose_conf_change(self, cc: Any) -> None:
        """``RawNode.ProposeConfChange`` (``cc``: see ``change_to_json``); raises impl's
        ``ErrProposalDropped`` when etcd drops it. A change etcd refuses (one already
        pending, a second joint change, leaving a non-joint configuration) is not
        dropped: the leader appends an empty normal entry instead (raft.go:1073-1076)."""
        res = self._req("propose_conf_change", change=change_to_json(cc))
        if res.get("dropped"):
            raise ErrProposalDropped("raft proposal dropped")

    def apply_committed(self) -> list[LogEntry]:
        """Apply every committed, unapplied entry as an application does: take the
        Ready, persist it, ``ApplyConfChange`` each configuration entry, ``Advance``
        (etcd then proposes the automatic leave of a joint configuration itself). The
        Ready's messages come with the next ``ready()``. Returns the entries applied.
        Needs a bridge without ``pin_commit`` (e.g. ``CONF_BRIDGE`` or ``NO_BRIDGE``)."""
        res = self._req("apply_committed")
        return [
            LogEntry(e["term"], e["index"], e.get("type", 0), change_from_json(e.get("change")))
            for e in res.get("entries") or ()
        ]

    def ready(self) -> list[Message]:
        """Messages to send; HardState and entries are persisted, then ``Advance``.

        Messages the bridge withheld are in ``last_suppressed``."""
        res = self._req("ready")
        self.last_suppressed = [message_from_json(d) for d in res["suppressed"]]
        return [message_from_json(d) for d in res["messages"]]

    def status(self) -> Status:
        return Status.from_json(self._req("status")["status"])

    def set_randomized_election_timeout(self, value: int, sticky: bool = False) -> None:
        """Set ``randomizedElectionTimeout``; etcd redraws it on every state change
        unless ``sticky`` (then it is re-applied after every request and restart)."""
        self._req("set_randomized_election_timeout", value=value, sticky=sticky)

    def set_election_elapsed(self, value: int) -> None:
        self._req("set_election_elapsed", value=value)

    def has_ready(self) -> bool:
        """etcd's ``RawNode.HasReady`` (messages, or HardState/entries to persist)."""
        return bool(self._req("status")["status"]["has_ready"])

    def restart(self, persist_first: bool = True) -> None:
        """Crash and restart: a new RawNode from the persisted HardState and log.

        With ``persist_first`` (default, as impl's ``restart``) the pending Ready is
        persisted first and its messages are lost; without, whatever ``ready`` has
        not persisted is lost too."""
        self._req("restart", persist_first=persist_first)

    def destroy(self) -> None:
        if self.harness.generation == self.generation and self.harness.alive:
            self.harness.request("destroy", handle=self.handle)

    def __repr__(self) -> str:
        return f"EtcdRawNode(id={self.id}, handle={self.handle})"


class EtcdCluster:
    """Nodes created in one round trip; each keeps its own view of the configuration.

    ``seed`` (optional) derives every node's random source from one number; otherwise
    each node's ``config.rand`` (None: the node id) seeds it."""

    def __init__(
        self,
        configs: Iterable[Any],
        harness: Harness | None = None,
        *,
        bridge: Bridge = MODEL_BRIDGE,
        seed: int | None = None,
    ) -> None:
        self.harness = harness if harness is not None else default_harness()
        configs = list(configs)
        specs = [_spec(c, bridge, None if seed is None else seed * 1000003 + c.id) for c in configs]
        handles = self.harness.request("create_cluster", nodes=specs)["handles"]
        self.nodes: dict[int, EtcdRawNode] = {
            c.id: EtcdRawNode(c, self.harness, bridge=bridge, _handle=h)
            for c, h in zip(configs, handles, strict=True)
        }

    @staticmethod
    def configs(voters: int, learners: int = 0, **kw: Any) -> list[Config]:
        """Configs for ids 1..voters+learners, every node with the same view."""
        vs = tuple(range(1, voters + 1))
        ls = tuple(range(voters + 1, voters + learners + 1))
        return [Config(id=i, voters=vs, learners=ls, **kw) for i in vs + ls]

    def __getitem__(self, node_id: int) -> EtcdRawNode:
        return self.nodes[node_id]

    def ready_all(self) -> list[Message]:
        out: list[Message] = []
        for node_id in sorted(self.nodes):
            out.extend(self.nodes[node_id].ready())
        return out

    def deliver(self, msg: Message) -> None:
        self.nodes[msg.to].step(msg)

    def settle(self, msgs: Iterable[Message], max_steps: int = 10_000) -> list[Message]:
        """Deliver messages FIFO (and everything they cause) until none is left.

        Returns every message delivered, in order."""
        queue = list(msgs) + self.ready_all()
        delivered: list[Message] = []
        while queue:
            if len(delivered) >= max_steps:
                raise RuntimeError(f"no quiescence after {max_steps} deliveries")
            m = queue.pop(0)
            delivered.append(m)
            if m.to in self.nodes:
                self.deliver(m)
                queue.extend(self.nodes[m.to].ready())
        return delivered

    def statuses(self) -> dict[int, Status]:
        return {i: n.status() for i, n in sorted(self.nodes.items())}

    def leaders(self) -> list[int]:
        return [i for i, st in self.statuses().items() if st.role == "leader"]

    def destroy(self) -> None:
        for node in self.nodes.values():
            node.destroy()
