"""A rules file whose rule fails at run time (issue 13, defect 2): one line naming the rule, its
inputs and the error, exit 2, in every command that takes a rules file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from model.rule_check import RuleError, checked
from model.rules import ETCD_34, VoteResult
from model.rules_file import load_rules_file
from specs.obligations import run_obligations

BAD_RULES = {
    "quorum_str": ('def quorum(voters):\n    return "two"\n', "rule quorum(voters=",
                   "returned 'two'"),
    "quorum_raises": ("def quorum(voters):\n    return 1 // 0\n", "rule quorum(voters=",
                      "raised ZeroDivisionError"),
    "can_vote_none": (
        "def can_vote(vote, lead, role, frm, pre_vote, msg_term, term):\n    return None\n",
        "rule can_vote(vote=", "returned None",
    ),
    "tally_42": ("def tally_votes(voters, granted, rejected, q):\n    return 42\n",
                 "rule tally_votes(voters=", "returned 42"),
}

COMMANDS = {
    "explore": ["explore", "--max-term", "1"],
    "explore-liveness": ["explore", "--liveness"],
    "audit": ["audit", "--nodes", "3"],
    "prove": ["prove"],
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "raftcheck.cli", *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("bad", sorted(BAD_RULES))
def test_failing_rule_is_one_line_exit_2(tmp_path: Path, command: str, bad: str) -> None:
    text, call, error = BAD_RULES[bad]
    path = tmp_path / f"{bad}.py"
    path.write_text(text)
    p = run(*COMMANDS[command], "--rules-file", str(path))
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("raftcheck: error: ")
    assert str(path) in lines[0] and call in lines[0] and error in lines[0]


def test_wrapper_checks_results_and_names_inputs() -> None:
    def tally(voters: int, granted: int, rejected: int, q: object) -> object:
        return 42

    wrapped = checked("tally_votes", tally, "f.py")
    with pytest.raises(RuleError) as info:
        wrapped(14, 2, 0, ETCD_34.quorum)
    assert str(info.value) == (
        "f.py: rule tally_votes(voters=14, granted=2, rejected=0, q=quorum) returned 42 (int); "
        "it must return a VoteResult (PENDING=1, LOST=2, WON=3)"
    )
    ok = checked("tally_votes", ETCD_34.tally_votes)
    assert ok(14, 2, 0, ETCD_34.quorum) == VoteResult.PENDING
    bool_rule = checked("can_vote", lambda *a: 1)
    with pytest.raises(RuleError, match="must return True or False"):
        bool_rule(0, 0, 0, 1, False, 1, 1)


def test_good_rules_file_still_proves_like_its_unchecked_rules() -> None:
    loaded = load_rules_file(Path(__file__).parents[1] / "audit" / "rules" / "good_rules.py")
    assert loaded.rules.can_vote is not ETCD_34.can_vote
    raw = ETCD_34.with_rules("raw", can_vote=loaded.rules.can_vote.__wrapped__)
    got = [(r.name, r.status) for r in run_obligations(loaded.rules)]
    want = [(r.name, r.status) for r in run_obligations(raw)]
    assert got == want


def test_garbage_rules_file_has_no_none_line(tmp_path: Path) -> None:
    path = tmp_path / "garbage.py"
    path.write_bytes(b"\x00\x01garbage\xff")
    p = run("explore", "--rules-file", str(path))
    assert p.returncode == 2
    assert ":None" not in p.stderr and "syntax error" in p.stderr


@pytest.mark.parametrize("command", ["explore", "audit", "prove"])
def test_directory_as_rules_file_says_so(tmp_path: Path, command: str) -> None:
    d = tmp_path / "rules.py"
    d.mkdir()
    p = run(command, "--rules-file", str(d))
    assert p.returncode == 2
    assert "is a directory" in p.stderr and "no such file" not in p.stderr
