"""`conform --impl cmd:...` against the built-in adapters, side by side (A/B, alternating, same
seed): etcd's harness as `--impl etcd` and as `--impl cmd:etcdharness/bin/raftharness`, and the
Python example harness (tests/plugins/pyharness.py, one round trip per step) against impl/.

    .venv/bin/python bench/plugin_conform_bench.py [--examples 300] [--rounds 3] [--no-etcd]

Issue 12's target: cmd: with the etcd harness at >= 5k steps/s, i.e. as fast as --impl etcd
(whose figure is that on an idle machine); on a loaded machine the ratio is the figure.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance.nodes import make_backend  # noqa: E402
from conformance.run import run_lockstep  # noqa: E402


def rate(impl: str, examples: int, seed: int) -> float:
    backend = make_backend(impl)
    try:
        rep = run_lockstep(3, examples, seed=seed, impl=backend)
    finally:
        backend.close()
    assert rep.conformant, rep.error
    return rep.steps_per_second


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-etcd", action="store_true")
    a = ap.parse_args()
    py = "cmd:" + shlex.join([sys.executable, str(ROOT / "tests/plugins/pyharness.py")])
    pairs = [("python", py)]
    if not a.no_etcd:
        from etcdharness.build import ensure_built

        pairs.insert(0, ("etcd", f"cmd:{ensure_built()}"))
    print(f"load average {os.getloadavg()[0]:.2f}")
    for base, plug in pairs:
        rs: dict[str, list[float]] = {base: [], plug: []}
        for r in range(a.rounds):
            for impl in (base, plug) if r % 2 == 0 else (plug, base):
                rs[impl].append(rate(impl, a.examples, seed=r + 1))
        b, p = sum(rs[base]) / a.rounds, sum(rs[plug]) / a.rounds
        print(f"{base:>6}: {b:,.0f} steps/s   {plug}: {p:,.0f} steps/s   ratio {p / b:.2f}")
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
