"""Liveness results as text and JSON: verdict lines and lassos (prefix, then the marked cycle)."""

from __future__ import annotations

from typing import Any

from explorer.liveness import Lasso, LiveGraph, edge_action
from model.cluster import ClusterModel
from model.liveness import replay, term_shift
from raftcheck.render import action_json

Step = tuple[Any, Any]


def concrete(model: ClusterModel, g: LiveGraph, lasso: Lasso) -> tuple[Any, list[Step], list[Step]]:
    """(initial state, prefix steps, cycle steps) with real terms and indexes."""
    init = g.states[lasso.init]
    path = [(edge_action(model, g, e), g.states[g.dst[e]]) for e in lasso.prefix + lasso.cycle]
    steps = replay(model, init, path)
    return init, steps[: len(lasso.prefix)], steps[len(lasso.prefix) :]


def lasso_lines(model: ClusterModel, g: LiveGraph, lasso: Lasso) -> list[str]:
    prop = next(p for p in model.liveness_properties() if p.name == lasso.prop)
    init, prefix, cycle = concrete(model, g, lasso)
    marks = {v: k for k, v in lasso.marks.items()}
    lines = [f"Liveness property {prop.name} violated: {prop.statement}"]
    if cycle:
        lines.append(f"Lasso: a prefix of {len(prefix)} steps, then a cycle of {len(cycle)} "
                     "steps that repeats forever:")
    else:
        lines.append(f"Counterexample ({len(prefix)} steps):")
    lines.append("  0: initial state")
    lines += [f"       {line}" for line in model.describe_state(init)]
    prev = init
    for k, (action, st) in enumerate(prefix + cycle, 1):
        if cycle and k == len(prefix) + 1:
            lines.append("  <<< start of cycle >>>")
        lines.append(f"{k:>3}: {model.describe_action(action)}")
        lines += [f"       {c}" for c in model.describe_changes(prev, st) or ["(no change)"]]
        if k in marks:
            lines.append(f"  <<< {_mark_text(marks[k])} >>>")
        prev = st
    if lasso.marks.get("stuck") == 0:
        lines.append("  <<< the initial state is already stuck >>>")
    if cycle:
        start = prefix[-1][1] if prefix else init
        shift = term_shift(model, start, prev)
        more = f", with every term {shift:+d}" if shift else ""
        lines.append(f"  <<< back to step {len(prefix)}{more}: the cycle repeats >>>")
    elif lasso.note:
        lines.append(f"  <<< {lasso.note} >>>")
    lines.append("  final state:")
    lines += [f"       {line}" for line in model.describe_state(prev)]
    return lines


def _mark_text(mark: str) -> str:
    return {
        "stable": "a stable leader with healthy links to a quorum",
        "settled": "a settled leader: followed by every voter it reaches, none of them at a higher "
                   "term, no campaign message in flight",
        "deposed": "that leader is deposed (or a higher-term leader elected)",
        "stuck": "from here no fault-free continuation reaches a stable leader",
    }.get(mark, mark)


def lasso_json(model: ClusterModel, g: LiveGraph, lasso: Lasso) -> dict[str, Any]:
    init, prefix, cycle = concrete(model, g, lasso)

    def steps(seq: list[Step], first: int, prev: Any) -> tuple[list[dict[str, Any]], Any]:
        out = []
        for k, (action, st) in enumerate(seq, first):
            out.append({"step": k, "action": action_json(model, action),
                        "changes": model.describe_changes(prev, st)})
            prev = st
        return out, prev

    pre, last = steps(prefix, 1, init)
    cyc, end = steps(cycle, len(prefix) + 1, last)
    return {
        "invariant": lasso.prop,
        "kind": "liveness",
        "length": len(prefix) + len(cycle),
        "initial_state": model.describe_state(init),
        "prefix": pre,
        "cycle": cyc,
        "cycle_term_shift": term_shift(model, last, end) if cycle else None,
        "marks": lasso.marks,
        "note": lasso.note or None,
        "final_state": model.describe_state(end),
    }
