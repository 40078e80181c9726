"""The membership-change flags of `raftcheck explore`: bad input is one line and exit 2; a
small exploration with a promotion completes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from raftcheck.cli import main

BAD = [
    (["--conf-changes", "1", "--conf-kinds", "bogus"], "unknown conf kind 'bogus'"),
    (["--nodes", "1", "--conf-changes", "1", "--conf-change", "remove:1"],
     "removed all voters"),
    (["--conf-changes", "1", "--conf-change", "promote:2"], "cannot promote 2: it is a voter"),
    (["--learners", "1", "--conf-changes", "1", "--conf-change", "demote:4"],
     "cannot demote 4: it is not a voter"),
    (["--conf-changes", "1", "--conf-change", "add:2"], "cannot add 2: it is already a member"),
    (["--conf-changes", "1", "--conf-change", "add-learner:3"], "cannot add 3"),
    (["--learners", "1", "--conf-changes", "1", "--conf-change", "joint:promote:4+remove:1"],
     "add joint to --conf-kinds"),
    (["--conf-changes", "1", "--conf-change", "remove:9"], "unknown node 9"),
    (["--conf-changes", "1", "--conf-change", "promote:x"], "is not a node id"),
    (["--conf-changes", "1", "--conf-change", "swap:1"], "is not KIND:ID"),
    (["--conf-changes", "1", "--conf-kinds", "promote"], "no change is possible"),
    (["--conf-changes", "1", "--max-term", "300"], "above 255"),
    (["--conf-changes", "1", "--liveness"], "not supported yet"),
    (["--conf-changes", "-1"], "at least 0"),
    (["--spares", "1"], "--spares needs --conf-changes"),
    (["--conf-changes", "1", "--spares", "3"], "spares must be between 0 and 2"),
    (["--conf-changes", "1", "--conf-entry", "v3"], "unknown conf entry encoding 'v3'"),
    (["--learners", "1", "--conf-change", "promote:4"], "--conf-change needs --conf-changes"),
    (["--conf-kinds", "joint"], "need --conf-changes"),
]


@pytest.mark.parametrize(("args", "needle"), BAD)
def test_bad_conf_input_is_one_line_and_exit_2(args: list[str], needle: str) -> None:
    res = CliRunner().invoke(main, ["explore", *args, "--max-states", "10"])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.stderr.splitlines() if not ln.startswith("raftcheck: note:")]
    assert len(lines) == 1 and lines[0].startswith("raftcheck: error: "), res.stderr
    assert needle in lines[0]
    assert "Traceback" not in res.output


def test_promotion_exploration_completes_with_notes_and_json_keys() -> None:
    res = CliRunner().invoke(main, [
        "explore", "--learners", "1", "--conf-changes", "1", "--conf-change", "promote:4",
        "--start-leader", "1", "--faults", "none", "--max-term", "1", "--max-msgs", "3",
        "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["complete"] and out["distinct_states"] > 1000
    assert out["action_counts"]["apply"] > 0 and out["action_counts"]["propose-conf"] > 0
    cfg = out["config"]
    assert (cfg["conf_changes"], cfg["conf_specs"], cfg["conf_entry"], cfg["spares"]) == (
        1, ["promote:4"], ["v1", "v2"], 0)
    names = set(out["invariants"])
    assert {"ConfOneAtATime", "QuorumOverlap", "OneLeaderPerTerm"} <= names
    # Symmetry stays on (exact with membership changes); the compiled core runs.
    assert cfg["symmetry"] is True and "symmetry" not in res.stderr
    assert out["engine"] == "fast" and "engine: reference" not in res.stderr


def test_a_spare_can_be_added() -> None:
    res = CliRunner().invoke(main, [
        "explore", "--conf-changes", "1", "--conf-change", "add-learner:4", "--conf-entry", "v1",
        "--spares", "1",
        "--start-leader", "1", "--faults", "none", "--max-term", "1", "--max-msgs", "3",
        "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["complete"] and out["action_counts"]["propose-conf"] > 0


def test_rules_etcd35_is_accepted() -> None:
    res = CliRunner().invoke(main, ["explore", "--rules", "etcd-3.5", "--bounds", "quick",
                                    "--json"])
    assert res.exit_code == 0, res.output
