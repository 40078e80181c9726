"""No audit says `no-change` while a changed rule answers differently on an input a run reached,
or on any input of its bounded domain (issue 11; docs/AUDIT.md "What it can say").

The oracle is independent of the audit's own watch: the baseline's runs are recorded (every
rule call, every configuration). The model is deterministic in the rules' results, so a change
that answers differently on an input the baseline's run reached makes the changed run reach a
difference too (at that input, or earlier). Every rule is changed in a few ways: at an input
the baseline reaches, at an input of its domain, and not at all (a rewrite that answers the
same everywhere, which must stay `no-change`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from audit import runner
from audit.configs import AuditConfig
from audit.probe import canonical, domain
from audit.runner import Subject, audit_rules
from explorer.engines import run_search
from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.messages import MSG_APP_RESP
from model.rules import ETCD_34, RULE_NAMES, RULE_SETS, RuleSet, VoteResult
from model.rules_file import load_rules_file
from model.variants import VARIANTS

RULES_DIR = Path(__file__).resolve().parent / "rules"

SMALL = (
    AuditConfig("3 voters, pre-vote, check-quorum (small)",
                ClusterConfig(voters=3, max_term=1, max_msgs=2, pre_vote=True,
                              check_quorum=True)),
    AuditConfig("3 voters, 1 transfer, 1 restart (small)",
                ClusterConfig(voters=3, max_term=1, max_msgs=2, check_quorum=True,
                              transfers=1, restarts=1)),
    AuditConfig("2 voters + 1 learner, check-quorum (small)",
                ClusterConfig(voters=2, learners=1, max_term=1, max_msgs=2,
                              check_quorum=True)),
)


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit's configurations shrunk to SMALL, no extras."""
    monkeypatch.setattr(runner, "base_configs", lambda nodes: list(SMALL))
    monkeypatch.setattr(runner, "extra_configs", lambda changed: [])


