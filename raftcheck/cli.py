"""The `raftcheck` command line."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from explorer.bfs import INTERRUPTED, Limits, Progress, Result
from explorer.checkpoint import (
    DEFAULT_INTERVAL,
    CheckpointError,
    Checkpointing,
    check_settings,
    open_checkpoint,
    prepare_directory,
)
from explorer.engines import ENGINES, STATE_SETS, default_max_memory, run_search
from explorer.fast import MAX_WORKERS, SpillError
from model.cluster import ClusterModel
from model.config import FAULTS, ClusterConfig, ConfigError
from model.rule_check import RuleError
from model.rules import RuleSet
from raftcheck import render
from raftcheck.chart.output import ChartOutputs, chart_options, require_writable, write_explore
from raftcheck.check_settings import CHECK_SEED
from raftcheck.defaults import default_config, liveness_config
from raftcheck.ray_run import (
    RayUsageError,
    check_ray_options,
    ray_options,
    ray_progress_line,
    run_ray,
)
from raftcheck.vacuity import VacuousConfiguration, refuse_if_vacuous

GRAPH_STATE_CAP = 200_000

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT


class UsageError(Exception):
    """Bad input: reported as one line on stderr with exit code 2."""


def fail_usage(message: str) -> None:
    click.echo(f"raftcheck: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


class Group(click.Group):
    """A group whose usage errors are one line on stderr and exit code 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D102
        kwargs["standalone_mode"] = False
        try:
            rv = super().main(*args, **kwargs)
            if isinstance(rv, int):  # a command's click Exit(code), returned in this mode
                sys.exit(rv)
            return rv
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
            sys.exit(EXIT_USAGE)
        except click.UsageError as exc:
            fail_usage(exc.format_message().splitlines()[0])
        except click.exceptions.Abort:
            click.echo("raftcheck: aborted", err=True)
            sys.exit(130)
        except (ConfigError, UsageError, VacuousConfiguration, RuleError) as exc:
            fail_usage(str(exc))
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="raftcheck")
@click.option(
    "--project-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Read command defaults from this TOML file [default: raftcheck.toml, else "
    "pyproject.toml's [tool.raftcheck], in the current directory].",
)
@click.option("--no-project-file", is_flag=True, help="Ignore any project file.")
@click.pass_context
def main(ctx: click.Context, project_file: Path | None, no_project_file: bool) -> None:
    """Check etcd's Raft leader-election rules against a formal model.

    \b
    explore  visit every reachable state of a small cluster: safety invariants
             (and, with --liveness, liveness properties)
    check    the default job: exhaustive exploration, every Z3 proof, a short
             conformance pass (exit 0 when everything holds)
    prove    prove the quorum and election lemmas with Z3 over the rule functions
    conform  run impl/ (or etcd's raft library) and model/ in lockstep, or
             exhaustively, and compare them step by step
    replay   re-run a JSON conformance trace on impl and model
    audit    audit a rule change: proofs, exhaustive runs, behaviour diff
    validate check NDJSON traces of real runs against the model
    traces   write NDJSON traces of random runs of an implementation

    Defaults for explore, conform and audit may come from a project file (README,
    "Project file"); options on the command line override them.
    """
    if no_project_file:
        return
    from raftcheck.project_file import ProjectFileError, load

    assert isinstance(ctx.command, click.Group)
    commands = {name: ctx.command.commands[name] for name in ("explore", "conform", "audit")}
    try:
        path, default_map = load(project_file, Path.cwd(), commands)
    except ProjectFileError as exc:
        raise UsageError(str(exc)) from None
    ctx.default_map = default_map or None
    ctx.meta["raftcheck.project_file"] = path


def project_file_used() -> Path | None:
    """The project file whose settings this command runs with, if any."""
    ctx = click.get_current_context(silent=True)
    return None if ctx is None else ctx.find_root().meta.get("raftcheck.project_file")


def _parse_pairs(values: tuple[str, ...], what: str) -> list[tuple[int, str]]:
    out = []
    for v in values:
        nid, sep, rest = v.partition(":")
        if not sep or not nid.strip().isdigit():
            raise UsageError(f"{what} must look like ID:VALUE (got {v!r})")
        out.append((int(nid), rest.strip()))
    return out


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"{what} must be a whole number (got {text!r})") from None


