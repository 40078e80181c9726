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


@dataclass(frozen=True, slots=True)
class Entry:
    """One log entry."""

    term: int = 0
    index: int = 0
    type: EntryType = EntryType.EntryNormal
    data: bytes = b""


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