def _key(args: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(a for a in args if not callable(a))


def _recorded(rules: RuleSet, calls: dict[str, list[tuple[Any, ...]]]) -> RuleSet:
    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        seen: set[tuple[Any, ...]] = set()

        def w(*a: Any) -> Any:
            k = _key(a)
            if k not in seen:
                seen.add(k)
                calls.setdefault(name, []).append(k)
            return fn(*a)

        return w

    return rules.with_rules(rules.name, **{n: wrap(n, getattr(rules, n)) for n in RULE_NAMES})


@pytest.fixture(scope="module")
def reached() -> dict[str, list[tuple[Any, ...]]]:
    """Rule -> every distinct input the baseline's runs of SMALL pass to it, in call order."""
    calls: dict[str, list[tuple[Any, ...]]] = {}
    for ac in SMALL:
        run_search(ClusterModel(ac.cfg, _recorded(ETCD_34, calls)), symmetry=True,
                   keep_going=True)
    return calls


def _other(v: Any) -> Any:
    """A different answer of the same kind."""
    if isinstance(v, bool):
        return not v
    if isinstance(v, VoteResult):
        return VoteResult.LOST if v == VoteResult.WON else VoteResult.WON
    if v is None:
        return MSG_APP_RESP
    if isinstance(v, tuple):
        return (v[1], v[0])
    return 0 if v else 1  # ids, terms, counts: 0 <-> 1 stays within every bound


def _point(rule: str, at: tuple[Any, ...]) -> Callable[..., Any]:
    """The baseline's rule, answering otherwise on the symmetry class of `at` (rules must be
    symmetric in node ids: the model's symmetry reduction assumes it)."""
    base = getattr(ETCD_34, rule)
    target = canonical(rule, at)

    def changed(*a: Any) -> Any:
        got = base(*a)
        return _other(got) if canonical(rule, a) == target else got

    return changed


def _rewrite(rule: str) -> Callable[..., Any]:
    base = getattr(ETCD_34, rule)

    def same(*a: Any) -> Any:
        return base(*a)

    return same


def _audit(name: str, rules: RuleSet, baseline: RuleSet = ETCD_34) -> runner.AuditReport:
    return audit_rules(Subject(name, rules, baseline), (3,), obligations=False,
                       liveness=False, diff=False, directed=False)


@pytest.mark.parametrize("rule", sorted(RULE_NAMES))
def test_a_change_at_a_reached_input_is_never_no_change(
    rule: str, small: None, reached: dict[str, list[tuple[Any, ...]]]
) -> None:
    inputs = reached.get(rule, [])
    for at in {inputs[0], inputs[-1]} if inputs else set():
        rep = _audit(f"{rule}-at-{at}", ETCD_34.with_rules("p", **{rule: _point(rule, at)}))
        assert rep.verdict != "no-change", (rule, at)
        assert rep.reached_divergence(), (rule, at)  # the watch saw what the oracle says


@pytest.mark.parametrize("rule", sorted(RULE_NAMES))
def test_a_change_anywhere_in_the_domain_is_never_no_change(rule: str, small: None) -> None:
    inputs = list(domain(rule, ETCD_34, ETCD_34))
    for at in {inputs[0], inputs[-1]}:
        rep = _audit(f"{rule}-at-{at}", ETCD_34.with_rules("p", **{rule: _point(rule, at)}))
        assert rep.verdict != "no-change", (rule, at)
        assert rep.differing_inputs() or rep.unreached_inputs or rep.broken(), (rule, at)
        if rep.verdict == "differs-unreached":  # the inputs are named
            assert rep.why_no_change and f"{rule}(" in rep.why_no_change


@pytest.mark.parametrize("rule", sorted(RULE_NAMES))
def test_a_rewrite_that_answers_the_same_is_no_change(rule: str, small: None) -> None:
    rep = _audit(f"{rule}-rewritten", ETCD_34.with_rules("p", **{rule: _rewrite(rule)}))
    assert rep.subject.changed == (rule,)
    assert rep.verdict == "no-change" and not rep.unreached_inputs
    assert rep.why_no_change and "bounded domain" in rep.why_no_change


def _rules_files() -> list[tuple[str, RuleSet, RuleSet]]:
    out = []
    for path in sorted(RULES_DIR.glob("*.py")):
        loaded = load_rules_file(path, base=None)
        out.append((path.name, loaded.rules, RULE_SETS[loaded.base]))
    return out


def test_no_rules_file_is_no_change(small: None, reached: dict[str, list[tuple[Any, ...]]]
                                    ) -> None:
    _check_never_no_change(_rules_files(), reached)


@pytest.mark.slow
def test_no_catalogue_variant_is_no_change(
    small: None, reached: dict[str, list[tuple[Any, ...]]]
) -> None:
    _check_never_no_change([(v.name, v.rules, v.baseline_rules()) for v in VARIANTS], reached)


def _check_never_no_change(
    subjects: list[tuple[str, RuleSet, RuleSet]], reached: dict[str, list[tuple[Any, ...]]]
) -> None:
    for name, rules, baseline in subjects:
        rep = _audit(name, rules, baseline)
        # Every one of them differs from its baseline somewhere in the bounded domain.
        assert rep.verdict != "no-change", name
        # The oracle: a difference at an input the baseline's runs reached is seen as reached.
        if baseline is ETCD_34:
            hit = any(getattr(rules, r)(*a) != getattr(ETCD_34, r)(*a)
                      for r in rep.subject.changed for a in _with_quorum(r, reached))
            assert rep.reached_divergence() == hit, name


def _with_quorum(rule: str, reached: dict[str, list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    """Recorded inputs with the quorum argument put back (the recorder dropped callables)."""
    if rule in ("tally_votes", "quorum_active"):
        return [(*a, ETCD_34.quorum) for a in reached.get(rule, [])]
    return reached.get(rule, [])
