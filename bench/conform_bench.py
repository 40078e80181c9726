"""Benchmark of the conformance checker.

    .venv/bin/python bench/conform_bench.py [--examples K] [--seed S] [--no-exhaustive]
                                            [--symmetry]

Prints lockstep steps/s for 3 and 5 voters (both rule sets drawn) and the time of the
exhaustive differential run for 3 voters at the explorer's default bounds. Target: >= 5k
lockstep steps/s; exhaustive 3 voters under 5 minutes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.differential import run_differential  # noqa: E402
from conformance.run import run_lockstep  # noqa: E402
from model.config import ClusterConfig  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-exhaustive", action="store_true")
    ap.add_argument("--symmetry", action="store_true")
    args = ap.parse_args()
    results: dict[str, object] = {}
    ok = True
    for voters in (3, 5):
        cpu = time.process_time()
        rep = run_lockstep(voters, args.examples, seed=args.seed)
        cpu = time.process_time() - cpu
        ok &= rep.conformant
        results[f"lockstep_{voters}_voters"] = {
            "examples": rep.examples,
            "steps": rep.steps,
            "seconds": round(rep.seconds, 2),
            "steps_per_second": round(rep.steps_per_second),
            "cpu_seconds": round(cpu, 2),
            "steps_per_cpu_second": round(rep.steps / cpu) if cpu > 0 else None,
            "conformant": rep.conformant,
        }
        print(f"lockstep {voters} voters: {rep.steps} steps in {rep.seconds:.2f}s = "
              f"{rep.steps_per_second:.0f} steps/s wall, {rep.steps / max(cpu, 1e-9):.0f} "
              f"steps/s of CPU ({rep.examples} examples)", flush=True)
    if not args.no_exhaustive:
        cpu = time.process_time()
        d = run_differential(ClusterConfig(), symmetry=args.symmetry)
        cpu = time.process_time() - cpu
        ok &= d.conformant and d.complete
        results["exhaustive_3_voters"] = {
            "states": d.states,
            "transitions": d.transitions,
            "local_steps": d.local_steps,
            "seconds": round(d.seconds, 1),
            "cpu_seconds": round(cpu, 1),
            "symmetry": d.symmetry,
            "conformant": d.conformant,
            "complete": d.complete,
        }
        print(f"exhaustive 3 voters{' (symmetry)' if d.symmetry else ''}: {d.states} states, "
              f"{d.transitions} transitions, {d.local_steps} local steps on impl, "
              f"{d.seconds:.1f}s wall, {cpu:.1f}s CPU", flush=True)
    print(json.dumps(results))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
