"""Checkpoints of a distributed run (explorer/distributed.py): a run stopped by a limit,
Ctrl-C or a lost worker is resumed from its checkpoint, and the resumed run's distinct states,
transitions, depth, action counts and verdicts are the single-process engine's (a shortest
counterexample of the same length); the checkpoints of the two kinds of runs, and of a
different worker count, are refused with one line (exit 2).

The local Ray cluster is the session's (conftest.py).
"""
from __future__ import annotations

import json
import os
import signal
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from explorer.bfs import INTERRUPTED, Limits, Result
from explorer.checkpoint import CheckpointError, Checkpointing
from explorer.fast import explore_fast
from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.variants import VARIANTS_BY_NAME
from raftcheck.cli import main

if os.environ.get("RAFTCHECK_REQUIRE_RAY") == "1":
    import ray
else:
    ray = pytest.importorskip("ray", reason="the distributed extra is not installed")

import explorer.distributed as distributed  # noqa: E402
from explorer.distributed import explore_ray  # noqa: E402

pytestmark = pytest.mark.usefixtures("ray_cluster")

BASE = ClusterConfig(voters=3, max_term=2, max_msgs=2)  # 117,660 states, depth 31


def same_counts(local: Result, dist: Result) -> None:
    assert (dist.distinct_states, dist.transitions, dist.max_depth) == (
        local.distinct_states, local.transitions, local.max_depth)
    assert dist.action_counts == local.action_counts
    assert dist.invariants == local.invariants
    assert dist.complete == local.complete


def kill_at(round_no: int, worker: int = 1) -> Any:
    def hook(actors: list[Any], rounds: int) -> None:
        if rounds == round_no:
            ray.kill(actors[worker])

    return hook


def resume(model: ClusterModel, ck: Path, **kw: Any) -> tuple[Result, Any]:
    return explore_ray(model, checkpoint=Checkpointing(ck, resume_from=ck), **kw)


def test_a_lost_worker_leaves_a_checkpoint_and_the_resumed_run_is_the_whole_search(
    tmp_path: Path,
) -> None:
    ck = tmp_path / "ck"
    notes: list[str] = []
    # a checkpoint after every round (interval 0); worker 1 is killed after round 6, before
    # that round's checkpoint: the one of round 5 stays (its data names it)
    cut, info = explore_ray(ClusterModel(BASE), workers=2, round_states=256,
                            checkpoint=Checkpointing(ck, interval=0, note=notes.append),
                            after_round=kill_at(6))
    assert not cut.complete and "worker was lost" in (cut.stop_reason or "")
    assert set(cut.invariants.values()) == {"unknown"}
    assert info.lost_worker is not None and info.lost_worker.startswith("worker 1 of 2 (pid ")
    assert info.checkpoint == str(ck)
    meta = json.loads((ck / "meta.json").read_text())
    assert meta["ray"] == {"workers": 2} and meta["settings"]["engine"] == "ray"
    assert meta["progress"]["stop_reason"] == "pause"
    assert len([n for n in notes if n.startswith("checkpoint: ")]) == 5
    assert 0 < meta["progress"]["distinct"] < cut.distinct_states
    # resumed with the checkpoint's worker count (not given here)
    dist, info2 = resume(ClusterModel(BASE), ck, round_states=256)
    same_counts(explore_fast(ClusterModel(BASE)), dist)
    assert dist.complete and info2.workers == 2 and info2.lost_worker is None
    assert sum(info2.worker_states) == dist.distinct_states


@pytest.mark.parametrize("fingerprint", [False, True], ids=["exact", "fingerprint"])
def test_a_run_cut_by_a_limit_resumes_to_a_shortest_counterexample(
    tmp_path: Path, fingerprint: bool,
) -> None:
    v = VARIANTS_BY_NAME["reset-clears-vote"]
    cfg = replace(BASE, max_msgs=3, rules=v.baseline)
    local = explore_fast(ClusterModel(cfg, v.rules), symmetry=True, fingerprint=fingerprint)
    assert local.violations
    ck = tmp_path / "ck"
    cut, _ = explore_ray(ClusterModel(cfg, v.rules), workers=2, symmetry=True,
                         fingerprint=fingerprint, round_states=512,
                         limits=Limits(max_states=2000), checkpoint=Checkpointing(ck))
    assert cut.stop_reason == "state limit 2000 reached" and not cut.violations
    model = ClusterModel(cfg, v.rules)
    dist, _ = resume(model, ck, symmetry=True, fingerprint=fingerprint, round_states=512)
    assert dist.invariants == local.invariants and dist.stop_reason == "invariant violated"
    lv, dv = local.violations[0], dist.violations[0]
    assert dv.invariant == lv.invariant and len(dv.steps) == len(lv.steps)
    cur = dv.init  # the trace is the model's own, on the resumed run's numbering
    for step in dv.steps:
        cur = model.next_state(cur, step.action)
        assert cur == step.state
    assert dv.invariant in model.violations(cur)
    assert dist.seconds >= cut.seconds  # the sessions' seconds add up


