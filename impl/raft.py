"""The election code path of etcd's ``raft.go`` (etcd 3.4), ported to Python.

The layout follows raft.go so that the two can be read side by side: ``Raft.Step``
handles the message term first and then ``MsgHup``, the vote requests, and hands
everything else to ``self.step``, which is one of the module-level functions
``step_follower``, ``step_candidate`` or ``step_leader``; ``self.tick`` is
``tick_election`` or ``tick_heartbeat``.

Places where the port follows the shared abstraction of SEMANTICS.md rather than
etcd are marked "Shared abstraction". The hooks for the planted bugs are the
module-level functions ``can_vote``, ``vote_grant_term`` and
``clears_vote_on_reset`` (and ``impl.quorum.quorum``); they are looked up at call
time, so ``monkeypatch.setattr`` on this module replaces them.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import replace
from enum import IntEnum, StrEnum

from impl.confchange import Changer, ConfChangeError
from impl.config import RULES_ETCD_35, RULES_SEED, Config
from impl.log import RaftLog
from impl.quorum import VoteResult
from impl.raftpb import (
    NONE,
    ConfChangeV2,
    ConfState,
    Entry,
    EntryType,
    Message,
    MessageType,
    vote_resp_msg_type,
)
from impl.tracker import Progress, ProgressTracker, TrackerConfig

logger = logging.getLogger(__name__)

MT = MessageType


class StateType(IntEnum):
    """Role of a node, numbered like etcd's ``StateType``."""

    StateFollower = 0
    StateCandidate = 1
    StateLeader = 2
    StatePreCandidate = 3

    def __str__(self) -> str:
        return self.name

    @property
    def role(self) -> str:
        """The role name used by ``Status`` and by the reference model."""
        return _ROLE_NAMES[self]


_ROLE_NAMES = {
    StateType.StateFollower: "follower",
    StateType.StateCandidate: "candidate",
    StateType.StateLeader: "leader",
    StateType.StatePreCandidate: "pre-candidate",
}


class CampaignType(StrEnum):
    """Kinds of campaign; the values are etcd's strings."""

    PreElection = "CampaignPreElection"
    Election = "CampaignElection"
    Transfer = "CampaignTransfer"


CAMPAIGN_TRANSFER_CONTEXT = CampaignType.Transfer.value.encode()
"""``Message.context`` of the vote requests of a transfer campaign."""


class RaftError(Exception):
    """Errors etcd returns from ``Step``."""


class ErrProposalDropped(RaftError):
    """A proposal was ignored (no leader known, or not a member)."""


class RaftPanic(RuntimeError):
    """Raised where etcd panics."""


StepFunc = Callable[["Raft", Message], None]


# --------------------------------------------------------------------------
# Hooks for planted bugs (see impl/__init__.py). Keep them tiny and pure.
# --------------------------------------------------------------------------


def can_vote(r: Raft, m: Message) -> bool:
    """May ``r`` grant the (pre-)vote request ``m``, log freshness aside?

    Yes if it already voted for the sender in this term, if it has neither voted
    nor heard from a leader in this term, or if ``m`` is a pre-vote for a later term.
    """
    return (
        r.vote == m.frm
        or (r.vote == NONE and r.lead == NONE)
        or (m.type == MT.MsgPreVote and m.term > r.term)
    )


def vote_grant_term(r: Raft, m: Message) -> int:
    """Term stamped on a granted (pre-)vote reply: the request's term.

    For a pre-vote the local term may be older than ``m.term``; answering with the
    local term would make the pre-candidate drop the grant as stale.
    """
    return m.term


def clears_vote_on_reset(r: Raft, term: int) -> bool:
    """Does ``reset(term)`` start a new term (and so forget the vote)?"""
    return r.term != term


def grant_resets_elapsed(r: Raft, m: Message) -> bool:
    """Does granting ``m`` restart the election timer? Only a real vote counts as contact."""
    return m.type == MT.MsgVote


