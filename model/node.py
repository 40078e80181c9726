"""Node-local transitions of the model: etcd's Step, tick and campaign on one node's state.

Every function here is pure: it takes a node's state (and a message) and returns the new state,
the messages sent, and history events. The cluster layer (model/cluster.py) memoises them.
"""

from __future__ import annotations

from typing import Any

from model.config import ClusterConfig
from model.messages import (
    MSG_APP,
    MSG_APP_RESP,
    MSG_HEARTBEAT,
    MSG_HEARTBEAT_RESP,
    MSG_PRE_VOTE,
    MSG_PRE_VOTE_RESP,
    MSG_TIMEOUT_NOW,
    MSG_VOTE,
    MSG_VOTE_RESP,
    Message,
    msg,
    vote_resp_type,
)
from model.node_state import (
    ACTIVE,
    CANDIDATE,
    ELAPSED,
    FOLLOWER,
    GRANTED,
    LEAD,
    LEADER,
    LOG,
    PRE_CANDIDATE,
    REJECTED,
    ROLE,
    TERM,
    VOTE,
    Node,
    last_term,
)
from model.rules import RuleSet, VoteResult

CAMPAIGN_PRE_ELECTION = 0
CAMPAIGN_ELECTION = 1
CAMPAIGN_TRANSFER = 2

# History events: ("vote", term, voter, candidate, voter_last_term, voter_last_index),
# ("leader", term, id, counted_grants_mask, last_term, last_index), ("broken", invariant).
Event = tuple[object, ...]
StepResult = tuple[Node, tuple[Message, ...], tuple[Event, ...]]


