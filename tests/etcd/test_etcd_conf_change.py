"""Membership changes during elections on real etcd 3.4.23 (issue 14), and on impl.

etcd's own conf-change election tests re-expressed through the harness: raft_test.go
TestStepIgnoreConfig, TestNewLeaderPendingConfig, TestAddNode/TestRemoveNode/TestAddLearner,
TestPromotable, TestLearnerPromotion, and TestConfChangeCheckBeforeCampaign with its V2 twin
(etcd 3.5's tests; 3.4.23 predates them and behaves differently, etcd #12133/#12134), plus
joint configurations with automatic and explicit leave.

Every scenario runs on "etcd" (RawNodes of etcd's library through the harness, with etcd's
own log replication, commit and apply: ``CONF_BRIDGE``) and on "impl" (impl's RawNodes with
``track_commit``), with the same assertions; the etcd-only tests exercise harness features
(initial configuration entries, the bridges, restart, the spare's ``join``) or read etcd's
entry encoding. Changes are written in the model's form ``(v2, transition, ((op_type,
node_id), ...))``; for impl they become impl.raftpb objects. (The impl side is generated
only where impl has the membership API, ``RawNode.propose_conf_change``.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from typing import Any

import pytest

from etcdharness.client import (
    CONF_BRIDGE,
    MODEL_CONF_BRIDGE,
    Config,
    EtcdCluster,
    Harness,
    HarnessRequestError,
)
from impl.raft import ErrProposalDropped
from impl.raftpb import Entry, Message, MessageType
from impl.rawnode import RawNode

MT = MessageType

ADD_NODE, REMOVE_NODE, ADD_LEARNER = 0, 1, 3
AUTO, IMPLICIT, EXPLICIT = 0, 1, 2
EntryNormal, EntryConfChange, EntryConfChangeV2 = 0, 1, 2
NEVER = 10_000  # a randomized election timeout that never fires: campaigns are explicit

Change = tuple[bool, int, tuple[tuple[int, int], ...]]


def v1(op: int, node: int) -> Change:
    return (False, 0, ((op, node),))


def v2(*ops: tuple[int, int], transition: int = AUTO) -> Change:
    return (True, transition, tuple(sorted(ops)))


LEAVE: Change = (True, 0, ())


def impl_has_conf_changes() -> bool:
    return hasattr(RawNode, "propose_conf_change") and hasattr(RawNode, "apply_committed")


BACKENDS = [pytest.param("etcd", marks=pytest.mark.etcd)] + (
    ["impl"] if impl_has_conf_changes() else []
)


# ----------------------------------------------------------------------------- backends


def to_impl_change(cc: Change) -> Any:
    """The model's tuple as impl.raftpb objects (names fixed by the design)."""
    from impl import raftpb

    is_v2, transition, ops = cc
    if not is_v2:
        (op, node), = ops
        return raftpb.ConfChange(type=raftpb.ConfChangeType(op), node_id=node)  # type: ignore[attr-defined]
    return raftpb.ConfChangeV2(  # type: ignore[attr-defined]
        transition=raftpb.ConfChangeTransition(transition),  # type: ignore[attr-defined]
        changes=tuple(
            raftpb.ConfChangeSingle(type=raftpb.ConfChangeType(op), node_id=node)  # type: ignore[attr-defined]
            for op, node in ops
        ),
    )


def make_impl_node(cfg: Config) -> Any:
    from impl.config import Config as ImplConfig

    have = {f.name for f in fields(ImplConfig)}
    args = {f.name: getattr(cfg, f.name) for f in fields(cfg) if f.name in have}
    for name in ("voters_outgoing", "learners_next", "auto_leave", "log_changes", "commit",
                 "applied", "join"):
        if getattr(cfg, name) and name not in have:
            raise AssertionError(f"impl.Config has no {name!r} (needed by this scenario)")
    args["track_commit"] = True
    node = RawNode(ImplConfig(**args))
    node.raft.randomized_election_timeout = NEVER
    return node


