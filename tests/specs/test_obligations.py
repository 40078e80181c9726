"""The proof obligations of specs/obligations.py, on the real rule sets and on rule changes."""

from __future__ import annotations

import json

import pytest

from model.messages import MSG_PRE_VOTE
from model.rules import (
    ETCD_34,
    RULE_SETS,
    SEED,
    RuleSet,
    VoteResult,
    learner_answers_votes_etcd34,
    popcount,
    tally_votes_seed,
)
from specs.obligations import (
    OBLIGATION_NAMES,
    OBLIGATIONS,
    ObligationResult,
    UnknownObligation,
    run_obligations,
)


def mask(ids: list[int]) -> int:
    return sum(1 << i for i in ids)


@pytest.fixture(scope="module")
def real_results() -> dict[str, dict[str, ObligationResult]]:
    return {name: {r.name: r for r in run_obligations(rules)} for name, rules in RULE_SETS.items()}


# -- the real rule sets ---------------------------------------------------------------------

# The seed rule set's tally counts every recorded answer, also answers from nodes outside the
# configuration it is asked about. In a single configuration only voters are asked, so that
# never matters; in a joint configuration (etcd passes the same record to both halves) the
# incoming half counts grants of outgoing-only voters. This is a finding about the seed rules,
# not a defect of the obligation, so the test pins it down.
SEED_FAILS = {"joint-quorum", "joint-phase-overlap"}


@pytest.mark.parametrize("obligation", OBLIGATION_NAMES)
@pytest.mark.parametrize("rules", sorted(RULE_SETS))
def test_real_rule_sets(
    real_results: dict[str, dict[str, ObligationResult]], rules: str, obligation: str
) -> None:
    result = real_results[rules][obligation]
    if rules == "seed" and obligation in SEED_FAILS:
        assert result.status == "failed"
        return
    assert result.status == "proved", result.counterexample
    assert result.counterexample is None
    assert result.seconds >= 0


def test_seed_joint_counterexample(real_results: dict[str, dict[str, ObligationResult]]) -> None:
    cex = real_results["seed"]["joint-quorum"].counterexample
    assert cex is not None
    incoming, outgoing, granted = mask(cex["incoming"]), mask(cex["outgoing"]), mask(cex["granted"])
    rejected = mask(cex["rejected"])
    # Replay it on the seed's own tally: both halves say WON ...
    for half in (incoming, outgoing):
        assert SEED.tally_votes(half, granted, rejected, SEED.quorum) == VoteResult.WON
    # ... although some non-empty half holds no majority of the grants.
    assert any(
        half and 2 * popcount(granted & half) <= popcount(half) for half in (incoming, outgoing)
    )


def test_every_obligation_reports_its_solver_time(
    real_results: dict[str, dict[str, ObligationResult]],
) -> None:
    # How long they take is measured in bench/prove_bench.py, not asserted here (a shared
    # machine makes any time limit flaky); the reports show each obligation's seconds.
    import math

    for results in real_results.values():
        assert results
        for r in results.values():
            assert math.isfinite(r.seconds) and r.seconds >= 0


# -- rule changes that must be caught -------------------------------------------------------

