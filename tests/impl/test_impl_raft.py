"""raft.py and rawnode.py at the level of single Step calls (after raft_test.go)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from impl import bugs
from impl.config import Config
from impl.raft import (
    CAMPAIGN_TRANSFER_CONTEXT,
    CampaignType,
    ErrProposalDropped,
    Raft,
    RaftPanic,
    StateType,
    step_candidate,
    step_follower,
    step_leader,
)
from impl.raftpb import NONE, Entry, Message, MessageType
from impl.rawnode import ErrStepLocalMsg, ErrStepPeerNotFound, RawNode

MT = MessageType
F, C, L, P = (
    StateType.StateFollower,
    StateType.StateCandidate,
    StateType.StateLeader,
    StateType.StatePreCandidate,
)


def new_raft(
    id: int = 1,
    voters: tuple[int, ...] = (1, 2, 3),
    learners: tuple[int, ...] = (),
    rand: Callable[[int], int] | None = None,
    **kw: object,
) -> Raft:
    return Raft(
        Config(
            id=id,
            voters=voters,
            learners=learners,
            rand=rand if rand is not None else (lambda n: 0),
            **kw,  # type: ignore[arg-type]
        )
    )


def set_state(r: Raft, st: StateType) -> None:
    r.state = st
    r.step = {F: step_follower, C: step_candidate, P: step_candidate, L: step_leader}[st]


# --------------------------------------------------------------- TestRecvMsgVote

RECV_VOTE_TABLE = [
    # state, index, log_term, vote_for, want_reject
    (F, 0, 0, NONE, True),
    (F, 0, 1, NONE, True),
    (F, 0, 2, NONE, True),
    (F, 0, 3, NONE, False),
    (F, 1, 0, NONE, True),
    (F, 1, 1, NONE, True),
    (F, 1, 2, NONE, True),
    (F, 1, 3, NONE, False),
    (F, 2, 0, NONE, True),
    (F, 2, 1, NONE, True),
    (F, 2, 2, NONE, False),
    (F, 2, 3, NONE, False),
    (F, 3, 0, NONE, True),
    (F, 3, 1, NONE, True),
    (F, 3, 2, NONE, False),
    (F, 3, 3, NONE, False),
    (F, 3, 2, 2, False),
    (F, 3, 2, 1, True),
    (L, 3, 3, 1, True),
    (P, 3, 3, 1, True),
    (C, 3, 3, 1, True),
]


@pytest.mark.parametrize("msg_type", [MT.MsgVote, MT.MsgPreVote])
@pytest.mark.parametrize(("state", "index", "log_term", "vote_for", "wreject"), RECV_VOTE_TABLE)
def test_recv_msg_vote(
    msg_type: MessageType,
    state: StateType,
    index: int,
    log_term: int,
    vote_for: int,
    wreject: bool,
) -> None:
    # The receiver's log is (2, 2); its term equals the message's term.
    term = max(2, log_term)
    r = new_raft(voters=(1,), log_terms=(2, 2), term=term)
    set_state(r, state)
    r.vote = vote_for
    r.Step(Message(type=msg_type, frm=2, to=1, term=term, index=index, log_term=log_term))
    msgs = r.read_messages()
    assert len(msgs) == 1
    resp = msgs[0]
    assert resp.type == (MT.MsgVoteResp if msg_type == MT.MsgVote else MT.MsgPreVoteResp)
    assert resp.reject is wreject
    assert resp.term == term
    assert (resp.frm, resp.to) == (1, 2)
    if msg_type == MT.MsgVote and not wreject:
        assert r.vote == 2
    else:
        assert r.vote == vote_for


# --------------------------------------------------------------- TestVoteFromAnyState


@pytest.mark.parametrize("vt", [MT.MsgVote, MT.MsgPreVote])
@pytest.mark.parametrize("st", [F, P, C, L])
def test_vote_from_any_state(vt: MessageType, st: StateType) -> None:
    r = new_raft(term=1)
    if st == F:
        r.become_follower(r.term, 3)
    elif st == P:
        r.become_pre_candidate()
    elif st == C:
        r.become_candidate()
    else:
        r.become_candidate()
        r.become_leader()
    r.read_messages()
    orig_term = r.term
    new_term = r.term + 1
    r.Step(Message(type=vt, frm=2, to=1, term=new_term, log_term=new_term, index=42))
    msgs = r.read_messages()
    assert len(msgs) == 1
    assert msgs[0].type == (MT.MsgVoteResp if vt == MT.MsgVote else MT.MsgPreVoteResp)
    assert not msgs[0].reject
    assert msgs[0].term == new_term
    if vt == MT.MsgVote:
        assert (r.state, r.term, r.vote) == (F, new_term, 2)
    else:
        # A pre-vote changes nothing.
        assert (r.state, r.term) == (st, orig_term)
        assert r.vote in (NONE, 1)


# --------------------------------------------------------------- become_* transitions


def test_become_follower_keeps_vote_on_same_term() -> None:
    r = new_raft(term=2, vote=3)
    r.election_elapsed = 5
    r.prs.record_vote(2, True)
    r.become_follower(2, 3)
    assert (r.state, r.term, r.vote, r.lead, r.election_elapsed) == (F, 2, 3, 3, 0)
    assert r.prs.votes == {}
    assert r.step is step_follower
    assert r.tick == r.tick_election
    r.become_follower(3, NONE)
    assert (r.term, r.vote, r.lead) == (3, NONE, NONE)


def test_become_candidate() -> None:
    r = new_raft(term=2, vote=3)
    r.lead = 3
    r.election_elapsed = 4
    r.become_candidate()
    assert (r.state, r.term, r.vote, r.lead, r.election_elapsed) == (C, 3, 1, NONE, 0)
    assert r.step is step_candidate
    assert r.tick == r.tick_election


def test_become_pre_candidate_keeps_term_vote_elapsed_timeout() -> None:
    r = new_raft(term=2, vote=3)
    r.lead = 3
    r.election_elapsed = 4
    r.randomized_election_timeout = 17
    r.prs.record_vote(2, True)
    r.become_pre_candidate()
    assert (r.state, r.term, r.vote, r.lead, r.election_elapsed) == (P, 2, 3, NONE, 4)
    assert r.randomized_election_timeout == 17
    assert r.prs.votes == {}
    assert r.step is step_candidate


def test_become_leader() -> None:
    r = new_raft(term=1, log_terms=(1,))
    r.become_candidate()
    r.prs.progress[2].recent_active = True
    r.become_leader()
    assert (r.state, r.term, r.vote, r.lead, r.election_elapsed) == (L, 2, 1, 1, 0)
    assert r.raft_log.terms() == [1, 2]
    assert r.step is step_leader
    assert r.tick == r.tick_heartbeat
    assert not any(pr.recent_active for pr in r.prs.progress.values())


@pytest.mark.parametrize(
    ("setup", "transition"),
    [
        ("leader", "become_candidate"),
        ("leader", "become_pre_candidate"),
        ("follower", "become_leader"),
    ],
)
def test_invalid_transitions_panic(setup: str, transition: str) -> None:
    r = new_raft()
    if setup == "leader":
        r.become_candidate()
        r.become_leader()
    with pytest.raises(RaftPanic):
        getattr(r, transition)()


@pytest.mark.parametrize(
    ("start", "op", "want_state", "want_term", "want_lead"),
    [
        # after etcd's TestStateTransition (from/to pairs that are allowed)
        (F, "follower", F, 1, 2),
        (F, "pre_candidate", P, 0, NONE),
        (F, "candidate", C, 1, NONE),
        (P, "follower", F, 1, 2),
        (P, "pre_candidate", P, 0, NONE),
        (P, "candidate", C, 1, NONE),
        (P, "leader", L, 0, 1),
        (C, "follower", F, 1, 2),
        (C, "pre_candidate", P, 1, NONE),
        (C, "candidate", C, 2, NONE),
        (C, "leader", L, 1, 1),
        (L, "follower", F, 2, 2),
    ],
)
def test_state_transition(
    start: StateType, op: str, want_state: StateType, want_term: int, want_lead: int
) -> None:
    r = new_raft()
    if start == P:
        r.become_pre_candidate()
    elif start == C:
        r.become_candidate()
    elif start == L:
        r.become_candidate()
        r.become_leader()
    if op == "follower":
        r.become_follower(want_term, 2)
    else:
        getattr(r, f"become_{op}")()
    assert (r.state, r.term, r.lead) == (want_state, want_term, want_lead)


# --------------------------------------------------------------- send


@pytest.mark.parametrize(
    ("mtype", "given_term", "want_term"),
    [
        (MT.MsgVote, 5, 5),
        (MT.MsgPreVote, 8, 8),
        (MT.MsgVoteResp, 6, 6),
        (MT.MsgPreVoteResp, 9, 9),
        (MT.MsgApp, 0, 7),
        (MT.MsgAppResp, 0, 7),
        (MT.MsgHeartbeat, 0, 7),
        (MT.MsgHeartbeatResp, 0, 7),
        (MT.MsgTimeoutNow, 0, 7),
        (MT.MsgTransferLeader, 0, 7),
        (MT.MsgProp, 0, 0),
        (MT.MsgReadIndex, 0, 0),
    ],
)
def test_send_stamps_terms(mtype: MessageType, given_term: int, want_term: int) -> None:
    r = new_raft(term=7)
    r.send(Message(type=mtype, to=2, frm=9, term=given_term))
    (m,) = r.read_messages()
    assert (m.term, m.frm, m.to) == (want_term, 1, 2)


@pytest.mark.parametrize(
    ("mtype", "term"),
    [
        (MT.MsgVote, 0),
        (MT.MsgPreVote, 0),
        (MT.MsgVoteResp, 0),
        (MT.MsgPreVoteResp, 0),
        (MT.MsgApp, 3),
        (MT.MsgHeartbeat, 3),
    ],
)
def test_send_panics_on_wrong_term(mtype: MessageType, term: int) -> None:
    r = new_raft(term=7)
    with pytest.raises(RaftPanic):
        r.send(Message(type=mtype, to=2, term=term))


# --------------------------------------------------------------- randomized timeout


@pytest.mark.parametrize("v", range(10))
def test_randomized_timeout_uses_injected_rand(v: int) -> None:
    calls: list[int] = []

    def rand(n: int) -> int:
        calls.append(n)
        return v

    r = new_raft(rand=rand, election_tick=10)
    assert r.randomized_election_timeout == 10 + v
    assert calls == [10]
    r.become_candidate()
    assert calls == [10, 10]


def test_randomized_timeout_range_and_spread() -> None:
    rng = random.Random(7)
    r = new_raft(rand=rng.randrange, election_tick=10)
    seen = set()
    for _ in range(500):
        r.reset(r.term)
        seen.add(r.randomized_election_timeout)
    assert seen == set(range(10, 20))


@pytest.mark.parametrize("pre_vote", [False, True])
def test_election_fires_exactly_at_randomized_timeout(pre_vote: bool) -> None:
    node = RawNode(Config(id=1, voters=(1, 2, 3), election_tick=10, pre_vote=pre_vote,
                          rand=lambda n: 0))
    node.raft.randomized_election_timeout = 13
    for _ in range(12):
        node.tick()
    assert node.status().role == "follower"
    node.tick()
    assert node.status().role == ("pre-candidate" if pre_vote else "candidate")
    assert node.raft.election_elapsed == 0
    msgs = node.ready()
    assert [(m.type, m.to, m.term) for m in msgs] == [
        (MT.MsgPreVote if pre_vote else MT.MsgVote, 2, 1),
        (MT.MsgPreVote if pre_vote else MT.MsgVote, 3, 1),
    ]


# --------------------------------------------------------------- term handling


@pytest.mark.parametrize(
    ("check_quorum", "pre_vote", "mtype", "want"),
    [
        (False, False, MT.MsgApp, []),
        (False, False, MT.MsgHeartbeat, []),
        (True, False, MT.MsgApp, [(MT.MsgAppResp, 5, False, 0)]),
        (False, True, MT.MsgHeartbeat, [(MT.MsgAppResp, 5, False, 0)]),
        (False, False, MT.MsgPreVote, [(MT.MsgPreVoteResp, 5, True, 0)]),
        (True, True, MT.MsgVote, []),
        (True, True, MT.MsgVoteResp, []),
        (True, True, MT.MsgTimeoutNow, []),
    ],
)
def test_lower_term_messages(
    check_quorum: bool,
    pre_vote: bool,
    mtype: MessageType,
    want: list[tuple[MessageType, int, bool, int]],
) -> None:
    r = new_raft(term=5, check_quorum=check_quorum, pre_vote=pre_vote)
    r.Step(Message(type=mtype, frm=2, to=1, term=4))
    assert [(m.type, m.term, m.reject, m.index) for m in r.read_messages()] == want
    assert (r.term, r.state) == (5, F)


@pytest.mark.parametrize(
    ("mtype", "want_state", "want_term", "want_lead"),
    [
        (MT.MsgApp, F, 3, 2),
        (MT.MsgHeartbeat, F, 3, 2),
        (MT.MsgVote, F, 3, NONE),
        (MT.MsgVoteResp, F, 3, NONE),
        (MT.MsgAppResp, F, 3, NONE),
        (MT.MsgTimeoutNow, C, 4, NONE),  # follower at 3, then a transfer campaign
        (MT.MsgPreVote, L, 1, 1),
    ],
)
def test_higher_term_makes_leader_follow(
    mtype: MessageType, want_state: StateType, want_term: int, want_lead: int
) -> None:
    """After etcd's TestLeaderUpdateTermFromMessage."""
    r = new_raft()
    r.become_candidate()
    r.become_leader()
    r.Step(Message(type=mtype, frm=2, to=1, term=3))
    assert (r.state, r.term, r.lead) == (want_state, want_term, want_lead)


