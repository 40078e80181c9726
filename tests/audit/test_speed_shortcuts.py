"""Shortcuts that keep a full audit within a minute (docs/AUDIT.md, "Speed") cannot change a
verdict: each is compared with the audit run without it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from audit.configs import base_config
from audit.diff import GraphDiff, first_difference, step_agreement
from audit.render import report_json
from audit.runner import VIOLATED, AuditReport, audit_rules, subject_from_variant
from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.rules import ETCD_34
from model.variants import VARIANTS_BY_NAME


def _audit(name: str, nodes: tuple[int, ...], settled: bool) -> AuditReport:
    return audit_rules(subject_from_variant(VARIANTS_BY_NAME[name]), nodes, obligations=False,
                       liveness=False, diff=False, settled_runs_stop=settled, budget=None)


@pytest.mark.parametrize(("name", "nodes"), [
    # the first 4-voter run to break goes on; the later ones stop at their first violation
    ("reset-clears-vote", (4,)),
    pytest.param("quorum-half", (3, 4), marks=pytest.mark.slow),  # a minute under load
])
def test_settled_runs_stop_at_first_violation_without_changing_the_verdict(
    name: str, nodes: tuple[int, ...]
) -> None:
    fast, full = _audit(name, nodes, True), _audit(name, nodes, False)
    assert fast.verdict == full.verdict == "safety-broken"
    assert (fast.caught_by, fast.exit_code) == (full.caught_by, full.exit_code)
    # the same configurations break; the 3-voter runs still find every broken invariant
    assert [(e.config.label, bool(e.counterexamples)) for e in fast.explorations] == \
        [(e.config.label, bool(e.counterexamples)) for e in full.explorations]
    for f, g in zip(fast.explorations, full.explorations, strict=True):
        if f.stop_reason != VIOLATED:  # went on (or held): the same as without the shortcut
            assert [i for i, _ in f.counterexamples] == [i for i, _ in g.counterexamples]
            assert f.distinct_states == g.distinct_states
        else:
            # stopped at its first violation: one of the invariants the full run broke, with
            # a shortest trace as long as the full run's shortest
            assert f.config.cfg.voters > 3 and not g.stop_reason
            assert {i for i, _ in f.counterexamples} <= {i for i, _ in g.counterexamples}
            assert min(len(t) for _, t in f.counterexamples) == \
                min(len(t) for _, t in g.counterexamples)
    stopped = [e for e in fast.explorations if e.stop_reason == VIOLATED]
    assert stopped and not fast.incomplete()  # a violation is not a time limit: exit stays 1
    assert any("stopped at their first violation" in n for n in fast.notes)
    assert report_json(fast)["verdict"] == report_json(full)["verdict"]


def _diff_fields(d: GraphDiff) -> tuple[object, ...]:
    """What a diff says: its counts when it went to the end; else that it stopped at a first
    difference, on which side, and how short the witness is (the model interns states in the
    order it meets them, and that order picks one of the shortest witnesses)."""
    if d.complete:
        return (d.variant_states, d.baseline_states, d.variant_transitions,
                d.baseline_transitions, d.changed)
    return d.changed, [(w.side, w.kind, len(w)) for w in d.witnesses]


@pytest.mark.parametrize(("name", "cfg"), [
    ("leader-from-no-message", base_config(3, False, False)),  # diverges, graphs equal
    pytest.param("leader-from-no-message", base_config(3, True, False),
                 marks=pytest.mark.slow),
    ("prevote-current-term", base_config(3, True, False)),  # a difference at once
    ("lower-term-always-appresp", base_config(3, False, False)),
    ("lease-ignores-force", replace(base_config(3, False, True), transfers=1)),
    ("tally-never-lost", ClusterConfig(voters=2, max_term=2, max_msgs=2)),
])
def test_tabulated_diff_is_the_plain_lockstep_diff(name: str, cfg: ClusterConfig) -> None:
    rules = VARIANTS_BY_NAME[name].rules
    got = [first_difference(ClusterModel(cfg, rules), ClusterModel(cfg, ETCD_34), None,
                            tabulated=tab) for tab in (True, False)]
    assert _diff_fields(got[0]) == _diff_fields(got[1])
    assert got[0].complete or got[0].changed


def test_step_agreement_tells_a_differing_state() -> None:
    # prevote-current-term: the first timeout already differs (pre-votes at the node's term)
    cfg = base_config(3, True, False)
    v = ClusterModel(cfg, VARIANTS_BY_NAME["prevote-current-term"].rules)
    agrees = step_agreement(v, ClusterModel(cfg, ETCD_34))
    assert agrees is not None
    init = v.init_states()[0]
    assert agrees(init)  # only ticks are enabled there
    ticked = dict(v.successors(init))[("tick", 1)]
    assert not agrees(ticked)  # node 1 may time out: its pre-votes carry another term
    same = ClusterModel(cfg, ETCD_34)
    assert step_agreement(same, ClusterModel(cfg, ETCD_34))(same.init_states()[0])
