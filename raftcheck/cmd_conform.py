"""`raftcheck conform` and `raftcheck replay`: impl-vs-model conformance from the command line.

Exit codes: 0 conformant, 1 divergence, 2 bad input (one line on stderr, no traceback).
The main CLI registers them with ``from raftcheck.cmd_conform import conform, replay``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import click
from click.core import ParameterSource

from model.config import ClusterConfig, ConfigError
from raftcheck.chart.output import ChartOutputs, chart_options


def _bad_input(msg: str) -> NoReturn:
    click.echo(f"raftcheck: error: {msg}", err=True)
    sys.exit(2)


def _progress_shown(as_json: bool) -> bool:
    """Progress goes to stderr, and only to a terminal (a log or a pipe gets none)."""
    return not as_json and sys.stderr.isatty()


def _progress_line(text: str) -> None:
    click.echo(f"\r  ... {text}\033[K", err=True, nl=False)


def _progress_done() -> None:
    click.echo("\r\033[K", err=True, nl=False)


def _print_seed(seed: int, as_json: bool) -> None:
    # The seed goes first, so that it is there even if the run is interrupted.
    click.echo(f"seed: {seed}", err=as_json)


@click.command("conform")
@click.option("--nodes", type=int, default=None, help="Number of voters (default: 3-5 drawn).")
@click.option("--examples", type=int, default=200, show_default=True,
              help="Hypothesis examples (lockstep runs).")
@click.option("--steps", type=int, default=100, show_default=True,
              help="At most this many steps per lockstep run.")
@click.option("--seed", type=int, default=None, help="Random seed (printed; default: random).")
@click.option("--rules", type=str, default=None,
              help="Rule set: seed or etcd-3.4 (default: both are drawn).")
@click.option("--exhaustive", is_flag=True,
              help="Exhaustive differential mode: every transition of the model's state space "
                   "(3 voters at the explorer's default bounds unless --nodes/--rules).")
@click.option("--symmetry", is_flag=True,
              help="With --exhaustive: one state per symmetry orbit (faster).")
@click.option("--pre-vote", is_flag=True,
              help="With --exhaustive: pre-vote on (lockstep runs draw it at random).")
@click.option("--check-quorum", is_flag=True,
              help="With --exhaustive: check-quorum on (lockstep runs draw it at random).")
@click.option("--time-limit", type=float, default=None,
              help="With --exhaustive: stop after this many seconds.")
@click.option("--max-term", type=int, default=None,
              help="With --exhaustive: term bound (default: the explorer's).")
@click.option("--max-msgs", type=int, default=None,
              help="With --exhaustive: in-flight message bound (default: the explorer's).")
@click.option("--learners", type=int, default=None,
              help="Learners after the voters (--exhaustive: default 0; lockstep runs with "
                   "--conf-changes: default drawn 0-2).")
@click.option("--spares", type=int, default=None,
              help="With --conf-changes: nodes outside the initial configuration that a "
                   "change may add (--exhaustive: default 0; lockstep runs: drawn 0-1).")
@click.option("--conf-changes", type=int, default=None,
              help="Budget of membership changes per run (default 0: none); lockstep runs "
                   "then propose and apply changes (rules drawn from etcd-3.4, etcd-3.5).")
@click.option("--conf-kinds", type=str, default=None,
              help="With --conf-changes: the change kinds a leader may propose "
                   "(add,remove,promote,demote,joint).")
@click.option("--conf-change", "conf_change", type=str, multiple=True,
              help="With --conf-changes: only this change may be proposed (repeatable), e.g. "
                   "promote:4, remove:3, joint:promote:4+remove:1.")
@click.option("--conf-entry", type=str, default=None,
              help="With --conf-changes: encodings of simple changes (v1,v2).")
@click.option("--engine", type=click.Choice(["program", "stateful"]), default="program",
              show_default=True, help="Lockstep driver (same rules and checks).")
@click.option("--impl", "impl", type=str, default="python", show_default=True,
              help="Implementation checked: python (impl/), etcd (etcd 3.4.23's raft library "
                   "through etcdharness; etcd-3.4 rules only; build it with "
                   "`bash etcdharness/build.sh`), 'cmd:PROGRAM [ARGS]' (any program speaking "
                   "specs/HARNESS.md) or module:package.module:factory (a Python node "
                   "factory).")
@click.option("--kit", is_flag=True,
              help="With --impl cmd:...: run the conformance kit (single requests with known "
                   "answers) and list the requests the harness answers wrongly.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--trace-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("raftcheck-traces"), show_default=True,
              help="Where the minimal divergent run is written as a replayable JSON trace.")
@chart_options()
@click.pass_context
def conform(
    ctx: click.Context,
    nodes: int | None,
    examples: int,
    steps: int,
    seed: int | None,
    rules: str | None,
    exhaustive: bool,
    symmetry: bool,
    pre_vote: bool,
    check_quorum: bool,
    time_limit: float | None,
    max_term: int | None,
    max_msgs: int | None,
    learners: int | None,
    spares: int | None,
    conf_changes: int | None,
    conf_kinds: str | None,
    conf_change: tuple[str, ...],
    conf_entry: str | None,
    engine: str,
    impl: str,
    kit: bool,
    as_json: bool,
    trace_dir: Path,
    **chart_paths: Path | None,
) -> None:
    """Check that the impl/ port (or etcd's raft library) and the model/ agree, action by
    action."""
    import random

    charts = ChartOutputs.pop(chart_paths)
    why = charts.problem()
    if why is not None:
        _bad_input(why)

    from conformance.nodes import BackendUnavailable
    from conformance.run import check_args, run_lockstep

    if kit:
        from raftcheck.cmd_kit import run_kit_command

        run_kit_command(impl, as_json)
    try:
        check_args(nodes, examples, rules, impl)
        if impl == "etcd" and engine != "program":
            raise ConfigError("--impl etcd runs the program engine only")
        if steps < 1:
            raise ConfigError(f"--steps must be at least 1 (got {steps})")
        if time_limit is not None and time_limit <= 0:
            raise ConfigError("--time-limit must be positive")
        check_mode_options(ctx, exhaustive)
        check_conf_options(ctx, exhaustive, conf_changes)
        conf = None if exhaustive else _lockstep_conf(
            learners, spares, conf_changes, conf_kinds, conf_change, conf_entry)
        if conf is not None:
            conf.shapes(nodes)  # a spec that makes no sense in any drawn cluster: bad input
    except ConfigError as e:
        _bad_input(str(e))
    if exhaustive:
        pairs = (("max_term", max_term), ("max_msgs", max_msgs))
        bounds: dict[str, Any] = {k: v for k, v in pairs if v is not None}
        bounds.update(pre_vote=pre_vote, check_quorum=check_quorum)
        bounds.update(_membership_options(learners, spares, conf_changes, conf_kinds,
                                          conf_change, conf_entry))
        _exhaustive(nodes, rules, symmetry, time_limit, as_json, trace_dir, bounds, impl,
                    charts)
        return
    if seed is None:
        seed = random.randrange(1 << 32)
    _print_seed(seed, as_json)
    show = _progress_shown(as_json)

    def progress(done: int, steps_run: int, seconds: float) -> None:
        _progress_line(f"{done:,}/{examples:,} examples, {steps_run:,} steps, {seconds:.0f}s")

    try:
        report = run_lockstep(
            nodes, examples, seed, rules, steps=steps, trace_dir=trace_dir, engine=engine,
            impl=impl, progress=progress if show else None, conf=conf,
        )
    except (ConfigError, BackendUnavailable) as e:
        _bad_input(str(e))
    finally:
        if show:
            _progress_done()
    if impl != "python" and report.error and report.divergence is None:
        # The etcd harness (or its process) failed: one line, exit 2, no divergence claimed.
        if as_json:
            click.echo(json.dumps(report.as_json(), indent=1))
        _bad_input(f"etcd harness failure: {_one_line(report.error)}")
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=1))
    else:
        click.echo(
            f"{report.examples} examples, {report.steps} steps in {report.seconds:.2f}s "
            f"({report.steps_per_second:.0f} steps/s)"
        )
        if conf is not None:
            cs = report.conf_steps or {}
            click.echo(f"membership changes: {cs.get('propose-conf', 0)} propose-conf and "
                       f"{cs.get('apply', 0)} apply steps")
        if report.error:
            click.echo(f"harness error: {report.error}")
        if report.divergence is not None:
            click.echo(f"DIVERGENCE (minimal run, {report.minimal_steps()} steps):")
            for line in report.divergence["rendered"]:
                click.echo(line)
            if report.trace_file:
                click.echo(f"trace written to {report.trace_file}")
        elif report.conformant:
            click.echo(f"conformant: {_side(impl)} and model agree")
    _write_charts(charts, report.divergence, as_json, [
        f"raftcheck conform: seed {seed}, {report.examples} examples, {report.steps} steps, "
        f"implementation {_side(impl)}"])
    sys.exit(0 if report.conformant else 1)


# Options that only one mode reads; given on the command line to the other mode, they would
# be silently ignored, so they are refused instead.
EXHAUSTIVE_ONLY = ("symmetry", "pre_vote", "check_quorum", "time_limit", "max_term", "max_msgs")
# Options that mean something only with a budget of membership changes (--conf-changes N >= 1).
# --learners alone is fine with --exhaustive (a static cluster with learners).
CONF_ONLY = ("spares", "conf_kinds", "conf_change", "conf_entry", "learners")
LOCKSTEP_ONLY = ("examples", "steps", "seed", "engine")


def check_mode_options(ctx: click.Context, exhaustive: bool) -> None:
    """Raise ConfigError for an option given on the command line that this mode ignores."""
    names, mode = (LOCKSTEP_ONLY, "lockstep runs (without --exhaustive)") if exhaustive \
        else (EXHAUSTIVE_ONLY, "--exhaustive")
    for name in names:
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            flag = "--" + name.replace("_", "-")
            raise ConfigError(f"{flag} applies to {mode} only")


def check_conf_options(ctx: click.Context, exhaustive: bool, conf_changes: int | None) -> None:
    """Raise ConfigError for a membership option given without a budget to use it."""
    if conf_changes is not None and conf_changes < 0:
        raise ConfigError(f"--conf-changes must be at least 0 (got {conf_changes})")
    if conf_changes:
        return
    for name in CONF_ONLY:
        if name == "learners" and exhaustive:
            continue
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            flag = "--" + name.replace("_", "-")
            why = " (lockstep runs without changes draw 0-2 learners)" \
                if name == "learners" else ""
            raise ConfigError(f"{flag} needs --conf-changes N with N >= 1{why}")


def _lockstep_conf(
    learners: int | None, spares: int | None, conf_changes: int | None, conf_kinds: str | None,
    conf_change: tuple[str, ...], conf_entry: str | None,
) -> Any:
    """The `conformance.lockstep.ConfDraw` of the membership options (None: no changes)."""
    if not conf_changes:
        return None
    from conformance.lockstep import ConfDraw
    from model.conf_specs import SpecError, parse_encodings, parse_kinds

    try:
        kinds = parse_kinds(conf_kinds) if conf_kinds is not None else None
        entry = parse_encodings(conf_entry) if conf_entry is not None else None
    except SpecError as e:
        raise ConfigError(str(e)) from None
    return ConfDraw(conf_changes=conf_changes, learners=learners, spares=spares,
                    conf_kinds=kinds, conf_specs=tuple(conf_change), conf_entry=entry)


def _membership_options(
    learners: int | None, spares: int | None, conf_changes: int | None, conf_kinds: str | None,
    conf_change: tuple[str, ...], conf_entry: str | None,
) -> dict[str, Any]:
    """The ClusterConfig fields of the membership-change options given (the model validates
    them)."""
    out: dict[str, Any] = {}
    if learners is not None:
        out["learners"] = learners
    if spares is not None:
        out["spares"] = spares
    if conf_changes is not None:
        out["conf_changes"] = conf_changes
    if conf_kinds is not None:
        out["conf_kinds"] = tuple(k.strip() for k in conf_kinds.split(",") if k.strip())
    if conf_change:
        out["conf_specs"] = tuple(conf_change)
    if conf_entry is not None:
        out["conf_entry"] = tuple(k.strip() for k in conf_entry.split(",") if k.strip())
    return out


def _write_charts(
    charts: ChartOutputs, divergence: dict[str, Any] | None, as_json: bool, header: list[str],
    run: Any = None,
) -> None:
    """The divergent run as a chart on the model's side (no file is asked for: nothing)."""
    if not charts.wanted():
        return
    from raftcheck.chart.output import report_charts
    from raftcheck.chart.sources import divergence_chart, lockstep_chart

    drawn = []
    if run is not None:
        drawn = [lockstep_chart(run)]
    elif divergence is not None:
        drawn = [divergence_chart(divergence)]
    verdict = (f"DIVERGENCE ({len(drawn[0])} steps)" if drawn
               else "conformant: no divergence found")
    try:
        report_charts(charts, "raftcheck conform", header, verdict, drawn, quiet=as_json,
                      bad=bool(drawn))
    except click.UsageError as e:
        _bad_input(e.format_message())


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _side(impl: str) -> str:
    if impl.startswith(("cmd:", "module:")):
        return impl
    return "etcd" if impl == "etcd" else "impl"


def _exhaustive(
    nodes: int | None,
    rules: str | None,
    symmetry: bool,
    time_limit: float | None,
    as_json: bool,
    trace_dir: Path | None,
    bounds: dict[str, Any],
    impl: str = "python",
    charts: ChartOutputs | None = None,
) -> None:
    from conformance.differential import run_differential
    from conformance.nodes import BackendUnavailable, make_backend
    from conformance.run import ETCD_RULES, replay_actions
    from conformance.trace import trace_to_json, write_trace

    kw: dict[str, Any] = dict(bounds)
    if nodes is not None:
        kw["voters"] = nodes
    if rules is not None:
        kw["rules"] = rules
    elif impl == "etcd":
        kw["rules"] = ETCD_RULES
    try:
        if impl not in ("python", "etcd") and not impl.startswith(("cmd:", "module:")):
            raise ConfigError(f"unknown implementation {impl!r}")
        backend = make_backend(impl)
    except (ConfigError, BackendUnavailable) as e:
        _bad_input(str(e))
    try:
        if rules is None and impl != "etcd" and backend.rules and len(backend.rules) == 1:
            kw["rules"] = backend.rules[0]  # a plug-in implementing one rule set
        cfg = ClusterConfig(**kw)
        cfg.validate()
        if backend.rules is not None and cfg.rules not in backend.rules:
            raise ConfigError(f"--rules {cfg.rules}: {_side(impl)} implements "
                              f"{', '.join(backend.rules)} only")
    except (ConfigError, BackendUnavailable) as e:
        backend.close()
        _bad_input(str(e))

    show = _progress_shown(as_json)

    def progress(states: int, transitions: int, seconds: float) -> None:
        _progress_line(f"{states:,} states, {transitions:,} transitions, {seconds:.0f}s"
                       + (f" ({max(time_limit - seconds, 0):.0f}s left)" if time_limit else ""))

    try:
        try:
            rep = run_differential(cfg, symmetry=symmetry, time_limit=time_limit,
                                   progress=progress if show else None, backend=backend)
        except Exception as e:  # noqa: BLE001 - e.g. the model failing on this configuration
            _bad_input(_one_line(f"the exhaustive run failed: {type(e).__name__}: {e}"))
        finally:
            if show:
                _progress_done()
        div_json = None
        trace_file = None
        if rep.divergences:
            d = rep.divergences[0]
            try:
                run = replay_actions(cfg, d.actions, backend)
            except Exception as e:  # noqa: BLE001 - e.g. the harness failing again
                _bad_input(_one_line(f"replaying the divergence failed: {type(e).__name__}: {e}"))
            div_json = trace_to_json(run)
            div_json["local_problems"] = d.problems
            if trace_dir is not None:
                trace_file = str(write_trace(run, Path(trace_dir) / "conform-exhaustive.json"))
    finally:
        backend.close()
    if as_json:
        click.echo(json.dumps({
            "conformant": rep.conformant,
            "complete": rep.complete,
            "mode": "exhaustive",
            "states": rep.states,
            "transitions": rep.transitions,
            "local_steps": rep.local_steps,
            "seconds": round(rep.seconds, 3),
            "symmetry": rep.symmetry,
            "stop_reason": rep.stop_reason,
            "divergence": div_json,
            "trace_file": trace_file,
        }, indent=1))
    else:
        click.echo(
            f"exhaustive: {rep.states} states, {rep.transitions} transitions, "
            f"{rep.local_steps} distinct local steps run on {_side(impl)}, {rep.seconds:.1f}s"
            + (" (symmetry reduced)" if rep.symmetry else "")
        )
        if rep.stop_reason and not rep.divergences:
            click.echo(f"incomplete: {rep.stop_reason}")
        if div_json is not None:
            click.echo("DIVERGENCE:")
            for p in rep.divergences[0].problems:
                click.echo(f"  {p}")
            for line in div_json["rendered"]:
                click.echo(line)
            if trace_file:
                click.echo(f"trace written to {trace_file}")
        elif rep.complete:
            click.echo(f"conformant: {_side(impl)} and model agree on every transition")
    if charts is not None:
        _write_charts(charts, div_json, as_json, [
            f"raftcheck conform --exhaustive: {rep.states} states, {rep.transitions} "
            f"transitions, implementation {_side(impl)}"])
    if rep.divergences:
        sys.exit(1)
    sys.exit(0 if rep.complete else 1)


@click.command("replay")
@click.argument("trace_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--impl", "impl", type=str, default=None,
              help="Run the trace on this implementation (python, etcd, 'cmd:PROGRAM [ARGS]', "
                   "module:package.module:factory) instead of the one it names.")
@chart_options()
def replay(
    trace_file: Path, as_json: bool, impl: str | None = None, **chart_paths: Path | None
) -> None:
    """Re-run a JSON trace on impl and model; show the first step where they diverge."""
    from conformance.trace import TraceError, load_trace, trace_to_json
    from conformance.trace import replay as do_replay

    charts = ChartOutputs.pop(chart_paths)
    why = charts.problem()
    if why is not None:
        _bad_input(why)

    try:
        trace = load_trace(trace_file)
    except TraceError as e:
        _bad_input(str(e))
    from conformance.nodes import Backend, BackendUnavailable, HarnessFailure, make_backend

    start = time.perf_counter()
    backend: Backend | None = None
    try:
        if impl is not None:
            if impl not in ("python", "etcd") and not impl.startswith(("cmd:", "module:")):
                _bad_input(f"unknown implementation {impl!r} (known: python, etcd, "
                           "cmd:PROGRAM [ARGS], module:package.module:factory)")
            backend = make_backend(impl)
        res = do_replay(trace, backend)
    except (BackendUnavailable, HarnessFailure) as e:
        _bad_input(_one_line(str(e)))
    finally:
        if backend is not None:
            backend.close()
    if res.not_enabled is not None:
        a = trace.actions[res.not_enabled - 1]
        _bad_input(
            f"trace step {res.not_enabled} ({res.run.model.describe_action(a)}) is not enabled "
            "in the model"
        )
    if as_json:
        out = trace_to_json(res.run)
        out["conformant"] = res.conformant
        out["first_divergence"] = res.first_divergence
        out["seconds"] = round(time.perf_counter() - start, 3)
        click.echo(json.dumps(out, indent=1))
    else:
        for line in res.run.render():
            click.echo(line)
        if res.conformant:
            click.echo(f"conformant: all {len(trace.actions)} steps agree")
        else:
            click.echo(f"first divergence at step {res.first_divergence}")
    if charts.wanted():
        _write_replay_charts(charts, res, trace_file, as_json)
    sys.exit(0 if res.conformant else 1)


def _write_replay_charts(charts: ChartOutputs, res: Any, trace_file: Path, as_json: bool) -> None:
    """The replayed run is drawn whether or not it diverges: a trace is worth seeing."""
    from raftcheck.chart.output import report_charts
    from raftcheck.chart.sources import lockstep_chart

    verdict = (f"first divergence at step {res.first_divergence}" if not res.conformant
               else f"conformant: all {len(res.run.steps)} steps agree")
    try:
        report_charts(charts, "raftcheck replay", [f"raftcheck replay {trace_file}"], verdict,
                      [lockstep_chart(res.run)], quiet=as_json, bad=not res.conformant,
                      noun="Counterexample" if not res.conformant else "Trace")
    except click.UsageError as e:
        _bad_input(e.format_message())
