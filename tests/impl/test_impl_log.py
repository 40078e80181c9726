"""log.py: the log operations the election path uses (after etcd's log_test.go)."""

from __future__ import annotations

import pytest

from impl.log import LogPanic, RaftLog
from impl.raftpb import Entry, EntryType


def ents(*terms: int, start: int = 1) -> list[Entry]:
    return [Entry(term=t, index=start + i) for i, t in enumerate(terms)]


@pytest.mark.parametrize(
    ("lasti", "term", "want"),
    [
        # log is (1, 2, 3): last index 3, last term 3
        (2, 4, True),
        (3, 4, True),
        (4, 4, True),
        (2, 2, False),
        (3, 2, False),
        (4, 2, False),
        (2, 3, False),
        (3, 3, True),
        (4, 3, True),
    ],
)
def test_is_up_to_date(lasti: int, term: int, want: bool) -> None:
    assert RaftLog.from_terms([1, 2, 3]).is_up_to_date(lasti, term) is want


def test_empty_log() -> None:
    log = RaftLog.from_terms([])
    assert (log.last_index(), log.last_term(), log.term(0)) == (0, 0, 0)
    assert log.is_up_to_date(0, 0)


@pytest.mark.parametrize(
    ("new", "want"),
    [
        ([], 0),
        (ents(1, 2, 3), 0),
        (ents(2, 3, start=2), 0),
        (ents(3, start=3), 0),
        (ents(1, 2, 3, 4, 4), 4),
        (ents(3, 4, 4, start=3), 4),
        (ents(4, 4, start=4), 4),
        (ents(4, 4), 1),
        (ents(1, 4, 4, start=2), 2),
        (ents(1, 1, 4, 4, start=3), 3),
    ],
)
def test_find_conflict(new: list[Entry], want: int) -> None:
    assert RaftLog.from_terms([1, 2, 3]).find_conflict(new) == want


@pytest.mark.parametrize(
    ("incoming", "want_terms", "want_last"),
    [
        ((), [1, 2, 3], 0),  # empty append from index 0: nothing changes
        ((1, 2), [1, 2, 3], 2),  # a prefix: nothing changes
        ((1, 2, 3), [1, 2, 3], 3),
        ((1, 2, 3, 3), [1, 2, 3, 3], 4),  # extends
        ((1, 4), [1, 4], 2),  # conflict at 2: truncate and append
        ((2,), [2], 1),  # conflict at 1: replaced entirely
    ],
)
def test_maybe_append_whole_log(
    incoming: tuple[int, ...], want_terms: list[int], want_last: int
) -> None:
    """The shared abstraction's MsgApp: prev (0, 0) always matches."""
    log = RaftLog.from_terms([1, 2, 3])
    last, ok = log.maybe_append(0, 0, 0, ents(*incoming))
    assert ok
    assert last == want_last
    assert log.terms() == want_terms
    assert log.committed == 0


def test_maybe_append_mismatch_and_committed_conflict() -> None:
    log = RaftLog.from_terms([1, 2, 3])
    assert log.maybe_append(3, 2, 0, ents(3, start=4)) == (0, False)
    assert log.maybe_append(4, 3, 0, ents(3, start=5)) == (0, False)
    log.commit_to(2)
    with pytest.raises(LogPanic):
        log.maybe_append(0, 0, 0, ents(1, 4))


def test_pending_conf() -> None:
    assert RaftLog.from_terms([], pending_conf=True).has_pending_conf()
    assert not RaftLog.from_terms([1, 1]).has_pending_conf()
    # etcd's own check: a committed, unapplied EntryConfChange.
    log = RaftLog([Entry(1, 1), Entry(1, 2, EntryType.EntryConfChange), Entry(1, 3)])
    assert not log.has_pending_conf()  # not committed
    log.commit_to(2)
    assert log.has_pending_conf()
    log.applied_to(2)
    assert not log.has_pending_conf()
