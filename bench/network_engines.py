"""Safety runs with a network (--partition, --lossy, --partition-faults): fast against reference.

    python bench/network_engines.py                   # both rows, reference included (minutes)
    python bench/network_engines.py --fast-only       # the compiled core only
    python bench/network_engines.py --ref-limit 60    # cap the reference engine per row

Rows (each is the configuration the CLI builds for the command shown, so the figures are those
of the command's safety run):

- `raftcheck explore --liveness --partition '3|1,2' --partition-faults 1 --pre-vote`: the
  safety half of the liveness profile (issue 8), with the --liveness bounds;
- `raftcheck explore --partition 1-3 --pre-vote --check-quorum`.

Per row: distinct states, transitions, wall and CPU seconds per engine, states per CPU second,
the ratio, and whether the counts agree (the script exits 1 if a complete reference run
disagrees with the core). A reference run cut by --ref-limit is compared with the core on the
same prefix of the search (a state limit). On a shared machine the CPU seconds are the figure
to trust.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
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


def timed(engine: Any, cfg: ClusterConfig, **kw: Any) -> tuple[Any, float]:
    """The engine's result on `cfg` and the CPU seconds it took (this process's)."""
    t0 = time.process_time()
    res = engine(ClusterModel(cfg), **kw)
    return res, time.process_time() - t0


def line(r: Any, cpu: float) -> str:
    return (f"{r.distinct_states:>11,} states {r.transitions:>12,} trans {r.seconds:8.2f}s wall "
            f"{cpu:8.2f}s CPU {r.distinct_states / cpu:>11,.0f} states/CPU-s")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fast-only", action="store_true")
    ap.add_argument("--ref-limit", type=float, default=None,
                    help="seconds given to the reference engine per row (default: no limit)")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    ok = True
    for name, cfg in ROWS:
        fast, fast_cpu = timed(explore_fast, cfg)
        print(f"{name}\n  fast      {line(fast, fast_cpu)}", flush=True)
        if args.fast_only:
            continue
        ref, ref_cpu = timed(explore, cfg, limits=Limits(time_limit=args.ref_limit))
        same = (ref.distinct_states, ref.transitions, ref.action_counts, ref.invariants) == (
            fast.distinct_states, fast.transitions, fast.action_counts, fast.invariants)
        verdict = ("counts agree" if same else "COUNTS DIFFER") if ref.complete else "partial"
        ok = ok and (same or not ref.complete)
        print(f"  reference {line(ref, ref_cpu)}  {verdict}", flush=True)
        if not ref.complete:  # the same prefix of the search on the core, like for like
            fast, fast_cpu = timed(explore_fast, cfg,
                                   limits=Limits(max_states=ref.distinct_states))
            print(f"  fast, the same prefix {line(fast, fast_cpu)}", flush=True)
        print(f"  fast / reference: x{ref_cpu / fast_cpu:.1f} CPU seconds per state "
              f"(x{ref.seconds / ref.distinct_states * fast.distinct_states / fast.seconds:.1f}"
              f" wall)", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
