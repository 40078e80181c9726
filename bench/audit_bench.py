"""Benchmark `raftcheck audit --all`: whole-catalogue time and per-variant time to first kill.

    .venv/bin/python bench/audit_bench.py [--nodes 3] [--only a,b] [--json out.json]
    .venv/bin/python bench/audit_bench.py --patches impl,etcd --no-catalogue [--nodes 3]

`--patches` also audits every patch of audit/patches/impl and audit/patches/etcd
(`raftcheck audit --impl-patch / --etcd-patch`, historical etcd fixes re-applied in reverse
and a comment-only patch): each in full mode (verdict, seconds to the first counterexample or
diff witness, total seconds) and in kill mode (`--stop-at-first`).

Targets (docs/AUDIT.md): every safety-breaking variant caught within 10 s, and the whole
catalogue for 3 voters under 5 minutes. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

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
            row = {
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", default="3")
    ap.add_argument("--only", default=None, help="comma-separated catalogue names")
    ap.add_argument("--jobs", type=int, default=1, help="processes (raftcheck audit --jobs)")
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    ap.add_argument("--patches", default=None,
                    help="also audit the stored patches: impl, etcd or impl,etcd")
    ap.add_argument("--no-catalogue", action="store_true", help="skip the rule catalogue")
    args = ap.parse_args(argv)
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
