"""Majority and joint quorums: vote counting and committed indexes (etcd ``quorum/``)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping
from enum import IntEnum

from impl.config import RULES_ETCD_34, RULES_ETCD_35, RULES_SEED

INFINITE_INDEX = sys.maxsize
"""The committed index of an empty majority config (etcd: ``math.MaxUint64``), so that an
empty half never holds a joint config's index down."""


class VoteResult(IntEnum):
    """Outcome of a vote, numbered like etcd's."""

    VotePending = 1
    VoteLost = 2
    VoteWon = 3


def quorum(n: int) -> int:
    """Size of a majority of ``n`` voters.

    Planted-bug hook: callers reach this through the module attribute, so
    ``monkeypatch.setattr(impl.quorum, "quorum", ...)`` changes every quorum size.
    """
    return n // 2 + 1


class MajorityConfig:
    """A set of voter ids deciding by simple majority."""

    __slots__ = ("_ids",)

    def __init__(self, ids: Iterable[int] = ()) -> None:
        self._ids: frozenset[int] = frozenset(ids)

    def __contains__(self, id: object) -> bool:
        return id in self._ids

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self._ids))

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return "(" + " ".join(str(i) for i in self) + ")"

    def ids(self) -> frozenset[int]:
        return self._ids

    def slice(self) -> list[int]:
        """The ids in increasing order."""
        return sorted(self._ids)

    def vote_result(self, votes: Mapping[int, bool], rules: str = RULES_ETCD_34) -> VoteResult:
        """Decide an election from ``votes`` (id -> granted).

        ``etcd-3.4`` is ``MajorityConfig.VoteResult``: only members count; won once
        a quorum granted, lost once the grants plus the members that have not
        answered yet can no longer reach a quorum; an empty config wins.

        ``seed`` counts every recorded answer, member or not: won once the grants
        reach a quorum of the members, lost once the rejections do.
        """
        if rules == RULES_SEED:
            return self._vote_result_seed(votes)
        if rules not in (RULES_ETCD_34, RULES_ETCD_35):
            raise ValueError(f"unknown rule set {rules!r}")
        if len(self._ids) == 0:
            return VoteResult.VoteWon
        yes = 0
        missing = 0
        for id in self._ids:
            v = votes.get(id)
            if v is None:
                missing += 1
            elif v:
                yes += 1
        q = quorum(len(self._ids))
        if yes >= q:
            return VoteResult.VoteWon
        if yes + missing >= q:
            return VoteResult.VotePending
        return VoteResult.VoteLost

    def _vote_result_seed(self, votes: Mapping[int, bool]) -> VoteResult:
        granted = sum(1 for v in votes.values() if v)
        rejected = len(votes) - granted
        q = quorum(len(self._ids))
        if granted >= q:
            return VoteResult.VoteWon
        if rejected >= q:
            return VoteResult.VoteLost
        return VoteResult.VotePending

    def committed_index(self, acked: Mapping[int, int]) -> int:
        """The highest index a majority has acknowledged (``acked``: id -> match index; a
        member missing from it counts as 0). An empty config has no say: ``INFINITE_INDEX``.

        The majority here is always ``n // 2 + 1``, as in etcd's CommittedIndex (the
        ``quorum`` hook is about elections and check-quorum).
        """
        n = len(self._ids)
        if n == 0:
            return INFINITE_INDEX
        srt = sorted(acked.get(id, 0) for id in self._ids)
        # The n//2+1 largest values all reach srt[n - (n//2 + 1)].
        return srt[n - (n // 2 + 1)]


class JointConfig:
    """The voters of a configuration: ``incoming`` and, during a joint phase, ``outgoing``.

    A decision needs both majorities; outside a joint phase ``outgoing`` is empty and has no
    say (etcd ``quorum/joint.go``).
    """

    __slots__ = ("incoming", "outgoing")

    def __init__(self, incoming: Iterable[int] = (), outgoing: Iterable[int] = ()) -> None:
        self.incoming = MajorityConfig(incoming)
        self.outgoing = MajorityConfig(outgoing)

    def __repr__(self) -> str:
        if len(self.outgoing) > 0:
            return f"{self.incoming!r}&&{self.outgoing!r}"
        return repr(self.incoming)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, JointConfig)
            and self.incoming.ids() == other.incoming.ids()
            and self.outgoing.ids() == other.outgoing.ids()
        )

    def __hash__(self) -> int:
        return hash((self.incoming.ids(), self.outgoing.ids()))

    def ids(self) -> frozenset[int]:
        """Every voter of either half."""
        return self.incoming.ids() | self.outgoing.ids()

    def committed_index(self, acked: Mapping[int, int]) -> int:
        """The lower of the two halves' committed indexes."""
        return min(self.incoming.committed_index(acked), self.outgoing.committed_index(acked))

    def vote_result(self, votes: Mapping[int, bool], rules: str = RULES_ETCD_34) -> VoteResult:
        """Won when both halves won, lost when either lost, pending otherwise.

        ``seed`` keeps its own per-half count; its empty outgoing half is skipped (the seed
        tally of an empty config would call a single rejection a loss).
        """
        r1 = self.incoming.vote_result(votes, rules)
        if rules == RULES_SEED and len(self.outgoing) == 0:
            return r1
        r2 = self.outgoing.vote_result(votes, rules)
        return joint_vote_result(r1, r2)


def joint_vote_result(r1: VoteResult, r2: VoteResult) -> VoteResult:
    """Combine the results of the two halves of a joint config."""
    if r1 == r2:
        return r1
    if VoteResult.VoteLost in (r1, r2):
        return VoteResult.VoteLost
    return VoteResult.VotePending
