"""One model transition at a time: `model_step(model, st, action)`.

`ClusterModel.successors(st)` computes every successor of a state; a lockstep run only needs
the one of the action it takes, and computing all of them costs most of a step. This module
computes the successor of a single action with the model's own node-local steps and memo tables,
in the same way as `ClusterModel.successors` (enabledness, bounds, budgets, history). The test
suite cross-checks it against `successors` (tests/conformance/test_modelstep.py), so a change
in model/cluster.py cannot make the two drift apart silently.
"""

from __future__ import annotations

from typing import Any

from model.cluster import _NOOP, BUDGET_DUP, BUDGET_TRANSFER, ClusterModel, State
from model.messages import Message as ModelMessage
from model.node_state import APPLIED, COMMIT, LEADER, ROLE, TERM

Action = tuple[Any, ...]


def _land(
    model: ClusterModel,
    st: State,
    i: int,
    res: Any,
    rest: tuple[int, ...],
    budgets: tuple[int, ...],
) -> State:
    """model.cluster.successors' `land` (with `default=` for a one-node cluster, where the
    model's own `min` over the other nodes is empty and raises)."""
    n = model.n
    hist = st[model.hist_pos]
    node_tab = model.node_tab
    new_ix, outs, events, term_moved = res
    h = model.hist_after_landing(hist, events, st, i, new_ix) if events else hist
    if term_moved and h:
        new_term = node_tab[new_ix][TERM]
        low = min((node_tab[st[j]][TERM] for j in range(n) if j != i), default=new_term)
        h = model._forget(h, min(low, new_term))
    m = tuple(sorted(rest + outs)) if outs else rest
    return st[:i] + (new_ix,) + st[i + 1 : n] + budgets + (h,) + m


def _remove_one(msgs: tuple[int, ...], mid: int) -> tuple[int, ...] | None:
    try:
        k = msgs.index(mid)
    except ValueError:
        return None
    return msgs[:k] + msgs[k + 1 :]


CONF_KINDS = ("propose-conf", "apply")


def _by_successors(model: ClusterModel, st: State, action: Action) -> State | None:
    for a, nxt in model.successors(st):
        if a == action:
            return nxt
    return None


def model_step(model: ClusterModel, st: State, action: Action) -> State | None:
    """The successor of `st` by `action`, or None when `successors(st)` does not list it.

    With membership changes every action goes through `successors` itself (the conf actions,
    budgets and message room have their own rules there; lockstep runs are short)."""
    if getattr(model, "conf_on", False):
        return _by_successors(model, st, action)
    cfg = model.cfg
    logic = model.logic
    n = model.n
    hp = model.hist_pos
    msgs = st[hp + 1 :]
    room = cfg.max_msgs - len(msgs)
    budgets = st[n:hp]
    kind = action[0]
    if kind in ("deliver", "drop", "duplicate"):
        m: ModelMessage = action[1]
        mid = model._msg_ix.get(m)
        if mid is None:
            return None
        rest = _remove_one(msgs, mid)
        if rest is None:
            return None
        if kind == "drop":
            return st[: hp + 1] + rest if cfg.drop else None
        i = m[2] - 1
        nd = model.node_tab[st[i]]
        key = (st[i] << 22) | mid
        cache = model._deliver
        if key in cache:
            res = cache[key]
        else:
            res = cache[key] = model._finish(nd, logic.step(i + 1, nd, m))
        if res is None:
            return None
        if kind == "deliver":
            if res is _NOOP:
                return st[: hp + 1] + rest
            if len(res[1]) > room + 1:
                return None
            return _land(model, st, i, res, rest, budgets)
        # duplicate
        if budgets[BUDGET_DUP] <= 0 or res is _NOOP or len(res[1]) > room:
            return None
        b = (budgets[0] - 1,) + budgets[1:]
        return _land(model, st, i, res, msgs, b)

    nid = action[1]
    if not 1 <= nid <= n:
        return None
    i = nid - 1
    nix = st[i]
    nd = model.node_tab[nix]
    if kind == "tick":
        res = model._finish(nd, logic.tick(nid, nd))
        if res is None or res is _NOOP:
            return None
        return _land(model, st, i, res, msgs, budgets)
    if kind == "timeout":
        if not logic.can_time_out(nid, nd) or model._campaign_beyond_bound(nid, nd):
            return None
        res = model._finish(nd, logic.timeout(nid, nd))
        if res is None or res is _NOOP or len(res[1]) > room:
            return None
        return _land(model, st, i, res, msgs, budgets)
    if kind == "restart":
        if budgets[1] <= 0:
            return None
        res = model._finish(nd, (logic.restart(nd), (), ()))
        if res is None or res is _NOOP:
            return None
        b = budgets[:1] + (budgets[1] - 1,) + budgets[2:]
        return _land(model, st, i, res, msgs, b)
    if nd[ROLE] != LEADER:
        return None
    if kind == "heartbeat":
        if n - 1 > room or n <= 1:
            return None
        hb = tuple(model.msg_id(x) for x in logic.heartbeat(nid, nd))
        return _land(model, st, i, (nix, hb, (), False), msgs, budgets)
    if kind == "transfer":
        to = action[2]
        if budgets[BUDGET_TRANSFER] <= 0 or room < 1:
            return None
        if to == nid or to not in logic.vote_targets or not logic.promotable(to):
            return None
        res = model._finish(nd, logic.transfer(nid, nd, to))
        b = budgets[:2] + (budgets[2] - 1,) + budgets[3:]
        return _land(model, st, i, res, msgs, b)
    if kind == "append":
        if budgets[3] <= 0 or n - 1 > room:
            return None
        res = model._finish(nd, logic.append(nid, nd))
        b = budgets[:3] + (budgets[3] - 1,)
        return _land(model, st, i, res, msgs, b)
    return None


