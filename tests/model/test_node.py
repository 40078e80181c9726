"""Every branch of the node-local rules (model/node.py), as small tables where possible."""

from __future__ import annotations

from dataclasses import replace

import pytest

from model.config import ClusterConfig
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
    msg,
)
from model.node import NodeLogic
from model.node_state import (
    CANDIDATE,
    FOLLOWER,
    LEADER,
    PRE_CANDIDATE,
    node,
)
from model.rules import ETCD_34, SEED, RuleSet

CFG = ClusterConfig(voters=3, election_timeout=2, max_term=9, max_msgs=9)


def logic(rules: RuleSet = ETCD_34, **kw: object) -> NodeLogic:
    return NodeLogic(replace(CFG, **kw), rules)  # type: ignore[arg-type]


# -- Step: the term switch -----------------------------------------------------------------


def test_higher_term_vote_adopts_term_and_grants() -> None:
    new, outs, events = logic().step(1, node(term=1, vote=3, lead=3), msg(MSG_VOTE, 2, 1, 2))
    assert (new[0], new[1], new[2], new[3]) == (2, 2, 0, FOLLOWER)
    assert outs == (msg(MSG_VOTE_RESP, 1, 2, 2),)
    assert events == (("vote", 2, 1, 2, 0, 0),)


@pytest.mark.parametrize("mtype", [MSG_APP, MSG_HEARTBEAT])
def test_higher_term_append_or_heartbeat_sets_sender_as_leader(mtype: int) -> None:
    new, _, _ = logic().step(1, node(term=1, role=CANDIDATE, vote=1), msg(mtype, 2, 1, 3))
    assert (new[0], new[1], new[2], new[3]) == (3, 0, 2, FOLLOWER)


@pytest.mark.parametrize("mtype", [MSG_VOTE_RESP, MSG_APP_RESP, MSG_HEARTBEAT_RESP])
def test_higher_term_other_messages_follow_without_leader(mtype: int) -> None:
    new, _, _ = logic().step(1, node(term=1, role=LEADER, lead=1, vote=1), msg(mtype, 2, 1, 3))
    assert (new[0], new[2], new[3]) == (3, 0, FOLLOWER)


def test_higher_term_prevote_keeps_term_and_vote() -> None:
    before = node(term=1, vote=3, lead=0)
    new, outs, _ = logic().step(1, before, msg(MSG_PRE_VOTE, 2, 1, 2))
    assert (new[0], new[1]) == (1, 3)
    assert outs == (msg(MSG_PRE_VOTE_RESP, 1, 2, 2),)  # granted: future term, disjunct 3


def test_granted_prevote_reply_keeps_term_rejected_one_adopts_it() -> None:
    lg = logic(pre_vote=True, voters=5)
    pre = node(term=1, role=PRE_CANDIDATE, granted=0b10)
    new, _, _ = lg.step(1, pre, msg(MSG_PRE_VOTE_RESP, 2, 1, 2))
    # granted reply at the future term: no term change; it is polled (2 of 5: pending)
    assert (new[0], new[3], new[6]) == (1, PRE_CANDIDATE, 0b110)
    new, _, _ = lg.step(1, pre, msg(MSG_PRE_VOTE_RESP, 2, 1, 4, reject=True))
    assert (new[0], new[3]) == (4, FOLLOWER)


@pytest.mark.parametrize("mtype", [MSG_VOTE, MSG_PRE_VOTE])
def test_vote_request_in_lease_is_ignored(mtype: int) -> None:
    lg = logic(check_quorum=True)
    before = node(term=1, lead=3, elapsed=1)
    assert lg.step(1, before, msg(mtype, 2, 1, 2)) == (before, (), ())


def test_vote_request_after_lease_expiry_is_handled() -> None:
    lg = logic(check_quorum=True)
    new, outs, _ = lg.step(1, node(term=1, lead=3, elapsed=2), msg(MSG_VOTE, 2, 1, 2))
    assert new[0] == 2 and outs == (msg(MSG_VOTE_RESP, 1, 2, 2),)


