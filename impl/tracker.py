"""Configuration, per-peer progress and vote bookkeeping (etcd ``tracker/tracker.go``,
``progress.go``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from impl.config import RULE_SETS, RULES_SEED
from impl.quorum import JointConfig, VoteResult
from impl.raftpb import ConfState


@dataclass
class Progress:
    """What a leader knows about one peer.

    Shared abstraction (SEMANTICS.md, "Abstraction of log replication"): ``recent_active``,
    ``is_learner`` and, with commit tracking (membership changes), ``match`` influence
    behaviour. ``next`` is kept so that ``reset`` reads like etcd's; nothing consults it.
    """

    match: int = 0
    next: int = 1
    recent_active: bool = False
    is_learner: bool = False

    def maybe_update(self, n: int) -> bool:
        """Record an acknowledgement up to index ``n``; True if ``match`` moved."""
        updated = False
        if self.match < n:
            self.match = n
            updated = True
        if self.next < n + 1:
            self.next = n + 1
        return updated


@dataclass
class TrackerConfig:
    """A configuration (etcd ``tracker.Config``).

    ``learners_next`` holds voters of the outgoing half that the joint configuration demotes:
    they become learners when it is left. ``auto_leave``: the leader leaves the joint
    configuration by itself once it is applied.
    """

    voters: JointConfig = field(default_factory=JointConfig)
    learners: frozenset[int] = frozenset()
    learners_next: frozenset[int] = frozenset()
    auto_leave: bool = False

    def __repr__(self) -> str:
        out = f"voters={self.voters!r}"
        if self.learners:
            out += " learners=(" + " ".join(str(i) for i in sorted(self.learners)) + ")"
        if self.learners_next:
            out += " learners_next=(" + " ".join(str(i) for i in sorted(self.learners_next)) + ")"
        if self.auto_leave:
            out += " autoleave"
        return out

    def joint(self) -> bool:
        return len(self.voters.outgoing) > 0


class ProgressTracker:
    """Configuration, progress map and the current vote tally of one node."""

    def __init__(self, voters: Iterable[int], learners: Iterable[int], rules: str,
                 voters_outgoing: Iterable[int] = (), learners_next: Iterable[int] = (),
                 auto_leave: bool = False) -> None:
        if rules not in RULE_SETS:
            raise ValueError(f"unknown rule set {rules!r}")
        self.rules = rules
        self.config = TrackerConfig(
            JointConfig(voters, voters_outgoing),
            frozenset(learners),
            frozenset(learners_next),
            auto_leave,
        )
        self.progress: dict[int, Progress] = {}
        for id in sorted(self.config.voters.ids()):
            self.progress[id] = Progress()
        for id in sorted(self.config.learners):
            self.progress[id] = Progress(is_learner=True)
        self.votes: dict[int, bool] = {}

    # The incoming voters and the learners, under their pre-membership-change names.
    @property
    def voters(self) -> JointConfig:
        return self.config.voters

    @property
    def learners(self) -> frozenset[int]:
        return self.config.learners

    def conf_state(self) -> ConfState:
        """The configuration as the application sees it."""
        c = self.config
        return ConfState(
            voters=tuple(c.voters.incoming.slice()),
            learners=tuple(sorted(c.learners)),
            voters_outgoing=tuple(c.voters.outgoing.slice()),
            learners_next=tuple(sorted(c.learners_next)),
            auto_leave=c.auto_leave,
        )

    def visit(self, f: Callable[[int, Progress], None]) -> None:
        """Call ``f`` on every tracked peer (voters and learners) in id order."""
        for id in sorted(self.progress):
            f(id, self.progress[id])

    def voter_nodes(self) -> list[int]:
        """Every voter of either half, in id order."""
        return sorted(self.config.voters.ids())

    def learner_nodes(self) -> list[int]:
        return sorted(self.config.learners)

    def is_empty(self) -> bool:
        """No voters and no learners (a spare, outside every configuration)."""
        return not self.progress and not self.config.voters.ids()

    def is_singleton(self) -> bool:
        v = self.config.voters
        return len(v.incoming) == 1 and len(v.outgoing) == 0

    def committed(self) -> int:
        """The highest index a (joint) quorum of voters has in its log."""
        acked = {id: pr.match for id, pr in self.progress.items()}
        return self.config.voters.committed_index(acked)

    def quorum_active(self) -> bool:
        """True if a quorum of voters (of each half) is recently active (etcd ``QuorumActive``)."""
        active = {
            id: pr.recent_active for id, pr in self.progress.items() if not pr.is_learner
        }
        return self.config.voters.vote_result(active) == VoteResult.VoteWon

    def reset_votes(self) -> None:
        """Start a fresh tally (etcd ``ResetVotes``)."""
        self.votes = {}

    def record_vote(self, id: int, v: bool) -> None:
        """Remember ``id``'s answer; only its first answer in a tally counts."""
        if id not in self.votes:
            self.votes[id] = v

    def tally_votes(self) -> tuple[int, int, VoteResult]:
        """Return ``(granted, rejected, result)`` for the current tally.

        ``etcd-3.4`` / ``etcd-3.5``: the counts cover tracked non-learners only and the result
        is ``voters.VoteResult(votes)`` (joint: both halves). ``seed``: every recorded answer
        counts, with ids outside the configuration included.
        """
        if self.rules == RULES_SEED:
            granted = sum(1 for v in self.votes.values() if v)
            rejected = len(self.votes) - granted
            return granted, rejected, self.config.voters.vote_result(self.votes, RULES_SEED)
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
        return granted, rejected, self.config.voters.vote_result(self.votes, self.rules)
