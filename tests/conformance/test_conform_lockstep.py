"""Lockstep runs: a correct impl conforms; each planted bug is found and shrunk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.run import run_lockstep, short_pass
from conformance.trace import load_trace, replay
from impl import bugs

EXAMPLES = 30


@pytest.mark.parametrize("rules", ["seed", "etcd-3.4"])
@pytest.mark.parametrize("voters", [3, 5])
def test_correct_impl_conforms(voters: int, rules: str) -> None:
    rep = run_lockstep(voters, EXAMPLES, seed=11, rules=rules)
    assert rep.error is None
    assert rep.conformant, "\n".join(rep.divergence["rendered"] if rep.divergence else [])
    assert rep.examples >= EXAMPLES
    assert rep.steps > EXAMPLES


def test_stateful_engine_conforms() -> None:
    rep = run_lockstep(3, 15, seed=2, rules=None, engine="stateful")
    assert rep.error is None
    assert rep.conformant
    assert rep.steps > 0


def test_short_pass() -> None:
    assert short_pass(5, examples=10)


# (bug, voters, examples, seed, bound on the minimal trace's length)
PLANTED = [
    ("grant-local-term", None, 300, 1, 6),
    ("reset-clears-vote", 3, 300, 1, 8),
    ("quorum-floor", 3, 300, 1, 6),
    ("canvote-ignores-lead", 5, 3000, 1, 16),
]


@pytest.mark.parametrize("bug,voters,examples,seed,bound", PLANTED, ids=[p[0] for p in PLANTED])
def test_planted_bug_is_found_and_shrunk(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    bug: str,
    voters: int | None,
    examples: int,
    seed: int,
    bound: int,
) -> None:
    bugs.plant(monkeypatch, bug)
    rep = run_lockstep(voters, examples, seed=seed, rules=None, trace_dir=tmp_path)
    assert rep.error is None
    assert not rep.conformant, f"{bug} not found in {rep.examples} examples"
    assert rep.divergence is not None
    n = rep.minimal_steps()
    assert n is not None and 1 <= n <= bound, "\n".join(rep.divergence["rendered"])
    assert any("DIVERGENCE" in line for line in rep.divergence["rendered"])
    # The trace file replays to the same divergence (the bug is still planted) ...
    assert rep.trace_file is not None
    trace = load_trace(Path(rep.trace_file))
    res = replay(trace)
    assert not res.conformant and res.first_divergence == n
    assert json.loads(Path(rep.trace_file).read_text())["divergence"]["step"] == n
    # ... and conforms once it is removed.
    monkeypatch.undo()
    assert replay(trace).conformant


def test_stateful_engine_finds_planted_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    bugs.plant(monkeypatch, "quorum-floor")
    rep = run_lockstep(3, 100, seed=1, rules=None, engine="stateful")
    assert not rep.conformant
    n = rep.minimal_steps()
    assert n is not None and n <= 6
