"""The membership-change obligations (specs/conf_obligations.py): proved for etcd's rules,
refuted, with a counterexample that replays on the rule, for wrong ones."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from model.rules import ETCD_34, SEED, RuleSet, VoteResult, popcount, tally_votes_seed
from specs import conf_obligations as co
from specs.obligations import run_obligations

NAMES = ["conf-change-overlap", "joint-phase-overlap", "joint-committed-index"]


def mask(ids: list[int]) -> int:
    return sum(1 << i for i in ids)


@dataclass(frozen=True)
class WithMembershipRules(RuleSet):
    """A rule set carrying the membership rules as fields (as model/rules.py's will)."""

    joint_vote_result: Callable[[int, int], int] = co.etcd_joint_vote_result
    committed_index: Callable[[int, Sequence[int], Callable[[int], int]], int] = (
        co.etcd_committed_index
    )


def either_half_wins(incoming: int, outgoing: int) -> int:
    """A joint tally that is WON as soon as one half is."""
    if incoming == VoteResult.WON or outgoing == VoteResult.WON:
        return int(VoteResult.WON)
    return co.etcd_joint_vote_result(incoming, outgoing)


def highest_match(voters: int, match: Sequence[int], q: Callable[[int], int]) -> int:
    """Commits what the most advanced voter holds (no quorum)."""
    vals = [match[i - 1] for i in range(1, 16) if voters >> i & 1]
    return max(vals) if vals else co.NO_LIMIT


def test_etcd_proves_all_three_with_witness() -> None:
    results = {r.name: r for r in run_obligations(ETCD_34, NAMES)}
    assert {r.status for r in results.values()} == {"proved"}
    w = results["conf-change-overlap"].witness
    assert w is not None and len(w["changed"]) == 2
    # Replay the witness: both tallies WON, no voter of both granted both.
    old, new = mask(w["old_voters"]), mask(w["new_voters"])
    g1, g2 = mask(w["old_granted"]), mask(w["new_granted"])
    assert ETCD_34.tally_votes(old, g1, mask(w["old_rejected"]), ETCD_34.quorum) == VoteResult.WON
    assert ETCD_34.tally_votes(new, g2, mask(w["new_rejected"]), ETCD_34.quorum) == VoteResult.WON
    assert g1 & g2 & old & new == 0
    d = results["conf-change-overlap"].as_dict()
    assert d["witness"] == w
    assert "witness" not in results["joint-phase-overlap"].as_dict()


def test_two_voter_change_is_a_smallest_counterexample() -> None:
    w = co.two_voter_change_counterexample(ETCD_34)
    assert w is not None
    assert len(w["old_voters"]) + len(w["new_voters"]) <= 3
    assert popcount(mask(w["old_voters"]) ^ mask(w["new_voters"])) == 2


def test_seed_fails_the_joint_phase_with_a_replayable_counterexample() -> None:
    [r] = run_obligations(SEED, ["joint-phase-overlap"])
    cex = r.counterexample
    assert r.status == "failed" and cex is not None
    old, new = mask(cex["old_voters"]), mask(cex["new_voters"])
    gj, rj = mask(cex["joint_granted"]), mask(cex["joint_rejected"])
    halves = [tally_votes_seed(h, gj, rj, SEED.quorum) for h in (new, old)]
    assert co.etcd_joint_vote_result(*halves) == VoteResult.WON
    single = old if "old_granted" in cex else new
    key = "old" if "old_granted" in cex else "new"
    gs = mask(cex[f"{key}_granted"])
    assert tally_votes_seed(single, gs, mask(cex[f"{key}_rejected"]), SEED.quorum) == (
        VoteResult.WON
    )
    assert gj & gs & single == 0


@pytest.mark.parametrize(
    ("rules", "obligation"),
    [
        (ETCD_34.with_rules("quorum-floor", quorum=lambda n: n // 2), "conf-change-overlap"),
        (ETCD_34.with_rules("quorum-floor", quorum=lambda n: n // 2), "joint-phase-overlap"),
        (WithMembershipRules("quorum-floor-commit", quorum=lambda n: n // 2),
         "joint-committed-index"),
        (ETCD_34.with_rules("counts-learners", tally_votes=tally_votes_seed),
         "conf-change-overlap"),
        (WithMembershipRules("either-half", joint_vote_result=either_half_wins),
         "joint-phase-overlap"),
        (WithMembershipRules("either-half", joint_vote_result=either_half_wins),
         "joint-quorum"),
        (WithMembershipRules("highest-match", committed_index=highest_match),
         "joint-committed-index"),
    ],
    ids=lambda x: x.name if isinstance(x, RuleSet) else x,
)
def test_wrong_rules_fail(rules: RuleSet, obligation: str) -> None:
    [r] = run_obligations(rules, [obligation], max_voters=5)
    assert r.status == "failed"
    assert r.counterexample and r.witness is None
    json.dumps(r.counterexample)


def test_membership_rules_of_the_rule_set_are_the_ones_used() -> None:
    rules = WithMembershipRules("etcd-with-fields")
    assert {r.status for r in run_obligations(rules, NAMES, max_voters=5)} == {"proved"}


def test_highest_match_counterexample_replays() -> None:
    rules = WithMembershipRules("highest-match", committed_index=highest_match)
    [r] = run_obligations(rules, ["joint-committed-index"])
    cex = r.counterexample
    assert cex is not None
    match = [0] * 8
    for i, v in cex["match"].items():
        match[int(i) - 1] = v
    c = cex["joint_committed"]
    half = cex["half_without_majority"]
    assert 2 * sum(match[i - 1] >= c for i in half) <= len(half)


def test_changer_that_changes_two_voters_is_refuted() -> None:
    def sloppy(conf: tuple[int, int], op: int, node: int) -> tuple[int, int] | None:
        """Adding a voter also adds the next id."""
        voters, learners = conf
        if op == co.ADD_NODE:
            return voters | 1 << node | 1 << (node + 1), learners
        return co.etcd_simple_change(conf, op, node)

    cex = co._changer_cex(sloppy, 3)
    assert cex is not None and cex["change"].startswith("add voter")
    assert co._changer_cex(co.etcd_simple_change, 4) is None


def test_etcd_changer_refuses_removing_the_last_voter() -> None:
    assert co.etcd_simple_change((mask([1]), 0), co.REMOVE_NODE, 1) is None
    assert co.etcd_simple_change((mask([1]), 0), co.ADD_LEARNER, 1) is None
    assert co.etcd_simple_change((mask([1]), mask([2])), co.ADD_NODE, 2) == (mask([1, 2]), 0)
