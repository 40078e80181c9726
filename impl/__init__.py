"""An etcd-style Python port of the leader-election path of etcd's Raft (etcd 3.4).

Modules mirror etcd's layout: ``raftpb`` (messages, entries, conf changes), ``quorum``
(majority and joint vote counting, committed indexes), ``tracker`` (configuration, progress
and votes), ``confchange`` (the Changer: simple and joint membership changes), ``log`` (the
raft log), ``raft`` (the state machine), ``rawnode`` (the application handle) and
``config``. The scope and the deliberate simplifications are those of
``specs/SEMANTICS.md``; each simplification is marked "Shared abstraction" in the
code. Nothing here imports from the rest of the repository.

Rule sets (``Config.rules``): ``"seed"`` (learners never answer vote requests;
the tally counts every recorded answer), ``"etcd-3.4"`` (learners answer like
voters; the tally is quorum/majority.go's VoteResult over the voters; a committed, unapplied
V1 conf change blocks MsgHup only) and ``"etcd-3.5"`` (the same, but the check also guards
MsgTimeoutNow and counts ConfChangeV2 entries: etcd #12133, #12134).

Membership changes (``Config(track_commit=True)``): the leader commits what a (joint) quorum
holds, conf changes are proposed with ``RawNode.propose_conf_change`` and take effect when the
application applies them (``RawNode.apply_committed``); see ``specs/SEMANTICS.md``.

Hooks for planted bugs. Each is a module attribute looked up at call time, so a
pytest fixture can replace it with ``monkeypatch.setattr`` without editing code;
``impl.bugs`` holds the buggy versions and ``impl.bugs.plant(monkeypatch, name)``
installs one:

- ``impl.raft.vote_grant_term(r, m) -> int``: term of a granted vote reply
  (correct: ``m.term``; bug ``"grant-local-term"``: ``r.term``).
- ``impl.raft.can_vote(r, m) -> bool``: canVote (bug ``"canvote-ignores-lead"``:
  drops the ``lead == None`` condition).
- ``impl.raft.clears_vote_on_reset(r, term) -> bool``: whether ``reset`` starts a
  new term and clears the vote (correct: ``r.term != term``; bug
  ``"reset-clears-vote"``: always).
- ``impl.quorum.quorum(n) -> int``: majority size (correct: ``n // 2 + 1``; bug
  ``"quorum-floor"``: ``n // 2``). Used by vote tallies and check-quorum.

Hooks for the rule variants of ``model/variants.py`` (``impl.bugs.VARIANT_HOOKS``, planted by
the variant's name with the same ``plant``; the model must then run the same variant):

- ``impl.raft.grant_resets_elapsed(r, m)`` / ``grant_records_vote(r, m) -> bool``: what a
  granted request writes (correct: only a ``MsgVote`` grant resets ``election_elapsed`` and
  sets ``vote``); ``"prevote-grant-refreshes-timer"``, ``"prevote-grant-records-vote"``.
- ``impl.raft.votes_for_self(r, t) -> bool``: a campaign votes for itself (correct: always);
  ``"candidate-no-self-vote"``.
- ``impl.raft.pre_vote_request_term(r) -> int``: the term of ``MsgPreVote`` requests
  (correct: ``r.term + 1``); ``"prevote-current-term"``.
- ``impl.raft.lease_guards(r, m) -> bool``: the messages the check-quorum lease may drop
  (correct: ``MsgVote`` and ``MsgPreVote``); ``"lease-ignores-prevote"``,
  ``"lease-ignores-vote"``.
- ``impl.raft.marks_transfer(r, t) -> bool``: a campaign's requests carry the transfer
  context (correct: for ``CampaignTransfer``); ``"transfer-not-forced"``.
- ``impl.raft.hup_checks_pending_conf(r, t)`` / ``pending_conf_counts_v2(r) -> bool``: the
  campaign guard against committed, unapplied conf changes (variants of ``etcd-3.5``):
  ``"conf-pending-ignores-v2"``, ``"transfer-skips-conf-check"``, ``"no-unapplied-conf-guard"``.
"""

from impl.config import RULES_ETCD_34, RULES_ETCD_35, RULES_SEED, Config
from impl.raft import CampaignType, ErrProposalDropped, Raft, RaftPanic, StateType
from impl.raftpb import (
    NONE,
    ConfChange,
    ConfChangeSingle,
    ConfChangeTransition,
    ConfChangeType,
    ConfChangeV2,
    ConfState,
    Entry,
    EntryType,
    Message,
    MessageType,
)
from impl.rawnode import ConfigStatus, ErrStepLocalMsg, ErrStepPeerNotFound, RawNode, Status

__all__ = [
    "NONE",
    "RULES_ETCD_34",
    "RULES_ETCD_35",
    "RULES_SEED",
    "CampaignType",
    "ConfChange",
    "ConfChangeSingle",
    "ConfChangeTransition",
    "ConfChangeType",
    "ConfChangeV2",
    "ConfState",
    "Config",
    "ConfigStatus",
    "Entry",
    "EntryType",
    "ErrProposalDropped",
    "ErrStepLocalMsg",
    "ErrStepPeerNotFound",
    "Message",
    "MessageType",
    "Raft",
    "RaftPanic",
    "RawNode",
    "StateType",
    "Status",
]
