"""Real elections in etcd 3.4.23's raft library, through the harness."""

from __future__ import annotations

from typing import Any

import pytest

from etcdharness.client import (
    MODEL_BRIDGE,
    NO_BRIDGE,
    Bridge,
    Config,
    EtcdCluster,
    Harness,
    HarnessRequestError,
)
from impl.raftpb import Entry, Message, MessageType

pytestmark = pytest.mark.etcd

MT = MessageType


def of_type(msgs: list[Message], t: MessageType) -> list[Message]:
    return [m for m in msgs if m.type == t]


def cluster(
    harness: Harness, voters: int = 3, bridge: Bridge = MODEL_BRIDGE, **kw: Any
) -> EtcdCluster:
    return EtcdCluster(EtcdCluster.configs(voters, **kw), harness, bridge=bridge)


@pytest.mark.parametrize("bridge", [NO_BRIDGE, MODEL_BRIDGE], ids=["raw", "bridged"])
def test_three_node_election(harness: Harness, bridge: Bridge) -> None:
    c = cluster(harness, bridge=bridge, election_tick=10)
    c[1].campaign()
    st = c[1].status()
    assert (st.role, st.term, st.vote, st.votes) == ("candidate", 1, 1, {1: True})
    out = c[1].ready()
    assert [(m.type, m.frm, m.to, m.term, m.log_term, m.index) for m in out] == [
        (MT.MsgVote, 1, 2, 1, 0, 0),
        (MT.MsgVote, 1, 3, 1, 0, 0),
    ]
    delivered = c.settle(out)
    statuses = c.statuses()
    assert [s.role for s in statuses.values()] == ["leader", "follower", "follower"]
    assert all(s.term == 1 and s.lead == 1 and s.log_terms == [1] for s in statuses.values())
    assert statuses[2].vote == statuses[3].vote == 1
    resps = of_type(delivered, MT.MsgVoteResp)
    assert [(m.frm, m.term, m.reject) for m in resps] == [(2, 1, False), (3, 1, False)]
    apps = of_type(delivered, MT.MsgApp)
    # The leader's first append: the empty entry of its term, prev = (0, 0) here
    # because every log was empty (so bridged and raw agree on this one).
    assert [(m.to, m.index, m.log_term, [e.term for e in m.entries]) for m in apps[:2]] == [
        (2, 0, 0, [1]),
        (3, 0, 0, [1]),
    ]
    app_resps = of_type(delivered, MT.MsgAppResp)
    assert [(m.frm, m.index, m.reject) for m in app_resps[:2]] == [(2, 1, False), (3, 1, False)]
    if bridge == NO_BRIDGE:
        # etcd commits index 1 after the first answer and re-broadcasts the commit.
        assert [(m.to, m.commit, m.entries) for m in apps[2:]] == [(2, 1, ()), (3, 1, ())]
        assert statuses[1].commit == 1
    else:
        assert len(apps) == 2
        assert statuses[1].commit == 0


def test_first_append_after_election_differs_from_model(harness: Harness) -> None:
    """Raw etcd sends prev = old last entry and probes; the bridge sends whole logs."""
    cfgs = EtcdCluster.configs(3, term=1)
    cfgs[0].log_terms = (1, 1)
    cfgs[1].log_terms = (1,)
    raw = EtcdCluster(cfgs, harness, bridge=NO_BRIDGE)
    raw[1].campaign()
    d = raw.settle(raw[1].ready())
    first = of_type(d, MT.MsgApp)[:2]
    assert [(m.index, m.log_term, [e.term for e in m.entries]) for m in first] == [
        (2, 1, [2]),
        (2, 1, [2]),
    ]
    rejects = [m for m in of_type(d, MT.MsgAppResp) if m.reject]
    assert [(m.frm, m.index, m.reject_hint) for m in rejects] == [(2, 2, 1), (3, 2, 0)]

    bridged = EtcdCluster(cfgs, harness, bridge=MODEL_BRIDGE)
    bridged[1].campaign()
    d = bridged.settle(bridged[1].ready())
    apps = of_type(d, MT.MsgApp)
    assert [(m.index, m.log_term, [e.term for e in m.entries]) for m in apps] == [
        (0, 0, [1, 1, 2]),
        (0, 0, [1, 1, 2]),
    ]
    assert [(m.index, m.reject) for m in of_type(d, MT.MsgAppResp)] == [(3, False), (3, False)]
    assert all(s.log_terms == [1, 1, 2] for s in bridged.statuses().values())
    assert bridged[1].last_suppressed  # the commit-driven MsgApps etcd wanted to send


