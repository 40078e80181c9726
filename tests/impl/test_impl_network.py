"""Multi-node behaviour on a tiny in-test network (after etcd's raft_test.go)."""

from __future__ import annotations

import pytest
from impl_testnet import Network, fixed_rand

from impl import Config, MessageType, RawNode

MT = MessageType
E: tuple[int, ...] = ()  # an empty log
BH = None  # a black hole (etcd's nopStepper)


@pytest.mark.parametrize("pre_vote", [False, True])
@pytest.mark.parametrize(
    ("logs", "won"),
    [
        ([E, E, E], True),
        ([E, E, BH], True),
        ([E, BH, BH], False),
        ([E, BH, BH, E], False),
        ([E, BH, BH, E, E], True),
        # longer logs in the same term answer with rejections
        ([E, (1,), (1,), (1, 1), E], None),
    ],
)
def test_leader_election(
    pre_vote: bool, logs: list[tuple[int, ...] | None], won: bool | None
) -> None:
    nt = Network(logs, pre_vote=pre_vote)
    nt.campaign(1)
    st = nt.node(1).status()
    if won is True:
        assert (st.role, st.term) == ("leader", 1)
    elif won is False:
        # A pre-candidate that cannot finish stays at its term.
        want = ("pre-candidate", 0) if pre_vote else ("candidate", 1)
        assert (st.role, st.term) == want
    else:
        assert (st.role, st.term) == ("follower", 1)


@pytest.mark.parametrize("pre_vote", [False, True])
def test_leader_cycle(pre_vote: bool) -> None:
    nt = Network([E, E, E], pre_vote=pre_vote)
    for campaigner in (1, 2, 3):
        nt.campaign(campaigner)
        for id in (1, 2, 3):
            st = nt.node(id).status()
            assert st.role == ("leader" if id == campaigner else "follower")
            assert st.lead == campaigner
        assert nt.node(campaigner).status().term == campaigner


def test_dueling_candidates() -> None:
    nt = Network([E, E, E])
    nt.cut(1, 3)
    nt.campaign(1)
    nt.campaign(3)
    assert nt.node(1).status().role == "leader"
    assert nt.node(2).status().role == "follower"
    # 3 got 2's rejection only: pending, still a candidate at term 1
    assert (nt.node(3).status().role, nt.node(3).status().term) == ("candidate", 1)
    nt.recover()
    nt.campaign(3)
    # 3's empty log loses against the others' (1): everyone follows at term 2
    for id, log in [(1, [1]), (2, [1]), (3, [])]:
        st = nt.node(id).status()
        assert (st.role, st.term, st.log_terms) == ("follower", 2, log)


def test_dueling_pre_candidates() -> None:
    nt = Network([E, E, E], pre_vote=True)
    nt.cut(1, 3)
    nt.campaign(1)
    nt.campaign(3)
    assert nt.node(1).status().role == "leader"
    # 2 knows leader 1, but a pre-vote for a later term passes canVote; 3's log ()
    # is behind 2's (1), so 2 rejects and 3 falls back to follower.
    assert (nt.node(3).status().role, nt.node(3).status().term) == ("follower", 1)
    nt.recover()
    nt.campaign(3)
    assert [nt.node(i).status().term for i in (1, 2, 3)] == [1, 1, 1]
    assert nt.node(1).status().role == "leader"


def test_leader_transfer_end_to_end() -> None:
    nt = Network([E, E, E], pre_vote=True, check_quorum=True)
    nt.campaign(1)
    nt.node(1).transfer_leader(2)
    nt.flush()
    st = nt.node(2).status()
    assert (st.role, st.term) == ("leader", 2)
    assert nt.node(1).status().lead == 2
    forced = [m for m in nt.delivered if m.type == MT.MsgVote and m.term == 2]
    assert forced and all(m.context == b"CampaignTransfer" for m in forced)


def test_pre_vote_prevents_disruption() -> None:
    nt = Network([E, E, E], pre_vote=True)
    nt.campaign(1)
    nt.isolate(3)
    nt.node(1).propose(b"x")
    nt.flush()
    for _ in range(3):
        nt.campaign(3)
    assert (nt.node(3).status().role, nt.node(3).status().term) == ("pre-candidate", 1)
    nt.recover()
    nt.campaign(3)
    # rejected (stale log): 3 falls back to follower; nobody's term moved
    assert [nt.node(i).status().term for i in (1, 2, 3)] == [1, 1, 1]
    assert nt.node(1).status().role == "leader"
    assert nt.node(3).status().role == "follower"


def test_without_pre_vote_a_rejoining_node_disrupts() -> None:
    nt = Network([E, E, E])
    nt.campaign(1)
    nt.isolate(3)
    nt.node(1).propose(b"x")
    nt.flush()
    nt.campaign(3)
    nt.campaign(3)
    assert nt.node(3).status().term == 3
    nt.recover()
    nt.campaign(3)
    # the leader steps down to term 4 though 3 cannot win
    st = nt.node(1).status()
    assert (st.role, st.term) == ("follower", 4)


def promoted_learner_network(rules: str) -> Network:
    """Nodes 1-3 count 4 as a voter; 4 still believes it is a learner."""
    nt = Network([E, E, E, E], rules=rules)
    for i in (1, 2, 3):
        nt.nodes[i] = RawNode(Config(id=i, voters=(1, 2, 3, 4), rules=rules, rand=fixed_rand()))
    nt.nodes[4] = RawNode(Config(id=4, voters=(1, 2, 3), learners=(4,), rules=rules,
                                 rand=fixed_rand()))
    return nt


@pytest.mark.parametrize(("rules", "role"), [("seed", "candidate"), ("etcd-3.4", "leader")])
def test_promoted_learner_vote(rules: str, role: str) -> None:
    nt = promoted_learner_network(rules)
    nt.nodes[2] = None  # node 2 is down: 1 needs 3 and 4
    nt.campaign(1)
    assert nt.node(1).status().role == role
    assert not nt.node(4).raft.promotable()


def test_check_quorum_leader_steps_down_when_isolated() -> None:
    nt = Network([E, E, E], check_quorum=True)
    nt.campaign(1)
    leader = nt.node(1)
    leader.raft.heartbeat_timeout = 10**6  # only check-quorum ticks matter
    nt.isolate(1)
    for _ in range(2 * leader.raft.election_timeout):
        leader.tick()
        nt.flush()
    st = leader.status()
    assert (st.role, st.term, st.lead) == ("follower", 1, 0)


def test_check_quorum_leader_stays_with_heartbeat_answers() -> None:
    nt = Network([E, E, E], check_quorum=True)
    nt.campaign(1)
    leader = nt.node(1)
    for _ in range(5 * leader.raft.election_timeout):
        leader.tick()
        nt.flush()
    assert leader.status().role == "leader"
