"""One obligation per rule (specs/rule_obligations.py): each holds for both rule sets and refutes a
planted wrong rule with a concrete input, which the test replays on the rule itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from model.messages import MSG_APP, MSG_APP_RESP, MSG_HEARTBEAT, MSG_NAMES, MSG_VOTE
from model.rules import ETCD_34, RULE_SETS, VoteResult
from specs.obligations import OBLIGATION_NAMES, run_obligations
from specs.rule_obligations import LOCAL


def _popcount(x: int) -> int:
    return bin(x).count("1")


Replay = Callable[[Callable[..., Any], dict[str, Any]], bool]
# rule -> (a wrong version, a check that the counterexample is real on the wrong rule)
PLANTED: dict[str, tuple[Callable[..., Any], Replay]] = {
    "is_up_to_date": (
        lambda lt, li, ct, ci: ci >= li,  # index only
        lambda f, c: f(c["last_term"], c["last_index"], c["cand_term"], c["cand_index"])
        == c["is_up_to_date"]),
    "can_vote": (
        lambda vote, lead, role, frm, pv, mt, t: vote == frm or lead == 0,
        lambda f, c: f(c["vote"], c["lead"], c["role"], c["frm"], False, c["term"], c["term"])),
    "reset_vote": (
        lambda old, new, vote: 0,  # 9d2a465: cleared even within the term
        lambda f, c: f(c["old_term"], c["new_term"], c["vote"]) == c["reset_vote"]),
    "vote_reply_term": (
        lambda granted, mt, t: t,  # PR 8288: a grant at the voter's own term
        lambda f, c: f(c["granted"], c["msg_term"], c["term"]) == c["vote_reply_term"]),
    "pre_vote_term": (
        lambda t: t + 2,
        lambda f, c: f(c["term"]) == c["pre_vote_term"] != c["term"] + 1),
    "pre_candidate_lead": (
        lambda lead: lead,
        lambda f, c: f(c["lead"]) != 0),
    "tally_votes": (
        lambda voters, g, r, q: VoteResult.WON if 2 * _popcount(g) >= _popcount(voters)
        else VoteResult.PENDING,  # half is enough
        lambda f, c: 2 * len(set(c["granted"]) & set(c["voters"])) <= len(c["voters"])),
    "quorum_active": (
        lambda voters, active, q: _popcount(active) >= q(_popcount(voters)),  # learners count
        lambda f, c: 2 * len(set(c["active"]) & set(c["voters"])) <= len(c["voters"])),
    "record_vote": (
        lambda g, r, voter, v: (g | (1 << voter), r),  # a rejection recorded as a grant
        lambda f, c: True),
    "grant_records_vote": (lambda pv: False, lambda f, c: f(False) is False),
    "grant_resets_elapsed": (lambda pv: True, lambda f, c: f(True) is True),
    "lease_applies": (lambda t: t == MSG_VOTE,
                      lambda f, c: f(MSG_NAMES.index(c["msg_type"])) == c["lease_applies"]),
    "transfer_forces": (lambda t: True, lambda f, c: f(c["transfer"]) == c["transfer_forces"]),
    "in_lease": (
        lambda cq, lead, role, elapsed, et: cq and elapsed < et,  # no leader needed
        lambda f, c: f(c["check_quorum"], c["lead"], c["role"], c["elapsed"],
                       c["election_timeout"])),
    "leader_from_message": (
        lambda t: t in (MSG_APP, MSG_HEARTBEAT, MSG_APP_RESP),
        lambda f, c: f(MSG_NAMES.index(c["msg_type"]))),
}


def test_every_local_obligation_is_listed_and_planted() -> None:
    assert set(PLANTED) == set(LOCAL)
    assert {name for name, _s, _f in LOCAL.values()} <= set(OBLIGATION_NAMES)


@pytest.mark.parametrize("rules_name", sorted(RULE_SETS))
def test_local_obligations_hold_for_both_rule_sets(rules_name: str) -> None:
    names = [name for name, _s, _f in LOCAL.values()]
    results = run_obligations(RULE_SETS[rules_name], names)
    assert [(r.name, r.status) for r in results] == [(n, "proved") for n in names]


@pytest.mark.parametrize("rule", sorted(PLANTED))
def test_a_planted_wrong_rule_is_refuted_with_a_concrete_input(rule: str) -> None:
    wrong, real = PLANTED[rule]
    name = LOCAL[rule][0]
    (res,) = run_obligations(ETCD_34.with_rules("planted", **{rule: wrong}), [name])
    assert res.status == "failed"
    cex = res.counterexample
    assert cex and cex.get("breaks")
    assert real(wrong, cex), cex
