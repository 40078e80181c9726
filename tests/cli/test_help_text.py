"""Help texts and error lines (issue 13, defect 7)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from specs.obligations import OBLIGATION_NAMES


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "raftcheck.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_top_level_help_describes_every_command() -> None:
    text = run("--help").stdout
    description = text.split("Options:")[0]
    for name in ("explore", "check", "prove", "conform", "replay", "audit"):
        assert f"\n  {name} " in description, name


def test_prove_help_lists_obligations_one_per_line() -> None:
    lines = [ln.strip() for ln in run("prove", "--help").stdout.splitlines()]
    for name in OBLIGATION_NAMES:
        assert name in lines, name  # alone on its line, not run into the sentence


@pytest.mark.parametrize(
    "args",
    [
        ["explore", "--nodes", "0"],
        ["prove", "nope"],
        ["conform", "--nodes", "0"],
        ["replay", "/nonexistent/trace.json"],
        ["audit", "no-such-variant"],
        ["check", "--bogus"],
        ["--project-file", "/nonexistent.toml", "explore"],
    ],
)
def test_every_command_starts_errors_alike(args: list[str]) -> None:
    p = run(*args)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("raftcheck: error: "), p.stderr
