"""Messages of the model: plain tuples, so that states hash and compare fast.

A message is `(type, frm, to, term, log_term, index, reject, force, entries, commit)`; see
specs/SEMANTICS.md ("Messages") for which fields each type uses.
"""

from __future__ import annotations

from typing import Any

MSG_APP = 0
MSG_APP_RESP = 1
MSG_VOTE = 2
MSG_VOTE_RESP = 3
MSG_PRE_VOTE = 4
MSG_PRE_VOTE_RESP = 5
MSG_HEARTBEAT = 6
MSG_HEARTBEAT_RESP = 7
MSG_TIMEOUT_NOW = 8

MSG_NAMES = (
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
MSG_BY_NAME = {name: i for i, name in enumerate(MSG_NAMES)}

# Field positions.
M_TYPE, M_FROM, M_TO, M_TERM, M_LOG_TERM, M_INDEX, M_REJECT, M_FORCE, M_ENTRIES = range(9)
M_COMMIT = 9  # MsgApp/MsgHeartbeat commit index; 0 unless membership changes are explored

# (type, frm, to, term, log_term, index, reject, force, entries, commit)
Message = tuple[Any, ...]


def msg(
    mtype: int,
    frm: int,
    to: int,
    term: int,
    log_term: int = 0,
    index: int = 0,
    reject: bool = False,
    force: bool = False,
    entries: tuple[int, ...] = (),
    commit: int = 0,
) -> Message:
    return (mtype, frm, to, term, log_term, index, reject, force, entries, commit)


def vote_resp_type(mtype: int) -> int:
    """raft.go voteRespMsgType."""
    return MSG_VOTE_RESP if mtype == MSG_VOTE else MSG_PRE_VOTE_RESP


def describe(m: Message) -> str:
    """One readable line, e.g. `MsgVote 1->2 term=2 last=(1,3) force`."""
    mtype, frm, to, term, log_term, index, reject, force, entries = m[:9]
    commit = m[9] if len(m) > 9 else 0
    parts = [f"{MSG_NAMES[mtype]} {frm}->{to} term={term}"]
    if mtype in (MSG_VOTE, MSG_PRE_VOTE):
        parts.append(f"last=(term {log_term}, index {index})")
        if force:
            parts.append("force")
    elif mtype in (MSG_VOTE_RESP, MSG_PRE_VOTE_RESP):
        parts.append("reject" if reject else "grant")
    elif mtype == MSG_APP:
        if any(e >= 256 for e in entries):
            from model.confchange import describe_entry

            parts.append("log=[" + ", ".join(describe_entry(e) for e in entries) + "]")
        else:
            parts.append(f"log={list(entries)}")
        if commit:
            parts.append(f"commit={commit}")
    elif mtype == MSG_HEARTBEAT and commit:
        parts.append(f"commit={commit}")
    elif mtype == MSG_APP_RESP:
        parts.append(f"index={index}")
    return " ".join(parts)
