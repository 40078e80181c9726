"""Directed configurations (issue 11): from an input on which a changed rule differs and that no
configuration reached, the audit builds a configuration that reaches it, runs it, and takes the
verdict from that run. The three blind spots of the issue are rules files here."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.directed import directed_config
from audit.probe import canonical
from audit.runner import AuditReport, Subject, audit_rules
from model.rules import RULE_SETS
from model.rules_file import load_rules_file

RULES_DIR = Path(__file__).resolve().parent / "rules"


def _audit(name: str) -> AuditReport:
    loaded = load_rules_file(RULES_DIR / f"{name}.py", base=None)
    subject = Subject(loaded.name, loaded.rules, RULE_SETS[loaded.base])
    # 3 voters: the fixed configurations miss each of these changes
    return audit_rules(subject, (3,), obligations=False, liveness=False)


def _evidence(rep: AuditReport) -> tuple[str, str]:
    """(label, reached input) of the directed configuration whose diff decided the verdict."""
    assert rep.verdict == "behaviour-changed", rep.why_no_change
    d = min(rep.changed_diffs(), key=lambda d: d.at)
    assert d.directed and d.config.reaches
    assert rep.caught_by == f"diff [{d.config.label}]"
    explored = next(e for e in rep.explorations if e.config == d.config)
    assert explored.divergent_calls > 0  # the run met the difference it was built for
    return d.config.label, d.config.reaches


def test_log_comparison_newer_term_shorter_log() -> None:
    rep = _audit("newer_term_shorter_log")
    # the fixed runs never ask a voter about a newer-term, shorter-log candidate
    assert all(e.divergent_calls == 0 for e in rep.explorations if not e.config.reaches)
    label, reaches = _evidence(rep)
    assert reaches.startswith("is_up_to_date(last_term=1, last_index=2, cand_term=2, "
                              "cand_index=1)")
    assert label == "directed: 3 voters, terms 1:1,2:2, logs 1:[1, 1],2:[2]"


def test_learner_not_promoted_under_check_quorum() -> None:
    rep = _audit("learner_keeps_leader")
    label, reaches = _evidence(rep)
    assert label == "directed: 2 voters, 1 learner, check-quorum"
    assert reaches.startswith("quorum_active(voters=6, active=10")  # leader 1 and learner 3


@pytest.mark.slow
def test_four_voter_check_quorum_count() -> None:
    rep = _audit("four_voter_check_quorum")
    label, reaches = _evidence(rep)
    assert label == "directed: 4 voters, check-quorum"
    assert reaches.startswith("quorum_active(voters=30, active=6")


def test_builders_reach_the_inputs_they_name() -> None:
    ac = directed_config("is_up_to_date", (1, 2, 2, 1), "is_up_to_date(...) = False, ...")
    assert ac is not None and ac.cfg.max_term == 3
    assert dict(ac.cfg.init_logs) == {1: (1, 1), 2: (2,)}
    assert dict(ac.cfg.init_terms) == {1: 1, 2: 2}
    # a record holding a non-voter's answer: unpromoted learners are never asked
    assert directed_config("tally_votes", (0b110, 0b1000, 0, None), "x") is None
    # 5 voters and more take minutes per run: no directed configuration
    assert directed_config("quorum", (5,), "x") is None
    # inputs made of state only elections create: the hand-written extras stay
    assert directed_config("can_vote", (1, 0, 0, 2, False, 1, 1), "x") is None
    q = directed_config("quorum_active", (0b110, 0b1010, None), "x")
    assert q is not None and (q.cfg.voters, q.cfg.learners, q.cfg.check_quorum) == (2, 1, True)
    assert not q.cfg.promoted_learners


def test_symmetric_inputs_share_a_key() -> None:
    assert canonical("can_vote", (2, 0, 0, 3, False, 1, 1)) == \
        canonical("can_vote", (1, 0, 0, 2, False, 1, 1))
    assert canonical("tally_votes", (0b1110, 0b0010, 0b1000, None)) == \
        canonical("tally_votes", (0b1110, 0b0100, 0b0010, None))
    assert canonical("quorum_active", (0b110, 0b1010, None)) != \
        canonical("quorum_active", (0b110, 0b0110, None))
