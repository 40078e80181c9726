"""The fast engine's parallel search (--workers N): the same result as one worker.

Counts, depth, action counts, verdicts and stop reasons must be identical to the serial search;
traces too (the parallel search keeps the serial one's arena, parent links and ordinals). Blocks
are shrunk here (explorer.fast.PARALLEL_BLOCK) so that small state spaces cross many block
boundaries, run on threads, and leave states to the main thread's cache fills.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from typing import Any

import pytest

from explorer import fast
from explorer.bfs import Limits, Result
from explorer.engines import run_search
from explorer.fast import explore_fast
from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.topology import parse_links, parse_partition
from model.variants import VARIANTS_BY_NAME

pytest.importorskip("explorer._fastcore", reason="the compiled core is not built")

BASE = ClusterConfig(voters=3, max_term=1, max_msgs=2, pre_vote=True, check_quorum=True)
PLAIN = ClusterConfig(voters=3, max_term=1, max_msgs=2)
CONFIGS = {
    "pv+cq": BASE,
    "faults": replace(PLAIN, duplicates=1, restarts=1, transfers=1, appends=1),
    "4 voters": ClusterConfig(voters=4, max_term=1, max_msgs=3, check_quorum=True),
}
SYMMETRIC_ONLY = {"faults", "4 voters"}  # slower without symmetry


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast, "PARALLEL_BLOCK", (700, 16))


def _key(r: Result) -> tuple[Any, ...]:
    traces = [(v.invariant, v.init, [(s.action, s.state) for s in v.steps]) for v in r.violations]
    return (r.distinct_states, r.transitions, r.max_depth, r.action_counts, r.invariants,
            r.complete, r.stop_reason, traces)


def _run(cfg: ClusterConfig, workers: int, rules: Any = None, **kw: Any) -> Result:
    return explore_fast(ClusterModel(cfg, rules), workers=workers, **kw)


@pytest.mark.parametrize("fingerprint", [False, True], ids=["exact", "fingerprint"])
@pytest.mark.parametrize(
    ("name", "symmetry"),
    [(n, s) for n in sorted(CONFIGS) for s in (False, True) if s or n not in SYMMETRIC_ONLY])
def test_workers_give_the_serial_result(name: str, symmetry: bool, fingerprint: bool) -> None:
    cfg = CONFIGS[name]
    one = _run(cfg, 1, symmetry=symmetry, fingerprint=fingerprint)
    assert one.complete and one.distinct_states > 5000
    for workers in (2, 3):
        par = _run(cfg, workers, symmetry=symmetry, fingerprint=fingerprint)
        assert par.workers == workers
        assert _key(par) == _key(one), f"{workers} workers"


@pytest.mark.parametrize("keep_going", [False, True], ids=["first", "keep-going"])
@pytest.mark.parametrize("variant", ["reset-clears-vote", "quorum-half"])
def test_violations_and_shortest_traces(variant: str, keep_going: bool) -> None:
    v = VARIANTS_BY_NAME[variant]
    cfg = replace(PLAIN, max_term=2, max_msgs=3, rules=v.baseline)
    one = _run(cfg, 1, v.rules, symmetry=True, keep_going=keep_going)
    assert one.violations, "the variant must break an invariant here"
    for workers in (2, 3):
        par = _run(cfg, workers, v.rules, symmetry=True, keep_going=keep_going)
        assert _key(par) == _key(one)
        assert [len(t.steps) for t in par.violations] == [len(t.steps) for t in one.violations]


# Networks (tests/explorer/test_engines.py holds them against the reference engine).
NET = {
    "cut, lossy": replace(PLAIN, max_term=2, check_quorum=True, cut_links=parse_partition("2-3", 3),
                          lossy_links=parse_links("1-2", 3, "--lossy")),
    "2 faults later": replace(BASE, partition_faults=2, partition_later=True,
                              cut_links=parse_partition("3|1,2", 3)),
}


@pytest.mark.parametrize("fingerprint", [False, True], ids=["exact", "fingerprint"])
@pytest.mark.parametrize("name", sorted(NET))
def test_workers_give_the_serial_result_with_a_network(name: str, fingerprint: bool) -> None:
    one = _run(NET[name], 1, fingerprint=fingerprint)
    assert one.complete and one.distinct_states > 5000
    par = _run(NET[name], 2, fingerprint=fingerprint)
    assert _key(par) == _key(one)


def test_violation_across_a_partition_with_workers() -> None:
    v = VARIANTS_BY_NAME["reset-clears-vote"]
    cfg = replace(PLAIN, max_term=2, drop=False, check_quorum=True,
                  cut_links=parse_partition("1-3", 3))
    one = _run(cfg, 1, v.rules)
    par = _run(cfg, 2, v.rules)
    assert one.violations and _key(par) == _key(one)


def test_violation_without_symmetry_in_fingerprint_mode() -> None:
    v = VARIANTS_BY_NAME["reset-clears-vote"]
    cfg = replace(PLAIN, max_term=2, max_msgs=3, rules=v.baseline)
    one = _run(cfg, 1, v.rules, fingerprint=True)
    par = _run(cfg, 2, v.rules, fingerprint=True)
    assert one.violations and _key(par) == _key(one)


@pytest.mark.parametrize(
    "limits", [Limits(max_states=5000), Limits(max_states=1), Limits(max_depth=9)],
    ids=["states", "one-state", "depth"])
def test_limits_stop_where_the_serial_search_stops(limits: Limits) -> None:
    one = _run(BASE, 1, limits=limits)
    par = _run(BASE, 2, limits=limits)
    assert not par.complete and "unknown" in par.invariants.values()
    assert _key(par) == _key(one)


def test_time_limit_and_memory_budget_give_partial_results() -> None:
    cfg = replace(BASE, max_term=3)
    timed = _run(cfg, 2, limits=Limits(time_limit=0.05))
    assert not timed.complete and timed.stop_reason == "time limit 0.05s reached"
    assert set(timed.invariants.values()) == {"unknown"}
    budget = _run(cfg, 2, max_memory=1)
    assert not budget.complete and budget.stop_reason == "memory budget reached"


def test_default_blocks_match_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast, "PARALLEL_BLOCK", None)
    assert _key(_run(BASE, 2)) == _key(_run(BASE, 1))


def test_progress_is_reported_between_blocks() -> None:
    seen: list[int] = []
    res = explore_fast(ClusterModel(BASE), workers=2, progress=lambda p: seen.append(p.distinct),
                       progress_interval=0.0)
    assert len(seen) > 2 and seen[-1] == res.distinct_states
    assert seen == sorted(seen)


@pytest.mark.parametrize("bad", [0, -1, 17, 1.5, "2", True])
def test_bad_worker_counts_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="workers"):
        explore_fast(ClusterModel(BASE), workers=bad)
    with pytest.raises(ValueError, match="workers"):
        run_search(ClusterModel(BASE), workers=bad)


def test_reference_engine_notes_one_worker() -> None:
    notes: list[str] = []
    res = run_search(ClusterModel(BASE), engine="reference", workers=2,
                     note=notes.append, limits=Limits(max_states=200))
    assert res.workers == 1
    assert notes == ["workers: 1 (the reference engine is single-threaded)"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "raftcheck.cli", "explore", "--max-term", "1",
                           *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("value", ["0", "-2", "1.5", "two", "99"])
def test_cli_refuses_bad_worker_counts(value: str) -> None:
    out = _cli("--workers", value)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "--workers" in lines[0] and "Traceback" not in out.stderr


def test_cli_workers_in_json_and_summary() -> None:
    one = json.loads(_cli("--json").stdout)
    two = json.loads(_cli("--json", "--workers", "2").stdout)
    assert (one["workers"], two["workers"]) == (1, 2)
    assert (one["distinct_states"], one["transitions"]) == (
        two["distinct_states"], two["transitions"])
    text = _cli("--workers", "2")
    assert text.returncode == 0
    assert any(line.split() == ["engine", "fast,", "2", "workers"]
               for line in text.stdout.splitlines())
    ref = _cli("--workers", "2", "--engine", "reference")
    assert "workers: 1 (the reference engine is single-threaded)" in ref.stderr
