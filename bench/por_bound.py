"""How much could a partial-order reduction save here? An upper bound, measured.

specs/SEMANTICS.md ("Why no partial-order reduction") argues that an ample set smaller than all
enabled actions almost never exists in this model. This script measures it instead of arguing:
it explores the full state graph (reference model, no symmetry), then runs a second, reduced
breadth-first search that uses an *oracle* no real implementation has, the set of messages that
can still be sent on some path from each state, and checks the reduced run's verdicts against
the full run's.

At a state, the reduced search expands only the enabled actions of one node `i` (its ticks,
timeouts, leader actions, restarts, and the deliveries, drops and duplicates of messages to `i`)
when all of these hold; otherwise every enabled action:
- another node has an enabled action too (else nothing is pruned);
- (C1, deliveries) no other node can send `i` a message on any path from the state (oracle):
  such a delivery would change `i`'s state and not commute with `i`'s actions;
- (C1, capacity) if an action of `i` sends, no other node can send anything from the state
  (oracle): their sends and `i`'s compete for the `max_msgs` places;
- (C1, budgets) no action of `i` spends a fault or operator budget;
- (C2, visibility) no action of `i` changes the history variables the invariants read;
- (C3, cycle proviso for breadth-first search) every successor through `i`'s actions is new.
These are necessary conditions for a per-node ample set, weakened by the oracle (a static
analysis sees fewer states where no node can send again), so the reduction factor printed is an
upper bound on what a sound rule-blind reduction of this kind could reach.

    .venv/bin/python bench/por_bound.py                 # the 3- and 4-voter quick configurations
    .venv/bin/python bench/por_bound.py --voters 3      # 3 voters only
"""

from __future__ import annotations

import argparse
import sys
import time
from array import array
from collections import Counter, deque
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model.cluster import ClusterModel  # noqa: E402
from model.config import ClusterConfig  # noqa: E402
from model.rules import RuleSet  # noqa: E402
from model.variants import VARIANTS_BY_NAME  # noqa: E402
from raftcheck.defaults import quick_config  # noqa: E402

NODE_KINDS = {"tick", "timeout", "heartbeat", "transfer", "append", "restart", "apply",
              "propose-conf"}
BUDGET_KINDS = {"duplicate", "restart", "transfer", "append", "propose-conf"}


def owner(action: tuple[Any, ...]) -> int:
    """The node whose state an action changes (a message's receiver), or 0 (the network)."""
    kind = action[0]
    if kind in NODE_KINDS:
        return int(action[1])
    if kind in ("deliver", "drop", "duplicate"):
        return int(action[1][2])   # Message(type, from, to, ...)
    return 0


def sent_pairs(model: ClusterModel, src: tuple[int, ...], dst: tuple[int, ...]) -> int:
    """Bits (from-1)*n + (to-1) of the messages in `dst` and not in `src` (as multisets)."""
    hp, n = model.hist_pos, model.n
    extra = Counter(dst[hp + 1:])
    extra.subtract(Counter(src[hp + 1:]))
    bits = 0
    for mid, k in extra.items():
        if k > 0:
            m = model.msg_tab[mid]
            bits |= 1 << ((m[1] - 1) * n + (m[2] - 1))
    return bits


class Graph:
    """The full state graph with, per edge, the acting node, its sends, and whether it is
    visible (moves the history) or spends a budget."""

    def __init__(self, model: ClusterModel) -> None:
        self.model = model
        self.index: dict[tuple[int, ...], int] = {}
        self.states: list[tuple[int, ...]] = []
        self.edges: list[list[tuple[int, int, int, bool, bool]]] = []

    def build(self) -> None:
        model, hp = self.model, self.model.hist_pos
        for s in model.init_states():
            self._add(s)
        head = 0
        while head < len(self.states):
            st = self.states[head]
            out = []
            for action, nxt in model.successors(st):
                j = self._add(nxt)
                out.append((j, owner(action), sent_pairs(model, st, nxt),
                            nxt[hp] != st[hp], action[0] in BUDGET_KINDS))
            self.edges.append(out)
            head += 1

    def _add(self, st: tuple[int, ...]) -> int:
        j = self.index.get(st)
        if j is None:
            j = self.index[st] = len(self.states)
            self.states.append(st)
        return j

    def future_sends(self) -> array:
        """Per state, the (from, to) pairs sent on some path from it (a backward fixpoint)."""
        n = len(self.states)
        fut = array("Q", [0]) * n
        preds: list[list[int]] = [[] for _ in range(n)]
        for s, out in enumerate(self.edges):
            bits = 0
            for j, _, sent, _, _ in out:
                bits |= sent
                preds[j].append(s)
            fut[s] = bits
        work = deque(range(n))
        queued = bytearray([1]) * n
        while work:
            t = work.popleft()
            queued[t] = 0
            ft = fut[t]
            for s in preds[t]:
                if ft & ~fut[s]:
                    fut[s] |= ft
                    if not queued[s]:
                        queued[s] = 1
                        work.append(s)
        return fut


