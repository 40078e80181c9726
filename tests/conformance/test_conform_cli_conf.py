"""`raftcheck conform` (random lockstep runs) with membership changes: the flags of
--exhaustive (--conf-changes N, --learners, --spares, --conf-kinds, --conf-change,
--conf-entry) draw clusters in which changes make sense, and the programs propose and apply
them (conformance.lockstep.ConfDraw)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.lockstep import ConfDraw
from impl import bugs
from model.config import ConfigError
from raftcheck.cmd_conform import conform, replay

CONF = ["--conf-changes", "1", "--learners", "1"]


def run_cli(args: list[str], tmp_path: Path) -> tuple[int, dict[str, Any]]:
    res = CliRunner().invoke(conform, [*args, "--json", "--trace-dir", str(tmp_path)])
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(res.stdout)


@pytest.mark.parametrize("rules", ["etcd-3.4", "etcd-3.5"])
def test_conf_lockstep_is_conformant_and_changes_happen(rules: str, tmp_path: Path) -> None:
    code, out = run_cli(["--examples", "60", "--seed", "7", "--rules", rules, *CONF], tmp_path)
    assert code == 0 and out["conformant"], out["divergence"] and out["divergence"]["rendered"]
    assert out["rules"] == rules and out["examples"] >= 60
    steps = out["conf_steps"]
    assert steps["propose-conf"] > 0 and steps["apply"] > 0, steps
    assert out["conf_changes"] == steps["propose-conf"] + steps["apply"] < out["steps"]


def test_conf_lockstep_text_output_and_spec(tmp_path: Path) -> None:
    """An exact change (a learner's promotion); the report counts the conf steps."""
    res = CliRunner().invoke(conform, ["--examples", "40", "--seed", "3", "--nodes", "3",
                                       *CONF, "--conf-change", "promote:4",
                                       "--trace-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("membership changes:"))
    proposed, applied = (int(w) for w in line.split() if w.isdigit())
    assert proposed > 0 and applied > 0, line
    assert "conformant: impl and model agree" in res.stdout


def test_without_conf_flags_no_conf_steps(tmp_path: Path) -> None:
    code, out = run_cli(["--examples", "10", "--seed", "1"], tmp_path)
    assert code == 0 and out["conf_changes"] == 0
    assert out["conf_steps"] == {"propose-conf": 0, "apply": 0}


def test_planted_conf_guard_bug_is_found_and_kept_minimal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """impl campaigns with a committed, unapplied conf entry (etcd-io/raft #456's missing
    guard) where the etcd-3.5 model only resets its timer: the CLI run finds it, the
    minimal run still proposes the change (shrinking cannot drop it), and the trace agrees
    on an impl without the bug."""
    bugs.plant(monkeypatch, "no-unapplied-conf-guard")
    code, out = run_cli(["--examples", "200", "--seed", "1", "--rules", "etcd-3.5",
                         "--conf-changes", "1"], tmp_path)
    assert code == 1 and not out["conformant"]
    div = out["divergence"]
    kinds = Counter(a["kind"] if isinstance(a, dict) else a[0] for a in div["actions"])
    assert kinds["propose-conf"] >= 1, kinds
    assert div["config"]["conf_changes"] == 1
    assert len(div["actions"]) <= 15, div["rendered"]
    assert any("impl sent, model did not: MsgVote" in ln for ln in div["rendered"])
    monkeypatch.undo()
    res = CliRunner().invoke(replay, [out["trace_file"]])
    assert res.exit_code == 0, res.output


def test_static_bug_found_in_a_conf_run_shrinks_without_changes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A bug outside the conf path (a quorum of n // 2): shrinking turns membership changes
    off, since the divergence reproduces without them."""
    bugs.plant(monkeypatch, "quorum-floor")
    code, out = run_cli(["--examples", "50", "--seed", "2", "--conf-changes", "2"], tmp_path)
    assert code == 1
    div = out["divergence"]
    assert div["config"]["conf_changes"] == 0 and div["config"]["spares"] == 0
    assert not any("propose" in str(a) or "apply" in str(a) for a in div["actions"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--conf-changes", "1", "--conf-change", "promote:2"], "cannot promote 2"),
        (["--conf-changes", "1", "--nodes", "3", "--conf-change", "promote:9"],
         "unknown node 9"),
        (["--conf-changes", "0", "--conf-change", "promote:4"],
         "--conf-change needs --conf-changes N with N >= 1"),
        (["--conf-changes", "0", "--spares", "1"], "--spares needs --conf-changes"),
        (["--conf-kinds", "promote"], "--conf-kinds needs --conf-changes"),
        (["--conf-entry", "v2"], "--conf-entry needs --conf-changes"),
        (["--learners", "1"], "--learners needs --conf-changes"),
        (["--conf-changes", "-1"], "--conf-changes must be at least 0"),
        (["--conf-changes", "1", "--conf-kinds", "bogus"], "unknown conf kind 'bogus'"),
        (["--conf-changes", "1", "--conf-entry", "v3"], "unknown conf entry encoding"),
        (["--conf-changes", "1", "--learners", "0", "--conf-kinds", "promote"],
         "no change is possible"),
        (["--conf-changes", "1", "--learners", "3"], "learners must be between 0 and 2"),
        (["--exhaustive", "--conf-kinds", "promote"], "--conf-kinds needs --conf-changes"),
    ],
)
def test_conf_bad_input_is_one_line(args: list[str], message: str) -> None:
    res = CliRunner().invoke(conform, args)
    assert res.exit_code == 2, res.output
    assert message in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert res.stdout == ""  # refused before the seed is printed


def test_conf_shapes_follow_the_specs() -> None:
    """A spec narrows the drawn clusters to those where it makes sense."""
    shapes = ConfDraw(conf_changes=1, conf_specs=("promote:4",)).shapes(None)
    assert shapes and all(v == 3 and lr >= 1 for v, lr, _ in shapes)
    adds = ConfDraw(conf_changes=1, conf_kinds=("add",)).shapes(4)
    assert adds and all(v == 4 and sp >= 1 for v, _, sp in adds)
    with pytest.raises(ConfigError, match="no change is possible"):
        ConfDraw(conf_changes=1, conf_kinds=("add",), spares=0).shapes(None)


def test_stateful_engine_proposes_and_applies_too(tmp_path: Path) -> None:
    code, out = run_cli(["--engine", "stateful", "--examples", "60", "--seed", "3", *CONF],
                        tmp_path)
    assert code == 0 and out["conformant"]
    assert out["conf_steps"]["propose-conf"] > 0 and out["conf_steps"]["apply"] > 0
