"""`explore --liveness --time-limit S`: one limit for the whole run, not one per phase; Ctrl-C
during the liveness run reports the safety run and leaves the liveness properties unknown."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import explorer.livegraph as livegraph
from raftcheck.cli import main

# Howard & Abraham's second 5-node case: its safety run alone takes many minutes
HA2 = ["explore", "--liveness", "--nodes", "5", "--partition", "1-5,2-5,3-5,4-5,1-4,3-4",
       "--pre-vote", "--json"]


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled-builder", "python-builder"])
def test_the_liveness_graph_gets_only_what_the_safety_run_left(
    compiled: bool, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(livegraph, "USE_CORE", compiled)
    res = CliRunner().invoke(main, [*HA2, "--time-limit", "2"])
    assert res.exit_code == 3, res.output
    out = json.loads(res.stdout)
    live = out["liveness"]
    assert out["stop_reason"] == "time limit 2s reached"
    assert live["stop_reason"] == "time limit 2s reached" and not live["complete"]
    # the run's own accounting: both explorations together stay within the limit
    assert out["seconds"] + live["seconds_explore"] <= 2.0 + 0.5
    assert "held" not in out["invariants"].values()


def _interrupted(*args: object, **kwargs: object) -> object:
    raise KeyboardInterrupt


def test_ctrl_c_while_the_liveness_graph_is_built_reports_the_safety_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from raftcheck import liveness_run

    monkeypatch.setattr(liveness_run, "liveness_graph", _interrupted)
    res = CliRunner().invoke(main, ["explore", "--liveness", "--nodes", "2", "--json"])
    assert res.exit_code == 130
    out = json.loads(res.stdout)
    assert out["complete"] is False
    assert out["liveness"]["complete"] is False and out["liveness"]["stop_reason"] == "interrupted"
    for name in ("LeaderElectable", "EventuallyLeader", "LeaderStable", "NoLivelock"):
        assert out["invariants"][name] == "unknown"
    assert out["invariants"]["OneLeaderPerTerm"] == "held"  # the safety run was complete


def test_ctrl_c_after_a_safety_violation_still_reports_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from raftcheck import liveness_run

    monkeypatch.setattr(liveness_run, "liveness_graph", _interrupted)
    res = CliRunner().invoke(main, ["explore", "--liveness", "--nodes", "3",
                                    "--variant", "quorum-half"])
    assert res.exit_code == 130
    assert "VIOLATED: " in res.output and "then the liveness run was interrupted" in res.output
    assert "Shortest trace" in res.output and "  1: tick node" in res.output
