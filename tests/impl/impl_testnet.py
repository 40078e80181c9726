"""A tiny in-test network for impl/ (after etcd's ``network`` in raft_test.go)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence

from impl import Config, Message, MessageType, RawNode


def fixed_rand(v: int = 0) -> Callable[[int], int]:
    """A rand(n) that always answers ``min(v, n - 1)``."""
    return lambda n: min(v, n - 1)


class Network:
    """Nodes ``1..n`` (all voters unless ``learners``); ``None`` logs mark black holes.

    ``logs[i]`` is ``None`` for a node that swallows every message (etcd's
    ``nopStepper``) or a tuple of entry terms; like etcd's ``entsWithConfig``,
    a node with a non-empty log starts at the term of its last entry.
    """

    def __init__(
        self,
        logs: Sequence[tuple[int, ...] | None],
        *,
        pre_vote: bool = False,
        check_quorum: bool = False,
        rules: str = "etcd-3.4",
        learners: Iterable[int] = (),
        election_tick: int = 10,
        heartbeat_tick: int = 1,
    ) -> None:
        n = len(logs)
        ids = list(range(1, n + 1))
        learner_set = set(learners)
        voters = [i for i in ids if i not in learner_set]
        self.nodes: dict[int, RawNode | None] = {}
        for i, log in zip(ids, logs, strict=True):
            if log is None:
                self.nodes[i] = None
                continue
            self.nodes[i] = RawNode(
                Config(
                    id=i,
                    voters=voters,
                    learners=sorted(learner_set),
                    election_tick=election_tick,
                    heartbeat_tick=heartbeat_tick,
                    pre_vote=pre_vote,
                    check_quorum=check_quorum,
                    rules=rules,
                    rand=fixed_rand(0),
                    term=log[-1] if log else 0,
                    log_terms=log,
                )
            )
        self.dropped: set[tuple[int, int]] = set()
        self.ignored: set[MessageType] = set()
        self.delivered: list[Message] = []

    def node(self, i: int) -> RawNode:
        n = self.nodes[i]
        assert n is not None
        return n

    def cut(self, a: int, b: int) -> None:
        self.dropped |= {(a, b), (b, a)}

    def isolate(self, a: int) -> None:
        for b in self.nodes:
            if b != a:
                self.cut(a, b)

    def recover(self) -> None:
        self.dropped.clear()
        self.ignored.clear()

    def flush(self, initial: Iterable[Message] = ()) -> None:
        """Deliver messages (FIFO) until no node has anything left to send."""
        q: deque[Message] = deque(initial)
        for n in self.nodes.values():
            if n is not None:
                q.extend(n.ready())
        while q:
            m = q.popleft()
            if (m.frm, m.to) in self.dropped or m.type in self.ignored:
                continue
            target = self.nodes.get(m.to)
            if target is None:
                continue
            self.delivered.append(m)
            target.step(m)
            q.extend(target.ready())

    def campaign(self, i: int) -> None:
        self.node(i).campaign()
        self.flush()
