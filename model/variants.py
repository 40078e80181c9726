"""A catalogue of named rule variants: historical etcd rules and plain mutations of every rule.

Each `Variant` is a `RuleSet` built from a baseline (`SEED` or `ETCD_34`) with one or more rule
functions replaced, plus a one-line description and a citation (the etcd commit or PR for the
historical rules, the etcd code a mutation changes otherwise). `raftcheck audit NAME` audits one
of them against its baseline; `raftcheck audit --all` runs the whole catalogue (docs/AUDIT.md).

The replacement rules below are pure functions with the same signatures as the ones in
`model.rules`; they are the only code here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from model.messages import (
    MSG_APP,
    MSG_APP_RESP,
    MSG_HEARTBEAT,
    MSG_PRE_VOTE,
    MSG_PRE_VOTE_RESP,
    MSG_VOTE,
)
from model.node_state import LEADER
from model.rules import (
    CANDIDATE_ROLE,
    ETCD_34,
    ETCD_35,
    RULE_NAMES,
    RULE_SETS,
    SEED,
    RuleSet,
    VoteResult,
    auto_leave_bumps_pending_conf_etcd34,
    hup_checks_pending_conf_etcd34,
    learner_answers_votes_etcd34,
    num_of_pending_conf_etcd34,
    popcount,
    tally_votes_etcd34,
    tally_votes_seed,
)

Kind = Literal["historical", "mutation"]

# -- replacement rules (same signatures as model.rules) -----------------------------------------


def quorum_half(voters: int) -> int:
    """n // 2: two disjoint halves of an even cluster, or one node of three, can both win."""
    return voters // 2


def quorum_all(voters: int) -> int:
    """Unanimity: every voter must grant."""
    return voters


def up_to_date_index_only(last_term: int, last_index: int, cand_term: int, cand_index: int) -> bool:
    """Compares only the last indexes (a longer log of older terms wins)."""
    return cand_index >= last_index


def up_to_date_term_only(last_term: int, last_index: int, cand_term: int, cand_index: int) -> bool:
    """Compares only the last terms (a shorter log of the same term wins)."""
    return cand_term >= last_term


def up_to_date_always(last_term: int, last_index: int, cand_term: int, cand_index: int) -> bool:
    """No log check at all."""
    return True


def can_vote_ignores_leader(
    vote: int, lead: int, role: int, frm: int, pre_vote: bool, msg_term: int, term: int
) -> bool:
    """Before etcd PR 9204: `r.Vote == None` without `&& r.lead == None`."""
    return vote == frm or vote == 0 or (pre_vote and msg_term > term)


def can_vote_always(
    vote: int, lead: int, role: int, frm: int, pre_vote: bool, msg_term: int, term: int
) -> bool:
    """Every request may be granted (only the log check remains)."""
    return True


def can_vote_leader_grants(
    vote: int, lead: int, role: int, frm: int, pre_vote: bool, msg_term: int, term: int
) -> bool:
    """A leader grants every same-term request, on top of the etcd condition."""
    return (
        role == LEADER or vote == frm or (vote == 0 and lead == 0) or (pre_vote and msg_term > term)
    )


def can_vote_no_future_pre_vote(
    vote: int, lead: int, role: int, frm: int, pre_vote: bool, msg_term: int, term: int
) -> bool:
    """Without the `MsgPreVote && m.Term > r.Term` clause: a voter that voted refuses pre-votes."""
    return vote == frm or (vote == 0 and lead == 0)


def in_lease_not_candidate(
    check_quorum: bool, lead: int, role: int, elapsed: int, election_timeout: int
) -> bool:
    """etcd commit ed3d491: `r.state != StateCandidate` where 7b8cdf3 has `r.lead != None`."""
    return check_quorum and role != CANDIDATE_ROLE and elapsed < election_timeout