def test_pre_vote_election(harness: Harness) -> None:
    c = cluster(harness, pre_vote=True, term=2)
    c[1].campaign()
    st = c[1].status()
    assert (st.role, st.term, st.vote) == ("pre-candidate", 2, 0)
    out = c[1].ready()
    assert [(m.type, m.to, m.term) for m in out] == [(MT.MsgPreVote, 2, 3), (MT.MsgPreVote, 3, 3)]
    # A pre-vote changes neither the voter's term nor its vote.
    c.deliver(out[0])
    st2 = c[2].status()
    assert (st2.term, st2.vote) == (2, 0)
    resp = c[2].ready()
    assert [(m.type, m.term, m.reject) for m in resp] == [(MT.MsgPreVoteResp, 3, False)]
    # One grant + own = quorum: straight to the real election at term 3.
    c.deliver(resp[0])
    st = c[1].status()
    assert (st.role, st.term, st.vote) == ("candidate", 3, 1)
    votes = c[1].ready()
    assert [(m.type, m.to, m.term) for m in votes] == [(MT.MsgVote, 2, 3), (MT.MsgVote, 3, 3)]
    c.settle([out[1], *votes])
    assert c.leaders() == [1]
    assert {s.term for s in c.statuses().values()} == {3}


def test_pre_vote_rejected_by_more_up_to_date_log(harness: Harness) -> None:
    cfgs = EtcdCluster.configs(3, pre_vote=True, term=1)
    cfgs[1].log_terms = (1,)
    cfgs[2].log_terms = (1,)
    c = EtcdCluster(cfgs, harness)
    c[1].campaign()
    pre_votes = c[1].ready()
    for m in pre_votes:
        c.deliver(m)
    r2, r3 = c[2].ready() + c[3].ready()
    assert (r2.type, r2.term, r2.reject) == (MT.MsgPreVoteResp, 1, True)  # the local term
    c.deliver(r2)
    assert c[1].status().votes == {1: True, 2: False}  # granted 1 + missing 1 >= 2: pending
    c.deliver(r3)
    st = c[1].status()
    assert (st.role, st.term, st.votes) == ("follower", 1, {})  # lost; reset clears the tally


def test_check_quorum_lease_rejection(harness: Harness) -> None:
    c = cluster(harness, check_quorum=True, election_tick=5)
    c[1].campaign()
    c.settle(c[1].ready())
    assert c.leaders() == [1]
    # Node 3 is partitioned and campaigns at term 2; node 2 heard from the leader
    # less than an election timeout ago: it drops the MsgVote (no answer, no term change).
    c[3].campaign()
    vote_to_2 = [m for m in c[3].ready() if m.to == 2]
    assert [(m.type, m.term) for m in vote_to_2] == [(MT.MsgVote, 2)]
    c.deliver(vote_to_2[0])
    assert c[2].ready() == []
    st2 = c[2].status()
    assert (st2.term, st2.lead, st2.vote) == (1, 1, 1)
    # Once its election_elapsed reaches the election timeout the lease is over.
    c[2].set_randomized_election_timeout(100)  # keep it from campaigning itself
    c[2].tick(5)
    c.deliver(vote_to_2[0])
    resp = c[2].ready()
    assert [(m.type, m.term, m.reject) for m in resp] == [(MT.MsgVoteResp, 2, False)]
    assert c[2].status().term == 2


def test_check_quorum_leader_steps_down(harness: Harness) -> None:
    c = cluster(harness, check_quorum=True, election_tick=5)
    c[1].campaign()
    c.settle(c[1].ready())
    assert c[1].status().recent_active == frozenset({2, 3})  # the MsgAppResps
    c[1].tick(5)  # first check: quorum active; everyone but the leader marked inactive
    st = c[1].status()
    assert (st.role, st.recent_active) == ("leader", frozenset({1}))
    # No answers for another election timeout: the leader steps down.
    c[1].tick(5)
    st = c[1].status()
    assert (st.role, st.term, st.lead) == ("follower", 1, 0)


