"""Benchmark `raftcheck audit --all`: whole-catalogue time and per-variant time to first kill.

    .venv/bin/python bench/audit_bench.py [--nodes 3] [--only a,b] [--json out.json]
    .venv/bin/python bench/audit_bench.py --patches impl,etcd --no-catalogue [--nodes 3]

`--patches` also audits every patch of audit/patches/impl and audit/patches/etcd
(`raftcheck audit --impl-patch / --etcd-patch`, historical etcd fixes re-applied in reverse
and a comment-only patch): each in full mode (verdict, seconds to the first counterexample or
diff witness, total seconds) and in kill mode (`--stop-at-first`).

    .venv/bin/python bench/audit_bench.py --full [--only a,b] [--rules-file F ...] [--budget S]

Targets (docs/AUDIT.md): every safety-breaking variant caught within 10 s, and the whole
catalogue for 3 voters under 5 minutes. Exit status 1 when a target is missed.

`--full` times the full default audit of each variant instead (`raftcheck audit NAME`: every
check, 3 and 4 voters, liveness; `--budget S` passes `--time-budget S`), one process per audit
as a user runs it, and reports per variant: verdict, seconds to the first counterexample, total
seconds, CPU seconds, the load average and the seconds per phase (obligations, explorations
of the base, extra and directed configurations, liveness, diff, the rest); target: each audit
within 60 s of CPU (the machine is shared: wall seconds follow the load). Baseline runs are
shared on disk between audits (audit/shared.py): `--cold` gives every audit an empty cache.
`--timeout S` stops an audit after S wall seconds (a TIMEOUT row, counted as missed).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.configs import parse_nodes  # noqa: E402
from audit.render import kill_table  # noqa: E402
from audit.runner import audit_catalogue  # noqa: E402
from model.variants import VARIANTS, VARIANTS_BY_NAME  # noqa: E402

SAFETY_TARGET_S = 10.0
TOTAL_TARGET_S = 300.0


PATCH_DIR = Path(__file__).resolve().parents[1] / "audit" / "patches"


def bench_patches(kinds: list[str], nodes: tuple[int, ...]) -> list[dict[str, object]]:
    """Full and kill-mode audits of every stored patch; prints a table, returns the rows."""
    from audit.patch_audit import audit_etcd_patch, audit_impl_patch

    rows: list[dict[str, object]] = []
    print("| patch | verdict | caught by | s to first | total s | kill mode: verdict, s |")
    print("|---|---|---|---:|---:|---|")
    for kind in kinds:
        run = audit_impl_patch if kind == "impl" else audit_etcd_patch
        for patch in sorted((PATCH_DIR / kind).glob("*.diff")):
            t0 = time.perf_counter()
            full = run(patch, nodes)
            full_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            kill = run(patch, nodes, kill_mode=True)
            kill_s = time.perf_counter() - t0
            row: dict[str, object] = {
                "patch": f"{kind}/{patch.name}", "verdict": full.verdict,
                "caught_by": full.caught_by,
                "seconds_to_first_counterexample": full.seconds_to_first_counterexample,
                "seconds": round(full_s, 2), "impl_steps": full.impl_steps,
                "kill_verdict": kill.verdict,
                "kill_seconds_to_first_counterexample": kill.seconds_to_first_counterexample,
                "kill_seconds": round(kill_s, 2),
            }
            rows.append(row)
            first = full.seconds_to_first_counterexample
            print(f"| {kind}/{patch.name} | {full.verdict} | {full.caught_by or '-'} | "
                  f"{'-' if first is None else f'{first:.1f}'} | {full_s:.1f} | "
                  f"{kill.verdict}, {kill_s:.1f} |", flush=True)
    return rows


FULL_TARGET_S = 60.0


def phases(data: dict[str, Any]) -> dict[str, float]:
    """Seconds per phase of one audit's JSON: obligations, explorations (base, extra,
    directed), liveness, and the rest (behaviour diffs, probing, start-up within the audit)."""
    out = {"obligations": sum(o["seconds"] for o in data["obligations"] if not o["reused"]),
           "explore": 0.0, "extra": 0.0, "directed": 0.0,
           "liveness": sum(x["seconds"] for x in data["liveness"])}
    for e in data["explorations"]:
        kind = "directed" if e.get("reaches") else "extra" if e["extra"] else "explore"
        out[kind] += e["seconds"]
    out["diff"] = sum(d.get("seconds", 0.0) for d in data["diff"])
    out["other"] = max(0.0, data["seconds"] - sum(out.values()))
    return {k: round(v, 2) for k, v in out.items()}


def full(names: list[str], rules_files: list[str], cold: bool, out: Path | None,
         budget: float | None = None, timeout: float | None = None) -> int:
    """The full default audit of each variant (and rules file), one process each."""
    import os
    import subprocess
    import tempfile

    exe = Path(sys.executable).parent / "raftcheck"
    rows: list[dict[str, Any]] = []
    targets = [[n] for n in names] + [["--rules-file", f] for f in rules_files]
    for args in targets:
        env = dict(os.environ)
        if cold:
            env["RAFTCHECK_CACHE_DIR"] = tempfile.mkdtemp(prefix="raftcheck-bench-")
        load0 = os.getloadavg()[0]
        before = os.times()
        t = time.perf_counter()
        extra = [] if budget is None else ["--time-budget", f"{budget:g}"]
        try:
            proc = subprocess.run([str(exe), "audit", *args, *extra, "--json", "--quiet"],
                                  env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            usage = os.times()
            cpu = usage.children_user + usage.children_system - before.children_user \
                - before.children_system
            print(f"{' '.join(args):34s} TIMEOUT after {timeout:g}s wall "
                  f"(cpu {cpu:.1f}s, load {load0:4.1f})", flush=True)
            rows.append({"name": args[-1], "verdict": None, "timeout": timeout,
                         "seconds": round(time.perf_counter() - t, 2), "load": round(load0, 2)})
            continue
        wall = time.perf_counter() - t
        usage = os.times()
        try:
            data = json.loads(proc.stdout)
        except json.JSONDecodeError:
            print(f"{args}: exit {proc.returncode}: {proc.stderr.strip()[:200]}")
            continue
        row = {"name": data["name"], "verdict": data["verdict"], "exit": proc.returncode,
               "caught_by": data["caught_by"],
               "seconds_to_first_counterexample": data["seconds_to_first_counterexample"],
               "seconds": round(wall, 2), "audit_seconds": data["seconds"],
               "cpu_seconds": round(usage.children_user + usage.children_system
                                    - before.children_user - before.children_system, 2),
               "load": round(load0, 2),
               # runs stopped by a limit (not those stopped at their first violation once the
               # verdict was settled: docs/AUDIT.md, "Speed")
               "incomplete_runs": sum(1 for e in data["explorations"] if not e["complete"]
                                      and e["stop_reason"] != "invariant violated")
               + sum(1 for x in data["liveness"] if not x["complete"])
               + sum(1 for d in data["diff"]
                     if not d["complete"] and not d["stopped_at_first_difference"]),
               "phases": phases(data)}
        rows.append(row)
        first = row["seconds_to_first_counterexample"]
        shown = "-" if first is None else f"{first:.2f}s"
        print(f"{row['name']:34s} {row['verdict']:18s} first {shown:>7} total {wall:6.1f}s "
              f"cpu {row['cpu_seconds']:6.1f}s load {load0:4.1f} "
              f"incomplete {row['incomplete_runs']} "
              f"{' '.join(f'{k}={v:g}' for k, v in row['phases'].items() if v)}", flush=True)
    slow = [r for r in rows if r.get("timeout") or r["cpu_seconds"] > FULL_TARGET_S]
    for r in slow:
        print(f"MISSED: {r['name']} took {r.get('cpu_seconds', '?')} s of CPU, "
              f"{r['seconds']:.1f} s wall (target {FULL_TARGET_S:.0f} s of CPU)")
    if out:
        out.write_text(json.dumps({"python": platform.python_version(), "cold": cold,
                                   "rows": rows}, indent=2))
    return 1 if slow else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", default="3")
    ap.add_argument("--only", default=None, help="comma-separated catalogue names")
    ap.add_argument("--jobs", type=int, default=1, help="processes (raftcheck audit --jobs)")
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    ap.add_argument("--patches", default=None,
                    help="also audit the stored patches: impl, etcd or impl,etcd")
    ap.add_argument("--no-catalogue", action="store_true", help="skip the rule catalogue")
    ap.add_argument("--full", action="store_true",
                    help="time the full default audit of each variant (one process each)")
    ap.add_argument("--rules-file", action="append", default=[],
                    help="with --full: also audit this rules file")
    ap.add_argument("--cold", action="store_true",
                    help="with --full: an empty baseline cache for every audit")
    ap.add_argument("--timeout", type=float, default=None,
                    help="with --full: stop an audit after this many wall seconds (a row "
                    "marked TIMEOUT)")
    ap.add_argument("--budget", type=float, default=None,
                    help="with --full: the audits' --time-budget (default: none)")
    args = ap.parse_args(argv)
    if args.full:
        names = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else \
            [v.name for v in VARIANTS]
        return full(names, args.rules_file, args.cold, args.json, args.budget, args.timeout)
    nodes = parse_nodes(args.nodes)
    patch_rows = []
    if args.patches:
        patch_rows = bench_patches([k.strip() for k in args.patches.split(",") if k.strip()],
                                   nodes)
        if args.no_catalogue:
            if args.json:
                args.json.write_text(json.dumps({"python": platform.python_version(),
                                                 "nodes": list(nodes),
                                                 "patches": patch_rows}, indent=2))
            return 0
    variants = list(VARIANTS)
    if args.only:
        variants = [VARIANTS_BY_NAME[n.strip()] for n in args.only.split(",") if n.strip()]

    t0 = time.perf_counter()

    def progress(name: str) -> None:
        print(f"  ... {time.perf_counter() - t0:7.1f}s {name}", file=sys.stderr, flush=True)

    cpu0 = time.process_time()
    rows, total = audit_catalogue(variants, nodes, jobs=args.jobs, progress=progress)
    print("\n".join(kill_table(rows)))
    cpu = sum(r.cpu_seconds or 0.0 for r in rows) if args.jobs > 1 else (
        time.process_time() - cpu0
    )
    slow = [
        r for r in rows
        if r.verdict == "safety-broken"
        and (r.seconds_to_first_counterexample or 0.0) > SAFETY_TARGET_S
    ]
    print()
    print(f"variants: {len(rows)}  nodes: {','.join(map(str, nodes))}  total: {total:.1f}s "
          f"(target {TOTAL_TARGET_S:.0f}s); CPU {cpu:.1f}s; per variant: CPU s in the JSON")
    killed = [r for r in rows if r.verdict == "safety-broken"]
    if killed:
        worst = max(r.seconds_to_first_counterexample or 0.0 for r in killed)
        print(f"safety-broken: {len(killed)}, slowest kill {worst:.2f}s "
              f"(target {SAFETY_TARGET_S:.0f}s)")
    for r in slow:
        print(f"MISSED: {r.name} caught after {r.seconds_to_first_counterexample:.2f}s")
    if args.json:
        args.json.write_text(json.dumps({
            "python": platform.python_version(),
            "nodes": list(nodes),
            "jobs": args.jobs,
            "total_seconds": round(total, 3),
            "cpu_seconds": round(cpu, 3),
            "variants": [r.as_dict() for r in rows],
            "patches": patch_rows,
        }, indent=2))
    over = total > TOTAL_TARGET_S and nodes == (3,) and len(variants) == len(VARIANTS)
    if over:
        print(f"MISSED: whole catalogue took {total:.1f}s")
    return 1 if slow or over else 0


if __name__ == "__main__":
    sys.exit(main())
