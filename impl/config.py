"""Start-up parameters of one node (etcd's ``raft.Config`` plus the initial HardState)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from impl.raftpb import ConfState, Entry

RULES_SEED = "seed"
"""Older learner rules: learners never answer vote requests, every recorded vote is tallied."""

RULES_ETCD_34 = "etcd-3.4"
"""etcd 3.4 rules: learners answer like voters, only voters are tallied (quorum.VoteResult)."""

RULES_ETCD_35 = "etcd-3.5"
"""etcd 3.5 rules: as etcd 3.4, but one ``hup`` guards both the MsgHup and the MsgTimeoutNow
campaign against committed, unapplied configuration changes, and it counts ConfChangeV2
entries too (etcd #12133, #12134)."""

RULE_SETS = (RULES_SEED, RULES_ETCD_34, RULES_ETCD_35)


@dataclass(frozen=True)
class Config:
    """Everything ``newRaft`` needs for one node.

    ``voters`` and ``learners`` are this node's own view of the configuration. A
    "promoted learner" is a node that every other node lists as a voter while its
    own config still lists it as a learner.

    ``term``, ``vote`` and ``log_terms`` are the node's initial HardState and log
    (entry ``i + 1`` has term ``log_terms[i]``). ``pending_conf`` says the node holds
    a committed but unapplied configuration change, which blocks ``MsgHup``.

    ``rand(n)`` must return an int in ``0..n-1``; it draws the randomized election
    timeout. ``None`` means Python's ``random.randrange``.

    Membership changes. ``track_commit`` turns on commit tracking: the leader's
    ``maybeCommit`` on acknowledgements, pendingConfIndex, and configuration changes that
    take effect when applied (``RawNode.apply_committed``). Off (the default), nothing ever
    commits, as in the election-only shared abstraction. ``voters_outgoing``,
    ``learners_next`` and ``auto_leave`` give a joint configuration; a spare (a node outside
    the configuration, waiting to be added) has empty ``voters`` and ``learners``.
    ``entries`` (when given) is the whole log, conf entries included, instead of
    ``log_terms``; ``commit`` and ``applied`` are the persisted cursors (a restart).
    ``join`` is the configuration a spare adopts when it first applies committed entries:
    etcd would send it a snapshot carrying that ConfState (shared abstraction: no snapshots,
    so the log's conf entries are applied on top of it).
    """

    id: int
    voters: Sequence[int]
    learners: Sequence[int] = ()
    election_tick: int = 10
    heartbeat_tick: int = 1
    pre_vote: bool = False
    check_quorum: bool = False
    rules: str = RULES_ETCD_34
    rand: Callable[[int], int] | None = field(default=None, compare=False)
    term: int = 0
    vote: int = 0
    log_terms: Sequence[int] = ()
    pending_conf: bool = False
    track_commit: bool = False
    voters_outgoing: Sequence[int] = ()
    learners_next: Sequence[int] = ()
    auto_leave: bool = False
    entries: Sequence[Entry] | None = None
    commit: int = 0
    applied: int = 0
    join: ConfState | None = None

    def validate(self) -> None:
        """Reject bad configurations (after etcd's ``Config.validate``)."""
        if self.id == 0:
            raise ValueError("cannot use none as id")
        if self.heartbeat_tick <= 0:
            raise ValueError("heartbeat tick must be greater than 0")
        if self.election_tick <= 0:
            raise ValueError("election tick must be greater than 0")
        # etcd also demands election_tick > heartbeat_tick. That is not enforced
        # here: a checker turns the leader's own heartbeats off with a huge
        # heartbeat_tick and calls RawNode.beat() instead.
        if self.rules not in RULE_SETS:
            raise ValueError(f"unknown rule set {self.rules!r}; expected one of {RULE_SETS}")
        if (set(self.voters) | set(self.voters_outgoing)) & set(self.learners):
            raise ValueError("a node cannot be both a voter and a learner")
        if not set(self.learners_next) <= set(self.voters_outgoing):
            raise ValueError("learners_next must be voters of the outgoing half")
        if (self.learners_next or self.auto_leave) and not self.voters_outgoing:
            raise ValueError("learners_next and auto_leave need a joint configuration")
        if self.term < 0 or self.vote < 0:
            raise ValueError("term and vote must be non-negative")