class NodeLogic:
    """The election rules of one configuration, applied to single nodes."""

    def __init__(self, cfg: ClusterConfig, rules: RuleSet) -> None:
        self.cfg = cfg
        self.rules = rules
        self.et = cfg.election_timeout
        self.ids = tuple(range(1, cfg.n + 1))
        counted = cfg.n if cfg.promoted_learners else cfg.voters
        # Who candidates send requests to and count: etcd's prs.Voters as every voter sees it.
        self.voter_mask = sum(1 << i for i in range(1, counted + 1))
        self.vote_targets = tuple(range(1, counted + 1))
        self.learners_answer = rules.learner_answers_votes()

    def promotable(self, nid: int) -> bool:
        """raft.go promotable: in the configuration and not a learner (its own view)."""
        return nid <= self.cfg.voters

    def is_learner(self, nid: int) -> bool:
        return nid > self.cfg.voters

    # -- role changes -------------------------------------------------------------------------

    def _reset(self, s: list[Any], term: int) -> None:
        """raft.go reset."""
        s[VOTE] = self.rules.reset_vote(s[TERM], term, s[VOTE])
        s[TERM] = term
        s[LEAD] = 0
        s[ELAPSED] = 0
        s[GRANTED] = s[REJECTED] = 0
        s[ACTIVE] = 0

    def _become_follower(self, s: list[Any], term: int, lead: int) -> None:
        """raft.go becomeFollower."""
        self._reset(s, term)
        s[LEAD] = lead
        s[ROLE] = FOLLOWER

    def _become_candidate(self, nid: int, s: list[Any], events: list[Event]) -> None:
        """raft.go becomeCandidate: next term, vote for self (rule `self_vote`)."""
        self._reset(s, s[TERM] + 1)
        s[ROLE] = CANDIDATE
        if self.rules.self_vote(False):
            s[VOTE] = nid
            log = s[LOG]
            events.append(("vote", s[TERM], nid, nid, last_term(log), len(log)))

    def _become_pre_candidate(self, s: list[Any]) -> None:
        """raft.go becomePreCandidate: term, vote and elapsed are kept."""
        s[GRANTED] = s[REJECTED] = 0
        s[LEAD] = self.rules.pre_candidate_lead(s[LEAD])
        s[ROLE] = PRE_CANDIDATE

    def _become_leader(self, nid: int, s: list[Any], events: list[Event]) -> None:
        """raft.go becomeLeader: reset at the same term, then append an empty entry."""
        counted = s[GRANTED]
        log = s[LOG]
        events.append(("leader", s[TERM], nid, counted, last_term(log), len(log)))
        self._reset(s, s[TERM])
        s[LEAD] = nid
        s[ROLE] = LEADER
        s[LOG] = log + (s[TERM],)

    def _bcast_append(self, nid: int, s: list[Any], outs: list[Message]) -> None:
        """raft.go bcastAppend, with the whole log in every MsgApp (SEMANTICS.md)."""
        for to in self.ids:
            if to != nid:
                outs.append(msg(MSG_APP, nid, to, s[TERM], entries=s[LOG]))

    # -- campaign and tally -------------------------------------------------------------------

    def _poll(self, s: list[Any], frm: int, granted: bool) -> VoteResult:
        """raft.go poll: record the answer, then tally."""
        rules = self.rules
        s[GRANTED], s[REJECTED] = rules.record_vote(s[GRANTED], s[REJECTED], frm, granted)
        return rules.tally_votes(self.voter_mask, s[GRANTED], s[REJECTED], rules.quorum)

    def _campaign(
        self, nid: int, s: list[Any], kind: int, outs: list[Message], events: list[Event]
    ) -> None:
        """raft.go campaign."""
        rules = self.rules
        pre = kind == CAMPAIGN_PRE_ELECTION
        if pre:
            self._become_pre_candidate(s)
            vote_type = MSG_PRE_VOTE
            term = rules.pre_vote_term(s[TERM])
        else:
            self._become_candidate(nid, s, events)
            vote_type = MSG_VOTE
            term = s[TERM]
        if rules.self_vote(pre):
            result = self._poll(s, nid, True)
        else:
            result = rules.tally_votes(self.voter_mask, s[GRANTED], s[REJECTED], rules.quorum)
        if result == VoteResult.WON:
            if kind == CAMPAIGN_PRE_ELECTION:
                self._campaign(nid, s, CAMPAIGN_ELECTION, outs, events)
            else:
                self._become_leader(nid, s, events)
            return
        log = s[LOG]
        force = rules.transfer_forces(kind == CAMPAIGN_TRANSFER)
        for to in self.vote_targets:
            if to != nid:
                outs.append(msg(vote_type, nid, to, term, last_term(log), len(log), False, force))

    # -- Step ----------------------------------------------------------------------------------

    def step(self, nid: int, node: Node, m: Message) -> StepResult:
        """raft.go Step for a message from the network, delivered to node `nid`."""
        rules = self.rules
        cfg = self.cfg
        mtype, frm, _to, mterm, mlt, mli, reject, force, entries = m
        s = list(node)
        outs: list[Message] = []
        events: list[Event] = []
        if mterm > s[TERM]:
            if rules.lease_applies(mtype):
                lease = rules.in_lease(cfg.check_quorum, s[LEAD], s[ROLE], s[ELAPSED], self.et)
                if rules.lease_drops_request(force, lease):
                    return node, (), ()
            if rules.adopts_higher_term(mtype, reject):
                lead = frm if rules.leader_from_message(mtype) else 0
                self._become_follower(s, mterm, lead)
        elif mterm < s[TERM]:
            reply = rules.lower_term_reply(cfg.check_quorum, cfg.pre_vote, mtype)
            if reply == MSG_APP_RESP:
                outs.append(msg(MSG_APP_RESP, nid, frm, s[TERM]))
            elif reply == MSG_PRE_VOTE_RESP:
                outs.append(msg(MSG_PRE_VOTE_RESP, nid, frm, s[TERM], reject=True))
            return node, tuple(outs), ()

        if mtype == MSG_VOTE or mtype == MSG_PRE_VOTE:
            self._handle_vote_request(nid, s, m, outs, events)
        elif s[ROLE] == FOLLOWER:
            self._step_follower(nid, s, m, outs, events)
        elif s[ROLE] == LEADER:
            # RecentActive is read only by check-quorum; without it the model does not track it.
            if self.cfg.check_quorum and (mtype == MSG_APP_RESP or mtype == MSG_HEARTBEAT_RESP):
                s[ACTIVE] |= (1 << frm) & ~(1 << nid)
        else:
            self._step_candidate(nid, s, m, outs, events)

        new = tuple(s)
        if mtype == MSG_PRE_VOTE and (new[TERM] != node[TERM] or new[VOTE] != node[VOTE]):
            events.append(("broken", "PreVoteNoDisruption"))
        return new, tuple(outs), tuple(events)  # type: ignore[return-value]

    def _handle_vote_request(
        self, nid: int, s: list[Any], m: Message, outs: list[Message], events: list[Event]
    ) -> None:
        """raft.go Step, case MsgVote/MsgPreVote."""
        rules = self.rules
        mtype, frm, _to, mterm, mlt, mli = m[0], m[1], m[2], m[3], m[4], m[5]
        if self.is_learner(nid) and not self.learners_answer:
            return
        log = s[LOG]
        lt, li = last_term(log), len(log)
        pre = mtype == MSG_PRE_VOTE
        if rules.can_vote(s[VOTE], s[LEAD], s[ROLE], frm, pre, mterm, s[TERM]) and (
            rules.is_up_to_date(lt, li, mlt, mli)
        ):
            outs.append(
                msg(vote_resp_type(mtype), nid, frm, rules.vote_reply_term(True, mterm, s[TERM]))
            )
            if rules.grant_resets_elapsed(pre):
                s[ELAPSED] = 0
            if rules.grant_records_vote(pre):
                # The vote is for the voter's own term (m.Term once a MsgVote moved it there).
                s[VOTE] = frm
                events.append(("vote", s[TERM], nid, frm, lt, li))
        else:
            term = rules.vote_reply_term(False, mterm, s[TERM])
            outs.append(msg(vote_resp_type(mtype), nid, frm, term, reject=True))

    def _handle_append(self, nid: int, s: list[Any], m: Message, outs: list[Message]) -> None:
        """raft.go handleAppendEntries / log.go maybeAppend for a MsgApp from index 0."""
        entries = m[8]
        log = s[LOG]
        if log[: len(entries)] != entries:
            s[LOG] = entries
        outs.append(msg(MSG_APP_RESP, nid, m[1], s[TERM], index=len(entries)))

    def _step_follower(
        self, nid: int, s: list[Any], m: Message, outs: list[Message], events: list[Event]
    ) -> None:
        """raft.go stepFollower."""
        mtype, frm = m[0], m[1]
        if mtype == MSG_APP:
            s[ELAPSED] = 0
            s[LEAD] = frm
            self._handle_append(nid, s, m, outs)
        elif mtype == MSG_HEARTBEAT:
            s[ELAPSED] = 0
            s[LEAD] = frm
            outs.append(msg(MSG_HEARTBEAT_RESP, nid, frm, s[TERM]))
        elif mtype == MSG_TIMEOUT_NOW and self.promotable(nid):
            self._campaign(nid, s, CAMPAIGN_TRANSFER, outs, events)

    def _step_candidate(
        self, nid: int, s: list[Any], m: Message, outs: list[Message], events: list[Event]
    ) -> None:
        """raft.go stepCandidate (candidates and pre-candidates)."""
        mtype, frm, mterm, reject = m[0], m[1], m[3], m[6]
        my_resp = MSG_PRE_VOTE_RESP if s[ROLE] == PRE_CANDIDATE else MSG_VOTE_RESP
        if mtype == MSG_APP:
            self._become_follower(s, mterm, frm)
            self._handle_append(nid, s, m, outs)
        elif mtype == MSG_HEARTBEAT:
            self._become_follower(s, mterm, frm)
            outs.append(msg(MSG_HEARTBEAT_RESP, nid, frm, s[TERM]))
        elif mtype == my_resp:
            result = self._poll(s, frm, not reject)
            if result == VoteResult.WON:
                if s[ROLE] == PRE_CANDIDATE:
                    self._campaign(nid, s, CAMPAIGN_ELECTION, outs, events)
                else:
                    self._become_leader(nid, s, events)
                    self._bcast_append(nid, s, outs)
            elif result == VoteResult.LOST:
                self._become_follower(s, s[TERM], 0)

    # -- local actions -------------------------------------------------------------------------

    def tick(self, nid: int, node: Node) -> StepResult:
        """raft.go tickElection (without firing: see `timeout`) and tickHeartbeat."""
        s = list(node)
        if s[ROLE] != LEADER:
            s[ELAPSED] = min(s[ELAPSED] + 1, self.et)
            return tuple(s), (), ()  # type: ignore[return-value]
        s[ELAPSED] += 1
        if s[ELAPSED] >= self.et:
            s[ELAPSED] = 0
            if self.cfg.check_quorum:
                # raft.go stepLeader, MsgCheckQuorum. The leader always counts itself, so the
                # model keeps only the other nodes in `active` (etcd keeps its own flag set).
                active = s[ACTIVE] | (1 << nid)
                if not self.rules.quorum_active(self.voter_mask, active, self.rules.quorum):
                    self._become_follower(s, s[TERM], 0)
                else:
                    s[ACTIVE] = 0
        return tuple(s), (), ()  # type: ignore[return-value]

    def can_time_out(self, nid: int, node: Node) -> bool:
        return self.promotable(nid) and node[ROLE] != LEADER and node[ELAPSED] >= self.et

    def campaigns_on_timeout(self, nid: int) -> bool:
        """Whether a timeout of `nid` starts a campaign (a node with a pending configuration
        change only resets its timer)."""
        return nid not in self.cfg.pending_conf

    def timeout(self, nid: int, node: Node) -> StepResult:
        """raft.go tickElection firing: electionElapsed = 0, then Step(MsgHup)."""
        s = list(node)
        s[ELAPSED] = 0
        outs: list[Message] = []
        events: list[Event] = []
        if self.campaigns_on_timeout(nid):
            kind = CAMPAIGN_PRE_ELECTION if self.cfg.pre_vote else CAMPAIGN_ELECTION
            self._campaign(nid, s, kind, outs, events)
        return tuple(s), tuple(outs), tuple(events)  # type: ignore[return-value]

    def heartbeat(self, nid: int, node: Node) -> tuple[Message, ...]:
        """raft.go bcastHeartbeat (MsgBeat on a leader)."""
        return tuple(msg(MSG_HEARTBEAT, nid, to, node[TERM]) for to in self.ids if to != nid)

    def restart(self, node: Node) -> Node:
        """Crash and restart: newRaft loads term, vote and log, then becomeFollower(term, None)."""
        return (node[TERM], node[VOTE], 0, FOLLOWER, 0, node[LOG], 0, 0, 0)

    def transfer(self, nid: int, node: Node, to: int) -> StepResult:
        """raft.go stepLeader, MsgTransferLeader, with the transferee already caught up."""
        s = list(node)
        s[ELAPSED] = 0
        return tuple(s), (msg(MSG_TIMEOUT_NOW, nid, to, node[TERM]),), ()  # type: ignore[return-value]

    def append(self, nid: int, node: Node) -> StepResult:
        """raft.go stepLeader, MsgProp: appendEntry then bcastAppend."""
        s = list(node)
        s[LOG] = s[LOG] + (s[TERM],)
        outs: list[Message] = []
        self._bcast_append(nid, s, outs)
        return tuple(s), tuple(outs), ()  # type: ignore[return-value]
