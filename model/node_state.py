"""A node's state in the model: a plain tuple (see specs/SEMANTICS.md, "Node state")."""

from __future__ import annotations

from typing import Any

FOLLOWER = 0
PRE_CANDIDATE = 1
CANDIDATE = 2
LEADER = 3
ROLE_NAMES = ("follower", "pre-candidate", "candidate", "leader")
ROLE_BY_NAME = {name: i for i, name in enumerate(ROLE_NAMES)}

# Field positions. The last five are membership-change state (specs/SEMANTICS.md,
# "Membership changes"); without --conf-changes they keep their initial values.
TERM, VOTE, LEAD, ROLE, ELAPSED, LOG, GRANTED, REJECTED, ACTIVE = range(9)
COMMIT, APPLIED, CONF, PENDING_CONF_INDEX, MATCH = range(9, 14)
FIELD_NAMES = (
    "term", "vote", "lead", "role", "elapsed", "log", "granted", "rejected", "active",
    "commit", "applied", "conf", "pending_conf_index", "match",
)

# (term, vote, lead, role, elapsed, log, granted, rejected, active,
#  commit, applied, conf, pending_conf_index, match)
Node = tuple[Any, ...]


def node(
    term: int = 0,
    vote: int = 0,
    lead: int = 0,
    role: int = FOLLOWER,
    elapsed: int = 0,
    log: tuple[int, ...] = (),
    granted: int = 0,
    rejected: int = 0,
    active: int = 0,
    commit: int = 0,
    applied: int = 0,
    conf: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0),
    pending_conf_index: int = 0,
    match: tuple[int, ...] = (),
) -> Node:
    return (term, vote, lead, role, elapsed, log, granted, rejected, active,
            commit, applied, conf, pending_conf_index, match)


def last_term(log: tuple[int, ...]) -> int:
    return log[-1] if log else 0


def ids_of(mask: int) -> list[int]:
    """The node ids in a bitmask (bit i stands for id i)."""
    out = []
    i = 0
    while mask:
        if mask & 1:
            out.append(i)
        mask >>= 1
        i += 1
    return out


def describe_field(field: int, value: Any) -> str:
    if field == ROLE:
        return ROLE_NAMES[value]
    if field in (GRANTED, REJECTED, ACTIVE):
        return "{" + ",".join(str(i) for i in ids_of(value)) + "}"
    if field == LOG:
        if any(e >= 256 for e in value):
            from model.confchange import describe_entry

            return "[" + ", ".join(describe_entry(e) for e in value) + "]"
        return str(list(value))
    if field == CONF:
        from model.confchange import describe_conf

        return describe_conf(value)
    if field == MATCH:
        return "{" + ",".join(f"{i + 1}:{m}" for i, m in enumerate(value) if m) + "}"
    return str(value)
