"""`raftcheck traces` and `raftcheck validate`: traces of random runs of correct
implementations are behaviours of the model; a planted double vote makes validation fail at the
event where the second vote is granted; etcd-io/raft's TracingEvent traces are read; malformed
input is one line with file and line number, exit 2."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from etcdharness.pytest_fixtures import harness_binary  # noqa: F401 - the etcd test's fixture
from raftcheck.cli import main

DATA = Path(__file__).resolve().parent / "data"
PYHARNESS = Path(__file__).resolve().parents[1] / "plugins" / "pyharness.py"
REPO = Path(__file__).resolve().parents[2]
FLAGS = [[], ["--pre-vote"], ["--check-quorum"], ["--pre-vote", "--check-quorum"]]


def harness(*args: str) -> str:
    return "cmd:" + shlex.join([sys.executable, str(PYHARNESS), *args])


def make_traces(out: Path, impl: str = "python", runs: int = 20, steps: int = 100,
                *flags: str) -> None:
    res = CliRunner().invoke(main, ["traces", "--impl", impl, "--runs", str(runs), "--steps",
                                    str(steps), "--out", str(out), "--seed", "7", *flags])
    assert res.exit_code == 0, res.output


def validate(*paths: Path | str, extra: tuple[str, ...] = ()) -> tuple[int, dict]:
    res = CliRunner().invoke(main, ["validate", *map(str, paths), "--json", *extra])
    return res.exit_code, json.loads(res.stdout) if res.exit_code != 2 else {"err": res.stderr}


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: "+".join(f) or "plain")
def test_traces_of_impl_are_valid(tmp_path: Path, flags: list[str]) -> None:
    make_traces(tmp_path, "python", 20, 100, *flags)
    code, data = validate(tmp_path)
    assert code == 0
    assert set(data) == {"traces", "events", "valid", "invalid", "seconds",
                         "events_per_second"}
    assert data["traces"] == 20 and data["valid"] == 20 and data["invalid"] == []
    assert data["events"] == 2000
    lines = (tmp_path / "trace-00000.ndjson").read_text().splitlines()
    assert json.loads(lines[0])["format"] == "raftcheck-trace/1" and len(lines) == 101
    kinds = {json.loads(ln)["step"] for ln in lines[1:]}
    assert {"tick", "receive"} <= kinds
    # restarts are the occasional fault (1 %), not the common step; runs elect leaders
    events = [json.loads(ln) for f in sorted(tmp_path.iterdir())
              for ln in f.read_text().splitlines()[1:]]
    assert sum(e["step"] == "restart" for e in events) < len(events) // 20
    assert any(e["state"]["role"] == "leader" for e in events)


def _second_vote_event(path: Path, pos: int) -> bool:
    """Line `pos` of `path` is where the planted bug acts: a vote request of the node's own
    term from another candidate than the one it voted for, after which its vote changed
    (granted a second time, or forgotten when the request is refused anyway)."""
    lines = path.read_text().splitlines()
    ev = json.loads(lines[pos - 1])
    assert ev["step"] == "receive" and ev["msg"]["type"] == 5  # MsgVote
    cand, term = ev["msg"]["from"], ev["msg"]["term"]
    before = [json.loads(ln) for ln in lines[1 : pos - 1] if json.loads(ln)["node"] == ev["node"]]
    assert before, "the node had a state before"
    last = before[-1]["state"]
    assert last["term"] == term and last["vote"] not in (0, cand)
    assert ev["state"]["vote"] != last["vote"]
    grants = [m["to"] for m in ev["sent"] if m["type"] == 6 and not m["reject"]]
    assert grants in ([], [cand])
    return grants == [cand]


def _prefix_is_valid(path: Path, pos: int, tmp_path: Path) -> None:
    prefix = tmp_path / "prefix.ndjson"
    prefix.write_text("\n".join(path.read_text().splitlines()[: pos - 1]) + "\n")
    assert validate(prefix)[0] == 0


@pytest.mark.parametrize("impl", ["cmd", "module"])
def test_planted_double_vote_fails_at_the_second_vote(
    tmp_path: Path, impl: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if impl == "cmd":
        spec = harness("--bug", "double-vote")
    else:
        monkeypatch.chdir(REPO)
        spec = "module:tests.plugins.buggy_factory:make_node"
    out = tmp_path / "traces"
    make_traces(out, spec, 30, 100)
    code, data = validate(out)
    assert code == 1 and data["invalid"]
    granted_twice = 0
    for item in data["invalid"]:
        path, pos = Path(item["file"]), item["event"]
        granted_twice += _second_vote_event(path, pos)
        _prefix_is_valid(path, pos, tmp_path)
        assert f"event {pos}" in item["reason"] and "the model allows there" in item["reason"]
    assert granted_twice > 0  # some runs show the vote granted twice


@pytest.mark.etcd
def test_etcd_with_its_planted_double_vote_fails_at_the_second_vote(
    harness_binary: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    """etcd's own harness, with its test-only switch RAFTHARNESS_BUG=double-vote."""
    monkeypatch.setenv("RAFTHARNESS_BUG", "double-vote")
    out = tmp_path / "traces"
    make_traces(out, "etcd", 30, 100)
    code, data = validate(out)
    assert code == 1 and data["invalid"]
    for item in data["invalid"]:
        path, pos = Path(item["file"]), item["event"]
        _second_vote_event(path, pos)
        _prefix_is_valid(path, pos, tmp_path)


