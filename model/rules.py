"""The election rules as small pure functions, and the named rule sets that bundle them.

Each function's docstring names the etcd code (raft.go, log.go, quorum/majority.go of etcd 3.4.23,
the same in today's etcd-io/raft) or the Raft-thesis section it models. A `RuleSet` is a frozen
bundle of these functions; a rule change is a `RuleSet` with one field replaced, so the cluster
transition system and the proofs in specs/ always run the rules they are given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from enum import IntEnum

from model.messages import (
    MSG_APP,
    MSG_APP_RESP,
    MSG_HEARTBEAT,
    MSG_PRE_VOTE,
    MSG_PRE_VOTE_RESP,
    MSG_VOTE,
)
from model.node_state import CANDIDATE


class VoteResult(IntEnum):
    """quorum.VoteResult: the outcome of a tally."""

    PENDING = 1
    LOST = 2
    WON = 3


def popcount(mask: int) -> int:
    return mask.bit_count()


def quorum(voters: int) -> int:
    """quorum/majority.go VoteResult: `q := len(c)/2 + 1`."""
    return voters // 2 + 1


def is_up_to_date(last_term: int, last_index: int, cand_term: int, cand_index: int) -> bool:
    """log.go isUpToDate: `term > lastTerm || (term == lastTerm && lasti >= lastIndex)`."""
    return cand_term > last_term or (cand_term == last_term and cand_index >= last_index)


def can_vote(
    vote: int, lead: int, role: int, frm: int, pre_vote: bool, msg_term: int, term: int
) -> bool:
    """raft.go Step, case MsgVote/MsgPreVote: the canVote disjunction.

    Repeat vote, or no vote and no known leader, or a pre-vote for a future term."""
    return vote == frm or (vote == 0 and lead == 0) or (pre_vote and msg_term > term)


def in_lease(check_quorum: bool, lead: int, role: int, elapsed: int, election_timeout: int) -> bool:
    """raft.go Step, m.Term > r.Term: `inLease`.

    `r.checkQuorum && r.lead != None && r.electionElapsed < r.electionTimeout`."""
    return check_quorum and lead != 0 and elapsed < election_timeout


def lease_drops_request(force: bool, lease: bool) -> bool:
    """raft.go Step: `if !force && inLease { return nil }` (force is the transfer context)."""
    return lease and not force


def adopts_higher_term(msg_type: int, reject: bool) -> bool:
    """raft.go Step, m.Term > r.Term: no term change for MsgPreVote or a granted MsgPreVoteResp."""
    if msg_type == MSG_PRE_VOTE:
        return False
    return not (msg_type == MSG_PRE_VOTE_RESP and not reject)


def leader_from_message(msg_type: int) -> bool:
    """raft.go Step: becomeFollower(m.Term, m.From) for MsgApp/MsgHeartbeat/MsgSnap, else None."""
    return msg_type in (MSG_APP, MSG_HEARTBEAT)


def lower_term_reply(check_quorum: bool, pre_vote: bool, msg_type: int) -> int | None:
    """raft.go Step, m.Term < r.Term: the reply type to a lower-term message, if any.

    MsgAppResp to MsgApp/MsgHeartbeat (with checkQuorum or preVote), a rejecting
    MsgPreVoteResp to MsgPreVote, nothing otherwise."""
    if (check_quorum or pre_vote) and msg_type in (MSG_HEARTBEAT, MSG_APP):
        return MSG_APP_RESP
    if msg_type == MSG_PRE_VOTE:
        return MSG_PRE_VOTE_RESP
    return None


def vote_reply_term(granted: bool, msg_term: int, term: int) -> int:
    """raft.go Step: a grant carries m.Term (PR 8346), a rejection carries r.Term."""
    return msg_term if granted else term


def grant_resets_elapsed(pre_vote: bool) -> bool:
    """raft.go Step, case MsgVote/MsgPreVote: `r.electionElapsed = 0` only for a MsgVote grant."""
    return not pre_vote


def grant_records_vote(pre_vote: bool) -> bool:
    """raft.go Step, case MsgVote/MsgPreVote: `r.Vote = m.From` only for a MsgVote grant."""
    return not pre_vote


def self_vote(pre_vote: bool) -> bool:
    """raft.go campaign: `r.poll(r.id, voteRespMsgType(voteMsg), true)`, and for a real
    campaign becomeCandidate's `r.Vote = r.id`: a (pre-)candidate votes for itself."""
    return True


