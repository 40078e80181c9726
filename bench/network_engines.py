"""Safety runs with a network (--partition, --lossy, --partition-faults): fast against reference.

    python bench/network_engines.py                   # both rows, reference included (minutes)
    python bench/network_engines.py --fast-only       # the compiled core only
    python bench/network_engines.py --ref-limit 60    # cap the reference engine per row

Rows (each is the configuration the CLI builds for the command shown, so the figures are those
of the command's safety run):

- `raftcheck explore --liveness --partition '3|1,2' --partition-faults 1 --pre-vote`: the
  safety half of the liveness profile (issue 8), with the --liveness bounds;
- `raftcheck explore --partition 1-3 --pre-vote --check-quorum`.

Per row: distinct states, transitions, seconds and states/s per engine, the ratio, and whether
the counts agree (the script exits 1 if a complete reference run disagrees with the core).
Run both engines in the same window on a shared machine: the ratio is the figure to quote.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from explorer.bfs import Limits, explore
from explorer.fast import explore_fast
from model.cluster import ClusterModel
from model.config import ClusterConfig
from raftcheck.cli import build_config


def cli_config(*, liveness: bool = False, **kw: Any) -> ClusterConfig:
    """The configuration `raftcheck explore` builds from these flags (the CLI's defaults)."""
    args: dict[str, Any] = dict(
        nodes=3, learners=0, promoted_learners=False, pre_vote=False, check_quorum=False,
        rules="etcd-3.4", max_term=None, max_msgs=None, election_timeout=None, faults=None,
        fault_budget=1, transfers=0, appends=0, liveness=liveness,
    )
    args.update(kw)
    return build_config(**args)


ROWS: list[tuple[str, ClusterConfig]] = [
    ("explore --liveness --partition '3|1,2' --partition-faults 1 --pre-vote (safety part)",
     cli_config(liveness=True, partition="3|1,2", partition_faults=1, pre_vote=True)),
    ("explore --partition 1-3 --pre-vote --check-quorum",
     cli_config(partition="1-3", pre_vote=True, check_quorum=True)),
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fast-only", action="store_true")
    ap.add_argument("--ref-limit", type=float, default=None,
                    help="seconds given to the reference engine per row (default: no limit)")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    ok = True
    for name, cfg in ROWS:
        fast = explore_fast(ClusterModel(cfg))
        print(f"{name}\n  fast      {fast.distinct_states:>11,} states "
              f"{fast.transitions:>12,} trans {fast.seconds:8.2f}s "
              f"{fast.states_per_second:>11,.0f}/s", flush=True)
        if args.fast_only:
            continue
        ref = explore(ClusterModel(cfg), limits=Limits(time_limit=args.ref_limit))
        same = (ref.distinct_states, ref.transitions, ref.action_counts, ref.invariants) == (
            fast.distinct_states, fast.transitions, fast.action_counts, fast.invariants)
        verdict = ("counts agree" if same else "COUNTS DIFFER") if ref.complete else "partial"
        ok = ok and (same or not ref.complete)
        print(f"  reference {ref.distinct_states:>11,} states {ref.transitions:>12,} trans "
              f"{ref.seconds:8.2f}s {ref.states_per_second:>11,.0f}/s  "
              f"fast x{fast.states_per_second / ref.states_per_second:.1f}  {verdict}",
              flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