def test_the_same_harness_without_the_bug_is_valid(tmp_path: Path) -> None:
    make_traces(tmp_path, harness(), 10, 100)
    assert validate(tmp_path)[0] == 0


def test_an_edited_event_is_reported_with_the_state_before(tmp_path: Path) -> None:
    make_traces(tmp_path, "python", 1, 60)
    path = tmp_path / "trace-00000.ndjson"
    lines = path.read_text().splitlines()
    ev = json.loads(lines[30])
    ev["state"]["term"] += 5
    lines[30] = json.dumps(ev)
    path.write_text("\n".join(lines) + "\n")
    code, data = validate(path)
    assert code == 1
    item = data["invalid"][0]
    assert item["event"] == 31 and item["file"] == str(path)
    assert f"node {ev['node']} before: term=" in item["reason"]


def test_etcd_tracing_events_are_read() -> None:
    code, data = validate(DATA / "etcd_election.ndjson")
    assert code == 0 and data["events"] == 18 and data["valid"] == 1


def test_etcd_tracing_events_double_vote() -> None:
    code, data = validate(DATA / "etcd_double_vote.ndjson")
    assert code == 1
    item = data["invalid"][0]
    assert item["event"] == 13  # the second ReceiveRequestVoteRequest of node 2
    assert "node 2 before: term=2, vote=1" in item["reason"]
    assert "deliver MsgVote 3->2 term=2" in item["reason"] and "reject" in item["reason"]


def test_text_output_and_mixed_directory(tmp_path: Path) -> None:
    make_traces(tmp_path / "a", "python", 2, 30)
    (tmp_path / "a" / "b.jsonl").write_text((DATA / "etcd_double_vote.ndjson").read_text())
    res = CliRunner().invoke(main, ["validate", str(tmp_path / "a")])
    assert res.exit_code == 1
    assert "INVALID" in res.stdout and "3 traces" in res.stdout
    assert "2 valid, 1 invalid" in res.stdout


@pytest.mark.parametrize("content,says", [
    ('{"format": "raftcheck-trace/1", "config": {"voters": 3}}\n{"node": 1, "step": "tick"\n',
     ":2: not a JSON object"),
    ('{"format": "raftcheck-trace/1", "config": {"voters": 3}}\n{"node": 1, "step": "fly"}\n',
     ":2: unknown step"),
    ('{"format": "raftcheck-trace/1", "config": {"voters": 3}}\n\n{"step": "tick"}\n',
     ":3: missing field 'node'"),
    ('{"format": "raftcheck-trace/1", "config": {"voterz": 3}}\n', ":1: unknown config"),
    ('{"hello": 1}\n', ":1: neither"),
    ("", "empty trace"),
    ('{"name": "BecomeCandidate", "nid": "1"}\n', "no InitState"),
])
def test_malformed_traces(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "t.ndjson"
    path.write_text(content)
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and says in lines[0], res.stderr


def test_missing_paths_and_empty_directories(tmp_path: Path) -> None:
    for args in ([str(tmp_path / "nope")], [str(tmp_path)]):
        res = CliRunner().invoke(main, ["validate", *args])
        assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1


def test_traces_bad_input(tmp_path: Path) -> None:
    for args in (["--impl", "java"], ["--runs", "0"], ["--loss", "1"], ["--nodes", "0"],
                 ["--impl", f"cmd:{tmp_path}/none"]):
        res = CliRunner().invoke(main, ["traces", "--out", str(tmp_path / "o"), *args])
        assert res.exit_code == 2, (args, res.output)
        assert len(res.stderr.strip().splitlines()) in (1, 2)  # the seed line may come first
        assert res.stderr.strip().splitlines()[-1].startswith("raftcheck: error:")