def test_granted_pre_vote_resp_does_not_move_term_but_reject_does() -> None:
    r = new_raft(pre_vote=True)
    r.Step(Message(type=MT.MsgHup))
    assert (r.state, r.term) == (P, 0)
    r.Step(Message(type=MT.MsgPreVoteResp, frm=2, to=1, term=1))
    # a quorum of pre-votes (self + 2): on to the real election
    assert (r.state, r.term) == (C, 1)
    r2 = new_raft(pre_vote=True)
    r2.Step(Message(type=MT.MsgHup))
    r2.Step(Message(type=MT.MsgPreVoteResp, frm=2, to=1, term=4, reject=True))
    assert (r2.state, r2.term, r2.lead) == (F, 4, NONE)


@pytest.mark.parametrize(
    ("mtype", "context", "elapsed", "want_term"),
    [
        (MT.MsgVote, b"", 0, 1),  # in lease: dropped, term kept
        (MT.MsgPreVote, b"", 9, 1),
        (MT.MsgVote, b"", 10, 2),  # lease over
        (MT.MsgVote, CAMPAIGN_TRANSFER_CONTEXT, 0, 2),  # forced
    ],
)
def test_lease(mtype: MessageType, context: bytes, elapsed: int, want_term: int) -> None:
    r = new_raft(check_quorum=True, term=1)
    r.become_follower(1, 3)
    r.election_elapsed = elapsed
    r.Step(Message(type=mtype, frm=2, to=1, term=2, context=context))
    msgs = r.read_messages()
    assert r.term == want_term
    if want_term == 1 and mtype == MT.MsgVote:
        assert msgs == []
    if want_term == 2:
        assert len(msgs) == 1 and not msgs[0].reject