def grant_records_vote(r: Raft, m: Message) -> bool:
    """Does granting ``m`` remember the vote? A pre-vote grant is not a vote."""
    return m.type == MT.MsgVote


def votes_for_self(r: Raft, t: CampaignType) -> bool:
    """Does a campaign of kind ``t`` count our own grant (and, for a real campaign, set
    ``r.vote = r.id``)?"""
    return True


def pre_vote_request_term(r: Raft) -> int:
    """The term a pre-candidate asks for: the one it would move to."""
    return r.term + 1


def lease_guards(r: Raft, m: Message) -> bool:
    """May the check-quorum lease drop the higher-term message ``m``? Vote requests only."""
    return m.type in (MT.MsgVote, MT.MsgPreVote)


def marks_transfer(r: Raft, t: CampaignType) -> bool:
    """Do the requests of a campaign of kind ``t`` carry the transfer context (force)?"""
    return t == CampaignType.Transfer


def hup_checks_pending_conf(r: Raft, t: CampaignType) -> bool:
    """Does a campaign of kind ``t`` first check for committed, unapplied conf changes?

    etcd 3.4.23 checks in ``Step``'s MsgHup case only: a MsgTimeoutNow campaigns at once
    (etcd #12134). etcd 3.5 routes both through ``hup``, which checks.
    """
    return r.rules == RULES_ETCD_35 or t != CampaignType.Transfer


def auto_leave_bumps_pending_conf(r: Raft) -> bool:
    """etcd 3.4.23 advance moves pendingConfIndex only when the auto-leave append fails
    (etcd #12582); etcd PR #14545 proposes it through Step, which moves it."""
    return r.rules == RULES_ETCD_35


def pending_conf_counts_v2(r: Raft) -> bool:
    """Does the check count ConfChangeV2 entries? etcd 3.4.23 counts V1 only (etcd #12133)."""
    return r.rules == RULES_ETCD_35


# --------------------------------------------------------------------------


