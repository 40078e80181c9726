"""`raftcheck audit`: audit a rule change (a catalogue variant, a rule set or a rules file).

Exit codes: 0 no safety or liveness break and no failed obligation (a behaviour diff alone is
reported), 1 a safety invariant breaks, an obligation fails or a liveness property breaks where
the baseline holds it (liveness-broken), 2 bad input (one line on stderr), 3 nothing broke but
a run stopped at a time limit (the audit's budget, --time-budget), so the pass is PARTIAL.
docs/AUDIT.md describes the workflow.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

try:
    import audit as _audit_pkg  # noqa: F401
except ModuleNotFoundError:  # an editable install made before audit/ existed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audit.configs import AUDIT_BOUNDS, DEFAULT_NODES, DIFF_NODES, EXTRAS, parse_nodes
from audit.html_report import kill_charts, kill_html, report_charts, report_html
from audit.on_ray import LOCAL_NOTE, RayTarget
from audit.render import (
    kill_json,
    kill_markdown,
    kill_table,
    report_json,
    report_markdown,
    report_text,
)
from audit.runner import (
    Subject,
    audit_catalogue,
    audit_rules,
    subject_from_rule_set,
    subject_from_variant,
)
from model.rule_check import RuleError
from model.rules import RULE_SETS
from model.rules_file import RulesFileError, load_rules_file
from model.variants import VARIANTS, VARIANTS_BY_NAME
from raftcheck.chart.output import ChartOutputs, chart_options
from raftcheck.ray_run import RayUsageError, check_ray_options, ray_options

EXIT_USAGE = 2


def _usage(message: str) -> NoReturn:
    click.echo(f"raftcheck: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _resolve(variant: str | None, rules_file: Path | None, against: str | None) -> Subject:
    if variant and rules_file:
        _usage("give either VARIANT or --rules-file, not both")
    if rules_file is not None:
        try:
            loaded = load_rules_file(rules_file, base=None)
        except RulesFileError as exc:
            _usage(str(exc).splitlines()[0])
        base = RULE_SETS[against or loaded.base]
        return Subject(loaded.name, loaded.rules, base,
                       f"rules file {rules_file} (changes {', '.join(loaded.overridden)})",
                       "", str(rules_file))
    if not variant:
        _usage("give a VARIANT, --rules-file FILE or --all (see `raftcheck audit --list`)")
    if variant in VARIANTS_BY_NAME:
        return subject_from_variant(VARIANTS_BY_NAME[variant], against)
    if variant in RULE_SETS:
        return subject_from_rule_set(variant, against)
    _usage(f"unknown variant {variant!r} (see `raftcheck audit --list`)")


def _list_lines() -> list[str]:
    width = max(len(v.name) for v in VARIANTS)
    lines = []
    for v in VARIANTS:
        lines.append(f"{v.name:<{width}}  [{v.baseline}] {v.description}")
        lines.append(f"{'':<{width}}    {v.citation}")
    lines.append("")
    lines.append("rule sets: " + ", ".join(RULE_SETS) + " (audit one against the other)")
    lines.append("audit bounds (voters: max_term, max_msgs, election_timeout): "
                 + "; ".join(f"{n}: {b}" for n, b in sorted(AUDIT_BOUNDS.items())))
    lines.append("extra configurations: " + "; ".join(
        f"{k} = {e.label}" for k, e in EXTRAS.items()))
    lines.extend(_liveness_list_lines())
    return lines


def _liveness_list_lines() -> list[str]:
    from audit.liveness import LIVENESS_CONFIGS, TARGETS

    lines = ["liveness configurations (--no-liveness skips them):"]
    for ac in LIVENESS_CONFIGS:
        only = f" [only for changes to {', '.join(sorted(TARGETS[ac]))}]" if ac in TARGETS else ""
        lines.append(f"  {ac.label}{only}")
    return lines


@click.command("audit")
@click.argument("variant", required=False)
@click.option("--rules-file", type=click.Path(path_type=Path), default=None,
              help="A Python file defining rule functions (docs/AUDIT.md).")
@click.option("--against", type=str, default=None,
              help="Baseline rule set: seed or etcd-3.4 (default: the variant's own).")
@click.option("--nodes", "nodes_text", type=str, default=None,
              help="Voter counts to explore, e.g. 3,4,5 (default: 3,4; --all: 3).")
@click.option("--all", "run_all", is_flag=True, help="Audit the whole catalogue (kill table).")
@click.option("--only", "only", type=str, default=None,
              help="With --all: audit only these catalogue names (comma-separated).")
@click.option("--stop-at-first", is_flag=True,
              help="Stop at the first counterexample (kill mode, as --all does).")
@click.option("--list", "list_only", is_flag=True, help="List the catalogue and exit.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--markdown", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write a Markdown report (for a PR) to this file.")
@click.option("--no-diff", is_flag=True, help="Skip the behaviour diff.")
@click.option("--no-liveness", is_flag=True,
              help="Skip the liveness configurations (partitions, minutes per variant).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1,
              help="With --all: audit variants in this many processes.")
@click.option("--time-budget", type=click.FloatRange(0), default=None,
              help="Seconds for the whole audit (default: none, every run to its end; 0: none). "
              "Runs still going at the end of the budget stop and are reported incomplete "
              "(exit 3 when nothing broke).")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress on stderr (shown only when stderr is a terminal).")
@click.option("--impl-patch", type=click.Path(path_type=Path), default=None,
              help="Audit a patch to impl/ (git diff format): explore the patched code.")
@click.option("--etcd-patch", type=click.Path(path_type=Path), default=None,
              help="Audit a patch to etcd 3.4.23's raft package (needs Go and its sources).")
@click.option("--all-diffs", is_flag=True,
              help="With a patch: diff every configuration, not only up to the first change.")
@chart_options(markdown=False)
@ray_options
def audit(
    variant: str | None,
    rules_file: Path | None,
    against: str | None,
    nodes_text: str | None,
    run_all: bool,
    only: str | None,
    stop_at_first: bool,
    list_only: bool,
    as_json: bool,
    markdown: Path | None,
    no_diff: bool,
    no_liveness: bool,
    jobs: int,
    quiet: bool,
    impl_patch: Path | None = None,
    etcd_patch: Path | None = None,
    all_diffs: bool = False,
    time_budget: float | None = None,
    html: Path | None = None,
    svg: Path | None = None,
    ray_address: str | None = None,
    ray_workers: int | None = None,
) -> None:
    """Audit a rule change: obligations, exhaustive runs, behaviour diff against a baseline.

    VARIANT is a catalogue name (raftcheck audit --list) or a rule set (seed, etcd-3.4);
    `raftcheck audit seed --against etcd-3.4` compares the two rule sets.
    """
    if list_only:
        click.echo("\n".join(_list_lines()))
        return
    # Every output path is checked before an audit that may take minutes.
    charts = ChartOutputs(html, svg, markdown)
    why = charts.problem()
    if why is not None:
        _usage(why)
    if against is not None and against not in RULE_SETS:
        _usage(f"unknown baseline {against!r} (known: {', '.join(RULE_SETS)})")
    try:
        nodes = parse_nodes(nodes_text) if nodes_text is not None else None
    except ValueError as exc:
        _usage(str(exc))

    patch = impl_patch is not None or etcd_patch is not None
    ray = _ray_target(ray_address, ray_workers, patch=patch, jobs=jobs if run_all else 1,
                      quiet=quiet)
    show = not quiet and not as_json and sys.stderr.isatty()

    def progress(msg: str) -> None:
        if show:
            click.echo(f"  ... {msg}", err=True)

    if impl_patch is not None or etcd_patch is not None:
        if variant or rules_file or run_all or only:
            _usage("a patch audit takes no VARIANT, --rules-file, --all or --only")
        from raftcheck.cmd_patch_audit import run_patch_audit

        run_patch_audit(impl_patch, etcd_patch, nodes, stop_at_first=stop_at_first,
                        no_diff=no_diff, as_json=as_json, markdown=markdown,
                        progress=progress, write=_write, all_diffs=all_diffs,
                        liveness=not no_liveness, pages=lambda rep, head: _write_pages(
                            charts, lambda: head(report_html(rep)),
                            lambda: report_charts(rep)))

    if run_all:
        if variant or rules_file:
            _usage("--all audits the whole catalogue; give no VARIANT or --rules-file")
        chosen = list(VARIANTS)
        if only is not None:
            names = [x.strip() for x in only.split(",") if x.strip()]
            unknown = [x for x in names if x not in VARIANTS_BY_NAME]
            if unknown or not names:
                _usage(f"--only: unknown variant {unknown[0]!r}" if unknown
                       else "--only: give at least one variant name")
            chosen = [VARIANTS_BY_NAME[x] for x in names]
        rows, seconds = audit_catalogue(
            chosen, nodes or (DIFF_NODES,), against=against, jobs=jobs, progress=progress,
            liveness=not no_liveness, ray=ray,
        )
        if markdown is not None:
            _write(markdown, kill_markdown(rows, seconds))
        _write_pages(charts, lambda: kill_html(rows, seconds), lambda: kill_charts(rows))
        if as_json:
            click.echo(json.dumps(kill_json(rows, seconds), indent=2))
        else:
            click.echo("\n".join(kill_table(rows)))
            click.echo(f"\n{len(rows)} variants in {seconds:.1f}s")
        bad = any(r.verdict in ("safety-broken", "obligation-failed", "liveness-broken")
                  for r in rows)
        sys.exit(1 if bad else 0)

    if only is not None:
        _usage("--only goes with --all")
    subject = _resolve(variant, rules_file, against)
    try:
        rep = audit_rules(subject, nodes or DEFAULT_NODES, diff=not no_diff,
                          kill_mode=stop_at_first, progress=progress,
                          liveness=not no_liveness,
                          budget="default" if time_budget is None else (time_budget or None),
                          ray=ray)
    except RuleError as exc:
        _usage(str(exc))
    except Exception as exc:
        if rules_file is None:
            raise
        # A user rule that crashes on some input is a bad rules file: one line, exit 2.
        detail = str(exc).splitlines()[0] if str(exc) else ""
        _usage(f"{rules_file}: a rule raised {type(exc).__name__}"
               + (f": {detail}" if detail else "") + " during the audit")
    vacuous = rep.vacuous()
    if vacuous and rep.exit_code == 0:
        # A pass in a configuration where nothing happens claims more than was checked.
        e = vacuous[0]
        _usage(f"configuration [{e.config.label}] is vacuous for {rep.subject.name}: "
               f"{e.vacuous}")
    if markdown is not None:
        _write(markdown, report_markdown(rep))
    _write_pages(charts, lambda: report_html(rep), lambda: report_charts(rep))
    if as_json:
        out: dict[str, Any] = report_json(rep)
        click.echo(json.dumps(out, indent=2, default=str))
    else:
        click.echo("\n".join(report_text(rep)))
    sys.exit(rep.exit_code)


def _ray_target(address: str | None, workers: int | None, *, patch: bool, jobs: int,
                quiet: bool) -> RayTarget | None:
    """--ray / --ray-workers: bad input (exit 2) where they do not apply; else the cluster,
    joined (or started) once for the whole audit, and one note on what stays local."""
    try:
        check_ray_options(address, workers, workers=1, engine="fast", checkpointing=False,
                          export_graph=False, liveness=False)
    except RayUsageError as exc:
        _usage(str(exc))
    if address is None:
        return None
    if patch:
        _usage("--ray does not apply to patch audits (the patched implementation is explored "
               "on this machine)")
    if jobs > 1:
        _usage("--jobs splits the catalogue over processes of this machine; with --ray the "
               "variants go one at a time (drop --jobs)")
    from explorer.distributed import DistributedUnavailable, connect

    try:
        ray, started = connect(address)
    except DistributedUnavailable as exc:
        _usage(str(exc))
    if started:  # a cluster started here stops with the command
        click.get_current_context().call_on_close(ray.shutdown)
    if not quiet:
        click.echo(LOCAL_NOTE, err=True)
    return RayTarget(address, workers)


def _write_pages(
    charts: ChartOutputs, page: Callable[[], str], drawn: Callable[[], list[Any]]
) -> None:
    """--html (the report as a page, charts included) and --svg (the charts alone)."""
    if charts.html is not None:
        _write(charts.html, page())
    if charts.svg is not None:
        from raftcheck.chart.svg import render_svg_stack

        _write(charts.svg, render_svg_stack(drawn()))


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        _usage(f"cannot write {path}: {exc.strerror}")


def main() -> None:  # pragma: no cover - `python -m raftcheck.cmd_audit`
    audit(standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    main()
