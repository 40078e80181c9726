"""Table-driven tests of the rule functions (model/rules.py), one table per rule."""

from __future__ import annotations

from itertools import product

import pytest

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
)
from model.node_state import FOLLOWER
from model.rules import (
    ETCD_34,
    RULE_NAMES,
    SEED,
    VoteResult,
    adopts_higher_term,
    can_vote,
    in_lease,
    is_up_to_date,
    lease_drops_request,
    lower_term_reply,
    quorum,
    record_vote,
    reset_vote,
    vote_reply_term,
)


@pytest.mark.parametrize(
    ("n", "q"), [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (6, 4), (7, 4), (8, 5), (9, 5)]
)
def test_quorum(n: int, q: int) -> None:
    assert quorum(n) == q


@pytest.mark.parametrize(
    ("mine", "cand", "ok"),
    [
        ((1, 3), (2, 1), True),  # higher last term wins whatever the index
        ((2, 1), (1, 3), False),  # lower last term loses whatever the index
        ((2, 2), (2, 2), True),  # same term, same index
        ((2, 2), (2, 3), True),  # same term, longer
        ((2, 3), (2, 2), False),  # same term, shorter
        ((0, 0), (0, 0), True),  # two empty logs
    ],
)
def test_is_up_to_date(mine: tuple[int, int], cand: tuple[int, int], ok: bool) -> None:
    assert is_up_to_date(*mine, *cand) is ok


# (vote, lead, from, pre_vote, msg_term, term) -> can vote
CAN_VOTE = [
    ((2, 0, 2, False, 1, 1), True),  # repeat of the vote already cast
    ((2, 3, 2, False, 1, 1), True),  # repeat even with a known leader
    ((0, 0, 2, False, 1, 1), True),  # no vote and no leader
    ((0, 3, 2, False, 1, 1), False),  # no vote but a known leader
    ((3, 0, 2, False, 1, 1), False),  # voted for someone else
    ((3, 3, 2, True, 2, 1), True),  # pre-vote for a future term
    ((3, 3, 2, True, 1, 1), False),  # pre-vote for the current term
    ((3, 3, 2, False, 2, 1), False),  # a real vote for a future term is not the pre-vote case
]


@pytest.mark.parametrize(("args", "ok"), CAN_VOTE)
def test_can_vote(args: tuple[int, int, int, bool, int, int], ok: bool) -> None:
    vote, lead, frm, pre, mterm, term = args
    assert can_vote(vote, lead, FOLLOWER, frm, pre, mterm, term) is ok


@pytest.mark.parametrize(
    ("cq", "lead", "elapsed", "et", "lease"),
    [
        (True, 1, 0, 2, True),
        (True, 1, 1, 2, True),
        (True, 1, 2, 2, False),  # elapsed reached the timeout
        (True, 0, 0, 2, False),  # no known leader
        (False, 1, 0, 2, False),  # no check-quorum, no lease
    ],
)
def test_in_lease(cq: bool, lead: int, elapsed: int, et: int, lease: bool) -> None:
    assert in_lease(cq, lead, FOLLOWER, elapsed, et) is lease


@pytest.mark.parametrize(
    ("force", "lease", "dropped"),
    [(False, True, True), (True, True, False), (False, False, False), (True, False, False)],
)
def test_lease_drops_request(force: bool, lease: bool, dropped: bool) -> None:
    assert lease_drops_request(force, lease) is dropped


@pytest.mark.parametrize(
    ("mtype", "reject", "adopts"),
    [
        (MSG_PRE_VOTE, False, False),
        (MSG_PRE_VOTE_RESP, False, False),  # granted pre-vote reply: future term, no change
        (MSG_PRE_VOTE_RESP, True, True),  # rejected: the rejecter's real, higher term
        (MSG_VOTE, False, True),
        (MSG_VOTE_RESP, True, True),
        (MSG_APP, False, True),
        (MSG_HEARTBEAT, False, True),
        (MSG_APP_RESP, False, True),
        (MSG_HEARTBEAT_RESP, False, True),
        (MSG_TIMEOUT_NOW, False, True),
    ],
)
def test_adopts_higher_term(mtype: int, reject: bool, adopts: bool) -> None:
    assert adopts_higher_term(mtype, reject) is adopts


