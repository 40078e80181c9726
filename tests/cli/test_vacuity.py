"""Vacuous runs are called vacuous (issue 13, defect 1): a run in which no node becomes leader
or an enabled action kind never fires warns in `explore` and is refused by `check`/`audit`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from model.config import ClusterConfig
from raftcheck.cmd_audit import audit
from raftcheck.defaults import default_config
from raftcheck.vacuity import expected_kinds


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "raftcheck.cli", *args], capture_output=True, text=True,
        timeout=300, cwd=cwd,
    )


@pytest.mark.parametrize("max_msgs", ["0", "1"])
def test_no_room_for_a_campaign_warns(max_msgs: str) -> None:
    p = run("explore", "--nodes", "3", "--rules", "seed", "--max-msgs", max_msgs)
    assert p.returncode == 0, p.stderr
    assert "VACUOUS" in p.stdout
    assert "no node ever became leader" in p.stderr
    assert "timeout" in p.stderr  # an action kind that never fired
    data = json.loads(run("explore", "--nodes", "3", "--rules", "seed", "--max-msgs", max_msgs,
                          "--json").stdout)
    assert any("no node ever became leader" in w for w in data["warnings"])
    assert any("never fired" in w and "timeout" in w for w in data["warnings"])


def test_a_normal_run_has_no_warnings() -> None:
    p = run("explore", "--max-term", "1", "--json")
    data = json.loads(p.stdout)
    assert data["warnings"] == []
    assert "warning" not in p.stderr


def test_readme_learner_example_elects_a_leader_by_default() -> None:
    p = run("explore", "--nodes", "3", "--learners", "1", "--promoted-learners",
            "--rules", "seed", "--json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["warnings"] == []
    assert data["config"]["max_msgs"] >= 3
    assert data["action_counts"].get("heartbeat", 0) > 0


@pytest.mark.parametrize(("voters", "learners"), [(1, 1), (2, 1), (2, 2), (3, 1), (3, 2), (5, 2)])
def test_default_bounds_leave_room_for_a_leader_and_its_appends(voters: int,
                                                                learners: int) -> None:
    cfg = default_config(voters, learners)
    assert cfg.learners == learners
    assert cfg.max_msgs >= voters + learners - 1


def test_expected_kinds_follow_the_configuration() -> None:
    assert expected_kinds(ClusterConfig(voters=1)) == ["tick", "timeout"]
    kinds = expected_kinds(ClusterConfig(duplicates=1, restarts=1, transfers=1))
    assert {"deliver", "drop", "heartbeat", "duplicate", "restart", "transfer"} <= set(kinds)


def test_audit_refuses_a_configuration_where_nobody_is_elected(tmp_path: Path) -> None:
    rules = tmp_path / "never_grant.py"
    rules.write_text("def can_vote(vote, lead, role, frm, pre_vote, msg_term, term):\n"
                     "    return False\n")
    res = CliRunner().invoke(audit, ["--rules-file", str(rules), "--nodes", "3",
                                     "--no-liveness", "--no-diff"])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "vacuous" in lines[0] and "leader" in lines[0]
