"""Speed and memory of `raftcheck explore --liveness`, per configuration, old against new.

    python bench/liveness_speed.py [--only NAME,...] [--runs 3] [--vs OTHER_RAFTCHECK]
        [--time-limit SECONDS] [--json out.json]
    python bench/liveness_speed.py --record tests/liveness/data/liveness_parity.json
        [--raftcheck /path/to/other/raftcheck]

Each configuration is one whole `raftcheck explore --liveness --json` process. Per
configuration it prints the states of the liveness graph, seconds of the safety run, of the
liveness graph and of its analysis (wall clock, as the run reports them), the whole process's
wall and CPU seconds (medians over --runs; on a shared machine the CPU seconds are the figure
to trust), the liveness graph's bytes per state, the process's peak memory (/usr/bin/time),
and with --vs the same for the other raftcheck, the ratios other/this (above 1: this one is
faster) and a note where the two differ in states, verdicts, property details or exit code.

`--record` writes what must not change when the liveness code gets faster (graph sizes,
action counts, verdicts, property details, the lassos step by step) for the PARITY
configurations, which run in seconds; tests/liveness/test_liveness_parity.py compares the
current code with that file.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

# Run in seconds: the parity set (verdict, sizes and lassos must not change).
PARITY: dict[str, list[str]] = {
    "n2": ["--nodes", "2"],
    "n2-pv-cq": ["--nodes", "2", "--pre-vote", "--check-quorum"],
    "learners-silent": ["--variant", "learners-silent", "--nodes", "2", "--learners", "1",
                        "--promoted-learners", "--partition", "2|1,3"],
    "lossy-small": ["--nodes", "3", "--lossy", "1-3", "--max-term", "2", "--max-msgs", "2"],
    "pv-lossy-small": ["--nodes", "3", "--pre-vote", "--lossy", "1-3", "--max-term", "2",
                       "--max-msgs", "2"],
    "rejoin-small": ["--nodes", "3", "--partition", "3|1,2", "--partition-faults", "1",
                     "--max-term", "2", "--max-msgs", "2"],
    "chain-small": ["--nodes", "3", "--partition", "1-3", "--max-term", "2", "--max-msgs", "2"],
    "cq-small": ["--nodes", "3", "--check-quorum", "--max-term", "2", "--max-msgs", "2"],
    "none-assume": ["--nodes", "3", "--assume", "none", "--max-msgs", "2"],
}
# The benchmark set: the README matrix's configurations (3 voters) and the targets.
SPEED: dict[str, list[str]] = {
    "none": ["--nodes", "3"],
    "pv": ["--nodes", "3", "--pre-vote"],
    "cq": ["--nodes", "3", "--check-quorum"],
    "pv-cq": ["--nodes", "3", "--pre-vote", "--check-quorum"],
    "lossy": ["--nodes", "3", "--lossy", "1-3"],
    "rejoin": ["--nodes", "3", "--partition", "3|1,2", "--partition-faults", "1"],
    # issue 8's 2-minute cells: one dynamic partition fault, each flag combination
    "rejoin-pv": ["--nodes", "3", "--partition", "3|1,2", "--partition-faults", "1",
                  "--pre-vote"],
    "rejoin-cq": ["--nodes", "3", "--partition", "3|1,2", "--partition-faults", "1",
                  "--check-quorum"],
    "rejoin-pv-cq": ["--nodes", "3", "--partition", "3|1,2", "--partition-faults", "1",
                     "--pre-vote", "--check-quorum"],
    "chain-pv": ["--nodes", "3", "--pre-vote", "--partition", "1-3"],
    **{f"p-{k}": v for k, v in PARITY.items()},
}
TIME = os.path.exists("/usr/bin/time")
TIMINGS = ("seconds", "seconds_explore", "seconds_analyse", "states_per_second")


def run(raftcheck: str, args: list[str], time_limit: float | None) -> dict[str, Any]:
    cmd = [raftcheck, "explore", "--liveness", "--json", *args]
    if time_limit:
        cmd += ["--time-limit", str(time_limit)]
    t0 = time.perf_counter()
    with tempfile.NamedTemporaryFile("r") as usage:
        # /usr/bin/time gives this process's own peak memory (RUSAGE_CHILDREN's is the
        # largest child so far)
        timed = ["/usr/bin/time", "-f", "%M %U %S", "-o", usage.name] if TIME else []
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(timed + cmd, capture_output=True, text=True)
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter() - t0
        lines = usage.read().split("\n")
    if not proc.stdout.strip():
        raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}: {proc.stderr.strip()}")
    out = json.loads(proc.stdout)
    out["_wall"] = wall
    out["_cpu"] = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    out["_exit"] = proc.returncode
    peak = [ln.split()[0] for ln in lines if ln.strip() and ln.split()[0].isdigit()]
    out["_peak_mb"] = int(peak[-1]) / 1024 if peak else float("nan")
    return out


def figures(out: dict[str, Any]) -> dict[str, Any]:
    live = out["liveness"]
    return {
        "states": live["distinct_states"],
        "complete": live["complete"],
        "safety_s": out["seconds"],
        "graph_s": live["seconds_explore"],
        "analyse_s": live["seconds_analyse"],
        "wall_s": out["_wall"],
        "cpu_s": out["_cpu"],
        "bytes_per_state": live["graph_bytes_per_state"],
        "peak_mb": round(out["_peak_mb"]),
        "verdicts": out["invariants"],
        "properties": live["properties"],
        "exit": out["_exit"],
    }


def parity_record(out: dict[str, Any]) -> dict[str, Any]:
    """What a faster liveness run must reproduce exactly."""
    live = {k: v for k, v in out["liveness"].items() if k not in TIMINGS
            and k not in ("graph_bytes", "graph_bytes_per_state")}
    return {
        "exit": out["_exit"],
        "invariants": out["invariants"],
        "liveness": live,
        "lassos": [v for v in out["violations"] if v.get("kind") == "liveness"],
        "warnings": out["warnings"],
    }


def median_figures(raftcheck: str, args: list[str], runs: int,
                   time_limit: float | None) -> dict[str, Any]:
    got = [figures(run(raftcheck, args, time_limit)) for _ in range(runs)]
    med = dict(got[0])
    for k in ("safety_s", "graph_s", "analyse_s", "wall_s", "cpu_s", "peak_mb"):
        med[k] = round(statistics.median(g[k] for g in got), 2)
    return med


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default=None, help="comma-separated configuration names")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--vs", default=None, help="another raftcheck executable to compare with")
    ap.add_argument("--raftcheck", default=shutil.which("raftcheck") or "raftcheck")
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--record", default=None, help="write the parity figures to this file")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    if a.record:
        names = a.only.split(",") if a.only else list(PARITY)
        rec = {n: {"args": PARITY[n], **parity_record(run(a.raftcheck, PARITY[n], None))}
               for n in names}
        with open(a.record, "w") as fh:
            json.dump(rec, fh, indent=1, sort_keys=True)
            fh.write("\n")
        print(f"wrote {a.record} ({len(rec)} configurations)")
        return 0
    names = a.only.split(",") if a.only else list(SPEED)
    results: dict[str, Any] = {}
    head = (f"{'config':<18} {'states':>9} {'safety s':>9} {'graph s':>8} {'analyse s':>9} "
            f"{'wall s':>7} {'cpu s':>6} {'B/state':>7} {'peak MB':>7}")
    if a.vs:
        head += f" | {'other graph s':>13} {'other analyse s':>15} {'other cpu s':>11} " \
                f"{'other MB':>8} {'x graph':>7} {'x analyse':>9} {'x cpu':>6}"
    print(head)
    differ = False
    for name in names:
        args = SPEED[name]
        new = median_figures(a.raftcheck, args, a.runs, a.time_limit)
        row = (f"{name:<18} {new['states']:>9,} {new['safety_s']:>9.2f} {new['graph_s']:>8.2f} "
               f"{new['analyse_s']:>9.2f} {new['wall_s']:>7.2f} {new['cpu_s']:>6.2f} "
               f"{new['bytes_per_state']:>7.1f} {new['peak_mb']:>7.0f}")
        res: dict[str, Any] = {"args": args, "new": new}
        if a.vs:
            old = median_figures(a.vs, args, a.runs, a.time_limit)
            res["old"] = old

            def ratio(k: str, old: dict[str, Any] = old, new: dict[str, Any] = new) -> float:
                return old[k] / new[k] if new[k] else float("inf")

            row += (f" | {old['graph_s']:>13.2f} {old['analyse_s']:>15.2f} "
                    f"{old['cpu_s']:>11.2f} {old['peak_mb']:>8.0f} {ratio('graph_s'):>7.2f} "
                    f"{ratio('analyse_s'):>9.2f} {ratio('cpu_s'):>6.2f}")
            if old["states"] != new["states"]:
                row += f"  STATES DIFFER: {old['states']} != {new['states']}"
                differ = True
            for k in ("verdicts", "properties", "exit"):
                if old[k] != new[k]:
                    row += f"  {k.upper()} DIFFER"
                    differ = True
        results[name] = res
        print(row, flush=True)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 1 if differ else 0  # the two versions must agree


if __name__ == "__main__":
    sys.exit(main())