# --------------------------------------------------------------- learners, promotable


@pytest.mark.parametrize(("rules", "answers"), [("seed", False), ("etcd-3.4", True)])
def test_learner_answers_votes_only_under_etcd_rules(rules: str, answers: bool) -> None:
    # Node 4 sees itself as a learner; the candidate counts it as a voter.
    r = new_raft(id=4, voters=(1, 2, 3), learners=(4,), rules=rules)
    r.Step(Message(type=MT.MsgVote, frm=1, to=4, term=1))
    msgs = r.read_messages()
    # The term switch happens before the learner check in both rule sets.
    assert r.term == 1
    if answers:
        assert [(m.type, m.reject, m.term) for m in msgs] == [(MT.MsgVoteResp, False, 1)]
        assert r.vote == 1
    else:
        assert msgs == []
        assert r.vote == NONE


def test_learner_never_campaigns() -> None:
    node = RawNode(Config(id=4, voters=(1, 2, 3), learners=(4,), rand=lambda n: 0))
    assert not node.raft.promotable()
    for _ in range(50):
        node.tick()
    node.campaign()
    node.step(Message(type=MT.MsgTimeoutNow, frm=1, to=4, term=1))
    assert node.status().role == "follower"
    assert [m.type for m in node.ready()] == []


def test_pending_conf_blocks_hup_but_not_timeout_now() -> None:
    node = RawNode(Config(id=1, voters=(1, 2, 3), pending_conf=True, rand=lambda n: 0))
    for _ in range(30):
        node.tick()
    node.campaign()
    assert node.status().role == "follower"
    assert node.ready() == []
    # etcd 3.4 checks pending conf changes only on MsgHup.
    node.step(Message(type=MT.MsgTimeoutNow, frm=2, to=1, term=1))
    st = node.status()
    # adopts term 1 as a follower, then campaigns for term 2
    assert (st.role, st.term) == ("candidate", 2)
    assert all(m.context == CAMPAIGN_TRANSFER_CONTEXT for m in node.ready())


