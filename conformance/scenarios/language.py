"""A small language for election scenarios, run the same way against impl/ and model/.

A `Scenario` is a `Cluster` (the static configuration plus each node's initial state) and a
list of steps. Steps act on the cluster (`hup`, `tick`, `send`, `transfer`, `append`, `beat`,
`restart`), on the network (`isolate`, `cut`, `heal`, `deliver_all`, `drop_all`) or check
something (`expect`, `expect_sent`, `expect_in_flight`).

The network lives here, not in the drivers, so both sides see exactly the same message
schedule: in-flight messages form a FIFO queue and `deliver_all` hands them out in order,
appending whatever each delivery sends, until nothing is left (the schedule of etcd's
`network.send` in raft_test.go). A message whose link is cut when its turn comes is dropped
(etcd filters when a message is sent; the two differ only if links change while a message
waits in flight, e.g. a `heal` between a `hup` and the next `deliver_all`).

A `Driver` wraps one side (see `conformance.scenarios.impl_driver` and `.model_driver`): it
creates the nodes, performs the node-local actions and reports what each node looks like and
which messages it sent, in the neutral `Msg` form defined here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields

ROLES = ("follower", "pre-candidate", "candidate", "leader")
RULE_SETS = ("seed", "etcd-3.4")

# Message types both sides know (the model's set; impl has more, which never appear here).
MSG_TYPES = (
    "MsgApp",
    "MsgAppResp",
    "MsgVote",
    "MsgVoteResp",
    "MsgPreVote",
    "MsgPreVoteResp",
    "MsgHeartbeat",
    "MsgHeartbeatResp",
    "MsgTimeoutNow",
)

MAX_DELIVERIES = 10_000


class ScenarioError(Exception):
    """The scenario itself is malformed (not a conformance failure)."""


class ScenarioFailure(AssertionError):
    """An expectation of the scenario does not hold on the driver it ran on."""


# ----------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Msg:
    """A message in neutral form. Fields that a type does not use stay 0 / False / ().

    - MsgVote / MsgPreVote: `log_term`, `index` (the candidate's last entry), `force` (the
      transfer context of etcd's campaignTransfer).
    - MsgVoteResp / MsgPreVoteResp: `reject`.
    - MsgApp: `entries`, the terms of the sender's whole log (the shared abstraction of log
      replication in specs/SEMANTICS.md: every MsgApp starts at index 0).
    - MsgAppResp: `index` (last index of the accepted entries), `reject`.
    """

    type: str
    frm: int
    to: int
    term: int
    log_term: int = 0
    index: int = 0
    reject: bool = False
    force: bool = False
    entries: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in MSG_TYPES:
            raise ScenarioError(f"unknown message type {self.type!r}")

    def __str__(self) -> str:
        parts = [f"{self.type} {self.frm}->{self.to} term={self.term}"]
        if self.type in ("MsgVote", "MsgPreVote"):
            parts.append(f"last=({self.log_term},{self.index})")
            if self.force:
                parts.append("force")
        elif self.type in ("MsgVoteResp", "MsgPreVoteResp"):
            parts.append("reject" if self.reject else "grant")
        elif self.type == "MsgApp":
            parts.append(f"log={list(self.entries)}")
        elif self.type == "MsgAppResp":
            parts.append(f"index={self.index}" + (" reject" if self.reject else ""))
        return " ".join(parts)


@dataclass(frozen=True)
class MsgPattern:
    """Matches a `Msg`; a field left at None matches anything."""

    type: str
    frm: int | None = None
    to: int | None = None
    term: int | None = None
    log_term: int | None = None
    index: int | None = None
    reject: bool | None = None
    force: bool | None = None
    entries: tuple[int, ...] | None = None

    def matches(self, m: Msg) -> bool:
        for f in fields(self):
            want = getattr(self, f.name)
            if want is not None and getattr(m, f.name) != want:
                return False
        return True

    def __str__(self) -> str:
        given = [f"{f.name}={getattr(self, f.name)}" for f in fields(self)[1:]
                 if getattr(self, f.name) is not None]
        return f"{self.type}(" + ", ".join(given) + ")"


def sent(mtype: str, **kw: object) -> MsgPattern:
    """A message pattern: `sent("MsgVoteResp", to=2, reject=False)`."""
    return MsgPattern(mtype, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class NodeInit:
    """One node's initial state. `role` and `lead` other than follower / 0 are set directly
    on the node, as etcd's unit tests do with `r.state = ...` or `becomeX()`."""

    term: int = 0
    vote: int = 0
    lead: int = 0
    log: tuple[int, ...] = ()
    role: str = "follower"

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ScenarioError(f"unknown role {self.role!r}")