class Net:
    """Nodes of one backend and FIFO delivery; changes in the model's form."""

    def __init__(self, backend: str, harness: Harness, configs: Sequence[Config]) -> None:
        self.backend = backend
        if backend == "etcd":
            c = EtcdCluster(configs, harness, bridge=CONF_BRIDGE)
            for n in c.nodes.values():
                n.set_randomized_election_timeout(NEVER, sticky=True)
            self.nodes: dict[int, Any] = dict(c.nodes)
        else:
            self.nodes = {cfg.id: make_impl_node(cfg) for cfg in configs}

    def __getitem__(self, i: int) -> Any:
        return self.nodes[i]

    def status(self, i: int) -> Any:
        return self.nodes[i].status()

    def propose(self, i: int, cc: Change) -> None:
        self.nodes[i].propose_conf_change(cc if self.backend == "etcd" else to_impl_change(cc))

    def apply(self, *ids: int) -> None:
        for i in ids or tuple(self.nodes):
            self.nodes[i].apply_committed()

    def ready(self, i: int) -> list[Message]:
        return list(self.nodes[i].ready())

    def settle(self, msgs: Iterable[Message] = (), *, cut: Iterable[int] = ()) -> list[Message]:
        """Deliver everything FIFO until quiet; messages to or from `cut` are lost."""
        lost = set(cut)
        queue = list(msgs)
        for i in sorted(self.nodes):
            queue += self.ready(i)
        delivered: list[Message] = []
        while queue:
            m = queue.pop(0)
            if m.to in lost or m.frm in lost or m.to not in self.nodes:
                continue
            assert len(delivered) < 10_000, "no quiescence"
            delivered.append(m)
            self.nodes[m.to].step(m)
            queue += self.ready(m.to)
        return delivered

    def elect(self, i: int, cut: Iterable[int] = ()) -> None:
        self.nodes[i].campaign()
        self.settle(cut=cut)
        assert self.status(i).role == "leader"

    def replicate(self, leader: int, cut: Iterable[int] = ()) -> None:
        """Settle, then a heartbeat round so that every follower learns the commit index
        (etcd broadcasts a commit advance itself; a heartbeat carries min(match, commit))."""
        self.settle(cut=cut)
        self.nodes[leader].beat()
        self.settle(cut=cut)


def configs(voters: Sequence[int], learners: Sequence[int] = (), spares: Sequence[int] = (),
            **kw: Any) -> list[Config]:
    out = [Config(id=i, voters=tuple(voters), learners=tuple(learners), **kw)
           for i in (*voters, *learners)]
    out += [Config(id=i, voters=(), learners=(), **kw) for i in spares]
    return out


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def net(backend: str, harness: Harness, cfgs: Sequence[Config]) -> Net:
    return Net(backend, harness, cfgs)


def voters_in(st: Any) -> list[int]:
    return list(st.config.voters_in)


# ----------------------------------------------------------------------------- the guard