# --------------------------------------------------------------- candidate / follower


@pytest.mark.parametrize("term", [1, 2])
def test_candidate_fallback(term: int) -> None:
    r = new_raft()
    r.Step(Message(type=MT.MsgHup))
    assert r.state == C
    r.Step(Message(type=MT.MsgApp, frm=2, to=1, term=term))
    assert (r.state, r.term, r.lead) == (F, term, 2)


@pytest.mark.parametrize(
    ("rules", "answers", "want_state"),
    [
        ("etcd-3.4", [(2, True)], L),
        ("etcd-3.4", [(2, False), (3, False)], F),
        ("seed", [(2, False), (3, False)], F),
        ("etcd-3.4", [(2, False)], C),
        ("etcd-3.4", [(2, False), (2, True)], C),  # first answer counts
    ],
)
def test_candidate_poll(rules: str, answers: list[tuple[int, bool]], want_state: StateType) -> None:
    r = new_raft(rules=rules)
    r.Step(Message(type=MT.MsgHup))
    r.read_messages()
    for frm, granted in answers:
        r.Step(Message(type=MT.MsgVoteResp, frm=frm, to=1, term=1, reject=not granted))
    assert (r.state, r.term) == (want_state, 1)
    if want_state == L:
        msgs = r.read_messages()
        assert [(m.type, m.to, m.index, m.log_term, m.entries) for m in msgs] == [
            (MT.MsgApp, 2, 0, 0, (Entry(1, 1),)),
            (MT.MsgApp, 3, 0, 0, (Entry(1, 1),)),
        ]