class Raft:
    """One node's Raft state machine, restricted to leader election."""

    def __init__(self, c: Config) -> None:
        c.validate()
        self.id = c.id
        self.term = 0
        self.vote = NONE
        if c.entries is not None:
            self.raft_log = RaftLog(c.entries, c.pending_conf, c.commit, c.applied)
        else:
            self.raft_log = RaftLog.from_terms(c.log_terms, c.pending_conf)
            self.raft_log.commit_to(c.commit)
            self.raft_log.applied_to(c.applied)
        self.prs = ProgressTracker(
            c.voters, c.learners, c.rules, c.voters_outgoing, c.learners_next, c.auto_leave
        )
        self.rules = c.rules
        # Membership changes (Config.track_commit): commit tracking, pendingConfIndex and
        # configurations that take effect when applied. Off: nothing ever commits.
        self.track_commit = c.track_commit
        # A conf change may be proposed only once the log up to here is applied.
        self.pending_conf_index = 0
        self.state = StateType.StateFollower
        pr = self.prs.progress.get(self.id)
        self.is_learner = pr is not None and pr.is_learner
        self.msgs: list[Message] = []
        self.lead = NONE
        self.election_elapsed = 0
        self.heartbeat_elapsed = 0
        self.check_quorum = c.check_quorum
        self.pre_vote = c.pre_vote
        self.heartbeat_timeout = c.heartbeat_tick
        self.election_timeout = c.election_tick
        self.randomized_election_timeout = 0
        self.rand: Callable[[int], int] = c.rand if c.rand is not None else random.randrange
        self.tick: Callable[[], None] = self.tick_election
        self.step: StepFunc = step_follower
        # loadState: the HardState is restored before becoming a follower, so the
        # vote survives (reset keeps it because the term does not change).
        self.term = c.term
        self.vote = c.vote
        self.become_follower(self.term, NONE)

    def __repr__(self) -> str:
        return (
            f"Raft(id={self.id}, term={self.term}, vote={self.vote}, lead={self.lead}, "
            f"state={self.state}, elapsed={self.election_elapsed}, log={self.raft_log.terms()}, "
            f"commit={self.raft_log.committed}, applied={self.raft_log.applied}, "
            f"config={self.prs.config!r})"
        )

    # ----------------------------------------------------------- messages out

    def send(self, m: Message) -> None:
        """Queue ``m`` in the outbox, stamping the sender and (for most types) the term.

        Vote requests and vote replies must already carry a term; every other
        message must not, and gets the current term, except proposals, which are
        forwarded like local messages.
        """
        if m.type in _VOTE_MSGS:
            if m.term == 0:
                raise RaftPanic(f"term should be set when sending {m.type}")
            m = replace(m, frm=self.id)
        else:
            if m.term != 0:
                raise RaftPanic(f"term should not be set when sending {m.type} (was {m.term})")
            if m.type not in (MT.MsgProp, MT.MsgReadIndex):
                m = replace(m, frm=self.id, term=self.term)
            else:
                m = replace(m, frm=self.id)
        self.msgs.append(m)

    def send_append(self, to: int) -> None:
        """Send ``MsgApp`` to ``to``.

        Shared abstraction (SEMANTICS.md, "Abstraction of log replication"): the
        message always carries the whole log after index 0 (``index = log_term = 0``,
        which every log matches), so there is no probing, no Next/Match, no
        inflight window and no snapshot.
        """
        self.send(
            Message(
                type=MT.MsgApp,
                to=to,
                index=0,
                log_term=0,
                entries=tuple(self.raft_log.all_entries()),
                commit=self.raft_log.committed,
            )
        )

    def send_heartbeat(self, to: int, ctx: bytes) -> None:
        """Send ``MsgHeartbeat`` to ``to``.

        It carries ``min(match, committed)``, so that a follower never commits past what
        it is known to hold; without commit tracking (shared abstraction) that is 0.
        """
        commit = min(self.prs.progress[to].match, self.raft_log.committed)
        self.send(Message(type=MT.MsgHeartbeat, to=to, commit=commit, context=ctx))

    def bcast_append(self) -> None:
        """``MsgApp`` to every tracked peer (voters and learners) but ourselves."""
        for id in sorted(self.prs.progress):
            if id != self.id:
                self.send_append(id)

    def bcast_heartbeat(self) -> None:
        """``MsgHeartbeat`` to every tracked peer but ourselves (no read-only context)."""
        for id in sorted(self.prs.progress):
            if id != self.id:
                self.send_heartbeat(id, b"")

    def send_timeout_now(self, to: int) -> None:
        self.send(Message(type=MT.MsgTimeoutNow, to=to))

    # ----------------------------------------------------------- state changes

    def has_leader(self) -> bool:
        return self.lead != NONE

    def reset(self, term: int) -> None:
        """Start (or restart) ``term``: the vote is forgotten only on a new term."""
        if clears_vote_on_reset(self, term):
            self.term = term
            self.vote = NONE
        self.lead = NONE
        self.election_elapsed = 0
        self.heartbeat_elapsed = 0
        self.reset_randomized_election_timeout()
        # Shared abstraction: leadTransferee is not modelled, so there is no
        # transfer to abort here.
        self.prs.reset_votes()
        last = self.raft_log.last_index()
        for id, pr in list(self.prs.progress.items()):
            self.prs.progress[id] = Progress(
                match=last if id == self.id else 0,
                next=last + 1,
                is_learner=pr.is_learner,
            )
        self.pending_conf_index = 0

    def append_entry(self, *es: Entry) -> bool:
        """Append ``es`` to the leader's own log, stamped with its term and indexes."""
        li = self.raft_log.last_index()
        stamped = [replace(e, term=self.term, index=li + 1 + i) for i, e in enumerate(es)]
        li = self.raft_log.append(stamped)
        pr = self.prs.progress.get(self.id)
        if pr is not None:
            pr.maybe_update(li)
        # The caller broadcasts whether or not this commits anything.
        self.maybe_commit()
        return True

    def maybe_commit(self) -> bool:
        """Advance the commit index to what a (joint) quorum holds, if that entry is of our
        term; True if it moved. Shared abstraction: never without commit tracking."""
        if not self.track_commit:
            return False
        return self.raft_log.maybe_commit(self.prs.committed(), self.term)

    def tick_election(self) -> None:
        """Tick of followers and (pre-)candidates: campaign once the timeout is reached."""
        self.election_elapsed += 1
        if self.promotable() and self.past_election_timeout():
            self.election_elapsed = 0
            self.Step(Message(type=MT.MsgHup, frm=self.id))

    def tick_heartbeat(self) -> None:
        """Tick of a leader: check quorum every election timeout, beat every heartbeat timeout."""
        self.heartbeat_elapsed += 1
        self.election_elapsed += 1
        if self.election_elapsed >= self.election_timeout:
            self.election_elapsed = 0
            if self.check_quorum:
                self.Step(Message(type=MT.MsgCheckQuorum, frm=self.id))
            # Shared abstraction: no leadTransferee to abort.
        if self.state != StateType.StateLeader:
            return
        if self.heartbeat_elapsed >= self.heartbeat_timeout:
            self.heartbeat_elapsed = 0
            self.Step(Message(type=MT.MsgBeat, frm=self.id))

    def become_follower(self, term: int, lead: int) -> None:
        self.step = step_follower
        self.reset(term)
        self.tick = self.tick_election
        self.lead = lead
        self.state = StateType.StateFollower
        logger.debug("%x became follower at term %d", self.id, self.term)

    def become_candidate(self) -> None:
        if self.state == StateType.StateLeader:
            raise RaftPanic("invalid transition [leader -> candidate]")
        self.step = step_candidate
        self.reset(self.term + 1)
        self.tick = self.tick_election
        if votes_for_self(self, CampaignType.Election):
            self.vote = self.id
        self.state = StateType.StateCandidate
        logger.debug("%x became candidate at term %d", self.id, self.term)

    def become_pre_candidate(self) -> None:
        if self.state == StateType.StateLeader:
            raise RaftPanic("invalid transition [leader -> pre-candidate]")
        # Only the step function, the tally, the leader and the role change: the
        # term, the vote, the elapsed ticks and the randomized timeout stay.
        self.step = step_candidate
        self.prs.reset_votes()
        self.tick = self.tick_election
        self.lead = NONE
        self.state = StateType.StatePreCandidate
        logger.debug("%x became pre-candidate at term %d", self.id, self.term)

    def become_leader(self) -> None:
        if self.state == StateType.StateFollower:
            raise RaftPanic("invalid transition [follower -> leader]")
        self.step = step_leader
        self.reset(self.term)
        self.tick = self.tick_heartbeat
        self.lead = self.id
        self.state = StateType.StateLeader
        # Whether or not the log holds an unapplied conf change, none may be proposed until
        # everything up to here is applied (cheaper than scanning the log).
        self.pending_conf_index = self.raft_log.last_index()
        # The empty entry of the new term.
        self.append_entry(Entry())
        logger.debug("%x became leader at term %d", self.id, self.term)

    def campaign(self, t: CampaignType) -> None:
        """Become (pre-)candidate, vote for ourselves and ask every other voter."""
        if not self.promotable():
            # Callers check this; etcd only warns and carries on.
            logger.warning("%x is unpromotable; campaign() should not have been called", self.id)
        if t == CampaignType.PreElection:
            self.become_pre_candidate()
            vote_msg = MT.MsgPreVote
            # Pre-votes are requested for the term we would move to.
            term = pre_vote_request_term(self)
        else:
            self.become_candidate()
            vote_msg = MT.MsgVote
            term = self.term
        if votes_for_self(self, t):
            _, _, res = self.poll(self.id, vote_resp_msg_type(vote_msg), True)
        else:
            _, _, res = self.prs.tally_votes()
        if res == VoteResult.VoteWon:
            # Our own vote is a quorum: go straight to the next phase.
            if t == CampaignType.PreElection:
                self.campaign(CampaignType.Election)
            else:
                self.become_leader()
            return
        ctx = CAMPAIGN_TRANSFER_CONTEXT if marks_transfer(self, t) else b""
        for id in self.prs.voter_nodes():
            if id == self.id:
                continue
            self.send(
                Message(
                    type=vote_msg,
                    to=id,
                    term=term,
                    index=self.raft_log.last_index(),
                    log_term=self.raft_log.last_term(),
                    context=ctx,
                )
            )

    def poll(self, id: int, t: MessageType, v: bool) -> tuple[int, int, VoteResult]:
        """Record ``id``'s answer of type ``t`` and tally the election."""
        logger.debug("%x received %s %s from %x at term %d", self.id, t,
                     "grant" if v else "rejection", id, self.term)
        self.prs.record_vote(id, v)
        return self.prs.tally_votes()

    # ----------------------------------------------------------- Step

    def Step(self, m: Message) -> None:  # noqa: N802 - etcd's name
        """Handle one message: the term comparison first, then the message type."""
        if m.term == 0:
            pass  # a local message
        elif m.term > self.term:
            if lease_guards(self, m):
                force = m.context == CAMPAIGN_TRANSFER_CONTEXT
                in_lease = (
                    self.check_quorum
                    and self.lead != NONE
                    and self.election_elapsed < self.election_timeout
                )
                if not force and in_lease:
                    # Heard from a leader within the election timeout: ignore the
                    # request without adopting its term.
                    return
            if m.type == MT.MsgPreVote:
                pass  # a pre-vote never moves our term
            elif m.type == MT.MsgPreVoteResp and not m.reject:
                # A granted pre-vote carries the term we asked for; we move to it
                # only once a quorum has granted.
                pass
            elif m.type in (MT.MsgApp, MT.MsgHeartbeat, MT.MsgSnap):
                self.become_follower(m.term, m.frm)
            else:
                self.become_follower(m.term, NONE)
        elif m.term < self.term:
            if (self.check_quorum or self.pre_vote) and m.type in (MT.MsgHeartbeat, MT.MsgApp):
                # A stale leader: answer so that it learns about our term (we may
                # have moved on during a partition and would otherwise never
                # hear from it again).
                self.send(Message(type=MT.MsgAppResp, to=m.frm))
            elif m.type == MT.MsgPreVote:
                # Reject explicitly so a pre-candidate at a lower term is not
                # left waiting.
                self.send(
                    Message(type=MT.MsgPreVoteResp, to=m.frm, term=self.term, reject=True)
                )
            return

        match m.type:
            case MT.MsgHup:
                if self.state != StateType.StateLeader:
                    if not self.promotable():
                        logger.debug("%x is unpromotable; ignoring MsgHup", self.id)
                        return
                    if self.pre_vote:
                        self.hup(CampaignType.PreElection)
                    else:
                        self.hup(CampaignType.Election)
            case MT.MsgVote | MT.MsgPreVote:
                if self.rules == RULES_SEED and self.is_learner:
                    # Rule set "seed": learners never answer vote requests.
                    return
                if can_vote(self, m) and self.raft_log.is_up_to_date(m.index, m.log_term):
                    self.send(
                        Message(
                            type=vote_resp_msg_type(m.type),
                            to=m.frm,
                            term=vote_grant_term(self, m),
                        )
                    )
                    # Only real votes are remembered, and count as contact.
                    if grant_resets_elapsed(self, m):
                        self.election_elapsed = 0
                    if grant_records_vote(self, m):
                        self.vote = m.frm
                else:
                    self.send(
                        Message(
                            type=vote_resp_msg_type(m.type),
                            to=m.frm,
                            term=self.term,
                            reject=True,
                        )
                    )
            case _:
                self.step(self, m)

    step_msg = Step

    def hup(self, t: CampaignType) -> None:
        """Campaign unless a committed conf change is still to be applied (for the campaign
        kinds the rule set checks: ``hup_checks_pending_conf``)."""
        if hup_checks_pending_conf(self, t) and self.raft_log.has_pending_conf(
            pending_conf_counts_v2(self)
        ):
            logger.debug("%x has a pending conf change; not campaigning (%s)", self.id, t)
            return
        self.campaign(t)

    # ----------------------------------------------------------- membership

    def apply_conf_change(self, cc: ConfChangeV2) -> ConfState:
        """Compute the configuration after ``cc`` and switch to it (etcd panics on an
        invalid change; so does this, with RaftPanic)."""
        changer = Changer(self.prs, self.raft_log.last_index())
        try:
            if cc.leave_joint():
                cfg, prs = changer.leave_joint()
            else:
                auto_leave, ok = cc.enter_joint()
                if ok:
                    cfg, prs = changer.enter_joint(auto_leave, *cc.changes)
                else:
                    cfg, prs = changer.simple(*cc.changes)
        except ConfChangeError as e:
            raise RaftPanic(f"{self.id:x} cannot apply {cc}: {e}") from e
        return self.switch_to_config(cfg, prs)

    def restore_conf(self, cs: ConfState) -> None:
        """Adopt configuration ``cs`` with fresh progress (etcd ``confchange.Restore`` from a
        snapshot's ConfState, for a node that has none)."""
        t = ProgressTracker(cs.voters, cs.learners, self.rules, cs.voters_outgoing,
                            cs.learners_next, cs.auto_leave)
        self.switch_to_config(t.config, t.progress)

    def switch_to_config(self, cfg: TrackerConfig, prs: dict[int, Progress]) -> ConfState:
        """Install a new configuration and progress map.

        A leader that removed (or demoted) itself stays leader: it keeps serving until the
        application moves leadership away. Otherwise a leader commits what the new quorum
        allows and, if that moved the commit index, tells everyone; if not, it still sends
        its log to the peers the change added (etcd: to every peer whose Next is behind,
        which without probing (shared abstraction) are the new ones).
        """
        added = sorted(set(prs) - set(self.prs.progress))
        self.prs.config = cfg
        self.prs.progress = prs
        logger.debug("%x switched to configuration %r", self.id, cfg)
        cs = self.prs.conf_state()
        pr = self.prs.progress.get(self.id)
        self.is_learner = pr is not None and pr.is_learner
        if (pr is None or self.is_learner) and self.state == StateType.StateLeader:
            return cs
        if self.state != StateType.StateLeader or not cs.voters:
            return cs
        if self.maybe_commit():
            self.bcast_append()
        else:
            for id in added:
                if id != self.id:
                    self.send_append(id)
        return cs

    def advance(self, applied: int) -> None:
        """The application applied everything up to ``applied`` (etcd ``advance``).

        A leader whose joint configuration is to be left automatically proposes the empty
        ConfChangeV2 once it has applied the entry that entered it. Like etcd, it only
        appends it: the entry goes out with the next broadcast. Like etcd 3.4.23, it leaves
        pendingConfIndex where it is (raft.go moves it only when the append fails), so a later
        advance while still joint appends another leave entry, and applying that one panics
        (tests/impl/test_conf_change.py).
        """
        if applied <= 0:
            return
        self.raft_log.applied_to(applied)
        c = self.prs.config
        leader = self.state == StateType.StateLeader
        if c.auto_leave and applied >= self.pending_conf_index and leader:
            leave = Entry(type=EntryType.EntryConfChangeV2, cc=ConfChangeV2())
            if self.append_entry(leave) and auto_leave_bumps_pending_conf(self):
                self.pending_conf_index = self.raft_log.last_index()
            logger.debug("%x leaves the joint configuration %r automatically", self.id, c)

    # ----------------------------------------------------------- handlers

    def handle_append_entries(self, m: Message) -> None:
        # etcd answers an append below its commit index with that index and ignores it.
        # Shared abstraction: every MsgApp carries the whole log after index 0, which is
        # never stale in that sense (its entries are matched one by one below), so the
        # shortcut is kept for appends after a real index only.
        if 0 < m.index < self.raft_log.committed or (
            self.track_commit and m.index == 0 and len(m.entries) < self.raft_log.committed
        ):
            self.send(Message(type=MT.MsgAppResp, to=m.frm, index=self.raft_log.committed))
            return
        mlastindex, ok = self.raft_log.maybe_append(m.index, m.log_term, m.commit, m.entries)
        if ok:
            # Shared abstraction: with index 0 this is len(m.entries).
            self.send(Message(type=MT.MsgAppResp, to=m.frm, index=mlastindex))
        else:
            self.send(
                Message(
                    type=MT.MsgAppResp,
                    to=m.frm,
                    index=m.index,
                    reject=True,
                    reject_hint=self.raft_log.last_index(),
                )
            )

    def handle_heartbeat(self, m: Message) -> None:
        self.raft_log.commit_to(m.commit)
        self.send(Message(type=MT.MsgHeartbeatResp, to=m.frm, context=m.context))

    # ----------------------------------------------------------- helpers

    def promotable(self) -> bool:
        """Can this node ever lead: is it tracked, and not as a learner?"""
        pr = self.prs.progress.get(self.id)
        return pr is not None and not pr.is_learner

    def past_election_timeout(self) -> bool:
        return self.election_elapsed >= self.randomized_election_timeout

    def reset_randomized_election_timeout(self) -> None:
        """Draw a new timeout in ``[election_timeout, 2 * election_timeout)``."""
        self.randomized_election_timeout = self.election_timeout + self.rand(self.election_timeout)

    def read_messages(self) -> list[Message]:
        """Drain the outbox."""
        msgs = self.msgs
        self.msgs = []
        return msgs


