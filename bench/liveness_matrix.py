"""The liveness matrix of the README: pre-vote x check-quorum against partition scenarios.

    python bench/liveness_matrix.py [--only SCENARIO] [--flags none,pv,cq,both] [--markdown]
        [--time-limit SECONDS] [--out results.json] [--raftcheck EXE] [--liveness-only]

Each cell is one `raftcheck explore --liveness --json` run (liveness defaults: max term spread
3, voters messages in flight, no drops on healthy links); the cell lists the properties that
are violated (V), unknown (?) or held (ok), and the run's seconds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

SCENARIOS: dict[str, tuple[str, list[str]]] = {
    "none": ("no partition", ["--nodes", "3"]),
    "rejoin": ("one isolated node that rejoins",
               ["--nodes", "3", "--partition", "3|1,2", "--partition-faults", "1"]),
    "cut": ("leader cut from one follower / chain 1-2-3 (static)",
            ["--nodes", "3", "--partition", "1-3"]),
    "lossy": ("leader cut from one follower (lossy link)", ["--nodes", "3", "--lossy", "1-3"]),
    # Howard & Abraham's 5-node cases from their starting point (an established leader; in
    # case 2 node 5 crashed, not merely cut off), at the bounds of HA_BOUNDS.
    "ha1": ("Howard & Abraham case 1 (5 nodes: 4 reaches only 2, 5 only 3; 3 leads)",
            ["--nodes", "5", "--partition", "1-4,3-4,4-5,1-5,2-5", "--start-leader", "3"]),
    "ha2": ("Howard & Abraham case 2 (5 crashed, 4 leads reaching only 2)",
            ["--nodes", "5", "--crashed", "5", "--partition", "1-4,3-4", "--start-leader", "4"]),
}
# Per-cell bounds where the liveness defaults (term spread 3, 5 messages in flight for 5
# voters) do not finish on this machine (README, "Howard & Abraham's 5-node cases"): term
# spread 3 (the least that lets a partly connected node depose a leader) and 3 messages; with
# check-quorum spread 2, since case 2 with both flags at spread 3 had not finished its
# analysis after 40 minutes (4.2 GB). A violation at any bound is a real lasso; `held` covers
# exactly these bounds.
HA_BOUNDS: dict[tuple[str, str], list[str]] = {
    (case, flags): ["--max-term", "2" if "cq" in flags or flags == "both" else "3",
                    "--max-msgs", "3"]
    for case in ("ha1", "ha2") for flags in ("none", "pv", "cq", "both")
}
FLAGS = {"none": [], "pv": ["--pre-vote"], "cq": ["--check-quorum"],
         "both": ["--pre-vote", "--check-quorum"]}
PROPS = ("LeaderElectable", "EventuallyLeader", "LeaderStable", "NoLivelock",
         "SettledLeaderStable")


def cell_args(scenario: str, flags: str) -> list[str]:
    return [*SCENARIOS[scenario][1], *FLAGS[flags], *HA_BOUNDS.get((scenario, flags), [])]


def run_cell(scenario: str, flags: str, time_limit: float | None, extra: list[str],
             raftcheck: str = "raftcheck") -> dict:
    cmd = [raftcheck, "explore", "--liveness", "--json", *cell_args(scenario, flags), *extra]
    if time_limit:
        cmd += ["--time-limit", str(time_limit)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if proc.returncode == 2 or not proc.stdout.strip():
        return {"command": " ".join(cmd), "error": proc.stderr.strip(), "seconds": secs}
    out = json.loads(proc.stdout)
    return {
        "command": " ".join(cmd),
        "exit": proc.returncode,
        "seconds": round(secs, 1),
        "verdicts": {p: out["invariants"][p] for p in PROPS},
        "safety": all(v == "held" for k, v in out["invariants"].items() if k not in PROPS),
        "states": out["liveness"]["distinct_states"] if out.get("liveness") else None,
        "complete": bool(out.get("liveness") and out["liveness"]["complete"]),
        "seconds_safety": out["seconds"],
        "seconds_graph": (out.get("liveness") or {}).get("seconds_explore"),
        "seconds_analyse": (out.get("liveness") or {}).get("seconds_analyse"),
        "graph_bytes_per_state": (out.get("liveness") or {}).get("graph_bytes_per_state"),
        "lassos": {v["invariant"]: len(v["prefix"]) + len(v["cycle"])
                   for v in out["violations"] if v.get("kind") == "liveness"},
    }


def run_cell_liveness_only(scenario: str, flags: str, time_limit: float | None) -> dict:
    """The liveness graph and its analysis only, in this process (no safety run: for the
    partition cases the safety run goes to the pure-Python reference engine and takes longer
    than the liveness part)."""
    from explorer.bfs import Limits
    from raftcheck.cli import explore_cmd, prepare_exploration
    from raftcheck.liveness_run import check_topology, liveness_graph

    args = cell_args(scenario, flags)
    ctx = explore_cmd.make_context("explore", ["--liveness", *args])
    cfg, _limits, _rest, rules, opts = prepare_exploration(dict(ctx.params))
    check_topology(cfg)
    t0 = time.perf_counter()
    c0 = time.process_time()
    model, g, v = liveness_graph(cfg, opts, rules, Limits(time_limit=time_limit))
    return {
        "command": "raftcheck explore --liveness " + " ".join(args),
        "liveness_only": True,
        "seconds": round(time.perf_counter() - t0, 1),
        "cpu_seconds": round(time.process_time() - c0, 1),
        "verdicts": v.verdicts,
        "states": len(g),
        "complete": g.complete,
        "seconds_graph": round(g.seconds, 1),
        "seconds_analyse": round(v.seconds, 1),
        "graph_bytes_per_state": round(g.graph_bytes() / max(len(g), 1), 1),
        "lassos": {x.prop: len(x.prefix) + len(x.cycle) for x in v.lassos},
    }


def cell_text(c: dict) -> str:
    if "error" in c:
        return "error"
    marks = {"held": "ok", "violated": "V", "unknown": "?"}
    short = {"LeaderElectable": "E", "EventuallyLeader": "A", "LeaderStable": "S",
             "NoLivelock": "L", "SettledLeaderStable": "T"}
    # a run made before SettledLeaderStable existed has no verdict for it
    return " ".join(f"{short[p]}:{marks[c['verdicts'][p]]}" for p in PROPS
                    if p in c["verdicts"]) + \
        f" ({c['seconds']:.0f}s)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=",".join(SCENARIOS))
    ap.add_argument("--flags", default=",".join(FLAGS))
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--out", default=None)
    ap.add_argument("--raftcheck", default="raftcheck", help="the raftcheck executable to run")
    ap.add_argument("--liveness-only", action="store_true",
                    help="in this process, without the safety run (see run_cell_liveness_only)")
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    scen = a.only.split(",")
    flags = a.flags.split(",")
    cells: dict[str, dict[str, dict]] = {}
    for s in scen:
        for f in flags:
            if a.liveness_only:
                c = run_cell_liveness_only(s, f, a.time_limit)
            else:
                c = run_cell(s, f, a.time_limit, a.extra, a.raftcheck)
            cells.setdefault(s, {})[f] = c
            print(f"{s:>7} {f:>5}: {cell_text(c)}   {c['command']}", file=sys.stderr, flush=True)
            if a.out:  # after every cell, so a long run keeps what it has
                with open(a.out, "w") as fh:
                    json.dump(cells, fh, indent=2)
    if a.markdown:
        print("| pre-vote / check-quorum | " + " | ".join(SCENARIOS[s][0] for s in scen) + " |")
        print("|---|" + "---|" * len(scen))
        for f in flags:
            print(f"| {f} | " + " | ".join(cell_text(cells[s][f]) for s in scen) + " |")


if __name__ == "__main__":
    main()
