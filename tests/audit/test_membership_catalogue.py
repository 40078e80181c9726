"""The membership-change catalogue entries (issue 14), audited against etcd-3.5.

Each is caught in the "joint-change" extra configurations of audit/configs.py (2 voters and a
learner, an established leader, one joint change that replaces every voter, so the old and the
new configuration have disjoint quorums). Their figures (kill mode and the whole audit) are in
docs/AUDIT.md and bench/membership.py; the tests check the findings, not the times.
"""

from __future__ import annotations

import pytest

from audit.configs import EXTRAS, RULE_EXTRAS, extra_configs, symmetry_applies
from audit.runner import audit_rules, subject_from_variant
from explorer.bfs import Limits, explore
from model.cluster import ClusterModel
from model.rules import ETCD_34, ETCD_35
from model.variants import VARIANTS_BY_NAME
from specs.obligations import run_obligations

ENTRIES = {
    # name: (changed rules, the extra configuration that catches it, the broken invariant)
    "conf-pending-ignores-v2": (("num_of_pending_conf",), "joint-change", "QuorumOverlap"),
    "transfer-skips-conf-check": (("hup_checks_pending_conf",), "joint-change-transfer",
                                  "QuorumOverlap"),
    "no-unapplied-conf-guard": (("num_of_pending_conf",), "joint-change", "QuorumOverlap"),
    "seed-joint-tally": (("tally_votes",), "joint-change", "LeaderHasQuorum"),
    # mutations of the other two membership rules (the catalogue covers every rule)
    "conf-never-pending": (("conf_already_pending",), "conf-budget-2", "ConfOneAtATime"),
    "joint-either-half-wins": (("joint_vote_result",), "joint-change", "LeaderHasQuorum"),
}
HISTORICAL = ("conf-pending-ignores-v2", "transfer-skips-conf-check", "no-unapplied-conf-guard")


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_entry_shape(name: str) -> None:
    v = VARIANTS_BY_NAME[name]
    changed, extra, _inv = ENTRIES[name]
    assert v.baseline == "etcd-3.5"
    assert v.changed == changed
    assert v.citation and v.description
    assert EXTRAS[extra] in extra_configs(v.changed)
    assert symmetry_applies(EXTRAS[extra].cfg)  # exact with membership changes too


def test_history_lines_name_the_etcd_issues() -> None:
    assert all(VARIANTS_BY_NAME[n].kind == "historical" for n in HISTORICAL)
    assert "#12133" in VARIANTS_BY_NAME["conf-pending-ignores-v2"].citation
    assert "#12134" in VARIANTS_BY_NAME["transfer-skips-conf-check"].citation
    assert "#456" in VARIANTS_BY_NAME["no-unapplied-conf-guard"].citation
    for rule in ("num_of_pending_conf", "hup_checks_pending_conf", "conf_already_pending",
                 "joint_vote_result"):
        assert RULE_EXTRAS[rule]


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_entry_is_caught_in_its_configuration(name: str) -> None:
    _changed, extra, inv = ENTRIES[name]
    model = ClusterModel(EXTRAS[extra].cfg, VARIANTS_BY_NAME[name].rules)
    res = explore(model, limits=Limits(time_limit=300))
    assert [v.invariant for v in res.violations] == [inv]
    v = res.violations[0]
    kinds = [s.action[0] for s in v.steps]
    assert "propose-conf" in kinds
    if inv == "QuorumOverlap":
        # two campaigns in the new term: node 3 in the new configuration, after applying it,
        # and a node whose conf entry is committed but not applied, in the old one (by its
        # own timeout, or by a leadership transfer)
        assert "apply" in kinds
        if name == "transfer-skips-conf-check":
            assert "transfer" in kinds and kinds.count("timeout") >= 1
        else:
            assert kinds.count("timeout") >= 2


@pytest.mark.parametrize("name", ["seed-joint-tally", "joint-either-half-wins"])
def test_joint_tallies_are_refuted_by_the_joint_obligations(name: str) -> None:
    rules = VARIANTS_BY_NAME[name].rules
    statuses = {r.name: r.status for r in run_obligations(
        rules, ["joint-quorum", "joint-phase-overlap"], max_voters=4)}
    assert statuses == {"joint-quorum": "failed", "joint-phase-overlap": "failed"}


def test_kill_mode_audit_reports_the_counterexample() -> None:
    rep = audit_rules(subject_from_variant(VARIANTS_BY_NAME["no-unapplied-conf-guard"]),
                      (3,), kill_mode=True, diff=False, liveness=False)
    assert rep.verdict == "safety-broken"
    [(e, inv, trace)] = rep.broken()
    assert inv == "QuorumOverlap" and e.config == EXTRAS["joint-change"]
    assert rep.counterexample_length == len(trace.steps)


@pytest.mark.slow
@pytest.mark.parametrize("extra", ["joint-change", "joint-change-transfer", "conf-budget-2"])
def test_etcd_35_holds_and_etcd_34_breaks_with_joint_changes(extra: str) -> None:
    # etcd 3.5's guard holds every invariant in the three configurations; 3.4.23 as shipped
    # does not where the change is joint (#12133: a joint change is a ConfChangeV2, which its
    # guard does not count). A simple change keeps quorums intersecting: it holds there.
    res = explore(ClusterModel(EXTRAS[extra].cfg, ETCD_35))
    assert res.complete and not res.violations
    # 3.4.23 also keeps pendingConfIndex at auto-leave (#12582), so a joint run may stop at
    # ConfOneAtATime first: QuorumOverlap is asked for alone.
    res = explore(ClusterModel(EXTRAS[extra].cfg, ETCD_34), only=["QuorumOverlap"])
    want = [] if extra == "conf-budget-2" else ["QuorumOverlap"]
    assert [v.invariant for v in res.violations] == want