def build_config(
    *,
    nodes: int,
    learners: int,
    promoted_learners: bool,
    pre_vote: bool,
    check_quorum: bool,
    rules: str,
    max_term: int | None,
    max_msgs: int | None,
    election_timeout: int | None,
    faults: str | None,
    fault_budget: int,
    transfers: int,
    appends: int,
    terms: tuple[str, ...] = (),
    logs: tuple[str, ...] = (),
    pending_conf: tuple[int, ...] = (),
    partition: str | None = None,
    lossy: str | None = None,
    partition_faults: int = 0,
    partition_later: bool = False,
    liveness: bool = False,
    bound_set: str = "default",
    crashed: str | None = None,
    start_leader: int | None = None,
    conf_changes: int = 0,
    conf_kinds: str | None = None,
    conf_change: tuple[str, ...] = (),
    conf_entry: str | None = None,
    spares: int = 0,
) -> ClusterConfig:
    if not 1 <= nodes <= 7:
        raise UsageError(f"--nodes must be between 1 and 7 (got {nodes})")
    base = liveness_config(nodes) if liveness else default_config(nodes, learners, bound_set)
    from model.topology import TopologyError, parse_links, parse_partition

    n_all = nodes + learners
    try:
        cut_links = parse_partition(partition, n_all) if partition is not None else frozenset()
        lossy_links = parse_links(lossy, n_all, "--lossy") if lossy is not None else frozenset()
    except TopologyError as exc:
        raise UsageError(str(exc)) from None
    if partition_faults < 0:
        raise UsageError("--partition-faults must be at least 0")
    crashed_ids = _parse_ids(crashed, "--crashed") if crashed is not None else frozenset()
    if start_leader is not None and start_leader < 1:  # 0 means "none" in ClusterConfig
        raise UsageError(f"start leader {start_leader} is not one of nodes 1..{n_all}")
    fault_set: set[str] = {"drop"} if base.drop else set()
    if faults is not None:
        names = [f.strip() for f in faults.split(",") if f.strip()]
        if names == ["none"]:
            names = []
        unknown = [f for f in names if f not in FAULTS]
        if unknown:
            raise UsageError(f"unknown fault {unknown[0]!r} (known: {', '.join(FAULTS)}, or none)")
        fault_set = set(names)
    if fault_budget < 0:
        raise UsageError("--fault-budget must be at least 0")
    init_terms = tuple(
        (nid, _int(t, f"--term of node {nid}")) for nid, t in _parse_pairs(terms, "--term")
    )
    init_logs = []
    for nid, text in _parse_pairs(logs, "--log"):
        entries = tuple(_int(t, f"--log entry of node {nid}") for t in text.split(",") if t)
        init_logs.append((nid, entries))
    counted = nodes + learners if promoted_learners else nodes
    # A message on a cut link (a crashed node's too) is lost at once: it takes no place.
    down = set(cut_links) | {(min(c, j), max(c, j)) for c in crashed_ids
                             for j in range(1, n_all + 1) if j != c}
    campaign = max(
        (sum(1 for w in range(1, counted + 1) if w != v and (min(v, w), max(v, w)) not in down)
         for v in range(1, nodes + 1) if v not in crashed_ids),
        default=0,
    )
    if max_msgs is not None and max_msgs < campaign:
        click.echo(
            f"raftcheck: note: --max-msgs {max_msgs} is below the {campaign} messages a "
            "campaign sends at once, so no election can happen" if not down else
            f"raftcheck: note: --max-msgs {max_msgs} is below the {campaign} messages the "
            "best-connected voter's campaign sends at once, so it cannot campaign",
            err=True,
        )
    return replace(
        base,
        voters=nodes,
        learners=learners,
        promoted_learners=promoted_learners,
        pre_vote=pre_vote,
        check_quorum=check_quorum,
        rules=rules,
        max_term=base.max_term if max_term is None else max_term,
        max_msgs=(max(base.max_msgs, nodes + learners) if liveness else base.max_msgs)
        if max_msgs is None else max_msgs,
        election_timeout=base.election_timeout if election_timeout is None else election_timeout,
        drop="drop" in fault_set,
        duplicates=fault_budget if "duplicate" in fault_set else 0,
        restarts=fault_budget if "restart" in fault_set else 0,
        transfers=transfers,
        appends=appends,
        init_terms=init_terms,
        init_logs=tuple(init_logs),
        pending_conf=frozenset(pending_conf),
        cut_links=cut_links,
        lossy_links=lossy_links,
        partition_faults=partition_faults,
        partition_later=partition_later,
        crashed=crashed_ids,
        start_leader=0 if start_leader is None else start_leader,
        **_conf_fields(conf_changes, conf_kinds, conf_change, conf_entry, spares, liveness),
    )


def _conf_fields(
    conf_changes: int, conf_kinds: str | None, conf_change: tuple[str, ...],
    conf_entry: str | None, spares: int, liveness: bool,
) -> dict[str, Any]:
    """The membership-change fields (specs/SEMANTICS.md, "Membership changes"); the rest of
    the checks (specs against the configuration) are ClusterConfig.validate's."""
    from model.conf_specs import DEFAULT_KINDS, SpecError, parse_encodings, parse_kinds

    if conf_changes < 0:
        raise UsageError("--conf-changes must be at least 0")
    try:
        kinds = parse_kinds(conf_kinds) if conf_kinds is not None else DEFAULT_KINDS
        encs = parse_encodings(conf_entry) if conf_entry is not None else ("v1", "v2")
    except SpecError as exc:
        raise UsageError(str(exc)) from None
    if liveness and conf_changes:
        raise UsageError("--liveness with --conf-changes is not supported yet")
    if not conf_changes and (conf_kinds is not None or conf_entry is not None):
        raise UsageError("--conf-kinds and --conf-entry need --conf-changes >= 1 (the budget)")
    return {"conf_changes": conf_changes, "conf_kinds": kinds, "conf_specs": tuple(conf_change),
            "conf_entry": encs, "spares": spares}


