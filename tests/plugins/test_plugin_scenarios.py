"""The scenario suite on a plug-in harness (RAFTCHECK_SCENARIO_IMPL, tests/scenarios/conftest.py):
it passes on the Python harness and fails on the same harness with the planted bug."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SUITE = "tests/scenarios/test_scenarios_single_node.py"


def run_suite(impl: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAFTCHECK_SCENARIO_IMPL": impl}
    return subprocess.run(
        [sys.executable, "-m", "pytest", SUITE, "-q", "-k", "plugin", "-p", "no:cacheprovider"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )


def test_scenarios_pass_on_the_python_harness(pyharness: Callable[..., str]) -> None:
    res = run_suite(pyharness())
    assert res.returncode == 0, res.stdout[-2000:]
    assert " passed" in res.stdout


def test_scenarios_catch_the_planted_bug(pyharness: Callable[..., str]) -> None:
    res = run_suite(pyharness("--bug", "double-vote"))
    assert res.returncode == 1
    assert "FAILED" in res.stdout and "TestFollowerVote[plugin" in res.stdout