_VOTE_MSGS = frozenset({MT.MsgVote, MT.MsgVoteResp, MT.MsgPreVote, MT.MsgPreVoteResp})


# --------------------------------------------------------------------------
# Step functions, swapped in by become_* (etcd's stepLeader/stepCandidate/stepFollower).
# --------------------------------------------------------------------------


def step_leader(r: Raft, m: Message) -> None:
    match m.type:
        case MT.MsgBeat:
            r.bcast_heartbeat()
            return
        case MT.MsgCheckQuorum:
            pr = r.prs.progress.get(r.id)
            if pr is not None:
                pr.recent_active = True
            if not r.prs.quorum_active():
                logger.debug("%x stepped down to follower since quorum is not active", r.id)
                r.become_follower(r.term, NONE)
            # Everyone but us starts the next check as inactive.
            for id, p in r.prs.progress.items():
                if id != r.id:
                    p.recent_active = False
            return
        case MT.MsgProp:
            if not m.entries:
                raise RaftPanic(f"{r.id:x} stepped empty MsgProp")
            if r.id not in r.prs.progress:
                raise ErrProposalDropped("not a member of the configuration")
            # Shared abstraction: no leadTransferee, so proposals are never refused
            # during a transfer.
            entries = list(m.entries)
            for i, e in enumerate(entries):
                if e.cc is None or e.type == EntryType.EntryNormal:
                    continue
                if not accept_conf_change(r, e):
                    # Refused: the slot becomes an empty normal entry.
                    entries[i] = Entry()
                else:
                    r.pending_conf_index = r.raft_log.last_index() + i + 1
            r.append_entry(*entries)
            r.bcast_append()
            return
        case MT.MsgReadIndex:
            return  # read-only requests are not modelled

    pr = r.prs.progress.get(m.frm)
    if pr is None:
        return
    match m.type:
        case MT.MsgAppResp:
            pr.recent_active = True
            # Shared abstraction: no probing or resend (every MsgApp carries the whole log,
            # so it is never rejected), and without commit tracking nothing else happens.
            if r.track_commit and not m.reject and pr.maybe_update(m.index):
                if r.maybe_commit():
                    r.bcast_append()
        case MT.MsgHeartbeatResp:
            pr.recent_active = True
            # A peer behind the leader's log gets it again (with commit tracking only; the
            # election-only abstraction sends nothing here).
            if r.track_commit and pr.match < r.raft_log.last_index():
                r.send_append(m.frm)
        case MT.MsgTransferLeader:
            if pr.is_learner:
                return
            lead_transferee = m.frm
            if lead_transferee == r.id:
                return
            # The transfer should finish within one election timeout.
            r.election_elapsed = 0
            # Shared abstraction: the transferee is treated as caught up, so
            # MsgTimeoutNow goes out at once and leadTransferee is not recorded.
            r.send_timeout_now(lead_transferee)