def pre_vote_term(term: int) -> int:
    """raft.go campaign, campaignPreElection: `term = r.Term + 1` in the MsgPreVote requests
    (becomePreCandidate keeps r.Term itself)."""
    return term + 1


def lease_applies(msg_type: int) -> bool:
    """raft.go Step, m.Term > r.Term: `if m.Type == pb.MsgVote || m.Type == pb.MsgPreVote`
    (the messages the check-quorum lease may drop)."""
    return msg_type == MSG_VOTE or msg_type == MSG_PRE_VOTE


def transfer_forces(transfer: bool) -> bool:
    """raft.go campaign: `if t == campaignTransfer { ctx = []byte(t) }`, read back by Step's
    `force := bytes.Equal(m.Context, []byte(campaignTransfer))`."""
    return transfer


def reset_vote(old_term: int, new_term: int, vote: int) -> int:
    """raft.go reset: `if r.Term != term { r.Term = term; r.Vote = None }` (commit 9d2a465)."""
    return 0 if old_term != new_term else vote


def pre_candidate_lead(lead: int) -> int:
    """raft.go becomePreCandidate: `r.lead = None` (PR 8334)."""
    return 0


def learner_answers_votes_seed() -> bool:
    """Seed document, Step case MsgVote/MsgPreVote: `if r.isLearner { return nil }`."""
    return False


def learner_answers_votes_etcd34() -> bool:
    """etcd 3.4 raft.go Step: learners must be allowed to cast votes (comment above canVote)."""
    return True


def record_vote(granted: int, rejected: int, voter: int, v: bool) -> tuple[int, int]:
    """tracker.go RecordVote: only the first answer of each id is recorded."""
    bit = 1 << voter
    if (granted | rejected) & bit:
        return granted, rejected
    return (granted | bit, rejected) if v else (granted, rejected | bit)


def tally_votes_seed(
    voters: int, granted: int, rejected: int, q: Callable[[int], int]
) -> VoteResult:
    """Seed tallyVotes: counts every recorded answer; won at granted >= q, lost at rejected >= q."""
    need = q(popcount(voters))
    if popcount(granted) >= need:
        return VoteResult.WON
    if popcount(rejected) >= need:
        return VoteResult.LOST
    return VoteResult.PENDING


def tally_votes_etcd34(
    voters: int, granted: int, rejected: int, q: Callable[[int], int]
) -> VoteResult:
    """quorum/majority.go VoteResult: voters only; lost once granted + missing < q."""
    n = popcount(voters)
    if n == 0:
        return VoteResult.WON
    need = q(n)
    yes = popcount(granted & voters)
    missing = n - popcount((granted | rejected) & voters)
    if yes >= need:
        return VoteResult.WON
    if yes + missing >= need:
        return VoteResult.PENDING
    return VoteResult.LOST


def quorum_active(voters: int, active: int, q: Callable[[int], int]) -> bool:
    """tracker.go QuorumActive: the recently active voters (leader included) reach a quorum."""
    return popcount(active & voters) >= q(popcount(voters))


def num_of_pending_conf_etcd34(v1: int, v2: int) -> int:
    """etcd 3.4.23 raft.go numOfPendingConf: counts `EntryConfChange` (V1) entries only
    (etcd-io/etcd #12133)."""
    return v1


def num_of_pending_conf_etcd35(v1: int, v2: int) -> int:
    """etcd 3.5 raft.go numOfPendingConf: `EntryConfChange || EntryConfChangeV2`."""
    return v1 + v2


def hup_checks_pending_conf_etcd34(transfer: bool) -> bool:
    """etcd 3.4.23 raft.go: Step case MsgHup scans (applied, committed]; stepFollower case
    MsgTimeoutNow calls campaign(campaignTransfer) without that scan (etcd-io/etcd #12134)."""
    return not transfer


def hup_checks_pending_conf_etcd35(transfer: bool) -> bool:
    """etcd 3.5 raft.go hup(t): MsgHup and MsgTimeoutNow both go through the one check."""
    return True


def conf_already_pending(pending_conf_index: int, applied: int) -> bool:
    """raft.go stepLeader, MsgProp: `alreadyPending := r.pendingConfIndex > r.raftLog.applied`."""
    return pending_conf_index > applied


def auto_leave_bumps_pending_conf_etcd34() -> bool:
    """etcd 3.4.23 raft.go advance: the auto-leave entry moves pendingConfIndex only when its
    append fails, so a later advance while still joint appends a second leave (etcd #12582)."""
    return False


