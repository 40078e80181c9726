"""etcd's harness through `--impl cmd:` (specs/HARNESS.md): it agrees with the model as the
built-in `--impl etcd` does, passes the conformance kit, and answers the handshake."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from etcdharness.client import PROTOCOL_VERSION, Harness
from raftcheck.cli import main


def test_handshake(harness_binary: Path) -> None:
    with Harness(harness_binary, protocol=PROTOCOL_VERSION) as h:
        assert h.info["protocol"] == 1
        assert h.info["rules"] == ["etcd-3.4"] and "run" in h.info["features"]


def test_lockstep_agrees_through_cmd(harness_binary: Path, tmp_path: Path) -> None:
    impl = f"cmd:{harness_binary}"
    res = CliRunner().invoke(main, ["conform", "--impl", impl, "--examples", "40", "--seed", "2",
                                    "--json", "--trace-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout[res.stdout.index("{"):])
    assert data["conformant"] and data["steps"] > 100


def test_exhaustive_agrees_through_cmd(harness_binary: Path) -> None:
    res = CliRunner().invoke(main, ["conform", "--impl", f"cmd:{harness_binary}", "--exhaustive",
                                    "--max-term", "1", "--pre-vote", "--check-quorum", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["complete"]


def test_kit_passes(harness_binary: Path) -> None:
    res = CliRunner().invoke(main, ["conform", "--impl", f"cmd:{harness_binary}", "--kit",
                                    "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["failed"] == 0


def test_traces_of_etcd_are_valid(harness_binary: Path, tmp_path: Path) -> None:
    for impl in ("etcd", f"cmd:{harness_binary}"):
        out = tmp_path / impl.replace("/", "_")
        res = CliRunner().invoke(main, ["traces", "--impl", impl, "--runs", "10", "--steps",
                                        "100", "--out", str(out), "--seed", "3",
                                        "--check-quorum"])
        assert res.exit_code == 0, res.output
        res = CliRunner().invoke(main, ["validate", str(out), "--json"])
        assert res.exit_code == 0, res.output
        data = json.loads(res.stdout)
        assert data["valid"] == 10 and data["events"] == 1000
