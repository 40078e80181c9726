"""A node's state in the model: a plain tuple (see specs/SEMANTICS.md, "Node state")."""

from __future__ import annotations

from typing import Any

FOLLOWER = 0
PRE_CANDIDATE = 1
CANDIDATE = 2
LEADER = 3
ROLE_NAMES = ("follower", "pre-candidate", "candidate", "leader")
ROLE_BY_NAME = {name: i for i, name in enumerate(ROLE_NAMES)}

# Field positions.
TERM, VOTE, LEAD, ROLE, ELAPSED, LOG, GRANTED, REJECTED, ACTIVE = range(9)
FIELD_NAMES = ("term", "vote", "lead", "role", "elapsed", "log", "granted", "rejected", "active")

Node = tuple[Any, ...]  # (term, vote, lead, role, elapsed, log, granted, rejected, active)


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
) -> Node:
    return (term, vote, lead, role, elapsed, log, granted, rejected, active)


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
        return str(list(value))
    return str(value)
