"""Successors over a network of links: cut links lose messages, lossy links may drop them.

`ClusterModel.successors` is the fast path for a fully connected network. This module computes
the same actions when links matter (specs/SEMANTICS.md, "Partitions") and, in liveness mode,
labels every transition for the liveness checks (specs/SEMANTICS.md, "Liveness"):

- FAULT: a fault or an operator action (drop on a healthy link, duplicate, restart, heal or
  split of the partition, transfer): a fault-free continuation never takes it;
- UNTIMELY: excluded by a timing assumption (model/liveness.py);
- CHANGE: the highest-term leader steps down, or a leader of a higher term is elected;
- SHIFT: normalising the successor shifted its terms or log indexes.

and gives each transition its fairness key (tick/timeout/heartbeat of a node, delivery of one
message on a healthy link; -1 for actions no fairness assumption covers). An action that a bound
disables (max_msgs, or the term spread in liveness mode) is reported by its key instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from explorer.liveness import CHANGE, FAULT, RACING, SHIFT, UNTIMELY
from model.node_state import LEADER, ROLE, TERM

if TYPE_CHECKING:
    from model.cluster import Action, ClusterModel, State

__all__ = ["CHANGE", "FAULT", "SHIFT", "UNTIMELY", "net_successors"]
KEY_TICK, KEY_TIMEOUT, KEY_HEARTBEAT, KEY_DELIVER = 0, 8, 16, 32
NO_KEY = -1

Edge = tuple[Any, Any, int, int]  # (action, next state, label bits, fairness key)
_C: list[Any] = []  # model.cluster's constants, read once (model.cluster imports this module)


def _load_constants() -> None:
    from model.cluster import (
        _MSG_SHIFT,
        _NOOP,
        BUDGET_APPEND,
        BUDGET_DUP,
        BUDGET_RESTART,
        BUDGET_TRANSFER,
        NET_BUDGET,
        NET_CUT,
    )

    _C[:] = [_MSG_SHIFT, _NOOP, BUDGET_APPEND, BUDGET_DUP, BUDGET_RESTART, BUDGET_TRANSFER,
             NET_BUDGET, NET_CUT]


def net_successors(
    model: ClusterModel, st: State, raw: bool = False
) -> tuple[list[Edge], list[int]]:
    """Every (action, next state, label, key), and the keys of actions a bound disabled.

    `raw` (liveness mode only): successors as they are, neither normalised nor bounded (term
    spread, messages in flight): real steps of the unbounded system, for replaying a
    counterexample with its real terms and for `Liveness.progress_witness`."""
    if not _C:
        _load_constants()
    _MSG_SHIFT, _NOOP, BUDGET_APPEND, BUDGET_DUP, BUDGET_RESTART, BUDGET_TRANSFER, NET_BUDGET, \
        NET_CUT = _C

    cfg = model.cfg
    logic = model.logic
    n = model.n
    hp = model.hist_pos
    node_tab = model.node_tab
    msg_link = model.msg_link
    live = model.live
    rebase = None if live is None or raw else live.rebase
    known = None if rebase is None else live.known  # type: ignore[union-attr]
    msgs = st[hp + 1 :]
    budgets = st[n:hp]
    net = model.net
    cut = budgets[NET_CUT] if net else 0
    lossy = model.lossy
    room = (1 << 30) if raw else cfg.max_msgs - len(msgs)
    out: list[Edge] = []
    bounded: list[int] = []
    timing = live.timing(st) if live is not None else None
    top = -1
    if live is not None:
        for x in st[:n]:
            nd = node_tab[x]
            if nd[ROLE] == LEADER and nd[TERM] > top:
                top = nd[TERM]

    def alive(outs: tuple[int, ...]) -> tuple[int, ...]:
        if not cut:
            return outs
        return tuple(m for m in outs if not cut & msg_link[m])

    def emit(
        action: Action, i: int, res: Any, outs: tuple[int, ...], rest: tuple[int, ...],
        b: tuple[int, ...], label: int, key: int,
    ) -> None:
        new_ix = res[0]
        nxt = _next_state(model, st, i, res, outs, rest, b)
        if rebase is None:
            out.append((action, nxt, label, key))
            return
        old = node_tab[st[i]]
        new = node_tab[new_ix]
        if old[ROLE] == LEADER and old[TERM] == top and new[ROLE] != LEADER:
            label |= CHANGE
        elif new[ROLE] == LEADER and old[ROLE] != LEADER and new[TERM] > top:
            label |= CHANGE
        if known is not None and nxt in known:
            out.append((action, nxt, label, key))  # already an explored normal form
            return
        norm, high, shifted = rebase(nxt)
        if high > cfg.max_term:
            over_room(key, label)
            return
        out.append((action, norm, label | (SHIFT if shifted else 0), key))

    def over_room(key: int, label: int) -> None:
        if rebase is None or label & FAULT:
            return
        if not label & UNTIMELY:
            bounded.append(key)
        elif label & RACING:
            # Never taken while it races (it is untimely), so a bound changes nothing about
            # it: reported as enabled, encoded below -1.
            bounded.append(-2 - key)

    local = model._local
    tick_actions = model._tick_actions
    timeout_actions = model._timeout_actions
    for i in range(n):
        nid = i + 1
        k = st[i] * 16 + nid
        loc = local.get(k)
        if loc is None:
            loc = local[k] = model._local_steps(nid, st[i])
        tick, timeout, leader, restart = loc
        if tick is not None:
            label = timing.tick(i, tick) if timing is not None else 0
            emit(tick_actions[i], i, tick, (), msgs, budgets, label, KEY_TICK + nid)
        if timeout is not None:
            outs = alive(timeout[1])
            label = timing.timeout(i) if timing is not None else 0
            if len(outs) <= room:
                emit(timeout_actions[i], i, timeout, outs, msgs, budgets, label, KEY_TIMEOUT + nid)
            else:
                over_room(KEY_TIMEOUT + nid, label)
        if leader is not None:
            beat, transfers, client_append = leader
            if n > 1:
                outs = alive(beat[1])
                if len(outs) <= room:
                    emit(("heartbeat", nid), i, beat, outs, msgs, budgets, 0,
                         KEY_HEARTBEAT + nid)
                else:
                    over_room(KEY_HEARTBEAT + nid, 0)
            if budgets[BUDGET_TRANSFER] > 0 and room >= 1:
                b = budgets[:2] + (budgets[2] - 1,) + budgets[3:]
                for to, res in transfers:
                    if res is not None:
                        emit(("transfer", nid, to), i, res, alive(res[1]), msgs, b, FAULT, NO_KEY)
            if budgets[BUDGET_APPEND] > 0 and client_append is not None:
                outs = alive(client_append[1])
                if len(outs) <= room:
                    b = budgets[:3] + (budgets[3] - 1,) + budgets[4:]
                    emit(("append", nid), i, client_append, outs, msgs, b, 0, NO_KEY)
                else:
                    over_room(NO_KEY, 0)
        if restart is not None and budgets[BUDGET_RESTART] > 0:
            b = budgets[:1] + (budgets[1] - 1,) + budgets[2:]
            emit(("restart", nid), i, restart, (), msgs, b, FAULT, NO_KEY)
        if model.conf_on:  # membership changes (no liveness with them: no labels needed)
            for action, res, b in model._conf_moves(nid, st[i], budgets):
                outs = alive(res[1])
                if len(outs) <= room:
                    emit(action, i, res, outs, msgs, b, 0, NO_KEY)

    drop_on = cfg.drop
    dup = budgets[BUDGET_DUP] > 0
    deliver_cache = model._deliver
    msg_to = model.msg_to
    msg_tab = model.msg_tab
    msg_actions = model.msg_actions
    prev = -1
    for k in range(len(msgs)):
        mid = msgs[k]
        if mid == prev:
            continue
        prev = mid
        rest = msgs[:k] + msgs[k + 1 :]
        acts = msg_actions[mid]
        is_lossy = bool(lossy & msg_link[mid])
        if is_lossy or drop_on:
            _land_plain(model, out, acts[1], st, rest, budgets, rebase,
                        0 if is_lossy else FAULT, NO_KEY, known)
        i = msg_to[mid] - 1
        key = (st[i] << _MSG_SHIFT) | mid
        res = deliver_cache.get(key, _NOOP)
        if res is _NOOP and key not in deliver_cache:
            nd = node_tab[st[i]]
            res = deliver_cache[key] = model._finish(nd, logic.step(i + 1, nd, msg_tab[mid]))
        fkey = NO_KEY if is_lossy else KEY_DELIVER + mid
        if res is None:
            continue
        if res is _NOOP:
            _land_plain(model, out, acts[0], st, rest, budgets, rebase, 0, fkey, known)
            continue
        outs = alive(res[1])
        if len(outs) <= room + 1:
            emit(acts[0], i, res, outs, rest, budgets, 0, fkey)
        else:
            over_room(fkey, 0)
        if dup and len(outs) <= room:
            b = (budgets[0] - 1,) + budgets[1:]
            emit(acts[2], i, res, outs, msgs, b, FAULT, NO_KEY)

    if net and budgets[NET_BUDGET] > 0:
        # The partition comes and goes as a whole: heal every cut link, or cut them again.
        b0 = budgets[:NET_BUDGET] + (budgets[NET_BUDGET] - 1,)
        tail = budgets[NET_CUT + 1:]  # the conf-change budget word, if any
        if cut:
            _land_plain(model, out, ("heal",), st, msgs, b0 + (0,) + tail, rebase, FAULT, NO_KEY,
                        known)
        elif model.partition:
            part = model.partition
            kept = tuple(m for m in msgs if not msg_link[m] & part)
            _land_plain(model, out, ("split",), st, kept, b0 + (part,) + tail, rebase, FAULT,
                        NO_KEY,
                        known)
    return out, bounded


def _next_state(
    model: ClusterModel, st: State, i: int, res: Any, outs: tuple[int, ...],
    rest: tuple[int, ...], b: tuple[int, ...],
) -> State:
    """The state after node i's step `res` (new node id, sent, events, whether its term moved),
    with `outs` (alive) sent, `rest` left in flight and budgets `b`."""
    n = model.n
    hist = st[model.hist_pos]
    new_ix, _outs, events, term_moved = res
    h = hist
    # Liveness graphs carry no history: the safety invariants are checked by their own run.
    if events and model.live is None:
        h = model.hist_after_landing(hist, events, st, i, new_ix)
    if term_moved and h:
        h = model._forget_after_move(h, st, i, new_ix)
    m = tuple(sorted(rest + outs)) if outs else rest
    return st[:i] + (new_ix,) + st[i + 1 : n] + b + (h,) + m


def raw_step(model: ClusterModel, st: State, kind: str, nid: int = 0) -> State | None:
    """The successor that `net_successors(model, st, raw=True)` lists first among its edges
    whose action is `(kind, nid)` ("tick", "timeout", "heartbeat"), or whose action is a
    delivery (`kind` "deliver"); None if it lists none. One step instead of all of them, for
    `Liveness.progress_witness`; tests/liveness/test_witness_speed.py checks it against
    `net_successors` state by state."""
    n = model.n
    hp = model.hist_pos
    if kind == "deliver":
        if not _C:
            _load_constants()
        msg_shift, noop = _C[0], _C[1]
        deliver_cache = model._deliver
        node_tab = model.node_tab
        msgs = st[hp + 1 :]
        prev = -1
        for k in range(len(msgs)):
            mid = msgs[k]
            if mid == prev:
                continue
            prev = mid
            i = model.msg_to[mid] - 1
            key = (st[i] << msg_shift) | mid
            res = deliver_cache.get(key, noop)
            if res is noop and key not in deliver_cache:
                nd = node_tab[st[i]]
                res = deliver_cache[key] = model._finish(
                    nd, model.logic.step(i + 1, nd, model.msg_tab[mid]))
            if res is None:
                continue
            rest = msgs[:k] + msgs[k + 1 :]
            if res is noop:
                return st[:hp + 1] + rest
            return _next_state(model, st, i, res, _alive(model, st, res[1]), rest, st[n:hp])
        return None
    i = nid - 1
    k = st[i] * 16 + nid
    loc = model._local.get(k)
    if loc is None:
        loc = model._local[k] = model._local_steps(nid, st[i])
    if kind == "tick":
        res = loc[0]
        if res is None:
            return None
        return _next_state(model, st, i, res, (), st[hp + 1 :], st[n:hp])
    if kind == "timeout":
        res = loc[1]
    elif kind == "heartbeat":
        if loc[2] is None or n <= 1:
            return None
        res = loc[2][0]
    else:
        raise ValueError(f"raw_step: unknown kind {kind!r}")
    if res is None:
        return None
    return _next_state(model, st, i, res, _alive(model, st, res[1]), st[hp + 1 :], st[n:hp])


def _alive(model: ClusterModel, st: State, outs: tuple[int, ...]) -> tuple[int, ...]:
    """`outs` without the messages a cut link loses (net_successors' `alive`)."""
    cut = model.cut_mask(st)
    if not cut or not outs:
        return outs
    link = model.msg_link
    return tuple(m for m in outs if not cut & link[m])


def _land_plain(
    model: ClusterModel, out: list[Edge], action: Action, st: State, msgs: tuple[int, ...],
    budgets: tuple[int, ...], rebase: Any, label: int, key: int,
    known: dict[Any, int] | None = None,
) -> None:
    """A transition that changes no node: only the network and the budgets."""
    n = model.n
    nxt = st[:n] + budgets + (st[model.hist_pos],) + msgs
    if known is not None and nxt in known:
        out.append((action, nxt, label, key))
    elif rebase is not None:
        norm, _high, shifted = rebase(nxt)
        out.append((action, norm, label | (SHIFT if shifted else 0), key))
    else:
        out.append((action, nxt, label, key))
