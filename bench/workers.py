"""The fast engine with 1 and N workers on the same configuration, in the same process.

    python bench/workers.py                      # 3 voters, pre-vote + check-quorum (defaults)
    python bench/workers.py --max-term 3         # the larger space (about 22.5 M states)
    python bench/workers.py --workers 1 2 3 --runs 3 --fingerprint

Prints, per run: distinct states, transitions, the core's seconds and states/s, the process's
CPU seconds; then, per worker count, the best states/s and its ratio to one worker. Counts must
agree between worker counts; the script exits 1 if they do not. The machine's other load shows
as CPU seconds well below workers x wall seconds: quote ratios from a quiet machine.
"""

from __future__ import annotations

import argparse
import sys
import time

from explorer.fast import explore_fast
from model.cluster import ClusterModel
from model.config import ClusterConfig


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--max-term", type=int, default=None)
    ap.add_argument("--max-msgs", type=int, default=None)
    ap.add_argument("--no-pre-vote", action="store_true")
    ap.add_argument("--no-check-quorum", action="store_true")
    ap.add_argument("--symmetry", action="store_true")
    ap.add_argument("--fingerprint", action="store_true")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runs", type=int, default=1, help="runs per worker count (best is kept)")
    args = ap.parse_args()
    kw = {}
    if args.max_term is not None:
        kw["max_term"] = args.max_term
    if args.max_msgs is not None:
        kw["max_msgs"] = args.max_msgs
    cfg = ClusterConfig(voters=args.nodes, pre_vote=not args.no_pre_vote,
                        check_quorum=not args.no_check_quorum, **kw)
    best: dict[int, float] = {}
    counts: set[tuple[int, int, int]] = set()
    for _ in range(args.runs):
        for w in args.workers:
            cpu0 = time.process_time()
            res = explore_fast(ClusterModel(cfg), workers=w, symmetry=args.symmetry,
                               fingerprint=args.fingerprint)
            cpu = time.process_time() - cpu0
            counts.add((res.distinct_states, res.transitions, res.max_depth))
            rate = res.states_per_second
            best[w] = max(best.get(w, 0.0), rate)
            print(f"workers {w:>2}: {res.distinct_states:>12,} states {res.transitions:>13,} "
                  f"trans  {res.seconds:8.2f}s {rate:>12,.0f}/s  cpu {cpu:8.2f}s", flush=True)
    base = best.get(1)
    for w in sorted(best):
        ratio = f"  x{best[w] / base:.2f}" if base else ""
        print(f"best with {w:>2} worker(s): {best[w]:>12,.0f} states/s{ratio}")
    if len(counts) != 1:
        print(f"COUNTS DIFFER: {sorted(counts)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
