"""A TestRecvMsgVote-style table (etcd raft_test.go testRecvMsgVote) run on real etcd.

The voter's log is [2, 2] (last term 2, last index 2); the request comes from node 2
at the voter's own term. Non-follower states are reached by real transitions in a
3-voter configuration (etcd's own test pokes ``sm.state`` instead).
"""

from __future__ import annotations

import pytest

from conformance.scenarios.etcd_tables import RECV_VOTE_ROWS
from etcdharness.client import Config, EtcdRawNode, Harness
from impl.raftpb import Message, MessageType

pytestmark = pytest.mark.etcd

MT = MessageType

TABLE = RECV_VOTE_ROWS


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