@pytest.mark.parametrize("encoding", ["v1", "v2"])
def test_TestConfChangeCheckBeforeCampaign(backend: str, harness: Harness, encoding: str) -> None:
    """etcd 3.5's TestConfChangeCheckBeforeCampaign / TestConfChangeV2CheckBeforeCampaign, as
    etcd 3.4.23 runs them: a committed, unapplied V1 change blocks MsgHup (raft.go:920-927);
    a V2 change does not (numOfPendingConf counts EntryConfChange only, etcd #12133); a
    MsgTimeoutNow campaigns without the check (raft.go:1346-1352, etcd #12134)."""
    n = net(backend, harness, configs((1, 2, 3)))
    n.elect(1)
    cc = v1(REMOVE_NODE, 3) if encoding == "v1" else v2((REMOVE_NODE, 3))
    n.propose(1, cc)
    n.replicate(1)
    st2 = n.status(2)
    assert (st2.commit, st2.applied) == (2, 0)  # committed, not applied

    n[2].campaign()
    st2 = n.status(2)
    if encoding == "v1":
        assert (st2.role, st2.term) == ("follower", 1)  # refused: pending V1 change
    else:
        assert (st2.role, st2.term) == ("candidate", 2)  # 3.4.23: V2 not counted
        n.settle()  # n2 wins (n1 and n3 grant: equal logs); back to n2 as the leader

    if encoding == "v1":
        # The transfer path skips the check: n2 (still pending) campaigns and wins.
        n[1].transfer_leader(2)
        n.settle()
        assert n.status(2).role == "leader"
        assert (n.status(1).role, n.status(1).term) == ("follower", 2)
    else:
        assert n.status(2).role == "leader"
    # The old leader n1, now a follower, holds the committed change unapplied.
    st1 = n.status(1)
    assert st1.commit > st1.applied == 0
    n[1].campaign()
    st1 = n.status(1)
    if encoding == "v1":
        assert (st1.role, st1.term) == ("follower", 2)
        n.apply(1)  # the application catches up: the guard is released
        n[1].campaign()
        assert (n.status(1).role, n.status(1).term) == ("candidate", 3)
    else:
        assert (st1.role, st1.term) == ("candidate", 3)


def test_timeout_now_campaigns_with_unapplied_v1_change(backend: str, harness: Harness) -> None:
    """A MsgTimeoutNow stepped directly into a pending follower starts a campaign at once
    (campaignTransfer, no pre-vote, no pending-change check in 3.4.23)."""
    n = net(backend, harness, configs((1, 2, 3), pre_vote=True))
    n.elect(1)
    n.propose(1, v1(REMOVE_NODE, 3))
    n.replicate(1)
    n[2].campaign()
    assert n.status(2).role == "follower"  # MsgHup refused
    n[2].step(Message(type=MT.MsgTimeoutNow, to=2, frm=1, term=1))
    st2 = n.status(2)
    assert (st2.role, st2.term) == ("candidate", 2)  # a real vote, pre-vote skipped
    assert [m.type for m in n.ready(2)] == [MT.MsgVote, MT.MsgVote]


def test_TestStepIgnoreConfig(backend: str, harness: Harness) -> None:
    """A second change while one is unapplied is refused: the leader appends an empty normal
    entry instead (raft.go:1060-1077); pendingConfIndex keeps the first change's index."""
    n = net(backend, harness, configs((1, 2, 3)))
    n.elect(1)
    n.propose(1, v1(REMOVE_NODE, 3))
    n.propose(1, v2((REMOVE_NODE, 2)))
    st = n.status(1)
    assert st.log_terms == [1, 1, 1]
    assert st.pending_conf_index == 2
    if backend == "etcd":
        assert [(e.type, e.change) for e in st.entries[1:]] == [
            (EntryConfChange, v1(REMOVE_NODE, 3)), (EntryNormal, None)]
    n.replicate(1)
    n.apply(1)
    n.propose(1, v1(REMOVE_NODE, 2))  # applied: accepted now
    assert n.status(1).pending_conf_index == 4


@pytest.mark.parametrize("log_terms", [(), (1, 1)])
def test_TestNewLeaderPendingConfig(backend: str, harness: Harness,
                                    log_terms: tuple[int, ...]) -> None:
    """becomeLeader sets pendingConfIndex to the last index before its empty entry
    (raft.go:754-759): any change of an earlier term must be applied first."""
    n = net(backend, harness, configs((1, 2, 3), term=1, log_terms=log_terms))
    n.elect(1)
    st = n.status(1)
    assert st.pending_conf_index == len(log_terms)
    assert st.log_terms == [*log_terms, 2]


# ----------------------------------------------------------------------------- simple changes


