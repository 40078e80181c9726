"""Membership-change benchmark (issue 14): the exhaustive targets and the catalogue's times.

1. 3 voters + 1 learner, pre-vote + check-quorum, one membership change (`--conf-change
   promote:4`, or one removal `--conf-change remove:3`), explored exhaustively: distinct
   states, transitions, seconds, states/s, for etcd-3.4 and etcd-3.5 side by side (the two
   rule sets alternate, so both see the same machine load).
2. Each membership catalogue entry (model/variants.py) audited against etcd-3.5: the kill
   mode's time to its first counterexample (`audit NAME --stop-at-first`, what the kill table
   times) and the whole audit's time, with the counterexample's length and what caught it.

Everything runs through the `raftcheck` command line (the flags of the shared design), one
process per run, so a run's figures include nothing of another's.

    .venv/bin/python bench/membership.py                 # both parts, markdown tables
    .venv/bin/python bench/membership.py --part explore --bounds quick --json
    .venv/bin/python bench/membership.py --part explore --bounds quick --changes promote:4 \
        --rules etcd-3.5 -- --workers 2 --state-set fingerprint
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from typing import Any

RULES = ("etcd-3.4", "etcd-3.5")
CHANGES = ("promote:4", "remove:3")
CATALOGUE = (
    "conf-pending-ignores-v2",
    "transfer-skips-conf-check",
    "no-unapplied-conf-guard",
    "seed-joint-tally",
)


def _raftcheck() -> list[str]:
    here = os.path.join(os.path.dirname(sys.executable), "raftcheck")
    return [here] if os.path.exists(here) else [shutil.which("raftcheck") or "raftcheck"]


def _run(args: list[str], timeout: float) -> tuple[int, dict[str, Any] | None, float, str]:
    t0 = time.perf_counter()
    try:
        p = subprocess.run(_raftcheck() + args, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, None, time.perf_counter() - t0, "timed out"
    wall = time.perf_counter() - t0
    try:
        data = json.loads(p.stdout) if p.stdout.strip() else None
    except json.JSONDecodeError:
        data = None
    return p.returncode, data, wall, p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""


def explore_one(rules: str, change: str, bounds: str, time_limit: float, max_states: int,
                extra: list[str]) -> dict[str, Any]:
    args = ["explore", "-n", "3", "--learners", "1", "--pre-vote", "--check-quorum",
            "--rules", rules, "--bounds", bounds, "--conf-changes", "1",
            "--conf-change", change, "--time-limit", str(time_limit),
            *(["--max-states", str(max_states)] if max_states else []), "--json", *extra]
    code, data, wall, err = _run(args, time_limit + 120)
    row: dict[str, Any] = {"rules": rules, "change": change, "bounds": bounds, "exit": code,
                           "wall_seconds": round(wall, 2), "command": "raftcheck " + " ".join(args)}
    if data is None:
        row["error"] = err or "no JSON output"
        return row
    cfg = data.get("config", {})
    row.update({
        "complete": data.get("complete"),
        "distinct_states": data.get("distinct_states"),
        "transitions": data.get("transitions"),
        "seconds": data.get("seconds"),
        "states_per_second": data.get("states_per_second"),
        "engine": data.get("engine"),
        "workers": data.get("workers"),
        "stop_reason": data.get("stop_reason"),
        "bytes_per_state": (round(data["state_bytes"] / data["distinct_states"], 1)
                            if data.get("state_bytes") and data.get("distinct_states") else None),
        "max_term": cfg.get("max_term"),
        "max_msgs": cfg.get("max_msgs"),
        "broken": sorted({v.get("invariant") for v in data.get("violations", [])}),
    })
    return row


def audit_one(name: str, stop_at_first: bool, timeout: float) -> dict[str, Any]:
    args = ["audit", name, "--against", "etcd-3.5", "--json"]
    if stop_at_first:
        args.append("--stop-at-first")
    code, data, wall, err = _run(args, timeout)
    row: dict[str, Any] = {"variant": name, "mode": "kill" if stop_at_first else "full",
                           "exit": code, "wall_seconds": round(wall, 2),
                           "command": "raftcheck " + " ".join(args)}
    if data is None:
        row["error"] = err or "no JSON output"
        return row
    row.update({k: data.get(k) for k in ("verdict", "caught_by",
                                         "seconds_to_first_counterexample",
                                         "counterexample_length", "seconds")})
    return row


def _md_explore(rows: list[dict[str, Any]]) -> str:
    out = ["| rules | change | states | transitions | seconds | states/s | engine (workers) "
           "| bytes/state | complete (stop) |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['rules']} | {r['change']} | error: {r['error']} | | | | | | |")
            continue
        stop = "" if r["complete"] else f" ({r.get('stop_reason')})"
        out.append(f"| {r['rules']} | `{r['change']}` | {r['distinct_states']:,} | "
                   f"{r['transitions']:,} | {r['seconds']} | {r['states_per_second']:,.0f} | "
                   f"{r['engine']} ({r.get('workers') or 1}) | {r.get('bytes_per_state')} | "
                   f"{r['complete']}{stop} |")
    return "\n".join(out)


def _md_audit(rows: list[dict[str, Any]]) -> str:
    out = ["| variant | mode | verdict | caught by | first cex (s) | length | audit (s) |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            out.append(f"| `{r['variant']}` | {r['mode']} | error: {r['error']} | | | | |")
            continue
        first = r.get("seconds_to_first_counterexample")
        out.append(f"| `{r['variant']}` | {r['mode']} | {r['verdict']} | {r['caught_by'] or '-'}"
                   f" | {'-' if first is None else f'{first:.1f}'} | "
                   f"{r['counterexample_length'] or '-'} | {r['seconds']:.1f} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("explore", "catalogue", "both"), default="both")
    ap.add_argument("--bounds", choices=("default", "quick"), default="default")
    ap.add_argument("--time-limit", type=float, default=600.0,
                    help="per exploration (the issue's target is 10 minutes)")
    ap.add_argument("--max-states", type=int, default=0,
                    help="per exploration (default none: the fast engine stops at its memory "
                         "budget, --max-memory)")
    ap.add_argument("--changes", default=",".join(CHANGES))
    ap.add_argument("--rules", default=",".join(RULES))
    ap.add_argument("--only", default=",".join(CATALOGUE), help="catalogue entries")
    ap.add_argument("--full-audit", action="store_true",
                    help="also time the whole audit (not only the kill mode)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("explore_args", nargs="*", help="extra `explore` flags (after --)")
    a = ap.parse_args()
    load = os.getloadavg()
    explored: list[dict[str, Any]] = []
    audited: list[dict[str, Any]] = []
    if a.part in ("explore", "both"):
        for change in a.changes.split(","):
            for rules in a.rules.split(","):  # alternating: A/B in the same time window
                explored.append(explore_one(rules, change, a.bounds, a.time_limit,
                                            a.max_states, a.explore_args))
                print(json.dumps(explored[-1]), file=sys.stderr)
    if a.part in ("catalogue", "both"):
        for name in a.only.split(","):
            for kill in (True, False) if a.full_audit else (True,):
                audited.append(audit_one(name, kill, 600.0))
                print(json.dumps(audited[-1]), file=sys.stderr)
    load_after = os.getloadavg()
    if a.json:
        print(json.dumps({"load_before": load, "load_after": load_after, "explore": explored,
                          "catalogue": audited}, indent=2))
        return
    print(f"load average before {load[0]:.2f}, after {load_after[0]:.2f} "
          f"({os.cpu_count()} cores)\n")
    if explored:
        print(_md_explore(explored) + "\n")
    if audited:
        print(_md_audit(audited))


if __name__ == "__main__":
    main()