def test_forced_vote_request_breaks_the_lease() -> None:
    lg = logic(check_quorum=True)
    new, outs, _ = lg.step(1, node(term=1, lead=3), msg(MSG_VOTE, 2, 1, 2, force=True))
    assert new[0] == 2 and outs == (msg(MSG_VOTE_RESP, 1, 2, 2),)


@pytest.mark.parametrize(
    ("cq", "pv", "mtype", "reply"),
    [
        (True, False, MSG_HEARTBEAT, msg(MSG_APP_RESP, 1, 2, 5)),
        (False, True, MSG_APP, msg(MSG_APP_RESP, 1, 2, 5)),
        (False, False, MSG_APP, None),
        (False, False, MSG_PRE_VOTE, msg(MSG_PRE_VOTE_RESP, 1, 2, 5, reject=True)),
        (True, True, MSG_VOTE, None),
    ],
)
def test_lower_term_messages(cq: bool, pv: bool, mtype: int, reply: object) -> None:
    before = node(term=5)
    new, outs, _ = logic(check_quorum=cq, pre_vote=pv).step(1, before, msg(mtype, 2, 1, 3))
    assert new == before
    assert outs == ((reply,) if reply else ())


# -- vote requests at the current term ---------------------------------------------------------


@pytest.mark.parametrize(
    ("vote", "lead", "log", "req_last", "granted"),
    [
        (0, 0, (), (0, 0), True),
        (2, 0, (), (0, 0), True),  # repeat vote
        (3, 0, (), (0, 0), False),  # voted for someone else
        (0, 3, (), (0, 0), False),  # knows a leader
        (0, 0, (1, 1), (1, 1), False),  # candidate's log is shorter
        (0, 0, (1, 1), (2, 1), True),  # candidate's last term is newer
    ],
)
def test_same_term_vote_request(
    vote: int, lead: int, log: tuple[int, ...], req_last: tuple[int, int], granted: bool
) -> None:
    before = node(term=2, vote=vote, lead=lead, log=log, elapsed=1)
    new, outs, _ = logic().step(1, before, msg(MSG_VOTE, 2, 1, 2, *req_last))
    if granted:
        assert outs == (msg(MSG_VOTE_RESP, 1, 2, 2),)
        assert (new[1], new[4]) == (2, 0)  # vote recorded, elapsed reset
    else:
        assert outs == (msg(MSG_VOTE_RESP, 1, 2, 2, reject=True),)
        assert new == before


def test_prevote_grant_records_nothing() -> None:
    before = node(term=2, elapsed=1)
    new, outs, events = logic().step(1, before, msg(MSG_PRE_VOTE, 2, 1, 3))
    assert outs == (msg(MSG_PRE_VOTE_RESP, 1, 2, 3),)
    assert new == before and events == ()


@pytest.mark.parametrize(("rules", "answers"), [(SEED, False), (ETCD_34, True)])
def test_learner_answers_vote_requests_per_rule_set(rules: RuleSet, answers: bool) -> None:
    lg = NodeLogic(replace(CFG, learners=1, promoted_learners=True), rules)
    new, outs, _ = lg.step(4, node(term=1), msg(MSG_VOTE, 2, 4, 2))
    assert new[0] == 2  # the term switch comes first under both
    assert bool(outs) is answers


# -- stepCandidate -------------------------------------------------------------------------


@pytest.mark.parametrize("mtype", [MSG_APP, MSG_HEARTBEAT])
def test_candidate_steps_down_on_own_term_leader_message(mtype: int) -> None:
    cand = node(term=2, vote=1, role=CANDIDATE, granted=0b10)
    m = msg(mtype, 3, 1, 2, entries=(2,) if mtype == MSG_APP else ())
    new, outs, _ = logic().step(1, cand, m)
    assert (new[0], new[1], new[2], new[3]) == (2, 1, 3, FOLLOWER)  # same term: vote kept
    assert outs[0][0] == (MSG_APP_RESP if mtype == MSG_APP else MSG_HEARTBEAT_RESP)


