"""Explorer benchmark: distinct states, transitions, seconds and states/s.

For each voter count in --voters, each of {plain, pre-vote, check-quorum, both}, with and
without symmetry, at the default bounds of raftcheck/defaults.py. A run that hits the time
limit is reported as partial (its rate is still meaningful, its count is not).

    python bench/explore_bench.py --voters 3,4,5 --time-limit 600 --markdown
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import replace

from explorer.bfs import Limits, explore
from model.cluster import ClusterModel
from raftcheck.defaults import quick_config

FLAGS = {
    "plain": {},
    "pre-vote": {"pre_vote": True},
    "check-quorum": {"check_quorum": True},
    "both": {"pre_vote": True, "check_quorum": True},
}


def run(voters: int, flags: str, symmetry: bool, time_limit: float) -> dict[str, object]:
    cfg = replace(quick_config(voters), **FLAGS[flags])  # type: ignore[arg-type]
    r = explore(ClusterModel(cfg), symmetry=symmetry, limits=Limits(time_limit=time_limit))
    return {
        "voters": voters,
        "flags": flags,
        "symmetry": symmetry,
        "max_term": cfg.max_term,
        "max_msgs": cfg.max_msgs,
        "election_timeout": cfg.election_timeout,
        "complete": r.complete,
        "distinct_states": r.distinct_states,
        "transitions": r.transitions,
        "seconds": round(r.seconds, 2),
        "states_per_second": round(r.states_per_second),
        "violations": [v.invariant for v in r.violations],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--voters", default="3,4,5")
    ap.add_argument("--flags", default=",".join(FLAGS))
    ap.add_argument("--symmetry", choices=["on", "off", "both"], default="both")
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    sym = {"on": [True], "off": [False], "both": [False, True]}[args.symmetry]
    print(
        f"# {platform.machine()} {platform.python_implementation()} {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}",
        file=sys.stderr,
    )
    rows = []
    for voters in (int(v) for v in args.voters.split(",")):
        for flags in args.flags.split(","):
            for s in sym:
                row = run(voters, flags, s, args.time_limit)
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    if args.markdown:
        print("| voters | flags | symmetry | bounds (term/msgs/ET) | distinct | transitions "
              "| seconds | states/s | complete |")
        print("|---|---|---|---|---:|---:|---:|---:|---|")
        for r in rows:
            print(
                f"| {r['voters']} | {r['flags']} | {'on' if r['symmetry'] else 'off'} "
                f"| {r['max_term']}/{r['max_msgs']}/{r['election_timeout']} "
                f"| {r['distinct_states']:,} | {r['transitions']:,} | {r['seconds']} "
                f"| {r['states_per_second']:,} | {'yes' if r['complete'] else 'PARTIAL'} |"
            )
    else:
        print(json.dumps(rows, indent=2))
    return 1 if any(r["violations"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