@dataclass(frozen=True)
class Cluster:
    """The static configuration. Ids 1..voters are voters, the next `learners` ids learners.

    `promoted_learners`: every node counts the learners as voters, but each learner still
    believes it is a learner (so it never campaigns) -- the model's stale-learner case.
    `pending_conf`: nodes holding a committed, unapplied configuration change (MsgHup ignored).
    """

    voters: int
    learners: int = 0
    promoted_learners: bool = False
    pre_vote: bool = False
    check_quorum: bool = False
    election_timeout: int = 10
    rules: str = "etcd-3.4"
    nodes: Mapping[int, NodeInit] = field(default_factory=dict)
    pending_conf: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.rules not in RULE_SETS:
            raise ScenarioError(f"unknown rule set {self.rules!r}")
        for nid in list(self.nodes) + list(self.pending_conf):
            if not 1 <= nid <= self.n:
                raise ScenarioError(f"node {nid} is not in a cluster of {self.n}")

    @property
    def n(self) -> int:
        return self.voters + self.learners

    @property
    def ids(self) -> range:
        return range(1, self.n + 1)

    def init(self, nid: int) -> NodeInit:
        return self.nodes.get(nid, NodeInit())

    def is_learner(self, nid: int) -> bool:
        return nid > self.voters


@dataclass(frozen=True)
class NodeView:
    """What the expectations can look at."""

    role: str
    term: int
    vote: int
    lead: int
    log: tuple[int, ...]
    granted: frozenset[int]

    def __str__(self) -> str:
        return (f"role={self.role} term={self.term} vote={self.vote} lead={self.lead} "
                f"log={list(self.log)} granted={sorted(self.granted)}")


# ----------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class Step:
    kind: str
    args: tuple[object, ...] = ()

    def __str__(self) -> str:
        return f"{self.kind}(" + ", ".join(str(a) for a in self.args) + ")"


def isolate(nid: int) -> Step:
    """Cut every link between `nid` and the other nodes (etcd's `network.isolate`)."""
    return Step("isolate", (nid,))


def cut(a: int, b: int) -> Step:
    """Cut the link between `a` and `b`, both directions (etcd's `network.cut`)."""
    return Step("cut", (a, b))


def heal() -> Step:
    """Restore every link (etcd's `network.recover`)."""
    return Step("heal")


def hup(nid: int) -> Step:
    """The election timeout of `nid` fires: electionElapsed = 0, then MsgHup (tickElection).

    A leader or a node that is not promotable is left alone (tickElection never fires there;
    etcd's MsgHup is ignored by both)."""
    return Step("hup", (nid,))


def tick(nid: int, k: int = 1) -> Step:
    """`k` clock ticks of `nid` that never fire an election (use `hup` for that). A leader's
    ticks run check-quorum every election timeout; leader heartbeats only come from `beat`."""
    return Step("tick", (nid, k))


def deliver_all() -> Step:
    """Deliver the in-flight messages in FIFO order, and all they cause, until none is left;
    messages on cut links are dropped."""
    return Step("deliver_all")


def drop_all() -> Step:
    """Throw away every in-flight message."""
    return Step("drop_all")


def send(m: Msg) -> Step:
    """Step `m` at `m.to` right away (whatever the links); its answers go in flight."""
    return Step("send", (m,))


