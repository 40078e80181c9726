"""Distributed exploration on Ray: 1 worker against 2 on one machine, side by side.

    python bench/ray_explore.py [--max-term 2 --max-msgs 3 --symmetry] [--repeat 1]

Starts a local Ray cluster (loopback, no dashboard), then for each repetition runs the
single-process fast engine, the Ray search with 1 worker and with 2 workers, one after the
other (A/B in the same time window: the machine is shared). Prints, per run, the states, the
search's seconds (the actors' start is given apart), states/s, the CPU seconds of the workers,
the bytes routed between workers per new state, each worker's state-set bytes, and the load
average before and after; then the 2-worker / 1-worker rate ratio. Exits 1 if the counts of
any two runs differ.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from explorer.distributed import RayInfo, explore_ray  # noqa: E402
from explorer.fast import explore_fast  # noqa: E402
from model.cluster import ClusterModel  # noqa: E402
from model.config import ClusterConfig  # noqa: E402


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voters", type=int, default=3)
    ap.add_argument("--max-term", type=int, default=2)
    ap.add_argument("--max-msgs", type=int, default=3)
    ap.add_argument("--symmetry", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--workers", default="1,2", help="comma list of Ray worker counts")
    ap.add_argument("--no-local", action="store_true", help="skip the single-process run")
    args = ap.parse_args()
    cfg = ClusterConfig(voters=args.voters, pre_vote=True, check_quorum=True,
                        max_term=args.max_term, max_msgs=args.max_msgs)
    import ray

    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             log_to_driver=False, logging_level="ERROR")
    rows: list[dict[str, Any]] = []
    counts = set()
    for rep in range(args.repeat):
        if not args.no_local:
            before, t0, c0 = load(), time.perf_counter(), time.process_time()
            r = explore_fast(ClusterModel(cfg), symmetry=args.symmetry)
            rows.append({"run": "local fast engine", "rep": rep, "states": r.distinct_states,
                         "transitions": r.transitions, "seconds": round(r.seconds, 2),
                         "start_seconds": 0.0,
                         "states_per_s": round(r.distinct_states / r.seconds),
                         "cpu_seconds": round(time.process_time() - c0, 2),
                         "bytes_routed_per_state": None, "state_bytes": [r.state_bytes],
                         "load_before": before, "load_after": load(),
                         "wall": round(time.perf_counter() - t0, 2)})
            counts.add((r.distinct_states, r.transitions))
        for w in (int(x) for x in args.workers.split(",")):
            before, t0 = load(), time.perf_counter()
            started: list[float] = []

            def on_start(_info: RayInfo, started: list[float] = started) -> None:
                started.append(time.perf_counter())

            r, info = explore_ray(ClusterModel(cfg), workers=w, symmetry=args.symmetry,
                                  on_start=on_start)
            cpu = sum(t["cpu"] for t in info.worker_timings)
            rows.append({"run": f"ray, {w} worker{'s' if w > 1 else ''}", "rep": rep,
                         "states": r.distinct_states, "transitions": r.transitions,
                         "seconds": round(r.seconds, 2),
                         "start_seconds": round(started[0] - t0, 2) if started else None,
                         "states_per_s": round(r.distinct_states / r.seconds),
                         "cpu_seconds": round(cpu, 2),
                         "bytes_routed_per_state": info.as_json(r.distinct_states)[
                             "bytes_routed_per_state"],
                         "bytes_all_records_per_state": info.as_json(r.distinct_states)[
                             "bytes_per_state_all_records"],
                         "state_bytes": info.worker_bytes,
                         "worker_states": info.worker_states,
                         "shared_id_misses": info.shared_id_misses,
                         "timings": info.worker_timings,
                         "load_before": before, "load_after": load(),
                         "wall": round(time.perf_counter() - t0, 2)})
            counts.add((r.distinct_states, r.transitions))
            print(json.dumps(rows[-1]), flush=True)
    ray.shutdown()
    print()
    print("| run | states | transitions | search s | actor start s | states/s | worker CPU s "
          "| routed B/state | state-set bytes per worker | load before -> after |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for row in rows:
        print(f"| {row['run']} | {row['states']:,} | {row['transitions']:,} | {row['seconds']} "
              f"| {row['start_seconds']} | {row['states_per_s']:,} | {row['cpu_seconds']} "
              f"| {row['bytes_routed_per_state']} | "
              f"{', '.join(f'{b / 2**20:,.0f} MiB' for b in row['state_bytes'] if b)} "
              f"| {row['load_before']} -> {row['load_after']} |")
    for rep in range(args.repeat):
        one = [r for r in rows if r["rep"] == rep and r["run"] == "ray, 1 worker"]
        two = [r for r in rows if r["rep"] == rep and r["run"] == "ray, 2 workers"]
        if one and two:
            print(f"rep {rep}: 2 workers / 1 worker rate = "
                  f"{two[0]['states_per_s'] / one[0]['states_per_s']:.2f}x")
    if len(counts) > 1:
        print(f"COUNTS DIFFER: {sorted(counts)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
