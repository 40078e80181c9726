"""Bad plug-in programs: missing, not executable, another protocol version, crashing, hanging,
printing garbage. Each is one line on stderr naming the last request, exit 2, no divergence
claimed, and no process left behind (running or unreaped)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from raftcheck.cli import main

MODES = {
    "lockstep": ["--examples", "3", "--seed", "1"],
    "exhaustive": ["--exhaustive", "--max-term", "1"],
}


def zombie_children() -> list[int]:
    """Children of this process that exited and were not reaped."""
    out = []
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] == "Z" and int(fields[1]) == me:
            out.append(int(entry.name))
    return out


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


def run_bad(args: list[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RAFTCHECK_HARNESS_TIMEOUT", "1")
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("raftcheck: error:")
    assert "Traceback" not in res.output and "DIVERGENCE" not in res.output
    assert zombie_children() == []
    return lines[0]


@pytest.mark.parametrize("mode", MODES)
def test_missing_program(mode: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    line = run_bad(["conform", "--impl", f"cmd:{tmp_path}/no-such-harness", *MODES[mode]],
                   monkeypatch)
    assert "cannot run" in line and "no-such-harness" in line


@pytest.mark.parametrize("mode", MODES)
def test_not_executable(mode: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    prog = tmp_path / "harness.sh"
    prog.write_text("#!/bin/sh\n")
    prog.chmod(0o644)
    line = run_bad(["conform", "--impl", f"cmd:{prog}", *MODES[mode]], monkeypatch)
    assert "cannot run" in line and "ermission" in line


@pytest.mark.parametrize("mode", MODES)
def test_other_protocol_version(
    mode: str, pyharness: Callable[..., str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    impl = pyharness("--protocol", "2", "--pid-file", str(pid_file))
    line = run_bad(["conform", "--impl", impl, *MODES[mode]], monkeypatch)
    assert "protocol 2" in line and '"op":"hello"' in line
    assert gone(int(pid_file.read_text()))


# op the harness misbehaves on, and what the error line says
MISBEHAVIOUR = {
    "crash": ("--crash-on", "create", "exited"),
    "hang": ("--hang-on", "step", "did not answer within 1s"),
    "garbage": ("--garbage-on", "tick", "garbage"),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", MISBEHAVIOUR)
def test_misbehaving_harness(
    kind: str, mode: str, pyharness: Callable[..., str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    flag, op, says = MISBEHAVIOUR[kind]
    pid_file = tmp_path / "pid"
    impl = pyharness(flag, op, "--pid-file", str(pid_file))
    line = run_bad(["conform", "--impl", impl, "--trace-dir", str(tmp_path / "t"),
                    *MODES[mode]], monkeypatch)
    assert says in line
    assert "last request sent" in line and f'"op":"{op}"' in line
    assert gone(int(pid_file.read_text()))


def test_replay_with_a_crashing_harness(
    pyharness: Callable[..., str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    trace = tmp_path / "t.json"
    trace.write_text('{"config": {"voters": 3}, "actions": [{"kind": "tick", "node": 1}, '
                     '{"kind": "timeout", "node": 1}]}')
    assert CliRunner().invoke(main, ["replay", str(trace), "--impl", pyharness()]).exit_code == 0
    line = run_bad(["replay", str(trace), "--impl", pyharness("--crash-on", "tick")],
                   monkeypatch)
    assert "exited" in line and '"op":"tick"' in line


def test_kit_with_a_missing_program(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    line = run_bad(["conform", "--impl", f"cmd:{tmp_path}/nope", "--kit"], monkeypatch)
    assert "cannot run" in line


def test_a_refused_request_names_the_plug_in_harness_not_etcd() -> None:
    from etcdharness.client import PROTOCOL_VERSION, Harness, HarnessRequestError

    exe = sys.executable
    pyh = str(Path(__file__).resolve().parent / "pyharness.py")
    with Harness(argv=[exe, pyh], label=f"harness {exe}", protocol=PROTOCOL_VERSION) as h:
        with pytest.raises(HarnessRequestError) as got:
            h.request("no-such-op")
    assert str(got.value).startswith(f"harness {exe}: no-such-op: ")
    assert "etcd" not in str(got.value)
