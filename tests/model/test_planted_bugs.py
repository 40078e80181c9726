"""Planted bugs are caught by the explorer, with shortest traces of a stated length."""

from __future__ import annotations

import pytest

from explorer.bfs import explore
from model.cluster import ClusterModel
from model.node_state import LEADER
from model.rules import ETCD_34
from raftcheck.defaults import quick_config

QUORUM_FLOOR = ETCD_34.with_rules("quorum-floor", quorum=lambda n: n // 2)


def can_vote_without_no_vote_check(
    vote: int, lead: int, role: int, frm: int, pre: bool, msg_term: int, term: int
) -> bool:
    # canVote with `r.Vote == None` dropped from the second disjunct.
    return vote == frm or lead == 0 or (pre and msg_term > term)


CAN_VOTE_TWICE = ETCD_34.with_rules("canvote-twice", can_vote=can_vote_without_no_vote_check)


def test_quorum_floor_with_four_voters_is_caught() -> None:
    # 4 voters, q = 2: a candidate's own vote plus one grant makes a leader without a majority.
    # Shortest run: tick, timeout, drop two requests (the network holds 3), deliver the third,
    # deliver its grant -> 6 steps.
    for symmetry in (False, True):
        model = ClusterModel(quick_config(4), QUORUM_FLOOR)
        result = explore(model, symmetry=symmetry)
        assert result.invariants["LeaderHasQuorum"] == "violated"
        (v,) = result.violations
        assert len(v) == 6
        assert [s.action[0] for s in v.steps] == [
            "tick",
            "timeout",
            "drop",
            "drop",
            "deliver",
            "deliver",
        ]


def test_quorum_floor_breaks_one_leader_per_term() -> None:
    # Two leaders of term 1, each elected by itself plus one grant: 15 steps (each campaign is
    # tick, timeout, two drops, a request and its grant; in between, the first leader's three
    # MsgApps must leave the 3-message network before the second campaign fits).
    model = ClusterModel(quick_config(4), QUORUM_FLOOR)
    result = explore(model, symmetry=True, only={"OneLeaderPerTerm"})
    assert result.invariants == {"OneLeaderPerTerm": "violated"}
    (v,) = result.violations
    assert len(v) == 15
    leaders = [nd for nd in model.nodes(v.steps[-1].state) if nd[3] == LEADER]
    assert len(leaders) == 2 and leaders[0][0] == leaders[1][0] == 1


def test_can_vote_without_no_vote_condition_is_caught() -> None:
    # Two candidates of term 1; node 1 (already voted for itself) grants node 2: 7 steps.
    model = ClusterModel(quick_config(3), CAN_VOTE_TWICE)
    result = explore(model, symmetry=True)
    assert result.invariants["VoteOnce"] == "violated"
    (v,) = result.violations
    assert len(v) == 7
    assert v.steps[-1].action[0] == "deliver"


def test_the_real_rules_hold_where_the_bugs_break() -> None:
    result = explore(ClusterModel(quick_config(3)), symmetry=True)
    assert result.complete and not result.violations
    assert set(result.invariants.values()) == {"held"}


@pytest.mark.slow
def test_the_real_rules_hold_for_four_voters() -> None:
    result = explore(ClusterModel(quick_config(4)), symmetry=True)
    assert result.complete and not result.violations