def transfer(leader: int, to: int) -> Step:
    """Leadership transfer on `leader` towards `to` (MsgTransferLeader with `to` caught up)."""
    return Step("transfer", (leader, to))


def append(leader: int) -> Step:
    """A proposal on `leader`: one entry of its term, MsgApp to every other node."""
    return Step("append", (leader,))


def beat(leader: int) -> Step:
    """MsgBeat on `leader`: MsgHeartbeat to every other node (ignored by non-leaders)."""
    return Step("beat", (leader,))


def restart(nid: int) -> Step:
    """Crash and restart `nid` from its term, vote and log."""
    return Step("restart", (nid,))


def expect(
    nid: int,
    *,
    role: str | None = None,
    term: int | None = None,
    vote: int | None = None,
    lead: int | None = None,
    log: Sequence[int] | None = None,
    granted: Iterable[int] | None = None,
) -> Step:
    """Check fields of node `nid`; fields left at None are not checked."""
    if role is not None and role not in ROLES:
        raise ScenarioError(f"unknown role {role!r}")
    want = {
        "role": role,
        "term": term,
        "vote": vote,
        "lead": lead,
        "log": tuple(log) if log is not None else None,
        "granted": frozenset(granted) if granted is not None else None,
    }
    return Step("expect", (nid, tuple((k, v) for k, v in want.items() if v is not None)))


def expect_sent(*patterns: MsgPattern, by: int | None = None) -> Step:
    """The messages sent by the previous step (by node `by`, if given) are exactly these,
    one message per pattern, in any order."""
    return Step("expect_sent", (patterns, by))


def expect_in_flight(*patterns: MsgPattern) -> Step:
    """The in-flight messages are exactly these, one message per pattern, in any order."""
    return Step("expect_in_flight", (patterns,))


@dataclass(frozen=True)
class Scenario:
    name: str
    cluster: Cluster
    steps: tuple[Step, ...]


def scenario(name: str, cluster: Cluster, *steps: Step) -> Scenario:
    return Scenario(name, cluster, tuple(steps))


# ----------------------------------------------------------------------------- drivers


class Driver(ABC):
    """One side under test. Every action returns the messages it sent, in neutral form."""

    name: str = "?"

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    @abstractmethod
    def hup(self, nid: int) -> list[Msg]: ...

    @abstractmethod
    def tick(self, nid: int) -> list[Msg]: ...

    @abstractmethod
    def step(self, m: Msg) -> list[Msg]:
        """Deliver `m` to node `m.to`."""

    @abstractmethod
    def transfer(self, leader: int, to: int) -> list[Msg]: ...

    @abstractmethod
    def append(self, leader: int) -> list[Msg]: ...

    @abstractmethod
    def beat(self, leader: int) -> list[Msg]: ...

    @abstractmethod
    def restart(self, nid: int) -> None: ...

    @abstractmethod
    def view(self, nid: int) -> NodeView: ...


DriverFactory = Callable[[Cluster], Driver]


@dataclass
class TraceEntry:
    """What one step did: the messages sent and every node's view afterwards."""

    step: Step
    sent: list[Msg]
    views: dict[int, NodeView]