def test_lower_term_append_answered_with_check_quorum(harness: Harness) -> None:
    c = cluster(harness, check_quorum=True, term=3)
    stale = Message(type=MT.MsgHeartbeat, frm=2, to=1, term=2)
    c[1].step(stale)
    assert [(m.type, m.to, m.term, m.index) for m in c[1].ready()] == [(MT.MsgAppResp, 2, 3, 0)]


@pytest.mark.parametrize("bridge", [NO_BRIDGE, MODEL_BRIDGE], ids=["raw", "bridged"])
def test_transfer(harness: Harness, bridge: Bridge) -> None:
    c = cluster(harness, bridge=bridge)
    c[1].campaign()
    c.settle(c[1].ready())
    c[1].transfer_leader(2)
    out = c[1].ready()
    assert [(m.type, m.to, m.term) for m in out] == [(MT.MsgTimeoutNow, 2, 1)]
    c.deliver(out[0])
    st = c[2].status()
    assert (st.role, st.term) == ("candidate", 2)
    votes = c[2].ready()
    assert {m.context for m in votes} == {b"CampaignTransfer"}
    c.settle(votes)
    assert c.leaders() == [2]


def test_transfer_to_lagging_node(harness: Harness) -> None:
    """etcd first catches the transferee up; the model (and the bridge) sends MsgTimeoutNow."""
    for bridge, want in ((NO_BRIDGE, MT.MsgApp), (MODEL_BRIDGE, MT.MsgTimeoutNow)):
        c = cluster(harness, bridge=bridge)
        c[1].campaign()
        c.settle(c[1].ready())
        c[1].propose()
        c[1].ready()  # the appends are lost: 2 and 3 lag behind
        c[1].transfer_leader(3)
        assert [m.type for m in c[1].ready()] == [want]
        st = c[1].status()
        if bridge == NO_BRIDGE:
            assert st.lead_transferee == 3
            with pytest.raises(Exception, match="proposal dropped"):
                c[1].propose()
        else:
            assert st.lead_transferee == 0
            c[1].propose()


def test_learner_gets_appends_not_votes(harness: Harness) -> None:
    c = EtcdCluster(EtcdCluster.configs(3, learners=1), harness)
    c[1].campaign()
    out = c[1].ready()
    assert [m.to for m in out] == [2, 3]
    d = c.settle(out)
    assert sorted(m.to for m in of_type(d, MT.MsgApp)) == [2, 3, 4]
    st4 = c[4].status()
    assert (st4.is_learner, st4.promotable, st4.lead) == (True, False, 1)
    c[4].campaign()
    assert c[4].status().role == "follower"


def test_pending_conf_blocks_campaign_not_transfer(harness: Harness) -> None:
    cfgs = EtcdCluster.configs(3, term=1, log_terms=(1,))
    cfgs[1].pending_conf = True
    c = EtcdCluster(cfgs, harness)
    c[2].campaign()
    assert c[2].status().role == "follower"
    assert c[2].ready() == []
    # MsgTimeoutNow calls campaign(campaignTransfer) directly, without the check.
    c[2].step(Message(type=MT.MsgTimeoutNow, frm=1, to=2, term=1))
    assert c[2].status().role == "candidate"


def test_single_node_becomes_leader_without_messages(harness: Harness) -> None:
    c = EtcdCluster([Config(id=1, voters=(1,))], harness)
    c[1].campaign()
    st = c[1].status()
    assert (st.role, st.term, st.log_terms) == ("leader", 1, [1])
    assert c[1].ready() == []


def test_restart_keeps_hard_state_and_log(harness: Harness) -> None:
    c = cluster(harness)
    c[1].campaign()
    c.settle(c[1].ready())
    c[2].restart()
    st = c[2].status()
    assert (st.role, st.term, st.vote, st.lead, st.log_terms) == ("follower", 1, 1, 0, [1])


