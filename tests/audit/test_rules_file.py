"""Loading user rules files (`raftcheck audit --rules-file`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from model.rules import ETCD_34, SEED
from model.rules_file import RulesFileError, load_rules_file
from raftcheck.cmd_audit import audit

RULES_DIR = Path(__file__).resolve().parent / "rules"

BAD_FILES = {
    "syntax.py": ("def quorum(voters)\n    return voters // 2 + 1\n", "syntax error"),
    "unknown.py": ("def quorom(voters):\n    return voters // 2 + 1\n", "unknown rule 'quorom'"),
    "signature.py": ("def can_vote(vote, lead):\n    return True\n", "must take 7 positional"),
    "base.py": ('BASE = "etcd-9"\n\ndef quorum(voters):\n    return 1\n', "BASE must be"),
    "raises.py": ('raise RuntimeError("boom")\n', "RuntimeError: boom"),
    "empty.py": ("X = 1\n", "defines no rule"),
    "notfunc.py": ("quorum = 3\n", "must be a function"),
}


def test_good_rules_file_loads() -> None:
    loaded = load_rules_file(RULES_DIR / "good_rules.py")
    assert loaded.name == "my-canvote"
    assert loaded.base == "etcd-3.4"
    assert loaded.overridden == ("can_vote",)
    assert loaded.rules.quorum is ETCD_34.quorum
    assert loaded.rules.can_vote(0, 2, 0, 1, False, 1, 1) is True  # known leader ignored
    assert ETCD_34.can_vote(0, 2, 0, 1, False, 1, 1) is False


def test_base_override() -> None:
    loaded = load_rules_file(RULES_DIR / "unsafe_quorum.py", base="seed")
    assert loaded.base == "seed"
    assert loaded.rules.tally_votes is SEED.tally_votes
    assert loaded.rules.quorum(3) == 1


@pytest.mark.parametrize("fname", sorted(BAD_FILES))
def test_bad_rules_file_raises_one_line(tmp_path: Path, fname: str) -> None:
    text, expected = BAD_FILES[fname]
    p = tmp_path / fname
    p.write_text(text)
    with pytest.raises(RulesFileError) as info:
        load_rules_file(p)
    msg = str(info.value)
    assert expected in msg
    assert "\n" not in msg


@pytest.mark.parametrize("fname", ["syntax.py", "unknown.py", "signature.py"])
def test_cli_bad_rules_file_exit_2(tmp_path: Path, fname: str) -> None:
    text, expected = BAD_FILES[fname]
    p = tmp_path / fname
    p.write_text(text)
    res = CliRunner().invoke(audit, ["--rules-file", str(p), "--nodes", "3"])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]
    assert "Traceback" not in res.output


def test_cli_missing_rules_file_exit_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(audit, ["--rules-file", str(tmp_path / "nope.py")])
    assert res.exit_code == 2
    assert "no such file" in res.stderr


def test_cli_rule_that_crashes_exit_2(tmp_path: Path) -> None:
    p = tmp_path / "crash.py"
    p.write_text("def quorum(voters):\n    return None\n")
    res = CliRunner().invoke(audit, ["--rules-file", str(p), "--nodes", "3", "--no-diff"])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "rule quorum(voters=" in lines[0] and "returned None" in lines[0]


# -- the rules of the election path's one-line decisions (issue 11) -----------------------

NEW_RULES = {
    "grant_records_vote": ("def grant_records_vote(pre_vote):\n    return True\n", (True,), True),
    "self_vote": ("def self_vote(pre_vote):\n    return not pre_vote\n", (True,), False),
    "pre_vote_term": ("def pre_vote_term(term):\n    return term\n", (3,), 3),
    "lease_applies": ("def lease_applies(msg_type):\n    return False\n", (2,), False),
    "transfer_forces": ("def transfer_forces(transfer):\n    return False\n", (True,), False),
}


@pytest.mark.parametrize("rule", sorted(NEW_RULES))
def test_new_rules_can_be_overridden(tmp_path: Path, rule: str) -> None:
    text, args, want = NEW_RULES[rule]
    p = tmp_path / f"{rule}.py"
    p.write_text(text)
    loaded = load_rules_file(p)
    assert loaded.overridden == (rule,)
    assert getattr(loaded.rules, rule)(*args) == want
    assert getattr(ETCD_34, rule)(*args) != want
    assert getattr(SEED, rule) is getattr(ETCD_34, rule)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("def pre_vote_term(term, other):\n    return term\n", "must take 1 positional"),
        ("def lease_applies():\n    return True\n", "must take 1 positional"),
    ],
)
def test_new_rules_signature_checked(tmp_path: Path, text: str, expected: str) -> None:
    p = tmp_path / "bad.py"
    p.write_text(text)
    with pytest.raises(RulesFileError, match=expected):
        load_rules_file(p)


def test_new_rules_results_checked(tmp_path: Path) -> None:
    from model.rule_check import RuleError

    p = tmp_path / "neg.py"
    p.write_text(
        "def pre_vote_term(term):\n    return -1\n\ndef self_vote(pre_vote):\n    return 1\n"
    )
    rules = load_rules_file(p).rules
    with pytest.raises(RuleError, match=r"rule pre_vote_term\(term=2\) returned -1"):
        rules.pre_vote_term(2)
    with pytest.raises(RuleError, match="must return True or False"):
        rules.self_vote(True)


def test_audit_of_a_rules_file_on_a_new_rule(tmp_path: Path) -> None:
    # Granting a pre-vote records the vote: the pre-vote obligation refutes it in milliseconds.
    p = tmp_path / "pv_records.py"
    p.write_text("NAME = 'pv-records'\n\ndef grant_records_vote(pre_vote):\n    return True\n")
    res = CliRunner().invoke(audit, ["--rules-file", str(p), "--stop-at-first", "-q"])
    assert res.exit_code == 1, res.output
    assert "changed rules: grant_records_vote" in res.output
    assert "verdict: obligation-failed (caught by obligation pre-vote-no-disruption)" in res.output
