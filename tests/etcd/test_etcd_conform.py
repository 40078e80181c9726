"""`raftcheck conform --impl etcd`: the lockstep and exhaustive checks against etcd's real raft
library (through conformance.nodes.EtcdBackend), and how harness failures are reported."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.differential import run_differential
from conformance.engine import Lockstep
from conformance.nodes import EtcdBackend, HarnessFailure
from conformance.run import etcd_comparable, run_lockstep
from etcdharness.client import NO_BRIDGE, Harness
from model.config import ClusterConfig
from raftcheck.cmd_conform import conform

pytestmark = pytest.mark.etcd


def _no_zombies() -> None:
    """No child process of ours is left unreaped."""
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return
    assert pid == 0, f"a zombie child process {pid} was left behind"


@pytest.mark.parametrize(("nodes", "examples"), [(3, 40), (5, 25)])
def test_conform_etcd_lockstep_passes(nodes: int, examples: int) -> None:
    res = CliRunner().invoke(conform, ["--impl", "etcd", "--nodes", str(nodes), "--examples",
                                       str(examples), "--seed", "11", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["conformant"] is True and out["rules"] == "etcd-3.4"
    assert out["examples"] >= examples and out["steps"] > 10 * examples
    assert out["harness_failures"] == 0
    _no_zombies()


def test_conform_etcd_text_output() -> None:
    res = CliRunner().invoke(conform, ["--impl", "etcd", "--nodes", "3", "--examples", "5",
                                       "--seed", "2"])
    assert res.exit_code == 0, res.output
    assert "seed: 2" in res.stdout
    assert "conformant: etcd and model agree" in res.stdout


def test_conform_etcd_exhaustive_three_voters() -> None:
    res = CliRunner().invoke(conform, ["--impl", "etcd", "--exhaustive", "--symmetry",
                                       "--time-limit", "60", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["conformant"] is True and out["complete"] is True
    assert out["states"] > 1000 and out["local_steps"] > 100


@pytest.mark.parametrize(
    "cfg",
    [
        ClusterConfig(max_term=1, max_msgs=2, pre_vote=True, check_quorum=True),
        ClusterConfig(max_term=1, max_msgs=2, election_timeout=2, appends=1, transfers=1,
                      restarts=1),
        ClusterConfig(voters=2, learners=1, promoted_learners=True, max_term=1, max_msgs=2),
        etcd_comparable(ClusterConfig(max_term=2, max_msgs=2, pending_conf=frozenset({1}))),
    ],
)
def test_differential_small_spaces_against_etcd(harness: Harness, cfg: ClusterConfig) -> None:
    backend = EtcdBackend(harness)
    rep = run_differential(cfg, time_limit=120, backend=backend)
    assert rep.complete and rep.conformant, rep.divergences[:1]
    assert rep.local_steps > 10


def test_etcd_without_bridge_diverges(harness: Harness) -> None:
    """The checks are not vacuous: etcd as it is (NO_BRIDGE) differs from the model, e.g. a
    leader's tick sends heartbeats (FINDINGS 12) and its first MsgApp is not the whole log
    (FINDINGS 1)."""
    rep = run_differential(ClusterConfig(max_term=1, max_msgs=2),
                           backend=EtcdBackend(harness, bridge=NO_BRIDGE))
    assert not rep.conformant
    assert rep.divergences[0].problems


def test_lockstep_reuses_one_abstraction(harness: Harness) -> None:
    """The etcd side of a lockstep run is abstracted through status(); the initial states of
    both sides agree and a campaign is compared message by message."""
    run = Lockstep(ClusterConfig(), EtcdBackend(harness))
    assert not run.init_problems
    for action in (("tick", 1), ("timeout", 1)):
        step = run.step(action)
        assert step is not None and not step.problems, step
    assert len(run.impl.inflight) == 2


def test_harness_crash_is_one_line_and_restarts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAFTHARNESS_CRASH_AFTER", "40")
    res = CliRunner().invoke(conform, ["--impl", "etcd", "--nodes", "3", "--examples", "30",
                                       "--seed", "1"])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("raftcheck: error: etcd harness failure")
    assert "exited (crashed?)" in lines[0] and "last request sent" in lines[0]
    assert "the harness was restarted" in lines[0]
    assert "Traceback" not in res.output
    _no_zombies()


def test_harness_crash_examples_continue(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a crash the next example runs on a fresh harness process."""
    monkeypatch.setenv("RAFTHARNESS_CRASH_AFTER", "40")
    rep = run_lockstep(3, 40, seed=3, impl="etcd")
    assert rep.harness_failures >= 1
    assert rep.examples > rep.harness_failures and rep.steps > 0
    assert rep.divergence is None and rep.error is not None
    _no_zombies()


