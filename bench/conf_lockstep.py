"""Lockstep runs (impl/ against the model, every step compared) with membership changes.

    python bench/conf_lockstep.py [--programs 300] [--length 100] [--seed 11]

Random programs (conformance.lockstep.run_random_programs) on 3 voters with pre-vote,
check-quorum, one conf change and one of each fault (restart, transfer, duplicate, append):
steps compared, seconds, and the actions taken, per configuration and rule set.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from typing import Any

from conformance.lockstep import run_random_programs
from model.config import ClusterConfig

CASES: list[tuple[str, dict[str, Any]]] = [
    ("promote:4", dict(voters=3, learners=1, conf_kinds=("promote",),
                       conf_specs=("promote:4",))),
    ("remove:4", dict(voters=3, learners=1, conf_kinds=("remove",), conf_specs=("remove:4",))),
    ("joint-explicit:add:4+add:5", dict(voters=3, spares=2, conf_kinds=("add", "joint"),
                                        conf_specs=("joint-explicit:add:4+add:5",))),
    ("joint-explicit:promote:4+add:5", dict(
        voters=3, learners=1, spares=1, conf_kinds=("add", "promote", "joint"),
        conf_specs=("joint-explicit:promote:4+add:5",))),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--programs", type=int, default=300)
    ap.add_argument("--length", type=int, default=100)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    for rules in ("etcd-3.4", "etcd-3.5"):
        for name, kw in CASES:
            cfg = ClusterConfig(pre_vote=True, check_quorum=True, election_timeout=1,
                                max_term=4, max_msgs=8, drop=True, appends=1, restarts=1,
                                transfers=1, duplicates=1, conf_changes=1, rules=rules, **kw)
            cfg.validate()
            t = time.perf_counter()
            counters, runs, bad = run_random_programs(cfg, args.programs, args.length,
                                                      args.seed)
            secs = time.perf_counter() - t
            kinds = Counter(s.action[0] for run in runs for s in run.steps)
            verdict = "conformant" if bad is None else "DIVERGENCE"
            print(f"{name}, {rules}: {counters.steps:,} steps in {counters.examples} programs, "
                  f"{secs:.1f}s, {verdict} (propose-conf {kinds['propose-conf']}, "
                  f"apply {kinds['apply']})", flush=True)
            if bad is not None:
                print("\n".join(bad.render()[-10:]))


if __name__ == "__main__":
    main()
