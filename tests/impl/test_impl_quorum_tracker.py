"""quorum.py and tracker.py: majority sizes, VoteResult, tallies under both rule sets."""

from __future__ import annotations

import itertools

import pytest

from impl.quorum import MajorityConfig, VoteResult, quorum
from impl.tracker import ProgressTracker

RULES = ["seed", "etcd-3.4"]
WON, LOST, PENDING = VoteResult.VoteWon, VoteResult.VoteLost, VoteResult.VotePending


@pytest.mark.parametrize(("n", "q"), [(0, 1), (1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (6, 4),
                                      (7, 4)])
def test_quorum(n: int, q: int) -> None:
    assert quorum(n) == q


def oracle(rules: str, n: int, votes: dict[int, bool]) -> VoteResult:
    """SEMANTICS.md's statement of tally_votes, written independently."""
    q = n // 2 + 1
    if rules == "seed":
        granted = sum(votes.values())
        rejected = len(votes) - granted
        if granted >= q:
            return WON
        if rejected >= q:
            return LOST
        return PENDING
    voters = range(1, n + 1)
    granted = sum(1 for v in voters if votes.get(v) is True)
    missing = sum(1 for v in voters if v not in votes)
    if granted >= q:
        return WON
    if granted + missing < q:
        return LOST
    return PENDING


@pytest.mark.parametrize("rules", RULES)
@pytest.mark.parametrize("n", range(1, 8))
def test_tally_all_answer_patterns(rules: str, n: int) -> None:
    """Every grant/reject/missing pattern of 1..7 voters, plus up to two learner answers."""
    learners = [n + 1, n + 2]
    tr = ProgressTracker(range(1, n + 1), learners, rules)
    answers = [True, False, None]
    for pattern in itertools.product(answers, repeat=n + 2):
        tr.reset_votes()
        for id, a in zip(range(1, n + 3), pattern, strict=True):
            if a is not None:
                tr.record_vote(id, a)
        granted, rejected, res = tr.tally_votes()
        # Rule set etcd-3.4 ignores learner answers; seed counts every answer.
        counted = tr.votes if rules == "seed" else {
            k: v for k, v in tr.votes.items() if k <= n
        }
        assert res == oracle(rules, n, counted), (pattern, res)
        assert granted == sum(counted.values())
        assert rejected == len(counted) - granted


def test_seed_and_etcd_differ_on_learner_votes() -> None:
    """A promoted learner's grant wins under seed and not under etcd-3.4 (voters {1,2,3})."""
    for rules, want in [("seed", WON), ("etcd-3.4", PENDING)]:
        tr = ProgressTracker([1, 2, 3], [4], rules)
        tr.record_vote(1, True)
        tr.record_vote(4, True)
        assert tr.tally_votes()[2] == want


def test_etcd_loses_early_seed_does_not() -> None:
    """4 voters, grant + 2 rejects: etcd-3.4 lost (1+1 < 3), seed pending (2 < 3)."""
    for rules, want in [("seed", PENDING), ("etcd-3.4", LOST)]:
        tr = ProgressTracker([1, 2, 3, 4], [], rules)
        tr.record_vote(1, True)
        tr.record_vote(2, False)
        tr.record_vote(3, False)
        assert tr.tally_votes()[2] == want


@pytest.mark.parametrize("rules", RULES)
def test_record_vote_first_answer_counts(rules: str) -> None:
    tr = ProgressTracker([1, 2, 3], [], rules)
    tr.record_vote(2, False)
    tr.record_vote(2, True)
    assert tr.votes == {2: False}
    tr.reset_votes()
    assert tr.votes == {}


def test_empty_majority_config_wins() -> None:
    assert MajorityConfig().vote_result({}) == WON


@pytest.mark.parametrize(
    ("voters", "active", "want"),
    [
        ([1], {1}, True),
        ([1], set(), False),
        ([1, 2, 3], {1}, False),
        ([1, 2, 3], {1, 3}, True),
        ([1, 2, 3, 4], {1, 2}, False),
        ([1, 2, 3, 4], {1, 2, 4}, True),
    ],
)
def test_quorum_active(voters: list[int], active: set[int], want: bool) -> None:
    tr = ProgressTracker(voters, [9], "etcd-3.4")
    for id, pr in tr.progress.items():
        pr.recent_active = id in active or id == 9
    assert tr.quorum_active() is want


def test_quorum_hook_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from impl import bugs

    tr = ProgressTracker([1, 2, 3, 4], [], "etcd-3.4")
    tr.record_vote(1, True)
    tr.record_vote(2, True)
    assert tr.tally_votes()[2] == PENDING
    bugs.plant(monkeypatch, "quorum-floor")
    assert tr.tally_votes()[2] == WON