def test_TestLearnerPromotion(backend: str, harness: Harness) -> None:
    """A learner cannot campaign; once the promotion is applied on it, it can, and the
    quorum counts it (3 of 4 voters)."""
    n = net(backend, harness, configs((1, 2, 3), learners=(4,)))
    n.elect(1)
    n[4].campaign()
    assert (n.status(4).role, n.status(4).term) == ("follower", 1)
    n.propose(1, v1(ADD_NODE, 4))
    n.replicate(1)
    n[4].campaign()
    assert n.status(4).role == "follower"  # committed but not applied: still a learner
    n.apply()
    st4 = n.status(4)
    assert (voters_in(st4), list(st4.config.learners)) == ([1, 2, 3, 4], [])
    assert sorted(n.status(1).match) == [1, 2, 3, 4]
    n[4].campaign()
    assert n.status(4).role == "candidate"
    votes = n.ready(4)
    assert sorted(m.to for m in votes if m.type == MT.MsgVote) == [1, 2, 3]
    # Only n2 answers: 2 of 4 is not a quorum; n3's grant makes 3 of 4.
    for m in votes:
        if m.to == 2:
            n[2].step(m)
    for m in n.ready(2):
        n[4].step(m)
    assert n.status(4).role == "candidate"
    for m in votes:
        if m.to == 3:
            n[3].step(m)
    for m in n.ready(3):
        n[4].step(m)
    assert n.status(4).role == "leader"


def test_TestRemoveNode(backend: str, harness: Harness) -> None:
    """A removed node that applied its removal is not promotable; the leader stops tracking
    it and the remaining two voters need each other."""
    n = net(backend, harness, configs((1, 2, 3)))
    n.elect(1)
    n.propose(1, v1(REMOVE_NODE, 3))
    n.replicate(1)
    n.apply()
    assert all(voters_in(n.status(i)) == [1, 2] for i in (1, 2, 3))
    assert sorted(n.status(1).match) == [1, 2]
    n[3].campaign()
    assert (n.status(3).role, n.status(3).term) == ("follower", 1)
    n[2].campaign()
    n.settle(cut=(1,))
    assert n.status(2).role == "candidate"  # 1 of 2
    n[2].campaign()
    n.settle()
    assert n.status(2).role == "leader"


def test_leader_removing_itself_stays_leader(backend: str, harness: Harness) -> None:
    """switchToConfig keeps a removed leader in place (raft.go:1531-1541) but it drops
    proposals (raft.go:1032-1036); the others, once they applied, elect among themselves."""
    n = net(backend, harness, configs((1, 2, 3)))
    n.elect(1)
    n.propose(1, v1(REMOVE_NODE, 1))
    n.replicate(1)
    n.apply()
    st1 = n.status(1)
    assert (st1.role, voters_in(st1)) == ("leader", [2, 3])
    with pytest.raises(ErrProposalDropped):
        n[1].propose(b"x")
    n[2].campaign()
    n.settle(cut=(1,))
    assert (n.status(2).role, n.status(2).term) == ("leader", 2)
    assert n.status(1).role == "leader"  # cut off: still leader of term 1


def test_TestAddNode_spare_without_bootstrap_entries_is_alone(backend: str,
                                                             harness: Harness) -> None:
    """A spare (empty configuration, empty log) is not promotable. Added as a voter, it gets
    the leader's log from index 1; applying it runs the changes in the log on its empty
    configuration, and with members seeded by a ConfState (no configuration entries in the
    log) that is "add 4" alone: the spare becomes the only voter of its own configuration
    and elects itself at once. etcd avoids this with Bootstrap's configuration entries or a
    snapshot carrying the ConfState (not modelled); see the next test."""
    n = net(backend, harness, configs((1, 2, 3), spares=(4,)))
    n[4].campaign()
    assert (n.status(4).role, n.status(4).term) == ("follower", 0)
    n.elect(1)
    n.propose(1, v1(ADD_NODE, 4))
    n.replicate(1)
    n.apply(1)  # the leader starts tracking n4 and probes it
    n.replicate(1)
    st4 = n.status(4)
    assert st4.log_terms == [1, 1] and st4.commit == 2
    assert voters_in(st4) == []
    n.apply(4)
    assert voters_in(n.status(4)) == [4]
    n[4].campaign()
    assert (n.status(4).role, n.status(4).term) == ("leader", 2)  # a quorum of itself