QUORUM_FLOOR = ETCD_34.with_rules("quorum-floor", quorum=lambda n: n // 2)
SEED_FLOOR = SEED.with_rules("seed-quorum-floor", quorum=lambda n: n // 2)
COUNTS_LEARNERS = ETCD_34.with_rules("counts-learners", tally_votes=tally_votes_seed)
SEED_LEARNERS_ANSWER = SEED.with_rules(
    "seed-learners-answer", learner_answers_votes=learner_answers_votes_etcd34
)
NO_LEASE = ETCD_34.with_rules("no-lease", lease_drops_request=lambda force, lease: False)
FORCE_INVERTED = ETCD_34.with_rules(
    "force-inverted", lease_drops_request=lambda force, lease: lease and force
)
LEASE_IGNORES_LEAD_ROLE = ETCD_34.with_rules(
    "lease-needs-candidate-role",
    in_lease=lambda cq, lead, role, elapsed, et: cq and lead != 0 and role == 2 and elapsed < et,
)
LEASE_OFF_BY_ONE = ETCD_34.with_rules(
    "lease-off-by-one",
    in_lease=lambda cq, lead, role, elapsed, et: cq and lead != 0 and elapsed < et - 1,
)
QUORUM_ACTIVE_ALWAYS = ETCD_34.with_rules(
    "quorum-active-always", quorum_active=lambda voters, active, q: True
)
PRE_VOTE_BUMPS_TERM = ETCD_34.with_rules(
    "pre-vote-bumps-term", adopts_higher_term=lambda t, r: True
)
PRE_VOTE_RESP_BUMPS = ETCD_34.with_rules(
    "pre-vote-resp-bumps-term", adopts_higher_term=lambda t, r: t != MSG_PRE_VOTE
)


def lost_off_by_one(voters: int, granted: int, rejected: int, q: object) -> VoteResult:
    """etcd's VoteResult with `>` for `>=` in the pending test: lost one vote too early."""
    n = popcount(voters)
    need = q(n)  # type: ignore[operator]
    yes = popcount(granted & voters)
    missing = n - popcount((granted | rejected) & voters)
    if yes >= need:
        return VoteResult.WON
    if yes + missing > need:
        return VoteResult.PENDING
    return VoteResult.LOST


def won_needs_no_rejections(voters: int, granted: int, rejected: int, q: object) -> VoteResult:
    """Not monotone: a win is withdrawn by a later rejection."""
    n = popcount(voters)
    if popcount(granted & voters) >= q(n) and not rejected:  # type: ignore[operator]
        return VoteResult.WON
    return VoteResult.PENDING


OFF_BY_ONE_TALLY = ETCD_34.with_rules("lost-off-by-one", tally_votes=lost_off_by_one)
NOT_MONOTONE = ETCD_34.with_rules("won-needs-no-rejections", tally_votes=won_needs_no_rejections)


@pytest.mark.parametrize(
    ("rules", "obligation"),
    [
        (QUORUM_FLOOR, "quorum-intersection"),
        (QUORUM_FLOOR, "one-winner-per-term"),
        (QUORUM_FLOOR, "joint-quorum"),
        (QUORUM_FLOOR, "lease-blocks-disruption"),
        (SEED_FLOOR, "quorum-intersection"),
        (SEED_FLOOR, "one-winner-per-term"),
        (SEED_FLOOR, "tally-exclusive"),
        (OFF_BY_ONE_TALLY, "tally-exclusive"),
        (NOT_MONOTONE, "tally-exclusive"),
        (COUNTS_LEARNERS, "learner-grants-uncounted"),
        (COUNTS_LEARNERS, "one-winner-per-term"),
        (COUNTS_LEARNERS, "joint-quorum"),
        (SEED_LEARNERS_ANSWER, "learner-grants-uncounted"),
        (NO_LEASE, "lease-blocks-disruption"),
        (FORCE_INVERTED, "lease-blocks-disruption"),
        (LEASE_IGNORES_LEAD_ROLE, "lease-blocks-disruption"),
        (LEASE_OFF_BY_ONE, "lease-blocks-disruption"),
        (QUORUM_ACTIVE_ALWAYS, "lease-blocks-disruption"),
        (PRE_VOTE_BUMPS_TERM, "pre-vote-no-disruption"),
        (PRE_VOTE_RESP_BUMPS, "pre-vote-no-disruption"),
    ],
    ids=lambda x: x.name if isinstance(x, RuleSet) else x,
)
def test_rule_change_fails(rules: RuleSet, obligation: str) -> None:
    [result] = run_obligations(rules, [obligation], max_voters=5)
    assert result.status == "failed"
    assert result.counterexample
    json.dumps(result.counterexample)  # concrete, plain data


def test_rule_change_leaves_other_obligations(real_results: dict) -> None:
    # The lease rule change does not disturb the counting obligations.
    results = {r.name: r.status for r in run_obligations(NO_LEASE, max_voters=4)}
    assert results.pop("lease-blocks-disruption") == "failed"
    assert set(results.values()) == {"proved"}


def test_quorum_floor_intersection_counterexample() -> None:
    [r] = run_obligations(QUORUM_FLOOR, ["quorum-intersection"])
    cex = r.counterexample
    assert cex is not None
    n = len(cex["voters"])
    assert cex["quorum"] == n // 2
    a, b = set(cex["quorum_a"]), set(cex["quorum_b"])
    assert len(a) >= cex["quorum"] and len(b) >= cex["quorum"]
    assert a <= set(cex["voters"]) and b <= set(cex["voters"])
    assert not a & b


def test_quorum_floor_one_winner_counterexample() -> None:
    [r] = run_obligations(QUORUM_FLOOR, ["one-winner-per-term"])
    cex = r.counterexample
    assert cex is not None
    voters = mask(cex["voters"])
    assert cex["candidate_a"] != cex["candidate_b"]
    assert cex["candidate_a"] in cex["a_granted"] and cex["candidate_b"] in cex["b_granted"]
    assert not set(cex["a_granted"]) & set(cex["b_granted"])
    for g, rj in (("a_granted", "a_rejected"), ("b_granted", "b_rejected")):
        got = QUORUM_FLOOR.tally_votes(voters, mask(cex[g]), mask(cex[rj]), QUORUM_FLOOR.quorum)
        assert got == VoteResult.WON


def test_learner_counterexample_replays() -> None:
    [r] = run_obligations(COUNTS_LEARNERS, ["learner-grants-uncounted"])
    cex = r.counterexample
    assert cex is not None
    voters = mask(cex["voters"])
    granted = mask(cex["granted"])
    assert set(cex["granted"]) & set(cex["learners"])
    assert popcount(granted & voters) < cex["quorum"]
    assert tally_votes_seed(voters, granted, mask(cex["rejected"]), ETCD_34.quorum) == (
        VoteResult.WON
    )


def test_lease_counterexample_names_the_leaking_member() -> None:
    [r] = run_obligations(LEASE_OFF_BY_ONE, ["lease-blocks-disruption"])
    cex = r.counterexample
    assert cex is not None
    assert cex["force"] is False
    assert len(cex["heard_from"]) >= cex["quorum"]
    assert cex["candidate"] not in cex["heard_from"]
    members = cex["granting_members_in_lease"]
    assert members
    for state in members.values():
        assert state["elapsed"] < state["election_timeout"]


def test_pre_vote_counterexample_is_a_step() -> None:
    [r] = run_obligations(PRE_VOTE_BUMPS_TERM, ["pre-vote-no-disruption"])
    cex = r.counterexample
    assert cex is not None
    assert cex["message"].startswith("MsgPreVote ")
    assert cex["state"]["term"] != cex["after"]["term"] or (
        cex["state"]["vote"] != cex["after"]["vote"]
    )


def test_parametric_part_needs_majority_formula() -> None:
    # Safe for n <= 9 (n // 2 + 1 there) but different above: the parametric part says so.
    odd = ETCD_34.with_rules("big-n", quorum=lambda n: n // 2 + 1 if n <= 9 else n)
    [r] = run_obligations(odd, ["quorum-intersection"])
    assert r.status == "failed"
    assert r.counterexample is not None and r.counterexample["majority"] == 5 + 1


# -- rules that cannot run on Z3 terms: lazily tabulated --------------------------------------


def bin_tally(voters: int, granted: int, rejected: int, q: object) -> VoteResult:
    """etcd's tally written with bin(): cannot take symbolic masks."""
    n = bin(voters).count("1")
    need = q(n)  # type: ignore[operator]
    if bin(granted & voters).count("1") >= need:
        return VoteResult.WON
    if n - bin(rejected & voters).count("1") < need:
        return VoteResult.LOST
    return VoteResult.PENDING


def test_opaque_rule_is_tabulated() -> None:
    rules = ETCD_34.with_rules("bin-tally", tally_votes=bin_tally)
    results = run_obligations(rules, max_voters=3)
    assert {r.status for r in results} == {"proved"}
    floor = rules.with_rules("bin-tally-floor", quorum=lambda n: n // 2)
    statuses = {r.name: r.status for r in run_obligations(floor, max_voters=3)}
    assert statuses["quorum-intersection"] == "failed"
    assert statuses["one-winner-per-term"] == "failed"


# -- API ------------------------------------------------------------------------------------


def test_api() -> None:
    from specs.rule_obligations import LOCAL

    # seven about the election as a whole, three about membership changes, one per rule
    # with a local property
    assert len(set(OBLIGATION_NAMES)) == len(OBLIGATIONS) == 7 + 3 + len(LOCAL)
    for o in OBLIGATIONS:
        assert o.statement and callable(o.check)
    names = ["pre-vote-no-disruption", "quorum-intersection"]
    assert [r.name for r in run_obligations(ETCD_34, names, max_voters=3)] == names
    with pytest.raises(UnknownObligation, match="no-such"):
        run_obligations(ETCD_34, ["no-such"])
    with pytest.raises(ValueError):
        run_obligations(ETCD_34, max_voters=0)
    d = run_obligations(ETCD_34, ["quorum-intersection"], max_voters=2)[0].as_dict()
    assert set(d) == {"name", "status", "seconds", "counterexample"}
