"""A TestRecvMsgVote-style table (etcd raft_test.go testRecvMsgVote) run on real etcd.

The voter's log is [2, 2] (last term 2, last index 2); the request comes from node 2
at the voter's own term. Non-follower states are reached by real transitions in a
3-voter configuration (etcd's own test pokes ``sm.state`` instead).
"""

from __future__ import annotations

import pytest

from etcdharness.client import Config, EtcdRawNode, Harness
from impl.raftpb import Message, MessageType

pytestmark = pytest.mark.etcd

MT = MessageType

# (state, candidate's last index, candidate's last term, voter's vote, reject?)
TABLE = [
    ("follower", 0, 0, 0, True),
    ("follower", 0, 1, 0, True),
    ("follower", 0, 2, 0, True),
    ("follower", 0, 3, 0, False),
    ("follower", 1, 0, 0, True),
    ("follower", 1, 1, 0, True),
    ("follower", 1, 2, 0, True),
    ("follower", 1, 3, 0, False),
    ("follower", 2, 0, 0, True),
    ("follower", 2, 1, 0, True),
    ("follower", 2, 2, 0, False),
    ("follower", 2, 3, 0, False),
    ("follower", 3, 0, 0, True),
    ("follower", 3, 1, 0, True),
    ("follower", 3, 2, 0, False),
    ("follower", 3, 3, 0, False),
    ("follower", 3, 2, 2, False),  # a repeat of the vote already cast
    ("follower", 3, 2, 1, True),  # voted for someone else
    ("leader", 3, 3, 1, True),
    ("pre-candidate", 3, 3, 1, True),
    ("candidate", 3, 3, 1, True),
]


def make_voter(harness: Harness, state: str, log_term: int, vote: int) -> EtcdRawNode:
    term = max(2, log_term)
    cfg = Config(
        id=1,
        voters=(1, 2, 3),
        pre_vote=state == "pre-candidate",
        term=term if state == "follower" else 2,
        vote=vote,
        log_terms=(2, 2),
    )
    node = EtcdRawNode(cfg, harness)
    if state != "follower":
        node.campaign()
        node.ready()
    if state == "leader":
        node.step(Message(type=MT.MsgVoteResp, frm=3, to=1, term=node.status().term))
        node.ready()
    st = node.status()
    assert st.role == state
    assert st.vote == vote
    return node


@pytest.mark.parametrize("msg_type", [MT.MsgVote, MT.MsgPreVote], ids=["vote", "pre-vote"])
@pytest.mark.parametrize("state,index,log_term,vote,wreject", TABLE)
def test_recv_msg_vote(
    harness: Harness,
    msg_type: MessageType,
    state: str,
    index: int,
    log_term: int,
    vote: int,
    wreject: bool,
) -> None:
    node = make_voter(harness, state, log_term, vote)
    term = node.status().term
    node.step(Message(type=msg_type, frm=2, to=1, term=term, index=index, log_term=log_term))
    out = node.ready()
    want_type = MT.MsgVoteResp if msg_type == MT.MsgVote else MT.MsgPreVoteResp
    assert [(m.type, m.to, m.term, m.reject) for m in out] == [(want_type, 2, term, wreject)]
    st = node.status()
    if msg_type == MT.MsgVote and not wreject:
        assert (st.vote, st.election_elapsed) == (2, 0)
    else:
        assert st.vote == vote
    node.destroy()
