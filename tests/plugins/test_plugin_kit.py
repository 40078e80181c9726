"""The conformance kit (`conform --impl cmd:... --kit`) names the requests a harness answers
wrongly, and only those."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import CliRunner

from conformance.kit import CASES
from raftcheck.cli import main


def kit(impl: str) -> tuple[int, dict]:
    res = CliRunner().invoke(main, ["conform", "--impl", impl, "--kit", "--json"])
    return res.exit_code, json.loads(res.stdout) if res.stdout.strip() else {}


def wrong(data: dict) -> set[str]:
    return {r["request"] for r in data["results"] if not r["ok"]}


def test_a_correct_harness_passes_every_case(pyharness: Callable[..., str]) -> None:
    code, data = kit(pyharness())
    assert code == 0
    assert data["failed"] == 0 and data["cases"] > len(CASES)


def test_the_planted_double_vote_is_pinned_to_vote_requests(
    pyharness: Callable[..., str],
) -> None:
    code, data = kit(pyharness("--bug", "double-vote"))
    assert code == 1
    assert wrong(data) == {"step(MsgVote)"}
    bad = [r for r in data["results"] if not r["ok"]]
    assert [r["case"] for r in bad] == ["vote request refused (already voted)"]
    assert any("grant" in p for p in bad[0]["problems"])


def test_wrong_ready_answers_are_found(pyharness: Callable[..., str]) -> None:
    code, data = kit(pyharness("--wrong", "ready"))
    assert code == 1
    found = wrong(data)
    assert "set_randomized_election_timeout+tick+ready" in found
    assert "create+status" not in found and "hello" not in found


def test_wrong_status_fails_from_the_first_state(pyharness: Callable[..., str]) -> None:
    code, data = kit(pyharness("--wrong", "status"))
    assert code == 1
    assert "create+status" in wrong(data)


def test_text_output_lists_the_wrong_requests(pyharness: Callable[..., str]) -> None:
    res = CliRunner().invoke(main, ["conform", "--impl", pyharness("--bug", "double-vote"),
                                    "--kit"])
    assert res.exit_code == 1
    assert "requests answered wrongly: step(MsgVote)" in res.stdout
    assert "FAIL step(MsgVote)" in res.stdout


def test_kit_needs_a_plugin() -> None:
    res = CliRunner().invoke(main, ["conform", "--impl", "python", "--kit"])
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1
