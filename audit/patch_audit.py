"""Audit a patch to code: `raftcheck audit --impl-patch FILE` / `--etcd-patch FILE`.

The patched implementation itself is explored (audit/impl_explore.py: implementation steps as
the transition function, the model's enabledness, bounds, history and invariants) on the
audit's configurations (every voter count under the four pre-vote/check-quorum combinations,
plus every extra configuration: a patch may touch any rule), and compared with the unpatched
implementation:

- every implementation step is also run on the unpatched implementation where it has a node
  for the same abstract state; a run in which no step differed is the unpatched run (so its
  behaviour diff is known to be empty);
- where a step differed, the abstract graphs of the patched and unpatched implementations are
  diffed (audit/diff.py) on the 3-voter and extra configurations, and on any other
  configuration where a step differed, each one-sided state or transition with its shortest
  witness.

The liveness configurations run on the patched and the unpatched implementation with absolute
terms (audit/patch_liveness.py says why): `liveness-broken` when the patched one violates a
property the unpatched one holds.

Verdicts, report and exit codes are the rules audit's (audit/runner.py); obligations (Z3, on
rule functions) are not run on code. The unpatched implementation is the checkout's impl/
(impl patches) or etcd 3.4.23 from the system's sources (etcd patches).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit.configs import DEFAULT_NODES, DIFF_NODES, PATCH_EXTRAS, AuditConfig, base_configs
from audit.diff import Graph, GraphDiff, KeySpace, abstract_graph, diff_graphs
from audit.impl_explore import ImplClusterModel, ImplLogic
from audit.patch_apply import PatchedTree, PatchError
from audit.patch_liveness import BaselineImplLiveness
from audit.runner import (
    AuditReport,
    DiffOutcome,
    Exploration,
    Subject,
    _violation_trace,
    _witness_trace,
)
from conformance.nodes import Backend, BackendUnavailable, HarnessFailure
from explorer.bfs import INTERRUPTED, Limits
from explorer.engines import run_search
from model.rules import RULE_SETS
from raftcheck.vacuity import vacuity_warnings

STEPS_RULE = "implementation steps"  # the key of the differing steps in `divergent_inputs`


@dataclass
class PatchReport(AuditReport):
    """An AuditReport whose subject is a patch; the evidence is implementation steps."""

    kind: str = "impl"  # "impl" or "etcd"
    patch_file: str = ""
    files: list[str] = field(default_factory=list)
    empty: bool = False
    impl_steps: int = 0
    impl_errors: list[str] = field(default_factory=list)

    @property
    def why_no_change(self) -> str | None:
        if self.verdict == "differs-unreached":
            return self.why_differs_unreached
        if self.verdict != "no-change":
            return None
        if self.empty:
            return "the patch changes no file; " + self._inert_text()
        return self._inert_text()

    def _inert_text(self) -> str:
        calls = sum(e.rule_calls for e in self.runs())
        return (f"each of the {calls:,} distinct implementation steps the runs took gave the "
                f"unpatched {self.kind}'s result (run on both), in every audited "
                "configuration, so every run is the unpatched implementation's run")

    @property
    def why_differs_unreached(self) -> str | None:
        if self.verdict != "differs-unreached":
            return None
        where = [e.config.label for e in self.runs() if e.divergent_calls]
        shown = self.differing_inputs().get(STEPS_RULE, [])[:3]
        return (f"the patched {self.kind} took steps whose results differ from the unpatched "
                f"one's (in: {'; '.join(where)}), e.g. {'; '.join(shown)}; yet no invariant "
                "broke and the behaviour diff found the same abstract states and transitions "
                "in every diffed configuration: the difference did not reach the observable "
                "behaviour within the bounds")


def patch_configs(nodes: Iterable[int]) -> list[AuditConfig]:
    """Every extra configuration (cheap, and a patch may touch any rule), then the base
    configurations, 3 voters first."""
    configs = base_configs(nodes)
    order = list(PATCH_EXTRAS.values()) + [c for c in configs if c.cfg.voters <= DIFF_NODES]
    order += [c for c in configs if c.cfg.voters > DIFF_NODES]
    seen = set()
    out = []
    for c in order:
        if c.cfg not in seen:
            seen.add(c.cfg)
            out.append(c)
    return out


def default_diffs(nodes: Iterable[int]) -> list[AuditConfig]:
    return list(PATCH_EXTRAS.values()) + [c for c in base_configs(nodes)
                                    if c.cfg.voters == DIFF_NODES]


class BaselineImplGraphs:
    """Abstract graphs of the unpatched implementation per configuration (built once)."""

    def __init__(self, backend: Backend, time_limit: float | None) -> None:
        self.backend = backend
        self.time_limit = time_limit
        self._graphs: dict[AuditConfig, tuple[Graph, KeySpace]] = {}

    def get(self, ac: AuditConfig, logic: ImplLogic | None = None) -> tuple[Graph, KeySpace]:
        """`logic`: the unpatched side of the patched run's watch (its steps are reused)."""
        got = self._graphs.get(ac)
        if got is None:
            model = ImplClusterModel(ac.cfg, self.backend if logic is None else None,
                                     logic=logic)
            got = self._graphs[ac] = (abstract_graph(model, self.time_limit), KeySpace(model))
        return got


