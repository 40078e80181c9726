"""No verdict without evidence (issue 11): the audit records the inputs on which a changed rule
answers differently from the baseline's, diffs every configuration where that happened, and
says `differs-unreached` instead of `no-change` when a difference exists that no behaviour
shows."""

from __future__ import annotations

import pytest

from audit import runner
from audit.configs import AuditConfig
from audit.runner import MAX_INPUTS, Subject, Watch, audit_rules, probe_differences, watched
from model.config import ClusterConfig
from model.rules import ETCD_34, quorum
from model.variants import VARIANTS_BY_NAME


def _quorum_all_of_4(voters: int) -> int:
    """etcd's quorum, except that 4 voters must all grant."""
    return 4 if voters == 4 else quorum(voters)


def _quorum_one_of_7(voters: int) -> int:
    """etcd's quorum, except that 7 voters need only one grant (no audited run has 7)."""
    return 1 if voters == 7 else quorum(voters)


SMALL3 = AuditConfig("3 voters (small)", ClusterConfig(voters=3, max_term=1, max_msgs=2))
SMALL4 = AuditConfig("4 voters (small)", ClusterConfig(voters=4, max_term=1, max_msgs=3))


@pytest.fixture
def small_configs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit's base configurations shrunk to one small run per voter count, no extras."""
    monkeypatch.setattr(runner, "base_configs",
                        lambda nodes: [c for c in (SMALL3, SMALL4) if c.cfg.voters in nodes])
    monkeypatch.setattr(runner, "extra_configs", lambda changed: [])


def _subject(name: str, **rules: object) -> Subject:
    return Subject(name, ETCD_34.with_rules(name, **rules), ETCD_34)  # type: ignore[arg-type]


def test_watch_records_distinct_differing_inputs() -> None:
    watch = Watch()
    rules = watched(ETCD_34.with_rules("q", quorum=_quorum_all_of_4), ETCD_34, watch)
    for n in (3, 4, 4, 5, 4):
        rules.quorum(n)
    assert (watch.calls, watch.divergent) == (5, 3)
    assert watch.rendered() == {"quorum": ["quorum(voters=4) = 4, baseline 3"]}
    for n in range(100):
        watch.record("quorum", (n,), 0, 1)
    assert len(watch.rendered()["quorum"]) == MAX_INPUTS


def test_probe_finds_differences_on_a_small_domain() -> None:
    got = probe_differences(ETCD_34.with_rules("q", quorum=_quorum_one_of_7), ETCD_34)
    assert got == {"quorum": ["quorum(voters=7) = 1, baseline 4"]}
    assert probe_differences(ETCD_34.with_rules("same", quorum=lambda n: n // 2 + 1),
                             ETCD_34) == {}
    # The lease variant differs on every message type it no longer guards.
    lease = probe_differences(VARIANTS_BY_NAME["lease-ignores-prevote"].rules, ETCD_34)
    assert lease == {"lease_applies": ["lease_applies(msg_type=4) = False, baseline True"]}


def test_divergence_in_a_config_the_diff_skips_is_diffed(small_configs: None) -> None:
    # Before: the 4-voter run saw quorum answer differently, but only 3 voters were diffed,
    # so the audit said no-change.
    rep = audit_rules(_subject("q4", quorum=_quorum_all_of_4), (3, 4), obligations=False,
                      liveness=False)
    four = next(e for e in rep.explorations if e.config == SMALL4)
    assert four.divergent_calls and four.divergent_inputs["quorum"] == [
        "quorum(voters=4) = 4, baseline 3"]
    three = next(e for e in rep.explorations if e.config == SMALL3)
    assert three.inert
    directed = [d for d in rep.diffs if d.directed]
    assert [d.config for d in directed] == [SMALL4] and directed[0].diff.changed
    assert rep.verdict == "behaviour-changed"
    assert rep.caught_by == f"diff [{SMALL4.label}]"


def test_difference_no_run_reaches_is_differs_unreached(small_configs: None) -> None:
    rep = audit_rules(_subject("q7", quorum=_quorum_one_of_7), (3, 4), obligations=False,
                      liveness=False)
    assert all(e.inert for e in rep.explorations) and not rep.reached_divergence()
    assert rep.unreached_inputs == {"quorum": ["quorum(voters=7) = 1, baseline 4"]}
    assert rep.verdict == "differs-unreached" and rep.exit_code == 0
    assert rep.why_no_change and "quorum(voters=7) = 1, baseline 4" in rep.why_no_change
    assert "no run reached" in rep.why_no_change


def test_unchanged_behaviour_everywhere_is_still_no_change(small_configs: None) -> None:
    same = _subject("same-quorum", quorum=lambda n: (n + 2) // 2)  # n // 2 + 1, rewritten
    rep = audit_rules(same, (3, 4), obligations=False, liveness=False)
    assert rep.verdict == "no-change" and rep.unreached_inputs == {}
    assert not rep.differing_inputs()


def test_reached_difference_without_behaviour_change_is_differs_unreached(
    small_configs: None,
) -> None:
    # stepFollower sets the leader right after becomeFollower(m.Term, None): leader_from_message
    # differs on every higher-term MsgApp, and nothing shows it.
    v = VARIANTS_BY_NAME["leader-from-no-message"]
    rep = audit_rules(Subject(v.name, v.rules, ETCD_34), (3,), obligations=False,
                      liveness=False)
    assert rep.reached_divergence() and not rep.changed_diffs()
    assert rep.verdict == "differs-unreached"
    assert "leader_from_message" in rep.differing_inputs()
    assert rep.why_no_change and "did not reach the observable behaviour" in rep.why_no_change


def test_json_keeps_its_keys_and_adds_the_inputs(small_configs: None) -> None:
    from audit.render import report_json

    rep = audit_rules(_subject("q4", quorum=_quorum_all_of_4), (3, 4), obligations=False,
                      liveness=False)
    data = report_json(rep)
    assert data["verdict"] == "behaviour-changed"
    assert data["differing_inputs"] == {"quorum": ["quorum(voters=4) = 4, baseline 3"]}
    assert data["unreached_inputs"] == {}
    e4 = next(e for e in data["explorations"] if e["config"] == SMALL4.label)
    assert e4["divergent_inputs"] == {"quorum": ["quorum(voters=4) = 4, baseline 3"]}
    assert {"changed_rule_calls", "divergent_calls", "first_divergence"} <= set(e4)
    assert [d["directed"] for d in data["diff"]] == [False, True]
