"""Membership changes on impl/: etcd's own conf-change tests (raft_test.go, rawnode_test.go)
re-expressed, the campaign guard of etcd 3.4.23 with its two gaps (etcd #12133: a ConfChangeV2
is not counted; #12134: MsgTimeoutNow campaigns without the check) and the ``etcd-3.5`` rule
set that closes both."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

import pytest

from impl import Config, Entry, Message, MessageType, RawNode
from impl.confchange import Changer, ConfChangeError
from impl.quorum import JointConfig, MajorityConfig, VoteResult
from impl.raft import Raft, RaftPanic, StateType
from impl.raftpb import (
    ConfChange,
    ConfChangeSingle,
    ConfChangeTransition,
    ConfChangeV2,
    ConfState,
    EntryType,
)
from impl.raftpb import ConfChangeType as CT
from impl.tracker import ProgressTracker

MT = MessageType
L, F = StateType.StateLeader, StateType.StateFollower
AUTO = ConfChangeTransition.ConfChangeTransitionAuto
IMPLICIT = ConfChangeTransition.ConfChangeTransitionJointImplicit
EXPLICIT = ConfChangeTransition.ConfChangeTransitionJointExplicit
WON, LOST, PENDING = VoteResult.VoteWon, VoteResult.VoteLost, VoteResult.VotePending


def v2(*changes: tuple[CT, int], transition: ConfChangeTransition = AUTO) -> ConfChangeV2:
    return ConfChangeV2(transition, tuple(ConfChangeSingle(t, n) for t, n in changes))


def raft(id: int = 1, voters: Sequence[int] = (1, 2), learners: Sequence[int] = (),
         **kw: object) -> Raft:
    return Raft(Config(id=id, voters=voters, learners=learners, rand=lambda n: 0,
                       track_commit=True, **kw))  # type: ignore[arg-type]


def leader(r: Raft) -> Raft:
    r.become_candidate()
    r.become_leader()
    r.read_messages()
    return r


def propose_conf(r: Raft, cc: ConfChange | ConfChangeV2) -> None:
    t = EntryType.EntryConfChange if isinstance(cc, ConfChange) else EntryType.EntryConfChangeV2
    r.Step(Message(type=MT.MsgProp, frm=r.id, entries=(Entry(type=t, cc=cc),)))


def apply_all(r: Raft) -> list[Entry]:
    """What an application does with Ready.CommittedEntries, then Advance."""
    ents = r.raft_log.next_ents()
    for e in ents:
        if e.cc is not None and e.type != EntryType.EntryNormal:
            r.apply_conf_change(e.cc.as_v2())
    if ents:
        r.advance(ents[-1].index)
    return ents


# ----------------------------------------------------------- pendingConfIndex, MsgProp


def test_step_config_sets_pending_conf_index() -> None:
    r = leader(raft())
    index = r.raft_log.last_index()
    propose_conf(r, ConfChange(CT.ConfChangeAddNode, 3))
    assert r.raft_log.last_index() == index + 1
    assert r.pending_conf_index == index + 1


def test_second_conf_change_while_pending_becomes_empty_entry() -> None:
    r = leader(raft())
    propose_conf(r, ConfChange(CT.ConfChangeAddNode, 3))
    pci = r.pending_conf_index
    propose_conf(r, ConfChange(CT.ConfChangeAddNode, 4))
    last = r.raft_log.entries[-1]
    assert (last.type, last.cc, last.term, last.index) == (EntryType.EntryNormal, None, 1, 3)
    assert r.pending_conf_index == pci


@pytest.mark.parametrize(("pre_entry", "want"), [(False, 0), (True, 1)])
def test_new_leader_pending_conf_index_is_its_last_index(pre_entry: bool, want: int) -> None:
    r = raft(**({"log_terms": (1,), "term": 1} if pre_entry else {}))
    leader(r)
    assert r.pending_conf_index == want


def test_joint_refuses_new_change_and_non_joint_refuses_leave() -> None:
    r = leader(raft(voters=(1,)))
    apply_all(r)  # the empty entry of term 1 commits at once (single voter)
    propose_conf(r, ConfChangeV2())  # not joint: "leave" is refused
    assert r.raft_log.entries[-1].type == EntryType.EntryNormal
    propose_conf(r, v2((CT.ConfChangeAddNode, 2), transition=EXPLICIT))
    assert r.raft_log.entries[-1].type == EntryType.EntryConfChangeV2
    apply_all(r)
    assert r.prs.config.joint() and not r.prs.config.auto_leave
    propose_conf(r, v2((CT.ConfChangeAddNode, 3)))  # joint: only a leave is accepted
    assert r.raft_log.entries[-1].type == EntryType.EntryNormal
    propose_conf(r, ConfChangeV2())
    assert r.raft_log.entries[-1].cc == ConfChangeV2()


# ----------------------------------------------------------- applyConfChange


def test_add_node() -> None:
    r = raft(voters=(1,))
    r.apply_conf_change(ConfChange(CT.ConfChangeAddNode, 2).as_v2())
    assert r.prs.voter_nodes() == [1, 2]


def test_add_learner_promote_demote_self() -> None:
    r = raft(voters=(1,))
    r.apply_conf_change(ConfChange(CT.ConfChangeAddLearnerNode, 2).as_v2())
    assert not r.is_learner
    assert r.prs.learner_nodes() == [2] and r.prs.progress[2].is_learner
    r.apply_conf_change(ConfChange(CT.ConfChangeAddNode, 2).as_v2())
    assert not r.prs.progress[2].is_learner
    r.apply_conf_change(ConfChange(CT.ConfChangeAddLearnerNode, 1).as_v2())
    assert r.prs.progress[1].is_learner and r.is_learner and not r.promotable()
    r.apply_conf_change(ConfChange(CT.ConfChangeAddNode, 1).as_v2())
    assert not r.prs.progress[1].is_learner and not r.is_learner and r.promotable()


def test_remove_node_and_the_last_voter_panics() -> None:
    r = raft()
    r.apply_conf_change(ConfChange(CT.ConfChangeRemoveNode, 2).as_v2())
    assert r.prs.voter_nodes() == [1]
    with pytest.raises(RaftPanic, match="removed all voters"):
        r.apply_conf_change(ConfChange(CT.ConfChangeRemoveNode, 1).as_v2())


def test_remove_learner() -> None:
    r = raft(voters=(1,), learners=(2,))
    r.apply_conf_change(ConfChange(CT.ConfChangeRemoveNode, 2).as_v2())
    assert (r.prs.voter_nodes(), r.prs.learner_nodes()) == ([1], [])
    with pytest.raises(RaftPanic):
        r.apply_conf_change(ConfChange(CT.ConfChangeRemoveNode, 1).as_v2())


@pytest.mark.parametrize(
    ("voters", "learners", "want"),
    [((1,), (), True), ((1, 2, 3), (), True), ((), (), False), ((2, 3), (), False),
     ((2, 3), (1,), False)],
)
def test_promotable(voters: tuple[int, ...], learners: tuple[int, ...], want: bool) -> None:
    assert raft(voters=voters, learners=learners).promotable() is want


def test_spare_with_empty_config_never_campaigns() -> None:
    rn = RawNode(Config(id=5, voters=(), rand=lambda n: 0, election_tick=1, track_commit=True))
    for _ in range(5):
        rn.tick()
    assert rn.status().role == "follower" and rn.ready() == []


def test_add_node_counts_as_active_for_check_quorum() -> None:
    """TestAddNodeCheckQuorum: a peer added just before a quorum check does not step the
    leader down; a full election timeout without hearing from it does."""
    r = leader(raft(voters=(1,), check_quorum=True, election_tick=10))
    for _ in range(9):
        r.tick()
    r.apply_conf_change(ConfChange(CT.ConfChangeAddNode, 2).as_v2())
    r.tick()
    assert r.state == L
    for _ in range(10):
        r.tick()
    assert r.state == F


def test_commit_after_remove_node() -> None:
    """A pending entry commits once a removal lowers the quorum."""
    r = leader(raft(voters=(1, 2)))
    propose_conf(r, ConfChange(CT.ConfChangeRemoveNode, 2))
    assert r.raft_log.next_ents() == []
    cc_index = r.raft_log.last_index()
    r.Step(Message(type=MT.MsgProp, frm=1, entries=(Entry(data=b"hello"),)))
    r.Step(Message(type=MT.MsgAppResp, frm=2, term=r.term, index=cc_index))
    ents = apply_all(r)
    assert [(e.type, e.data) for e in ents] == [
        (EntryType.EntryNormal, b""), (EntryType.EntryConfChange, b"")]
    assert [e.data for e in r.raft_log.next_ents()] == [b"hello"]
    assert r.raft_log.committed == cc_index + 1


def test_leader_removing_itself_stays_leader_and_refuses_proposals() -> None:
    r = leader(raft(voters=(1, 2, 3)))
    propose_conf(r, ConfChange(CT.ConfChangeRemoveNode, 1))
    r.Step(Message(type=MT.MsgAppResp, frm=2, term=1, index=r.raft_log.last_index()))
    apply_all(r)
    assert r.state == L and not r.promotable() and 1 not in r.prs.progress
    from impl.raft import ErrProposalDropped

    with pytest.raises(ErrProposalDropped):
        r.Step(Message(type=MT.MsgProp, frm=1, entries=(Entry(),)))


# ----------------------------------------------------------- commit


def test_leader_commits_only_an_entry_of_its_term() -> None:
    """Raft's commit rule: an earlier term's entry is not committed by counting replicas."""
    r = raft(voters=(1, 2, 3), log_terms=(1,), term=1)
    r.become_candidate()  # term 2; its last entry is of term 1
    r.raft_log.append([Entry(term=1, index=2)])
    r.state = StateType.StateCandidate
    r.become_leader()
    r.read_messages()
    # Node 2 holds entries 1 and 2 (term 1) but not the leader's empty entry 3 of term 2.
    r.Step(Message(type=MT.MsgAppResp, frm=2, term=2, index=2))
    assert r.raft_log.committed == 0
    r.Step(Message(type=MT.MsgAppResp, frm=2, term=2, index=3))
    assert r.raft_log.committed == 3
    sent = r.read_messages()
    assert {(m.type, m.to, m.commit) for m in sent} == {(MT.MsgApp, 2, 3), (MT.MsgApp, 3, 3)}


def test_follower_commits_from_append_and_heartbeat_never_backwards() -> None:
    f = raft(id=2, voters=(1, 2, 3))
    ents = (Entry(term=1, index=1), Entry(term=1, index=2))
    f.Step(Message(type=MT.MsgApp, frm=1, to=2, term=1, entries=ents, commit=1))
    assert f.raft_log.committed == 1
    f.Step(Message(type=MT.MsgHeartbeat, frm=1, to=2, term=1, commit=2))
    assert f.raft_log.committed == 2
    f.Step(Message(type=MT.MsgHeartbeat, frm=1, to=2, term=1, commit=0))
    assert f.raft_log.committed == 2
    # A whole-log MsgApp (index 0) below the commit index is still taken (shared abstraction).
    longer = ents + (Entry(term=1, index=3),)
    f.Step(Message(type=MT.MsgApp, frm=1, to=2, term=1, entries=longer, commit=2))
    assert f.raft_log.last_index() == 3


def test_heartbeat_commit_is_min_of_match_and_committed() -> None:
    r = leader(raft(voters=(1, 2, 3)))
    r.Step(Message(type=MT.MsgAppResp, frm=2, term=1, index=1))
    assert r.raft_log.committed == 1
    r.read_messages()
    r.Step(Message(type=MT.MsgBeat, frm=1))
    assert {m.to: m.commit for m in r.read_messages()} == {2: 1, 3: 0}


def test_without_commit_tracking_nothing_commits() -> None:
    """The election-only abstraction: acknowledgements commit nothing and send nothing."""
    r = Raft(Config(id=1, voters=(1, 2, 3), rand=lambda n: 0))
    leader(r)
    r.Step(Message(type=MT.MsgAppResp, frm=2, term=1, index=1))
    assert (r.raft_log.committed, r.read_messages()) == (0, [])


# ----------------------------------------------------------- the campaign guard


def follower_with_committed_change(rules: str, cc: ConfChange | ConfChangeV2) -> Raft:
    """Node 2 of {1, 2, 3}: entry 1 of term 1 is a committed, unapplied conf change."""
    t = EntryType.EntryConfChange if isinstance(cc, ConfChange) else EntryType.EntryConfChangeV2
    f = raft(id=2, voters=(1, 2, 3), rules=rules, pre_vote=False)
    f.Step(Message(type=MT.MsgApp, frm=1, to=2, term=1,
                   entries=(Entry(term=1, index=1, type=t, cc=cc),), commit=1))
    f.read_messages()
    assert (f.raft_log.committed, f.raft_log.applied) == (1, 0)
    return f


V1_CHANGE = ConfChange(CT.ConfChangeAddLearnerNode, 4)
V2_CHANGE = v2((CT.ConfChangeAddLearnerNode, 4))


@pytest.mark.parametrize("rules", ["etcd-3.4", "etcd-3.5"])
def test_committed_unapplied_v1_change_blocks_hup(rules: str) -> None:
    f = follower_with_committed_change(rules, V1_CHANGE)
    f.Step(Message(type=MT.MsgHup, frm=2))
    assert (f.state, f.term, f.read_messages()) == (F, 1, [])
    apply_all(f)
    f.Step(Message(type=MT.MsgHup, frm=2))
    assert f.state == StateType.StateCandidate and f.term == 2


@pytest.mark.parametrize(("rules", "campaigns"), [("etcd-3.4", True), ("etcd-3.5", False)])
def test_v2_change_blocks_hup_only_in_35(rules: str, campaigns: bool) -> None:
    """etcd #12133: 3.4.23's numOfPendingConf counts EntryConfChange entries only."""
    f = follower_with_committed_change(rules, V2_CHANGE)
    f.Step(Message(type=MT.MsgHup, frm=2))
    assert (f.state == StateType.StateCandidate) is campaigns


