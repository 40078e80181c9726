"""Human and JSON renderings of exploration results (TLC-style traces and summaries)."""

from __future__ import annotations

import os
import sys
from typing import Any

from explorer.bfs import INTERRUPTED, Progress, Result, Violation
from model.cluster import ClusterModel
from model.config import ClusterConfig


def config_line(cfg: ClusterConfig, symmetry: bool) -> str:
    faults = ",".join(cfg.as_dict()["faults"]) or "none"  # type: ignore[arg-type]
    parts = [
        f"voters={cfg.voters}",
        f"learners={cfg.learners}{' (promoted)' if cfg.promoted_learners else ''}",
        f"rules={cfg.rules}",
        f"pre-vote={'on' if cfg.pre_vote else 'off'}",
        f"check-quorum={'on' if cfg.check_quorum else 'off'}",
        f"election-timeout={cfg.election_timeout}",
        f"max-term={cfg.max_term}",
        f"max-msgs={cfg.max_msgs}",
        f"faults={faults}",
    ]
    if cfg.duplicates or cfg.restarts:
        parts.append(f"budgets=duplicate:{cfg.duplicates},restart:{cfg.restarts}")
    if cfg.transfers:
        parts.append(f"transfers={cfg.transfers}")
    if cfg.appends:
        parts.append(f"appends={cfg.appends}")
    if cfg.start_leader:
        parts.append(f"start-leader={cfg.start_leader}")
    if cfg.crashed:
        parts.append("crashed=" + ",".join(map(str, sorted(cfg.crashed))))
    if cfg.conf_changes:
        parts.append(f"conf-changes={cfg.conf_changes}")
        parts.append("conf-change=" + "|".join(cfg.conf_specs) if cfg.conf_specs
                     else "conf-kinds=" + ",".join(cfg.conf_kinds))
        parts.append("conf-entry=" + ",".join(cfg.conf_entry))
        if cfg.spares:
            parts.append(f"spares={cfg.spares}")
    parts.append(f"symmetry={'on' if symmetry else 'off'}")
    return " ".join(parts)


def progress_line(p: Progress, time_limit: float | None = None) -> str:
    """The progress line: counts, rate, elapsed time, resident memory and, for a time-limited
    run, the time left (no other ETA: a BFS does not know how many states remain)."""
    line = (
        f"{p.distinct:>12,} distinct  {p.transitions:>13,} transitions  "
        f"queue {p.queue:>10,}  depth {p.depth:>3}  {p.rate:>9,.0f} states/s  {p.seconds:7.1f}s"
    )
    rss = resident_mib()
    if rss is not None:
        line += f"  {rss:,.0f} MiB"
    if time_limit is not None:
        line += f"  {max(time_limit - p.seconds, 0.0):.0f}s left"
    return line


def resident_mib() -> float | None:
    """This process's resident memory in MiB (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource  # Unix only

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10
    except (ImportError, OSError):
        return None


# From this estimated chance on, an OK from the fingerprint set says how uncertain it is.
COLLISION_NOTE = 1e-3


def verdict_line(result: Result) -> str:
    interrupted = result.stop_reason == INTERRUPTED
    if result.violations:
        names = ", ".join(v.invariant for v in result.violations)
        return f"VIOLATED: {names}" + (" (then the run was interrupted)" if interrupted else "")
    if interrupted:
        return "INTERRUPTED: no violation found before Ctrl-C; a partial run proves nothing"
    if result.complete:
        risk = result.fingerprint_collision
        if risk is not None and risk >= COLLISION_NOTE:
            return ("OK: every invariant holds in every reachable state (exhaustive, but with a "
                    f"{risk:.1e} chance that a fingerprint collision hid a state; "
                    "--state-set exact is certain)")
        return "OK: every invariant holds in every reachable state (exhaustive)"
    return f"PARTIAL: no violation found, but the run stopped early ({result.stop_reason})"


def complete_label(result: Result) -> str:
    """The summary's `complete` row. A --keep-going run that found violations visited every
    reachable state although `complete` (no violation, nothing left) is false."""
    if result.complete:
        return "yes"
    if result.stop_reason is None:
        return "yes (every reachable state visited; violations found)"
    if result.stop_reason == "invariant violated":
        return "no (stopped at the first violation)"
    return f"no (partial: {result.stop_reason})"


def engine_label(result: Result) -> str:
    """The summary's engine row: "fast", or "fast, 2 workers" for a parallel search."""
    return result.engine if result.workers == 1 else f"{result.engine}, {result.workers} workers"