def _parse_ids(text: str, flag: str) -> frozenset[int]:
    """'4,5' -> {4, 5}; the range is checked with the rest of the configuration."""
    ids = []
    for tok in text.split(","):
        tok = tok.strip()
        if not tok.isdigit():
            raise UsageError(f"{flag}: {tok!r} is not a node id (give ids like 4,5)")
        ids.append(int(tok))
    return frozenset(ids)


def run_exploration(
    cfg: ClusterConfig,
    *,
    rules: RuleSet | None = None,
    symmetry: bool,
    limits: Limits,
    keep_going: bool,
    as_json: bool,
    export_graph: Path | None = None,
    quiet: bool = False,
    engine: str = "fast",
    state_set: str = "exact",
    max_memory: int | None = None,
    checkpoint: Checkpointing | None = None,
    workers: int = 1,
    ray_address: str | None = None,
    ray_workers: int | None = None,
    spill_dir: Path | None = None,
) -> tuple[int, ClusterModel, Result]:
    """Explore, print the report, and return the exit code."""
    try:
        check_ray_options(ray_address, ray_workers, workers=workers, engine=engine,
                          checkpointing=checkpoint is not None,
                          export_graph=export_graph is not None, liveness=False)
    except RayUsageError as exc:
        raise UsageError(str(exc)) from None
    if spill_dir is not None and ray_address is not None:
        raise UsageError("--spill-dir does not apply with --ray (each Ray worker keeps its share "
                         "in memory)")
    model = ClusterModel(cfg, rules)
    capped = export_graph is not None and limits.max_states is None
    if export_graph is not None:
        from raftcheck.graph import check_graph_path

        problem = check_graph_path(export_graph)
        if problem is not None:  # before a run that may take minutes
            raise UsageError(f"cannot export graph to {export_graph}: {problem}")
    prior_seconds = 0.0
    if checkpoint is not None and workers > 1:
        raise UsageError("checkpoints need --workers 1 (the parallel search is not saved)")
    if checkpoint is not None:  # before a run that may take hours
        prior_seconds = _check_checkpointing(
            model, checkpoint, engine=engine, state_set=state_set, symmetry=symmetry,
            keep_going=keep_going, record_graph=export_graph is not None,
            ray=ray_address is not None, ray_workers=ray_workers)
    if capped:
        limits = replace(limits, max_states=GRAPH_STATE_CAP)
    show_progress = not as_json and not quiet and sys.stderr.isatty()
    if not as_json and not quiet:
        click.echo(f"raftcheck explore: {render.config_line(cfg, symmetry)}")
        project = project_file_used()
        if project is not None:
            click.echo(f"project file: {project} (options on the command line override it)")
        if rules is not None and rules.name != cfg.rules:
            click.echo(f"rules changed: {rules.name} (on top of {cfg.rules})")
        bounds = [f"{k}={v}" for k, v in vars(limits).items() if v is not None]
        if bounds:
            click.echo("limits: " + " ".join(bounds))

    # a time limit bounds this session; the seconds shown add up every session of a resumed run
    shown_limit = None if limits.time_limit is None else limits.time_limit + prior_seconds

    def on_progress(p: Progress) -> None:
        line = (render.progress_line(p, shown_limit) if ray_address is None
                else ray_progress_line(p, shown_limit, ray_workers))
        click.echo("\r" + line, err=True, nl=False)

    def on_note(text: str) -> None:
        if not quiet:
            click.echo(text, err=True)

    if checkpoint is not None:
        checkpoint.note = (lambda text: on_note(("\n" if show_progress else "") + text))
    ray_json: dict[str, Any] | None = None
    try:
        if ray_address is not None:
            result, ray_json = run_ray(
                model, address=ray_address, ray_workers=ray_workers, symmetry=symmetry,
                limits=limits, keep_going=keep_going, state_set=state_set,
                # the default budget is this machine's: it bounds a cluster on this machine only
                max_memory=(max_memory << 20 if max_memory is not None
                            else default_max_memory() if ray_address == "auto" else None),
                progress=on_progress if show_progress else None,
                note=lambda text: on_note(("\n" if show_progress else "") + text),
                checkpoint=checkpoint)
        else:
            result = run_search(
                model,
                engine=engine,
                state_set=state_set,
                max_memory=default_max_memory() if max_memory is None else max_memory << 20,
                symmetry=symmetry,
                limits=limits,
                keep_going=keep_going,
                record_graph=export_graph is not None,
                progress=on_progress if show_progress else None,
                note=on_note,
                checkpoint=checkpoint,
                workers=workers,
                spill_dir=spill_dir,
            )
    except (CheckpointError, RayUsageError, SpillError) as exc:
        if show_progress:
            click.echo("", err=True)
        raise UsageError(str(exc)) from None
    if show_progress:
        click.echo("", err=True)

    graph_written = False
    if export_graph is not None:
        if capped and result.stop_reason == f"state limit {GRAPH_STATE_CAP} reached":
            # The verdict of the capped run is still reported (PARTIAL, exit 3) below.
            click.echo(
                f"raftcheck: state graph not written: more than {GRAPH_STATE_CAP:,} states "
                "(lower the bounds, or pass --max-states to export a partial graph)",
                err=True,
            )
        else:
            from raftcheck.graph import build_graph, write_graph

            try:
                write_graph(build_graph(model, result), export_graph)
                graph_written = True
            except (ValueError, OSError) as exc:
                raise UsageError(f"cannot export graph to {export_graph}: {exc}") from None

    from raftcheck.vacuity import vacuity_warnings

    warnings = vacuity_warnings(model, result)
    if as_json:
        limits_json = {
            "max_states": limits.max_states,
            "max_depth": limits.max_depth,
            "time_limit": limits.time_limit,
        }
        out = render.result_json(model, result, symmetry, limits_json)
        out["config"]["rule_changes"] = None if rules is None else rules.name
        out["warnings"] = warnings
        if ray_json is not None:
            out["ray"] = ray_json
        if checkpoint is not None:
            out["checkpoint"] = {
                "directory": str(checkpoint.directory),
                "resumed_from": None if checkpoint.resume_from is None
                else str(checkpoint.resume_from),
            }
        click.echo(json.dumps(out, indent=2))
    elif not quiet:
        for violation in result.violations:
            click.echo("")
            for line in render.trace_lines(model, violation):
                click.echo(line)
        click.echo("")
        for line in render.summary_table(result, model):
            click.echo(line)
        click.echo("")
        click.echo(render.verdict_line(result) + (" -- but VACUOUS, see the warnings"
                                                  if warnings else ""))
        if graph_written:
            click.echo(f"state graph written to {export_graph}")
    if not as_json and not quiet:
        for w in warnings:
            click.echo(f"raftcheck: warning: {w}", err=True)
    if result.stop_reason == INTERRUPTED:
        return EXIT_INTERRUPTED, model, result
    if result.violations:
        return EXIT_VIOLATION, model, result
    return (EXIT_OK if result.complete else EXIT_PARTIAL), model, result


