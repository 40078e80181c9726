"""Exhaustive differential mode on small bounds (the default bounds run in the benchmark)."""

from __future__ import annotations

import pytest

from conformance.differential import run_differential
from conformance.run import replay_actions
from impl import bugs
from model.config import ClusterConfig

SMALL = ClusterConfig(max_term=1, max_msgs=2)


@pytest.mark.parametrize(
    "cfg",
    [
        SMALL,
        ClusterConfig(max_term=1, max_msgs=2, pre_vote=True, check_quorum=True, rules="seed"),
        ClusterConfig(max_term=1, max_msgs=2, election_timeout=1, appends=1, transfers=1,
                      restarts=1),
        ClusterConfig(voters=2, learners=1, promoted_learners=True, max_term=1, max_msgs=2),
    ],
)
def test_small_spaces_conform(cfg: ClusterConfig) -> None:
    rep = run_differential(cfg, time_limit=120)
    assert rep.complete and rep.conformant, rep.divergences[:1]
    assert rep.states > 10 and rep.local_steps > 10


def test_symmetry_mode_conforms() -> None:
    rep = run_differential(ClusterConfig(max_term=2, max_msgs=2), symmetry=True)
    assert rep.complete and rep.conformant


@pytest.mark.parametrize("bug", sorted(bugs.PLANTED))
def test_planted_bug_found_exhaustively(monkeypatch: pytest.MonkeyPatch, bug: str) -> None:
    bugs.plant(monkeypatch, bug)
    # canVote's lead condition needs a node that learns a term from a leader without voting in
    # it while another candidate of that term still asks it: 4 voters and pre-vote.
    cfg = (
        ClusterConfig(voters=4, max_term=1, max_msgs=4)
        if bug == "canvote-ignores-lead"
        else ClusterConfig(max_term=1, max_msgs=2, pre_vote=True)
    )
    rep = run_differential(cfg, time_limit=120)
    assert not rep.conformant, f"{bug}: {rep.states} states, {rep.stop_reason}"
    d = rep.divergences[0]
    assert d.problems
    # The BFS path is a shortest one; the lockstep replay of it diverges at its last step.
    run = replay_actions(cfg, d.actions)
    assert run.steps and run.steps[-1].problems
    assert len(run.steps) == len(d.actions)
