"""The liveness graph built by the reference (Python) builder and by the compiled one, side by
side: one child process per (configuration, builder), so that CPU seconds and peak RSS are
each builder's own.

    python bench/livegraph_core.py [--only rejoin-pv,rejoin-cq] [--builders python,compiled]
        [--analyse] [--time-limit SECONDS] [--json out.json]

Per run: the graph's states and transitions, CPU seconds of the build (and of the analysis
with --analyse), normalised states per CPU second, the process's peak RSS, the graph arrays'
bytes per state (CSR edges, flags, parents: the same for both builders) and the bytes per
state the process grew by while building (the states themselves: Python tuples and the
explored-states dict for the reference, packed words and the state set for the compiled core).
The defaults are issue 8's rejoin target, `raftcheck explore --liveness --partition '3|1,2'
--partition-faults 1` with --pre-vote and with --check-quorum.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CONFIGS: dict[str, str] = {
    "rejoin-pv": "--partition 3|1,2 --partition-faults 1 --pre-vote",
    "rejoin-cq": "--partition 3|1,2 --partition-faults 1 --check-quorum",
    "rejoin": "--partition 3|1,2 --partition-faults 1",
    "rejoin-pv-cq": "--partition 3|1,2 --partition-faults 1 --pre-vote --check-quorum",
    "n3": "--nodes 3",
}


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def child(name: str, builder: str, analyse: bool, time_limit: float | None) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from explorer.bfs import Limits
    from explorer.livegraph import build_graph
    from explorer.liveness import analyse as analyse_graph
    from model.cluster import ClusterModel
    from model.liveness import Liveness
    from raftcheck.cli import explore_cmd, prepare_exploration

    ctx = explore_cmd.make_context("explore", ["--liveness", *shlex.split(CONFIGS[name])])
    cfg, _limits, _rest, rules, opts = prepare_exploration(dict(ctx.params))
    model = ClusterModel(cfg, rules, liveness=Liveness(opts))
    rss0 = _rss_bytes()
    cpu0 = time.process_time()
    g = build_graph(model, limits=Limits(time_limit=time_limit), core=builder == "compiled")
    cpu = time.process_time() - cpu0
    grown = _rss_bytes() - rss0
    n = max(len(g), 1)
    out: dict[str, Any] = {
        "config": name, "builder": builder, "args": CONFIGS[name], "complete": g.complete,
        "states": len(g), "transitions": g.transitions, "cpu_build": round(cpu, 2),
        "states_per_cpu_second": round(len(g) / max(cpu, 1e-9)),
        "graph_arrays_bytes_per_state": round(g.graph_bytes() / n, 1),
        "grown_bytes_per_state": round(grown / n, 1),
        "states_bytes_per_state": round((grown - g.graph_bytes()) / n, 1),
    }
    if analyse:
        live = model.live
        cpu0 = time.process_time()
        v = analyse_graph(g, tuple(p.name for p in model.liveness_properties()),
                          live.progress_witness, live.strong_fair)
        out["cpu_analyse"] = round(time.process_time() - cpu0, 2)
        out["verdicts"] = v.verdicts
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="rejoin-pv,rejoin-cq")
    ap.add_argument("--builders", default="python,compiled")
    ap.add_argument("--analyse", action="store_true")
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", nargs=2, metavar=("CONFIG", "BUILDER"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child[0], a.child[1], a.analyse, a.time_limit)))
        return
    rows = []
    for name in a.only.split(","):
        for builder in a.builders.split(","):
            cmd = [sys.executable, __file__, "--child", name, builder]
            if a.analyse:
                cmd.append("--analyse")
            if a.time_limit:
                cmd += ["--time-limit", str(a.time_limit)]
            res = subprocess.run(cmd, capture_output=True, text=True, check=True)
            row = json.loads(res.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(json.dumps(row), flush=True)
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"load average: {' '.join(load)}")
    keys = ("states", "transitions", "cpu_build", "states_per_cpu_second", "peak_rss_mb",
            "graph_arrays_bytes_per_state", "states_bytes_per_state")
    print("| configuration | builder | " + " | ".join(keys) + " |")
    print("|---|---|" + "---|" * len(keys))
    for r in rows:
        print(f"| {r['config']} | {r['builder']} | " + " | ".join(f"{r[k]:,}" if isinstance(
            r[k], int) else str(r[k]) for k in keys) + " |")
    if a.json:
        Path(a.json).write_text(json.dumps({"rows": rows, "load": load}, indent=2))


if __name__ == "__main__":
    main()
