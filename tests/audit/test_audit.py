"""`raftcheck audit`: kills, the seed vs etcd-3.4 showcase, Markdown and JSON reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from audit.render import mermaid, report_markdown
from audit.runner import audit_rules, subject_from_variant
from model.rules import RULE_NAMES, RULE_SETS
from model.variants import VARIANTS, VARIANTS_BY_NAME, covered_rules
from raftcheck.cmd_audit import audit

RULES_DIR = Path(__file__).resolve().parent / "rules"

# variant -> invariants its first counterexample may break
SAFETY_BREAKING = {
    "quorum-half": {"OneLeaderPerTerm", "LeaderHasQuorum"},
    "reset-clears-vote": {"VoteOnce", "OneLeaderPerTerm"},
    "up-to-date-index-only": {"LeaderUpToDate"},
    "canvote-always": {"VoteOnce", "OneLeaderPerTerm"},
    "term-bump-on-pre-vote": {"PreVoteNoDisruption"},
}


def test_catalogue_covers_every_rule_and_cites() -> None:
    assert covered_rules() == RULE_NAMES
    for v in VARIANTS:
        assert v.baseline in RULE_SETS
        assert v.changed, v.name
        assert v.description and v.citation
    historical = {v.name for v in VARIANTS if v.kind == "historical"}
    assert {
        "lease-not-candidate", "canvote-ignores-leader", "reset-clears-vote",
        "grant-local-term", "no-lower-term-appresp", "pre-candidate-keeps-leader",
        "learners-vote", "lost-by-missing-tally",
    } <= historical


@pytest.mark.parametrize("name", sorted(SAFETY_BREAKING))
def test_safety_breaking_variant_is_killed(name: str) -> None:
    rep = audit_rules(
        subject_from_variant(VARIANTS_BY_NAME[name]), (3,), kill_mode=True, obligations=False,
        diff=False,
    )
    assert rep.verdict == "safety-broken"
    assert rep.exit_code == 1
    assert rep.seconds_to_first_counterexample is not None
    # (rounded to ms) within the run; how fast: bench/audit_bench.py
    assert 0 <= rep.seconds_to_first_counterexample <= rep.seconds + 0.001
    broken = {inv for _e, inv, _t in rep.broken()}
    assert broken and broken <= SAFETY_BREAKING[name]
    assert rep.counterexample_length and rep.counterexample_length > 0


def test_canvote_without_lead_check_keeps_safety() -> None:
    """The vote field alone keeps one vote per term; with 3 voters the lead check is moot."""
    rep = audit_rules(
        subject_from_variant(VARIANTS_BY_NAME["canvote-ignores-leader"]), (3,),
        obligations=False, kill_mode=True,
    )
    # canVote answers differently on inputs the runs reach (no vote, a known leader), but the
    # log check rejects there too: no behaviour difference, and no false "no-change" either.
    assert rep.verdict == "differs-unreached"
    assert rep.exit_code == 0
    reached = rep.differing_inputs()
    assert list(reached) == ["can_vote"]
    assert all(" = True, baseline False" in x for x in reached["can_vote"])
    assert rep.why_no_change and "5 or more voters" in rep.why_no_change
    assert "can_vote(vote=0, lead=" in rep.why_no_change


def _invoke(args: list[str]) -> Any:
    return CliRunner().invoke(audit, args)


@pytest.fixture(scope="module")
def showcase(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any], str]:
    md = tmp_path_factory.mktemp("audit") / "seed.md"
    res = _invoke(["seed", "--against", "etcd-3.4", "--nodes", "3", "--json",
                   "--markdown", str(md)])
    return res, json.loads(res.stdout), md.read_text()


def test_showcase_seed_against_etcd34(showcase: tuple[Any, dict[str, Any], str]) -> None:
    res, data, _md = showcase
    assert res.exit_code == 1
    assert data["name"] == "seed" and data["baseline"] == "etcd-3.4"
    assert set(data["changed_rules"]) == {"learner_answers_votes", "tally_votes"}
    # The seed's tally counts the other half's grants in a joint configuration: the joint-quorum
    # obligation refutes it, and since issue 14 the joint-change extra configuration shows it
    # in an exploration too (a leader without a majority of the outgoing half).
    assert data["verdict"] == "safety-broken"
    statuses = {o["name"]: o["status"] for o in data["obligations"]}
    assert statuses.get("joint-quorum") == "failed"
    assert statuses.get("joint-phase-overlap") == "failed"
    joint = [e for e in data["explorations"]
             if e["config"].startswith("2 voters + 1 learner, leader")]
    assert joint and joint[0]["invariants"]["LeaderHasQuorum"] == "violated"
    learner = [d for d in data["diff"] if "learner" in d["config"]]
    # the lockstep diff stops at the first difference, with its witness
    assert learner and learner[0]["stopped_at_first_difference"]
    assert learner[0]["only_variant_transitions"] + learner[0]["only_baseline_transitions"] > 0
    assert learner[0]["witnesses"]


def test_showcase_markdown(showcase: tuple[Any, dict[str, Any], str]) -> None:
    _res, _data, md = showcase
    assert "| check | configuration | result | seconds |" in md
    assert "```mermaid" in md and "sequenceDiagram" in md
    assert "Verdict: safety-broken" in md
    assert "### Behaviour diff" in md


def test_markdown_counterexample_has_mermaid_and_numbered_trace() -> None:
    rep = audit_rules(
        subject_from_variant(VARIANTS_BY_NAME["quorum-half"]), (3,), kill_mode=True,
        obligations=False, diff=False,
    )
    md = report_markdown(rep)
    assert "### Counterexample 1: LeaderHasQuorum" in md
    assert "\n1. `" in md
    assert "```mermaid" in md
    tr = rep.broken()[0][2]
    diagram = mermaid(tr)
    assert diagram[0] == "```mermaid" and diagram[-1] == "```"
    assert any(line.startswith("    Note over N") for line in diagram)
    assert not any(";" in line for line in diagram[2:-1])


def test_rules_file_audit_kills_unsafe_quorum() -> None:
    res = _invoke(["--rules-file", str(RULES_DIR / "unsafe_quorum.py"), "--nodes", "3",
                   "--stop-at-first", "--json", "--no-diff"])
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    assert data["name"] == "unsafe_quorum"
    assert data["verdict"] in ("safety-broken", "obligation-failed")


def test_all_json_shape() -> None:
    res = _invoke(["--all", "--only", "quorum-half,leader-from-no-message", "--json"])
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert list(data) == ["variants", "seconds"]
    rows = {r["name"]: r for r in data["variants"]}
    for r in rows.values():
        assert {"name", "verdict", "caught_by", "seconds_to_first_counterexample",
                "counterexample_length"} <= set(r)
        assert r["verdict"] in ("safety-broken", "obligation-failed", "behaviour-changed",
                                "differs-unreached", "no-change")
    assert rows["quorum-half"]["verdict"] in ("safety-broken", "obligation-failed")
    # leader_from_message answers differently on every higher-term MsgApp, but stepFollower
    # restores the leader at once: the rule differs where no behaviour shows it.
    assert rows["leader-from-no-message"]["verdict"] == "differs-unreached"
    assert "leader_from_message(msg_type=" in rows["leader-from-no-message"]["why"]
    assert "stepFollower" in rows["leader-from-no-message"]["why"]


@pytest.mark.parametrize(
    "args, expected",
    [
        (["no-such-variant"], "unknown variant"),
        (["quorum-half", "--nodes", "3,x"], "--nodes"),
        (["quorum-half", "--nodes", "9"], "outside 1..7"),
        (["quorum-half", "--against", "etcd-9"], "unknown baseline"),
        ([], "give a VARIANT"),
        (["--all", "--only", "nope"], "unknown variant"),
    ],
)
def test_bad_input_exit_2_one_line(args: list[str], expected: str) -> None:
    res = _invoke(args)
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]
    assert "Traceback" not in res.output