def test_candidate_wins_and_broadcasts() -> None:
    cand = node(term=2, vote=1, role=CANDIDATE, granted=0b10, log=(1,))
    new, outs, events = logic().step(1, cand, msg(MSG_VOTE_RESP, 2, 1, 2))
    assert (new[3], new[2], new[5]) == (LEADER, 1, (1, 2))
    assert sorted(m[2] for m in outs) == [2, 3]
    assert all(m[0] == MSG_APP and m[8] == (1, 2) for m in outs)
    assert events == (("leader", 2, 1, 0b110, 1, 1),)


def test_candidate_loses_to_a_quorum_of_rejections() -> None:
    cand = node(term=2, vote=1, role=CANDIDATE, granted=0b10, rejected=0b100)
    new, _, _ = logic().step(1, cand, msg(MSG_VOTE_RESP, 3, 1, 2, reject=True))
    assert (new[0], new[1], new[2], new[3]) == (2, 1, 0, FOLLOWER)


def test_candidate_pending_and_first_vote_counts() -> None:
    lg = logic(voters=5)
    cand = node(term=2, vote=1, role=CANDIDATE, granted=0b10)
    new, _, _ = lg.step(1, cand, msg(MSG_VOTE_RESP, 2, 1, 2, reject=True))
    assert new[3] == CANDIDATE and new[7] == 0b100
    again, _, _ = lg.step(1, new, msg(MSG_VOTE_RESP, 2, 1, 2))  # a later grant from 2
    assert again == new


def test_precandidate_ignores_vote_replies_and_vice_versa() -> None:
    pre = node(term=1, role=PRE_CANDIDATE, granted=0b10)
    assert logic().step(1, pre, msg(MSG_VOTE_RESP, 2, 1, 1))[0] == pre
    cand = node(term=2, vote=1, role=CANDIDATE, granted=0b10)
    assert logic().step(1, cand, msg(MSG_PRE_VOTE_RESP, 2, 1, 2))[0] == cand


def test_precandidate_win_starts_the_election() -> None:
    pre = node(term=1, role=PRE_CANDIDATE, granted=0b10)
    new, outs, _ = logic(pre_vote=True).step(1, pre, msg(MSG_PRE_VOTE_RESP, 2, 1, 2))
    assert (new[0], new[1], new[3]) == (2, 1, CANDIDATE)
    assert sorted((m[0], m[2], m[3]) for m in outs) == [(MSG_VOTE, 2, 2), (MSG_VOTE, 3, 2)]


def test_candidate_ignores_timeout_now() -> None:
    cand = node(term=2, vote=1, role=CANDIDATE, granted=0b10)
    assert logic().step(1, cand, msg(MSG_TIMEOUT_NOW, 2, 1, 2)) == (cand, (), ())


# -- followers and leaders -----------------------------------------------------------------


def test_follower_append_replaces_conflicting_log_and_keeps_longer_matching_one() -> None:
    lg = logic()
    new, outs, _ = lg.step(1, node(term=3, log=(1, 2)), msg(MSG_APP, 2, 1, 3, entries=(1, 3)))
    assert new[5] == (1, 3) and outs == (msg(MSG_APP_RESP, 1, 2, 3, index=2),)
    new, outs, _ = lg.step(1, node(term=3, log=(1, 3, 3)), msg(MSG_APP, 2, 1, 3, entries=(1, 3)))
    assert new[5] == (1, 3, 3) and outs == (msg(MSG_APP_RESP, 1, 2, 3, index=2),)


def test_follower_timeout_now_starts_forced_campaign() -> None:
    new, outs, _ = logic(pre_vote=True).step(1, node(term=2, lead=2), msg(MSG_TIMEOUT_NOW, 2, 1, 2))
    assert (new[0], new[3]) == (3, CANDIDATE)  # transfers skip pre-vote
    assert all(m[0] == MSG_VOTE and m[7] for m in outs)


