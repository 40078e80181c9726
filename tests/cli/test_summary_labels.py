"""The summary's `complete` row says what happened (issue 13, defect 4)."""

from __future__ import annotations

import json
import subprocess
import sys

from explorer.bfs import Result
from raftcheck import render

KEEP_GOING = ["--variant", "quorum-half", "--keep-going", "--symmetry", "--max-term", "1"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "raftcheck.cli", *args], capture_output=True, text=True, timeout=300
    )


def complete_row(stdout: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith("complete "))


def test_keep_going_run_that_finished_is_not_called_partial() -> None:
    data = json.loads(run("explore", *KEEP_GOING, "--json").stdout)
    assert data["stop_reason"] is None and data["violations"]
    p = run("explore", *KEEP_GOING)
    assert p.returncode == 1
    row = complete_row(p.stdout)
    assert "partial" not in row
    assert "every reachable state visited" in row


def test_stopped_at_first_violation_says_so() -> None:
    p = run("explore", "--variant", "quorum-half", "--symmetry", "--max-term", "1")
    assert p.returncode == 1
    assert "stopped at the first violation" in complete_row(p.stdout)


def test_limited_run_is_partial_with_reason() -> None:
    p = run("explore", "--max-states", "50")
    assert p.returncode == 3
    row = complete_row(p.stdout)
    assert "partial" in row and "state limit 50" in row


def _complete(collision: float | None) -> Result:
    return Result(complete=True, stop_reason=None, distinct_states=10, transitions=20,
                  max_depth=3, seconds=0.1, action_counts={}, invariants={}, violations=[],
                  engine="fast", fingerprint_collision=collision)


def test_ok_from_fingerprints_says_how_uncertain_it_is() -> None:
    line = render.verdict_line(_complete(0.22))
    assert line.startswith("OK: ") and "2.2e-01 chance" in line and "--state-set exact" in line
    # below the note's threshold (and for the exact set) the OK line is the plain one
    assert render.verdict_line(_complete(1e-9)) == render.verdict_line(_complete(None))
    assert "chance" not in render.verdict_line(_complete(None))


def test_a_real_fingerprint_run_reports_its_collision_estimate() -> None:
    data = json.loads(run("explore", "--state-set", "fingerprint", "--bounds", "quick",
                          "--json").stdout)
    assert data["complete"] and 0 < data["fingerprint_collision"] < render.COLLISION_NOTE
