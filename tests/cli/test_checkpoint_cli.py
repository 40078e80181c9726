"""`raftcheck explore --checkpoint DIR / --resume DIR` (issue 9 item 4): a run cut by a limit or
Ctrl-C and resumed reports what the uninterrupted run reports; bad input is one line on stderr
and exit 2, before exploring."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("explorer._fastcore", reason="the compiled core is not built")

SMALL = ["--nodes", "3", "--max-term", "1", "--max-msgs", "2", "--pre-vote", "--check-quorum"]
BAD = ["--variant", "reset-clears-vote", "--max-term", "2", "--max-msgs", "3", "--symmetry"]
FIGURES = ("complete", "stop_reason", "distinct_states", "transitions", "max_depth",
           "action_counts", "invariants", "violations")


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "raftcheck.cli", "explore", *map(str, args)],
        capture_output=True, text=True, timeout=120,
    )


def figures(p: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    data = json.loads(p.stdout)
    return {k: data.get(k) for k in FIGURES}


@pytest.mark.parametrize("extra", [[], ["--symmetry", "--state-set", "fingerprint"],
                                   ["--partition", "1|2,3", "--partition-faults", "2"]],
                         ids=["exact", "fingerprint+symmetry", "partition"])
def test_cut_and_resumed_run_reports_the_full_run(tmp_path: Path, extra: list[str]) -> None:
    ck = tmp_path / "ck"
    full = run(*SMALL, *extra, "--json")
    assert full.returncode == 0, full.stderr
    cut = run(*SMALL, *extra, "--max-states", "3000", "--checkpoint", ck, "--json")
    assert cut.returncode == 3, cut.stderr
    assert json.loads(cut.stdout)["checkpoint"] == {"directory": str(ck), "resumed_from": None}
    assert f"checkpoint: {ck} (3,000 states" in cut.stderr
    resumed = run(*SMALL, *extra, "--resume", ck, "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert figures(resumed) == figures(full)
    assert json.loads(resumed.stdout)["seconds"] >= json.loads(cut.stdout)["seconds"]


def test_violation_found_after_resume_prints_the_full_runs_trace(tmp_path: Path) -> None:
    full = run(*BAD)
    assert full.returncode == 1, full.stderr
    cut = run(*BAD, "--max-states", "2000", "--checkpoint", tmp_path)
    assert cut.returncode == 3 and "Step" not in cut.stdout, cut.stdout
    resumed = run(*BAD, "--resume", tmp_path)
    assert resumed.returncode == 1, resumed.stderr
    # everything but the seconds and rates: the same trace, summary and verdict
    def stable(text: str) -> list[str]:
        return [line for line in text.splitlines()
                if not line.startswith(("seconds", "states/s", "bytes/state"))]

    assert stable(resumed.stdout) == stable(full.stdout)


LAUNCH = (
    "import sys, raftcheck.cli as c; sys.stderr.write('ready\\n'); sys.stderr.flush(); "
    "sys.argv = ['raftcheck', *sys.argv[1:]]; c.main()"
)


def test_ctrl_c_writes_a_checkpoint_that_resumes(tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "explore", "--nodes", "5", "--no-symmetry", "--checkpoint",
         str(ck), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    assert proc.stderr.readline().strip() == "ready"
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    stopped = json.loads(out or "null") or pytest.fail(f"no JSON: {err!r}")
    meta = json.loads((ck / "meta.json").read_text())
    assert meta["progress"]["distinct"] == stopped["distinct_states"] > 1
    more = stopped["distinct_states"] + 2000
    resumed = run("--nodes", "5", "--no-symmetry", "--resume", ck, "--max-states", more,
                  "--json")
    assert resumed.returncode == 3, resumed.stderr
    data = json.loads(resumed.stdout)
    assert data["distinct_states"] == more
    assert data["transitions"] > stopped["transitions"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("saved") / "ck"
    p = run(*SMALL, "--max-states", "2000", "--checkpoint", d, "--json")
    assert p.returncode == 3, p.stderr
    return d


def _meta(key: str, value: Any) -> Any:
    def damage(d: Path) -> None:
        meta = json.loads((d / "meta.json").read_text())
        meta[key] = value
        (d / "meta.json").write_text(json.dumps(meta))
    return damage


def _core_bytes(d: Path) -> None:
    data = json.loads((d / "meta.json").read_text())["data"]
    core = d / data / "core.bin"
    core.write_bytes(core.read_bytes()[:-100])


def _file(d: Path) -> None:
    shutil.rmtree(d)
    d.write_text("")


def _empty(d: Path) -> None:
    shutil.rmtree(d)
    d.mkdir()


CASES = {
    # name: (damage to a copy of a good checkpoint or None, arguments, expected on stderr)
    "resume missing": (None, [*SMALL, "--resume", "{d}/nowhere"], "no such directory"),
    "resume a file": (_file, [*SMALL, "--resume", "{d}"], "not a directory"),
    "resume empty": (_empty, [*SMALL, "--resume", "{d}"], "no checkpoint in this directory"),
    "resume corrupt meta": (lambda d: (d / "meta.json").write_text("{"),
                            [*SMALL, "--resume", "{d}"], "meta.json is damaged"),
    "resume truncated core": (_core_bytes, [*SMALL, "--resume", "{d}"], "truncated"),
    "resume other format": (_meta("format_version", 1), [*SMALL, "--resume", "{d}"],
                            "checkpoint format version 1"),
    "resume other config": (None, [*SMALL[:-1], "--resume", "{d}"],
                            "check_quorum=True, this run check_quorum=False"),
    "resume other symmetry": (None, [*SMALL, "--no-symmetry", "--resume", "{d}"],
                              "symmetry=true, this run symmetry=false"),
    "resume other state set": (None, [*SMALL, "--state-set", "fingerprint", "--resume", "{d}"],
                               "state_set=exact, this run state_set=fingerprint"),
    "checkpoint reference": (None, [*SMALL, "--engine", "reference", "--checkpoint", "{d}/new"],
                             "checkpoints need the fast engine (--engine reference"),
    "resume other topology": (None, [*SMALL, "--partition", "1|2,3", "--resume", "{d}"],
                              "the checkpoint explores cut_links=[], this run cut_links=[(1, 2)"),
    "checkpoint liveness": (None, [*SMALL, "--liveness", "--checkpoint", "{d}/new"],
                            "checkpoints need the fast engine (--liveness"),
    "checkpoint graph": (None, [*SMALL, "--export-graph", "{d}/g.dot", "--checkpoint",
                                "{d}/new"], "checkpoints need the fast engine (recording"),
    "checkpoint unwritable": (None, [*SMALL, "--checkpoint", "{d}/meta.json/sub"],
                              "not writable"),
    "checkpoint a file": (None, [*SMALL, "--checkpoint", "{d}/meta.json"], "not a directory"),
    "checkpoint taken": (None, [*SMALL, "--checkpoint", "{d}"], "already holds a checkpoint"),
    "checkpoint workers": (None, [*SMALL, "--workers", "2", "--checkpoint", "{d}/new"],
                           "checkpoints need --workers 1"),
    "interval alone": (None, [*SMALL, "--checkpoint-interval", "5"],
                       "--checkpoint-interval needs --checkpoint DIR or --resume DIR"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_and_exit_2(
    saved: Path, tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """In-process (the subprocess runs above cover the real entry point): the group's own
    error handling turns each refusal into one line and exit 2."""
    from raftcheck.cli import main

    damage, args, expected = CASES[case]
    d = tmp_path / "ck"
    shutil.copytree(saved, d)
    if damage is not None:
        damage(d)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main.main(["explore", *[a.replace("{d}", str(d)) for a in args], "--json"],
                  prog_name="raftcheck")
    out, err = capsys.readouterr()
    assert exc.value.code == 2, (out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("raftcheck: error: "), err
    assert expected in lines[0]
    assert not (d / "new").exists()  # refused before anything was written