def audit_backends(
    name: str,
    kind: str,
    patched: Backend,
    baseline: Backend,
    nodes: Iterable[int] = DEFAULT_NODES,
    *,
    tree: PatchedTree | None = None,
    kill_mode: bool = False,
    diff: bool = True,
    explore_time_limit: float | None = 300.0,
    diff_time_limit: float | None = 120.0,
    configs: list[AuditConfig] | None = None,
    progress: Callable[[str], None] | None = None,
    baselines: BaselineImplGraphs | None = None,
    all_diffs: bool = False,
    liveness: bool = True,
    liveness_configs: list[AuditConfig] | None = None,
    liveness_baselines: BaselineImplLiveness | None = None,
) -> PatchReport:
    """Explore the `patched` implementation and diff it against `baseline` (see the module
    docstring). `configs` replaces the audit's configurations (tests use small ones; then no
    liveness configuration runs unless `liveness_configs` names some)."""
    t0 = time.perf_counter()
    nodes = tuple(nodes)
    rules = RULE_SETS["etcd-3.4"]
    files = [f"{'impl' if kind == 'impl' else 'raft'}/{f}" for f in (tree.files if tree else [])]
    what = "impl/" if kind == "impl" else "etcd 3.4.23's raft package"
    # The report's baseline is the unpatched code (its name shows in the JSON `baseline`).
    unpatched = rules.with_rules("unpatched impl" if kind == "impl" else "unpatched etcd")
    subject = Subject(
        name, rules, unpatched,
        f"a patch to {what}" + (f" ({', '.join(files)})" if files else " (changes nothing)"),
        "", f"{kind} patch {name}",
    )
    report = PatchReport(subject, nodes, "kill" if kill_mode else "full", kind=kind,
                         patch_file=name, files=files, empty=bool(tree and tree.empty))
    say = progress or (lambda _msg: None)
    baselines = baselines or BaselineImplGraphs(baseline, diff_time_limit)
    order = configs if configs is not None else patch_configs(nodes)
    models: dict[AuditConfig, ImplClusterModel] = {}
    live_models: list[ImplClusterModel] = []

    def done() -> PatchReport:
        report.seconds = time.perf_counter() - t0
        report.impl_steps = sum(m.impl.steps for m in [*models.values(), *live_models])
        return report

    report.notes.append(
        "patch audits explore the implementation without symmetry reduction (its nodes "
        "carry their ids); Z3 obligations (rule functions) are not run on code"
        + ("; the liveness configurations run with absolute terms (a cycle that needs the "
           "terms to climb past max_term ends unknown)" if liveness else "")
    )
    for ac in order:
        say(f"explore [{ac.label}]")
        try:
            model = ImplClusterModel(ac.cfg, patched, rules, watch_backend=baseline)
        except (HarnessFailure, BackendUnavailable):
            raise
        except Exception as exc:  # noqa: BLE001 - the patched code cannot even start a node
            detail = str(exc).splitlines()[0] if str(exc) else ""
            raise PatchError(f"{name}: the patched {kind} cannot create the nodes of "
                             f"[{ac.label}]: {type(exc).__name__}"
                             + (f": {detail}" if detail else "")) from None
        models[ac] = model
        res = run_search(model, symmetry=False, keep_going=not kill_mode,
                         limits=Limits(time_limit=explore_time_limit))
        if res.stop_reason == INTERRUPTED:
            raise KeyboardInterrupt
        cex = [(v.invariant, _violation_trace(model, v)) for v in res.violations]
        vacuous = vacuity_warnings(model, res)
        watch = model.watch
        assert watch is not None
        for err in model.impl.errors:
            if err not in report.impl_errors and len(report.impl_errors) < 10:
                report.impl_errors.append(err)
        report.explorations.append(Exploration(
            ac, res.complete or (not kill_mode and res.stop_reason is None), res.stop_reason,
            res.distinct_states, res.seconds, res.invariants, cex, time.perf_counter() - t0,
            watch.compared, watch.divergent, watch.first, vacuous[0] if vacuous else None,
            {STEPS_RULE: list(watch.inputs)} if watch.inputs else {},
        ))
        if kill_mode and cex:
            return done()

    if liveness:
        from audit.patch_liveness import PATCH_LIVENESS_CONFIGS, check_patch_liveness

        if liveness_configs is None:
            liveness_configs = [] if configs is not None else list(PATCH_LIVENESS_CONFIGS)
        report.liveness = check_patch_liveness(
            patched, liveness_baselines or BaselineImplLiveness(baseline, explore_time_limit),
            rules, t0, kill_mode, liveness_configs, lambda: explore_time_limit, say,
            live_models)
        if kill_mode and report.broken_liveness():
            return done()

    if diff:
        diffs = configs if configs is not None else default_diffs(nodes)

        def diff_one(ac: AuditConfig, directed: bool = False) -> GraphDiff:
            say(f"diff [{ac.label}]")
            model = models.get(ac) or ImplClusterModel(ac.cfg, patched, rules)
            other = model.watch.other if model.watch is not None else None
            base_g, space = baselines.get(ac, other)
            var_g = abstract_graph(model, diff_time_limit)
            d = diff_graphs(var_g, base_g, space)
            report.diffs.append(DiffOutcome(
                ac, d, [(w.side, _witness_trace(w)) for w in d.witnesses],
                time.perf_counter() - t0, directed=directed))
            return d

        explored = {e.config: e for e in report.explorations}
        todo = []
        for ac in diffs:
            e = explored.get(ac)
            if e is not None and e.inert:
                report.diffs.append(DiffOutcome(ac, GraphDiff.identical(), [],
                                                time.perf_counter() - t0, inert=True))
            else:
                todo.append((ac, False))
        # Where steps differed in a configuration the diff does not compare by default.
        todo += [(e.config, True) for e in report.explorations
                 if e.divergent_calls and e.config not in diffs]
        # Smallest first; one configuration that changed settles the verdict, so the rest
        # (pure-Python graphs without symmetry: minutes) are diffed only with all_diffs.
        todo.sort(key=lambda x: explored[x[0]].distinct_states if x[0] in explored else 0)
        # Last, a liveness configuration where steps differed (diffed as a safety
        # configuration: no normalisation, no drops, so its graph can be larger than the
        # liveness graph's size suggests).
        todo += sorted(((lo.config, True) for lo in report.liveness
                        if lo.divergent_calls and lo.config not in diffs),
                       key=lambda x: next(lo.distinct_states for lo in report.liveness
                                          if lo.config == x[0]))
        for k, (ac, directed) in enumerate(todo):
            if diff_one(ac, directed).changed and not all_diffs:
                rest = [c.label for c, _ in todo[k + 1:]]
                if rest:
                    report.notes.append(
                        "behaviour diff stopped at the first configuration that changed; "
                        f"not diffed: {'; '.join(rest)} (--all-diffs diffs them)")
                break
    if report.impl_errors:
        report.notes.append("implementation failures: " + "; ".join(report.impl_errors[:3]))
    return done()