@pytest.mark.parametrize("cc", [V1_CHANGE, V2_CHANGE], ids=["v1", "v2"])
@pytest.mark.parametrize(("rules", "campaigns"), [("etcd-3.4", True), ("etcd-3.5", False)])
def test_timeout_now_checks_only_in_35(
    rules: str, campaigns: bool, cc: ConfChange | ConfChangeV2
) -> None:
    """etcd #12134: 3.4.23's MsgTimeoutNow campaigns without the pending-conf check."""
    f = follower_with_committed_change(rules, cc)
    f.Step(Message(type=MT.MsgTimeoutNow, frm=1, to=2, term=1))
    assert (f.state == StateType.StateCandidate) is campaigns
    if campaigns:
        assert {m.type for m in f.read_messages()} == {MT.MsgVote}
    else:
        apply_all(f)  # once applied, the transfer goes ahead
        f.Step(Message(type=MT.MsgTimeoutNow, frm=1, to=2, term=1))
        assert f.state == StateType.StateCandidate


@pytest.mark.parametrize("rules", ["etcd-3.4", "etcd-3.5"])
def test_uncommitted_change_does_not_block(rules: str) -> None:
    f = raft(id=2, voters=(1, 2, 3), rules=rules)
    f.Step(Message(type=MT.MsgApp, frm=1, to=2, term=1,
                   entries=(Entry(term=1, index=1, type=EntryType.EntryConfChange,
                                  cc=V1_CHANGE),), commit=0))
    f.Step(Message(type=MT.MsgHup, frm=2))
    assert f.state == StateType.StateCandidate