@pytest.mark.etcd
def test_TestAddNode_spare_learns_config_from_bootstrap_entries(harness: Harness) -> None:
    """Members whose log starts with the configuration entries that built their
    configuration (as etcd's Bootstrap writes them, here committed and applied): the spare
    applies them too and takes (1 2 3 4); its campaign then needs 3 of 4."""
    boot = tuple(v1(ADD_NODE, i) for i in (1, 2, 3))
    cfgs = configs((1, 2, 3), term=1, log_terms=(1, 1, 1), log_changes=boot, commit=3,
                   applied=3)
    cfgs.append(Config(id=4, voters=(), learners=()))
    n = Net("etcd", harness, cfgs)  # impl.Config has no initial configuration entries
    n.elect(1)
    n.propose(1, v1(ADD_NODE, 4))
    n.replicate(1)
    n.apply(1)
    n.replicate(1)
    n.apply(4)
    st4 = n.status(4)
    assert st4.log_terms == [1, 1, 1, 2, 2]
    assert (voters_in(st4), st4.applied) == ([1, 2, 3, 4], 5)
    n[4].campaign()
    n.settle(cut=(2, 3))
    assert n.status(4).role == "candidate"  # n1 alone: 2 of 4


# ----------------------------------------------------------------------------- joint


def test_joint_auto_leave(backend: str, harness: Harness) -> None:
    """Promote 4 and remove 1 at once (V2, AUTO): applying it enters the joint configuration
    (2 3 4)&(1 2 3) with auto-leave; the leader then appends the leave entry itself
    (raft.go:567-589), whose application ends the joint phase. The leader n1, removed,
    stays leader."""
    n = net(backend, harness, configs((1, 2, 3), learners=(4,)))
    n.elect(1)
    n.propose(1, v2((ADD_NODE, 4), (REMOVE_NODE, 1)))
    n.replicate(1)
    n.apply()
    st1 = n.status(1)
    assert (voters_in(st1), list(st1.config.voters_out), st1.config.auto_leave) == (
        [2, 3, 4], [1, 2, 3], True)
    assert st1.log_terms == [1, 1, 1]  # + the leave entry
    if backend == "etcd":
        assert (st1.entries[-1].type, st1.entries[-1].change) == (EntryConfChangeV2, LEAVE)
    # 3.4.23's auto-leave does not move pendingConfIndex (later versions do).
    assert st1.pending_conf_index == 2
    n.replicate(1)
    n.apply()
    for i in (1, 2, 3, 4):
        c = n.status(i).config
        assert (list(c.voters_in), list(c.voters_out), c.auto_leave) == ([2, 3, 4], [], False)
    assert n.status(1).role == "leader"


def test_joint_explicit_leave(backend: str, harness: Harness) -> None:
    """EXPLICIT: no automatic leave; another change is refused while joint
    (raft.go:1067-1068); the empty V2 change leaves."""
    n = net(backend, harness, configs((1, 2, 3), learners=(4,)))
    n.elect(1)
    n.propose(1, v2((ADD_NODE, 4), transition=EXPLICIT))
    n.replicate(1)
    n.apply()
    st1 = n.status(1)
    assert (voters_in(st1), list(st1.config.voters_out), st1.config.auto_leave) == (
        [1, 2, 3, 4], [1, 2, 3], False)
    assert st1.log_terms == [1, 1]  # nothing appended
    n.propose(1, v1(REMOVE_NODE, 2))  # refused: must leave first
    if backend == "etcd":
        assert n.status(1).entries[-1].type == EntryNormal
    assert n.status(1).pending_conf_index == 2
    n.propose(1, LEAVE)
    assert n.status(1).pending_conf_index == 4
    n.replicate(1)
    n.apply()
    c = n.status(3).config
    assert (list(c.voters_in), list(c.voters_out)) == ([1, 2, 3, 4], [])