def step_candidate(r: Raft, m: Message) -> None:
    """Shared by candidates and pre-candidates; each polls only its own reply type."""
    if r.state == StateType.StatePreCandidate:
        my_vote_resp_type = MT.MsgPreVoteResp
    else:
        my_vote_resp_type = MT.MsgVoteResp
    match m.type:
        case MT.MsgProp:
            raise ErrProposalDropped(f"no leader at term {r.term}")
        case MT.MsgApp:
            r.become_follower(m.term, m.frm)  # m.term == r.term here
            r.handle_append_entries(m)
        case MT.MsgHeartbeat:
            r.become_follower(m.term, m.frm)  # m.term == r.term here
            r.handle_heartbeat(m)
        case MT.MsgTimeoutNow:
            logger.debug("%x ignored MsgTimeoutNow from %x as %s", r.id, m.frm, r.state)
        case _ if m.type == my_vote_resp_type:
            _, _, res = r.poll(m.frm, m.type, not m.reject)
            if res == VoteResult.VoteWon:
                if r.state == StateType.StatePreCandidate:
                    r.campaign(CampaignType.Election)
                else:
                    r.become_leader()
                    r.bcast_append()
            elif res == VoteResult.VoteLost:
                # A pre-vote reply may carry a later term; stay at ours.
                r.become_follower(r.term, NONE)