def reduced_search(g: Graph, fut: array) -> tuple[int, int, set[str]]:
    """The reduced breadth-first search: (states, transitions, violated invariants)."""
    n = g.model.n
    full_mask = (1 << (n * n)) - 1
    seen = bytearray(len(g.states))
    queue: deque[int] = deque()
    for st in g.model.init_states():
        s = g.index[st]
        if not seen[s]:
            seen[s] = 1
            queue.append(s)
    states, transitions = 0, 0
    violated: set[str] = set()
    while queue:
        s = queue.popleft()
        states += 1
        violated.update(g.model.violations(g.states[s]))
        out = g.edges[s]
        chosen = out
        owners = {e[1] for e in out}
        if len(owners) > 1 and 0 not in owners:
            for i in sorted(owners, key=lambda o: sum(1 for e in out if e[1] == o)):
                mine = [e for e in out if e[1] == i]
                into_i = 0
                for j in range(n):
                    if j != i - 1:
                        into_i |= 1 << (j * n + (i - 1))
                others = full_mask & ~sum(1 << ((i - 1) * n + k) for k in range(n))
                if fut[s] & into_i:
                    continue
                if any(e[2] for e in mine) and fut[s] & others:
                    continue
                if any(e[3] or e[4] for e in mine):
                    continue
                if any(seen[e[0]] for e in mine):
                    continue
                chosen = mine
                break
        transitions += len(chosen)
        for e in chosen:
            if not seen[e[0]]:
                seen[e[0]] = 1
                queue.append(e[0])
    return states, transitions, violated


CONFIGS = [
    # name, voters, pre_vote, check_quorum, faults, variant
    ("3 voters", 3, False, False, "drop", None),
    ("3 voters, pre-vote", 3, True, False, "drop", None),
    ("3 voters, check-quorum", 3, False, True, "drop", None),
    ("3 voters, both", 3, True, True, "drop", None),
    ("3 voters, no faults", 3, False, False, "none", None),
    ("3 voters, both, no faults", 3, True, True, "none", None),
    ("3 voters, reset-clears-vote, max msgs 3", 3, False, False, "drop", "reset-clears-vote"),
    ("4 voters", 4, False, False, "drop", None),
    ("4 voters, pre-vote", 4, True, False, "drop", None),
    ("4 voters, no faults", 4, False, False, "none", None),
]


def measure(cfg: ClusterConfig, rules: RuleSet | None = None) -> dict[str, Any]:
    """The full and the reduced run of one configuration, side by side."""
    g = Graph(ClusterModel(cfg, rules))
    g.build()
    full_violated: set[str] = set()
    for st in g.states:
        full_violated.update(g.model.violations(st))
    r_states, r_trans, r_violated = reduced_search(g, g.future_sends())
    return {"states": len(g.states), "transitions": sum(len(o) for o in g.edges),
            "reduced_states": r_states, "reduced_transitions": r_trans,
            "violated": full_violated, "reduced_violated": r_violated}


def run(name: str, voters: int, pv: bool, cq: bool, faults: str, var: str | None) -> bool:
    t0 = time.perf_counter()
    cfg = replace(quick_config(voters), pre_vote=pv, check_quorum=cq, drop=faults == "drop")
    if var:   # the bug needs two campaigns in flight together (README, "Why the bounds matter")
        cfg = replace(cfg, max_msgs=3)
    m = measure(cfg, VARIANTS_BY_NAME[var].rules if var else None)
    same = m["reduced_violated"] == m["violated"]
    print(f"| {name} | {m['states']:,} | {m['transitions']:,} | {m['reduced_states']:,} "
          f"| {m['reduced_transitions']:,} | {m['states'] / m['reduced_states']:.3f}× "
          f"| {', '.join(sorted(m['violated'])) or 'none'} "
          f"| {'same' if same else 'DIFFERENT: ' + ', '.join(sorted(m['reduced_violated']))} "
          f"| {time.perf_counter() - t0:.0f} |", flush=True)
    return same


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voters", type=int, choices=(3, 4), default=None)
    ap.add_argument("--only", default=None, help="run the configurations whose name has this")
    args = ap.parse_args()
    print("| configuration (quick bounds) | states | transitions | reduced states "
          "| reduced transitions | factor (upper bound) | violated (full) | reduced verdicts | s |")
    print("|---|---:|---:|---:|---:|---:|---|---|---:|")
    ok = True
    for c in CONFIGS:
        if (args.voters is None or c[1] == args.voters) and (args.only or "") in c[0]:
            ok = run(*c) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
