"""The replicated log of one node (etcd ``log.go``), kept entirely in memory.

There is no storage/unstable split, no snapshot and no compaction: index ``i``
(``i >= 1``) lives at ``entries[i - 1]`` and index 0 is the implicit empty entry
of term 0 that etcd keeps as the dummy head of ``MemoryStorage``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from impl.raftpb import Entry, EntryType


class LogPanic(RuntimeError):
    """Raised where etcd's raftLog panics."""


def num_of_pending_conf(ents: Iterable[Entry], count_v2: bool = False) -> int:
    """How many of ``ents`` are configuration changes (etcd ``numOfPendingConf``).

    etcd 3.4.23 counts ``EntryConfChange`` (V1) entries only (etcd #12133); etcd 3.5 counts
    ``EntryConfChangeV2`` too (``count_v2``).
    """
    kinds = _CONF_TYPES if count_v2 else (EntryType.EntryConfChange,)
    return sum(1 for e in ents if e.type in kinds)


_CONF_TYPES = (EntryType.EntryConfChange, EntryType.EntryConfChangeV2)


class RaftLog:
    """Entries plus the commit and apply cursors."""

    def __init__(
        self,
        entries: Sequence[Entry] = (),
        pending_conf: bool = False,
        committed: int = 0,
        applied: int = 0,
    ) -> None:
        for i, e in enumerate(entries):
            if e.index != i + 1:
                raise ValueError(f"entry {i} has index {e.index}, want {i + 1}")
        if not 0 <= applied <= committed <= len(entries):
            raise ValueError(f"need 0 <= applied ({applied}) <= committed ({committed}) "
                             f"<= last index ({len(entries)})")
        self.entries: list[Entry] = list(entries)
        # Shared abstraction (SEMANTICS.md, "Not modelled: commit and applied
        # indexes"): without membership changes nothing ever commits, so both cursors
        # stay at 0 unless a test sets them by hand. With membership changes (the
        # raft's ``track_commit``) the leader commits and the application applies.
        self.committed = committed
        self.applied = applied
        # Shared abstraction (SEMANTICS.md, ``pending_conf``): the committed but
        # unapplied configuration change is a fixed property of the node for the
        # whole run. It cannot be an entry below ``committed`` here, because then
        # handleAppendEntries' "m.Index < committed" shortcut would refuse every
        # whole-log MsgApp (index 0), which the model does not do.
        self.pending_conf = pending_conf

    @classmethod
    def from_terms(cls, terms: Iterable[int], pending_conf: bool = False) -> RaftLog:
        """A log whose entry ``i + 1`` has term ``terms[i]``."""
        return cls([Entry(term=t, index=i + 1) for i, t in enumerate(terms)], pending_conf)

    def __repr__(self) -> str:
        return (
            f"RaftLog(terms={self.terms()}, committed={self.committed}, "
            f"applied={self.applied}, pending_conf={self.pending_conf})"
        )

    def first_index(self) -> int:
        return 1

    def last_index(self) -> int:
        return len(self.entries)

    def term(self, i: int) -> int:
        """Term of entry ``i``; 0 for index 0 and for indexes past the end."""
        if i <= 0 or i > self.last_index():
            return 0
        return self.entries[i - 1].term

    def last_term(self) -> int:
        return self.term(self.last_index())

    def terms(self) -> list[int]:
        return [e.term for e in self.entries]

    def match_term(self, i: int, term: int) -> bool:
        if i > self.last_index():
            return False
        return self.term(i) == term

    def is_up_to_date(self, lasti: int, term: int) -> bool:
        """Is a log ending at ``(term, lasti)`` at least as up-to-date as this one?"""
        return term > self.last_term() or (term == self.last_term() and lasti >= self.last_index())

    def find_conflict(self, ents: Sequence[Entry]) -> int:
        """Index of the first entry of ``ents`` whose term differs from ours.

        An entry past our end counts as a difference; 0 means every entry of
        ``ents`` is already in the log.
        """
        for e in ents:
            if not self.match_term(e.index, e.term):
                return e.index
        return 0

    def maybe_append(
        self, index: int, log_term: int, committed: int, ents: Sequence[Entry]
    ) -> tuple[int, bool]:
        """Append ``ents`` after ``(log_term, index)`` if that entry is ours.

        Returns ``(last index of the new entries, True)`` on success and
        ``(0, False)`` when the previous entry does not match.
        """
        if not self.match_term(index, log_term):
            return 0, False
        lastnewi = index + len(ents)
        ci = self.find_conflict(ents)
        if ci == 0:
            pass
        elif ci <= self.committed:
            raise LogPanic(
                f"entry {ci} conflicts with committed entry [committed({self.committed})]"
            )
        else:
            offset = index + 1
            self.append(ents[ci - offset :])
        self.commit_to(min(committed, lastnewi))
        return lastnewi, True

    def append(self, ents: Sequence[Entry]) -> int:
        """Truncate the log before ``ents[0].index`` and append ``ents``."""
        if not ents:
            return self.last_index()
        after = ents[0].index - 1
        if after < self.committed:
            raise LogPanic(f"after({after}) is out of range [committed({self.committed})]")
        if after > self.last_index():
            raise LogPanic(f"gap: appending at {after + 1} after last index {self.last_index()}")
        del self.entries[after:]
        self.entries.extend(ents)
        return self.last_index()

    def maybe_commit(self, max_index: int, term: int) -> bool:
        """Commit up to ``max_index`` if that entry is of ``term`` (a leader commits
        entries of earlier terms only through one of its own term)."""
        if max_index > self.committed and self.term(max_index) == term:
            self.commit_to(max_index)
            return True
        return False

    def next_ents(self) -> list[Entry]:
        """The committed entries not yet applied, in order."""
        if self.committed <= self.applied:
            return []
        return self.slice(self.applied + 1, self.committed + 1)

    def commit_to(self, tocommit: int) -> None:
        """Raise the commit cursor (it never goes down)."""
        if self.committed < tocommit:
            if self.last_index() < tocommit:
                raise LogPanic(
                    f"tocommit({tocommit}) is out of range [lastIndex({self.last_index()})]"
                )
            self.committed = tocommit

    def applied_to(self, i: int) -> None:
        if i == 0:
            return
        if self.committed < i or i < self.applied:
            raise LogPanic(f"applied({i}) is out of range [prevApplied({self.applied}), "
                           f"committed({self.committed})]")
        self.applied = i

    def slice(self, lo: int, hi: int) -> list[Entry]:
        """Entries with index in ``[lo, hi)``."""
        if lo > hi:
            raise LogPanic(f"invalid slice {lo} > {hi}")
        if lo < 1 or hi > self.last_index() + 1:
            raise LogPanic(f"slice[{lo},{hi}) out of bound [1,{self.last_index()}]")
        return self.entries[lo - 1 : hi - 1]

    def entries_from(self, i: int) -> list[Entry]:
        """Entries from index ``i`` to the end."""
        if i > self.last_index():
            return []
        return self.slice(i, self.last_index() + 1)

    def all_entries(self) -> list[Entry]:
        return list(self.entries)

    def has_pending_conf(self, count_v2: bool = False) -> bool:
        """Is there a committed configuration change that is not applied yet?

        etcd's check (``Step``, case ``MsgHup``) is
        ``numOfPendingConf(slice(applied+1, committed+1)) != 0 && committed > applied``;
        the static ``pending_conf`` flag of the shared abstraction stands for one such
        (V1) entry. ``count_v2``: count ConfChangeV2 entries too (etcd 3.5).
        """
        if self.pending_conf:
            return True
        ents = self.slice(self.applied + 1, self.committed + 1)
        return num_of_pending_conf(ents, count_v2) != 0 and self.committed > self.applied