def audit_impl_patch(patch: Path, nodes: Iterable[int] = DEFAULT_NODES, **kw: Any
                     ) -> PatchReport:
    """Apply `patch` to a copy of impl/, import it privately and audit it (PatchError)."""
    from audit.impl_explore import PatchedPythonBackend, StepTimeout
    from audit.patch_apply import patched_impl, unload
    from conformance.nodes import PYTHON

    p = patched_impl(patch)
    try:
        return audit_backends(patch.name, "impl", PatchedPythonBackend(p.modules), PYTHON,
                              nodes, tree=p.tree, **kw)
    except StepTimeout as exc:
        raise StepTimeout(f"{patch.name}: {exc}") from None
    finally:
        unload(p)
        p.tree.cleanup()


def audit_etcd_patch(patch: Path, nodes: Iterable[int] = DEFAULT_NODES, **kw: Any
                     ) -> PatchReport:
    """Apply `patch` to a copy of etcd's raft package, build a harness through an overlay and
    audit it against the unpatched harness (PatchError)."""
    from audit.patch_apply import patched_etcd
    from conformance.nodes import BackendUnavailable, EtcdBackend
    from etcdharness.client import DEFAULT_TIMEOUT, Harness

    tree, binary = patched_etcd(patch)
    patched: EtcdBackend | None = None
    baseline: EtcdBackend | None = None
    try:
        try:
            baseline = EtcdBackend()
        except BackendUnavailable as exc:
            raise PatchError(str(exc)) from None
        patched = EtcdBackend(harness=Harness(binary, timeout=DEFAULT_TIMEOUT))
        return audit_backends(patch.name, "etcd", patched, baseline, nodes, tree=tree, **kw)
    finally:
        if patched is not None:
            patched.harness.close()
        if baseline is not None:
            baseline.close()
        tree.cleanup()
