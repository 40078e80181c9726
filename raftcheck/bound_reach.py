"""What a set of bounds lets happen: the two behaviours the default bounds are chosen for.

- overlapping campaigns: a state with vote (or pre-vote) requests of two different nodes in
  flight at once, i.e. two campaigns sharing the network;
- a second election: a history holding two (term, leader) pairs, i.e. two leaders elected in
  one run.

Both are searched in the states the compiled core explores (symmetry on, exact set), so this
needs the fast engine; bench/bounds.py and tests/model/test_defaults.py use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.messages import M_FROM, M_TYPE, MSG_PRE_VOTE, MSG_VOTE


@dataclass(frozen=True)
class Reach:
    states: int
    complete: bool
    seconds: float
    overlap: bool
    second_election: bool


def reach(cfg: ClusterConfig, *, max_states: int | None = None,
          time_limit: float | None = None) -> Reach:
    """Explore `cfg` (symmetry on) and say which of the two behaviours some state shows."""
    from explorer.fast import _fastcore

    if _fastcore is None:
        raise RuntimeError("the compiled core is not built")
    model = ClusterModel(cfg)
    names = [inv.name for inv in model.invariants()]
    tables = model.core_tables(names)
    n, nb, max_msgs, drop = tables.layout
    core = _fastcore.Core(tables, n, nb, max_msgs, drop, len(names), False, True)
    inits: list[object] = []
    for s in model.init_states():
        c = model.canonical(s)
        if c not in inits:
            inits.append(c)
    raw = core.run(inits, -1 if max_states is None else max_states, -1,
                   -1.0 if time_limit is None else time_limit, True, None, 1.0, -1)
    second = any(len(h[0]) >= 2 for h in model.hist_tab)
    requester: dict[int, int] = {}
    overlap = False
    for idx in range(raw["distinct"]):
        who = set()
        for mid in core.state(idx)[model.hist_pos + 1:]:
            r = requester.get(mid)
            if r is None:
                m = model.msg_tab[mid]
                r = requester[mid] = m[M_FROM] if m[M_TYPE] in (MSG_VOTE, MSG_PRE_VOTE) else 0
            if r:
                who.add(r)
        if len(who) >= 2:
            overlap = True
            break
    return Reach(raw["distinct"], raw["stop_reason"] is None, raw["seconds"], overlap, second)