# ----------------------------------------------------------- a cluster


class Cluster:
    """RawNodes 1..n with commit tracking; messages delivered in FIFO order."""

    def __init__(self, voters: Iterable[int], learners: Iterable[int] = (),
                 spares: Iterable[int] = (), rules: str = "etcd-3.4") -> None:
        vs, ls = sorted(voters), sorted(learners)
        self.nodes: dict[int, RawNode] = {}
        for i in vs + ls:
            self.nodes[i] = RawNode(Config(id=i, voters=vs, learners=ls, rules=rules,
                                           rand=lambda n: 0, track_commit=True))
        join = ConfState(voters=tuple(vs), learners=tuple(ls))
        for i in spares:
            self.nodes[i] = RawNode(Config(id=i, voters=(), rules=rules, rand=lambda n: 0,
                                           track_commit=True, join=join))
        self.q: deque[Message] = deque()

    def collect(self) -> None:
        for rn in self.nodes.values():
            self.q.extend(rn.ready())

    def flush(self) -> None:
        self.collect()
        while self.q:
            m = self.q.popleft()
            if m.to in self.nodes:
                self.nodes[m.to].step(m)
            self.collect()

    def elect(self, i: int) -> None:
        self.nodes[i].campaign()
        self.flush()
        assert self.nodes[i].status().role == "leader"

    def apply(self) -> None:
        for rn in self.nodes.values():
            rn.apply_committed()
        self.flush()

    def settle(self) -> None:
        """Replicate, commit and apply, a few times over: heartbeats carry the commit index
        and a heartbeat reply from a peer that is behind gets the log again."""
        for _ in range(3):
            self.flush()
            for rn in self.nodes.values():
                rn.beat()
            self.flush()
            self.apply()


