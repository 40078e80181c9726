"""Wire types of the port, shaped after etcd's ``raftpb`` package.

Only the fields the election code path reads or writes are kept. Messages and
entries are frozen (hashable) so that a harness can keep in-flight messages in
a multiset and compare them with the reference model's messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

NONE = 0
"""etcd's ``None``: no node (no vote cast, no known leader)."""


class MessageType(IntEnum):
    """Message types, with etcd's names and wire numbers."""

    MsgHup = 0
    MsgBeat = 1
    MsgProp = 2
    MsgApp = 3
    MsgAppResp = 4
    MsgVote = 5
    MsgVoteResp = 6
    MsgSnap = 7
    MsgHeartbeat = 8
    MsgHeartbeatResp = 9
    MsgUnreachable = 10
    MsgSnapStatus = 11
    MsgCheckQuorum = 12
    MsgTransferLeader = 13
    MsgTimeoutNow = 14
    MsgReadIndex = 15
    MsgReadIndexResp = 16
    MsgPreVote = 17
    MsgPreVoteResp = 18

    def __str__(self) -> str:
        return self.name


class EntryType(IntEnum):
    """Entry types (etcd: ``EntryNormal``, ``EntryConfChange``, ``EntryConfChangeV2``)."""

    EntryNormal = 0
    EntryConfChange = 1
    EntryConfChangeV2 = 2


class ConfChangeType(IntEnum):
    """Kinds of single membership change, with etcd's wire numbers."""

    ConfChangeAddNode = 0
    ConfChangeRemoveNode = 1
    ConfChangeUpdateNode = 2
    ConfChangeAddLearnerNode = 3

    def __str__(self) -> str:
        return self.name


class ConfChangeTransition(IntEnum):
    """How a ConfChangeV2 uses joint consensus (etcd's numbers).

    ``Auto``: joint (left automatically) only when a simple change cannot do;
    ``Implicit``: always joint, left automatically; ``Explicit``: always joint, left by an
    empty ConfChangeV2 the application proposes.
    """

    ConfChangeTransitionAuto = 0
    ConfChangeTransitionJointImplicit = 1
    ConfChangeTransitionJointExplicit = 2

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class ConfChangeSingle:
    """One change of a ConfChangeV2."""

    type: ConfChangeType
    node_id: int


@dataclass(frozen=True, slots=True)
class ConfChangeV2:
    """A membership change in the joint-consensus form: zero or more single changes.

    No changes at all means "leave the joint configuration".
    """

    transition: ConfChangeTransition = ConfChangeTransition.ConfChangeTransitionAuto
    changes: tuple[ConfChangeSingle, ...] = ()

    def as_v2(self) -> ConfChangeV2:
        return self

    def enter_joint(self) -> tuple[bool, bool]:
        """``(auto_leave, ok)``: does this change enter a joint configuration, and is the
        joint configuration left automatically? (etcd ``EnterJoint``)

        A joint configuration is needed for an explicit or implicit transition, or for
        more than one change at once.
        """
        if (
            self.transition != ConfChangeTransition.ConfChangeTransitionAuto
            or len(self.changes) > 1
        ):
            explicit = self.transition == ConfChangeTransition.ConfChangeTransitionJointExplicit
            return not explicit, True
        return False, False

    def leave_joint(self) -> bool:
        """Is this the zero ConfChangeV2 (automatic transition, no changes), the one that
        leaves a joint configuration?"""
        return (
            self.transition == ConfChangeTransition.ConfChangeTransitionAuto
            and len(self.changes) == 0
        )


@dataclass(frozen=True, slots=True)
class ConfChange:
    """The original (V1) membership change: exactly one node added or removed."""

    type: ConfChangeType
    node_id: int

    def as_v2(self) -> ConfChangeV2:
        """The same change as a ConfChangeV2 (automatic transition, one change)."""
        return ConfChangeV2(changes=(ConfChangeSingle(self.type, self.node_id),))


ConfChangeI = ConfChange | ConfChangeV2
"""Either kind of change (etcd ``ConfChangeI``)."""


@dataclass(frozen=True, slots=True)
class ConfState:
    """A configuration as the application sees it (sorted id tuples)."""

    voters: tuple[int, ...] = ()
    learners: tuple[int, ...] = ()
    voters_outgoing: tuple[int, ...] = ()
    learners_next: tuple[int, ...] = ()
    auto_leave: bool = False


@dataclass(frozen=True, slots=True)
class Entry:
    """One log entry.

    A configuration-change entry (``EntryConfChange`` / ``EntryConfChangeV2``) carries its
    change decoded in ``cc`` rather than marshalled into ``data``.
    """

    term: int = 0
    index: int = 0
    type: EntryType = EntryType.EntryNormal
    data: bytes = b""
    cc: ConfChangeI | None = None


def conf_change_entry(cc: ConfChangeI) -> Entry:
    """An unstamped entry proposing ``cc`` (V1 entry type for a ConfChange)."""
    if isinstance(cc, ConfChange):
        return Entry(type=EntryType.EntryConfChange, cc=cc)
    return Entry(type=EntryType.EntryConfChangeV2, cc=cc)


@dataclass(frozen=True, slots=True)
class Message:
    """A Raft message; ``frm`` is etcd's ``From`` (``from`` is a Python keyword)."""

    type: MessageType
    to: int = NONE
    frm: int = NONE
    term: int = 0
    log_term: int = 0
    index: int = 0
    entries: tuple[Entry, ...] = ()
    commit: int = 0
    reject: bool = False
    context: bytes = b""
    reject_hint: int = 0


def is_local_msg(t: MessageType) -> bool:
    """Message types that only the local node may step (etcd ``IsLocalMsg``)."""
    return t in _LOCAL_MSGS


def is_response_msg(t: MessageType) -> bool:
    """Message types that answer an earlier request (etcd ``IsResponseMsg``)."""
    return t in _RESPONSE_MSGS


def vote_resp_msg_type(t: MessageType) -> MessageType:
    """The reply type for a (pre-)vote request (etcd ``voteRespMsgType``)."""
    if t == MessageType.MsgVote:
        return MessageType.MsgVoteResp
    if t == MessageType.MsgPreVote:
        return MessageType.MsgPreVoteResp
    raise ValueError(f"not a vote message: {t}")


_LOCAL_MSGS = frozenset(
    {
        MessageType.MsgHup,
        MessageType.MsgBeat,
        MessageType.MsgUnreachable,
        MessageType.MsgSnapStatus,
        MessageType.MsgCheckQuorum,
    }
)

_RESPONSE_MSGS = frozenset(
    {
        MessageType.MsgAppResp,
        MessageType.MsgVoteResp,
        MessageType.MsgHeartbeatResp,
        MessageType.MsgUnreachable,
        MessageType.MsgPreVoteResp,
    }
)
