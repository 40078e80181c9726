"""Exhaustive differential (impl/ against the model) with membership changes.

    python bench/conf_differential.py            # the small configurations (seconds each)
    python bench/conf_differential.py --large    # plus the two-election promotion (minutes)

One line per configuration and rule set: distinct states, transitions, distinct local steps
run on impl, seconds, and whether impl conformed on every transition.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from conformance.differential import run_differential
from model.config import ClusterConfig

SMALL: list[tuple[str, dict[str, Any]]] = [
    ("2 voters + 1 learner, promote:3, max term 1", dict(
        voters=2, learners=1, conf_kinds=("promote",), conf_specs=("promote:3",), max_term=1)),
    ("2 voters + 1 spare, joint-explicit:add:3, max term 1", dict(
        voters=2, spares=1, conf_kinds=("add", "joint"), conf_specs=("joint-explicit:add:3",),
        max_term=1)),
    ("3 voters, remove:3, max term 1", dict(
        voters=3, conf_kinds=("remove",), conf_specs=("remove:3",), max_term=1)),
]
LARGE: list[tuple[str, dict[str, Any]]] = [
    ("2 voters + 1 learner, promote:3, max term 2", dict(
        voters=2, learners=1, conf_kinds=("promote",), conf_specs=("promote:3",), max_term=2)),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--large", action="store_true")
    args = ap.parse_args()
    for name, kw in SMALL + (LARGE if args.large else []):
        for rules in ("etcd-3.4", "etcd-3.5"):
            cfg = ClusterConfig(election_timeout=1, max_msgs=2, conf_changes=1, rules=rules,
                                **kw)
            cfg.validate()
            t = time.perf_counter()
            rep = run_differential(cfg, time_limit=3600)
            secs = time.perf_counter() - t
            verdict = "conformant" if rep.conformant else "DIVERGENCE"
            print(f"{name}, {rules}: {rep.states:,} states, {rep.transitions:,} transitions, "
                  f"{rep.local_steps:,} local steps, {secs:.1f}s, {verdict}"
                  + ("" if rep.complete else f" (incomplete: {rep.stop_reason})"), flush=True)


if __name__ == "__main__":
    main()