def test_election_timeout_is_deterministic(harness: Harness) -> None:
    def timeouts(seed: int) -> list[int]:
        c = EtcdCluster(EtcdCluster.configs(3, election_tick=10), harness, seed=seed)
        out = []
        for _ in range(3):
            c[1].campaign()
            c[1].ready()
            out.append(c[1].status().randomized_election_timeout)
        return out

    a, b = timeouts(7), timeouts(7)
    assert a == b
    assert all(10 <= t < 20 for t in a)
    c = EtcdCluster(EtcdCluster.configs(1, election_tick=10), harness)
    c[1].raft.randomized_election_timeout = 12
    assert c[1].raft.randomized_election_timeout == 12
    c[1].tick(11)
    assert c[1].status().role == "follower"
    c[1].tick()
    assert c[1].status().role == "leader"


def test_pending_conf_node_and_whole_log_appends(harness: Harness) -> None:
    """A pending node's commit index (>= 1) makes etcd ignore MsgApp with Index 0."""
    cfgs = EtcdCluster.configs(3, term=1, log_terms=(1,))
    cfgs[1].pending_conf = True
    app = Message(
        type=MT.MsgApp,
        frm=1,
        to=2,
        term=2,
        entries=(Entry(term=1, index=1), Entry(term=2, index=2)),
    )
    raw = EtcdCluster(cfgs, harness, bridge=NO_BRIDGE)
    raw[2].step(app)
    assert [(m.type, m.index) for m in raw[2].ready()] == [(MT.MsgAppResp, 1)]  # = committed
    assert raw[2].status().log_terms == [1]  # nothing appended

    bridged = EtcdCluster(cfgs, harness)
    bridged[2].step(app)
    assert [(m.type, m.index) for m in bridged[2].ready()] == [(MT.MsgAppResp, 2)]
    st = bridged[2].status()
    assert (st.log_terms, st.commit) == ([1, 2], 1)
    bridged[2].campaign()
    assert bridged[2].status().role == "follower"  # still pending

    # A leader whose log lacks the committed entry: unreachable in etcd, reported.
    bridged = EtcdCluster(cfgs, harness)
    bad = Message(type=MT.MsgApp, frm=1, to=2, term=2, entries=(Entry(term=2, index=1),))
    with pytest.raises(HarnessRequestError) as info:
        bridged[2].step(bad)
    assert info.value.kind == "bridge"
    bridged[2].campaign()
    assert bridged[2].status().role == "candidate"  # no longer pending


def test_leader_tick_heartbeats(harness: Harness) -> None:
    """etcd's leader tick steps MsgBeat every heartbeat_tick ticks; the bridge withholds it."""
    for bridge, sent in ((NO_BRIDGE, 2), (MODEL_BRIDGE, 0)):
        c = cluster(harness, bridge=bridge, heartbeat_tick=2)
        c[1].campaign()
        c.settle(c[1].ready())
        c[1].tick()
        assert c[1].ready() == []
        c[1].tick()
        beats = c[1].ready()
        assert len(beats) == sent
        assert len(c[1].last_suppressed) == 2 - sent
        c[1].beat()  # the model's heartbeat action
        assert [(m.type, m.to, m.commit) for m in c[1].ready()] == [
            (MT.MsgHeartbeat, 2, 1 if bridge == NO_BRIDGE else 0),
            (MT.MsgHeartbeat, 3, 1 if bridge == NO_BRIDGE else 0),
        ]


def test_sticky_randomized_timeout(harness: Harness) -> None:
    c = cluster(harness, election_tick=3)
    c[2].set_randomized_election_timeout(10**6, sticky=True)
    c[1].campaign()
    c.settle(c[1].ready())  # becomeFollower at node 2 redraws, the pin survives
    assert c[2].status().randomized_election_timeout == 10**6
    c[2].tick(50)
    st = c[2].status()
    # etcd's electionElapsed does not saturate at the election timeout (the model's does).
    assert (st.role, st.election_elapsed) == ("follower", 50)
    c[2].restart()
    assert c[2].status().randomized_election_timeout == 10**6
    c[2].set_randomized_election_timeout(3)  # unpinned again
    c[2].tick(3)
    assert c[2].status().role == "candidate"