def test_leave_refused_outside_joint(backend: str, harness: Harness) -> None:
    n = net(backend, harness, configs((1, 2, 3)))
    n.elect(1)
    n.propose(1, LEAVE)
    st = n.status(1)
    assert st.log_terms == [1, 1] and st.pending_conf_index == 0
    if backend == "etcd":
        assert st.entries[-1].type == EntryNormal


def test_joint_vote_needs_both_majorities(backend: str, harness: Harness) -> None:
    """Nodes started in the joint configuration (2 3 4)&(1 2 3): n2 with n4's grant has the
    incoming majority only and stays candidate; n1's grant completes the outgoing one."""
    cfgs = [Config(id=i, voters=(2, 3, 4), voters_outgoing=(1, 2, 3)) for i in (1, 2, 3, 4)]
    n = net(backend, harness, cfgs)
    assert list(n.status(4).config.voters_out) == [1, 2, 3]
    n[2].campaign()
    votes = {m.to: m for m in n.ready(2)}
    assert sorted(votes) == [1, 3, 4]  # every voter of both halves
    n[4].step(votes[4])
    for m in n.ready(4):
        n[2].step(m)
    assert n.status(2).role == "candidate"
    n[1].step(votes[1])
    for m in n.ready(1):
        n[2].step(m)
    assert n.status(2).role == "leader"


def test_joint_vote_lost_when_one_half_lost(backend: str, harness: Harness) -> None:
    """(1 2 3)&(3 4 5) with n3 campaigning: rejections from 4 and 5 lose the outgoing half,
    whatever the incoming half says (JointConfig.VoteResult), and n3 steps down."""
    cfgs = [Config(id=i, voters=(1, 2, 3), voters_outgoing=(3, 4, 5), term=1,
                   log_terms=(1,) if i in (4, 5) else ()) for i in range(1, 6)]
    n = net(backend, harness, cfgs)
    n[3].campaign()
    votes = {m.to: m for m in n.ready(3)}
    for i in (4, 5):  # longer logs: reject
        n[i].step(votes[i])
        for m in n.ready(i):
            n[3].step(m)
    st3 = n.status(3)
    assert (st3.role, st3.term) == ("follower", 2)


# ----------------------------------------------------------------------------- etcd only


def test_auto_leave_proposed_twice_panics_in_3_4(backend: str, harness: Harness) -> None:
    """etcd 3.4.23's advance appends the auto-leave entry without moving pendingConfIndex
    (raft.go:567-589), so a second Advance that applies entries while the configuration is
    still joint appends a second leave entry; applying it panics every node ("can't leave a
    non-joint config", raft.go:1505-1508; etcd #12582, fixed in etcd 3.6 / etcd-io/raft by
    bumping pendingConfIndex). Here: the joint entry J (index 2) commits, a normal entry N
    (3) is proposed, J is applied (leave L at 4), N commits alone and is applied (leave L'
    at 5), then L and L' commit."""
    n = net(backend, harness, configs((1, 2, 3), learners=(4,)))
    n.elect(1)
    n.propose(1, v2((ADD_NODE, 4), (REMOVE_NODE, 1)))
    n.replicate(1)
    n[1].propose(b"x")
    held = n.ready(1)  # N's MsgApps
    n.apply(1)  # J: joint, L appended (not broadcast by 3.4.23's advance)
    assert n.status(1).log_terms == [1, 1, 1, 1]
    resps: list[Message] = []
    for m in held:
        n[m.to].step(m)
        resps += n.ready(m.to)
    for m in resps:
        n[1].step(m)
    later = n.ready(1)  # L's MsgApps, not delivered yet
    st1 = n.status(1)
    assert (st1.commit, st1.applied) == (3, 2)
    n.apply(1)  # N: still joint, so etcd appends L' as well
    st1 = n.status(1)
    assert st1.log_terms == [1, 1, 1, 1, 1]
    if backend == "etcd":
        assert [(e.index, e.change) for e in st1.entries[3:]] == [(4, LEAVE), (5, LEAVE)]
    assert st1.config.auto_leave
    n.settle(later)
    n[1].beat()
    n.settle()
    assert n.status(1).commit == 5
    for i in (1, 2, 3, 4):
        with pytest.raises(Exception, match="can't leave a non-joint config") as e:
            n.apply(i)
        if backend == "etcd":
            assert isinstance(e.value, HarnessRequestError) and e.value.kind == "panic"