def test_a_checkpoint_at_the_end_of_a_level_resumes(tmp_path: Path) -> None:
    # the states up to depth 9: the limit is reached by the last round of level 8, so the
    # checkpoint is taken with every worker at the end of its level
    upto9 = explore_fast(ClusterModel(BASE), limits=Limits(max_depth=9)).distinct_states
    ck = tmp_path / "ck"
    cut, _ = explore_ray(ClusterModel(BASE), workers=2, round_states=4096,
                         limits=Limits(max_states=upto9), checkpoint=Checkpointing(ck))
    assert cut.distinct_states == upto9 and cut.max_depth == 9
    dist, _ = resume(ClusterModel(BASE), ck, round_states=4096)
    same_counts(explore_fast(ClusterModel(BASE)), dist)


def test_a_depth_limited_run_resumes_with_a_deeper_limit(tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    cut, _ = explore_ray(ClusterModel(BASE), workers=2, limits=Limits(max_depth=6),
                         checkpoint=Checkpointing(ck))
    assert cut.stop_reason == "depth limit 6 reached"
    assert json.loads((ck / "meta.json").read_text())["progress"]["max_depth"] == 6
    deeper, _ = resume(ClusterModel(BASE), ck, limits=Limits(max_depth=12))
    ref = explore_fast(ClusterModel(BASE), limits=Limits(max_depth=12))
    assert (deeper.distinct_states, deeper.transitions, deeper.stop_reason) == (
        ref.distinct_states, ref.transitions, ref.stop_reason)


def test_ctrl_c_stops_at_a_round_boundary_with_a_checkpoint(tmp_path: Path) -> None:
    def interrupt(_actors: list[Any], rounds: int) -> None:
        if rounds == 4:
            os.kill(os.getpid(), signal.SIGINT)

    ck = tmp_path / "ck"
    cut, _ = explore_ray(ClusterModel(BASE), workers=2, round_states=256,
                         checkpoint=Checkpointing(ck), after_round=interrupt)
    assert cut.stop_reason == INTERRUPTED and not cut.complete
    assert json.loads((ck / "meta.json").read_text())["progress"]["stop_reason"] == INTERRUPTED
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    dist, _ = resume(ClusterModel(BASE), ck, round_states=256)
    same_counts(explore_fast(ClusterModel(BASE)), dist)


def test_checkpoints_that_do_not_fit_are_refused(tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    explore_ray(ClusterModel(BASE), workers=2, limits=Limits(max_states=3000),
                checkpoint=Checkpointing(ck))
    with pytest.raises(CheckpointError, match="written by 2 Ray workers, this run asks for 3"):
        resume(ClusterModel(BASE), ck, workers=3)
    with pytest.raises(CheckpointError, match="explores max_term=2, this run max_term=1"):
        resume(ClusterModel(replace(BASE, max_term=1)), ck)
    with pytest.raises(CheckpointError, match="a checkpoint of a distributed run"):
        explore_fast(ClusterModel(BASE), checkpoint=Checkpointing(ck, resume_from=ck))
    data = ck / json.loads((ck / "meta.json").read_text())["data"]
    (data / "worker-1.core").write_bytes(b"not a core dump")
    with pytest.raises(CheckpointError, match="worker-1 is damaged"):
        resume(ClusterModel(BASE), ck)
    (data / "worker-1.core").unlink()
    with pytest.raises(CheckpointError, match="checkpoint incomplete"):
        resume(ClusterModel(BASE), ck)


def test_cli_lost_worker_says_how_to_resume(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    real = distributed.explore_ray

    def with_a_kill(*args: Any, **kw: Any) -> Any:
        return real(*args, **kw, after_round=kill_at(3, worker=0), round_states=256)

    monkeypatch.setattr(distributed, "explore_ray", with_a_kill)
    ck = tmp_path / "ck"
    args = ["explore", "--max-term", "2", "--max-msgs", "2", "--json", "--ray", "auto",
            "--ray-workers", "2"]
    r = CliRunner().invoke(main, [*args, "--checkpoint", str(ck), "--checkpoint-interval", "0"])
    assert r.exit_code == 3, r.output
    lost = [x for x in r.stderr.splitlines() if "worker was lost" in x]
    assert len(lost) == 1 and "worker 0 of 2" in lost[0]
    assert lost[0].endswith(f"resume with --resume {ck}")
    out = json.loads(r.stdout)
    assert out["complete"] is False and out["ray"]["lost_worker"].startswith("worker 0 of 2")
    monkeypatch.setattr(distributed, "explore_ray", real)
    r = CliRunner().invoke(main, [*args, "--resume", str(ck)])
    local = CliRunner().invoke(main, args[:-4])
    assert r.exit_code == local.exit_code == 0, r.output
    a, b = json.loads(local.stdout), json.loads(r.stdout)
    for key in ("distinct_states", "transitions", "max_depth", "invariants", "complete",
                "action_counts"):
        assert b[key] == a[key]
    r = CliRunner().invoke(main, [*args[:-2], "--ray-workers", "3", "--resume", str(ck)])
    assert r.exit_code == 2 and "--ray-workers 2" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