def test_leader_marks_responders_active_only_with_check_quorum() -> None:
    lead = node(term=2, vote=1, lead=1, role=LEADER)
    assert logic(check_quorum=True).step(1, lead, msg(MSG_HEARTBEAT_RESP, 2, 1, 2))[0][8] == 0b100
    assert logic().step(1, lead, msg(MSG_HEARTBEAT_RESP, 2, 1, 2))[0] == lead


# -- role changes through campaign -----------------------------------------------------------


def test_timeout_campaigns_for_election() -> None:
    new, outs, events = logic().timeout(1, node(term=1, vote=2, lead=2, elapsed=2))
    assert (new[0], new[1], new[2], new[3], new[4]) == (2, 1, 0, CANDIDATE, 0)
    assert new[6] == 0b10  # its own vote is polled
    assert sorted(m[2] for m in outs) == [2, 3]
    assert events == (("vote", 2, 1, 1, 0, 0),)


def test_timeout_with_pre_vote_keeps_term_and_vote_and_clears_lead() -> None:
    new, outs, _ = logic(pre_vote=True).timeout(1, node(term=1, vote=2, lead=2, elapsed=2))
    assert (new[0], new[1], new[2], new[3]) == (1, 2, 0, PRE_CANDIDATE)
    assert all(m[0] == MSG_PRE_VOTE and m[3] == 2 for m in outs)


def test_single_node_wins_at_once() -> None:
    new, outs, events = logic(voters=1, pre_vote=True).timeout(1, node(elapsed=2))
    assert (new[0], new[3], new[5]) == (1, LEADER, (1,))
    assert outs == ()
    assert [e[0] for e in events] == ["vote", "leader"]


def test_pending_conf_ignores_hup_but_resets_elapsed() -> None:
    lg = logic(pending_conf=frozenset({1}))
    new, outs, _ = lg.timeout(1, node(term=1, elapsed=2))
    assert new == node(term=1, elapsed=0) and outs == ()


def test_timeout_enabled_only_for_promotable_non_leaders_past_the_timeout() -> None:
    lg = logic(learners=1)
    assert lg.can_time_out(1, node(elapsed=2))
    assert not lg.can_time_out(1, node(elapsed=1))
    assert not lg.can_time_out(4, node(elapsed=2))  # learner
    assert not lg.can_time_out(1, node(elapsed=2, role=LEADER))


# -- ticks ---------------------------------------------------------------------------------


def test_follower_tick_saturates() -> None:
    lg = logic()
    assert lg.tick(1, node(elapsed=1))[0][4] == 2
    assert lg.tick(1, node(elapsed=2))[0][4] == 2


def test_leader_check_quorum_steps_down_without_quorum() -> None:
    lg = logic(check_quorum=True)
    lead = node(term=2, vote=1, lead=1, role=LEADER, elapsed=1)
    new, _, _ = lg.tick(1, lead)
    assert (new[0], new[1], new[2], new[3]) == (2, 1, 0, FOLLOWER)


def test_leader_check_quorum_stays_with_quorum_and_clears_activity() -> None:
    lg = logic(check_quorum=True)
    lead = node(term=2, vote=1, lead=1, role=LEADER, elapsed=1, active=0b100)
    new, _, _ = lg.tick(1, lead)
    assert (new[3], new[4], new[8]) == (LEADER, 0, 0)


def test_leader_tick_without_check_quorum_just_wraps() -> None:
    lead = node(term=2, vote=1, lead=1, role=LEADER, elapsed=1)
    new, _, _ = logic().tick(1, lead)
    assert (new[3], new[4]) == (LEADER, 0)


def test_restart_keeps_hard_state_only() -> None:
    before = node(term=3, vote=2, lead=2, role=LEADER, elapsed=1, log=(1, 3), granted=6, active=4)
    assert logic().restart(before) == node(term=3, vote=2, log=(1, 3))


def test_reset_clears_vote_only_when_the_term_changes() -> None:
    # A candidate that loses at its own term keeps its vote for itself (raft.go reset).
    cand = node(term=2, vote=1, role=CANDIDATE, granted=0b10, rejected=0b100)
    new, _, _ = logic().step(1, cand, msg(MSG_VOTE_RESP, 3, 1, 2, reject=True))
    assert new[1] == 1