def in_lease_without_check_quorum(
    check_quorum: bool, lead: int, role: int, elapsed: int, election_timeout: int
) -> bool:
    """The lease holds whether or not check-quorum is on."""
    return lead != 0 and elapsed < election_timeout


def in_lease_never(
    check_quorum: bool, lead: int, role: int, elapsed: int, election_timeout: int
) -> bool:
    """No lease: a higher-term request is always handled."""
    return False


def lease_ignores_force(force: bool, lease: bool) -> bool:
    """The lease drops transfer (forced) requests too."""
    return lease


def adopts_term_on_pre_vote(msg_type: int, reject: bool) -> bool:
    """Every higher-term message, MsgPreVote included, bumps the receiver's term."""
    return True


def adopts_term_on_pre_vote_grant(msg_type: int, reject: bool) -> bool:
    """A granted MsgPreVoteResp bumps the pre-candidate's term (a MsgPreVote still does not)."""
    return msg_type != MSG_PRE_VOTE


def leader_from_any_message(msg_type: int) -> bool:
    """becomeFollower(m.Term, m.From) for every higher-term message (vote requests included)."""
    return True


def leader_from_no_message(msg_type: int) -> bool:
    """becomeFollower(m.Term, None) for every higher-term message."""
    return False


def lower_term_no_app_resp(check_quorum: bool, pre_vote: bool, msg_type: int) -> int | None:
    """Before etcd PR 8525: lower-term MsgApp/MsgHeartbeat are dropped silently."""
    if msg_type == MSG_PRE_VOTE:
        return MSG_PRE_VOTE_RESP
    return None


def lower_term_never_reply(check_quorum: bool, pre_vote: bool, msg_type: int) -> int | None:
    """Every lower-term message is dropped, MsgPreVote included."""
    return None


def lower_term_always_app_resp(check_quorum: bool, pre_vote: bool, msg_type: int) -> int | None:
    """The lower-term MsgAppResp is sent even without check-quorum and pre-vote."""
    if msg_type in (MSG_HEARTBEAT, MSG_APP):
        return MSG_APP_RESP
    if msg_type == MSG_PRE_VOTE:
        return MSG_PRE_VOTE_RESP
    return None


def vote_reply_local_term(granted: bool, msg_term: int, term: int) -> int:
    """Before etcd PR 8288: every vote reply, grants included, carries r.Term."""
    return term


def vote_reply_request_term(granted: bool, msg_term: int, term: int) -> int:
    """Every vote reply, rejections included, carries the request's term."""
    return msg_term


def reset_always_clears_vote(old_term: int, new_term: int, vote: int) -> int:
    """Before etcd commit 9d2a465: reset clears the vote even when the term does not change."""
    return 0


def reset_never_clears_vote(old_term: int, new_term: int, vote: int) -> int:
    """The vote survives a term change."""
    return vote


def pre_candidate_keeps_lead(lead: int) -> int:
    """Before etcd PR 8334: becomePreCandidate leaves r.lead as it was."""
    return lead


def record_vote_overwrite(granted: int, rejected: int, voter: int, v: bool) -> tuple[int, int]:
    """A later answer of the same id replaces the earlier one."""
    bit = 1 << voter
    granted &= ~bit
    rejected &= ~bit
    return (granted | bit, rejected) if v else (granted, rejected | bit)


def record_vote_keep_both(granted: int, rejected: int, voter: int, v: bool) -> tuple[int, int]:
    """Every answer is recorded, so one id may be both granted and rejected."""
    bit = 1 << voter
    return (granted | bit, rejected) if v else (granted, rejected | bit)


def tally_counts_learners(
    voters: int, granted: int, rejected: int, q: Callable[[int], int]
) -> VoteResult:
    """etcd-3.4's tally, but grants of non-voters count towards the quorum."""
    n = popcount(voters)
    if n == 0:
        return VoteResult.WON
    need = q(n)
    yes = popcount(granted)
    missing = n - popcount((granted | rejected) & voters)
    if yes >= need:
        return VoteResult.WON
    if popcount(granted & voters) + missing >= need:
        return VoteResult.PENDING
    return VoteResult.LOST