def test_learner_promotion_then_wins_an_election() -> None:
    """TestLearnerPromotion: once its promotion is applied, a learner can lead."""
    c = Cluster(voters=(1, 2), learners=(3,))
    c.elect(1)
    c.nodes[1].propose_conf_change(ConfChange(CT.ConfChangeAddNode, 3))
    c.settle()
    for i in (1, 2, 3):
        assert c.nodes[i].status().config.voters_in == [1, 2, 3]
    c.nodes[3].campaign()
    c.flush()
    assert c.nodes[3].status().role == "leader"
    assert c.nodes[1].status().role == "follower"


@pytest.mark.parametrize(("transition", "auto"), [(IMPLICIT, True), (AUTO, True),
                                                  (EXPLICIT, False)])
def test_joint_change_and_leave(transition: ConfChangeTransition, auto: bool) -> None:
    """Promote 4 and remove 1 at once: a joint config, left by the leader itself (auto
    leave) or by the application's empty ConfChangeV2 (explicit)."""
    c = Cluster(voters=(1, 2, 3), learners=(4,))
    c.elect(2)
    cc = v2((CT.ConfChangeAddNode, 4), (CT.ConfChangeRemoveNode, 1), transition=transition)
    c.nodes[2].propose_conf_change(cc)
    c.flush()
    c.nodes[2].beat()
    c.flush()
    c.nodes[2].apply_committed()
    st = c.nodes[2].status()
    assert (st.config.voters_in, st.config.voters_out, st.config.auto_leave) == (
        [2, 3, 4], [1, 2, 3], auto)
    if auto:
        # The leader appended the leave entry itself (without sending it yet).
        assert c.nodes[2].status().log_entries[-1].cc == ConfChangeV2()
    else:
        c.nodes[2].propose_conf_change(ConfChangeV2())
    c.settle()
    for i in (2, 3, 4):
        cfg = c.nodes[i].status().config
        assert (cfg.voters_in, cfg.voters_out, cfg.learners) == ([2, 3, 4], [], [])
    assert c.nodes[2].status().role == "leader"


