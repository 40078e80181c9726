"""Liveness for patch audits: the audit's liveness configurations on the patched and the
unpatched implementation, on the absolute-term graph.

The rules audit's liveness graph normalises every state (model/liveness.py: terms shifted down
so the lowest is 1, shared log prefixes dropped). That relies on the rules being
shift-invariant (checked on the rule functions, `check_shift_invariance`), and a normalised
state has node states no run reached. An implementation has neither guarantee: code may read an
absolute term or index, and an `ImplClusterModel` has an implementation node only for the
abstract node states a real path of implementation steps reached (its hidden state, e.g.
progress trackers, comes from that path). Building the node for a shifted state from a reached
one would mean rewriting hidden state in the implementation (impossible through the etcd
harness, and unsound for a patch that reads absolute terms). So here nothing is normalised:
`AbsoluteLiveness` keeps every state as it is and its highest term is checked against
`max_term` as an absolute bound. Every state of the graph is then reached by implementation
steps, and the existing machinery for bounds applies unchanged: a state where the bound
disabled an action is never part of a violation (its cycles and dead ends count the disabled
action as enabled), so a cycle that needs the terms to climb ends `unknown`, not violated.
What remains decidable is what stays within the bound: deadlocks and traps (LeaderElectable,
EventuallyLeader cycles at fixed terms, e.g. pre-candidates that retry forever), depositions
of a stable leader (LeaderStable: a finite path) and leadership changes that need no new term.

Every liveness configuration of the rules audit runs (audit/liveness.py `LIVENESS_CONFIGS`,
including the targeted one, since a patch may touch any rule): measured on the unpatched impl,
each finishes within seconds at its bounds, with the same states and transitions as the
reference model's absolute-term graph (tests/audit/test_patch_liveness.py).

A change is `liveness-broken` when the patched implementation violates a property that the
unpatched implementation holds in the same configuration, on the same absolute graph. As for
the safety runs, every step is also run on the unpatched implementation (`ImplWatch`); a
complete run in which no step differed is the unpatched run, so its verdicts are the baseline's
without a second graph.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from audit.configs import AuditConfig
from audit.impl_explore import ImplClusterModel, ImplLogic
from audit.liveness import LIVENESS_CONFIGS, LivenessOutcome
from conformance.nodes import Backend
from explorer.bfs import Limits
from explorer.liveness import LiveGraph, LivenessVerdicts, analyse, explore_graph
from model.cluster import ClusterModel, State
from model.liveness import Liveness, LivenessOptions
from model.node_state import TERM
from model.rules import RuleSet

STEPS_RULE = "implementation steps"  # as audit/patch_audit.py (no import cycle)
# Every configuration: the targeted one (BRIDGE) takes seconds on the absolute graph too.
PATCH_LIVENESS_CONFIGS: tuple[AuditConfig, ...] = LIVENESS_CONFIGS


class AbsoluteLiveness(Liveness):
    """Liveness labels and flags without normalisation: `max_term` bounds absolute terms."""

    def rebase(self, st: State) -> tuple[State, int, bool]:
        m = self.model
        assert m is not None
        node_tab, msg_tab = m.node_tab, m.msg_tab
        high = max(node_tab[x][TERM] for x in st[: m.n])
        for mid in st[m.hist_pos + 1 :]:
            t = msg_tab[mid][3]
            if t > high:
                high = t
        return st, high, False


def absolute_graph(model: ClusterModel, time_limit: float | None
                   ) -> tuple[LiveGraph, LivenessVerdicts]:
    """The liveness graph of `model` (built with an AbsoluteLiveness) and its verdicts."""
    live = model.live
    assert isinstance(live, AbsoluteLiveness)
    index: dict[Any, int] = {}
    live.use_known(index)
    g = explore_graph(model, limits=Limits(time_limit=time_limit), index=index)
    live.use_known(None)
    names = tuple(p.name for p in model.liveness_properties())
    return g, analyse(g, names, live.progress_witness, live.strong_fair)


def impl_liveness_model(ac: AuditConfig, backend: Backend | None, rules: RuleSet | None = None,
                        *, watch_backend: Backend | None = None,
                        logic: ImplLogic | None = None) -> ImplClusterModel:
    return ImplClusterModel(ac.cfg, backend, rules, watch_backend=watch_backend, logic=logic,
                            liveness=AbsoluteLiveness(LivenessOptions()))


class BaselineImplLiveness:
    """Verdicts of the unpatched implementation per configuration (computed once)."""

    def __init__(self, backend: Backend, time_limit: float | None = 600.0) -> None:
        self.backend = backend
        self.time_limit = time_limit
        self._got: dict[AuditConfig, tuple[bool, dict[str, str]]] = {}

    def get(self, ac: AuditConfig, logic: ImplLogic | None = None
            ) -> tuple[bool, dict[str, str]]:
        """(complete, verdicts). `logic`: the unpatched side of the patched run's watch (its
        implementation nodes and steps are reused)."""
        got = self._got.get(ac)
        if got is None:
            model = impl_liveness_model(ac, self.backend if logic is None else None,
                                        logic=logic)
            g, v = absolute_graph(model, self.time_limit)
            got = self._got[ac] = (g.complete, dict(v.verdicts))
        return got


def check_patch_liveness(
    patched: Backend,
    baselines: BaselineImplLiveness,
    rules: RuleSet,
    t0: float,
    kill_mode: bool,
    configs: Iterable[AuditConfig] = PATCH_LIVENESS_CONFIGS,
    time_limit: Callable[[], float | None] = lambda: 600.0,
    progress: Callable[[str], None] | None = None,
    models: list[ImplClusterModel] | None = None,
) -> list[LivenessOutcome]:
    """Each configuration's verdicts for the patched implementation, next to the unpatched
    one's, with a lasso for every property only the patched one violates. `models` receives
    each patched model (its implementation steps are counted in the report)."""
    say = progress or (lambda _msg: None)
    out: list[LivenessOutcome] = []
    for ac in configs:
        say(f"liveness [{ac.label}]")
        t = time.perf_counter()
        model = impl_liveness_model(ac, patched, rules, watch_backend=baselines.backend)
        if models is not None:
            models.append(model)
        g, v = absolute_graph(model, time_limit())
        watch = model.watch
        assert watch is not None
        inert = g.complete and watch.divergent == 0
        if inert:  # the unpatched implementation's run: same graph, same verdicts
            base = dict(v.verdicts)
        else:
            base_complete, base = baselines.get(ac, watch.other)
            if not base_complete:
                base = {p: "unknown" for p in base}
        res = LivenessOutcome(
            ac, g.complete, len(g), time.perf_counter() - t, dict(v.verdicts), base,
            at=time.perf_counter() - t0, rule_calls=watch.compared,
            divergent_calls=watch.divergent,
            divergent_inputs={STEPS_RULE: list(watch.inputs)} if watch.inputs else {},
        )
        res.add_lassos(model, g, v.lassos)
        out.append(res)
        if kill_mode and res.broken:
            break
    return out
