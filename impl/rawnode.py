"""A thread-unsafe node driving one ``Raft`` (etcd ``rawnode.go``)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from impl.config import Config
from impl.raft import Raft, RaftError
from impl.raftpb import (
    ConfChangeI,
    ConfState,
    Entry,
    EntryType,
    Message,
    MessageType,
    conf_change_entry,
    is_local_msg,
    is_response_msg,
)

MT = MessageType


class ErrStepLocalMsg(RaftError):
    """A local message type (MsgHup, MsgBeat, ...) arrived through ``RawNode.step``."""


class ErrStepPeerNotFound(RaftError):
    """A response arrived from a node this node does not track."""


@dataclass(frozen=True)
class ConfigStatus:
    """A node's applied configuration: sorted id lists (etcd ``tracker.Config``)."""

    voters_in: list[int] = field(default_factory=list)
    voters_out: list[int] = field(default_factory=list)
    learners: list[int] = field(default_factory=list)
    learners_next: list[int] = field(default_factory=list)
    auto_leave: bool = False

    @staticmethod
    def of(cs: ConfState) -> ConfigStatus:
        return ConfigStatus(list(cs.voters), list(cs.voters_outgoing), list(cs.learners),
                            list(cs.learners_next), cs.auto_leave)


@dataclass(frozen=True)
class Status:
    """A snapshot of the node's state.

    ``match`` (id -> match index) is filled on a leader only.
    """

    term: int
    vote: int
    lead: int
    role: str
    election_elapsed: int
    randomized_election_timeout: int
    votes: dict[int, bool]
    recent_active: frozenset[int]
    log_terms: list[int]
    commit: int = 0
    applied: int = 0
    config: ConfigStatus = field(default_factory=ConfigStatus)
    pending_conf_index: int = 0
    match: dict[int, int] = field(default_factory=dict)
    log_entries: list[Entry] = field(default_factory=list)


class RawNode:
    """The application's handle on one Raft state machine.

    ``node.raft`` is the underlying ``Raft``; a harness may set
    ``node.raft.randomized_election_timeout`` directly.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.raft = Raft(config)

    def tick(self) -> None:
        """Advance the logical clock by one tick."""
        self.raft.tick()

    def campaign(self) -> None:
        """Start an election now (``MsgHup``), subject to the usual checks."""
        self.raft.Step(Message(type=MT.MsgHup))

    def propose(self, data: bytes = b"") -> None:
        """Propose one normal entry (``MsgProp``); raises ``ErrProposalDropped`` if dropped."""
        self.raft.Step(
            Message(type=MT.MsgProp, frm=self.raft.id, entries=(Entry(data=data),))
        )

    def propose_conf_change(self, cc: ConfChangeI) -> None:
        """Propose a membership change (``MsgProp`` with one conf entry: ``EntryConfChange``
        for a ConfChange, ``EntryConfChangeV2`` for a ConfChangeV2). A leader that refuses it
        appends an empty normal entry instead; raises ``ErrProposalDropped`` if dropped."""
        self.raft.Step(
            Message(type=MT.MsgProp, frm=self.raft.id, entries=(conf_change_entry(cc),))
        )

    def apply_committed(self) -> list[ConfState]:
        """Apply every committed entry not applied yet, as an application does with
        ``Ready.CommittedEntries``: each conf change through ``ApplyConfChange``, in log
        order, then ``Advance`` (a leader may then leave a joint configuration by itself).
        Returns the configurations the conf changes produced."""
        r = self.raft
        ents = r.raft_log.next_ents()
        out = []
        join = self.config.join
        if ents and join is not None and r.raft_log.applied == 0 and r.prs.is_empty():
            # A spare's first apply: the snapshot etcd would send it (shared abstraction).
            r.restore_conf(join)
        for e in ents:
            if e.type in (EntryType.EntryConfChange, EntryType.EntryConfChangeV2):
                assert e.cc is not None
                out.append(r.apply_conf_change(e.cc.as_v2()))
        if ents:
            r.advance(ents[-1].index)
        return out

    def beat(self) -> None:
        """Make a leader broadcast heartbeats now (``MsgBeat``); ignored elsewhere."""
        self.raft.Step(Message(type=MT.MsgBeat, frm=self.raft.id))

    def step(self, m: Message) -> None:
        """Deliver a message received from the network."""
        if is_local_msg(m.type):
            raise ErrStepLocalMsg(f"cannot step raft local message {m.type}")
        if m.frm in self.raft.prs.progress or not is_response_msg(m.type):
            self.raft.Step(m)
            return
        raise ErrStepPeerNotFound(f"cannot step {m.type} from unknown peer {m.frm}")

    def transfer_leader(self, transferee: int) -> None:
        """Ask for leadership to move to ``transferee`` (``MsgTransferLeader``)."""
        self.raft.Step(Message(type=MT.MsgTransferLeader, frm=transferee))

    def ready(self) -> list[Message]:
        """Drain and return the messages to send."""
        return self.raft.read_messages()

    def has_ready(self) -> bool:
        return bool(self.raft.msgs)

    def restart(self) -> None:
        """Crash and restart from the persisted state (term, vote, log).

        Unsent messages are lost and the randomized election timeout is drawn
        again (a harness that pins it must set it again).
        """
        r = self.raft
        cfg = self.config
        self.config = Config(
            id=cfg.id,
            voters=cfg.voters,
            learners=cfg.learners,
            election_tick=cfg.election_tick,
            heartbeat_tick=cfg.heartbeat_tick,
            pre_vote=cfg.pre_vote,
            check_quorum=cfg.check_quorum,
            rules=cfg.rules,
            rand=cfg.rand,
            term=r.term,
            vote=r.vote,
            log_terms=tuple(r.raft_log.terms()),
            pending_conf=r.raft_log.pending_conf,
            track_commit=cfg.track_commit,
            join=cfg.join,
        )
        if cfg.track_commit:
            # The application persisted the log with its conf entries, the commit index
            # (HardState), what it applied and the configuration that produced.
            cs = r.prs.conf_state()
            self.config = replace(
                self.config,
                voters=cs.voters,
                learners=cs.learners,
                voters_outgoing=cs.voters_outgoing,
                learners_next=cs.learners_next,
                auto_leave=cs.auto_leave,
                entries=tuple(r.raft_log.all_entries()),
                commit=r.raft_log.committed,
                applied=r.raft_log.applied,
            )
        self.raft = Raft(self.config)

    def status(self) -> Status:
        r = self.raft
        return Status(
            term=r.term,
            vote=r.vote,
            lead=r.lead,
            role=r.state.role,
            election_elapsed=r.election_elapsed,
            randomized_election_timeout=r.randomized_election_timeout,
            votes=dict(r.prs.votes),
            recent_active=frozenset(
                id for id, pr in r.prs.progress.items() if pr.recent_active
            ),
            log_terms=r.raft_log.terms(),
            commit=r.raft_log.committed,
            applied=r.raft_log.applied,
            config=ConfigStatus.of(r.prs.conf_state()),
            pending_conf_index=r.pending_conf_index,
            match=(
                {id: pr.match for id, pr in r.prs.progress.items()}
                if r.state.role == "leader"
                else {}
            ),
            log_entries=r.raft_log.all_entries(),
        )