def step_follower(r: Raft, m: Message) -> None:
    match m.type:
        case MT.MsgProp:
            if r.lead == NONE:
                raise ErrProposalDropped(f"no leader at term {r.term}")
            r.send(replace(m, to=r.lead))
        case MT.MsgApp:
            r.election_elapsed = 0
            r.lead = m.frm
            r.handle_append_entries(m)
        case MT.MsgHeartbeat:
            r.election_elapsed = 0
            r.lead = m.frm
            r.handle_heartbeat(m)
        case MT.MsgTransferLeader:
            if r.lead == NONE:
                return
            r.send(replace(m, to=r.lead))
        case MT.MsgTimeoutNow:
            if r.promotable():
                # A transfer never uses pre-vote. etcd 3.4.23 campaigns at once, without the
                # pending-conf check of MsgHup; etcd 3.5 checks here too.
                r.hup(CampaignType.Transfer)


def accept_conf_change(r: Raft, e: Entry) -> bool:
    """May the leader append the conf change entry ``e``? Not while an earlier one may be
    unapplied, not a new change inside a joint configuration, and not a "leave joint"
    outside one."""
    assert e.cc is not None
    already_pending = r.pending_conf_index > r.raft_log.applied
    already_joint = len(r.prs.config.voters.outgoing) > 0
    wants_leave_joint = len(e.cc.as_v2().changes) == 0
    if already_pending:
        why = f"possible unapplied conf change at index {r.pending_conf_index} " \
              f"(applied to {r.raft_log.applied})"
    elif already_joint and not wants_leave_joint:
        why = "must transition out of joint config first"
    elif not already_joint and wants_leave_joint:
        why = "not in joint state; refusing empty conf change"
    else:
        return True
    logger.debug("%x ignoring conf change %s at config %r: %s", r.id, e.cc, r.prs.config, why)
    return False