# ----------------------------------------------------------------------------- the conf bridge


def _abstract(ms: Iterable[Message]) -> list[tuple[Any, ...]]:
    return [(m.type, m.frm, m.to, m.index, m.log_term, [e.term for e in m.entries], m.commit)
            for m in ms]


@pytest.mark.etcd
def test_model_conf_bridge_whole_log_with_commit(harness: Harness) -> None:
    """MODEL_CONF_BRIDGE: every MsgApp carries the whole log and etcd's commit; a follower
    whose commit is above 0 still appends it (from its commit index on); the leader keeps
    its followers' Match, so it commits; applying a change probes only the added id."""
    cfgs = configs((1, 2, 3), spares=(4,))
    c = EtcdCluster(cfgs, harness, bridge=MODEL_CONF_BRIDGE)
    c[1].campaign()
    c.settle(c[1].ready())
    assert {i: s.commit for i, s in c.statuses().items()} == {1: 1, 2: 1, 3: 1, 4: 0}
    c[1].propose_conf_change(v1(ADD_NODE, 4))
    out = c[1].ready()
    assert _abstract(out) == [(MT.MsgApp, 1, i, 0, 0, [1, 1], 1) for i in (2, 3)]
    d = c.settle(out)
    assert [(m.frm, m.index, m.reject) for m in d if m.type == MT.MsgAppResp][:2] == [
        (2, 2, False), (3, 2, False)]
    st1 = c[1].status()
    assert (st1.commit, st1.match) == (2, {1: 2, 2: 2, 3: 2})
    assert c[2].status().log_terms == [1, 1]
    c[1].apply_committed()
    assert _abstract(c[1].ready()) == [(MT.MsgApp, 1, 4, 0, 0, [1, 1], 2)]
    assert c[1].status().match == {1: 2, 2: 2, 3: 2, 4: 0}


@pytest.mark.etcd
def test_model_conf_bridge_refuses_to_overwrite_committed_entries(harness: Harness) -> None:
    """A whole-log MsgApp that disagrees with a follower's committed prefix is a state etcd
    never reaches (log.go:94-95 would panic): a bridge error."""
    cfgs = configs((1, 2, 3), term=2, log_terms=(1,), commit=1)
    c = EtcdCluster(cfgs, harness, bridge=MODEL_CONF_BRIDGE)
    bad = Message(type=MT.MsgApp, to=2, frm=1, term=2, entries=(Entry(term=2, index=1),))
    with pytest.raises(HarnessRequestError) as e:
        c[2].step(bad)
    assert e.value.kind == "bridge"


@pytest.mark.etcd
def test_restart_keeps_the_applied_configuration(harness: Harness) -> None:
    """The application persisted the ConfState and applied index: a restarted node comes
    back with the configuration it applied, not the one it started with."""
    n = Net("etcd", harness, configs((1, 2, 3)))
    n.elect(1)
    n.propose(1, v1(REMOVE_NODE, 3))
    n.replicate(1)
    n.apply(2)
    n[2].restart()
    st2 = n.status(2)
    assert (voters_in(st2), st2.commit, st2.applied) == ([1, 2], 2, 2)
    n[3].restart()  # never applied: its initial configuration, the change still pending
    st3 = n.status(3)
    assert (voters_in(st3), st3.commit, st3.applied) == ([1, 2, 3], 2, 0)
    n[3].campaign()
    assert n.status(3).role == "follower"


