"""The fast engine against the reference explorer and a plain Python BFS, in the same run.

    python bench/engines.py                 # the issue's configurations (minutes)
    python bench/engines.py --quick         # 3 voters, pre-vote + check-quorum only

Prints, per configuration: distinct states, transitions, seconds and states/s per engine,
the fast/reference and fast/plain-BFS ratios, and bytes per state of the core (exact and
fingerprint). Counts must agree between engines; the script exits 1 if they do not.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from dataclasses import replace
from typing import Any

from explorer.bfs import Limits, explore
from explorer.fast import explore_fast
from model.cluster import ClusterModel
from model.config import ClusterConfig


def plain_bfs(model: ClusterModel, limit: float) -> tuple[int, float]:
    """The textbook BFS: a set, a deque, the model's successors."""
    t0 = time.perf_counter()
    seen = set(model.init_states())
    queue: deque[Any] = deque(seen)
    while queue:
        if time.perf_counter() - t0 > limit:
            break
        for _, nxt in model.successors(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return len(seen), time.perf_counter() - t0


def row(name: str, cfg: ClusterConfig, symmetry: bool, ref_limit: float, fast_only: bool) -> bool:
    fast = explore_fast(ClusterModel(cfg), symmetry=symmetry)
    fp = explore_fast(ClusterModel(cfg), symmetry=symmetry, fingerprint=True)
    ok = (fp.distinct_states, fp.transitions) == (fast.distinct_states, fast.transitions)
    line = (f"{name:<44} {fast.distinct_states:>11,} states {fast.transitions:>12,} trans  "
            f"fast {fast.seconds:7.2f}s {fast.states_per_second:>10,.0f}/s  "
            f"B/state exact {fast.state_bytes / fast.distinct_states:5.1f} "  # type: ignore[operator]
            f"fp {fp.state_bytes / fp.distinct_states:5.1f}")  # type: ignore[operator]
    if not fast_only:
        ref = explore(ClusterModel(cfg), symmetry=symmetry, limits=Limits(time_limit=ref_limit))
        if ref.complete:
            ok = ok and (ref.distinct_states, ref.transitions) == (
                fast.distinct_states, fast.transitions)
        partial = "" if ref.complete else " (partial)"
        ratio = fast.states_per_second / ref.states_per_second
        line += f"  reference {ref.states_per_second:>9,.0f}/s{partial}  x{ratio:.1f}"
        if not symmetry:
            n, sec = plain_bfs(ClusterModel(cfg), ref_limit)
            line += f"  plain BFS {n / sec:>9,.0f}/s  x{fast.states_per_second / (n / sec):.1f}"
    print(line + ("" if ok else "  COUNTS DIFFER"), flush=True)
    return ok


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--ref-limit", type=float, default=30.0,
                    help="seconds given to the reference and the plain BFS per row")
    args = ap.parse_args()
    pvcq = ClusterConfig(voters=3, pre_vote=True, check_quorum=True, max_term=2, max_msgs=2)
    rows: list[tuple[str, ClusterConfig, bool, bool]] = [
        ("3 voters pv+cq (defaults)", pvcq, False, False),
    ]
    if not args.quick:
        rows += [
            ("3 voters pv+cq (defaults) symmetry", pvcq, True, False),
            ("3 voters pv+cq max-term 3", replace(pvcq, max_term=3), False, True),
            ("3 voters pv+cq max-msgs 3 symmetry", replace(pvcq, max_msgs=3), True, True),
            ("3 voters pv+cq max-term 3 max-msgs 4", replace(pvcq, max_term=3, max_msgs=4),
             False, True),
            ("5 voters pv+cq symmetry (defaults)",
             ClusterConfig(voters=5, pre_vote=True, check_quorum=True, max_term=1, max_msgs=4),
             True, True),
        ]
    ok = True
    for name, cfg, sym, fast_only in rows:
        ok = row(name, cfg, sym, args.ref_limit, fast_only) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
