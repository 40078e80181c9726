"""An etcd-style Python port of the leader-election path of etcd's Raft (etcd 3.4).

Modules mirror etcd's layout: ``raftpb`` (messages, entries), ``quorum``
(majority vote counting), ``tracker`` (progress and votes), ``log`` (the raft
log), ``raft`` (the state machine), ``rawnode`` (the application handle) and
``config``. The scope and the deliberate simplifications are those of
``specs/SEMANTICS.md``; each simplification is marked "Shared abstraction" in the
code. Nothing here imports from the rest of the repository.

Rule sets (``Config.rules``): ``"seed"`` (learners never answer vote requests;
the tally counts every recorded answer) and ``"etcd-3.4"`` (learners answer like
voters; the tally is quorum/majority.go's VoteResult over the voters).

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
"""

from impl.config import RULES_ETCD_34, RULES_SEED, Config
from impl.raft import CampaignType, ErrProposalDropped, Raft, RaftPanic, StateType
from impl.raftpb import NONE, Entry, EntryType, Message, MessageType
from impl.rawnode import ErrStepLocalMsg, ErrStepPeerNotFound, RawNode, Status

__all__ = [
    "NONE",
    "RULES_ETCD_34",
    "RULES_SEED",
    "CampaignType",
    "Config",
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
