"""`raftcheck explore --liveness`: the safety run, then the liveness graph and its verdicts."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from typing import Any

import click

from explorer.bfs import INTERRUPTED, Limits, Progress
from explorer.livegraph import build_graph, builder_note
from explorer.liveness import LiveGraph, LivenessVerdicts, analyse, core_note
from model.cluster import ClusterModel
from model.config import ClusterConfig, ConfigError
from model.liveness import Liveness, LivenessOptions
from model.rules import RuleSet
from model.topology import describe_links, has_connected_quorum, links_mask
from raftcheck import render
from raftcheck.render_liveness import lasso_json, lasso_lines

EXIT_OK, EXIT_VIOLATION, EXIT_PARTIAL = 0, 1, 3


def topology_line(cfg: ClusterConfig) -> str:
    parts = [f"cut={describe_links(cfg.cut_links)}", f"lossy={describe_links(cfg.lossy_links)}"]
    if cfg.partition_faults:
        parts.append(f"partition-faults={cfg.partition_faults}")
    if cfg.partition_later:
        parts.append("(partition comes later)")
    return "topology: " + " ".join(parts)


def check_topology(cfg: ClusterConfig) -> None:
    voters = list(range(1, cfg.voters + 1))
    if cfg.promoted_learners:
        voters = list(range(1, cfg.n + 1))
    down = links_mask(cfg.cut_links) | links_mask(cfg.lossy_links)
    if not has_connected_quorum(voters, len(voters) // 2 + 1, down):
        raise ConfigError(
            "no quorum of voters is connected by healthy links in this topology, so no "
            "liveness property can apply (heal some links or fewer cuts)"
        )


def liveness_graph(
    cfg: ClusterConfig, options: LivenessOptions, rules: RuleSet | None, limits: Limits,
    progress: Any = None, *, core: bool | None = None,
) -> tuple[ClusterModel, LiveGraph, LivenessVerdicts]:
    """`core`: build the graph on the compiled core (True), with the reference (False), or
    the compiled one where it is built (None; explorer/livegraph.py)."""
    model = ClusterModel(cfg, rules, liveness=Liveness(options))
    g = build_graph(model, limits=limits, progress=progress, core=core)
    names = tuple(p.name for p in model.liveness_properties())
    live = model.live
    verdicts = analyse(g, names, live.progress_witness, live.strong_fair)
    return model, g, verdicts


def warnings_for(g: LiveGraph, v: LivenessVerdicts) -> list[str]:
    out = []
    for name, d in v.details.items():
        if d.get("vacuous"):
            what = ("no explored state has a connected quorum" if name == "LeaderElectable"
                    else "no explored state has a settled leader" if "settled_states" in d
                    else "no explored state has a stable leader with healthy links to a quorum")
            out.append(f"{name} is vacuous here: {what}")
    if "timeout" not in g.action_counts:
        out.append("no node ever timed out: no election could happen within these bounds")
    return out


def run_liveness_exploration(
    cfg: ClusterConfig,
    options: LivenessOptions,
    *,
    rules: RuleSet | None,
    symmetry: bool,
    limits: Limits,
    keep_going: bool,
    as_json: bool,
    charts: Any = None,
    **engine_opts: Any,
) -> int:
    """`charts`: a raftcheck.chart.output.ChartOutputs to write the counterexamples to."""
    from raftcheck.cli import run_exploration

    check_topology(cfg)
    if cfg.has_network and symmetry:
        symmetry = False  # symmetry must keep links apart: the safety run goes without it
    show = not as_json and sys.stderr.isatty()
    if not as_json:
        click.echo(f"raftcheck explore: {render.config_line(cfg, symmetry)}")
        click.echo(f"{topology_line(cfg)}")
        click.echo("liveness: on; timing assumptions: "
                   + (", ".join(options.names()) or "none (weak fairness only)"))
        if rules is not None and rules.name != cfg.rules:
            click.echo(f"rules changed: {rules.name} (on top of {cfg.rules})")
    for note in (core_note(), builder_note()):
        if note is not None:
            click.echo(f"raftcheck: note: {note}", err=True)
    code, smodel, sres = run_exploration(
        cfg, rules=rules, symmetry=symmetry, limits=limits, keep_going=True, as_json=False,
        quiet=True, **engine_opts,
    )
    if sres.stop_reason == INTERRUPTED:
        return interrupted_safety_run(smodel, sres, symmetry, limits, as_json)

    def on_progress(p: Progress) -> None:
        click.echo("\r" + render.progress_line(p, limits.time_limit), err=True, nl=False)

    # One time limit for the whole run: the liveness graph gets what the safety run left (the
    # analysis of what was explored then runs to its end).
    live_limits = limits
    if limits.time_limit is not None:
        live_limits = replace(limits, time_limit=max(limits.time_limit - sres.seconds, 1e-3))
    try:
        model, g, v = liveness_graph(cfg, options, rules, live_limits,
                                     on_progress if show else None)
    except KeyboardInterrupt:
        if show:
            click.echo("", err=True)
        return interrupted_liveness_run(smodel, sres, symmetry, limits, as_json)
    if live_limits is not limits and (g.stop_reason or "").startswith("time limit"):
        g.stop_reason = f"time limit {limits.time_limit:g}s reached"  # the run's, not the rest
    if show:
        click.echo("", err=True)
    from raftcheck.vacuity import vacuity_warnings

    warnings = vacuity_warnings(smodel, sres) + warnings_for(g, v)
    violated = bool(sres.violations) or "violated" in v.verdicts.values()
    unknown = not sres.complete or "unknown" in v.verdicts.values()
    invariants = dict(sres.invariants) | v.verdicts
    if as_json:
        out = _safety_json(smodel, sres, symmetry, limits)
        out["config"]["rule_changes"] = None if rules is None else rules.name
        out["config"]["liveness"] = True
        out["config"]["assume"] = options.names()
        out["invariants"] = invariants
        out["violations"] = out["violations"] + [lasso_json(model, g, x) for x in v.lassos]
        out["liveness"] = liveness_json(g, v)
        out["warnings"] = warnings
        click.echo(json.dumps(out, indent=2))
    else:
        _echo_traces(smodel, sres)
        for lasso in v.lassos:
            click.echo("")
            for line in lasso_lines(model, g, lasso):
                click.echo(line)
        _echo_summary("safety run:", smodel, sres)
        click.echo("")
        click.echo("liveness run:")
        for line in liveness_table(model, g, v):
            click.echo("  " + line)
        for w in warnings:
            click.echo(f"raftcheck: warning: {w}", err=True)
        click.echo("")
        if violated:
            names = [n for n, s in invariants.items() if s == "violated"]
            click.echo("VIOLATED: " + ", ".join(names))
        elif unknown:
            names = [n for n, s in invariants.items() if s == "unknown"]
            click.echo("UNKNOWN: " + ", ".join(names) + " (see above: a limit or a bound "
                       "decided nothing for them)")
        else:
            click.echo("OK: every invariant and liveness property holds within the bounds "
                       "(exhaustive; specs/SEMANTICS.md says what that covers)")
    if charts is not None:
        from raftcheck.chart.output import write_explore

        verdict = ("VIOLATED: " + ", ".join(n for n, s in invariants.items() if s == "violated")
                   if violated else "UNKNOWN" if unknown else "OK")
        write_explore(charts, smodel, sres, symmetry=symmetry, quiet=as_json,
                      lassos=[(model, g, x) for x in v.lassos], header=[topology_line(cfg)],
                      verdict=verdict,
                      summary=["safety run:", *render.summary_table(sres, smodel), "",
                               "liveness run:", *liveness_table(model, g, v)])
    if violated:
        return EXIT_VIOLATION
    return EXIT_PARTIAL if unknown else EXIT_OK


def interrupted_safety_run(
    smodel: ClusterModel, sres: Any, symmetry: bool, limits: Limits, as_json: bool
) -> int:
    """Ctrl-C during the safety run: report what it explored; the liveness run never started."""
    from raftcheck.cli import EXIT_INTERRUPTED

    if as_json:
        out = _safety_json(smodel, sres, symmetry, limits)
        out["liveness"] = None
        click.echo(json.dumps(out, indent=2))
    else:
        _echo_summary("safety run (interrupted; the liveness run did not start):", smodel, sres)
        click.echo("")
        click.echo(render.verdict_line(sres))
    return EXIT_INTERRUPTED


def interrupted_liveness_run(
    smodel: ClusterModel, sres: Any, symmetry: bool, limits: Limits, as_json: bool
) -> int:
    """Ctrl-C while the liveness graph was built or analysed: the safety run's report, and
    every liveness property unknown (a partial graph decides nothing)."""
    from model.liveness import PROPERTIES
    from raftcheck.cli import EXIT_INTERRUPTED

    unknown = {p.name: "unknown" for p in PROPERTIES}
    if as_json:
        out = _safety_json(smodel, sres, symmetry, limits)
        out["config"]["liveness"] = True
        out["complete"] = False
        out["invariants"] = dict(out["invariants"]) | unknown
        out["liveness"] = {"complete": False, "stop_reason": INTERRUPTED,
                           "properties": {name: {} for name in unknown}}
        click.echo(json.dumps(out, indent=2))
    else:
        _echo_traces(smodel, sres)
        _echo_summary("safety run:", smodel, sres)
        click.echo("")
        click.echo("liveness run: interrupted (Ctrl-C); " + ", ".join(unknown) + ": unknown")
        click.echo("")
        if sres.violations:
            names = ", ".join(x.invariant for x in sres.violations)
            click.echo(f"VIOLATED: {names} (then the liveness run was interrupted)")
        else:
            click.echo("INTERRUPTED: the safety run found no violation; the liveness run was "
                       "cut short, so its properties are unknown")
    return EXIT_INTERRUPTED


def _safety_json(smodel: ClusterModel, sres: Any, symmetry: bool, limits: Limits) -> Any:
    return render.result_json(smodel, sres, symmetry, {
        "max_states": limits.max_states, "max_depth": limits.max_depth,
        "time_limit": limits.time_limit})


def _echo_traces(smodel: ClusterModel, sres: Any) -> None:
    for violation in sres.violations:
        click.echo("")
        for line in render.trace_lines(smodel, violation):
            click.echo(line)


def _echo_summary(title: str, smodel: ClusterModel, sres: Any) -> None:
    click.echo("")
    click.echo(title)
    for line in render.summary_table(sres, smodel):
        click.echo("  " + line)


def liveness_json(g: LiveGraph, v: LivenessVerdicts) -> dict[str, Any]:
    return {
        "complete": g.complete,
        "stop_reason": g.stop_reason,
        "distinct_states": len(g),
        "transitions": g.transitions,
        "bound_states": len(g.bounded),
        "seconds_explore": round(g.seconds, 3),
        "seconds_analyse": round(v.seconds, 3),
        "graph_bytes": g.graph_bytes(),
        "graph_bytes_per_state": round(g.graph_bytes() / max(len(g), 1), 1),
        "action_counts": g.action_counts,
        "properties": v.details,
    }


def liveness_table(model: ClusterModel, g: LiveGraph, v: LivenessVerdicts) -> list[str]:
    rows = [
        ("complete", "yes" if g.complete else f"no ({g.stop_reason})"),
        ("distinct states", f"{len(g):,} (normalised)"),
        ("transitions", f"{g.transitions:,}"),
        ("bound states", f"{len(g.bounded):,}"),
        ("seconds", f"{g.seconds:.2f} explore, {v.seconds:.2f} analyse"),
        ("graph bytes/state", f"{g.graph_bytes() / max(len(g), 1):.0f}"),
    ]
    lines = [f"{k:<20} {val:>24}" for k, val in rows]
    lines.append("")
    props = model.liveness_properties()
    width = max(len(p.name) for p in props)
    for p in props:
        lines.append(f"{p.name:<{width}}  {v.verdicts.get(p.name, 'unknown'):<9} {p.statement}")
        d = v.details.get(p.name, {})
        extra = ", ".join(f"{k.replace('_', ' ')}: {val:,}" if isinstance(val, int)
                          and not isinstance(val, bool) else f"{k.replace('_', ' ')}: {val}"
                          for k, val in d.items())
        if extra:
            lines.append(f"{'':<{width}}            {extra}")
    return lines