def test_candidate_ignores_other_phase_replies_and_timeout_now() -> None:
    r = new_raft(pre_vote=True)
    r.Step(Message(type=MT.MsgHup))
    r.Step(Message(type=MT.MsgPreVoteResp, frm=2, to=1, term=1))
    assert r.state == C
    r.read_messages()
    r.Step(Message(type=MT.MsgPreVoteResp, frm=3, to=1, term=1))
    r.Step(Message(type=MT.MsgTimeoutNow, frm=3, to=1, term=1))
    assert (r.state, r.prs.votes, r.read_messages()) == (C, {1: True}, [])
    with pytest.raises(ErrProposalDropped):
        r.Step(Message(type=MT.MsgProp, frm=1, entries=(Entry(),)))


def test_single_node_campaign_wins_at_once() -> None:
    for pre_vote in (False, True):
        r = new_raft(voters=(1,), pre_vote=pre_vote)
        r.Step(Message(type=MT.MsgHup))
        assert (r.state, r.term, r.raft_log.terms()) == (L, 1, [1])
        assert r.read_messages() == []  # no broadcast on the self-win path


def test_follower_handles_app_and_heartbeat() -> None:
    r = new_raft(term=2, log_terms=(1, 1))
    r.election_elapsed = 7
    ents = (Entry(1, 1), Entry(2, 2), Entry(2, 3))
    r.Step(Message(type=MT.MsgApp, frm=2, to=1, term=2, entries=ents))
    assert (r.lead, r.election_elapsed, r.raft_log.terms()) == (2, 0, [1, 2, 2])
    r.election_elapsed = 3
    r.Step(Message(type=MT.MsgHeartbeat, frm=3, to=1, term=2))
    assert (r.lead, r.election_elapsed) == (3, 0)
    assert [(m.type, m.to, m.term, m.index) for m in r.read_messages()] == [
        (MT.MsgAppResp, 2, 2, 3),
        (MT.MsgHeartbeatResp, 3, 2, 0),
    ]


