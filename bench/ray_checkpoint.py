"""A distributed run that loses a worker and is resumed from its checkpoint, against the
uninterrupted single-process run.

    python bench/ray_checkpoint.py [--max-term 2 --max-msgs 3] [--interval 10] [--kill-after 25]

Starts a local Ray cluster (loopback, no dashboard, 2 CPUs). Runs the Ray search with
2 workers and `--checkpoint DIR --checkpoint-interval I`; `--kill-after` seconds into it, the
process of worker 1 is killed (SIGKILL, as an out-of-memory kill or a lost node would), so the
run stops as partial; then the run is resumed from DIR to its end. Prints each checkpoint
(states, MiB, seconds to write), the states and seconds lost with the worker (the search
since the last checkpoint), and the resumed run's counts beside the single-process engine's
(run after). Exits 1 if the distinct states, transitions, depth, action counts or verdicts
differ.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from explorer.checkpoint import Checkpointing  # noqa: E402
from explorer.distributed import explore_ray  # noqa: E402
from explorer.fast import explore_fast  # noqa: E402
from model.cluster import ClusterModel  # noqa: E402
from model.config import ClusterConfig  # noqa: E402


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-term", type=int, default=2)
    ap.add_argument("--max-msgs", type=int, default=3)
    ap.add_argument("--interval", type=float, default=10.0)
    ap.add_argument("--kill-after", type=float, default=25.0)
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args()
    cfg = ClusterConfig(voters=3, pre_vote=True, check_quorum=True, max_term=args.max_term,
                        max_msgs=args.max_msgs)
    ck = args.dir or Path(tempfile.mkdtemp(prefix="raftcheck-ray-ck-")) / "ck"
    shutil.rmtree(ck, ignore_errors=True)
    import ray

    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             log_to_driver=False, logging_level="ERROR")
    notes: list[tuple[float, str]] = []
    t0 = time.monotonic()
    killed: list[float] = []

    def note(text: str) -> None:
        notes.append((time.monotonic() - t0, text))
        print(f"{notes[-1][0]:7.1f}s  {text}", flush=True)

    def kill_late(actors: list[Any], _rounds: int) -> None:
        if not killed and time.monotonic() - t0 >= args.kill_after:
            pid = ray.get(actors[1].ping.remote())
            os.kill(pid, signal.SIGKILL)
            killed.append(time.monotonic() - t0)
            print(f"{killed[0]:7.1f}s  killed worker 1 (pid {pid})", flush=True)

    print(f"load before: {load()}")
    cut, info = explore_ray(ClusterModel(cfg), workers=2, symmetry=True,
                            checkpoint=Checkpointing(ck, interval=args.interval, note=note),
                            after_round=kill_late)
    print(f"cut run: {cut.distinct_states:,} states, {cut.seconds:.1f}s, stop: {cut.stop_reason}; "
          f"lost: {info.lost_worker}; checkpoint: {info.checkpoint}")
    meta = json.loads((ck / "meta.json").read_text())
    saved = meta["progress"]
    print(f"last checkpoint: {saved['distinct']:,} states at {saved['seconds']}s of search; "
          f"lost with the worker: {cut.distinct_states - saved['distinct']:,} states, "
          f"{cut.seconds - saved['seconds']:.1f}s of search")
    r0 = time.monotonic()
    done, info2 = explore_ray(ClusterModel(cfg), symmetry=True,
                              checkpoint=Checkpointing(ck, resume_from=ck, note=note))
    print(f"resumed run: {done.distinct_states:,} states, {done.transitions:,} transitions, "
          f"depth {done.max_depth}, complete {done.complete}, search seconds of both sessions "
          f"{done.seconds:.1f} (this session's wall {time.monotonic() - r0:.1f}s, "
          f"{info2.workers} workers)")
    ray.shutdown()
    local = explore_fast(ClusterModel(cfg), symmetry=True)
    print(f"single process: {local.distinct_states:,} states, {local.transitions:,} "
          f"transitions, depth {local.max_depth}, {local.seconds:.1f}s")
    print(f"load after: {load()}")
    same = ((done.distinct_states, done.transitions, done.max_depth, done.action_counts,
             done.invariants, done.complete)
            == (local.distinct_states, local.transitions, local.max_depth,
                local.action_counts, local.invariants, local.complete))
    print("identical to the single-process run" if same else "DIFFERENT from the single run")
    if args.dir is None:
        shutil.rmtree(ck.parent, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
