"""Per-peer progress and vote bookkeeping (etcd ``tracker/tracker.go``, ``progress.go``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from impl.config import RULES_ETCD_34, RULES_SEED
from impl.quorum import MajorityConfig, VoteResult


@dataclass
class Progress:
    """What a leader knows about one peer.

    Shared abstraction (SEMANTICS.md, "Abstraction of log replication"): only
    ``recent_active`` and ``is_learner`` influence behaviour. ``match`` and ``next``
    are kept so that ``reset`` reads like etcd's, but nothing consults them.
    """

    match: int = 0
    next: int = 1
    recent_active: bool = False
    is_learner: bool = False


class ProgressTracker:
    """Configuration, progress map and the current vote tally of one node."""

    def __init__(self, voters: Iterable[int], learners: Iterable[int], rules: str) -> None:
        if rules not in (RULES_SEED, RULES_ETCD_34):
            raise ValueError(f"unknown rule set {rules!r}")
        self.voters = MajorityConfig(voters)
        self.learners: frozenset[int] = frozenset(learners)
        self.rules = rules
        self.progress: dict[int, Progress] = {}
        for id in self.voters:
            self.progress[id] = Progress()
        for id in sorted(self.learners):
            self.progress[id] = Progress(is_learner=True)
        self.votes: dict[int, bool] = {}

    def visit(self, f: Callable[[int, Progress], None]) -> None:
        """Call ``f`` on every tracked peer (voters and learners) in id order."""
        for id in sorted(self.progress):
            f(id, self.progress[id])

    def voter_nodes(self) -> list[int]:
        return self.voters.slice()

    def learner_nodes(self) -> list[int]:
        return sorted(self.learners)

    def is_singleton(self) -> bool:
        return len(self.voters) == 1

    def quorum_active(self) -> bool:
        """True if a quorum of voters is recently active (etcd ``QuorumActive``)."""
        active = {
            id: pr.recent_active for id, pr in self.progress.items() if not pr.is_learner
        }
        return self.voters.vote_result(active) == VoteResult.VoteWon

    def reset_votes(self) -> None:
        """Start a fresh tally (etcd ``ResetVotes``)."""
        self.votes = {}

    def record_vote(self, id: int, v: bool) -> None:
        """Remember ``id``'s answer; only its first answer in a tally counts."""
        if id not in self.votes:
            self.votes[id] = v

    def tally_votes(self) -> tuple[int, int, VoteResult]:
        """Return ``(granted, rejected, result)`` for the current tally.

        ``etcd-3.4``: the counts cover tracked non-learners only and the result is
        ``voters.VoteResult(votes)``. ``seed``: every recorded answer counts, with
        ids outside the configuration included.
        """
        if self.rules == RULES_SEED:
            granted = sum(1 for v in self.votes.values() if v)
            rejected = len(self.votes) - granted
            return granted, rejected, self.voters.vote_result(self.votes, RULES_SEED)
        granted = 0
        rejected = 0
        for id, pr in self.progress.items():
            if pr.is_learner:
                continue
            v = self.votes.get(id)
            if v is None:
                continue
            if v:
                granted += 1
            else:
                rejected += 1
        return granted, rejected, self.voters.vote_result(self.votes, RULES_ETCD_34)