def test_follower_forwards_proposal_and_drops_without_leader() -> None:
    r = new_raft(term=1)
    with pytest.raises(ErrProposalDropped):
        r.Step(Message(type=MT.MsgProp, frm=1, entries=(Entry(),)))
    r.become_follower(1, 3)
    r.Step(Message(type=MT.MsgProp, frm=1, entries=(Entry(),)))
    assert [(m.type, m.to, m.term) for m in r.read_messages()] == [(MT.MsgProp, 3, 0)]


# --------------------------------------------------------------- leader


def make_leader(**kw: object) -> Raft:
    r = new_raft(**kw)  # type: ignore[arg-type]
    r.become_candidate()
    r.become_leader()
    r.read_messages()
    return r


def test_leader_marks_active_and_check_quorum() -> None:
    r = make_leader(check_quorum=True)
    r.Step(Message(type=MT.MsgAppResp, frm=2, to=1, term=1, index=1))
    assert r.prs.progress[2].recent_active
    for _ in range(9):
        r.tick()
    assert r.state == L and r.election_elapsed == 9
    r.tick()  # check quorum: {1, 2} active of 3
    assert (r.state, r.election_elapsed) == (L, 0)
    assert [id for id, pr in r.prs.progress.items() if pr.recent_active] == [1]
    r.Step(Message(type=MT.MsgHeartbeatResp, frm=3, to=1, term=1))
    for _ in range(10):
        r.tick()
    assert r.state == L
    for _ in range(10):
        r.tick()
    assert (r.state, r.term, r.lead) == (F, 1, NONE)


def test_leader_without_check_quorum_stays() -> None:
    r = make_leader(heartbeat_tick=1000, election_tick=2000)
    for _ in range(5000):
        r.tick()
    assert r.state == L
    assert 0 <= r.election_elapsed < 2000


def test_leader_beat_and_heartbeat_tick() -> None:
    node = RawNode(Config(id=1, voters=(1, 2, 3), learners=(4,), heartbeat_tick=2,
                          rand=lambda n: 0))
    node.raft.become_candidate()
    node.raft.become_leader()
    node.ready()
    node.beat()
    assert [(m.type, m.to, m.term, m.commit) for m in node.ready()] == [
        (MT.MsgHeartbeat, 2, 1, 0),
        (MT.MsgHeartbeat, 3, 1, 0),
        (MT.MsgHeartbeat, 4, 1, 0),
    ]
    node.tick()
    assert node.ready() == []
    node.tick()
    assert [m.type for m in node.ready()] == [MT.MsgHeartbeat] * 3


def test_leader_propose_sends_whole_log() -> None:
    node = RawNode(Config(id=1, voters=(1, 2), learners=(3,), term=1, log_terms=(1,),
                          rand=lambda n: 0))
    node.raft.become_candidate()
    node.raft.become_leader()
    node.ready()
    node.propose(b"x")
    msgs = node.ready()
    want = (Entry(1, 1), Entry(2, 2), Entry(2, 3, data=b"x"))
    assert [(m.type, m.to, m.index, m.log_term, m.entries) for m in msgs] == [
        (MT.MsgApp, 2, 0, 0, want),
        (MT.MsgApp, 3, 0, 0, want),
    ]
    assert node.status().log_terms == [1, 2, 2]


