"""Benchmark of the conformance checks: impl/ (default) or etcd's real raft library.

    .venv/bin/python bench/conform_bench.py [--impl python|etcd] [--examples K] [--seed S]
                                            [--no-exhaustive] [--symmetry]

Prints lockstep steps/s for 3 and 5 voters (every step compared with the model through the
abstraction) and the time of the exhaustive differential run for 3 voters at the explorer's
default bounds (every transition of the model's state space; each distinct node-local step run
on the implementation). Targets: >= 5k lockstep steps/s; the exhaustive run for 3 voters under
5 minutes (impl) or 10 minutes (etcd, which needs `bash etcdharness/build.sh`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.differential import run_differential  # noqa: E402
from conformance.nodes import PYTHON, Backend, BackendUnavailable, EtcdBackend  # noqa: E402
from conformance.run import run_lockstep  # noqa: E402
from model.config import ClusterConfig  # noqa: E402


def per_second(count: int, seconds: float) -> int | None:
    return round(count / seconds) if seconds > 0 else None


def bench(backend: Backend, name: str, args: argparse.Namespace) -> tuple[bool, dict[str, object]]:
    results: dict[str, object] = {"impl": name}
    ok = True
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
        print(f"{name} lockstep {voters} voters: {rep.steps} steps in {rep.seconds:.2f}s = "
              f"{rep.steps_per_second:.0f} steps/s wall, {cpu:.2f}s Python CPU "
              f"({rep.examples} examples, "
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
            "transitions_per_second": per_second(d.transitions, d.seconds),
            "local_steps_per_second": per_second(d.local_steps, d.seconds),
            "python_cpu_seconds": round(cpu, 1),
            "symmetry": d.symmetry,
            "conformant": d.conformant,
            "complete": d.complete,
        }
        print(f"{name} exhaustive 3 voters{' (symmetry)' if d.symmetry else ''}: {d.states} "
              f"states, {d.transitions} transitions, {d.local_steps} local steps, "
              f"{d.seconds:.1f}s wall, {cpu:.1f}s Python CPU, "
              f"{'conformant' if d.conformant and d.complete else 'NOT conformant'}", flush=True)
    return ok, results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", choices=["python", "etcd"], default="python")
    ap.add_argument("--examples", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-exhaustive", action="store_true")
    ap.add_argument("--symmetry", action="store_true")
    args = ap.parse_args(argv)
    if args.impl == "python":
        backend: Backend = PYTHON
    else:
        try:
            backend = EtcdBackend()
        except BackendUnavailable as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    try:
        ok, results = bench(backend, args.impl, args)
    finally:
        if backend is not PYTHON:
            backend.close()
    print(json.dumps(results))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
