"""Majority quorums and vote counting (etcd ``quorum/majority.go``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from enum import IntEnum

from impl.config import RULES_ETCD_34, RULES_SEED


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
        if rules != RULES_ETCD_34:
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
