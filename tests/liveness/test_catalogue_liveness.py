"""The catalogue's historical liveness bugs: each variant, in the audit configuration made for
it, violates a liveness property with a lasso where the etcd-3.4 rules hold that property
(docs/AUDIT.md, "Historical liveness bugs"). Each case takes at most a few seconds, the
partial-partition one about ten."""

from __future__ import annotations

import pytest

from audit.configs import AuditConfig
from audit.liveness import (
    BRIDGE,
    CHECK_QUORUM_2,
    LEARNER_AHEAD,
    LEARNER_BEHIND,
    LEARNER_CUT,
    LIVENESS_CONFIGS,
    STALE_TERM,
    TARGETS,
    BaselineLiveness,
    liveness_configs_for,
)
from audit.runner import audit_rules, subject_from_variant
from explorer.bfs import Limits
from model.liveness import LivenessOptions
from model.node_state import LEAD, LEADER, PRE_CANDIDATE, ROLE
from model.rules import ETCD_34
from model.variants import VARIANTS_BY_NAME
from raftcheck.liveness_run import liveness_graph

# variant -> (configuration, the property it breaks there)
CATALOGUE: dict[str, tuple[AuditConfig, str]] = {
    "learners-silent": (LEARNER_CUT, "EventuallyLeader"),  # etcd #10998
    "lower-term-prevote-dropped": (STALE_TERM, "EventuallyLeader"),  # etcd PR 8525
    "prevote-reject-keeps-term": (STALE_TERM, "EventuallyLeader"),  # openraft #1800
    "grant-local-term": (LEARNER_BEHIND, "EventuallyLeader"),  # etcd PR 8288
    "no-lower-term-appresp": (LEARNER_AHEAD, "EventuallyLeader"),  # etcd PR 5468
    "lease-not-candidate": (CHECK_QUORUM_2, "EventuallyLeader"),  # etcd PR 6286
    "pre-candidate-keeps-leader": (STALE_TERM, "LeaderStable"),  # etcd PR 8334
    "prevote-without-check-quorum": (BRIDGE, "LeaderStable"),  # CockroachDB #92088
}
LIMITS = Limits(time_limit=120.0)
BASELINE = BaselineLiveness()  # etcd-3.4's verdicts per configuration, shared by the tests


def verdicts(ac: AuditConfig, rules: object) -> tuple[dict[str, str], list[object]]:
    _m, g, v = liveness_graph(ac.cfg, LivenessOptions(), rules, LIMITS)  # type: ignore[arg-type]
    assert g.complete
    return dict(v.verdicts), list(v.lassos)


def test_a_pre_candidate_that_keeps_its_leader_makes_a_stable_leader_look_followed() -> None:
    """How PR 8334's rule is caught here: not by the check-quorum lease deadlock of the PR's
    test (that needs the leader to vanish after its election), but by the stale leadership
    the PR's review points at (thesis 6.2): the "stable" leader of the counterexample is
    followed by a quorum only because a pre-candidate campaigning against it still names it."""
    ac, prop = CATALOGUE["pre-candidate-keeps-leader"]
    m, g, v = liveness_graph(ac.cfg, LivenessOptions(),
                             VARIANTS_BY_NAME["pre-candidate-keeps-leader"].rules, LIMITS)
    (lasso,) = [x for x in v.lassos if x.prop == prop]
    stable = g.states[g.dst[lasso.prefix[lasso.marks["stable"] - 1]]]
    nodes = m.nodes(stable)
    (lid,) = [i + 1 for i, nd in enumerate(nodes) if nd[ROLE] == LEADER]
    assert any(nd[ROLE] == PRE_CANDIDATE and nd[LEAD] == lid for nd in nodes)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_historical_variant_breaks_liveness_where_etcd34_holds_it(name: str) -> None:
    ac, prop = CATALOGUE[name]
    variant = VARIANTS_BY_NAME[name]
    assert variant.kind == "historical" and variant.baseline == "etcd-3.4"
    assert BASELINE.get(ETCD_34, ac)[prop] == "held"
    got, lassos = verdicts(ac, variant.rules)
    assert got[prop] == "violated"
    (lasso,) = [x for x in lassos if x.prop == prop]  # type: ignore[attr-defined]
    if prop == "LeaderStable":
        # A finite run: a stable leader, then a timely, fault-free path that deposes it.
        marks = lasso.marks  # type: ignore[attr-defined]
        assert 0 < marks["stable"] < marks["deposed"] == len(lasso.prefix)  # type: ignore[attr-defined]
    else:
        assert lasso.cycle  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_audit_reports_the_historical_variant_liveness_broken(name: str) -> None:
    ac, prop = CATALOGUE[name]
    assert ac in liveness_configs_for(VARIANTS_BY_NAME[name].changed)
    rep = audit_rules(subject_from_variant(VARIANTS_BY_NAME[name]), (), obligations=False,
                      diff=False, liveness_configs=(ac,), liveness_cache=BASELINE)
    assert rep.verdict == "liveness-broken"
    assert rep.exit_code == 1
    (lo,) = rep.liveness
    assert prop in lo.broken and lo.baseline[prop] == "held"
    (trace,) = [t for p, t in lo.lassos if p == prop]
    assert len(trace) > 0
    if prop != "LeaderStable":
        assert trace.cycle_start is not None


def test_the_partial_partition_runs_only_for_lease_and_check_quorum_changes() -> None:
    cheap = tuple(c for c in LIVENESS_CONFIGS if c not in TARGETS)
    assert liveness_configs_for(("can_vote",)) == cheap
    assert liveness_configs_for(("quorum_active",)) == cheap + (BRIDGE,)
    assert liveness_configs_for(VARIANTS_BY_NAME["learners-silent"].changed) == cheap


def test_audit_list_names_the_liveness_configurations() -> None:
    from click.testing import CliRunner

    from raftcheck.cmd_audit import audit

    res = CliRunner().invoke(audit, ["--list"])
    assert res.exit_code == 0
    for ac in LIVENESS_CONFIGS:
        assert ac.label in res.stdout
    assert "[only for changes to grant_resets_elapsed, in_lease" in res.stdout
