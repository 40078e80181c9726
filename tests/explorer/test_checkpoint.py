"""Checkpoints of the fast engine (issue 9 item 4): a run cut by a limit, a pause or Ctrl-C and
resumed from its checkpoint ends exactly as the uninterrupted run, figure for figure and trace
for trace; anything wrong with a checkpoint is one CheckpointError naming the problem."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from core_access import new_core, run_core

from explorer.bfs import Limits, Progress, Result
from explorer.checkpoint import META, CheckpointError, Checkpointing
from explorer.engines import run_search
from explorer.fast import explore_fast
from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.topology import parse_partition
from model.variants import VARIANTS_BY_NAME

pytest.importorskip("explorer._fastcore", reason="the compiled core is not built")

CFG = ClusterConfig(voters=3, max_term=1, max_msgs=2, pre_vote=True, check_quorum=True)
BAD = VARIANTS_BY_NAME["reset-clears-vote"]
BAD_CFG = ClusterConfig(voters=3, max_term=2, max_msgs=3, rules=BAD.baseline)


def _figures(r: Result) -> tuple[Any, ...]:
    return (
        r.complete, r.stop_reason, r.distinct_states, r.transitions, r.max_depth,
        r.action_counts, r.invariants,
        [(v.invariant, v.init, [(s.action, s.state) for s in v.steps]) for v in r.violations],
    )


def _run(tmp: Path, cfg: ClusterConfig = CFG, *, resume: bool, rules: Any = None,
         interval: float = 300.0, model: ClusterModel | None = None, **kw: Any) -> Result:
    ck = Checkpointing(tmp, interval=interval, resume_from=tmp if resume else None)
    return explore_fast(model or ClusterModel(cfg, rules), checkpoint=ck, **kw)


def _resume_to_the_end(tmp: Path, first: Result, step: int, cfg: ClusterConfig = CFG,
                       rules: Any = None, **kw: Any) -> tuple[Result, int]:
    """Resume, with a state limit `step` states further each time, until the run ends."""
    res, sessions = first, 1
    while res.stop_reason is not None and res.stop_reason.startswith("state limit"):
        limit = res.distinct_states + step
        res = _run(tmp, cfg, resume=True, rules=rules, limits=Limits(max_states=limit), **kw)
        sessions += 1
    return res, sessions


@pytest.mark.parametrize("symmetry", [False, True], ids=["plain", "symmetry"])
@pytest.mark.parametrize("fingerprint", [False, True], ids=["exact", "fingerprint"])
def test_cut_by_state_limits_and_resumed_equals_the_full_run(
    tmp_path: Path, fingerprint: bool, symmetry: bool
) -> None:
    full = explore_fast(ClusterModel(CFG), symmetry=symmetry, fingerprint=fingerprint)
    assert full.complete and full.distinct_states > 3000
    step = full.distinct_states // 3 + 1
    kw = {"symmetry": symmetry, "fingerprint": fingerprint}
    first = _run(tmp_path, resume=False, limits=Limits(max_states=step), **kw)
    assert not first.complete and first.distinct_states == step
    assert (tmp_path / META).is_file()
    saved = json.loads((tmp_path / META).read_text())["progress"]
    assert (saved["distinct"], saved["transitions"]) == (step, first.transitions)
    last, sessions = _resume_to_the_end(tmp_path, first, step, **kw)
    assert sessions >= 3
    assert _figures(last) == _figures(full)


def test_resume_under_the_same_state_limit_finds_no_further_state(tmp_path: Path) -> None:
    first = _run(tmp_path, resume=False, limits=Limits(max_states=2000))
    again = _run(tmp_path, resume=True, limits=Limits(max_states=2000))
    assert again.stop_reason == "state limit 2000 reached" and not again.complete
    assert (again.distinct_states, again.transitions) == (2000, first.transitions)
    # and the cut-short state's remaining successors still come when the limit is raised
    full = explore_fast(ClusterModel(CFG))
    assert _figures(_run(tmp_path, resume=True)) == _figures(full)


def test_elapsed_seconds_add_up_over_sessions(tmp_path: Path) -> None:
    first = _run(tmp_path, resume=False, limits=Limits(max_states=2000))
    second = _run(tmp_path, resume=True)
    saved = json.loads((tmp_path / META).read_text())["progress"]["seconds"]
    assert saved == pytest.approx(first.seconds, abs=1e-3)
    assert second.complete and second.seconds > first.seconds


def test_periodic_checkpoints_pause_and_continue_the_same_search(tmp_path: Path) -> None:
    full = explore_fast(ClusterModel(CFG), symmetry=True)
    notes: list[str] = []
    ck = Checkpointing(tmp_path, interval=0.0, note=notes.append)  # at every chance
    res = explore_fast(ClusterModel(CFG), symmetry=True, checkpoint=ck)
    assert len(notes) >= 3 and all(n.startswith(f"checkpoint: {tmp_path}") for n in notes)
    assert _figures(res) == _figures(full)
    # only the newest checkpoint is kept; meta.json names it
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == [META, json.loads((tmp_path / META).read_text())["data"]]


def test_resumed_from_a_periodic_checkpoint_of_a_killed_run(tmp_path: Path) -> None:
    """A run that died after a periodic checkpoint (no final one) resumes from it."""
    full = explore_fast(ClusterModel(CFG))
    calls = 0

    def kill(_: Progress) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("killed")

    ck = Checkpointing(tmp_path, interval=0.0)
    with pytest.raises(RuntimeError):
        explore_fast(ClusterModel(CFG), checkpoint=ck, progress=kill, progress_interval=0.0)
    meta = json.loads((tmp_path / META).read_text())
    assert 0 < meta["progress"]["distinct"] < full.distinct_states
    assert _figures(_run(tmp_path, resume=True)) == _figures(full)


def test_ctrl_c_while_a_checkpoint_is_written_stops_after_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal

    import explorer.fast as fast

    real = fast.write_checkpoint
    writes = 0

    def write_with_ctrl_c(*args: Any) -> tuple[float, int]:
        nonlocal writes
        writes += 1
        if writes == 2:
            os.kill(os.getpid(), signal.SIGINT)  # arrives in the middle of the write
        return real(*args)

    monkeypatch.setattr(fast, "write_checkpoint", write_with_ctrl_c)
    full = explore_fast(ClusterModel(CFG))
    cut = _run(tmp_path, resume=False, interval=0.0)
    assert writes == 2 and cut.stop_reason == "interrupted" and not cut.complete
    saved = json.loads((tmp_path / META).read_text())["progress"]
    assert saved["distinct"] == cut.distinct_states < full.distinct_states
    monkeypatch.setattr(fast, "write_checkpoint", real)
    assert _figures(_run(tmp_path, resume=True)) == _figures(full)


def test_interrupted_run_writes_a_checkpoint_and_resumes(tmp_path: Path) -> None:
    full = explore_fast(ClusterModel(CFG), symmetry=True, fingerprint=True)
    calls = 0

    def ctrl_c(_: Progress) -> None:  # the core treats it as Ctrl-C
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt

    ck = Checkpointing(tmp_path)
    cut = explore_fast(ClusterModel(CFG), symmetry=True, fingerprint=True, checkpoint=ck,
                       progress=ctrl_c, progress_interval=0.0)
    assert cut.stop_reason == "interrupted" and cut.distinct_states < full.distinct_states
    meta = json.loads((tmp_path / META).read_text())
    assert meta["progress"]["distinct"] == cut.distinct_states
    res = _run(tmp_path, resume=True, symmetry=True, fingerprint=True)
    assert _figures(res) == _figures(full)


def test_depth_limit_holds_again_on_resume_and_lifts(tmp_path: Path) -> None:
    full = explore_fast(ClusterModel(CFG))
    cut = _run(tmp_path, resume=False, limits=Limits(max_depth=6))
    again = _run(tmp_path, resume=True, limits=Limits(max_depth=6))
    assert cut.stop_reason == again.stop_reason == "depth limit 6 reached"
    assert _figures(again) == _figures(cut)
    assert _figures(_run(tmp_path, resume=True)) == _figures(full)


@pytest.mark.parametrize(
    ("fingerprint", "keep_going"), [(False, False), (True, False), (True, True)],
    ids=["exact", "fingerprint", "fingerprint-keep-going"])
def test_violation_found_after_resume_has_the_full_runs_trace(
    tmp_path: Path, fingerprint: bool, keep_going: bool
) -> None:
    kw = {"symmetry": True, "fingerprint": fingerprint, "keep_going": keep_going}
    full = explore_fast(ClusterModel(BAD_CFG, BAD.rules), **kw)
    assert full.violations
    to_first = explore_fast(ClusterModel(BAD_CFG, BAD.rules), symmetry=True).distinct_states
    step = full.distinct_states // 2 if keep_going else to_first // 2
    first = _run(tmp_path, BAD_CFG, rules=BAD.rules, resume=False,
                 limits=Limits(max_states=to_first // 2), **kw)
    assert not first.violations, "the cut must come before the violation"
    last, _ = _resume_to_the_end(tmp_path, first, step - 1, BAD_CFG, BAD.rules, **kw)
    assert _figures(last) == _figures(full)
    # the trace replays step by step on the resumed model
    model = ClusterModel(BAD_CFG, BAD.rules)
    last = _run(tmp_path, BAD_CFG, resume=True, model=model, **kw)
    assert _figures(last) == _figures(full)
    for v in last.violations:
        cur = v.init
        for s in v.steps:
            assert (s.action, s.state) in list(model.successors(cur))
            cur = s.state
        assert v.invariant in model.violations(cur)


# -- bad checkpoints ---------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    _run(tmp_path, resume=False, limits=Limits(max_states=3000))
    return tmp_path


def _data(d: Path) -> Path:
    return d / json.loads((d / META).read_text())["data"]


NET_CFG = replace(CFG, max_term=2, partition_faults=2, partition_later=True,
                  cut_links=parse_partition("3|1,2", 3))


@pytest.mark.parametrize("fingerprint", [False, True], ids=["exact", "fingerprint"])
def test_a_network_run_resumed_equals_the_full_run(tmp_path: Path, fingerprint: bool) -> None:
    full = explore_fast(ClusterModel(NET_CFG), fingerprint=fingerprint)
    assert full.complete and full.action_counts.get("split") and full.action_counts.get("heal")
    step = full.distinct_states // 3 + 1
    first = _run(tmp_path, NET_CFG, resume=False, limits=Limits(max_states=step),
                 fingerprint=fingerprint)
    assert not first.complete
    last, sessions = _resume_to_the_end(tmp_path, first, step, NET_CFG, fingerprint=fingerprint)
    assert sessions >= 3
    assert _figures(last) == _figures(full)


def test_resume_refuses_another_topology(tmp_path: Path) -> None:
    _run(tmp_path, NET_CFG, resume=False, limits=Limits(max_states=500))
    other = replace(NET_CFG, cut_links=parse_partition("1|2,3", 3))
    assert "cut_links=" in _resume_error(tmp_path, other)
    assert "partition_later=" in _resume_error(tmp_path, replace(NET_CFG, partition_later=False))
    assert "partition_faults=" in _resume_error(tmp_path, replace(NET_CFG, partition_faults=1))


def _resume_error(d: Path, cfg: ClusterConfig = CFG, **kw: Any) -> str:
    with pytest.raises(CheckpointError) as exc:
        _run(d, cfg, resume=True, **kw)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith(f"--resume {d}")
    return msg


def test_resume_refuses_other_settings_and_names_the_setting(saved: Path) -> None:
    assert "max_term=1, this run max_term=2" in _resume_error(saved, replace(CFG, max_term=2))
    assert "symmetry=false, this run symmetry=true" in _resume_error(saved, symmetry=True)
    assert "state_set=exact" in _resume_error(saved, fingerprint=True)
    assert "keep_going=false" in _resume_error(saved, keep_going=True)
    assert "invariants=" in _resume_error(saved, only=["VoteOnce"])


def test_resume_refuses_a_damaged_core_dump(saved: Path) -> None:
    core = _data(saved) / "core.bin"
    raw = bytearray(core.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    core.write_bytes(bytes(raw))
    assert "checksum" in _resume_error(saved)
    core.write_bytes(bytes(raw[: len(raw) // 2]))
    assert "truncated" in _resume_error(saved)
    core.write_bytes(b"garbage")
    assert "not a core dump" in _resume_error(saved)


def test_resume_refuses_a_pickle_that_names_a_class(saved: Path) -> None:
    import pickle

    (_data(saved) / "interning.pickle").write_bytes(pickle.dumps({"nodes": [Path("x")]}))
    assert "interning.pickle is damaged" in _resume_error(saved)


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda m: m.update(format_version=99), "format version 99"),
        (lambda m: m.update(raftcheck_version="0.0.1"), "written by raftcheck 0.0.1"),
        (lambda m: m.update(format="other"), "not a raftcheck checkpoint"),
        (lambda m: m.pop("progress"), "damaged (fields missing)"),
        (lambda m: m.update(data="state-999"), "incomplete"),
        (lambda m: m.update(digest="0" * 64), "digest mismatch"),
    ],
    ids=["version", "raftcheck", "format", "fields", "data", "digest"],
)
def test_resume_refuses_a_bad_meta(saved: Path, damage: Any, expected: str) -> None:
    meta = json.loads((saved / META).read_text())
    damage(meta)
    (saved / META).write_text(json.dumps(meta))
    assert expected in _resume_error(saved)


def test_resume_refuses_missing_or_empty_directories(tmp_path: Path) -> None:
    assert "no such directory" in _resume_error(tmp_path / "nowhere")
    assert "no checkpoint" in _resume_error(tmp_path)
    (tmp_path / META).write_text("{")
    assert "not JSON" in _resume_error(tmp_path)
    (tmp_path / "f").write_text("")
    assert "not a directory" in _resume_error(tmp_path / "f")


def test_checkpoints_need_the_fast_engine(tmp_path: Path) -> None:
    ck = Checkpointing(tmp_path)
    with pytest.raises(CheckpointError, match="need the fast engine"):
        run_search(ClusterModel(CFG), engine="reference", checkpoint=ck)
    from model.liveness import Liveness, LivenessOptions

    live = ClusterModel(CFG, liveness=Liveness(LivenessOptions()))
    with pytest.raises(CheckpointError, match="need the fast engine"):
        run_search(live, checkpoint=ck)
    assert not (tmp_path / META).exists()


@pytest.mark.parametrize("cut", [3, 777, 1500])
def test_resumed_core_keeps_every_state_in_the_full_runs_order(tmp_path: Path, cut: int) -> None:
    """The search goes on exactly where it stopped, even inside a state's successors (a state
    limit stops there): the same states, in the same order, with the same parent links."""
    full_model = ClusterModel(CFG)
    _, full = new_core(full_model, fingerprint=False)
    done = run_core(full, full_model)
    model = ClusterModel(CFG)
    tables, core = new_core(model, fingerprint=False)
    assert run_core(core, model, cut)["stop_reason"] == f"state limit {cut} reached"
    core.dump(str(tmp_path / "core.bin"))
    interning = tables.interning()
    model2 = ClusterModel(CFG)
    tables2, core2 = new_core(model2, fingerprint=False)
    tables2.restore_interning(interning)
    core2.load(str(tmp_path / "core.bin"))
    again = run_core(core2, model2)
    assert {k: again[k] for k in ("distinct", "transitions", "max_depth", "kinds")} == {
        k: done[k] for k in ("distinct", "transitions", "max_depth", "kinds")}
    n = done["distinct"]
    assert [core2.state(i) for i in range(n)] == [full.state(i) for i in range(n)]
    assert [core2.path(i) for i in range(0, n, 97)] == [full.path(i) for i in range(0, n, 97)]
