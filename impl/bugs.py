"""Planted bugs and rule variants: replacements for the hooks in ``impl.raft``, ``impl.quorum``.

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
from impl.raft import CampaignType, Raft
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


def pre_vote_grant_refreshes(r: Raft, m: Message) -> bool:
    """Variant: granting a pre-vote restarts the election timer too (hashicorp/raft #609)."""
    return True


def pre_vote_grant_records(r: Raft, m: Message) -> bool:
    """Variant: granting a pre-vote records the vote too."""
    return True


def no_self_vote(r: Raft, t: CampaignType) -> bool:
    """Variant: a (pre-)candidate neither votes for itself nor counts its own grant."""
    return False


def pre_vote_at_current_term(r: Raft) -> int:
    """Variant: pre-votes are requested at the pre-candidate's own term."""
    return r.term


def lease_guards_vote_only(r: Raft, m: Message) -> bool:
    """Variant: the lease drops higher-term MsgVote only."""
    return m.type == MessageType.MsgVote


def lease_guards_pre_vote_only(r: Raft, m: Message) -> bool:
    """Variant: the lease drops higher-term MsgPreVote only."""
    return m.type == MessageType.MsgPreVote


def transfer_unmarked(r: Raft, t: CampaignType) -> bool:
    """Variant: a transfer campaign's requests do not carry the force context."""
    return False


def pending_conf_v1_only(r: Raft) -> bool:
    """Variant: the campaign guard counts EntryConfChange (V1) entries only (etcd #12133)."""
    return False


def transfer_skips_conf_check(r: Raft, t: CampaignType) -> bool:
    """Variant: a MsgTimeoutNow campaign skips the pending-conf check (etcd #12134)."""
    return t != CampaignType.Transfer


def no_unapplied_conf_guard(r: Raft, t: CampaignType) -> bool:
    """Variant: no campaign checks for committed, unapplied conf changes (etcd-io/raft #456)."""
    return False


def auto_leave_keeps_pending(r: Raft) -> bool:
    """Variant: 3.4.23's auto-leave leaves pendingConfIndex alone (etcd #12582)."""
    return False


PLANTED: dict[str, tuple[ModuleType, str, Callable[..., Any]]] = {
    "grant-local-term": (impl.raft, "vote_grant_term", grant_local_term),
    "canvote-ignores-lead": (impl.raft, "can_vote", can_vote_ignoring_lead),
    "reset-clears-vote": (impl.raft, "clears_vote_on_reset", reset_always_clears_vote),
    "quorum-floor": (impl.quorum, "quorum", quorum_floor),
}


# Rule variants of model/variants.py (same names), for conformance of model-with-variant
# against impl-with-variant. Unlike PLANTED, these are not bugs of impl against the etcd-3.4
# model: the model must carry the same variant.
VARIANT_HOOKS: dict[str, tuple[ModuleType, str, Callable[..., Any]]] = {
    "prevote-grant-refreshes-timer": (impl.raft, "grant_resets_elapsed", pre_vote_grant_refreshes),
    "prevote-grant-records-vote": (impl.raft, "grant_records_vote", pre_vote_grant_records),
    "candidate-no-self-vote": (impl.raft, "votes_for_self", no_self_vote),
    "prevote-current-term": (impl.raft, "pre_vote_request_term", pre_vote_at_current_term),
    "lease-ignores-prevote": (impl.raft, "lease_guards", lease_guards_vote_only),
    "lease-ignores-vote": (impl.raft, "lease_guards", lease_guards_pre_vote_only),
    "transfer-not-forced": (impl.raft, "marks_transfer", transfer_unmarked),
}


# Membership-change variants of the campaign guard, each a variant of the etcd-3.5 rule set
# (model/variants.py names; conformance checks them with membership changes on).
CONF_VARIANT_HOOKS: dict[str, tuple[ModuleType, str, Callable[..., Any]]] = {
    "conf-pending-ignores-v2": (impl.raft, "pending_conf_counts_v2", pending_conf_v1_only),
    "transfer-skips-conf-check": (
        impl.raft, "hup_checks_pending_conf", transfer_skips_conf_check),
    "no-unapplied-conf-guard": (impl.raft, "hup_checks_pending_conf", no_unapplied_conf_guard),
    "auto-leave-keeps-pending": (
        impl.raft, "auto_leave_bumps_pending_conf", auto_leave_keeps_pending),
}


def plant(patcher: SetAttr, name: str) -> None:
    """Install planted bug or rule variant ``name`` (a key of ``PLANTED``, ``VARIANT_HOOKS``
    or ``CONF_VARIANT_HOOKS``) through ``patcher.setattr``."""
    table = PLANTED if name in PLANTED else (
        VARIANT_HOOKS if name in VARIANT_HOOKS else CONF_VARIANT_HOOKS)
    module, attr, replacement = table[name]
    patcher.setattr(module, attr, replacement)
