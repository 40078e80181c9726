"""A membership run in which no change is ever applied says so (raftcheck/vacuity.py)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from raftcheck.cli import main

REMOVAL = ["explore", "--nodes", "3", "--conf-changes", "1", "--conf-change", "remove:3",
           "--max-term", "1", "--faults", "none", "--start-leader", "1", "--json"]
NOT_APPLIED = "no configuration change was ever applied"


def run(max_msgs: int) -> dict[str, object]:
    res = CliRunner().invoke(main, [*REMOVAL, "--max-msgs", str(max_msgs)])
    assert res.exit_code == 0, res.output
    out: dict[str, object] = json.loads(res.stdout)
    return out


def test_commit_broadcast_without_room_is_vacuous() -> None:
    """Two messages in flight: the leader's commit broadcast never fits next to the other
    follower's answer, so the removal is never committed nor applied."""
    out = run(2)
    warnings = out["warnings"]
    assert isinstance(warnings, list)
    assert any(NOT_APPLIED in w for w in warnings), warnings


def test_removal_applied_is_not_vacuous() -> None:
    out = run(3)
    warnings = out["warnings"]
    assert isinstance(warnings, list)
    assert not any(NOT_APPLIED in w for w in warnings), warnings