def test_harness_hang_is_reported(harness_binary: Path) -> None:
    backend = EtcdBackend(Harness(harness_binary, timeout=1e-6))
    try:
        rep = run_lockstep(3, 3, seed=1, impl=backend)
    finally:
        backend.close()
    assert rep.harness_failures == rep.examples >= 1
    assert rep.error is not None and "hung?" in rep.error and "last request sent" in rep.error
    _no_zombies()


def test_harness_garbage_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "garbage.sh"
    fake.write_text("#!/bin/sh\nwhile read l; do echo garbage; done\n")
    fake.chmod(0o755)
    monkeypatch.setenv("RAFTCHECK_ETCD_HARNESS", str(fake))
    res = CliRunner().invoke(conform, ["--impl", "etcd", "--examples", "2", "--seed", "1"])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "printed garbage" in lines[0]
    res = CliRunner().invoke(conform, ["--impl", "etcd", "--exhaustive"])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "printed garbage" in lines[0]
    _no_zombies()


def test_harness_failure_is_not_a_divergence(harness: Harness) -> None:
    backend = EtcdBackend(harness)
    run = Lockstep(ClusterConfig(), backend)
    assert run.step(("tick", 1)) is not None
    harness.close()  # the nodes are gone with the process
    with pytest.raises(HarnessFailure, match="restarted"):
        run.step(("timeout", 1))


def test_lockstep_without_bridge_finds_a_minimal_divergence(harness: Harness) -> None:
    rep = run_lockstep(3, 30, seed=5, impl=EtcdBackend(harness, bridge=NO_BRIDGE))
    assert not rep.conformant and rep.error is None
    assert rep.divergence is not None
    assert any("DIVERGENCE" in ln for ln in rep.divergence["rendered"])
    assert (rep.minimal_steps() or 0) <= 8


class _LiveEtcd(EtcdBackend):
    batches = False  # one round trip per step, no prefetched program


def test_prefetched_program_equals_step_by_step(harness: Harness) -> None:
    """The `run` request (a whole program per round trip) is only an optimisation: the same
    seed gives the same examples and steps as step-by-step requests."""
    fast = run_lockstep(3, 20, seed=8, impl=EtcdBackend(harness))
    slow = run_lockstep(3, 20, seed=8, impl=_LiveEtcd(harness))
    assert fast.conformant and slow.conformant
    assert (fast.examples, fast.steps) == (slow.examples, slow.steps)


def test_etcd_trace_replays_on_etcd(harness: Harness, tmp_path: Path) -> None:
    from conformance.trace import trace_to_json, write_trace
    from raftcheck.cmd_conform import replay

    run = Lockstep(ClusterConfig(), EtcdBackend(harness))
    for action in (("tick", 1), ("timeout", 1)):
        assert run.step(action) is not None
    m = run.impl.inflight_abs[0]
    assert run.step(("deliver", m)) is not None
    assert trace_to_json(run)["impl"] == "etcd"
    path = write_trace(run, tmp_path / "t.json")
    res = CliRunner().invoke(replay, [str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["impl"] == "etcd"
