"""Node-local transitions of the model: etcd's Step, tick and campaign on one node's state.

Every function here is pure: it takes a node's state (and a message) and returns the new state,
the messages sent, and history events. The cluster layer (model/cluster.py) memoises them.
"""

from __future__ import annotations

from typing import Any

from model import confchange as cc_
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
    APPLIED,
    CANDIDATE,
    COMMIT,
    CONF,
    ELAPSED,
    FOLLOWER,
    GRANTED,
    LEAD,
    LEADER,
    LOG,
    MATCH,
    PENDING_CONF_INDEX,
    PRE_CANDIDATE,
    REJECTED,
    ROLE,
    TERM,
    VOTE,
    Node,
    last_term,
)
from model.rules import RuleSet, VoteResult

# raftpb IsResponseMsg: the types RawNode.Step refuses from an id it does not track.
_RESPONSES = frozenset((MSG_APP_RESP, MSG_VOTE_RESP, MSG_PRE_VOTE_RESP, MSG_HEARTBEAT_RESP))

CAMPAIGN_PRE_ELECTION = 0
CAMPAIGN_ELECTION = 1
CAMPAIGN_TRANSFER = 2

# History events: ("vote", term, voter, candidate, voter_last_term, voter_last_index),
# ("leader", term, id, counted_grants_mask, last_term, last_index), ("broken", invariant); with
# membership changes the leader event ends with the leader's conf, and ("campaign", term, id,
# conf) records each node that becomes candidate.
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
        # Membership changes: each node reads voters, learners and targets from its own applied
        # configuration (node field `conf`), and tracks commit/match. Off: the static paths.
        self.conf_on = cfg.conf_changes > 0
        self.lt = last_term_conf if self.conf_on else last_term
        self.bootstrap_conf = cc_.initial_conf(cfg.voters, cfg.learners)

    def initial_conf(self, nid: int) -> cc_.Conf:
        """Node `nid`'s configuration at start: the bootstrap one; with promoted learners a
        voter counts the learners as voters (etcd's stale-learner case); a spare has none."""
        cfg = self.cfg
        if nid > cfg.voters + cfg.learners:
            return cc_.EMPTY_CONF
        if cfg.promoted_learners and nid <= cfg.voters:
            return cc_.initial_conf(cfg.n - cfg.spares, 0)
        return self.bootstrap_conf

    def conf_tail(self, nid: int) -> tuple[Any, ...]:
        """The membership fields of node `nid` at start (commit, applied, conf, pci, match)."""
        return (0, 0, self.initial_conf(nid), 0, ())

    def can_promote(self, nid: int, node: Node | list[Any]) -> bool:
        """raft.go promotable, read from the node's own applied configuration."""
        if not self.conf_on:
            return self.promotable(nid)
        return cc_.promotable(node[CONF], nid)

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
        if self.conf_on:
            s[PENDING_CONF_INDEX] = 0  # raft.go reset: `r.pendingConfIndex = 0`
            s[MATCH] = ()

    def _become_follower(self, s: list[Any], term: int, lead: int) -> None:
        """raft.go becomeFollower."""
        self._reset(s, term)
        s[LEAD] = lead
        s[ROLE] = FOLLOWER

    def _become_candidate(self, nid: int, s: list[Any], events: list[Event]) -> None:
        """raft.go becomeCandidate: next term, vote for self (rule `self_vote`)."""
        self._reset(s, s[TERM] + 1)
        s[ROLE] = CANDIDATE
        if self.conf_on:
            events.append(("campaign", s[TERM], nid, s[CONF]))
        if self.rules.self_vote(False):
            s[VOTE] = nid
            log = s[LOG]
            events.append(("vote", s[TERM], nid, nid, self.lt(log), len(log)))

    def _become_pre_candidate(self, s: list[Any]) -> None:
        """raft.go becomePreCandidate: term, vote and elapsed are kept."""
        s[GRANTED] = s[REJECTED] = 0
        s[LEAD] = self.rules.pre_candidate_lead(s[LEAD])
        s[ROLE] = PRE_CANDIDATE

    def _become_leader(self, nid: int, s: list[Any], events: list[Event]) -> None:
        """raft.go becomeLeader: reset at the same term, then append an empty entry."""
        counted = s[GRANTED]
        log = s[LOG]
        ev: Event = ("leader", s[TERM], nid, counted, self.lt(log), len(log))
        events.append(ev + (s[CONF],) if self.conf_on else ev)
        self._reset(s, s[TERM])
        s[LEAD] = nid
        s[ROLE] = LEADER
        s[LOG] = log + (s[TERM],)
        if self.conf_on:
            # raft.go becomeLeader: `r.pendingConfIndex = r.raftLog.lastIndex()` before the
            # empty entry; reset's progress has Match 0 (the leader's own: its last index),
            # then appendEntry updates the leader's match and calls maybeCommit.
            s[PENDING_CONF_INDEX] = len(log)
            s[MATCH] = (0,) * self.cfg.n
            self._own_append(nid, s)

    def _bcast_append(self, nid: int, s: list[Any], outs: list[Message]) -> None:
        """raft.go bcastAppend, with the whole log in every MsgApp (SEMANTICS.md)."""
        if self.conf_on:
            # Every Progress of the leader's configuration; MsgApp.Commit = r.raftLog.committed.
            for to in cc_.ids_of(cc_.members(s[CONF])):
                if to != nid:
                    outs.append(msg(MSG_APP, nid, to, s[TERM], entries=s[LOG], commit=s[COMMIT]))
            return
        for to in self.ids:
            if to != nid:
                outs.append(msg(MSG_APP, nid, to, s[TERM], entries=s[LOG]))

    # -- membership changes: commit, match, apply ---------------------------------------------

    def _own_append(self, nid: int, s: list[Any]) -> bool:
        """raft.go appendEntry's tail: `r.prs.Progress[r.id].MaybeUpdate(li)` (skipped when
        the leader removed itself: it has no Progress), then `r.maybeCommit()`."""
        if cc_.members(s[CONF]) >> nid & 1:
            m = list(s[MATCH])
            m[nid - 1] = len(s[LOG])
            s[MATCH] = tuple(m)
        return self._maybe_commit(s)

    def _maybe_commit(self, s: list[Any]) -> bool:
        """raft.go maybeCommit / log.go maybeCommit: the (joint) quorum's committed index,
        taken only if that entry is of the leader's term."""
        mci = cc_.joint_committed_index(s[CONF], s[MATCH])
        log = s[LOG]
        if s[COMMIT] < mci <= len(log) and cc_.entry_term(log[mci - 1]) == s[TERM]:
            s[COMMIT] = mci
            return True
        return False

    def _commit_to(self, s: list[Any], index: int) -> None:
        """log.go commitTo: never decreases (and never past the log: etcd would panic)."""
        index = min(index, len(s[LOG]))
        if index > s[COMMIT]:
            s[COMMIT] = index

    def pending_conf_blocks(self, node: Node, transfer: bool) -> bool:
        """raft.go MsgHup (3.5: hup): a committed, unapplied conf entry stops the campaign
        (`numOfPendingConf(ents) != 0 && committed > applied`), per rule set."""
        rules = self.rules
        if not rules.hup_checks_pending_conf(transfer):
            return False
        commit, applied = node[COMMIT], node[APPLIED]
        if commit <= applied:
            return False
        v1 = v2 = 0
        for e in node[LOG][applied:commit]:
            if e >= 256:
                change = cc_.entry_conf(e)
                if change is not None and change[0]:
                    v2 += 1
                else:
                    v1 += 1
        return rules.num_of_pending_conf(v1, v2) != 0

    def _conf_one_at_a_time(self, s: list[Any], events: list[Event]) -> None:
        """ConfOneAtATime, checked before a leader appends a conf entry."""
        if any(e >= 256 for e in s[LOG][s[APPLIED]:]):
            events.append(("broken", "ConfOneAtATime"))

    def propose_conf(self, nid: int, node: Node, change: cc_.ConfChange) -> StepResult:
        """raft.go stepLeader, MsgProp of an accepted conf entry: pendingConfIndex = its
        index, appendEntry, bcastAppend (the cluster enumerates only accepted changes)."""
        s = list(node)
        events: list[Event] = []
        self._conf_one_at_a_time(s, events)
        s[LOG] = s[LOG] + (cc_.conf_entry(s[TERM], change),)
        s[PENDING_CONF_INDEX] = len(s[LOG])
        self._own_append(nid, s)
        outs: list[Message] = []
        self._bcast_append(nid, s, outs)
        return tuple(s), tuple(outs), tuple(events)  # type: ignore[return-value]

    def accepts_conf(self, node: Node, change: cc_.ConfChange) -> bool:
        """raft.go stepLeader, MsgProp: not refused (alreadyPending, alreadyJoint and not a
        leave, or a leave while not joint)."""
        if self.rules.conf_already_pending(node[PENDING_CONF_INDEX], node[APPLIED]):
            return False
        already_joint = cc_.is_joint(node[CONF])
        wants_leave = cc_.leaves_joint(change)
        return already_joint == wants_leave

    def apply(self, nid: int, node: Node) -> StepResult:
        """Ready.CommittedEntries applied at once (ApplyConfChange for conf entries), then
        Advance: raft.go advance's auto-leave on a leader."""
        s = list(node)
        outs: list[Message] = []
        events: list[Event] = []
        old = conf = s[CONF]
        if conf == cc_.EMPTY_CONF and s[APPLIED] == 0:
            # A node outside the initial configuration (a spare): etcd would hand it a
            # snapshot with the bootstrap ConfState; the model starts it from that config.
            conf = self.bootstrap_conf
        for e in s[LOG][s[APPLIED]:s[COMMIT]]:
            change = cc_.entry_conf(e)
            if change is None:
                continue
            try:
                conf = cc_.apply_change(conf, change)
            except cc_.ConfChangeError:
                # raft.go applyConfChange panics on a change the Changer refuses.
                events.append(("broken", "ConfChangeApplies"))
        s[CONF] = conf
        s[APPLIED] = s[COMMIT]
        if s[ROLE] == LEADER and conf != old:
            self._switch_to_config(nid, s, old, outs)
        if s[ROLE] == LEADER and conf[4] and s[APPLIED] >= s[PENDING_CONF_INDEX]:
            # raft.go advance: AutoLeave and applied >= pendingConfIndex: append an empty V2
            # (not broadcast: it goes out with the next append or heartbeat response).
            self._conf_one_at_a_time(s, events)
            s[LOG] = s[LOG] + (cc_.conf_entry(s[TERM], cc_.LEAVE_JOINT),)
            if self.rules.auto_leave_bumps_pending_conf():
                s[PENDING_CONF_INDEX] = len(s[LOG])
            self._own_append(nid, s)
        return tuple(s), tuple(outs), tuple(events)  # type: ignore[return-value]

    def _switch_to_config(self, nid: int, s: list[Any], old: cc_.Conf, outs: list[Message]) -> None:
        """raft.go switchToConfig on a leader: Progress of removed ids dropped, new ones
        (RecentActive, Match 0) added; a leader that removed or demoted itself stays leader
        and does nothing more; else maybeCommit and bcastAppend, or probe the new ids."""
        conf = s[CONF]
        now, before = cc_.members(conf), cc_.members(old)
        added = now & ~before
        s[MATCH] = tuple(m if now >> (i + 1) & 1 else 0 for i, m in enumerate(s[MATCH]))
        if self.cfg.check_quorum:
            s[ACTIVE] = (s[ACTIVE] & now) | (added & ~(1 << nid))
        if not cc_.promotable(conf, nid):
            return
        if self._maybe_commit(s):
            self._bcast_append(nid, s, outs)
        else:
            for to in cc_.ids_of(added):
                if to != nid:
                    outs.append(msg(MSG_APP, nid, to, s[TERM], entries=s[LOG], commit=s[COMMIT]))

    # -- campaign and tally -------------------------------------------------------------------

    def _poll(self, s: list[Any], frm: int, granted: bool) -> VoteResult:
        """raft.go poll: record the answer, then tally."""
        rules = self.rules
        s[GRANTED], s[REJECTED] = rules.record_vote(s[GRANTED], s[REJECTED], frm, granted)
        return self._tally(s)

    def _tally(self, s: list[Any]) -> VoteResult:
        """tracker.go TallyVotes; with membership changes JointConfig.VoteResult over the
        node's configuration (an empty outgoing half wins, so it is skipped)."""
        rules = self.rules
        if not self.conf_on:
            return rules.tally_votes(self.voter_mask, s[GRANTED], s[REJECTED], rules.quorum)
        conf = s[CONF]
        res = rules.tally_votes(conf[0], s[GRANTED], s[REJECTED], rules.quorum)
        if conf[1]:
            out = rules.tally_votes(conf[1], s[GRANTED], s[REJECTED], rules.quorum)
            res = rules.joint_vote_result(res, out)
        return res

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
            result = self._tally(s)
        if result == VoteResult.WON:
            if kind == CAMPAIGN_PRE_ELECTION:
                self._campaign(nid, s, CAMPAIGN_ELECTION, outs, events)
            else:
                self._become_leader(nid, s, events)
            return
        log = s[LOG]
        force = rules.transfer_forces(kind == CAMPAIGN_TRANSFER)
        # campaign: requests to every voter of the (joint) configuration.
        targets = cc_.ids_of(cc_.voters(s[CONF])) if self.conf_on else self.vote_targets
        for to in targets:
            if to != nid:
                outs.append(msg(vote_type, nid, to, term, self.lt(log), len(log), False, force))

    # -- Step ----------------------------------------------------------------------------------

    def step(self, nid: int, node: Node, m: Message) -> StepResult:
        """raft.go Step for a message from the network, delivered to node `nid`."""
        rules = self.rules
        cfg = self.cfg
        mtype, frm, _to, mterm, mlt, mli, reject, force, entries, _commit = m
        if self.conf_on and mtype in _RESPONSES and not cc_.members(node[CONF]) >> frm & 1:
            # rawnode.go Step: a response from an id without a Progress is refused
            # (ErrStepPeerNotFound) before raft.Step looks at its term.
            return node, (), ()
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
            if self.conf_on:
                self._step_leader_conf(nid, s, m, outs)
            # RecentActive is read only by check-quorum; without it the model does not track it.
            elif self.cfg.check_quorum and (mtype == MSG_APP_RESP or mtype == MSG_HEARTBEAT_RESP):
                s[ACTIVE] |= (1 << frm) & ~(1 << nid)
        else:
            self._step_candidate(nid, s, m, outs, events)

        new = tuple(s)
        if mtype == MSG_PRE_VOTE and (new[TERM] != node[TERM] or new[VOTE] != node[VOTE]):
            events.append(("broken", "PreVoteNoDisruption"))
        return new, tuple(outs), tuple(events)  # type: ignore[return-value]

    def _step_leader_conf(self, nid: int, s: list[Any], m: Message, outs: list[Message]) -> None:
        """raft.go stepLeader for responses, with commit tracking: only ids with a Progress;
        MsgAppResp: MaybeUpdate(m.Index), maybeCommit then bcastAppend; MsgHeartbeatResp:
        sendAppend when the follower's match is behind the leader's last index."""
        mtype, frm = m[0], m[1]
        if mtype != MSG_APP_RESP and mtype != MSG_HEARTBEAT_RESP:
            return
        if not cc_.members(s[CONF]) >> frm & 1:
            return  # `pr := r.prs.Progress[m.From]; if pr == nil`
        if self.cfg.check_quorum and frm != nid:
            s[ACTIVE] |= 1 << frm
        match = s[MATCH]
        if mtype == MSG_APP_RESP:
            if m[5] > match[frm - 1]:
                s[MATCH] = match[: frm - 1] + (m[5],) + match[frm:]
                if self._maybe_commit(s):
                    self._bcast_append(nid, s, outs)
        elif match[frm - 1] < len(s[LOG]):
            outs.append(msg(MSG_APP, nid, frm, s[TERM], entries=s[LOG], commit=s[COMMIT]))

    def _handle_heartbeat(self, nid: int, s: list[Any], m: Message, outs: list[Message]) -> None:
        """raft.go handleHeartbeat: commitTo(m.Commit), then reply."""
        if self.conf_on:
            self._commit_to(s, m[9])
        outs.append(msg(MSG_HEARTBEAT_RESP, nid, m[1], s[TERM]))

    def _handle_vote_request(
        self, nid: int, s: list[Any], m: Message, outs: list[Message], events: list[Event]
    ) -> None:
        """raft.go Step, case MsgVote/MsgPreVote."""
        rules = self.rules
        mtype, frm, _to, mterm, mlt, mli = m[0], m[1], m[2], m[3], m[4], m[5]
        if not self.learners_answer and (
            cc_.is_learner(s[CONF], nid) if self.conf_on else self.is_learner(nid)
        ):
            return
        log = s[LOG]
        lt, li = self.lt(log), len(log)
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
        if self.conf_on and len(entries) < s[COMMIT]:
            # handleAppendEntries: `m.Index < r.raftLog.committed` is answered with the commit
            # index and ignored (the whole-log MsgApp stands for an append after `commit`).
            outs.append(msg(MSG_APP_RESP, nid, m[1], s[TERM], index=s[COMMIT]))
            return
        log = s[LOG]
        if log[: len(entries)] != entries:
            s[LOG] = entries
        if self.conf_on:
            # maybeAppend: commitTo(min(m.Commit, lastnewi)).
            self._commit_to(s, min(m[9], len(entries)))
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
            self._handle_heartbeat(nid, s, m, outs)
        elif mtype == MSG_TIMEOUT_NOW and self.can_promote(nid, s):
            # 3.4.23: campaign(campaignTransfer) at once; 3.5: hup(campaignTransfer) checks.
            if not (self.conf_on and self.pending_conf_blocks(tuple(s), True)):
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
            self._handle_heartbeat(nid, s, m, outs)
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
                if not self._quorum_active(nid, s, active):
                    self._become_follower(s, s[TERM], 0)
                else:
                    s[ACTIVE] = 0
        return tuple(s), (), ()  # type: ignore[return-value]

    def _quorum_active(self, nid: int, s: list[Any], active: int) -> bool:
        """tracker.go QuorumActive; joint: both halves (the leader counts itself only while
        it has a Progress, raft.go MsgCheckQuorum)."""
        rules = self.rules
        if not self.conf_on:
            return rules.quorum_active(self.voter_mask, active, rules.quorum)
        conf = s[CONF]
        if not cc_.members(conf) >> nid & 1:
            active &= ~(1 << nid)
        if not rules.quorum_active(conf[0], active, rules.quorum):
            return False
        return not conf[1] or rules.quorum_active(conf[1], active, rules.quorum)

    def can_time_out(self, nid: int, node: Node) -> bool:
        return self.can_promote(nid, node) and node[ROLE] != LEADER and node[ELAPSED] >= self.et

    def campaigns_on_timeout(self, nid: int, node: Node | None = None) -> bool:
        """Whether a timeout of `nid` starts a campaign (a node with a pending configuration
        change only resets its timer: `--pending-conf`, or with membership changes a
        committed, unapplied conf entry as the rule set counts it)."""
        if nid in self.cfg.pending_conf:
            return False
        return not (self.conf_on and node is not None and self.pending_conf_blocks(node, False))

    def timeout(self, nid: int, node: Node) -> StepResult:
        """raft.go tickElection firing: electionElapsed = 0, then Step(MsgHup)."""
        s = list(node)
        s[ELAPSED] = 0
        outs: list[Message] = []
        events: list[Event] = []
        if self.campaigns_on_timeout(nid, node):
            kind = CAMPAIGN_PRE_ELECTION if self.cfg.pre_vote else CAMPAIGN_ELECTION
            self._campaign(nid, s, kind, outs, events)
        return tuple(s), tuple(outs), tuple(events)  # type: ignore[return-value]

    def heartbeat(self, nid: int, node: Node) -> tuple[Message, ...]:
        """raft.go bcastHeartbeat (MsgBeat on a leader); with membership changes to every
        Progress, carrying `min(pr.Match, r.raftLog.committed)` (sendHeartbeat)."""
        if self.conf_on:
            match, commit = node[MATCH], node[COMMIT]
            return tuple(
                msg(MSG_HEARTBEAT, nid, to, node[TERM], commit=min(match[to - 1], commit))
                for to in cc_.ids_of(cc_.members(node[CONF])) if to != nid
            )
        return tuple(msg(MSG_HEARTBEAT, nid, to, node[TERM]) for to in self.ids if to != nid)

    def transfer_targets(self, nid: int, node: Node) -> list[int]:
        """raft.go stepLeader MsgTransferLeader: a voter of the leader's configuration."""
        if self.conf_on:
            conf = node[CONF]
            return [to for to in cc_.ids_of(cc_.voters(conf))
                    if to != nid and cc_.promotable(conf, to)]
        return [to for to in self.vote_targets if to != nid and self.promotable(to)]

    def restart(self, node: Node) -> Node:
        """Crash and restart: newRaft loads term, vote and log, then becomeFollower(term, None).
        Commit, applied and the configuration survive (the application persisted them);
        match and pendingConfIndex are leader state, reset."""
        return (node[TERM], node[VOTE], 0, FOLLOWER, 0, node[LOG], 0, 0, 0,
                node[COMMIT], node[APPLIED], node[CONF], 0, ())

    def transfer(self, nid: int, node: Node, to: int) -> StepResult:
        """raft.go stepLeader, MsgTransferLeader, with the transferee already caught up."""
        s = list(node)
        s[ELAPSED] = 0
        return tuple(s), (msg(MSG_TIMEOUT_NOW, nid, to, node[TERM]),), ()  # type: ignore[return-value]

    def append(self, nid: int, node: Node) -> StepResult:
        """raft.go stepLeader, MsgProp: appendEntry then bcastAppend."""
        s = list(node)
        s[LOG] = s[LOG] + (s[TERM],)
        if self.conf_on:
            self._own_append(nid, s)
        outs: list[Message] = []
        self._bcast_append(nid, s, outs)
        return tuple(s), tuple(outs), ()  # type: ignore[return-value]


def last_term_conf(log: tuple[int, ...]) -> int:
    """The last entry's term when entries may be conf entries (model/confchange.py)."""
    return log[-1] & 0xFF if log else 0