def candidates(model: ClusterModel, st: State, kind: str) -> list[Action]:
    """The actions of `kind` worth trying in `st` (a superset of the enabled ones, in a stable
    order); `model_step` decides which are enabled."""
    n = model.n
    if kind in CONF_KINDS:
        return _conf_candidates(model, st, kind)
    if kind in ("deliver", "drop", "duplicate"):
        hp = model.hist_pos
        seen: list[Action] = []
        prev = -1
        for mid in st[hp + 1 :]:
            if mid != prev:
                seen.append((kind, model.msg_tab[mid]))
                prev = mid
        return seen
    if kind == "tick" or kind == "restart":
        return [(kind, nid) for nid in range(1, n + 1)]
    if kind == "timeout":
        logic = model.logic
        tab = model.node_tab
        return [
            (kind, nid) for nid in range(1, n + 1) if logic.can_time_out(nid, tab[st[nid - 1]])
        ]
    leaders = [nid for nid in range(1, n + 1) if model.node_tab[st[nid - 1]][ROLE] == LEADER]
    if kind == "transfer":
        logic = model.logic
        return [
            (kind, nid, to)
            for nid in leaders
            for to in logic.vote_targets
            if to != nid and logic.promotable(to)
        ]
    return [(kind, nid) for nid in leaders]


def _conf_candidates(model: ClusterModel, st: State, kind: str) -> list[Action]:
    """`apply` on nodes with committed, unapplied entries; `propose-conf` of every change the
    model lets a leader propose (`ClusterModel.conf_steps`)."""
    if not getattr(model, "conf_on", False):
        return []
    tab = model.node_tab
    out: list[Action] = []
    for nid in range(1, model.n + 1):
        nix = st[nid - 1]
        if kind == "apply":
            nd = tab[nix]
            if nd[COMMIT] > nd[APPLIED]:
                out.append(("apply", nid))
        elif tab[nix][ROLE] == LEADER:
            _, proposals = model.conf_steps(nid, nix)
            out.extend(("propose-conf", nid, change) for change, _ in proposals)
    return out


def available_kinds(model: ClusterModel, st: State, kinds: tuple[str, ...]) -> list[str]:
    """The kinds (in `kinds` order) that have at least one candidate worth trying in `st`."""
    n = model.n
    hp = model.hist_pos
    tab = model.node_tab
    budgets = st[n:hp]
    has_msgs = len(st) > hp + 1
    leader = any(tab[st[i]][ROLE] == LEADER for i in range(n))
    logic = model.logic
    out = []
    for kind in kinds:
        if kind == "tick":
            ok = True
        elif kind == "timeout":
            ok = any(logic.can_time_out(i + 1, tab[st[i]]) for i in range(n))
        elif kind == "heartbeat":
            ok = leader
        elif kind in ("deliver", "drop"):
            ok = has_msgs and (kind == "deliver" or model.cfg.drop)
        elif kind == "duplicate":
            ok = has_msgs and budgets[BUDGET_DUP] > 0
        elif kind == "restart":
            ok = budgets[1] > 0
        elif kind == "transfer":
            ok = leader and budgets[BUDGET_TRANSFER] > 0
        elif kind == "append":
            ok = leader and budgets[3] > 0
        elif kind in CONF_KINDS:
            ok = bool(_conf_candidates(model, st, kind))
        else:
            ok = False
        if ok:
            out.append(kind)
    return out
