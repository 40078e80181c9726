"""Project settings in raftcheck.toml or pyproject.toml [tool.raftcheck] (issue 13)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "raftcheck.cli", *args], capture_output=True, text=True,
        timeout=600, cwd=cwd,
    )


def explore_json(cwd: Path, *args: str) -> dict:  # type: ignore[type-arg]
    p = run(cwd, "explore", "--json", *args)
    assert p.returncode in (0, 1), p.stderr
    return json.loads(p.stdout)  # type: ignore[no-any-return]


def test_raftcheck_toml_sets_explore_defaults_and_flags_override(tmp_path: Path) -> None:
    (tmp_path / "raftcheck.toml").write_text(
        "[explore]\nnodes = 2\nmax-term = 1\nmax_msgs = 1\nsymmetry = true\npre-vote = true\n"
    )
    cfg = explore_json(tmp_path)["config"]
    assert (cfg["voters"], cfg["max_term"], cfg["max_msgs"]) == (2, 1, 1)
    assert cfg["symmetry"] is True and cfg["pre_vote"] is True
    cfg = explore_json(tmp_path, "--nodes", "3", "--max-msgs", "2", "--no-symmetry")["config"]
    assert (cfg["voters"], cfg["max_term"], cfg["max_msgs"]) == (3, 1, 2)
    assert cfg["symmetry"] is False
    cfg = explore_json(tmp_path, "--max-term", "1")["config"]
    assert cfg["voters"] == 2
    p = run(tmp_path, "--no-project-file", "explore", "--max-term", "1", "--json")
    assert json.loads(p.stdout)["config"]["voters"] == 3


def test_pyproject_tool_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "lib"\n\n[tool.raftcheck.explore]\nnodes = 2\nmax-term = 1\n'
        'faults = ["drop", "restart"]\n'
    )
    cfg = explore_json(tmp_path)["config"]
    assert cfg["voters"] == 2 and cfg["faults"] == ["drop", "restart"]


def test_pyproject_without_the_table_is_not_a_project_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "lib"\n')
    assert explore_json(tmp_path, "--max-term", "1")["config"]["voters"] == 3


def test_rules_file_is_relative_to_the_project_file(tmp_path: Path) -> None:
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "floor.py").write_text("def quorum(n):\n    return n // 2\n")
    (tmp_path / "ci" / "raftcheck.toml").write_text(
        '[explore]\nnodes = 4\nmax-term = 1\nrules-file = "floor.py"\n'
    )
    p = run(tmp_path, "--project-file", "ci/raftcheck.toml", "explore", "--json")
    assert p.returncode == 1, p.stderr
    assert json.loads(p.stdout)["violations"][0]["invariant"] == "LeaderHasQuorum"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[explore]\nbogus = 1\n", "unknown setting 'bogus' in [explore]"),
        ("[explorer]\nnodes = 3\n", "unknown section 'explorer'"),
        ("nodes = 3\n", "unknown section 'nodes'"),
        ("[explore]\nnodes = 'three'\n", "explore.nodes"),
        ("[explore]\npre-vote = 'yes'\n", "must be true or false"),
        ("[explore\n", "not valid TOML"),
        ("[audit]\njobs = 0\n", "audit.jobs"),
    ],
)
def test_bad_project_file_is_one_line_exit_2(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "raftcheck.toml").write_text(text)
    p = run(tmp_path, "explore", "--max-term", "1")
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and lines[0].startswith("raftcheck: error:")


def test_missing_explicit_project_file(tmp_path: Path) -> None:
    p = run(tmp_path, "--project-file", "nope.toml", "explore")
    assert p.returncode == 2 and "nope.toml" in p.stderr


def test_conform_and_audit_sections(tmp_path: Path) -> None:
    (tmp_path / "raftcheck.toml").write_text(
        "[conform]\nexamples = 4\nnodes = 3\n\n[audit]\nnodes = [3]\nno-liveness = true\n"
        "no-diff = true\n"
    )
    p = run(tmp_path, "conform", "--seed", "1", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["examples"] == 4 and out["nodes"] == 3
    p = run(tmp_path, "audit", "quorum-half", "--stop-at-first", "--json")
    assert p.returncode == 1, p.stderr
    rep = json.loads(p.stdout)
    assert rep["nodes"] == [3] and rep["liveness"] == []


def test_check_runs_the_project_configuration(tmp_path: Path) -> None:
    (tmp_path / "raftcheck.toml").write_text(
        "[explore]\nnodes = 2\nmax-term = 1\n\n[conform]\nexamples = 3\nseed = 5\n"
    )
    p = run(tmp_path, "check", "--json")
    assert p.returncode == 0, p.stderr[-2000:]
    out = json.loads(p.stdout)
    assert out["ok"] is True and out["project_file"].endswith("raftcheck.toml")
    cfg = out["explore"]["config"]
    assert cfg["voters"] == 2 and cfg["max_term"] == 1 and cfg["symmetry"] is True
    assert out["conform"]["seed"] == 5 and out["conform"]["examples"] == 3


def test_check_refuses_a_vacuous_configuration(tmp_path: Path) -> None:
    (tmp_path / "raftcheck.toml").write_text("[explore]\nnodes = 3\nmax-msgs = 1\n")
    p = run(tmp_path, "check")
    assert p.returncode == 2
    lines = [ln for ln in p.stderr.splitlines() if "error" in ln]
    assert len(lines) == 1 and "vacuous" in lines[0] and "leader" in lines[0]
    assert "check: OK" not in p.stdout


def test_check_reports_a_failing_rule_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("def quorum(voters):\n    return 'two'\n")
    (tmp_path / "raftcheck.toml").write_text(
        '[explore]\nmax-term = 1\nrules-file = "bad.py"\n'
    )
    p = run(tmp_path, "check")
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "rule quorum(voters=" in lines[0] and "'two'" in lines[0]


def test_check_refuses_explore_settings_it_cannot_run(tmp_path: Path) -> None:
    (tmp_path / "raftcheck.toml").write_text("[explore]\nliveness = true\n")
    p = run(tmp_path, "check")
    assert p.returncode == 2 and "liveness" in p.stderr
