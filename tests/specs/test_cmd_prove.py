"""`raftcheck prove` through click's CliRunner."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from model.rules import ETCD_34, RULE_SETS
from raftcheck.cmd_prove import prove
from specs.obligations import OBLIGATION_NAMES


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(prove, list(args))


def test_all_proved_text() -> None:
    res = run()
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    for name in OBLIGATION_NAMES:
        assert any(line.startswith("PROVED") and name in line for line in lines)
    assert "FAILED" not in res.stdout
    assert res.stdout.rstrip().endswith("s)")
    assert res.stderr == ""


def test_json_shape() -> None:
    res = run("--json", "--rules", "etcd-3.4")
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert list(data) == ["obligations"]
    assert [o["name"] for o in data["obligations"]] == list(OBLIGATION_NAMES)
    for o in data["obligations"]:
        keys = {"name", "status", "seconds", "counterexample"}
        # conf-change-overlap adds a "witness" (what fails without the property)
        assert keys <= set(o) <= keys | {"witness"}
        assert ("witness" in o) == (o["name"] == "conf-change-overlap")
        assert o["status"] == "proved"
        assert isinstance(o["seconds"], float)
        assert o["counterexample"] is None


def test_selected_names_json() -> None:
    res = run("one-winner-per-term", "quorum-intersection", "--json")
    assert res.exit_code == 0
    names = [o["name"] for o in json.loads(res.stdout)["obligations"]]
    assert names == ["one-winner-per-term", "quorum-intersection"]


def test_seed_joint_failure_exit_1() -> None:
    res = run("--rules", "seed", "joint-quorum", "learner-grants-uncounted")
    assert res.exit_code == 1
    assert "FAILED  joint-quorum" in res.stdout
    assert "PROVED  learner-grants-uncounted" in res.stdout
    assert "incoming:" in res.stdout and "granted:" in res.stdout


def test_failed_json_has_counterexample(monkeypatch: pytest.MonkeyPatch) -> None:
    floor = ETCD_34.with_rules("quorum-floor", quorum=lambda n: n // 2)
    monkeypatch.setitem(RULE_SETS, "etcd-3.4", floor)
    res = run("quorum-intersection", "one-winner-per-term", "tally-exclusive", "--json")
    assert res.exit_code == 1
    obs = {o["name"]: o for o in json.loads(res.stdout)["obligations"]}
    assert obs["quorum-intersection"]["status"] == "failed"
    cex = obs["quorum-intersection"]["counterexample"]
    assert {"voters", "quorum", "quorum_a", "quorum_b"} <= set(cex)
    assert obs["one-winner-per-term"]["status"] == "failed"
    assert obs["tally-exclusive"]["status"] == "proved"
    assert obs["tally-exclusive"]["counterexample"] is None


def test_failed_text_shows_counterexample(monkeypatch: pytest.MonkeyPatch) -> None:
    floor = ETCD_34.with_rules("quorum-floor", quorum=lambda n: n // 2)
    monkeypatch.setitem(RULE_SETS, "etcd-3.4", floor)
    res = run("quorum-intersection")
    assert res.exit_code == 1
    assert "FAILED  quorum-intersection" in res.stdout
    assert "quorum_a:" in res.stdout and "quorum_b:" in res.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-obligation"],
        ["quorum-intersection", "no-such-obligation", "--json"],
        ["--rules", "etcd-9"],
        ["--bogus"],
        ["--rules"],
    ],
)
def test_bad_input_exit_2(args: list[str]) -> None:
    res = run(*args)
    assert res.exit_code == 2
    assert res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 1
    assert res.stderr.startswith("raftcheck: error: ")
    assert "Traceback" not in res.stderr


def test_unknown_obligation_message() -> None:
    res = run("no-such-obligation")
    assert "no-such-obligation" in res.stderr and "quorum-intersection" in res.stderr


def test_registered_in_a_group() -> None:
    @click.group()
    def main() -> None:
        pass

    main.add_command(prove)
    res = CliRunner().invoke(main, ["prove", "nope"])
    assert res.exit_code == 2
    assert len(res.stderr.strip().splitlines()) == 1
    res = CliRunner().invoke(main, ["prove", "pre-vote-no-disruption", "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["obligations"][0]["status"] == "proved"