def size_label(nbytes: int) -> str:
    """Bytes for people: 2.1 GB, 340.5 MB, 12.0 kB (powers of ten)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes / 1e3:.1f} kB"


def spill_line(result: Result) -> str | None:
    """The summary's line on what the fingerprint search held on disk, if anything."""
    if not result.spilled_bytes:
        return None
    return (f"{'disk':<20} {size_label(result.spilled_bytes)} of queue and parent links "
            f"spilled to {result.spill_dir} (removed at the end)")


def summary_table(result: Result, model: ClusterModel) -> list[str]:
    rows = [
        ("complete", complete_label(result)),
        ("distinct states", f"{result.distinct_states:,}"),
        ("transitions", f"{result.transitions:,}"),
        ("max depth", str(result.max_depth)),
        ("seconds", f"{result.seconds:.2f}"),
        ("states/s", f"{result.states_per_second:,.0f}"),
        ("engine", engine_label(result)),
    ]
    if result.state_bytes and result.distinct_states:
        rows.append(("bytes/state", f"{result.state_bytes / result.distinct_states:,.1f}"))
    if result.fingerprint_collision is not None:
        rows.append(("P(collision)", f"{result.fingerprint_collision:.1e}"))
    for kind, count in sorted(result.action_counts.items()):
        rows.append((f"  {kind}", f"{count:,}"))
    lines = [f"{k:<20} {v:>16}" for k, v in rows]
    spilled = spill_line(result)
    if spilled is not None:
        lines.append(spilled)
    lines.append("")
    width = max(len(inv.name) for inv in model.invariants())
    for inv in model.invariants():
        status = result.invariants.get(inv.name, "unknown")
        lines.append(f"{inv.name:<{width}}  {status:<9} {inv.statement}")
    return lines


def trace_lines(model: ClusterModel, violation: Violation) -> list[str]:
    inv = next(i for i in model.invariants() if i.name == violation.invariant)
    lines = [
        f"Invariant {inv.name} violated: {inv.statement}",
        f"Shortest trace ({len(violation)} steps):",
        "  0: initial state",
    ]
    lines += [f"       {line}" for line in model.describe_state(violation.init)]
    prev = violation.init
    for k, step in enumerate(violation.steps, 1):
        lines.append(f"{k:>3}: {model.describe_action(step.action)}")
        changes = model.describe_changes(prev, step.state) or ["(no change)"]
        lines += [f"       {line}" for line in changes]
        prev = step.state
    lines.append("  final state:")
    lines += [f"       {line}" for line in model.describe_state(prev)]
    return lines


def action_json(model: ClusterModel, action: tuple[Any, ...]) -> dict[str, Any]:
    from model.messages import MSG_NAMES

    kind = action[0]
    out: dict[str, Any] = {"kind": kind, "text": model.describe_action(action)}
    if kind in ("deliver", "drop", "duplicate"):
        m = action[1]
        out["message"] = {
            "type": MSG_NAMES[m[0]],
            "from": m[1],
            "to": m[2],
            "term": m[3],
            "log_term": m[4],
            "index": m[5],
            "reject": m[6],
            "force": m[7],
            "entries": list(m[8]),
        }
    elif kind == "transfer":
        out["node"], out["to"] = action[1], action[2]
    else:
        out["node"] = action[1]
    return out


def violation_json(model: ClusterModel, violation: Violation) -> dict[str, Any]:
    steps = []
    prev = violation.init
    for k, step in enumerate(violation.steps, 1):
        steps.append(
            {
                "step": k,
                "action": action_json(model, step.action),
                "changes": model.describe_changes(prev, step.state),
            }
        )
        prev = step.state
    return {
        "invariant": violation.invariant,
        "length": len(violation),
        "initial_state": model.describe_state(violation.init),
        "trace": steps,
        "final_state": model.describe_state(prev),
    }


def result_json(
    model: ClusterModel, result: Result, symmetry: bool, limits: dict[str, Any]
) -> dict[str, Any]:
    config = model.cfg.as_dict()
    config["symmetry"] = symmetry
    config.update(limits)
    return {
        "complete": result.complete,
        "stop_reason": result.stop_reason,
        "distinct_states": result.distinct_states,
        "transitions": result.transitions,
        "max_depth": result.max_depth,
        "seconds": round(result.seconds, 3),
        "states_per_second": round(result.states_per_second, 1),
        "action_counts": result.action_counts,
        "engine": result.engine,
        "state_bytes": result.state_bytes,
        "fingerprint_collision": result.fingerprint_collision,
        "workers": result.workers,
        "spilled_bytes": result.spilled_bytes,
        "config": config,
        "invariants": result.invariants,
        "violations": [violation_json(model, v) for v in result.violations],
    }
