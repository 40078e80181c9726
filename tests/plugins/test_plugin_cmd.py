"""`--impl cmd:` and `--impl module:` with every conformance mode: lockstep runs, the
exhaustive differential (each pre-vote / check-quorum combination) and `replay`; a planted bug
(a vote granted twice in one term) is caught by each."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from raftcheck.cli import main

FLAGS = [[], ["--pre-vote"], ["--check-quorum"], ["--pre-vote", "--check-quorum"]]
BUGGY_MODULE = "module:tests.plugins.buggy_factory:make_node"


def conform(*args: str) -> tuple[int, dict, str]:
    res = CliRunner().invoke(main, ["conform", *args, "--json"])
    out = res.stdout
    data = json.loads(out[out.index("{"):]) if "{" in out else {}
    return res.exit_code, data, res.stderr


def test_lockstep_python_harness_agrees(pyharness: Callable[..., str], tmp_path: Path) -> None:
    code, data, _ = conform("--impl", pyharness(), "--examples", "25", "--seed", "3",
                            "--trace-dir", str(tmp_path))
    assert code == 0
    assert data["conformant"] and data["steps"] > 100


def test_lockstep_catches_the_planted_bug(pyharness: Callable[..., str], tmp_path: Path) -> None:
    impl = pyharness("--bug", "double-vote")
    code, data, _ = conform("--impl", impl, "--examples", "300", "--seed", "1",
                            "--nodes", "3", "--trace-dir", str(tmp_path))
    assert code == 1
    rendered = "\n".join(data["divergence"]["rendered"])
    assert "MsgVoteResp" in rendered and "vote: impl" in rendered
    trace = json.loads(Path(data["trace_file"]).read_text())
    assert trace["impl"] == impl  # replayable on the same harness


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: "+".join(f) or "plain")
def test_exhaustive_agrees_for_each_flag_combination(
    pyharness: Callable[..., str], flags: list[str]
) -> None:
    code, data, _ = conform("--impl", pyharness(), "--exhaustive", "--max-term", "1", *flags)
    assert code == 0
    assert data["complete"] and data["conformant"] and data["local_steps"] > 0


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: "+".join(f) or "plain")
def test_exhaustive_catches_the_planted_bug_for_each_flag_combination(
    pyharness: Callable[..., str], flags: list[str], tmp_path: Path
) -> None:
    code, data, _ = conform("--impl", pyharness("--bug", "double-vote"), "--exhaustive",
                            "--max-term", "1", "--trace-dir", str(tmp_path), *flags)
    assert code == 1
    assert any("vote" in p for p in data["divergence"]["local_problems"])


def _divergent_trace(impl: str, tmp_path: Path) -> Path:
    code, data, _ = conform("--impl", impl, "--examples", "300", "--seed", "1", "--nodes", "3",
                            "--trace-dir", str(tmp_path))
    assert code == 1
    return Path(data["trace_file"])


def test_replay_takes_impl(pyharness: Callable[..., str], tmp_path: Path) -> None:
    buggy = pyharness("--bug", "double-vote")
    trace = _divergent_trace(buggy, tmp_path)
    runner = CliRunner()
    # the implementation the trace names, then an explicit one of each kind
    assert runner.invoke(main, ["replay", str(trace)]).exit_code == 1
    assert runner.invoke(main, ["replay", str(trace), "--impl", buggy]).exit_code == 1
    assert runner.invoke(main, ["replay", str(trace), "--impl", pyharness()]).exit_code == 0
    assert runner.invoke(main, ["replay", str(trace), "--impl", "python"]).exit_code == 0
    res = runner.invoke(main, ["replay", str(trace), "--impl", "java"])
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1


def test_module_impl_agrees(tmp_path: Path) -> None:
    impl = "module:impl.rawnode:RawNode"
    code, data, _ = conform("--impl", impl, "--examples", "25", "--seed", "5",
                            "--trace-dir", str(tmp_path))
    assert code == 0 and data["conformant"]
    code, data, _ = conform("--impl", impl, "--exhaustive", "--max-term", "1",
                            "--check-quorum")
    assert code == 0 and data["complete"]


def test_module_good_factory_from_the_current_directory(in_repo: Path) -> None:
    code, data, _ = conform("--impl", "module:tests.plugins.buggy_factory:make_good_node",
                            "--exhaustive", "--max-term", "1", "--pre-vote")
    assert code == 0 and data["conformant"]


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: "+".join(f) or "plain")
def test_module_planted_bug_caught_exhaustive(
    in_repo: Path, flags: list[str], tmp_path: Path
) -> None:
    code, data, _ = conform("--impl", BUGGY_MODULE, "--exhaustive", "--max-term", "1",
                            "--trace-dir", str(tmp_path), *flags)
    assert code == 1
    assert any("vote" in p for p in data["divergence"]["local_problems"])


def test_module_planted_bug_caught_lockstep_and_replay(in_repo: Path, tmp_path: Path) -> None:
    trace = _divergent_trace(BUGGY_MODULE, tmp_path)
    assert json.loads(trace.read_text())["impl"] == BUGGY_MODULE
    runner = CliRunner()
    assert runner.invoke(main, ["replay", str(trace)]).exit_code == 1
    assert runner.invoke(main, ["replay", str(trace), "--impl", "python"]).exit_code == 0


@pytest.mark.parametrize("impl", [
    "java",
    "module:no_such_module_xyz:make",
    "module:impl.rawnode:NoSuchFactory",
    "module:impl.rawnode",
    "cmd:",
    "cmd:'unterminated",
])
def test_bad_impl_is_one_line_exit_2(impl: str) -> None:
    for mode in ([], ["--exhaustive", "--max-term", "1"]):
        res = CliRunner().invoke(main, ["conform", "--impl", impl, *mode])
        assert res.exit_code == 2, (impl, mode, res.output)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("raftcheck: error:"), res.stderr


def test_plugin_rules_are_respected(pyharness: Callable[..., str]) -> None:
    """The Python harness implements both rule sets; the model's `seed` rules run too."""
    code, data, _ = conform("--impl", pyharness(), "--exhaustive", "--max-term", "1",
                            "--rules", "seed")
    assert code == 0 and data["conformant"]


def test_stateful_engine_is_refused_for_plugins(pyharness: Callable[..., str]) -> None:
    res = CliRunner().invoke(main, ["conform", "--impl", pyharness(), "--engine", "stateful"])
    assert res.exit_code == 2 and "program engine" in res.stderr


def test_lockstep_conf_changes_need_the_conf_change_feature(
    pyharness: Callable[..., str]
) -> None:
    """A harness without `conf_change` among its features cannot run membership changes:
    one line, exit 2 (not a divergence)."""
    res = CliRunner().invoke(main, ["conform", "--impl", pyharness(), "--conf-changes", "1",
                                       "--examples", "5", "--seed", "1"])
    assert res.exit_code == 2, res.output
    assert "does not serve membership changes" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