def test_spare_added_as_learner_gets_the_log() -> None:
    c = Cluster(voters=(1, 2, 3), spares=(4,))
    c.elect(1)
    c.nodes[1].propose_conf_change(ConfChange(CT.ConfChangeAddLearnerNode, 4))
    c.settle()
    c.nodes[1].propose(b"x")
    c.settle()
    assert c.nodes[1].status().config.learners == [4]
    spare = c.nodes[4].status()
    assert spare.log_entries == c.nodes[1].status().log_entries
    # It learnt the configuration: the bootstrap one (its "snapshot") plus the change.
    assert (spare.config.voters_in, spare.config.learners) == ([1, 2, 3], [4])


def test_new_peer_gets_the_log_when_the_change_commits_nothing() -> None:
    """switchToConfig on a leader: no new commit, so only the added peer is sent the log."""
    r = leader(raft(voters=(1,)))
    apply_all(r)
    r.apply_conf_change(ConfChange(CT.ConfChangeAddNode, 2).as_v2())
    sent = r.read_messages()
    assert [(m.type, m.to, len(m.entries)) for m in sent] == [(MT.MsgApp, 2, 1)]


def test_heartbeat_reply_from_a_peer_behind_gets_the_log() -> None:
    r = leader(raft(voters=(1, 2, 3)))
    r.Step(Message(type=MT.MsgHeartbeatResp, frm=2, term=1))
    assert [(m.type, m.to) for m in r.read_messages()] == [(MT.MsgApp, 2)]
    r.Step(Message(type=MT.MsgAppResp, frm=2, term=1, index=1))
    r.read_messages()
    r.Step(Message(type=MT.MsgHeartbeatResp, frm=2, term=1))
    assert r.read_messages() == []


