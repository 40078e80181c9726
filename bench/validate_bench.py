"""Trace validation speed: 3,000 traces of 100 events (issue 12's target: <= 30 s).

    .venv/bin/python bench/validate_bench.py [--traces 3000] [--steps 100] [--dir DIR]
        [--impl python] [--keep]

Writes the traces with `raftcheck traces` (random runs with randomized timers and a lossy
network) unless DIR already holds them, then times `raftcheck validate DIR --json` in a
subprocess: wall seconds, the child's CPU seconds, events/s, and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RAFTCHECK = [sys.executable, "-m", "raftcheck.cli"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--traces", type=int, default=3000)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--dir", type=Path, default=None)
    p.add_argument("--impl", default="python")
    p.add_argument("--keep", action="store_true")
    a = p.parse_args(argv)
    d = a.dir or Path(tempfile.mkdtemp(prefix="raftcheck-validate-bench-"))
    if not any(d.glob("*.ndjson")):
        t = time.perf_counter()
        subprocess.run(RAFTCHECK + ["traces", "--impl", a.impl, "--runs", str(a.traces),
                                    "--steps", str(a.steps), "--out", str(d), "--seed", "11"],
                       check=True, stderr=subprocess.DEVNULL)
        print(f"wrote {a.traces} traces of {a.steps} events in {time.perf_counter() - t:.1f}s")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    res = subprocess.run(RAFTCHECK + ["validate", str(d), "--json"], capture_output=True,
                         text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    data = json.loads(res.stdout)
    print(f"validate: {data['traces']} traces, {data['events']} events, {data['valid']} valid, "
          f"{len(data['invalid'])} invalid")
    print(f"wall {wall:.1f}s, CPU {cpu:.1f}s, {data['events'] / wall:,.0f} events/s (wall); "
          f"load average {os.getloadavg()[0]:.2f}")
    print("target <= 30 s: " + ("met" if wall <= 30 else "NOT met") + " (wall)")
    if a.dir is None and not a.keep:
        shutil.rmtree(d)
    return 0 if res.returncode in (0, 1) else 2


if __name__ == "__main__":
    sys.exit(main())
