"""The abstraction of membership-change state (part of THE abstraction function).

- a change: impl `ConfChange(type, node_id)` (V1) <-> model `(False, AUTO, ((type, id),))`;
  impl `ConfChangeV2(transition, changes)` <-> model `(True, transition, ops)` with the ops
  in impl's order (the model keeps them sorted, and so does every change it proposes);
- a log entry: a normal entry -> its term; a conf entry -> `conf_entry(term, change)`;
- a configuration (impl's tracker config, or a status' ConfigStatus) -> the model's `Conf`
  masks `(voters_in, voters_out, learners, learners_next, auto_leave)`;
- the node fields `commit, applied, conf, pending_conf_index, match`: with commit tracking off
  (no membership changes) commit, applied and pendingConfIndex are 0 and match `()`, as in
  the model; `match` is the leader's Match per node id 1..n (0 outside its configuration).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from impl import Entry, EntryType
from impl.raftpb import (
    ConfChange,
    ConfChangeI,
    ConfChangeSingle,
    ConfChangeTransition,
    ConfChangeType,
    ConfChangeV2,
)
from model import confchange as mcc

ModelChange = tuple[bool, int, tuple[tuple[int, int], ...]]
ModelConf = tuple[int, int, int, int, int]


def impl_change(cc: ModelChange) -> ConfChangeI:
    """model change -> impl change."""
    v2, transition, ops = cc
    if not v2:
        ((op, nid),) = ops
        return ConfChange(ConfChangeType(op), nid)
    return ConfChangeV2(
        ConfChangeTransition(transition),
        tuple(ConfChangeSingle(ConfChangeType(op), nid) for op, nid in ops),
    )


def model_change(cc: ConfChangeI) -> ModelChange:
    """impl change -> model change."""
    if isinstance(cc, ConfChange):
        return (False, mcc.AUTO, ((int(cc.type), cc.node_id),))
    return (True, int(cc.transition), tuple((int(c.type), c.node_id) for c in cc.changes))


def model_entry(e: Entry) -> int:
    """impl log entry -> model entry int."""
    if e.cc is None or e.type == EntryType.EntryNormal:
        return e.term
    return mcc.conf_entry(e.term, model_change(e.cc))


def impl_entry(e: int, index: int) -> Entry:
    """model entry int (at log index `index`) -> an impl entry whose abstraction is `e`."""
    change = mcc.entry_conf(e)
    term = mcc.entry_term(e)
    if change is None:
        return Entry(term=term, index=index)
    kind = EntryType.EntryConfChangeV2 if change[0] else EntryType.EntryConfChange
    return Entry(term=term, index=index, type=kind, cc=impl_change(change))


def mask(ids: Iterable[int]) -> int:
    out = 0
    for i in ids:
        out |= 1 << i
    return out


def conf_of_ids(
    voters_in: Iterable[int], voters_out: Iterable[int], learners: Iterable[int],
    learners_next: Iterable[int], auto_leave: bool,
) -> ModelConf:
    return (mask(voters_in), mask(voters_out), mask(learners), mask(learners_next),
            int(auto_leave))


def conf_of_raft(r: Any) -> ModelConf:
    """impl Raft -> its applied configuration as model masks."""
    c = r.prs.config
    return conf_of_ids(c.voters.incoming.ids(), c.voters.outgoing.ids(), c.learners,
                       c.learners_next, c.auto_leave)


def match_of(progress_match: dict[int, int], n: int) -> tuple[int, ...]:
    """A leader's match per node id 1..n (0 for ids it does not track)."""
    return tuple(progress_match.get(i, 0) for i in range(1, n + 1))
