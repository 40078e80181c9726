"""Seconds and memory of the liveness analysis alone: the pure-Python reference against the
compiled kernels (explorer/_livecore.c), on the same graph, side by side.

    python bench/liveness_analysis.py [--only NAME,...] [--runs 3] [--no-memory] [--json out.json]
        [--baseline OLD/explorer/liveness.py]

Per configuration it builds the liveness graph once (as `raftcheck explore --liveness` does),
then analyses it:

1. once with the Python kernels and the model's progress witness, as the CLI did before
   (`py+witness s`); the witness's own seconds are summed (`witness s`: model code, the same
   for both implementations) and its answers recorded;
2. then --runs times each, alternating, Python and compiled, with the recorded witness answers
   (so neither profits from the other's warm caches): `py s`, `C s` (medians) and their ratio;
   `C+witness s` = C s + witness s is what the CLI reports now;
3. with tracemalloc (unless --no-memory), the peak bytes each allocates on top of the graph
   while it runs, per state (`py B/st`, `C B/st`; the C kernels allocate through PyMem, which
   tracemalloc sees).

With --baseline (another checkout's explorer/liveness.py, e.g. `git show
main:explorer/liveness.py > /tmp/old_liveness.py`), its `analyse` runs too, on the same graph
with the same witness answers (`old s`, `old B/st`): the code before the compiled kernels.

Every run must give the same verdicts, details and lassos (edge by edge) or the script stops.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import raftcheck.liveness_run as live_run
from explorer import liveness
from raftcheck.cli import main as cli_main

CONFIGS: dict[str, list[str]] = {
    "n3": ["--nodes", "3"],
    "lossy": ["--nodes", "3", "--lossy", "1-3"],
    "rejoin-pv": ["--nodes", "3", "--pre-vote", "--partition", "3|1,2",
                  "--partition-faults", "1"],
}


def outcome(v: liveness.LivenessVerdicts) -> Any:
    return (v.verdicts, v.details,
            [(x.prop, x.init, x.prefix, x.cycle, x.marks, x.note) for x in v.lassos])


def load_baseline(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("baseline_liveness", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: cannot load")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def measure(g: liveness.LiveGraph, names: tuple[str, ...], witness: Any,
            strong: Callable[[int], bool], runs: int, memory: bool,
            baseline: Any = None) -> tuple[dict[str, Any], liveness.LivenessVerdicts]:
    answers: dict[Any, bool] = {}
    spent = [0.0]

    def timed_witness(state: Any) -> bool:
        t = time.perf_counter()
        answers[state] = ok = bool(witness(state))
        spent[0] += time.perf_counter() - t
        return ok

    t0 = time.perf_counter()
    first = liveness.analyse(g, names, timed_witness, strong, core=False)
    cold = time.perf_counter() - t0
    want = outcome(first)
    replay = answers.__getitem__
    # None: the baseline module's analyse; False/True: this one's, Python/compiled kernels.
    kinds: list[bool | None] = [True, False] + ([None] if baseline is not None else [])

    def analyse(kind: bool | None) -> liveness.LivenessVerdicts:
        if kind is None:
            return baseline.analyse(g, names, replay, strong)  # type: ignore[no-any-return]
        return liveness.analyse(g, names, replay, strong, core=kind)

    secs: dict[bool | None, list[float]] = {k: [] for k in kinds}
    for i in range(runs):
        for kind in (kinds if i % 2 == 0 else kinds[::-1]):
            t = time.perf_counter()
            got = analyse(kind)
            secs[kind].append(time.perf_counter() - t)
            if outcome(got) != want:
                raise SystemExit(f"{kind}: the analysis differs from the reference's")
    row: dict[str, Any] = {
        "states": len(g), "transitions": g.transitions, "verdicts": first.verdicts,
        "py_witness_s": round(cold, 3), "witness_s": round(spent[0], 3),
        "py_s": round(statistics.median(secs[False]), 3),
        "c_s": round(statistics.median(secs[True]), 3),
    }
    row["ratio"] = round(row["py_s"] / row["c_s"], 1) if row["c_s"] else None
    row["c_witness_s"] = round(row["c_s"] + spent[0], 3)
    if baseline is not None:
        row["old_s"] = round(statistics.median(secs[None]), 3)
        row["old_ratio"] = round(row["old_s"] / row["c_s"], 1) if row["c_s"] else None
    if memory:
        names_of = {False: "py_bytes_per_state", True: "c_bytes_per_state",
                    None: "old_bytes_per_state"}
        for kind in kinds:
            key = names_of[kind]
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            analyse(kind)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            row[key] = round((peak - base) / max(1, len(g)), 1)
    return row, first


def run_config(args: list[str], runs: int, memory: bool, baseline: Any) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    real = live_run.analyse

    def patched(g: liveness.LiveGraph, names: tuple[str, ...], witness: Any = None,
                strong: Callable[[int], bool] = lambda k: False) -> liveness.LivenessVerdicts:
        row, first = measure(g, names, witness, strong, runs, memory, baseline)
        rows.append(row)
        return first

    live_run.analyse = patched  # type: ignore[assignment]
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
            cli_main(["explore", "--liveness", "--json", *args], standalone_mode=False)
    finally:
        live_run.analyse = real  # type: ignore[assignment]
    if not rows:
        raise SystemExit(f"{' '.join(args)}: the liveness analysis did not run")
    return rows[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default=None, help="comma-separated configuration names")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--json", default=None)
    ap.add_argument("--baseline", default=None, help="an older explorer/liveness.py to time too")
    a = ap.parse_args()
    baseline = load_baseline(a.baseline) if a.baseline else None
    if liveness.core_note() is not None:
        raise SystemExit(liveness.core_note())
    names = a.only.split(",") if a.only else list(CONFIGS)
    print(f"{'config':<10} {'states':>10} {'edges':>11} {'py+witness s':>12} {'witness s':>9} "
          f"{'py s':>7} {'C s':>6} {'x':>5} {'C+witness s':>11} {'py B/st':>7} {'C B/st':>6}"
          + (f" | {'old s':>7} {'x old':>5} {'old B/st':>8}" if baseline else ""))
    results = {}
    for name in names:
        r = run_config(CONFIGS[name], a.runs, not a.no_memory, baseline)
        results[name] = {"args": CONFIGS[name], **r}
        line = (f"{name:<10} {r['states']:>10,} {r['transitions']:>11,} "
                f"{r['py_witness_s']:>12.2f} {r['witness_s']:>9.2f} {r['py_s']:>7.2f} "
                f"{r['c_s']:>6.2f} {r['ratio']:>5} {r['c_witness_s']:>11.2f} "
                f"{r.get('py_bytes_per_state', '-'):>7} {r.get('c_bytes_per_state', '-'):>6}")
        if baseline is not None:
            line += (f" | {r['old_s']:>7.2f} {r['old_ratio']:>5} "
                     f"{r.get('old_bytes_per_state', '-'):>8}")
        print(line, flush=True)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