def test_restart_keeps_commit_applied_and_config() -> None:
    c = Cluster(voters=(1, 2), learners=(3,))
    c.elect(1)
    c.nodes[1].propose_conf_change(ConfChange(CT.ConfChangeAddNode, 3))
    c.settle()
    before = c.nodes[2].status()
    c.nodes[2].restart()
    after = c.nodes[2].status()
    assert (after.commit, after.applied, after.config, after.log_entries) == (
        before.commit, before.applied, before.config, before.log_entries)
    leader_rn = c.nodes[1]
    leader_rn.restart()
    st = leader_rn.status()
    assert (st.role, st.match, st.pending_conf_index) == ("follower", {}, 0)
    assert st.config.voters_in == [1, 2, 3]


# ----------------------------------------------------------- quorum and changer


@pytest.mark.parametrize(
    ("incoming", "outgoing", "votes", "want"),
    [
        ((1, 2, 3), (), {1: True, 2: True}, WON),
        ((1, 2, 3), (1, 2, 4), {1: True, 2: True}, WON),
        ((1, 2, 3), (3, 4, 5), {1: True, 2: True}, PENDING),
        ((1, 2, 3), (3, 4, 5), {1: True, 2: True, 4: False, 5: False}, LOST),
        ((1, 2, 3), (3, 4, 5), {1: True, 2: True, 3: True}, PENDING),
        ((1, 2, 3), (3, 4, 5), {1: True, 3: True, 4: True}, WON),
        ((1,), (1, 2), {1: True, 2: False}, LOST),
    ],
)
def test_joint_vote_result(incoming: tuple[int, ...], outgoing: tuple[int, ...],
                           votes: dict[int, bool], want: VoteResult) -> None:
    assert JointConfig(incoming, outgoing).vote_result(votes) == want


