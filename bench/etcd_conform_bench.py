"""Benchmark of the conformance checks against etcd's real raft library (`--impl etcd`).

    .venv/bin/python bench/etcd_conform_bench.py [--examples K] [--seed S] [--no-exhaustive]
                                                 [--symmetry]

Prints the differential (lockstep) steps/s against etcd for 3 and 5 voters (etcd-3.4 rules;
every step compared with the model through the abstraction), and the time of the exhaustive
differential run for 3 voters at the explorer's default bounds (every transition of the model's
state space; each distinct node-local step run on a clone of an etcd node), with its local
steps/s. Targets: >= 5k lockstep steps/s for 3 voters; exhaustive 3 voters under 10 minutes.
Needs the harness (`bash etcdharness/build.sh`).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse  # noqa: E402

from conformance.differential import run_differential  # noqa: E402
from conformance.nodes import BackendUnavailable, EtcdBackend  # noqa: E402
from conformance.run import run_lockstep  # noqa: E402
from model.config import ClusterConfig  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-exhaustive", action="store_true")
    ap.add_argument("--symmetry", action="store_true")
    args = ap.parse_args()
    try:
        backend = EtcdBackend()
    except BackendUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    results: dict[str, object] = {"harness": backend.harness.hello()["go"]}
    ok = True
    try:
        for voters in (3, 5):
            cpu = time.process_time()
            rep = run_lockstep(voters, args.examples, seed=args.seed, impl=backend)
            cpu = time.process_time() - cpu
            ok &= rep.conformant
            results[f"lockstep_{voters}_voters"] = {
                "examples": rep.examples,
                "steps": rep.steps,
                "seconds": round(rep.seconds, 2),
                "steps_per_second": round(rep.steps_per_second),
                "python_cpu_seconds": round(cpu, 2),
                "conformant": rep.conformant,
                "error": rep.error,
            }
            print(f"etcd lockstep {voters} voters: {rep.steps} steps in {rep.seconds:.2f}s = "
                  f"{rep.steps_per_second:.0f} steps/s wall ({rep.examples} examples, "
                  f"{'conformant' if rep.conformant else 'NOT conformant'})", flush=True)
        if not args.no_exhaustive:
            cpu = time.process_time()
            d = run_differential(ClusterConfig(), symmetry=args.symmetry, backend=backend)
            cpu = time.process_time() - cpu
            ok &= d.conformant and d.complete
            results["exhaustive_3_voters"] = {
                "states": d.states,
                "transitions": d.transitions,
                "local_steps": d.local_steps,
                "seconds": round(d.seconds, 1),
                "transitions_per_second": round(d.transitions / d.seconds) if d.seconds else None,
                "local_steps_per_second": round(d.local_steps / d.seconds) if d.seconds else None,
                "python_cpu_seconds": round(cpu, 1),
                "symmetry": d.symmetry,
                "conformant": d.conformant,
                "complete": d.complete,
            }
            print(f"etcd exhaustive 3 voters{' (symmetry)' if d.symmetry else ''}: {d.states} "
                  f"states, {d.transitions} transitions, {d.local_steps} local steps on etcd, "
                  f"{d.seconds:.1f}s wall ({d.transitions / max(d.seconds, 1e-9):.0f} "
                  f"transitions/s, {d.local_steps / max(d.seconds, 1e-9):.0f} local steps/s), "
                  f"{'conformant' if d.conformant and d.complete else 'NOT conformant'}",
                  flush=True)
    finally:
        backend.close()
    print(json.dumps(results))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
