"""What a set of bounds lets happen, and what it costs: the measurements behind
raftcheck/defaults.py.

For each configuration: distinct states and seconds on the fast engine (symmetry on, exact
set), and two witnesses searched in the explored states, in breadth-first order:
- overlap: two nodes' vote (or pre-vote) requests in flight at once, i.e. two campaigns that
  share the network;
- second election: two leaders elected in one run (two (term, id) pairs in the history).

    .venv/bin/python bench/bounds.py                       # the candidate table
    .venv/bin/python bench/bounds.py 5 2 8 --time 600      # one configuration
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model.config import ClusterConfig  # noqa: E402
from raftcheck.bound_reach import reach  # noqa: E402

CANDIDATES = [
    # voters, max_term, max_msgs
    (3, 2, 2), (3, 2, 3), (3, 2, 4), (3, 3, 2), (3, 3, 3),
    (4, 1, 3), (4, 2, 3), (4, 1, 4), (4, 2, 4),
    (5, 1, 4), (5, 1, 5), (5, 2, 4),
]


def measure(voters: int, max_term: int, max_msgs: int, flags: bool, time_limit: float) -> dict:
    cfg = ClusterConfig(voters=voters, max_term=max_term, max_msgs=max_msgs,
                        pre_vote=flags, check_quorum=flags)
    r = reach(cfg, time_limit=time_limit)
    return {
        "flags": "pv+cq" if flags else "none", "states": r.states,
        "seconds": round(r.seconds, 1), "complete": r.complete,
        "overlap": r.overlap, "second_election": r.second_election,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config", nargs="*", type=int, help="voters max_term max_msgs")
    ap.add_argument("--time", type=float, default=300.0, help="time limit per run (s)")
    ap.add_argument("--flags", choices=("both", "none", "pv+cq"), default="both")
    args = ap.parse_args()
    configs = [tuple(args.config)] if args.config else CANDIDATES
    flag_sets = {"both": (False, True), "none": (False,), "pv+cq": (True,)}[args.flags]
    print("| voters | max term | max msgs | flags | states (symmetry) | s | complete "
          "| overlap | 2nd election |")
    print("|---:|---:|---:|---|---:|---:|---|---|---|")
    for v, t, m in configs:
        for f in flag_sets:
            r = measure(v, t, m, f, args.time)
            print(f"| {v} | {t} | {m} | {r['flags']} | {r['states']:,} | {r['seconds']} "
                  f"| {'yes' if r['complete'] else 'NO (time limit)'} "
                  f"| {'yes' if r['overlap'] else 'no'} "
                  f"| {'yes' if r['second_election'] else 'no'} |", flush=True)


if __name__ == "__main__":
    main()
