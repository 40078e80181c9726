"""The `raftcheck explore` / `check` contract: exit codes, one-line errors, JSON shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

SMALL = ["--nodes", "3", "--max-term", "1", "--max-msgs", "2"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "raftcheck.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_complete_run_exits_zero_with_summary() -> None:
    p = run("explore", *SMALL, "--pre-vote", "--check-quorum")
    assert p.returncode == 0, p.stderr
    assert "OK: every invariant holds" in p.stdout
    assert "distinct states" in p.stdout


def test_json_shape() -> None:
    p = run("explore", *SMALL, "--symmetry", "--json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    for key in (
        "complete",
        "distinct_states",
        "transitions",
        "max_depth",
        "seconds",
        "states_per_second",
        "config",
        "invariants",
        "violations",
    ):
        assert key in data
    assert data["complete"] is True
    assert data["config"]["rules"] == "etcd-3.4" and data["config"]["symmetry"] is True
    assert data["config"]["max_term"] == 1 and data["config"]["max_msgs"] == 2
    assert set(data["invariants"].values()) == {"held"}
    assert data["violations"] == []


def test_partial_run_says_so_and_exits_three() -> None:
    p = run("explore", *SMALL, "--max-states", "50", "--json")
    assert p.returncode == 3
    data = json.loads(p.stdout)
    assert data["complete"] is False
    assert set(data["invariants"].values()) == {"unknown"}
    p = run("explore", *SMALL, "--max-depth", "3")
    assert p.returncode == 3 and "PARTIAL" in p.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--nodes", "0"], "--nodes must be between 1 and 7"),
        (["--nodes", "8"], "--nodes must be between 1 and 7"),
        (["--rules", "raft-1.0"], "--rules"),
        (["--faults", "drop,lose"], "unknown fault 'lose'"),
        (["--max-term", "0"], "max term must be at least 1"),
        (["--term", "9:1"], "unknown node 9"),
        (["--log", "1:2,1", "--term", "1:2"], "non-decreasing"),
        (["--log", "1:2"], "above the node's term"),
        (["--max-states", "0"], "--max-states"),
        (["--learners", "3"], "--learners"),
        (["--bogus"], "No such option"),
    ],
)
def test_bad_input_is_one_line_exit_two(args: list[str], needle: str) -> None:
    p = run("explore", *args)
    assert p.returncode == 2
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert needle in lines[0]
    assert "Traceback" not in p.stderr


def test_violation_exit_one_with_numbered_trace() -> None:
    # A 2-voter cluster whose tally needs one vote: both nodes can win term 1.
    p = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from raftcheck.cli import main; "
            "import model.rules as r; r.quorum.__code__ = (lambda n: 1).__code__; "
            "sys.argv=['raftcheck','explore','--nodes','2','--max-term','1','--json']; main()",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 1, p.stderr
    data = json.loads(p.stdout)
    assert data["invariants"]["OneLeaderPerTerm"] == "violated" or data["violations"]
    v = data["violations"][0]
    assert v["length"] == len(v["trace"]) and [s["step"] for s in v["trace"]] == list(
        range(1, v["length"] + 1)
    )
    assert all("kind" in s["action"] for s in v["trace"])


def test_export_graph_graphml_and_dot(tmp_path: Path) -> None:
    gml = tmp_path / "g.graphml"
    p = run(
        "explore", "--nodes", "2", "--max-term", "1", "--max-msgs", "1", "--export-graph", str(gml)
    )
    assert p.returncode == 0, p.stderr
    g = nx.read_graphml(gml)
    assert g.number_of_nodes() > 1 and g.number_of_edges() >= g.number_of_nodes() - 1
    dot = tmp_path / "g.dot"
    p = run(
        "explore", "--nodes", "2", "--max-term", "1", "--max-msgs", "1", "--export-graph", str(dot)
    )
    assert p.returncode == 0
    text = dot.read_text()
    assert text.startswith("digraph raftcheck {") and "->" in text
    p = run("explore", "--nodes", "2", "--max-term", "1", "--export-graph", str(tmp_path / "g.png"))
    assert p.returncode == 2 and "unknown graph format" in p.stderr


def test_check_runs_the_default_job() -> None:
    p = run("check", "--json")
    assert p.returncode == 0, p.stderr[-2000:]
    data = json.loads(p.stdout)
    assert data["ok"] is True
    assert data["explore"]["complete"] is True
    assert data["explore"]["config"]["pre_vote"] and data["explore"]["config"]["check_quorum"]
    assert set(data["explore"]["invariants"].values()) == {"held"}
    assert data["conform"]["conformant"] is True
    for name, results in data["prove"].items():
        for r in results:
            assert r["status"] == "proved" or r["known_failure"], (name, r)


def test_explore_variant_finds_the_historical_bug_with_room_for_two_campaigns() -> None:
    p = run("explore", "--variant", "reset-clears-vote", "--max-msgs", "3", "--symmetry", "--json")
    assert p.returncode == 1, p.stderr
    data = json.loads(p.stdout)
    assert data["config"]["rule_changes"] == "reset-clears-vote"
    assert data["violations"][0]["invariant"] == "VoteOnce"
    assert data["violations"][0]["length"] == 11


def test_explore_rules_file_and_bad_names(tmp_path: Path) -> None:
    f = tmp_path / "floor.py"
    f.write_text("def quorum(n: int) -> int:\n    return n // 2\n")
    p = run("explore", "--nodes", "4", "--max-term", "1", "--rules-file", str(f), "--json")
    assert p.returncode == 1
    assert json.loads(p.stdout)["violations"][0]["invariant"] == "LeaderHasQuorum"
    bad = tmp_path / "bad.py"
    bad.write_text("def quorom(n: int) -> int:\n    return n\n")
    p = run("explore", "--rules-file", str(bad))
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
    p = run("explore", "--variant", "no-such-variant")
    assert p.returncode == 2 and "unknown variant" in p.stderr


def test_export_graph_checks_its_path_before_exploring(tmp_path: Path) -> None:
    for target, why in [
        (tmp_path / "g.png", "unknown graph format"),
        (tmp_path / "missing" / "g.dot", "does not exist"),
        (tmp_path, "is a directory"),
    ]:
        # 5 voters would take minutes: the error must come first.
        p = run("explore", "--nodes", "5", "--export-graph", str(target))
        assert p.returncode == 2 and why in p.stderr, p.stderr
        assert "Traceback" not in p.stderr and "complete" not in p.stdout


def test_export_graph_labels_name_the_node_and_message(tmp_path: Path) -> None:
    gml = tmp_path / "g.graphml"
    p = run("explore", "--nodes", "2", "--max-term", "1", "--max-msgs", "1",
            "--export-graph", str(gml))
    assert p.returncode == 0, p.stderr
    g = nx.read_graphml(gml)
    actions = {d["action"] for _, _, d in g.edges(data=True)}
    assert "tick node 1" in actions and "tick node 2" in actions
    assert any(a.startswith("deliver MsgVote") for a in actions)
    labels = [d["label"] for _, d in g.nodes(data=True)]
    assert len(set(labels)) >= len(labels) * 9 // 10  # only history may be left out


def test_export_graph_over_the_cap_keeps_the_verdict(tmp_path: Path) -> None:
    import raftcheck.cli as cli

    cap = cli.GRAPH_STATE_CAP
    p = run("explore", "--nodes", "3", "--pre-vote", "--check-quorum",
            "--export-graph", str(tmp_path / "g.graphml"))
    assert p.returncode == 3, p.stderr
    assert f"more than {cap:,} states" in p.stderr
    assert "PARTIAL" in p.stdout and not (tmp_path / "g.graphml").exists()
