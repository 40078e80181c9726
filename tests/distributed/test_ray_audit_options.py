"""`raftcheck audit --ray` without a cluster: the options that do not apply are bad input (one
line, exit 2), and what the rules record in each Ray worker merges into the driver's copy."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from audit.runner import MAX_INPUTS, Watch
from audit.shared import Recorder
from raftcheck.cmd_audit import audit

PATCHES = Path(__file__).resolve().parents[2] / "audit" / "patches" / "impl"
PATCH = PATCHES / "reset-clears-vote.diff"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["quorum-half", "--ray-workers", "2"], "--ray-workers needs --ray"),
        (["quorum-half", "--ray", " "], "--ray needs auto or the address"),
        (["--impl-patch", str(PATCH), "--ray", "auto"], "--ray does not apply to patch audits"),
        (["--all", "--jobs", "2", "--ray", "auto"], "with --ray the variants go one at a time"),
    ],
)
def test_audit_options_that_do_not_combine_with_ray(args: list[str], says: str) -> None:
    r = CliRunner().invoke(audit, args)
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], r.stderr


def test_watches_merge_counts_inputs_and_keys() -> None:
    mine, theirs = Watch(), Watch()
    mine.record("can_vote", (1, 0), True, False)
    mine.calls, mine.divergent = 10, 1
    theirs.first = "can_vote(2, 0)"
    for i in range(MAX_INPUTS + 5):
        theirs.record("can_vote", (i, 0), True, False)
    theirs.record("reset", (1,), 0, 1)
    theirs.calls, theirs.divergent = 7, MAX_INPUTS + 6
    mine.merge(theirs)
    assert (mine.calls, mine.divergent, mine.first) == (17, MAX_INPUTS + 7, "can_vote(2, 0)")
    assert len(mine.inputs["can_vote"]) == MAX_INPUTS and (1, 0) in mine.inputs["can_vote"]
    assert list(mine.inputs["reset"]) == [(1,)]
    assert set(mine.keys) == {"can_vote", "reset"}


def test_recorders_merge_into_the_sets_the_rules_hold() -> None:
    mine, theirs = Recorder(), Recorder()
    held = mine.inputs.setdefault("can_vote", {(1, 2)})
    theirs.inputs = {"can_vote": {(3, 4)}, "reset": {(5,)}}
    mine.merge(theirs)
    assert held is mine.inputs["can_vote"] and held == {(1, 2), (3, 4)}
    assert mine.inputs["reset"] == {(5,)}