@pytest.mark.parametrize(("to", "sent"), [(2, True), (1, False), (4, False), (9, False)])
def test_leader_transfer(to: int, sent: bool) -> None:
    node = RawNode(Config(id=1, voters=(1, 2, 3), learners=(4,), rand=lambda n: 0))
    node.raft.become_candidate()
    node.raft.become_leader()
    node.ready()
    node.raft.election_elapsed = 5
    node.transfer_leader(to)
    msgs = node.ready()
    if sent:
        assert [(m.type, m.to, m.term) for m in msgs] == [(MT.MsgTimeoutNow, to, 1)]
        assert node.raft.election_elapsed == 0
    else:
        assert msgs == []
        assert node.raft.election_elapsed == 5
    assert node.status().role == "leader"


def test_campaign_while_leader_is_ignored() -> None:
    r = make_leader(pre_vote=True)
    r.Step(Message(type=MT.MsgHup))
    assert (r.state, r.term) == (L, 1)


# --------------------------------------------------------------- rawnode


@pytest.mark.parametrize("mtype", [MT.MsgHup, MT.MsgBeat, MT.MsgCheckQuorum, MT.MsgUnreachable,
                                   MT.MsgSnapStatus])
def test_rawnode_refuses_local_messages(mtype: MessageType) -> None:
    node = RawNode(Config(id=1, voters=(1, 2, 3)))
    with pytest.raises(ErrStepLocalMsg):
        node.step(Message(type=mtype, frm=2, to=1, term=1))


def test_rawnode_refuses_responses_from_unknown_peers() -> None:
    node = RawNode(Config(id=1, voters=(1, 2, 3)))
    with pytest.raises(ErrStepPeerNotFound):
        node.step(Message(type=MT.MsgVoteResp, frm=7, to=1, term=1))
    node.step(Message(type=MT.MsgVote, frm=7, to=1, term=1))  # requests are fine
    assert node.status().vote == 7


def test_status_and_restart() -> None:
    node = RawNode(Config(id=1, voters=(1, 2, 3), election_tick=5, rand=lambda n: 2,
                          term=3, vote=2, log_terms=(1, 3)))
    st = node.status()
    assert (st.term, st.vote, st.lead, st.role) == (3, 2, 0, "follower")
    assert (st.election_elapsed, st.randomized_election_timeout) == (0, 7)
    assert (st.votes, st.recent_active, st.log_terms) == ({}, frozenset(), [1, 3])
    node.campaign()
    st = node.status()
    assert (st.term, st.vote, st.role, st.votes) == (4, 1, "candidate", {1: True})
    node.restart()
    st = node.status()
    assert (st.term, st.vote, st.role, st.votes, st.log_terms) == (4, 1, "follower", {}, [1, 3])
    assert node.ready() == []
    assert CampaignType.Transfer.value.encode() == b"CampaignTransfer"


# --------------------------------------------------------------- planted-bug hooks


def test_bug_grant_local_term(monkeypatch: pytest.MonkeyPatch) -> None:
    r = new_raft(term=1, pre_vote=True)
    r.Step(Message(type=MT.MsgPreVote, frm=2, to=1, term=2))
    assert r.read_messages()[0].term == 2
    bugs.plant(monkeypatch, "grant-local-term")
    r.Step(Message(type=MT.MsgPreVote, frm=2, to=1, term=2))
    assert r.read_messages()[0].term == 1


def test_bug_can_vote_ignores_lead(monkeypatch: pytest.MonkeyPatch) -> None:
    def answer() -> bool:
        r = new_raft(term=1)
        r.become_follower(1, 3)
        r.Step(Message(type=MT.MsgVote, frm=2, to=1, term=1))
        return not r.read_messages()[0].reject

    assert not answer()
    bugs.plant(monkeypatch, "canvote-ignores-lead")
    assert answer()