def tally_never_lost(
    voters: int, granted: int, rejected: int, q: Callable[[int], int]
) -> VoteResult:
    """etcd-3.4's tally that never concludes LOST (a beaten candidate waits for its timeout)."""
    result = tally_votes_etcd34(voters, granted, rejected, q)
    return VoteResult.PENDING if result == VoteResult.LOST else result


def quorum_active_always(voters: int, active: int, q: Callable[[int], int]) -> bool:
    """Check-quorum always finds a quorum active: a leader never steps down."""
    return True


def quorum_active_never(voters: int, active: int, q: Callable[[int], int]) -> bool:
    """Check-quorum never finds a quorum active: a leader steps down at every check."""
    return False


def grant_records_vote_always(pre_vote: bool) -> bool:
    """Granting a pre-vote also records the vote (`r.Vote = m.From` in the voter's own term)."""
    return True


def self_vote_never(pre_vote: bool) -> bool:
    """A (pre-)candidate neither votes for itself nor counts its own grant."""
    return False


def pre_vote_term_current(term: int) -> int:
    """Pre-votes are requested at the pre-candidate's own term instead of term + 1."""
    return term


def lease_applies_vote_only(msg_type: int) -> bool:
    """The lease drops higher-term MsgVote only; a MsgPreVote is always answered."""
    return msg_type == MSG_VOTE


def lease_applies_pre_vote_only(msg_type: int) -> bool:
    """The lease drops higher-term MsgPreVote only; a MsgVote is always answered."""
    return msg_type == MSG_PRE_VOTE


def transfer_never_forces(transfer: bool) -> bool:
    """A transfer campaign's requests do not carry the force context."""
    return False


# -- the catalogue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    name: str
    rules: RuleSet
    baseline: str  # "seed" or "etcd-3.4"
    description: str
    citation: str
    kind: Kind = "mutation"

    def baseline_rules(self) -> RuleSet:
        return RULE_SETS[self.baseline]

    @property
    def changed(self) -> tuple[str, ...]:
        """The rule names whose function differs from the baseline's."""
        return changed_rules(self.rules, self.baseline_rules())


def changed_rules(rules: RuleSet, baseline: RuleSet) -> tuple[str, ...]:
    return tuple(sorted(n for n in RULE_NAMES if getattr(rules, n) is not getattr(baseline, n)))


def _v(
    name: str,
    base: RuleSet,
    description: str,
    citation: str,
    kind: Kind = "mutation",
    **rules: Callable[..., object],
) -> Variant:
    return Variant(name, base.with_rules(name, **rules), base.name, description, citation, kind)


# -- liveness bugs of other Raft libraries, as etcd rule changes ---------------------------


def can_vote_prevote_needs_no_leader(
    vote: int, lead: int, role: int, frm: int, pre_vote: bool, msg_term: int, term: int
) -> bool:
    """A pre-vote is refused while any leader is known, even the asking node itself."""
    return vote == frm or (vote == 0 and lead == 0) or (pre_vote and msg_term > term and lead == 0)


def grant_resets_elapsed_always(pre_vote: bool) -> bool:
    """Granting a pre-vote also restarts the election timer (counts as leader contact)."""
    return True


def lower_term_before_pre_vote_fix(
    check_quorum: bool, pre_vote: bool, msg_type: int
) -> int | None:
    """etcd before PR 8525: only check-quorum answers a lower-term MsgApp/MsgHeartbeat, and a
    lower-term MsgPreVote is dropped (no rejection carrying the higher term)."""
    if check_quorum and msg_type in (MSG_HEARTBEAT, MSG_APP):
        return MSG_APP_RESP
    return None


