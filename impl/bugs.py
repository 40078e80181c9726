"""The four planted bugs, as replacements for the hooks in ``impl.raft`` / ``impl.quorum``.

Use from a pytest fixture::

    from impl import bugs
    bugs.plant(monkeypatch, "grant-local-term")

Nothing here is active unless planted.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol

import impl.quorum
import impl.raft
from impl.raft import Raft
from impl.raftpb import NONE, Message, MessageType


class SetAttr(Protocol):
    """Anything with pytest's ``MonkeyPatch.setattr(target, name, value)`` signature."""

    def setattr(self, target: Any, name: str, value: Any) -> None: ...


def grant_local_term(r: Raft, m: Message) -> int:
    """Bug: a granted (pre-)vote reply carries the local term instead of ``m.term``."""
    return r.term


def can_vote_ignoring_lead(r: Raft, m: Message) -> bool:
    """Bug: the "no known leader" condition of canVote is dropped."""
    return (
        r.vote == m.frm
        or r.vote == NONE
        or (m.type == MessageType.MsgPreVote and m.term > r.term)
    )


def reset_always_clears_vote(r: Raft, term: int) -> bool:
    """Bug: reset forgets the vote even when the term does not change."""
    return True


def quorum_floor(n: int) -> int:
    """Bug: a "majority" of ``n // 2``."""
    return n // 2


PLANTED: dict[str, tuple[ModuleType, str, Callable[..., Any]]] = {
    "grant-local-term": (impl.raft, "vote_grant_term", grant_local_term),
    "canvote-ignores-lead": (impl.raft, "can_vote", can_vote_ignoring_lead),
    "reset-clears-vote": (impl.raft, "clears_vote_on_reset", reset_always_clears_vote),
    "quorum-floor": (impl.quorum, "quorum", quorum_floor),
}


def plant(patcher: SetAttr, name: str) -> None:
    """Install planted bug ``name`` (a key of ``PLANTED``) through ``patcher.setattr``."""
    module, attr, replacement = PLANTED[name]
    patcher.setattr(module, attr, replacement)