def _check_checkpointing(
    model: ClusterModel,
    checkpoint: Checkpointing,
    *,
    engine: str,
    state_set: str,
    symmetry: bool,
    keep_going: bool,
    record_graph: bool,
    ray: bool = False,
    ray_workers: int | None = None,
) -> float:
    """Bad input (one line, exit 2) before exploring: the run must be on the fast engine, the
    checkpoint to resume must be one of this exploration (with `ray`, of a distributed run with
    as many workers), the directory writable. Returns the seconds the resumed run has already
    taken."""
    import os

    from explorer.fast import exploration_settings, unavailable_reason

    if engine == "reference" or os.environ.get("RAFTCHECK_ENGINE") == "reference":
        reason: str | None = "--engine reference was chosen"
    else:
        reason = unavailable_reason(model, record_graph=record_graph)
    if reason is not None:
        raise UsageError(f"checkpoints need the fast engine ({reason})")
    prior = 0.0
    try:
        if checkpoint.resume_from is not None:
            saved = open_checkpoint(checkpoint.resume_from, ray=ray)
            names = [inv.name for inv in model.invariants()]
            settings = exploration_settings(
                model.core_tables(names), names, symmetry=symmetry,
                fingerprint=state_set == "fingerprint", keep_going=keep_going,
                extra=checkpoint.extra_settings)
            if ray:
                settings["engine"] = "ray"
                saved_workers = saved.meta["ray"]["workers"]
                if ray_workers is not None and ray_workers != saved_workers:
                    raise CheckpointError(
                        f"--resume {checkpoint.resume_from}: the checkpoint was written by "
                        f"{saved_workers} Ray workers, this run asks for {ray_workers} (resume "
                        f"with --ray-workers {saved_workers}: the set is partitioned by worker)")
            check_settings(saved, settings)
            prior = saved.seconds
        same = checkpoint.resume_from is not None and (
            checkpoint.resume_from.resolve() == checkpoint.directory.resolve())
        prepare_directory(checkpoint.directory, resuming_here=same)
    except CheckpointError as exc:
        raise UsageError(str(exc)) from None
    return prior