def test_bug_reset_clears_vote(monkeypatch: pytest.MonkeyPatch) -> None:
    r = new_raft(term=1, vote=2)
    r.become_follower(1, 2)
    assert r.vote == 2
    bugs.plant(monkeypatch, "reset-clears-vote")
    r.become_follower(1, 2)
    assert (r.term, r.vote) == (1, NONE)


def test_bug_quorum_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    bugs.plant(monkeypatch, "quorum-floor")
    r = new_raft(voters=(1, 2))
    r.Step(Message(type=MT.MsgHup))
    assert r.state == L  # one vote of two now "wins"


# --------------------------------------------------------------- rule-variant hooks (issue 11)


def test_variant_prevote_grant_refreshes_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    def elapsed_after_grant() -> int:
        r = new_raft(term=1, pre_vote=True)
        r.election_elapsed = 5
        r.Step(Message(type=MT.MsgPreVote, frm=2, to=1, term=2))
        assert not r.read_messages()[0].reject
        return r.election_elapsed

    assert elapsed_after_grant() == 5
    bugs.plant(monkeypatch, "prevote-grant-refreshes-timer")
    assert elapsed_after_grant() == 0


def test_variant_prevote_grant_records_vote(monkeypatch: pytest.MonkeyPatch) -> None:
    def vote_after_grant() -> tuple[int, int]:
        r = new_raft(term=1, pre_vote=True)
        r.Step(Message(type=MT.MsgPreVote, frm=2, to=1, term=2))
        assert not r.read_messages()[0].reject
        return r.term, r.vote

    assert vote_after_grant() == (1, NONE)
    bugs.plant(monkeypatch, "prevote-grant-records-vote")
    assert vote_after_grant() == (1, 2)


def test_variant_candidate_no_self_vote(monkeypatch: pytest.MonkeyPatch) -> None:
    def campaign(voters: tuple[int, ...]) -> tuple[StateType, int]:
        r = new_raft(voters=voters)
        r.Step(Message(type=MT.MsgHup))
        return r.state, r.vote

    assert campaign((1,)) == (L, 1)
    assert campaign((1, 2, 3)) == (C, 1)
    bugs.plant(monkeypatch, "candidate-no-self-vote")
    assert campaign((1,)) == (C, NONE)  # a single voter can no longer win
    assert campaign((1, 2, 3)) == (C, NONE)


def test_variant_prevote_current_term(monkeypatch: pytest.MonkeyPatch) -> None:
    def request_terms() -> list[int]:
        r = new_raft(term=3, pre_vote=True)
        r.Step(Message(type=MT.MsgHup))
        assert (r.state, r.term) == (P, 3)
        return [m.term for m in r.read_messages() if m.type == MT.MsgPreVote]

    assert request_terms() == [4, 4]
    bugs.plant(monkeypatch, "prevote-current-term")
    assert request_terms() == [3, 3]


@pytest.mark.parametrize(
    "variant,dropped",
    [
        (None, {MT.MsgVote, MT.MsgPreVote}),
        ("lease-ignores-prevote", {MT.MsgVote}),
        ("lease-ignores-vote", {MT.MsgPreVote}),
    ],
)
def test_variant_lease_applies(
    monkeypatch: pytest.MonkeyPatch, variant: str | None, dropped: set[MessageType]
) -> None:
    if variant is not None:
        bugs.plant(monkeypatch, variant)
    got = set()
    for t in (MT.MsgVote, MT.MsgPreVote):
        r = new_raft(term=1, check_quorum=True, pre_vote=True)
        r.become_follower(1, 3)  # a leader heard just now: in the lease
        r.Step(Message(type=t, frm=2, to=1, term=2))
        if not r.read_messages():
            got.add(t)
    assert got == dropped


def test_variant_transfer_not_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    def contexts() -> set[bytes]:
        r = new_raft(term=1)
        r.become_follower(1, 2)
        r.Step(Message(type=MT.MsgTimeoutNow, frm=2, to=1, term=1))
        assert r.state == C
        return {m.context for m in r.read_messages() if m.type == MT.MsgVote}

    assert contexts() == {CAMPAIGN_TRANSFER_CONTEXT}
    bugs.plant(monkeypatch, "transfer-not-forced")
    assert contexts() == {b""}