@pytest.mark.parametrize(
    ("incoming", "outgoing", "acked", "want"),
    [
        ((1, 2, 3), (), {1: 5, 2: 3, 3: 1}, 3),
        ((1, 2, 3), (3, 4, 5), {1: 5, 2: 5, 3: 1, 4: 2, 5: 2}, 2),
        ((1,), (), {}, 0),
        ((1, 2), (), {1: 4, 2: 2}, 2),
    ],
)
def test_joint_committed_index(incoming: tuple[int, ...], outgoing: tuple[int, ...],
                               acked: dict[int, int], want: int) -> None:
    assert JointConfig(incoming, outgoing).committed_index(acked) == want


def test_empty_majority_config_has_infinite_committed_index() -> None:
    from impl.quorum import INFINITE_INDEX

    assert MajorityConfig().committed_index({}) == INFINITE_INDEX


def tracker(voters: Sequence[int], learners: Sequence[int] = (),
            outgoing: Sequence[int] = (), learners_next: Sequence[int] = ()) -> ProgressTracker:
    return ProgressTracker(voters, learners, "etcd-3.4", outgoing, learners_next)


def test_changer_simple_refuses_two_voters() -> None:
    ch = Changer(tracker((1, 2, 3)), 5)
    with pytest.raises(ConfChangeError, match="more than one voter"):
        ch.simple(ConfChangeSingle(CT.ConfChangeAddNode, 4),
                  ConfChangeSingle(CT.ConfChangeAddNode, 5))


def test_changer_joint_demotion_goes_through_learners_next() -> None:
    ch = Changer(tracker((1, 2, 3)), 5)
    cfg, prs = ch.enter_joint(True, ConfChangeSingle(CT.ConfChangeAddLearnerNode, 3))
    assert (sorted(cfg.voters.incoming), sorted(cfg.voters.outgoing)) == ([1, 2], [1, 2, 3])
    assert (cfg.learners, cfg.learners_next) == (frozenset(), frozenset({3}))
    assert not prs[3].is_learner
    t = tracker((1, 2, 3))
    t.config, t.progress = cfg, prs
    cfg2, prs2 = Changer(t, 5).leave_joint()
    assert (sorted(cfg2.voters.incoming), cfg2.learners, cfg2.learners_next) == (
        [1, 2], frozenset({3}), frozenset())
    assert prs2[3].is_learner and not cfg2.auto_leave


def test_changer_joint_removal_keeps_progress_until_left() -> None:
    t = tracker((1, 2, 3))
    cfg, prs = Changer(t, 5).enter_joint(False, ConfChangeSingle(CT.ConfChangeRemoveNode, 1))
    assert 1 in prs and 1 not in cfg.voters.incoming
    t.config, t.progress = cfg, prs
    _, prs2 = Changer(t, 5).leave_joint()
    assert 1 not in prs2


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda ch: ch.leave_joint(), "can't leave a non-joint config"),
        (lambda ch: ch.enter_joint(True, ConfChangeSingle(CT.ConfChangeRemoveNode, 1),
                                   ConfChangeSingle(CT.ConfChangeRemoveNode, 2)),
         "removed all voters"),
    ],
)
def test_changer_errors(make: object, message: str) -> None:
    ch = Changer(tracker((1, 2)), 3)
    with pytest.raises(ConfChangeError, match=message):
        make(ch)  # type: ignore[operator]


def test_changer_enter_joint_twice() -> None:
    ch = Changer(tracker((1, 2), outgoing=(1, 2, 3)), 3)
    with pytest.raises(ConfChangeError, match="already joint"):
        ch.enter_joint(True, ConfChangeSingle(CT.ConfChangeAddNode, 4))
    with pytest.raises(ConfChangeError, match="in joint config"):
        ch.simple(ConfChangeSingle(CT.ConfChangeAddNode, 4))


def test_joint_quorum_active_needs_both_halves() -> None:
    t = tracker((1, 2, 3), outgoing=(3, 4, 5))
    for i in (1, 2):
        t.progress[i].recent_active = True
    assert not t.quorum_active()
    t.progress[4].recent_active = True
    t.progress[3].recent_active = True
    assert t.quorum_active()