@pytest.mark.parametrize(
    ("cq", "pv", "mtype", "reply"),
    [
        (True, False, MSG_APP, MSG_APP_RESP),
        (False, True, MSG_HEARTBEAT, MSG_APP_RESP),
        (False, False, MSG_APP, None),  # neither feature: dropped
        (False, False, MSG_PRE_VOTE, MSG_PRE_VOTE_RESP),
        (True, True, MSG_VOTE, None),
        (True, True, MSG_VOTE_RESP, None),
    ],
)
def test_lower_term_reply(cq: bool, pv: bool, mtype: int, reply: int | None) -> None:
    assert lower_term_reply(cq, pv, mtype) == reply


def test_vote_reply_term_grant_carries_request_term() -> None:
    assert vote_reply_term(True, 5, 3) == 5
    assert vote_reply_term(False, 5, 3) == 3


def test_reset_vote_only_on_term_change() -> None:
    assert reset_vote(2, 2, 3) == 3
    assert reset_vote(2, 3, 3) == 0


def test_record_vote_first_answer_counts() -> None:
    g, r = record_vote(0, 0, 2, True)
    assert (g, r) == (0b100, 0)
    assert record_vote(g, r, 2, False) == (g, r)
    g, r = record_vote(g, r, 3, False)
    assert (g, r) == (0b100, 0b1000)
    assert record_vote(g, r, 3, True) == (g, r)


def _independent_tally(
    rules: str, n: int, g: set[int], r: set[int], voters: set[int]
) -> VoteResult:
    """The two tally rules restated without bit tricks."""
    q = n // 2 + 1
    if rules == "seed":
        if len(g) >= q:
            return VoteResult.WON
        return VoteResult.LOST if len(r) >= q else VoteResult.PENDING
    yes = len(g & voters)
    missing = len(voters - g - r)
    if yes >= q:
        return VoteResult.WON
    return VoteResult.PENDING if yes + missing >= q else VoteResult.LOST


@pytest.mark.parametrize("n", range(1, 8))
@pytest.mark.parametrize("rs", [SEED, ETCD_34], ids=lambda r: r.name)
def test_tally_every_vote_pattern(n: int, rs: object) -> None:
    """Every assignment of granted / rejected / missing to 1..7 voters."""
    voters = set(range(1, n + 1))
    mask = sum(1 << i for i in voters)
    for pattern in product((0, 1, 2), repeat=n):
        g = {i + 1 for i, p in enumerate(pattern) if p == 1}
        r = {i + 1 for i, p in enumerate(pattern) if p == 2}
        gm = sum(1 << i for i in g)
        rm = sum(1 << i for i in r)
        got = rs.tally_votes(mask, gm, rm, rs.quorum)  # type: ignore[attr-defined]
        assert got == _independent_tally(rs.name, n, g, r, voters), (pattern, got)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("granted", "rejected", "seed", "etcd"),
    [
        # 4 voters, q = 3: one grant, two rejections, one missing.
        # seed: rejections (2) < q -> pending; etcd-3.4: 1 + 1 missing < 3 -> lost.
        ({1}, {2, 3}, VoteResult.PENDING, VoteResult.LOST),
        # a learner's (id 5) grant counts under seed's count-everything tally only
        ({1, 2, 5}, set(), VoteResult.WON, VoteResult.PENDING),
    ],
)
def test_seed_and_etcd34_tallies_differ(
    granted: set[int], rejected: set[int], seed: VoteResult, etcd: VoteResult
) -> None:
    voters = 0b11110  # ids 1..4
    gm = sum(1 << i for i in granted)
    rm = sum(1 << i for i in rejected)
    assert SEED.tally_votes(voters, gm, rm, SEED.quorum) == seed
    assert ETCD_34.tally_votes(voters, gm, rm, ETCD_34.quorum) == etcd


def test_rule_sets_differ_only_in_learners_and_tally() -> None:
    differing = {name for name in RULE_NAMES if getattr(SEED, name) is not getattr(ETCD_34, name)}
    assert differing == {"learner_answers_votes", "tally_votes"}
    assert SEED.learner_answers_votes() is False
    assert ETCD_34.learner_answers_votes() is True


def test_with_rules_rejects_unknown_rule() -> None:
    with pytest.raises(KeyError):
        ETCD_34.with_rules("x", no_such_rule=lambda: None)