def auto_leave_bumps_pending_conf_fixed() -> bool:
    """etcd-io/etcd PR #14545: auto-leave is proposed through Step, whose MsgProp handling
    sets pendingConfIndex to the leave entry's index."""
    return True


def joint_vote_result(incoming: VoteResult, outgoing: VoteResult) -> VoteResult:
    """quorum/joint.go JointConfig.VoteResult: equal halves agree; else lost if either half
    lost, pending otherwise."""
    if incoming == outgoing:
        return incoming
    if incoming == VoteResult.LOST or outgoing == VoteResult.LOST:
        return VoteResult.LOST
    return VoteResult.PENDING


@dataclass(frozen=True)
class RuleSet:
    """A named bundle of rule functions. Replace a field to describe a rule change."""

    name: str
    quorum: Callable[[int], int] = quorum
    is_up_to_date: Callable[[int, int, int, int], bool] = is_up_to_date
    can_vote: Callable[[int, int, int, int, bool, int, int], bool] = can_vote
    in_lease: Callable[[bool, int, int, int, int], bool] = in_lease
    lease_drops_request: Callable[[bool, bool], bool] = lease_drops_request
    adopts_higher_term: Callable[[int, bool], bool] = adopts_higher_term
    leader_from_message: Callable[[int], bool] = leader_from_message
    lower_term_reply: Callable[[bool, bool, int], int | None] = lower_term_reply
    vote_reply_term: Callable[[bool, int, int], int] = vote_reply_term
    reset_vote: Callable[[int, int, int], int] = reset_vote
    grant_resets_elapsed: Callable[[bool], bool] = grant_resets_elapsed
    grant_records_vote: Callable[[bool], bool] = grant_records_vote
    self_vote: Callable[[bool], bool] = self_vote
    pre_vote_term: Callable[[int], int] = pre_vote_term
    lease_applies: Callable[[int], bool] = lease_applies
    transfer_forces: Callable[[bool], bool] = transfer_forces
    pre_candidate_lead: Callable[[int], int] = pre_candidate_lead
    learner_answers_votes: Callable[[], bool] = learner_answers_votes_etcd34
    record_vote: Callable[[int, int, int, bool], tuple[int, int]] = record_vote
    tally_votes: Callable[[int, int, int, Callable[[int], int]], VoteResult] = tally_votes_etcd34
    quorum_active: Callable[[int, int, Callable[[int], int]], bool] = quorum_active
    # Membership changes (read only with --conf-changes).
    num_of_pending_conf: Callable[[int, int], int] = num_of_pending_conf_etcd34
    hup_checks_pending_conf: Callable[[bool], bool] = hup_checks_pending_conf_etcd34
    conf_already_pending: Callable[[int, int], bool] = conf_already_pending
    joint_vote_result: Callable[[VoteResult, VoteResult], VoteResult] = joint_vote_result
    auto_leave_bumps_pending_conf: Callable[[], bool] = auto_leave_bumps_pending_conf_etcd34

    def with_rules(self, name: str, **overrides: Callable[..., object]) -> RuleSet:
        """A copy with some rule functions replaced (an audited rule change)."""
        unknown = set(overrides) - RULE_NAMES
        if unknown:
            raise KeyError(f"unknown rule(s): {', '.join(sorted(unknown))}")
        return replace(self, name=name, **overrides)  # type: ignore[arg-type]


RULE_NAMES: frozenset[str] = frozenset(f.name for f in fields(RuleSet) if f.name != "name")

SEED = RuleSet(
    name="seed",
    learner_answers_votes=learner_answers_votes_seed,
    tally_votes=tally_votes_seed,
)
ETCD_34 = RuleSet(name="etcd-3.4")
# etcd 3.5 (and etcd-io/raft): the pending-conf guard counts V2 entries and guards the transfer
# path too (raft.go hup), and auto-leave moves pendingConfIndex (PR #14545, later than 3.5.0);
# the election rules are otherwise 3.4.23's.
ETCD_35 = ETCD_34.with_rules(
    "etcd-3.5",
    num_of_pending_conf=num_of_pending_conf_etcd35,
    hup_checks_pending_conf=hup_checks_pending_conf_etcd35,
    auto_leave_bumps_pending_conf=auto_leave_bumps_pending_conf_fixed,
)

RULE_SETS: dict[str, RuleSet] = {SEED.name: SEED, ETCD_34.name: ETCD_34, ETCD_35.name: ETCD_35}

# Re-exported for variants that test the candidate-state lease condition (etcd commit ed3d491).
CANDIDATE_ROLE = CANDIDATE
