"""The fingerprint search's disk-backed queue and parent links (issue 9, long runs).

The windows are shrunk here (explorer.fast.SPILL_WINDOW: a few hundred queued states and parent
links in memory) so that small state spaces spill and read back many times; the result must be
the non-spilling run's, figure for figure and trace for trace, serial and parallel, and across
a checkpoint. The spill files never outlive the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from core_access import new_core, run_core

from explorer import fast
from explorer.bfs import Limits, Result
from explorer.checkpoint import Checkpointing
from explorer.fast import SpillError, explore_fast
from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.topology import parse_partition
from model.variants import VARIANTS_BY_NAME
from raftcheck.cli import main

pytest.importorskip("explorer._fastcore", reason="the compiled core is not built")

WINDOW = 300
BASE = ClusterConfig(voters=3, max_term=1, max_msgs=2, pre_vote=True, check_quorum=True)
PLAIN = ClusterConfig(voters=3, max_term=1, max_msgs=2)
CONFIGS = {
    "pv+cq": (BASE, True),
    "pv+cq, no symmetry": (BASE, False),
    "faults": (replace(PLAIN, duplicates=1, restarts=1, transfers=1, appends=1), True),
    "network": (replace(PLAIN, max_term=2, check_quorum=True,
                        cut_links=parse_partition("2-3", 3)), False),
}
BAD = VARIANTS_BY_NAME["reset-clears-vote"]
BAD_CFG = replace(PLAIN, max_term=2, max_msgs=3, rules=BAD.baseline)


def _key(r: Result) -> tuple[Any, ...]:
    traces = [(v.invariant, v.init, [(s.action, s.state) for s in v.steps]) for v in r.violations]
    return (r.distinct_states, r.transitions, r.max_depth, r.action_counts, r.invariants,
            r.complete, r.stop_reason, traces)


def _run(cfg: ClusterConfig, rules: Any = None, *, window: int | None, workers: int = 1,
         **kw: Any) -> Result:
    mp = pytest.MonkeyPatch()
    mp.setattr(fast, "SPILL_WINDOW", window)
    mp.setattr(fast, "PARALLEL_BLOCK", (64, 8))  # blocks on threads, clamped by the window
    try:
        return explore_fast(ClusterModel(cfg, rules), fingerprint=True, workers=workers, **kw)
    finally:
        mp.undo()


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_spilled_search_gives_the_unspilled_result(name: str, workers: int) -> None:
    cfg, symmetry = CONFIGS[name]
    whole = _run(cfg, window=None, symmetry=symmetry)
    assert whole.complete and whole.spilled_bytes == 0
    spilled = _run(cfg, window=WINDOW, workers=workers, symmetry=symmetry)
    assert whole.distinct_states > 10 * WINDOW  # so the queue went to disk and back many times
    assert spilled.spilled_bytes is not None and spilled.spilled_bytes > 0
    assert _key(spilled) == _key(whole)


@pytest.mark.parametrize("keep_going", [False, True], ids=["first", "keep-going"])
@pytest.mark.parametrize("workers", [1, 2])
def test_traces_are_rebuilt_from_spilled_parent_links(workers: int, keep_going: bool) -> None:
    whole = _run(BAD_CFG, BAD.rules, window=None, symmetry=True, keep_going=keep_going)
    assert whole.violations
    spilled = _run(BAD_CFG, BAD.rules, window=WINDOW, workers=workers, symmetry=True,
                   keep_going=keep_going)
    # the violating state's links (and its ancestors') lie far beyond the window
    assert whole.distinct_states > 10 * WINDOW and spilled.spilled_bytes
    assert _key(spilled) == _key(whole)


def test_limits_stop_where_the_unspilled_search_stops() -> None:
    for limits in (Limits(max_states=5000), Limits(max_depth=9)):
        for workers in (1, 2):
            assert _key(_run(BASE, window=WINDOW, workers=workers, limits=limits)) == _key(
                _run(BASE, window=None, limits=limits))


def test_checkpoint_and_resume_of_a_spilled_run(tmp_path: Path) -> None:
    whole = _run(BAD_CFG, BAD.rules, window=None, symmetry=True, keep_going=True)
    step = whole.distinct_states // 4 + 1
    res = None
    sessions = 0
    while res is None or (res.stop_reason or "").startswith("state limit"):
        limit = step if res is None else res.distinct_states + step
        ck = Checkpointing(tmp_path / "ck", interval=300.0,
                           resume_from=None if res is None else tmp_path / "ck")
        res = _run(BAD_CFG, BAD.rules, window=WINDOW, symmetry=True, keep_going=True,
                   limits=Limits(max_states=limit), checkpoint=ck)
        sessions += 1
        assert res.spilled_bytes  # every session spills (a resumed one from its first state)
    assert sessions >= 4
    assert _key(res) == _key(whole)


@pytest.mark.parametrize("reload_spilling", [True, False], ids=["spilling", "in-memory"])
def test_the_core_reads_spilled_states_and_links_back(tmp_path: Path,
                                                      reload_spilling: bool) -> None:
    """state(i) of every queued state and path(i) of every state, from memory or the files,
    before and after a dump and load; then the search goes on to the same end."""
    model0 = ClusterModel(BASE)
    _, plain = new_core(model0, fingerprint=True)
    cut = 4000
    raw0 = run_core(plain, model0, cut)
    model1 = ClusterModel(BASE)
    tables1, spilling = new_core(model1, fingerprint=True)
    spilling.spill(str(tmp_path), 50, 40)
    raw1 = run_core(spilling, model1, cut)
    assert raw1["spilled"] > 0 and raw1["head"] == raw0["head"]

    def same(core: Any) -> None:
        queued = range(raw0["head"], cut)
        assert [core.state(i) for i in queued] == [plain.state(i) for i in queued]
        assert [core.path(i) for i in range(cut)] == [plain.path(i) for i in range(cut)]

    same(spilling)
    spilling.dump(str(tmp_path / "core.bin"))
    model2 = ClusterModel(BASE)
    tables2, again = new_core(model2, fingerprint=True)
    tables2.restore_interning(tables1.interning())
    if reload_spilling:
        again.spill(str(tmp_path), 50, 40)
    again.load(str(tmp_path / "core.bin"))
    same(again)
    end0, end2 = run_core(plain, model0), run_core(again, model2)
    assert {k: end2[k] for k in ("distinct", "transitions", "max_depth", "kinds")} == {
        k: end0[k] for k in ("distinct", "transitions", "max_depth", "kinds")}
    assert (end2["spilled"] > 0) == reload_spilling
    assert os.listdir(tmp_path) == ["core.bin"]  # the spill files are unlinked at once


def test_spill_directory_is_removed_however_the_run_ends(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    runs = [
        {"cfg": BASE},  # to the end
        {"cfg": BASE, "limits": Limits(max_states=3000)},  # a limit
        {"cfg": BAD_CFG, "rules": BAD.rules},  # a violation
    ]
    for kw in runs:
        cfg, rules = kw.pop("cfg"), kw.pop("rules", None)
        res = _run(cfg, rules, window=WINDOW, **kw)
        assert res.spilled_bytes and res.spill_dir is not None
        assert Path(res.spill_dir).parent == tmp_path / "tmp"
        assert not Path(res.spill_dir).exists()
        res = _run(cfg, rules, window=WINDOW, spill_dir=tmp_path / "mine", **kw)
        assert Path(res.spill_dir or "").parent == tmp_path / "mine"
        assert list((tmp_path / "mine").iterdir()) == []
    assert list((tmp_path / "tmp").iterdir()) == []


def test_spill_directory_is_removed_after_an_error(tmp_path: Path) -> None:
    model = ClusterModel(BASE)

    def broken(_state: Any) -> Any:
        raise RuntimeError("boom")

    model.canonical = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="boom"):
        explore_fast(model, fingerprint=True, symmetry=True, spill_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_bad_spill_dir_is_one_line_and_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SpillError, match="cannot use spill directory"):
        explore_fast(ClusterModel(BASE), fingerprint=True, spill_dir=blocker / "sub")
    args = ["explore", "-n", "3", "--max-term", "1", "--max-msgs", "2", "--state-set",
            "fingerprint", "--spill-dir", str(blocker / "sub")]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 2
    assert out.stderr.strip().splitlines() == [
        f"raftcheck: error: cannot use spill directory {blocker / 'sub'}: Not a directory"]
    exact = CliRunner().invoke(main, args[:7] + ["--spill-dir", str(tmp_path)])
    assert exact.exit_code == 2 and "--state-set fingerprint" in exact.stderr


def test_json_reports_spilled_bytes(tmp_path: Path) -> None:
    args = ["explore", "-n", "3", "--max-term", "1", "--max-msgs", "2", "--state-set",
            "fingerprint", "--spill-dir", str(tmp_path), "--json"]
    out = json.loads(CliRunner().invoke(main, args).stdout)
    assert out["spilled_bytes"] == 0 and out["complete"]  # far below the 256 MB windows
    exact = json.loads(CliRunner().invoke(main, args[:7] + ["--json"]).stdout)
    assert exact["spilled_bytes"] is None


def test_a_failed_spill_write_stops_with_a_partial_summary(tmp_path: Path) -> None:
    """A file size limit makes the spill writes fail (as a full disk does): the run stops
    with the reason, exit 3 (a limit), no traceback."""
    script = (
        "import resource, sys\n"
        "from explorer import fast\n"
        "fast.SPILL_WINDOW = 300\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))\n"
        "from raftcheck.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    args = ["explore", "-n", "3", "--pre-vote", "--check-quorum", "--max-term", "2",
            "--max-msgs", "3", "--state-set", "fingerprint", "--spill-dir", str(tmp_path)]
    proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"PARTIAL: no violation found, but the run stopped early (spilling to {tmp_path}/" \
        in proc.stdout
    assert "File too large" in proc.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("workers", "budget"), [(1, 2_400_000), (2, 3_700_000)])
def test_near_the_budget_the_fingerprint_set_fills_to_three_quarters(workers: int,
                                                                    budget: int) -> None:
    """Where doubling the set would cross --max-memory, it fills to 3/4 first: this run fits a
    budget that the set grown at 1/2 would exceed (2.64 MB serial, 3.76 MB with 2 workers),
    with the same result."""
    free = explore_fast(ClusterModel(BASE), fingerprint=True, workers=workers)
    tight = explore_fast(ClusterModel(BASE), fingerprint=True, workers=workers,
                         max_memory=budget)
    assert free.state_bytes is not None and free.state_bytes > budget
    assert tight.complete and tight.state_bytes is not None and tight.state_bytes < budget
    assert _key(tight) == _key(free)