@pytest.mark.etcd
def test_apply_committed_refuses_pin_commit(harness: Harness) -> None:
    c = EtcdCluster(EtcdCluster.configs(3), harness)  # MODEL_BRIDGE pins commit
    with pytest.raises(HarnessRequestError, match="pin_commit"):
        c[1].apply_committed()


@pytest.mark.etcd
def test_spare_with_join_takes_the_bootstrap_config_on_first_apply(harness: Harness) -> None:
    """The node spec's `join` (the model's and impl's spares): on its first apply the spare
    takes that configuration, as from a snapshot, then applies the committed entries."""
    from types import SimpleNamespace

    cfgs = configs((1, 2, 3))
    cfgs.append(Config(id=4, voters=(), learners=(),
                       join=SimpleNamespace(voters=(1, 2, 3), learners=())))
    n = Net("etcd", harness, cfgs)
    n.elect(1)
    n.propose(1, v1(ADD_NODE, 4))
    n.replicate(1)
    n.apply(1)
    n.replicate(1)
    assert voters_in(n.status(4)) == []
    n.apply(4)
    assert voters_in(n.status(4)) == [1, 2, 3, 4]
    n[4].restart()  # the ConfState it applied was persisted
    assert voters_in(n.status(4)) == [1, 2, 3, 4]


@pytest.mark.etcd
def test_entries_given_by_their_change_are_encoded(harness: Harness) -> None:
    """A message entry with a `change` and no data (impl's entries carry the change object)
    reaches etcd encoded: the follower's log holds the configuration entry."""
    c = EtcdCluster(configs((1, 2, 3), term=1), harness, bridge=CONF_BRIDGE)
    m = {"type": int(MT.MsgApp), "to": 2, "from": 1, "term": 1, "log_term": 0, "index": 0,
         "entries": [{"term": 1, "index": 1, "type": 1,
                      "change": {"v2": False, "transition": 0, "ops": [[1, 3]]}}],
         "commit": 0, "reject": False, "reject_hint": 0}
    harness.request("step", handle=c[2].handle, msg=m)
    st = c[2].status()
    assert [(e.type, e.change) for e in st.entries] == [(EntryConfChange, v1(REMOVE_NODE, 3))]


@pytest.mark.etcd
def test_run_program_with_conf_actions(harness: Harness) -> None:
    """The `run` request (lockstep programs) takes propose_conf and apply steps."""
    from etcdharness.client import change_to_json

    n = Net("etcd", harness, configs((1, 2, 3)))
    n.elect(1)
    handles = [n[i].handle for i in (1, 2, 3)]
    res = harness.request("run", handles=handles, inflight=[], never=NEVER, steps=[
        {"node": 0, "do": "propose_conf", "change": change_to_json(v1(REMOVE_NODE, 3))},
        {"node": 0, "do": "apply"},
    ])["results"]
    assert [r.get("error") for r in res] == [None, None]
    first = res[0]
    assert [m["type"] for m in first["messages"]] == [int(MT.MsgApp)] * 2
    assert [e.get("change") for e in first["messages"][0]["entries"]][-1] == {
        "v2": False, "transition": 0, "ops": [[1, 3]]}
    assert first["status"]["pending_conf_index"] == 2
    assert res[1]["status"]["applied"] == 1  # only the leader's empty entry was committed


@pytest.mark.etcd
def test_clone_keeps_auto_leave(harness: Harness) -> None:
    """etcd's tracker.Config.Clone drops AutoLeave (tracker.go:96-112); the harness' clone
    (used by the exhaustive differential) keeps it."""
    cfgs = [Config(id=i, voters=(2, 3, 4), voters_outgoing=(1, 2, 3), auto_leave=True)
            for i in (1, 2, 3, 4)]
    c = EtcdCluster(cfgs, harness, bridge=CONF_BRIDGE)
    h = harness.request("clone", handle=c[2].handle)["handle"]
    st = harness.request("status", handle=h)["status"]
    assert st["config"]["auto_leave"] is True
    assert st["config"]["voters_out"] == [1, 2, 3]
