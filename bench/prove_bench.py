"""Benchmark: solver time of every proof obligation, up to 9 voters, on each real rule set.

    .venv/bin/python bench/prove_bench.py [--max-voters 9] [--repeat 3] [--json]

Prints, per rule set, each obligation's status and the best-of-`repeat` seconds, and the total
(the budget is 10 s in total for every obligation up to 9 voters).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model.rules import RULE_SETS  # noqa: E402
from specs.obligations import OBLIGATION_NAMES, run_obligations  # noqa: E402

BUDGET_SECONDS = 10.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-voters", type=int, default=9)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    report: dict[str, dict[str, object]] = {}
    over = False
    for rules_name, rules in RULE_SETS.items():
        best: dict[str, float] = {}
        status: dict[str, str] = {}
        wall = []
        for _ in range(max(1, args.repeat)):
            start = time.perf_counter()
            for r in run_obligations(rules, max_voters=args.max_voters):
                best[r.name] = min(best.get(r.name, float("inf")), r.seconds)
                status[r.name] = r.status
            wall.append(time.perf_counter() - start)
        total = sum(best.values())
        over |= min(wall) >= BUDGET_SECONDS
        report[rules_name] = {
            "max_voters": args.max_voters,
            "obligations": {
                n: {"status": status[n], "seconds": round(best[n], 4)} for n in OBLIGATION_NAMES
            },
            "total_seconds": round(total, 4),
            "wall_seconds_best": round(min(wall), 4),
        }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for rules_name, rep in report.items():
            print(f"rules {rules_name}, up to {rep['max_voters']} voters:")
            for n, o in rep["obligations"].items():  # type: ignore[attr-defined]
                print(f"  {o['status']:7} {n:28} {o['seconds']:8.3f} s")
            print(
                f"  total {rep['total_seconds']:.3f} s "
                f"(best wall {rep['wall_seconds_best']:.3f} s, budget {BUDGET_SECONDS:.0f} s)"
            )
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