def checkpoint_options(f: Any) -> Any:
    opts = [
        click.option(
            "--checkpoint",
            type=click.Path(path_type=Path),
            default=None,
            metavar="DIR",
            help="Save the search to DIR now and then and when it stops early, for --resume "
            "(fast engine).",
        ),
        click.option(
            "--resume",
            type=click.Path(path_type=Path),
            default=None,
            metavar="DIR",
            help="Continue the search saved in DIR (same exploration options; limits may "
            "differ); it goes on saving to DIR unless --checkpoint says elsewhere.",
        ),
        click.option(
            "--checkpoint-interval",
            type=click.FloatRange(min=0),
            default=None,
            metavar="SECONDS",
            help=f"Seconds between checkpoints [default: {DEFAULT_INTERVAL:g}, or 20 times "
            "as long as the last checkpoint took to write if that is longer].",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _checkpointing(
    kw: dict[str, Any], rules_file: Path | None, live: bool
) -> Checkpointing | None:
    """--checkpoint, --resume and --checkpoint-interval as a Checkpointing (None: not asked)."""
    directory, resume = kw.pop("checkpoint", None), kw.pop("resume", None)
    interval = kw.pop("checkpoint_interval", None)
    if directory is None and resume is None:
        if interval is not None:
            raise UsageError("--checkpoint-interval needs --checkpoint DIR or --resume DIR")
        return None
    if live:
        raise UsageError("checkpoints need the fast engine (--liveness runs on the reference "
                         "engine)")
    extra: dict[str, str] = {}
    if rules_file is not None:
        import hashlib

        try:
            extra["rules_file_sha256"] = hashlib.sha256(rules_file.read_bytes()).hexdigest()
        except OSError:
            pass  # the rules file's own check reports it
    return Checkpointing(
        directory=directory if directory is not None else resume,
        interval=interval,
        resume_from=resume,
        extra_settings=extra,
    )


def cluster_options(f: Any) -> Any:
    opts = [
        click.option(
            "--nodes", "-n", type=int, default=3, show_default=True, help="Number of voters (1-7)."
        ),
        click.option(
            "--learners",
            type=click.IntRange(0, 2),
            default=0,
            show_default=True,
            help="Number of learners (0-2).",
        ),
        click.option(
            "--promoted-learners",
            is_flag=True,
            help="Everyone but the learners themselves counts them as voters.",
        ),
        click.option("--pre-vote", is_flag=True, help="Enable pre-vote."),
        click.option("--check-quorum", is_flag=True, help="Enable check-quorum (and the lease)."),
        click.option(
            "--rules",
            type=click.Choice(["seed", "etcd-3.4", "etcd-3.5"]),
            default="etcd-3.4",
            show_default=True,
            help="Rule set.",
        ),
        click.option(
            "--bounds",
            "bound_set",
            type=click.Choice(["default", "quick"]),
            default="default",
            show_default=True,
            help="Which per-node-count bounds --max-term/--max-msgs default to: default (a "
            "second election, overlapping campaigns at 3 voters) or quick (seconds).",
        ),
        click.option(
            "--max-term",
            type=int,
            default=None,
            help="Highest term any node may reach [default: per node count].",
        ),
        click.option(
            "--max-msgs",
            type=int,
            default=None,
            help="Most messages in flight at once [default: per node count].",
        ),
        click.option(
            "--election-timeout",
            type=int,
            default=None,
            help="Election timeout in ticks [default: per node count].",
        ),
        click.option(
            "--faults",
            default=None,
            help="Comma list of drop,duplicate,restart, or none [default: drop].",
        ),
        click.option(
            "--fault-budget",
            type=int,
            default=1,
            show_default=True,
            help="How many duplicates / restarts each may happen in a run.",
        ),
        click.option(
            "--transfers",
            type=int,
            default=0,
            show_default=True,
            help="Leader transfers allowed in a run.",
        ),
        click.option(
            "--appends",
            type=int,
            default=0,
            show_default=True,
            help="Client appends on a leader allowed in a run.",
        ),
        click.option(
            "--term",
            "terms",
            multiple=True,
            metavar="ID:T",
            help="Initial term of a node (repeatable).",
        ),
        click.option(
            "--log",
            "logs",
            multiple=True,
            metavar="ID:T,T,...",
            help="Initial log (entry terms) of a node (repeatable).",
        ),
        click.option(
            "--pending-conf",
            type=int,
            multiple=True,
            metavar="ID",
            help="Node with a committed, unapplied config change (repeatable).",
        ),
        click.option(
            "--partition",
            default=None,
            metavar="SPEC",
            help="Cut links: groups '1,2|3' (links between groups) or links '1-3,2-3'.",
        ),
        click.option(
            "--lossy",
            default=None,
            metavar="LINKS",
            help="Links that may deliver or drop each message, e.g. '1-3'.",
        ),
        click.option(
            "--partition-faults",
            type=int,
            default=0,
            show_default=True,
            help="How many times the partition may heal (or split again) during a run.",
        ),
        click.option(
            "--partition-later",
            is_flag=True,
            help="Start connected; the partition is a fault that splits the cluster later.",
        ),
        click.option(
            "--crashed",
            default=None,
            metavar="IDS",
            help="Nodes that take no step at all, e.g. '5' or '4,5' (every link of theirs is "
            "cut).",
        ),
        click.option(
            "--start-leader",
            type=int,
            default=None,
            metavar="ID",
            help="Start from an established leader: the model elects ID in term 1 on a "
            "connected network, every node follows it, then the topology applies.",
        ),
        click.option(
            "--conf-changes",
            type=int,
            default=0,
            show_default=True,
            help="Membership changes a leader may propose in a run (0: static configuration).",
        ),
        click.option(
            "--conf-kinds",
            default=None,
            metavar="K,...",
            help="Kinds of change to explore: add,remove,promote,demote,joint "
            "[default: add,remove,promote,demote].",
        ),
        click.option(
            "--conf-change",
            multiple=True,
            metavar="SPEC",
            help="Only this change (repeatable): promote:4, demote:2, remove:3, add:5, "
            "add-learner:5, joint:promote:4+remove:1, joint-explicit:...",
        ),
        click.option(
            "--conf-entry",
            default=None,
            metavar="v1,v2",
            help="Entry encodings of simple changes: v1 (ConfChange), v2 (ConfChangeV2) "
            "[default: both].",
        ),
        click.option(
            "--spares",
            type=int,
            default=0,
            show_default=True,
            help="Nodes outside the initial configuration (0-2) that an add may add.",
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def limit_options(f: Any) -> Any:
    opts = [
        click.option(
            "--symmetry/--no-symmetry",
            default=None,
            help="Treat node ids as interchangeable (exact reduction) [default: on, except "
            "with a partition or a lossy link].",
        ),
        click.option(
            "--max-states",
            type=click.IntRange(min=1),
            default=None,
            help="Stop after this many distinct states (partial run).",
        ),
        click.option(
            "--max-depth",
            type=click.IntRange(min=1),
            default=None,
            help="Stop at this BFS depth (partial run).",
        ),
        click.option(
            "--time-limit",
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            help="Stop after this many seconds (partial run).",
        ),
        click.option(
            "--keep-going",
            is_flag=True,
            help="After a violation, go on to find the shortest violation of each other invariant.",
        ),
        click.option(
            "--engine",
            type=click.Choice(ENGINES),
            default="fast",
            show_default=True,
            help="fast: the compiled core; reference: the pure-Python explorer it must match "
            "(used, with a note, where the core is not built or cannot run the configuration).",
        ),
        click.option(
            "--state-set",
            type=click.Choice(STATE_SETS),
            default="exact",
            show_default=True,
            help="fingerprint: 64-bit fingerprints and only the queue kept (fast engine; the "
            "summary gives the chance that a collision hid a state).",
        ),
        click.option(
            "--spill-dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            metavar="DIR",
            help="With --state-set fingerprint: where the queue and parent links beyond 256 MB "
            "each go, in a fresh directory removed at the end [default: the system's temp dir].",
        ),
        click.option(
            "--max-memory",
            type=click.IntRange(min=1),
            default=None,
            help="Stop (partial run) when the fast engine's state set reaches this many MB "
            "[default: 3/4 of the memory available at start].",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1, max=MAX_WORKERS),
            default=1,
            show_default=True,
            help="Threads of the fast engine's search (the same result on any number; "
            "the reference engine uses one).",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


@main.command()
@cluster_options
@limit_options
@click.option(
    "--export-graph",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the state graph (.graphml or .dot); for small runs.",
)
@click.option(
    "--variant",
    default=None,
    metavar="NAME",
    help="Explore a catalogued rule change (raftcheck audit --list).",
)
@click.option(
    "--rules-file",
    type=click.Path(path_type=Path),
    default=None,
    help="Explore the rules of a Python rules file (docs/AUDIT.md).",
)
@click.option(
    "--liveness",
    is_flag=True,
    help="Also check LeaderElectable, EventuallyLeader, LeaderStable, NoLivelock and "
    "SettledLeaderStable (specs/SEMANTICS.md).",
)
@click.option(
    "--assume",
    default=None,
    metavar="LIST",
    help="Timing assumptions of --liveness: heartbeats,solo-campaigns (default), or none.",
)
@checkpoint_options
@ray_options
@chart_options()
def explore_cmd(**kw: Any) -> None:
    """Explore every reachable state of a cluster and check the safety invariants
    (and, with --liveness, the liveness properties).

    Exit codes: 0 every invariant (and property) holds (complete run), 1 one is violated,
    2 bad input, 3 no violation found but a limit or a bound left a verdict unknown.
    """
    charts = ChartOutputs.pop(kw)
    require_writable(charts)  # before a run that may take minutes
    checkpoint = _checkpointing(kw, kw.get("rules_file"), bool(kw.get("liveness")))
    ray_address, ray_workers = kw.pop("ray_address"), kw.pop("ray_workers")
    cfg, limits, rest, rules, live_opts = prepare_exploration(kw)
    if live_opts is not None and (ray_address is not None or ray_workers is not None):
        raise UsageError("--ray does not apply with --liveness (the liveness graph is built on "
                         "one machine)")
    if live_opts is not None:
        from raftcheck.liveness_run import run_liveness_exploration

        code = run_liveness_exploration(cfg, live_opts, rules=rules, limits=limits,
                                        charts=charts if charts.wanted() else None, **rest)
        sys.exit(code)
    code, model, result = run_exploration(cfg, rules=rules, limits=limits, checkpoint=checkpoint,
                                          ray_address=ray_address, ray_workers=ray_workers,
                                          **rest)
    if charts.wanted():
        write_explore(charts, model, result, symmetry=rest["symmetry"], quiet=rest["as_json"])
    sys.exit(code)


def prepare_exploration(
    kw: dict[str, Any],
) -> tuple[ClusterConfig, Limits, dict[str, Any], RuleSet | None, Any]:
    """explore's parameters -> (configuration, limits, run options, changed rules, liveness
    options or None); `check` uses it on the project file's explore settings too."""
    variant, rules_file = kw.pop("variant"), kw.pop("rules_file")
    ChartOutputs.pop(kw)  # explore_cmd has taken them already; `check` has none to write
    for key in ("checkpoint", "resume", "checkpoint_interval",  # explore_cmd's, too
                "ray_address", "ray_workers"):
        kw.pop(key, None)
    assume = kw.pop("assume")
    if assume is not None and not kw["liveness"]:
        raise UsageError("--assume only applies with --liveness")
    live_opts = _liveness_options(assume) if kw["liveness"] else None
    cfg, limits, rest = _split(kw)
    rules = _changed_rules(cfg, variant, rules_file)
    if variant is not None:
        from model.variants import VARIANTS_BY_NAME

        # A catalogued variant is a complete rule set built on its own baseline.
        cfg = replace(cfg, rules=VARIANTS_BY_NAME[variant].baseline)
    return cfg, limits, rest, rules, live_opts


def _liveness_options(text: str | None) -> Any:
    from model.liveness import LivenessOptions

    return LivenessOptions.parse(text)


def _changed_rules(
    cfg: ClusterConfig, variant: str | None, rules_file: Path | None
) -> RuleSet | None:
    """The rule set to explore when --variant or --rules-file changes the rules."""
    if variant is not None and rules_file is not None:
        raise UsageError("give --variant or --rules-file, not both")
    if variant is not None:
        from model.variants import VARIANTS_BY_NAME

        v = VARIANTS_BY_NAME.get(variant)
        if v is None:
            raise UsageError(f"unknown variant {variant!r} (see raftcheck audit --list)")
        return v.rules
    if rules_file is not None:
        from model.rules_file import RulesFileError, load_rules_file

        try:
            return load_rules_file(rules_file, base=cfg.rules).rules
        except RulesFileError as exc:
            raise UsageError(str(exc)) from None
    return None


explore_cmd.name = "explore"


def _split(kw: dict[str, Any]) -> tuple[ClusterConfig, Limits, dict[str, Any]]:
    limits = Limits(kw.pop("max_states"), kw.pop("max_depth"), kw.pop("time_limit"))
    rest = {
        "symmetry": kw.pop("symmetry"),
        "keep_going": kw.pop("keep_going"),
        "as_json": kw.pop("as_json"),
        "engine": kw.pop("engine", "fast"),
        "state_set": kw.pop("state_set", "exact"),
        "max_memory": kw.pop("max_memory", None),
        "workers": kw.pop("workers", 1),
        "spill_dir": kw.pop("spill_dir", None),
    }
    if rest["spill_dir"] is not None and rest["state_set"] != "fingerprint":
        raise UsageError("--spill-dir applies with --state-set fingerprint (the exact set keeps "
                         "every state in memory)")
    if "export_graph" in kw:
        rest["export_graph"] = kw.pop("export_graph")
    if kw.get("liveness") and rest.get("export_graph") is not None:
        raise UsageError("--export-graph does not apply with --liveness")
    if kw.get("liveness"):
        rest.pop("export_graph", None)
    liveness = bool(kw.get("liveness"))
    cfg = build_config(**kw)
    cfg.validate()
    if rest["symmetry"] is None:  # on wherever it is exact: links must be kept apart
        rest["symmetry"] = not cfg.has_network
    elif cfg.has_network and rest["symmetry"] and not liveness:
        raise UsageError("--symmetry does not apply with --partition, --lossy or partition faults")
    return cfg, limits, rest


# Obligations that a rule set is known not to meet, and why; `check` reports them but they do
# not fail it. The seed's tally counts every recorded answer, which is right for one voter set
# (the seed code has no joint configurations) and wrong for a joint one.
KNOWN_FAILURES = {
    ("seed", "joint-quorum"): "the seed code predates joint configurations; its tally counts "
    "answers from outside the voter set, so a joint configuration could win in a half "
    "without that half's majority",
    ("seed", "joint-phase-overlap"): "the same tally: in C_old∧C_new the incoming half counts "
    "grants of outgoing-only voters, so a joint win and a C_old win need not share a voter",
}


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--seed",
    type=int,
    default=None,
    help=f"Seed of the short conformance pass [default: the project file's conform seed, "
    f"else {CHECK_SEED}].",
)
@click.pass_context
def check(ctx: click.Context, as_json: bool, seed: int | None) -> None:
    """The default job, on an embedded configuration or the project file's.

    \b
    1. explore exhaustively, every invariant: 3 voters with pre-vote and
       check-quorum, or the project file's explore settings;
    2. prove every Z3 obligation for both rule sets (and for the explored
       rules, when a rules file or variant changes them);
    3. a short conformance pass: impl/ and model/ in lockstep on random runs
       (the project file's conform settings for lockstep runs apply).

    Exit 0 when everything holds, 1 when anything fails, 2 on bad input, including a
    vacuous configuration (no leader is ever elected, or an action never fires).
    """
    from conformance.run import run_lockstep
    from model.rules import RULE_SETS
    from raftcheck.check_settings import check_settings
    from specs.obligations import run_obligations

    settings = check_settings(ctx, seed)
    for note in settings.notes:
        click.echo(f"raftcheck: note: {note}", err=True)
    symmetry = settings.symmetry
    code, model, result = run_exploration(
        settings.cfg, rules=settings.rules, symmetry=symmetry, limits=settings.limits,
        keep_going=True, as_json=False, quiet=as_json,
    )
    if code == EXIT_INTERRUPTED:
        if as_json:
            out = {"ok": False, "interrupted": True,
                   "explore": render.result_json(model, result, symmetry, {})}
            click.echo(json.dumps(out, indent=2, default=str))
        else:
            click.echo("check: INTERRUPTED (the exploration above is partial)")
        sys.exit(EXIT_INTERRUPTED)
    refuse_if_vacuous(model, result, "the explored configuration")
    rule_sets = dict(RULE_SETS)
    if settings.rules is not None:
        name = settings.rules.name
        rule_sets[name + " (changed)" if name in rule_sets else name] = settings.rules
    proofs = {name: run_obligations(rules) for name, rules in rule_sets.items()}
    conform = run_lockstep(seed=settings.seed, **settings.lockstep)
    proved = all(
        r.status == "proved" or (name, r.name) in KNOWN_FAILURES
        for name, rs in proofs.items()
        for r in rs
    )
    ok = code == EXIT_OK and proved and conform.conformant
    project = ctx.find_root().meta.get("raftcheck.project_file")
    if as_json:
        explored = render.result_json(model, result, symmetry, {})
        explored["config"]["rule_changes"] = None if settings.rules is None else settings.rules.name
        out = {
            "ok": ok,
            "project_file": None if project is None else str(project),
            "explore": explored,
            "prove": {
                name: [
                    {
                        "name": r.name,
                        "status": r.status,
                        "seconds": round(r.seconds, 3),
                        "counterexample": r.counterexample,
                        "known_failure": KNOWN_FAILURES.get((name, r.name)),
                    }
                    for r in rs
                ]
                for name, rs in proofs.items()
            },
            "conform": conform.as_json(),
        }
        click.echo(json.dumps(out, indent=2, default=str))
    else:
        click.echo("")
        for name, rs in proofs.items():
            failed = [r.name for r in rs if r.status != "proved"]
            known = [f for f in failed if (name, f) in KNOWN_FAILURES]
            unexpected = [f for f in failed if f not in known]
            secs = sum(r.seconds for r in rs)
            if unexpected:
                verdict = "FAILED: " + ", ".join(unexpected)
            elif known:
                verdict = f"{len(rs) - len(known)} PROVED, {len(known)} known failure"
            else:
                verdict = "all PROVED"
            click.echo(f"prove --rules {name}: {len(rs)} obligations, {verdict} ({secs:.2f}s)")
            for f in known:
                click.echo(f"  {f}: fails, as known: {KNOWN_FAILURES[(name, f)]}")
        click.echo(
            f"conform: {conform.examples} lockstep runs, {conform.steps} steps, "
            f"seed {settings.seed}: "
            + ("impl and model agree" if conform.conformant else "DIVERGENCE")
        )
        if conform.divergence is not None:
            click.echo(json.dumps(conform.divergence, indent=2, default=str))
        click.echo("check: " + ("OK" if ok else "FAILED"))
    sys.exit(EXIT_OK if ok else EXIT_VIOLATION)


def _register_commands() -> None:
    from raftcheck.cmd_audit import audit
    from raftcheck.cmd_conform import conform, replay
    from raftcheck.cmd_prove import prove
    from raftcheck.cmd_traces import traces
    from raftcheck.cmd_validate import validate

    for command in (conform, replay, prove, audit, validate, traces):
        main.add_command(command)


_register_commands()

if __name__ == "__main__":  # pragma: no cover
    # `python -m raftcheck.cli`: run the imported module, so that its classes (UsageError, the
    # commands) are the ones every other module imports.
    from raftcheck.cli import main as _main

    _main()
