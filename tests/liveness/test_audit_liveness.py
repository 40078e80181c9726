"""`raftcheck audit` judges liveness: a change that breaks a property the baseline holds is
liveness-broken (exit 1), with its lasso."""

from __future__ import annotations

from audit.liveness import LEARNER_CUT
from audit.render import report_json, report_text
from audit.runner import audit_rules, subject_from_variant
from model.variants import VARIANTS_BY_NAME

LEARNER = (LEARNER_CUT,)


def audit(name: str) -> object:
    return audit_rules(
        subject_from_variant(VARIANTS_BY_NAME[name]), (), obligations=False, diff=False,
        liveness_configs=LEARNER,
    )


def test_silent_learners_are_liveness_broken_with_a_lasso() -> None:
    rep = audit("learners-silent")
    assert rep.verdict == "liveness-broken"  # type: ignore[attr-defined]
    assert rep.exit_code == 1  # type: ignore[attr-defined]
    out = report_json(rep)  # type: ignore[arg-type]
    (lo,) = out["liveness"]
    assert "EventuallyLeader" in lo["broken"]
    assert lo["baseline_properties"]["EventuallyLeader"] == "held"
    (cex,) = [c for c in lo["counterexamples"] if c["invariant"] == "EventuallyLeader"]
    assert cex["kind"] == "liveness" and cex["cycle_start"] is not None
    text = "\n".join(report_text(rep))  # type: ignore[arg-type]
    assert "<<< start of cycle >>>" in text and "verdict: liveness-broken" in text


def test_a_change_that_keeps_liveness_is_not_liveness_broken() -> None:
    rep = audit("canvote-ignores-leader")
    assert rep.verdict != "liveness-broken"  # type: ignore[attr-defined]
    assert all(not lo.broken for lo in rep.liveness)  # type: ignore[attr-defined]
