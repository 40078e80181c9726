"""`raftcheck conform` and `raftcheck replay` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from impl import bugs
from raftcheck.cmd_conform import conform, replay


def test_conform_json_conformant() -> None:
    res = CliRunner().invoke(
        conform, ["--nodes", "3", "--examples", "10", "--seed", "4", "--json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["conformant"] is True
    assert out["seed"] == 4
    assert out["divergence"] is None
    for key in ("examples", "steps", "seconds", "steps_per_second"):
        assert key in out
    assert out["steps"] > 0


def test_conform_text_prints_seed() -> None:
    res = CliRunner().invoke(conform, ["--examples", "5", "--seed", "9", "--rules", "seed"])
    assert res.exit_code == 0, res.output
    assert "seed: 9" in res.stdout
    assert "conformant" in res.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--nodes", "0"],
        ["--nodes", "9"],
        ["--examples", "0"],
        ["--rules", "raft-1.0"],
        ["--steps", "0"],
        ["--impl", "etcd", "--rules", "seed"],
        ["--impl", "etcd", "--exhaustive", "--rules", "seed"],
        ["--impl", "etcd", "--engine", "stateful"],
    ],
)
def test_conform_bad_input(args: list[str]) -> None:
    res = CliRunner().invoke(conform, args)
    assert res.exit_code == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in res.output


def test_divergence_exit_1_trace_and_replay(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bugs.plant(monkeypatch, "quorum-floor")
    res = CliRunner().invoke(
        conform,
        ["--nodes", "3", "--examples", "50", "--seed", "1", "--json", "--trace-dir",
         str(tmp_path)],
    )
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    assert out["conformant"] is False
    assert out["divergence"]["actions"]
    trace = Path(out["trace_file"])
    assert trace.exists()
    res = CliRunner().invoke(replay, [str(trace)])
    assert res.exit_code == 1
    assert "first divergence at step" in res.stdout
    monkeypatch.undo()
    res = CliRunner().invoke(replay, [str(trace), "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["conformant"] is True


def test_exhaustive_small() -> None:
    res = CliRunner().invoke(
        conform, ["--exhaustive", "--max-term", "1", "--max-msgs", "2", "--json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["conformant"] and out["complete"] and out["states"] > 10


def test_exhaustive_finds_planted_bug(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bugs.plant(monkeypatch, "reset-clears-vote")
    res = CliRunner().invoke(
        conform,
        ["--exhaustive", "--max-term", "1", "--max-msgs", "2", "--trace-dir", str(tmp_path)],
    )
    assert res.exit_code == 1, res.output
    assert "DIVERGENCE" in res.stdout
    assert (tmp_path / "conform-exhaustive.json").exists()


def test_exhaustive_bad_bounds() -> None:
    res = CliRunner().invoke(conform, ["--exhaustive", "--max-term", "0"])
    assert res.exit_code == 2


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"config": {}, "actions": [{"kind": "fly"}]}',
     '{"config": {"voters": "x"}, "actions": []}', '{"config": {"voters": 3}}',
     '{"config": {"voters": 3}, "actions": [{"kind": "tick", "node": 7}]}'],
)
def test_replay_malformed(tmp_path: Path, content: str) -> None:
    p = tmp_path / "t.json"
    p.write_text(content)
    res = CliRunner().invoke(replay, [str(p)])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("raftcheck: error:")


def test_replay_missing_file(tmp_path: Path) -> None:
    res = CliRunner().invoke(replay, [str(tmp_path / "nope.json")])
    assert res.exit_code == 2


def test_conform_etcd_rules_seed_message() -> None:
    res = CliRunner().invoke(conform, ["--impl", "etcd", "--rules", "seed"])
    assert res.exit_code == 2
    assert res.stderr.strip() == "raftcheck: error: --rules seed: etcd implements etcd-3.4 only"


@pytest.mark.parametrize("exhaustive", [False, True])
def test_conform_etcd_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, exhaustive: bool
) -> None:
    """Without the harness: one line telling the user to build it, exit 2 (no Go needed)."""
    monkeypatch.setenv("RAFTCHECK_ETCD_HARNESS", str(tmp_path / "missing"))
    args = ["--impl", "etcd"] + (["--exhaustive"] if exhaustive else ["--examples", "2"])
    res = CliRunner().invoke(conform, args)
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "bash etcdharness/build.sh" in lines[0], lines
    assert "Traceback" not in res.output
