"""A liveness configuration where a changed rule diverged is diffed too (audit/runner.py).

The variant is constructed for it: a pre-vote for a term three or more ahead of the voter's is
refused. The safety configurations never have such a gap (3 voters: max_term 2; 4 voters:
max_term 1; no directed configuration exists for can_vote), so only a liveness configuration
with a node started three terms ahead reaches it. Before, the audit saw the rule diverge there
but diffed nothing, and said `differs-unreached`.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from audit import runner
from audit.configs import AuditConfig
from audit.runner import Subject, audit_rules
from model.config import ClusterConfig
from model.rules import ETCD_34, can_vote
from raftcheck.defaults import liveness_config


def _refuses_far_pre_votes(vote: int, lead: int, role: int, frm: int, pre_vote: bool,
                           msg_term: int, term: int) -> bool:
    return can_vote(vote, lead, role, frm, pre_vote, msg_term, term) and not (
        pre_vote and msg_term - term >= 3)


FAR = ETCD_34.with_rules("pre-vote-refused-far-ahead", can_vote=_refuses_far_pre_votes)
# Voter 1 starts three terms ahead: its pre-vote (term 4) reaches voter 2 at term 0.
AHEAD = AuditConfig("2 voters, pre-vote, liveness, voter 1 three terms ahead",
                    replace(liveness_config(2), pre_vote=True, max_term=4, init_terms=((1, 3),)),
                    "a pre-vote far ahead of the voter", True)
SAFETY = AuditConfig("3 voters, pre-vote (small)",
                     ClusterConfig(voters=3, max_term=2, max_msgs=2, pre_vote=True))


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "base_configs", lambda nodes: [SAFETY])
    monkeypatch.setattr(runner, "extra_configs", lambda changed: [])


def _audit(**kw: object) -> runner.AuditReport:
    return audit_rules(Subject(FAR.name, FAR, ETCD_34), (3,), obligations=False,
                       liveness_configs=[AHEAD], **kw)  # type: ignore[arg-type]


def test_divergence_only_in_a_liveness_configuration_is_diffed(small: None) -> None:
    rep = _audit()
    (e,) = rep.explorations
    (lo,) = rep.liveness
    assert e.divergent_calls == 0 and lo.divergent_calls > 0  # only the liveness run diverged
    assert not lo.broken  # the cluster still elects (voter 2 learns term 3 and campaigns)
    live_diff = [d for d in rep.diffs if d.config == AHEAD]
    assert len(live_diff) == 1
    d = live_diff[0]
    assert d.directed and not d.inert and d.diff.changed
    (side, witness), = d.witnesses[:1]
    assert side in ("variant", "baseline") and len(witness) >= 1
    assert rep.verdict == "behaviour-changed"
    assert rep.caught_by == f"diff [{AHEAD.label}]"


def test_the_liveness_runs_reached_inputs_are_not_listed_unreached(small: None) -> None:
    rep = _audit(diff=False)
    reached = rep.differing_inputs()["can_vote"]
    assert reached and all("pre_vote=True" in x for x in reached)
    assert rep.reached_keys()["can_vote"]
    assert not set(reached) & set(rep.unreached_inputs.get("can_vote", []))
    # without the diff nothing shows the behaviour: the audit does not claim no-change
    assert rep.verdict == "differs-unreached"


def test_a_liveness_configuration_without_divergence_is_not_diffed(small: None) -> None:
    rep = audit_rules(Subject("etcd-3.4", ETCD_34, ETCD_34), (3,), obligations=False,
                      liveness_configs=[AHEAD])
    assert rep.verdict == "no-change"
    assert all(d.config != AHEAD for d in rep.diffs)


def test_a_liveness_configuration_with_cut_links_is_diffed_without_symmetry(small: None
                                                                            ) -> None:
    """Learners that never answer votes diverge in the learner configuration with voter 2
    cut off; its diff runs without symmetry (which does not permute links) and its witness
    replays."""
    from audit.liveness import LEARNER_CUT
    from model.rules import RULE_SETS

    rules = RULE_SETS["seed"]
    rep = audit_rules(Subject("seed", rules, ETCD_34), (3,), obligations=False,
                      liveness_configs=[LEARNER_CUT])
    (lo,) = rep.liveness
    assert lo.divergent_calls > 0
    (d,) = [d for d in rep.diffs if d.config == LEARNER_CUT]
    assert d.directed and d.diff.changed and d.witnesses
    _side, witness = d.witnesses[0]
    assert len(witness) >= 1