def adopts_term_not_from_pre_vote_reply(msg_type: int, reject: bool) -> bool:
    """A higher-term MsgPreVoteResp never moves the pre-candidate's term, not even a rejection."""
    return msg_type not in (MSG_PRE_VOTE, MSG_PRE_VOTE_RESP)


def num_of_pending_conf_none(v1: int, v2: int) -> int:
    """No HasUnappliedConfChange guard: no committed, unapplied entry counts as pending."""
    return 0


def conf_never_pending(pending_conf_index: int, applied: int) -> bool:
    """A leader's proposal never finds a conf change pending (no `alreadyPending` refusal)."""
    return False


def joint_either_half_wins(incoming: VoteResult, outgoing: VoteResult) -> VoteResult:
    """A joint vote is won as soon as one half is won."""
    if VoteResult.WON in (incoming, outgoing):
        return VoteResult.WON
    if incoming == VoteResult.LOST or outgoing == VoteResult.LOST:
        return VoteResult.LOST
    return VoteResult.PENDING


_MAJ = "quorum/majority.go VoteResult"
_STEP_VOTE = "raft.go Step, case MsgVote/MsgPreVote"
_STEP_TERM = "raft.go Step, m.Term > r.Term"

VARIANTS: tuple[Variant, ...] = (
    # -- historical etcd rules --------------------------------------------------------------
    _v(
        "lease-not-candidate",
        ETCD_34,
        "the lease condition is `state != Candidate` instead of `lead != None`",
        "etcd commit ed3d491 (inLease with r.state != StateCandidate), fixed by 7b8cdf3",
        "historical",
        in_lease=in_lease_not_candidate,
    ),
    _v(
        "canvote-ignores-leader",
        ETCD_34,
        "canVote grants when no vote was cast, even with a known leader",
        f"{_STEP_VOTE}: `r.lead == None` was added by etcd PR 9204",
        "historical",
        can_vote=can_vote_ignores_leader,
    ),
    _v(
        "reset-clears-vote",
        ETCD_34,
        "reset clears the vote also on a same-term reset (lost election, check-quorum step-down)",
        "raft.go reset: `if r.Term != term` guard added by etcd commit 9d2a465",
        "historical",
        reset_vote=reset_always_clears_vote,
    ),
    _v(
        "grant-local-term",
        ETCD_34,
        "vote grants carry the voter's term instead of the request's term",
        f"{_STEP_VOTE}: grants carry m.Term since etcd PR 8288 (commit d4471b2, issue #8243: "
        "a node with a smaller term can get stuck in the election with pre-vote)",
        "historical",
        vote_reply_term=vote_reply_local_term,
    ),
    _v(
        "no-lower-term-appresp",
        ETCD_34,
        "no MsgAppResp to lower-term MsgApp/MsgHeartbeat (with check-quorum or pre-vote)",
        "raft.go Step, m.Term < r.Term: the MsgAppResp answer frees a node stuck at a higher "
        "term; added for check-quorum by etcd PR 5468 (commit ed3d491) and for pre-vote by etcd PR "
        "8525 (commit 3c7359d)",
        "historical",
        lower_term_reply=lower_term_no_app_resp,
    ),
    _v(
        "pre-candidate-keeps-leader",
        ETCD_34,
        "a pre-candidate keeps its known leader",
        "raft.go becomePreCandidate: `r.lead = None` added by etcd PR 8334",
        "historical",
        pre_candidate_lead=pre_candidate_keeps_lead,
    ),
    _v(
        "learners-vote",
        SEED,
        "learners answer vote requests (the seed's rule is that they never do)",
        "seed -> etcd-3.4: raft.go Step comment above canVote (learners must vote)",
        "historical",
        learner_answers_votes=learner_answers_votes_etcd34,
    ),
    _v(
        "lost-by-missing-tally",
        SEED,
        "the tally counts voters only and is lost once grants + missing < quorum",
        f"seed -> etcd-3.4: {_MAJ} (VoteLost when votedYes + missing < q)",
        "historical",
        tally_votes=tally_votes_etcd34,
    ),
    _v(
        "prevote-refused-with-leader",
        ETCD_34,
        "a pre-vote is refused while the voter knows any leader, even when the asking node is "
        "that leader (a deposed leader cannot win back a pre-vote)",
        "hashicorp/raft issue #606, fixed by PR #605 (rejecting pre-vote since we have a leader)",
        "historical",
        can_vote=can_vote_prevote_needs_no_leader,
    ),
    _v(
        "lower-term-prevote-dropped",
        ETCD_34,
        "a lower-term MsgPreVote is dropped instead of rejected at the voter's higher term, and "
        "without check-quorum a lower-term MsgApp/MsgHeartbeat is not answered: a node at a "
        "higher term with a shorter log and the longer-log node never learn of each other",
        "etcd issue #8501 (deadlock during PreVote migration), fixed by etcd PR 8525 "
        "(commit 3c7359d, raft: fix Pre-Vote migration)",
        "historical",
        lower_term_reply=lower_term_before_pre_vote_fix,
    ),
    _v(
        "prevote-reject-keeps-term",
        ETCD_34,
        "a rejected pre-candidate ignores the higher term the rejection carries, so a voter at "
        "a higher term with a shorter log and the pre-candidate refuse each other forever",
        "openraft issue #1796 (Pre-Vote deadlock during membership changes), fixed by openraft "
        "PR #1800 (adopt higher term from Pre-Vote rejection)",
        "historical",
        adopts_higher_term=adopts_term_not_from_pre_vote_reply,
    ),
    _v(
        "prevote-without-check-quorum",
        ETCD_34,
        "pre-vote without check-quorum's parts: a voter that heard its leader within the "
        "election timeout still grants (pre-)votes, and a leader never steps down",
        "CockroachDB issue #92088 (PreVote and CheckQuorum under partial partitions); its "
        "PR #104042 enabled CheckQuorum because with pre-vote alone a node cut off from the "
        "leader could hold elections and steal leadership",
        "historical",
        in_lease=in_lease_never,
        quorum_active=quorum_active_always,
    ),
    _v(
        "prevote-grant-refreshes-timer",
        ETCD_34,
        "granting a pre-vote restarts the voter's election timer, as if it heard a leader",
        "hashicorp/raft PR #609 (do not update leader last-contact when granting a pre-vote)",
        "historical",
        grant_resets_elapsed=grant_resets_elapsed_always,
    ),
    # -- mutations: the one-line decisions of the election path (issue 11) ------------------
    _v(
        "prevote-grant-records-vote",
        ETCD_34,
        "granting a pre-vote records the vote (r.Vote = m.From at the voter's own term)",
        f"{_STEP_VOTE}: `if m.Type == pb.MsgVote {{ ...; r.Vote = m.From }}`",
        grant_records_vote=grant_records_vote_always,
    ),
    _v(
        "candidate-no-self-vote",
        ETCD_34,
        "a (pre-)candidate does not vote for itself: no r.Vote = r.id, no poll of its own id",
        "raft.go becomeCandidate `r.Vote = r.id`; campaign `r.poll(r.id, ..., true)`",
        self_vote=self_vote_never,
    ),
    _v(
        "prevote-current-term",
        ETCD_34,
        "pre-votes are requested at the pre-candidate's own term, not at term + 1",
        "raft.go campaign, campaignPreElection: `term = r.Term + 1`",
        pre_vote_term=pre_vote_term_current,
    ),
    _v(
        "lease-ignores-prevote",
        ETCD_34,
        "the check-quorum lease drops higher-term MsgVote only, not MsgPreVote",
        f"{_STEP_TERM}: `if m.Type == pb.MsgVote || m.Type == pb.MsgPreVote`",
        lease_applies=lease_applies_vote_only,
    ),
    _v(
        "lease-ignores-vote",
        ETCD_34,
        "the check-quorum lease drops higher-term MsgPreVote only, not MsgVote",
        f"{_STEP_TERM}: `if m.Type == pb.MsgVote || m.Type == pb.MsgPreVote`",
        lease_applies=lease_applies_pre_vote_only,
    ),
    _v(
        "transfer-not-forced",
        ETCD_34,
        "a transfer campaign's requests are not forced, so the lease drops them",
        "raft.go campaign: `if t == campaignTransfer { ctx = []byte(t) }`",
        transfer_forces=transfer_never_forces,
    ),
    # -- mutations: quorum -------------------------------------------------------------------
    _v(
        "quorum-half",
        ETCD_34,
        "quorum(n) = n // 2 instead of n // 2 + 1",
        f"{_MAJ}: `q := len(c)/2 + 1`",
        quorum=quorum_half,
    ),
    _v(
        "quorum-all",
        ETCD_34,
        "quorum(n) = n (unanimity)",
        f"{_MAJ}: `q := len(c)/2 + 1`",
        quorum=quorum_all,
    ),
    # -- is_up_to_date -------------------------------------------------------------------------
    _v(
        "up-to-date-index-only",
        ETCD_34,
        "isUpToDate compares only last indexes",
        "log.go isUpToDate",
        is_up_to_date=up_to_date_index_only,
    ),
    _v(
        "up-to-date-term-only",
        ETCD_34,
        "isUpToDate compares only last terms",
        "log.go isUpToDate",
        is_up_to_date=up_to_date_term_only,
    ),
    _v(
        "up-to-date-always",
        ETCD_34,
        "no log check on vote requests",
        "log.go isUpToDate",
        is_up_to_date=up_to_date_always,
    ),
    # -- can_vote --------------------------------------------------------------------------
    _v(
        "canvote-always",
        ETCD_34,
        "canVote is always true (a voter may vote twice in a term)",
        _STEP_VOTE,
        can_vote=can_vote_always,
    ),
    _v(
        "leader-grants-votes",
        ETCD_34,
        "a leader grants same-term vote requests",
        _STEP_VOTE,
        can_vote=can_vote_leader_grants,
    ),
    _v(
        "canvote-no-future-pre-vote",
        ETCD_34,
        "canVote without the `MsgPreVote && m.Term > r.Term` clause",
        _STEP_VOTE,
        can_vote=can_vote_no_future_pre_vote,
    ),
    # -- in_lease / lease_drops_request ------------------------------------------------------
    _v(
        "lease-without-check-quorum",
        ETCD_34,
        "the lease holds without check-quorum (`r.checkQuorum &&` dropped)",
        f"{_STEP_TERM}: inLease",
        in_lease=in_lease_without_check_quorum,
    ),
    _v(
        "lease-never",
        ETCD_34,
        "no lease: higher-term requests always disrupt a leader's followers",
        f"{_STEP_TERM}: inLease",
        in_lease=in_lease_never,
    ),
    _v(
        "lease-ignores-force",
        ETCD_34,
        "the lease drops forced (transfer) requests too",
        f"{_STEP_TERM}: `if !force && inLease`",
        lease_drops_request=lease_ignores_force,
    ),
    # -- adopts_higher_term / leader_from_message ----------------------------------------------
    _v(
        "term-bump-on-pre-vote",
        ETCD_34,
        "a higher-term MsgPreVote bumps the receiver's term",
        f"{_STEP_TERM}: no term change for MsgPreVote",
        adopts_higher_term=adopts_term_on_pre_vote,
    ),
    _v(
        "term-bump-on-pre-vote-grant",
        ETCD_34,
        "a granted higher-term MsgPreVoteResp bumps the pre-candidate's term",
        f"{_STEP_TERM}: no term change for a granted MsgPreVoteResp",
        adopts_higher_term=adopts_term_on_pre_vote_grant,
    ),
    _v(
        "leader-from-any-message",
        ETCD_34,
        "a higher-term vote request also sets lead = sender",
        f"{_STEP_TERM}: becomeFollower(m.Term, m.From) only for MsgApp/MsgHeartbeat/MsgSnap",
        leader_from_message=leader_from_any_message,
    ),
    _v(
        "leader-from-no-message",
        ETCD_34,
        "a higher-term MsgApp/MsgHeartbeat makes the node a follower with no leader",
        f"{_STEP_TERM}: becomeFollower(m.Term, m.From) for MsgApp/MsgHeartbeat/MsgSnap",
        leader_from_message=leader_from_no_message,
    ),
    # -- lower_term_reply ----------------------------------------------------------------------
    _v(
        "lower-term-never-reply",
        ETCD_34,
        "lower-term messages are all dropped, MsgPreVote included",
        "raft.go Step, m.Term < r.Term",
        lower_term_reply=lower_term_never_reply,
    ),
    _v(
        "lower-term-always-appresp",
        ETCD_34,
        "lower-term MsgApp/MsgHeartbeat are answered even without check-quorum and pre-vote",
        "raft.go Step, m.Term < r.Term: `if (r.checkQuorum || r.preVote) && ...`",
        lower_term_reply=lower_term_always_app_resp,
    ),
    # -- vote_reply_term -----------------------------------------------------------------------
    _v(
        "reject-request-term",
        ETCD_34,
        "vote rejections carry the request's term",
        f"{_STEP_VOTE}: a rejection carries r.Term",
        vote_reply_term=vote_reply_request_term,
    ),
    # -- reset_vote ---------------------------------------------------------------------------
    _v(
        "reset-keeps-vote",
        ETCD_34,
        "reset keeps the vote across a term change",
        "raft.go reset: `r.Vote = None` on a term change",
        reset_vote=reset_never_clears_vote,
    ),
    # -- learner_answers_votes ----------------------------------------------------------------
    _v(
        "learners-silent",
        ETCD_34,
        "learners never answer vote requests (the seed's rule), although a stale learner may "
        "already count as a voter for the others",
        "etcd issue #10998 (learners must be allowed to vote); raft.go comment above canVote",
        "historical",
        learner_answers_votes=SEED.learner_answers_votes,
    ),
    # -- record_vote --------------------------------------------------------------------------
    _v(
        "record-vote-overwrite",
        ETCD_34,
        "a later answer of the same id overwrites the first",
        "tracker.go RecordVote: `if !ok { p.Votes[id] = v }`",
        record_vote=record_vote_overwrite,
    ),
    _v(
        "record-vote-keep-both",
        ETCD_34,
        "every answer is recorded: one id can count as granted and rejected",
        "tracker.go RecordVote",
        record_vote=record_vote_keep_both,
    ),
    # -- tally_votes --------------------------------------------------------------------------
    _v(
        "tally-counts-learners",
        ETCD_34,
        "the tally counts grants from non-voters",
        f"{_MAJ}: only ids of the voter set are counted",
        tally_votes=tally_counts_learners,
    ),
    _v(
        "tally-never-lost",
        ETCD_34,
        "the tally never concludes LOST",
        f"{_MAJ}: VoteLost",
        tally_votes=tally_never_lost,
    ),
    # -- quorum_active ------------------------------------------------------------------------
    _v(
        "check-quorum-always-active",
        ETCD_34,
        "check-quorum always finds a quorum active (a leader never steps down)",
        "tracker.go QuorumActive / raft.go stepLeader MsgCheckQuorum",
        quorum_active=quorum_active_always,
    ),
    _v(
        "check-quorum-never-active",
        ETCD_34,
        "check-quorum never finds a quorum active (a leader steps down at every check)",
        "tracker.go QuorumActive / raft.go stepLeader MsgCheckQuorum",
        quorum_active=quorum_active_never,
    ),
)

