"""Ctrl-C during `raftcheck explore`: a partial summary (or JSON), exit 130 (issue 13, defect 6).

A real SIGINT to a real process: the run (5 voters, --no-symmetry) takes many minutes, so it is
always still exploring when the signal arrives.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

LONG_RUN = ["explore", "--nodes", "5", "--no-symmetry"]
LAUNCH = (
    "import sys, raftcheck.cli as c; sys.stderr.write('ready\\n'); sys.stderr.flush(); "
    "sys.argv = ['raftcheck', *sys.argv[1:]]; c.main()"
)


def interrupted(*args: str, delay: float = 2.0) -> tuple[int, str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    assert proc.stderr.readline().strip() == "ready"  # imports done: exploring starts now
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def test_ctrl_c_prints_partial_summary_and_exits_130() -> None:
    code, out, err = interrupted(*LONG_RUN)
    assert code == 130, err
    assert "Traceback" not in err
    assert "INTERRUPTED" in out
    assert "OK" not in out
    row = next(line for line in out.splitlines() if line.startswith("complete "))
    assert "interrupted" in row
    assert "distinct states" in out


def test_ctrl_c_with_json_prints_the_partial_object() -> None:
    code, out, err = interrupted(*LONG_RUN, "--json")
    assert code == 130, err
    data = json.loads(out)
    assert data["complete"] is False
    assert data["stop_reason"] == "interrupted"
    assert data["distinct_states"] > 1
    assert "held" not in data["invariants"].values()


@pytest.mark.parametrize("delay", [0.4, 0.7, 1.0, 1.5])
def test_ctrl_c_with_workers_prints_partial_summary(delay: float) -> None:
    # Early on, the main thread spends most of its time in the model's Python steps (filling
    # the core's caches between blocks): a Ctrl-C there must stop the search, not abort it.
    code, out, err = interrupted(*LONG_RUN, "--workers", "2", delay=delay)
    assert code == 130, err
    assert "Traceback" not in err and "aborted" not in err
    assert "INTERRUPTED" in out
    row = next(line for line in out.splitlines() if line.startswith("complete "))
    assert "interrupted" in row