class Runner:
    """Runs one scenario on one driver, with the shared network."""

    def __init__(self, sc: Scenario, factory: DriverFactory) -> None:
        self.sc = sc
        self.driver = factory(sc.cluster)
        self.in_flight: deque[Msg] = deque()
        self.cuts: set[tuple[int, int]] = set()
        self.last_sent: list[Msg] = []
        self.trace: list[TraceEntry] = []

    def fail(self, i: int, what: str) -> ScenarioFailure:
        lines = [f"{self.sc.name} [{self.driver.name}] step {i} {self.sc.steps[i]}: {what}"]
        lines += [f"  node {n}: {self.driver.view(n)}" for n in self.sc.cluster.ids]
        lines.append("  in flight: " + ("; ".join(map(str, self.in_flight)) or "none"))
        return ScenarioFailure("\n".join(lines))

    def run(self) -> list[TraceEntry]:
        for i, st in enumerate(self.sc.steps):
            self.do(i, st)
            if st.kind not in ("expect", "expect_sent", "expect_in_flight"):
                views = {n: self.driver.view(n) for n in self.sc.cluster.ids}
                self.trace.append(TraceEntry(st, list(self.last_sent), views))
        return self.trace

    def _emit(self, msgs: list[Msg]) -> None:
        self.last_sent.extend(msgs)
        self.in_flight.extend(msgs)

    def do(self, i: int, st: Step) -> None:
        d = self.driver
        ids = self.sc.cluster.ids
        k, a = st.kind, st.args
        if k in ("expect", "expect_sent", "expect_in_flight"):
            self.check(i, st)
            return
        self.last_sent = []
        if k == "isolate":
            (nid,) = a
            for other in ids:
                if other != nid:
                    self.cuts |= {(nid, other), (other, nid)}  # type: ignore[arg-type]
        elif k == "cut":
            x, y = a
            self.cuts |= {(x, y), (y, x)}  # type: ignore[arg-type]
        elif k == "heal":
            self.cuts.clear()
        elif k == "hup":
            self._emit(d.hup(a[0]))  # type: ignore[arg-type]
        elif k == "tick":
            nid, times = a
            for _ in range(times):  # type: ignore[call-overload]
                self._emit(d.tick(nid))  # type: ignore[arg-type]
        elif k == "send":
            self._emit(d.step(a[0]))  # type: ignore[arg-type]
        elif k == "transfer":
            self._emit(d.transfer(a[0], a[1]))  # type: ignore[arg-type]
        elif k == "append":
            self._emit(d.append(a[0]))  # type: ignore[arg-type]
        elif k == "beat":
            self._emit(d.beat(a[0]))  # type: ignore[arg-type]
        elif k == "restart":
            d.restart(a[0])  # type: ignore[arg-type]
        elif k == "drop_all":
            self.in_flight.clear()
        elif k == "deliver_all":
            n = 0
            while self.in_flight:
                m = self.in_flight.popleft()
                if (m.frm, m.to) in self.cuts:
                    continue
                n += 1
                if n > MAX_DELIVERIES:
                    raise self.fail(i, f"still delivering after {MAX_DELIVERIES} messages")
                self._emit(d.step(m))
        else:
            raise ScenarioError(f"unknown step {st}")

    def check(self, i: int, st: Step) -> None:
        if st.kind == "expect":
            nid, want = st.args
            v = self.driver.view(nid)  # type: ignore[arg-type]
            bad = [f"{f}={getattr(v, f)!r}, want {w!r}" for f, w in want  # type: ignore[attr-defined]
                   if getattr(v, f) != w]
            if bad:
                raise self.fail(i, f"node {nid}: " + "; ".join(bad))
            return
        if st.kind == "expect_sent":
            patterns, by = st.args
            msgs = [m for m in self.last_sent if by is None or m.frm == by]
        else:
            (patterns,) = st.args
            msgs = list(self.in_flight)
        problem = match_exactly(patterns, msgs)  # type: ignore[arg-type]
        if problem:
            raise self.fail(i, problem)


def match_exactly(patterns: Sequence[MsgPattern], msgs: Sequence[Msg]) -> str | None:
    """None if every message matches its own pattern, else a description of the mismatch."""
    left = list(msgs)
    for p in patterns:
        hit = next((m for m in left if p.matches(m)), None)
        if hit is None:
            got = "; ".join(map(str, msgs)) or "nothing"
            return f"no message matches {p} (sent: {got})"
        left.remove(hit)
    if left:
        return "unexpected message(s): " + "; ".join(map(str, left))
    return None


def run(sc: Scenario, factory: DriverFactory) -> list[TraceEntry]:
    """Run `sc` on a fresh driver; raises ScenarioFailure at the first expectation that fails."""
    return Runner(sc, factory).run()