# -- membership changes (issue 14): audited against etcd-3.5, caught with --conf-changes --------
# (audit/configs.py "joint-change" and "joint-change-transfer": a joint change that replaces
# every voter, so the old and the new configuration have disjoint quorums).
MEMBERSHIP_VARIANTS: tuple[Variant, ...] = (
    _v(
        "conf-pending-ignores-v2",
        ETCD_35,
        "the campaign guard counts only V1 (EntryConfChange) entries: a node with a committed, "
        "unapplied ConfChangeV2 (every joint change) campaigns in its old configuration",
        "etcd-io/etcd #12133: 3.4.23 raft.go numOfPendingConf counts EntryConfChange only "
        "(3.5 counts EntryConfChangeV2 too)",
        "historical",
        num_of_pending_conf=num_of_pending_conf_etcd34,
    ),
    _v(
        "transfer-skips-conf-check",
        ETCD_35,
        "a leadership-transfer campaign (MsgTimeoutNow) skips the pending-conf guard",
        "etcd-io/etcd #12134: 3.4.23 stepFollower MsgTimeoutNow calls campaign(campaignTransfer) "
        "directly (3.5 routes it through hup, which checks)",
        "historical",
        hup_checks_pending_conf=hup_checks_pending_conf_etcd34,
    ),
    _v(
        "no-unapplied-conf-guard",
        ETCD_35,
        "no campaign guard at all: a node with a committed, unapplied conf change campaigns",
        "etcd-io/raft #456: the TLA+ spec lacked the HasUnappliedConfChange guard (split brain), "
        "fixed by etcd-io/raft #458/#469; raft.go hup `numOfPendingConf`",
        "historical",
        num_of_pending_conf=num_of_pending_conf_none,
    ),
    _v(
        "seed-joint-tally",
        ETCD_35,
        "the seed's tally (every recorded answer counts) in each half of a joint configuration: "
        "a half counts grants of the other half's voters",
        "the seed code's tallyVotes against quorum/joint.go VoteResult (each half counts its "
        "own voters); `prove --rules seed` joint-quorum",
        "mutation",
        tally_votes=tally_votes_seed,
    ),
    _v(
        "auto-leave-keeps-pending",
        ETCD_35,
        "a leader's auto-leave entry leaves pendingConfIndex where it was: a later apply while "
        "still joint appends a second leave entry, and applying it panics",
        "etcd-io/etcd #12582 (3.4.23 raft.go advance), fixed by etcd-io/etcd PR #14545",
        "historical",
        auto_leave_bumps_pending_conf=auto_leave_bumps_pending_conf_etcd34,
    ),
    _v(
        "conf-never-pending",
        ETCD_35,
        "a leader accepts a conf change while another is unapplied (no alreadyPending check)",
        "raft.go stepLeader MsgProp: `alreadyPending := r.pendingConfIndex > r.raftLog.applied`",
        conf_already_pending=conf_never_pending,
    ),
    _v(
        "joint-either-half-wins",
        ETCD_35,
        "a joint vote is won when one half is won (the other half's voters need not agree)",
        "quorum/joint.go JointConfig.VoteResult: won only if both halves won",
        joint_vote_result=joint_either_half_wins,
    ),
)
VARIANTS = VARIANTS + MEMBERSHIP_VARIANTS

VARIANTS_BY_NAME: dict[str, Variant] = {v.name: v for v in VARIANTS}


def get_variant(name: str) -> Variant:
    """The catalogue entry `name`; KeyError with a one-line message otherwise."""
    try:
        return VARIANTS_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown variant {name!r} (see `raftcheck audit --list`)") from None


def covered_rules() -> frozenset[str]:
    """The rule names that at least one variant changes."""
    return frozenset(r for v in VARIANTS for r in v.changed)