# -- the one-line decisions as rules (issue 11): each catalogue variant changes one step ---


def _variant(name: str) -> RuleSet:
    from model.variants import get_variant

    return get_variant(name).rules


def test_prevote_grant_records_vote_variant_writes_the_vote_at_own_term() -> None:
    before = node(term=2, elapsed=1)
    new, outs, events = logic(_variant("prevote-grant-records-vote")).step(
        1, before, msg(MSG_PRE_VOTE, 2, 1, 3)
    )
    assert outs == (msg(MSG_PRE_VOTE_RESP, 1, 2, 3),)
    assert (new[0], new[1], new[4]) == (2, 2, 1)  # term kept, vote recorded, timer kept
    assert ("vote", 2, 1, 2, 0, 0) in events and ("broken", "PreVoteNoDisruption") in events


def test_prevote_grant_refreshes_timer_variant_resets_elapsed_only() -> None:
    before = node(term=2, elapsed=1)
    new, _, events = logic(_variant("prevote-grant-refreshes-timer")).step(
        1, before, msg(MSG_PRE_VOTE, 2, 1, 3)
    )
    assert (new[0], new[1], new[4]) == (2, 0, 0) and events == ()


@pytest.mark.parametrize("pre_vote", [False, True])
def test_candidate_no_self_vote_variant(pre_vote: bool) -> None:
    lg = logic(_variant("candidate-no-self-vote"), pre_vote=pre_vote)
    new, outs, events = lg.timeout(1, node(term=1, elapsed=2))
    assert new[6] == 0  # nothing granted, not even its own
    if pre_vote:
        assert (new[0], new[1], new[3]) == (1, 0, PRE_CANDIDATE)
    else:
        assert (new[0], new[1], new[3]) == (2, 0, CANDIDATE) and events == ()
    assert len(outs) == 2
    base_new, _, base_events = logic(pre_vote=pre_vote).timeout(1, node(term=1, elapsed=2))
    assert base_new[6] == 0b10 and (pre_vote or base_events == (("vote", 2, 1, 1, 0, 0),))


def test_candidate_no_self_vote_single_voter_never_wins() -> None:
    new, _, _ = logic(_variant("candidate-no-self-vote"), voters=1).timeout(1, node(term=1))
    assert new[3] == CANDIDATE
    assert logic(voters=1).timeout(1, node(term=1))[0][3] == LEADER


def test_prevote_current_term_variant_asks_at_own_term() -> None:
    for rules, want in ((ETCD_34, 4), (_variant("prevote-current-term"), 3)):
        new, outs, _ = logic(rules, pre_vote=True).timeout(1, node(term=3, elapsed=2))
        assert (new[0], new[3]) == (3, PRE_CANDIDATE)
        assert {m[3] for m in outs} == {want}


@pytest.mark.parametrize(
    ("variant", "dropped"),
    [
        (None, {MSG_VOTE, MSG_PRE_VOTE}),
        ("lease-ignores-prevote", {MSG_VOTE}),
        ("lease-ignores-vote", {MSG_PRE_VOTE}),
    ],
)
def test_lease_applies_variants(variant: str | None, dropped: set[int]) -> None:
    rules = ETCD_34 if variant is None else _variant(variant)
    lg = logic(rules, check_quorum=True)
    before = node(term=1, lead=3, elapsed=1)
    got = {t for t in (MSG_VOTE, MSG_PRE_VOTE) if lg.step(1, before, msg(t, 2, 1, 2))[1] == ()}
    assert got == dropped


def test_transfer_not_forced_variant_sends_unforced_requests() -> None:
    for rules, force in ((ETCD_34, True), (_variant("transfer-not-forced"), False)):
        _, outs, _ = logic(rules).step(1, node(term=2, lead=2), msg(MSG_TIMEOUT_NOW, 2, 1, 2))
        assert outs and all(m[0] == MSG_VOTE and m[7] is force for m in outs)