def test_campaign_asks_both_halves() -> None:
    r = raft(id=1, voters=(1, 2, 3), voters_outgoing=(1, 4, 5))
    r.Step(Message(type=MT.MsgHup, frm=1))
    assert sorted(m.to for m in r.read_messages()) == [2, 3, 4, 5]
    for frm in (2, 3):
        r.Step(Message(type=MT.MsgVoteResp, frm=frm, term=r.term))
    assert r.state == StateType.StateCandidate  # the outgoing half has only node 1
    r.Step(Message(type=MT.MsgVoteResp, frm=4, term=r.term))
    assert r.state == L


@pytest.mark.parametrize(
    ("variant", "cc", "hup_campaigns", "transfer_campaigns"),
    [
        ("conf-pending-ignores-v2", V2_CHANGE, True, True),
        ("conf-pending-ignores-v2", V1_CHANGE, False, False),
        ("transfer-skips-conf-check", V1_CHANGE, False, True),
        ("no-unapplied-conf-guard", V1_CHANGE, True, True),
    ],
)
def test_guard_variants_on_35(
    monkeypatch: pytest.MonkeyPatch, variant: str, cc: ConfChange | ConfChangeV2,
    hup_campaigns: bool, transfer_campaigns: bool,
) -> None:
    from impl import bugs

    bugs.plant(monkeypatch, variant)
    f = follower_with_committed_change("etcd-3.5", cc)
    f.Step(Message(type=MT.MsgHup, frm=2))
    assert (f.state == StateType.StateCandidate) is hup_campaigns
    g = follower_with_committed_change("etcd-3.5", cc)
    g.Step(Message(type=MT.MsgTimeoutNow, frm=1, to=2, term=1))
    assert (g.state == StateType.StateCandidate) is transfer_campaigns


def test_auto_leave_does_not_bump_pending_conf_index_in_3_4_23() -> None:
    """etcd 3.4.23 raft.go advance appends the auto-leave entry with appendEntry and leaves
    pendingConfIndex alone (it is bumped only when the append fails). So a leader that
    applies one more entry while still joint appends a second leave entry, and applying that
    one panics (the config is no longer joint)."""
    r = leader(raft(voters=(1, 2, 3)))
    cc = v2((CT.ConfChangeAddNode, 4), (CT.ConfChangeRemoveNode, 3))  # auto transition, joint
    propose_conf(r, cc)
    joint_index = r.raft_log.last_index()  # 2
    r.Step(Message(type=MT.MsgProp, frm=1, entries=(Entry(data=b"x"),)))  # index 3
    r.Step(Message(type=MT.MsgAppResp, frm=2, term=1, index=joint_index))
    assert r.raft_log.committed == joint_index
    apply_all(r)  # enters the joint config; the leader appends the leave entry (index 4)
    assert r.prs.config.joint() and r.raft_log.last_index() == 4
    assert r.pending_conf_index == joint_index  # not moved to 4
    r.Step(Message(type=MT.MsgAppResp, frm=2, term=1, index=3))
    r.Step(Message(type=MT.MsgAppResp, frm=3, term=1, index=3))
    r.Step(Message(type=MT.MsgAppResp, frm=4, term=1, index=3))
    assert r.raft_log.committed == 3
    apply_all(r)  # still joint, applied 3 >= pendingConfIndex 2: a second leave entry
    leaves = [e.index for e in r.raft_log.entries if e.cc == ConfChangeV2()]
    assert leaves == [4, 5]
    for i in (2, 3, 4):
        r.Step(Message(type=MT.MsgAppResp, frm=i, term=1, index=5))
    assert r.raft_log.committed == 5
    with pytest.raises(RaftPanic, match="can't leave a non-joint config"):
        apply_all(r)
