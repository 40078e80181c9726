"""`raftcheck conform`: every option works or is refused (issue 13, defect 5), and progress on a
terminal (defect 8)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest
from click.testing import CliRunner

from raftcheck.cmd_conform import conform


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--time-limit", "3"], "--time-limit applies to --exhaustive only"),
        (["--symmetry"], "--symmetry applies to --exhaustive only"),
        (["--pre-vote"], "--pre-vote applies to --exhaustive only"),
        (["--check-quorum"], "--check-quorum applies to --exhaustive only"),
        (["--max-term", "1"], "--max-term applies to --exhaustive only"),
        (["--max-msgs", "2"], "--max-msgs applies to --exhaustive only"),
        (["--exhaustive", "--examples", "5"], "--examples applies to lockstep runs"),
        (["--exhaustive", "--steps", "5"], "--steps applies to lockstep runs"),
        (["--exhaustive", "--seed", "5"], "--seed applies to lockstep runs"),
        (["--exhaustive", "--engine", "stateful"], "--engine applies to lockstep runs"),
    ],
)
def test_option_of_the_other_mode_is_refused(args: list[str], needle: str) -> None:
    res = CliRunner().invoke(conform, args)
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0]


@pytest.mark.parametrize("flags", [["--pre-vote"], ["--check-quorum"],
                                   ["--pre-vote", "--check-quorum"]])
def test_exhaustive_runs_with_pre_vote_and_check_quorum(flags: list[str]) -> None:
    res = CliRunner().invoke(conform, ["--exhaustive", "--max-term", "1", "--symmetry",
                                       *flags, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["conformant"] and out["complete"]
    plain = json.loads(CliRunner().invoke(
        conform, ["--exhaustive", "--max-term", "1", "--symmetry", "--json"]).stdout)
    assert out["states"] > plain["states"]  # the flags reached the model


def on_a_terminal(*args: str) -> tuple[int, str, str]:
    """Run raftcheck with stderr on a pseudo-terminal; (exit code, stdout, terminal text)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "raftcheck.cli", *args],
                            stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out, _ = proc.communicate(timeout=300)
    os.close(master)
    return proc.returncode, out, b"".join(chunks).decode(errors="replace")


def test_lockstep_progress_on_a_terminal_only() -> None:
    args = ["conform", "--nodes", "3", "--examples", "3", "--seed", "1"]
    code, _, tty = on_a_terminal(*args)
    assert code == 0
    assert "/3 examples" in tty and "steps" in tty
    piped = subprocess.run([sys.executable, "-m", "raftcheck.cli", *args],
                           capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and "examples," not in piped.stderr


def test_explore_progress_shows_memory_and_time_left() -> None:
    code, _, tty = on_a_terminal("explore", "--max-term", "1", "--time-limit", "100")
    assert code == 0
    assert "MiB" in tty and "s left" in tty
