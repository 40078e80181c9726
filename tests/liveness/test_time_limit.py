"""`explore --liveness --time-limit S`: one limit for the whole run, not one per phase."""

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
