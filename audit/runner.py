"""Run an audit: obligations, exhaustive explorations and the behaviour diff for one rule set.

`audit_rules(subject, ...)` audits one changed rule set against its baseline and returns an
`AuditReport`; `audit_catalogue(...)` runs every variant of `model.variants` in kill mode (each
variant stops at its first counterexample, which is what the kill table times).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from audit import shared
from audit.configs import (
    DEFAULT_NODES,
    DIFF_NODES,
    AuditConfig,
    base_configs,
    extra_configs,
    symmetry_applies,
)
from audit.diff import (
    Graph,
    GraphDiff,
    KeySpace,
    Witness,
    abstract_graph,
    first_difference,
)
from audit.directed import directed_config
from audit.on_ray import RayTarget, explore_on_ray
from audit.probe import canonical, describe, probe
from explorer.bfs import INTERRUPTED, Limits, Violation
from explorer.engines import run_search
from model.cluster import ClusterModel
from model.rule_check import RuleError
from model.rules import RULE_NAMES, RULE_SETS, RuleSet
from model.variants import VARIANTS, Variant, changed_rules
from raftcheck.vacuity import vacuity_warnings

Verdict = Literal[
    "safety-broken", "obligation-failed", "liveness-broken", "behaviour-changed",
    "differs-unreached", "no-change",
]
VERDICTS: tuple[Verdict, ...] = (
    "safety-broken", "obligation-failed", "liveness-broken", "behaviour-changed",
    "differs-unreached", "no-change",
)
# A per-rule obligation's `breaks` that names a safety invariant, e.g. "VoteOnce (safety)".
_SAFETY_BREAK = re.compile(r"\bsafety\)")
# Distinct differing inputs kept per changed rule and per run (the counts are exact).
MAX_INPUTS = 20
# The time budget of one audit (seconds from its start) and the cap of each run within it: a
# change whose runs grow far beyond the baseline's (e.g. a pre-vote that escapes the term bound)
# gets incomplete runs, reported as such, instead of an audit of many minutes.
# The budget is opt-in (--time-budget, or RAFTCHECK_AUDIT_BUDGET): by default every run goes to
# its end, so a verdict never depends on how loaded the machine is. AUDIT_BUDGET is the figure
# that keeps a full audit within a minute (bench/audit_bench.py --budget).
AUDIT_BUDGET = 45.0  # plus start-up (imports, Z3): a minute in all
RUN_CAP = 25.0
VIOLATED = "invariant violated"  # explorer's stop reason for a run stopped at its first violation
MIN_RUN = 2.0


def default_budget() -> float | None:
    """None (no budget), or RAFTCHECK_AUDIT_BUDGET seconds when set (0: no budget)."""
    import os

    env = os.environ.get("RAFTCHECK_AUDIT_BUDGET")
    if env is None:
        return None
    try:
        return float(env) or None
    except ValueError:
        return None

# Why a catalogue variant shows no observable change under the audit bounds (measured). A note
# only: it explains a `differs-unreached` verdict and never turns it into `no-change`.
NO_CHANGE_WHY: dict[str, str] = {
    "tally-counts-learners": (
        "no non-voter ever answers a vote request in the model: learners get requests only "
        "when promoted, and then every node counts them as voters"
    ),
    "leader-from-no-message": (
        "stepFollower sets lead = m.From on the same MsgApp/MsgHeartbeat right after the term "
        "switch, so the lead lost by becomeFollower(term, None) is restored at once"
    ),
    "canvote-ignores-leader": (
        "a voter with no vote but a known leader of its term exists only outside the leader's "
        "quorum, and so must the candidate asking it (it is one term behind): that needs "
        "n - quorum(n) >= 2, i.e. 5 or more voters, and the diff runs on 3 voters (safety "
        "holds at every audited size: the vote field alone keeps one vote per term)"
    ),
    "leader-grants-votes": (
        "a leader appends an entry of its term when elected, so a same-term candidate's log "
        "is never up to date for it: isUpToDate rejects before canVote could matter"
    ),
    "record-vote-overwrite": (
        "within the bounds (even with one duplicated message) no voter answers one election "
        "twice with different answers, so no later answer differs from the first"
    ),
    "record-vote-keep-both": (
        "within the bounds (even with one duplicated message) no voter answers one election "
        "twice with different answers, so no id is recorded as both granted and rejected"
    ),
}


@dataclass
class Subject:
    """What is audited: a rule set, its baseline, and where it came from."""

    name: str
    rules: RuleSet
    baseline: RuleSet
    description: str = ""
    citation: str = ""
    source: str = "catalogue"  # "catalogue", "rule set" or a rules file path

    @property
    def changed(self) -> tuple[str, ...]:
        return changed_rules(self.rules, self.baseline)


def subject_from_variant(v: Variant, against: str | None = None) -> Subject:
    base = RULE_SETS[against] if against else v.baseline_rules()
    return Subject(v.name, v.rules, base, v.description, v.citation)


def subject_from_rule_set(name: str, against: str | None = None) -> Subject:
    rules = RULE_SETS[name]
    other = against or ("etcd-3.4" if name != "etcd-3.4" else "seed")
    return Subject(name, rules, RULE_SETS[other], f"the {name} rule set", "model/rules.py",
                   "rule set")


# -- results ---------------------------------------------------------------------------------


@dataclass
class ObligationOutcome:
    name: str
    status: str  # "proved" | "failed" | "error" | "unavailable"
    seconds: float
    counterexample: dict[str, Any] | None = None
    baseline_status: str | None = None
    reused: bool = False
    at: float = 0.0  # seconds since the audit started, when this result was known

    @property
    def advisory(self) -> bool:
        """A failed per-rule obligation whose counterexample breaks no safety invariant (its
        `breaks` names liveness, the lease or the rule's contract): reported with its input,
        but the verdict comes from the runs, which judge liveness and behaviour themselves."""
        cex = self.counterexample
        breaks = cex.get("breaks") if isinstance(cex, dict) else None
        return self.status == "failed" and isinstance(breaks, str) and \
            _SAFETY_BREAK.search(breaks) is None


@dataclass
class TraceStep:
    action: tuple[Any, ...]
    text: str
    changes: list[str]


@dataclass
class Trace:
    title: str
    initial: list[str]
    steps: list[TraceStep]
    final: list[str]
    n: int
    cycle_start: int | None = None  # a liveness lasso: the step (1-based) where the loop starts
    chart: Any = None  # its message sequence chart (raftcheck.chart.model.Chart)

    def __len__(self) -> int:
        return len(self.steps)


@dataclass
class Exploration:
    config: AuditConfig
    complete: bool
    stop_reason: str | None
    distinct_states: int
    seconds: float
    invariants: dict[str, str]
    counterexamples: list[tuple[str, Trace]]
    at: float = 0.0
    rule_calls: int = 0  # calls of changed rules during the run
    divergent_calls: int = 0  # of which returned something else than the baseline's rule
    first_divergence: str | None = None
    vacuous: str | None = None  # why the run proves its invariants about nothing, if it does
    # changed rule -> the first distinct inputs (rendered) on which it answered differently
    divergent_inputs: dict[str, list[str]] = field(default_factory=dict)
    # changed rule -> symmetry classes of every differing input this run reached
    divergent_keys: dict[str, set[Any]] = field(default_factory=dict, repr=False)
    # not run: the changed rules answer as the baseline's on every input the baseline's run
    # of this configuration reached, so this is the baseline's recorded run (audit/shared.py)
    shared: bool = False

    @property
    def inert(self) -> bool:
        """The changed rules behaved as the baseline's on every call of a complete run, so
        this run is the baseline's run: same states, same transitions, same verdicts."""
        return self.complete and not self.counterexamples and self.divergent_calls == 0


@dataclass
class DiffOutcome:
    config: AuditConfig
    diff: GraphDiff
    witnesses: list[tuple[str, Trace]]
    at: float = 0.0
    inert: bool = False  # skipped: the changed rules never diverged in this configuration
    # diffed only because the changed rules diverged here (a configuration the behaviour diff
    # does not compare by default, e.g. 4 voters)
    directed: bool = False


@dataclass
class AuditReport:
    subject: Subject
    nodes: tuple[int, ...]
    mode: str  # "full" or "kill"
    obligations: list[ObligationOutcome] = field(default_factory=list)
    explorations: list[Exploration] = field(default_factory=list)
    diffs: list[DiffOutcome] = field(default_factory=list)
    liveness: list[Any] = field(default_factory=list)  # audit.liveness.LivenessOutcome
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    # changed rule -> inputs of its bounded domain (audit/probe.py) on which it differs from
    # the baseline's rule and that no run reached (directed configurations included)
    unreached_inputs: dict[str, list[str]] = field(default_factory=dict)

    # -- evidence of difference ----------------------------------------------------------------

    def differing_inputs(self) -> dict[str, list[str]]:
        """Changed rule -> inputs reached by some run (explorations and liveness) on which it
        answered differently from the baseline's rule (up to MAX_INPUTS each)."""
        out: dict[str, list[str]] = {}
        runs: list[Any] = [*self.explorations, *self.liveness]
        for run in runs:
            for rule, inputs in getattr(run, "divergent_inputs", {}).items():
                got = out.setdefault(rule, [])
                for text in inputs:
                    if text not in got and len(got) < MAX_INPUTS:
                        got.append(text)
        return out

    def reached_keys(self) -> dict[str, set[Any]]:
        """Changed rule -> symmetry classes of the differing inputs some run reached."""
        out: dict[str, set[Any]] = {}
        runs: list[Any] = [*self.explorations, *self.liveness]
        for run in runs:
            for rule, keys in getattr(run, "divergent_keys", {}).items():
                out.setdefault(rule, set()).update(keys)
        return out

    def runs(self) -> list[Any]:
        """Every exploration and liveness run (not the diffs)."""
        return [*self.explorations, *self.liveness]

    def incomplete(self) -> list[Any]:
        """Runs stopped by a limit (not by a counterexample, as kill mode stops them): what
        they did not find claims nothing."""
        out: list[Any] = []
        for r in self.runs():
            if isinstance(r, Exploration):
                if r.stop_reason is not None and not r.counterexamples:
                    out.append(r)
            elif not r.complete:
                out.append(r)
        # a diff cut short without a difference says nothing about behaviour
        out += [d for d in self.diffs if not d.diff.complete and not d.diff.changed]
        return out

    def reached_divergence(self) -> bool:
        """Some changed rule answered differently on an input that some run reached."""
        runs: list[Any] = [*self.explorations, *self.liveness]
        return any(r.divergent_calls for r in runs)

    # -- verdict ------------------------------------------------------------------------------

    def broken(self) -> list[tuple[Exploration, str, Trace]]:
        return [(e, inv, tr) for e in self.explorations for inv, tr in e.counterexamples]

    def vacuous(self) -> list[Exploration]:
        """Explorations that elected no leader or never fired an enabled action kind."""
        return [e for e in self.explorations if e.vacuous]

    def failed_obligations(self) -> list[ObligationOutcome]:
        """Failed obligations that decide the verdict (advisory ones do not)."""
        return [o for o in self.obligations if o.status == "failed" and not o.advisory]

    def advisory_failures(self) -> list[ObligationOutcome]:
        return [o for o in self.obligations if o.advisory]

    def changed_diffs(self) -> list[DiffOutcome]:
        return [d for d in self.diffs if d.diff.changed]

    def broken_liveness(self) -> list[tuple[Any, str, Trace | None]]:
        out = []
        for lo in self.liveness:
            traces = dict(lo.lassos)
            out += [(lo, p, traces.get(p)) for p in lo.broken]
        return out

    @property
    def verdict(self) -> Verdict:
        if self.broken():
            return "safety-broken"
        if self.failed_obligations():
            return "obligation-failed"
        if self.broken_liveness():
            return "liveness-broken"
        if self.changed_diffs():
            return "behaviour-changed"
        # no-change only when no changed rule differs on any input of its bounded domain
        # (audit/probe.py) and none differed on an input a run reached
        if self.reached_divergence() or self.unreached_inputs:
            return "differs-unreached"
        return "no-change"

    @property
    def exit_code(self) -> int:
        """1 for a break; 3 (as `explore` for a PARTIAL run) when nothing broke but some run
        stopped at a time limit, so the pass claims less than the configurations; else 0."""
        if self.verdict in ("safety-broken", "obligation-failed", "liveness-broken"):
            return 1
        return 3 if self.incomplete() else 0

    def _first(self) -> tuple[str | None, float | None, int | None]:
        v = self.verdict
        if v == "safety-broken":
            e, inv, tr = min(self.broken(), key=lambda x: (x[0].at, len(x[2])))
            return f"explore [{e.config.label}]: {inv}", e.at, len(tr)
        if v == "obligation-failed":
            o = min(self.failed_obligations(), key=lambda o: o.at)
            note = " (also fails on the baseline)" if o.baseline_status == "failed" else ""
            return f"obligation {o.name}{note}", o.at, None
        if v == "liveness-broken":
            lo, prop, ltr = min(self.broken_liveness(), key=lambda x: x[0].at)
            return f"liveness [{lo.config.label}]: {prop}", lo.at, len(ltr) if ltr else None
        if v == "behaviour-changed":
            d = min(self.changed_diffs(), key=lambda d: d.at)
            length = min((len(t) for _, t in d.witnesses), default=None)
            return f"diff [{d.config.label}]", d.at, length
        return None, None, None

    def first_trace(self) -> Trace | None:
        """The trace of the counterexample (or diff witness) that decided the verdict."""
        v = self.verdict
        if v == "safety-broken":
            return min(self.broken(), key=lambda x: (x[0].at, len(x[2])))[2]
        if v == "liveness-broken":
            return min(self.broken_liveness(), key=lambda x: x[0].at)[2]
        if v == "behaviour-changed":
            d = min(self.changed_diffs(), key=lambda d: d.at)
            return min((t for _, t in d.witnesses), key=len, default=None)
        return None

    @property
    def caught_by(self) -> str | None:
        return self._first()[0]

    @property
    def seconds_to_first_counterexample(self) -> float | None:
        at = self._first()[1]
        return round(at, 3) if at is not None else None

    @property
    def counterexample_length(self) -> int | None:
        return self._first()[2]

    @property
    def why_no_change(self) -> str | None:
        if self.verdict == "differs-unreached":
            return self.why_differs_unreached
        if self.verdict != "no-change":
            return None
        if not self.subject.changed:
            return "the rule set is the baseline's (no rule function differs)"
        return (
            f"the changed rules ({', '.join(self.subject.changed)}) answer as the baseline's "
            "on every input of their bounded domain (audit/probe.py: ids up to symmetry, voter "
            "sets of up to 9 counted voters, terms 0..5, log indexes 0..6, every message type, "
            "role and flag), so no run of any configuration within those bounds can differ "
            "from the baseline's run"
        )

    @property
    def why_differs_unreached(self) -> str | None:
        if self.verdict != "differs-unreached":
            return None
        reached = self.differing_inputs()
        parts = []
        if reached:
            where = [getattr(r.config, "label", "?") for r in (*self.explorations,
                                                                 *self.liveness)
                     if r.divergent_calls]
            diffed = [d.config.label for d in self.diffs if not d.inert]
            parts.append(
                "the changed rules answered differently from the baseline's on inputs the runs "
                f"reached (in: {'; '.join(where)}), e.g. {_examples(reached)}; yet no invariant, "
                "obligation or liveness property broke and the behaviour diff found the same "
                "abstract states and transitions"
                + (f" in every diffed configuration ({'; '.join(diffed)})" if diffed else
                   " (no configuration was diffed)")
                + ": the difference did not reach the observable behaviour within the bounds"
            )
        if self.unreached_inputs:
            directed = [e.config.label for e in self.explorations if e.config.reaches]
            parts.append(
                ("no run reached an input on which the changed rules differ, but they differ "
                 if not reached else "they also differ ")
                + "from the baseline's on inputs of their bounded domain that no run reached, "
                f"e.g. {_examples(self.unreached_inputs)}"
                + (f" (directed configurations run: {'; '.join(directed)})" if directed
                   else " (no directed configuration can be built for them)")
                + ": nothing shows these inputs are unreachable, so the audit does not claim "
                "no-change"
            )
        text = "; ".join(parts)
        known = NO_CHANGE_WHY.get(self.subject.name)
        return f"{text} (catalogue note: {known})" if known else text


def _examples(inputs: dict[str, list[str]], per_rule: int = 3) -> str:
    parts = []
    for rule in sorted(inputs):
        shown = inputs[rule][:per_rule]
        more = len(inputs[rule]) - len(shown)
        parts.append("; ".join(shown) + (f" (and {more} more)" if more > 0 else ""))
    return "; ".join(parts)


# -- obligations -----------------------------------------------------------------------------

ObligationRunner = Callable[..., list[Any]]


def _load_obligations() -> tuple[ObligationRunner | None, str | None]:
    try:
        from specs.obligations import run_obligations
    except Exception as exc:  # noqa: BLE001 - another worker's module may be mid-edit
        return None, f"specs.obligations unavailable ({type(exc).__name__}: {exc})"
    return run_obligations, None


def _traced(rules: RuleSet, used: set[str]) -> RuleSet:
    """A copy of `rules` whose functions record their name in `used` when called."""

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def w(*a: Any, **k: Any) -> Any:
            used.add(name)
            return fn(*a, **k)

        w.__name__ = getattr(fn, "__name__", name)
        w.__doc__ = fn.__doc__
        return w

    return rules.with_rules(
        rules.name, **{n: wrap(n, getattr(rules, n)) for n in RULE_NAMES}
    )


class ObligationCache:
    """Baseline obligation results plus the rules each obligation called on the baseline.

    An obligation is a deterministic function of the rules it calls. If a variant changes none
    of the rules an obligation called on the baseline, the variant's run makes exactly the same
    calls with the same results, so the baseline's result is the variant's (used by --all).
    """

    def __init__(self, run: ObligationRunner, max_voters: int) -> None:
        self.run = run
        self.max_voters = max_voters
        self._base: dict[str, list[tuple[Any, frozenset[str]]]] = {}

    def baseline(self, rules: RuleSet) -> list[tuple[Any, frozenset[str]]]:
        got = self._base.get(rules.name)
        key = (rules.name, self.max_voters)
        if got is None and shared.builtin(rules):
            got = shared.load("obligations", key)
        if got is None:
            from specs.obligations import OBLIGATIONS

            got = []
            for ob in OBLIGATIONS:
                used: set[str] = set()
                (res,) = self.run(_traced(rules, used), [ob.name], self.max_voters)
                got.append((res, frozenset(used)))
            if shared.builtin(rules):
                shared.store("obligations", key, got)
        self._base[rules.name] = got
        return got


def run_obligation_checks(
    subject: Subject,
    t0: float,
    max_voters: int,
    cache: ObligationCache | None,
    stop_at_failure: bool,
    notes: list[str],
) -> list[ObligationOutcome]:
    run, problem = _load_obligations()
    if run is None:
        notes.append(problem or "obligations unavailable")
        return []
    out: list[ObligationOutcome] = []
    changed = set(subject.changed)
    base_results = cache.baseline(subject.baseline) if cache else None
    if base_results is None:
        try:
            results = run(subject.rules, None, max_voters)
        except RuleError:
            raise  # a broken rules file: bad input, not a result
        except Exception as exc:  # noqa: BLE001 - a user rule may crash on symbolic input
            notes.append(f"obligations could not run: {type(exc).__name__}: {exc}")
            return []
        for r in results:
            out.append(ObligationOutcome(r.name, r.status, r.seconds, r.counterexample,
                                         at=time.perf_counter() - t0))
        return out
    for base_res, used in base_results:
        if not (used & changed):
            out.append(ObligationOutcome(base_res.name, base_res.status, 0.0,
                                         base_res.counterexample, base_res.status, True,
                                         time.perf_counter() - t0))
        else:
            try:
                (r,) = run(subject.rules, [base_res.name], max_voters)
                status, secs, cex = r.status, r.seconds, r.counterexample
            except RuleError:
                raise
            except Exception as exc:  # noqa: BLE001
                status, secs, cex = "error", 0.0, {"error": f"{type(exc).__name__}: {exc}"}
            out.append(ObligationOutcome(base_res.name, status, secs, cex, base_res.status,
                                         False, time.perf_counter() - t0))
        if stop_at_failure and out[-1].status == "failed" and not out[-1].advisory:
            break
    return out


# -- divergence watching ----------------------------------------------------------------------


class Watch:
    """Counts calls of the changed rules and those whose result differs from the baseline's,
    keeps the first MAX_INPUTS distinct differing inputs of each rule, and the symmetry class
    (audit/probe.py `canonical`) of every differing input reached."""

    def __init__(self) -> None:
        self.calls = 0
        self.divergent = 0
        self.first: str | None = None
        self.inputs: dict[str, dict[Any, str]] = {}
        self.keys: dict[str, set[Any]] = {}

    def record(self, name: str, args: tuple[Any, ...], got: Any, want: Any) -> None:
        try:
            self.keys.setdefault(name, set()).add(canonical(name, args))
        except Exception:  # noqa: BLE001 - an input outside the probed shapes: text only
            pass
        seen = self.inputs.setdefault(name, {})
        if len(seen) >= MAX_INPUTS:
            return
        try:
            key: Any = args
            if key in seen:
                return
        except TypeError:  # an unhashable argument: keep its text
            key = repr(args)
            if key in seen:
                return
        seen[key] = describe_input(name, args, got, want)

    def rendered(self) -> dict[str, list[str]]:
        return {name: list(seen.values()) for name, seen in self.inputs.items() if seen}

    def merge(self, other: Watch) -> None:
        """Add what another copy watched (a Ray worker's, audit/on_ray.py): counts add up (an
        input met by two workers counts twice), the kept inputs stay capped."""
        self.calls += other.calls
        self.divergent += other.divergent
        if self.first is None:
            self.first = other.first
        for name, keys in other.keys.items():
            self.keys.setdefault(name, set()).update(keys)
        for name, seen in other.inputs.items():
            mine = self.inputs.setdefault(name, {})
            for key, text in seen.items():
                if len(mine) >= MAX_INPUTS:
                    break
                mine.setdefault(key, text)


describe_input = describe  # audit/probe.py: the same wording for reached and probed inputs


def watched(rules: RuleSet, baseline: RuleSet, watch: Watch) -> RuleSet:
    """`rules` with each changed rule also run as the baseline's rule on the same arguments.

    The model is deterministic in the rules' results, so a run in which no changed rule ever
    returned something else than the baseline's rule is exactly the baseline's run.
    """

    def wrap(name: str, fn: Callable[..., Any], base: Callable[..., Any]) -> Callable[..., Any]:
        def w(*a: Any, **k: Any) -> Any:
            got = fn(*a, **k)
            watch.calls += 1
            try:
                want = base(*a, **k)
                same = bool(got == want)
            except Exception:  # noqa: BLE001 - the baseline refusing the input is a difference
                want, same = "an exception", False
            if not same:
                watch.divergent += 1
                if watch.first is None:
                    watch.first = describe_input(name, a, got, want)
                watch.record(name, a, got, want)
            return got

        return w

    changed = changed_rules(rules, baseline)
    if not changed:
        return rules
    return rules.with_rules(
        rules.name, **{n: wrap(n, getattr(rules, n), getattr(baseline, n)) for n in changed}
    )


# -- traces ----------------------------------------------------------------------------------


def trace_of(
    model: ClusterModel, title: str, init: Any, steps: Sequence[Any], chart: Any = None
) -> Trace:
    """Render a trace (steps are explorer Steps or (action, state) pairs), with its chart
    (drawn here from the states unless given)."""
    from raftcheck.chart.model import build_chart

    out = []
    prev = init
    for s in steps:
        action, state = (s.action, s.state) if hasattr(s, "action") else s
        out.append(TraceStep(action, model.describe_action(action),
                             model.describe_changes(prev, state)))
        prev = state
    if chart is None:
        chart = build_chart(model, init, steps, title=title, kind="witness")
    return Trace(title, model.describe_state(init), out, model.describe_state(prev), model.n,
                 chart=chart)


def lasso_trace(model: ClusterModel, g: Any, lasso: Any) -> Trace:
    """A liveness lasso as an audit trace, with real terms; `cycle_start` marks the loop."""
    from raftcheck.chart.sources import lasso_chart
    from raftcheck.render_liveness import concrete

    init, prefix, cycle = concrete(model, g, lasso)
    prop = next(p for p in model.liveness_properties() if p.name == lasso.prop)
    tr = trace_of(model, f"{prop.name}: {prop.statement}", init, prefix + cycle,
                  chart=lasso_chart(model, g, lasso))
    tr.cycle_start = len(prefix) + 1 if cycle else None
    return tr


def _violation_trace(model: ClusterModel, v: Violation) -> Trace:
    from raftcheck.chart.sources import violation_chart

    inv = next((i for i in model.invariants() if i.name == v.invariant), None)
    title = f"{v.invariant}: {inv.statement}" if inv else v.invariant
    return trace_of(model, title, v.init, v.steps, chart=violation_chart(model, v))


def _witness_trace(w: Witness) -> Trace:
    what = "state" if w.kind == "state" else "transition"
    title = f"a {what} reachable only under the {w.side}"
    return trace_of(w.model, title, w.init, w.steps)


# -- the audit -------------------------------------------------------------------------------


class BaselineGraphs:
    """Abstract graphs of the baseline per configuration, built once (shared by --all)."""

    def __init__(self, time_limit: float | None) -> None:
        self.time_limit = time_limit
        self._graphs: dict[tuple[str, AuditConfig], tuple[Graph, KeySpace]] = {}

    def get(self, rules: RuleSet, ac: AuditConfig) -> tuple[Graph, KeySpace]:
        key = (rules.name, ac)
        got = self._graphs.get(key)
        if got is None:
            model = ClusterModel(ac.cfg, rules)
            got = self._graphs[key] = (abstract_graph(model, self.time_limit), KeySpace(model))
        return got


def audit_rules(
    subject: Subject,
    nodes: Iterable[int] = DEFAULT_NODES,
    *,
    kill_mode: bool = False,
    obligations: bool = True,
    max_voters: int = 9,
    diff: bool = True,
    explore_time_limit: float | None = 300.0,
    diff_time_limit: float | None = 120.0,
    obligation_cache: ObligationCache | None = None,
    baselines: BaselineGraphs | None = None,
    progress: Callable[[str], None] | None = None,
    liveness: bool = True,
    liveness_cache: Any = None,
    liveness_configs: Any = None,
    directed: bool = True,
    budget: float | None | Literal["default"] = "default",
    settled_runs_stop: bool = True,
    ray: RayTarget | None = None,
) -> AuditReport:
    """Audit `subject` against its baseline.

    Full mode (default): every check runs, explorations keep going to report every broken
    invariant with its shortest counterexample (except, with `settled_runs_stop`, runs of more
    voters than the diffed ones once an earlier run broke an invariant: they stop at their
    first violation, which cannot change the verdict). Kill mode: checks run cheapest first and the
    audit stops at the first counterexample (explorations stop at their first violation).
    `ray`: the explorations run on that Ray cluster (audit/on_ray.py), the rest here.
    """
    t0 = time.perf_counter()
    if budget == "default":
        budget = default_budget()
    nodes = tuple(nodes)
    report = AuditReport(subject, nodes, "kill" if kill_mode else "full")
    say = progress or (lambda _msg: None)
    baselines = baselines or BaselineGraphs(diff_time_limit)

    def done() -> AuditReport:
        report.seconds = time.perf_counter() - t0
        first_only = [e.config.label for e in report.explorations
                      if not kill_mode and e.stop_reason == VIOLATED]
        if first_only:
            report.notes.append(
                f"{len(first_only)} run(s) stopped at their first violation, as an earlier run "
                f"had already broken an invariant: {'; '.join(first_only)}; their other "
                "invariants are unknown"
            )
        cut = [r.config.label for r in report.incomplete()]
        if cut:
            report.notes.append(
                f"{len(cut)} run(s) stopped at a time limit"
                + (f" (the audit's budget is {budget:.0f} s, {RUN_CAP:.0f} s per run)"
                   if budget is not None else "")
                + f": {'; '.join(cut)}; what they found is real, what they did not find "
                "claims nothing (`audit_rules(budget=None)` runs them to the end)"
            )
        return report

    def limit(default: float | None) -> float | None:
        """A run's time limit: its own, within the audit's budget (a run gets at least
        MIN_RUN seconds, so a late run still starts)."""
        if budget is None:
            return default
        left = max(MIN_RUN, t0 + budget - time.perf_counter())
        return min(x for x in (default, RUN_CAP, left) if x is not None)

    if obligations:
        say("obligations")
        if obligation_cache is None and shared.builtin(subject.baseline):
            # the baseline's results are shared between audits (audit/shared.py): only the
            # obligations that call a changed rule run again
            run, _problem = _load_obligations()
            obligation_cache = ObligationCache(run, max_voters) if run is not None else None
        report.obligations = run_obligation_checks(
            subject, t0, max_voters, obligation_cache, kill_mode, report.notes
        )
        if kill_mode and report.failed_obligations():
            return done()

    configs = base_configs(nodes)
    extras = extra_configs(subject.changed)
    # The extra configurations target the changed rules and are small: they go first.
    order = extras + [c for c in configs if c.cfg.voters <= DIFF_NODES]
    order += [c for c in configs if c.cfg.voters > DIFF_NODES]
    seen_cfgs = set()
    unique = []
    for c in order:  # an extra configuration may equal a base one (e.g. "4 voters")
        if c.cfg not in seen_cfgs:
            seen_cfgs.add(c.cfg)
            unique.append(c)
    order = unique
    def keeps_going(ac: AuditConfig) -> bool:
        """Whether a run goes on past its first violation to find every broken invariant.
        Kill mode never does. In full mode a run with more voters than the diffed ones stops
        at its first violation once an earlier run broke an invariant: the verdict is then
        safety-broken whatever else it finds, and going on through the violating states can
        cost minutes (`prevote-grant-records-vote`, 4 voters with pre-vote: its first violation
        after 9 states, every invariant decided after millions)."""
        if kill_mode:
            return False
        return not (settled_runs_stop and ac.cfg.voters > DIFF_NODES and report.broken())

    def explore_one(ac: AuditConfig) -> Exploration:
        record = shared.load("explore", (subject.baseline.name, ac.cfg)) \
            if shared.builtin(subject.baseline) else None
        if record is not None:
            checked = shared.agrees(subject.rules, subject.baseline, subject.changed,
                                    record["inputs"])
            if checked is not None:
                say(f"explore [{ac.label}]: the baseline's run (shared)")
                e = Exploration(ac, True, None, record["distinct_states"], 0.0,
                                dict(record["invariants"]), [], time.perf_counter() - t0,
                                checked, 0, None, record["vacuous"], shared=True)
                report.explorations.append(e)
                return e
        say(f"explore [{ac.label}]")
        watch = Watch()
        recorder = shared.Recorder()
        model = ClusterModel(ac.cfg, recorder.rules(
            watched(subject.rules, subject.baseline, watch)))
        if ray is None:
            res = run_search(
                model, symmetry=symmetry_applies(ac.cfg), keep_going=keeps_going(ac),
                limits=Limits(time_limit=limit(explore_time_limit)),
            )
        else:
            res, lost = explore_on_ray(
                model, ray, keep_going=keeps_going(ac),
                limits=Limits(time_limit=limit(explore_time_limit)),
                observers=[watch, recorder],
            )
            if lost is not None:
                report.notes.append(f"explore [{ac.label}]: a Ray worker was lost ({lost}); "
                                    "the run is incomplete")
        if res.stop_reason == INTERRUPTED:  # Ctrl-C ends the whole audit, not this run only
            raise KeyboardInterrupt
        cex = [(v.invariant, _violation_trace(model, v)) for v in res.violations]
        vacuous = vacuity_warnings(model, res)
        e = Exploration(ac, res.complete or (not kill_mode and res.stop_reason is None),
                        res.stop_reason, res.distinct_states, res.seconds, res.invariants, cex,
                        time.perf_counter() - t0, watch.calls, watch.divergent, watch.first,
                        vacuous[0] if vacuous else None, watch.rendered(), watch.keys)
        report.explorations.append(e)
        if e.inert and res.complete and shared.builtin(subject.baseline):
            # no changed rule diverged: this was the baseline's run, so it is its record
            shared.store("explore", (subject.baseline.name, ac.cfg), {
                "inputs": recorder.inputs, "distinct_states": res.distinct_states,
                "invariants": dict(res.invariants), "vacuous": e.vacuous})
        return e

    for ac in order:
        if explore_one(ac).counterexamples and kill_mode:
            return done()

    def diff_one(ac: AuditConfig, directed: bool = False) -> GraphDiff:
        say(f"diff [{ac.label}]")
        # lockstep: both sides together, stopping at the first difference (audit/diff.py)
        d = first_difference(_diff_model(ac, subject.rules), _diff_model(ac, subject.baseline),
                             limit(diff_time_limit))
        report.diffs.append(
            DiffOutcome(ac, d, [(w.side, _witness_trace(w)) for w in d.witnesses],
                        time.perf_counter() - t0, directed=directed)
        )
        return d

    # Every input of the changed rules' bounded domains on which they differ from the
    # baseline's (audit/probe.py). For those no run reached, directed configurations built from
    # the input itself (audit/directed.py) are explored and diffed, smallest input first, until
    # one shows the difference (or breaks something).
    differing = probe(subject.rules, subject.baseline, subject.changed)
    directed_runs: list[AuditConfig] = []
    if directed:
        tried = set(seen_cfgs)
        while len(directed_runs) < MAX_DIRECTED:
            nxt = _next_directed(differing, report.reached_keys(), tried)
            if nxt is None:
                break
            tried.add(nxt.cfg)
            directed_runs.append(nxt)
            e = explore_one(nxt)
            if e.counterexamples:  # full mode goes on: every broken configuration is shown
                if kill_mode:
                    return done()
                continue
            if not diff:
                continue
            if e.inert:  # it did not reach a difference: it is the baseline's run
                report.diffs.append(DiffOutcome(nxt, GraphDiff.identical(), [],
                                                time.perf_counter() - t0, inert=True,
                                                directed=True))
            elif diff_one(nxt, directed=True).changed:
                break
    report.unreached_inputs = _unreached(differing, report.reached_keys())
    if kill_mode and report.changed_diffs():
        return done()

    if liveness:
        from audit.liveness import BaselineLiveness, check_liveness

        say("liveness")
        from audit.liveness import liveness_configs_for

        report.liveness = check_liveness(
            subject, t0, liveness_cache or BaselineLiveness(), kill_mode,
            liveness_configs_for(subject.changed) if liveness_configs is None
            else liveness_configs, lambda: limit(600.0),
        )
        if kill_mode and report.broken_liveness():
            return done()

    report.unreached_inputs = _unreached(differing, report.reached_keys())

    if diff:
        default_diffs = extras + [c for c in configs if c.cfg.voters == DIFF_NODES]
        for ac in default_diffs:
            explored = next((e for e in report.explorations if e.config == ac), None)
            if explored is not None and explored.inert:
                report.diffs.append(DiffOutcome(ac, GraphDiff.identical(), [],
                                                time.perf_counter() - t0, inert=True))
                continue
            if diff_one(ac).changed and kill_mode:
                break
        if not report.changed_diffs():
            # No evidence without a diff: where a changed rule answered differently in a
            # configuration the default diff does not compare (another voter count), diff it.
            for e in report.explorations:
                if e.divergent_calls and e.config not in default_diffs \
                        and e.config not in directed_runs:
                    if diff_one(e.config, directed=True).changed and kill_mode:
                        break
        # A liveness configuration where a changed rule diverged (partitions, learners, initial
        # terms the safety runs lack) is diffed too, as a safety configuration: the plain
        # graph, absolute terms up to its max_term.
        for lo in report.liveness:
            if kill_mode and report.changed_diffs():
                break
            if lo.divergent_calls and lo.config not in {d.config for d in report.diffs}:
                diff_one(lo.config, directed=True)
        if any(n != DIFF_NODES for n in nodes):
            report.notes.append(
                f"the behaviour diff runs on the {DIFF_NODES}-voter and extra configurations, "
                "and on any other configuration where a changed rule answered differently "
                "from the baseline's; the rest are explored for safety only"
            )
    return done()


MAX_DIRECTED = 3  # directed configurations per audit (each is explored and diffed)


def _diff_model(ac: AuditConfig, rules: RuleSet) -> ClusterModel:
    """The model a behaviour diff explores; without symmetry where links are cut or lossy
    (a liveness configuration: the symmetry reduction does not permute links)."""
    model = ClusterModel(ac.cfg, rules)
    if ac.cfg.has_network or not symmetry_applies(ac.cfg):
        model.canonical = _same  # type: ignore[method-assign]
    return model


def _same(st: Any) -> Any:
    return st


def _next_directed(
    differing: dict[str, list[tuple[Any, tuple[Any, ...], str]]],
    reached: dict[str, set[Any]],
    tried: set[Any],
) -> AuditConfig | None:
    """A new directed configuration for the smallest differing input no run reached yet."""
    for rule, items in differing.items():
        got = reached.get(rule, set())
        for key, args, text in items:
            if key in got:
                continue
            ac = directed_config(rule, args, text)
            if ac is not None and ac.cfg not in tried:
                return ac
    return None


def _unreached(
    differing: dict[str, list[tuple[Any, tuple[Any, ...], str]]],
    reached: dict[str, set[Any]],
) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rule, items in differing.items():
        got = reached.get(rule, set())
        texts = [text for key, _args, text in items if key not in got][:MAX_INPUTS]
        if texts:
            out[rule] = texts
    return out


# -- inputs no run reached -------------------------------------------------------------------


def probe_differences(
    rules: RuleSet, baseline: RuleSet, limit: int = MAX_INPUTS
) -> dict[str, list[str]]:
    """Changed rule -> inputs of its bounded domain (audit/probe.py) on which it answers
    differently from the baseline's rule (up to `limit` each, smallest clusters first)."""
    found = probe(rules, baseline, changed_rules(rules, baseline), keep=limit)
    return {rule: [text for _k, _a, text in items] for rule, items in found.items()}


@dataclass
class KillRow:
    name: str
    baseline: str
    verdict: Verdict
    caught_by: str | None
    seconds_to_first_counterexample: float | None
    counterexample_length: int | None
    seconds: float
    why: str | None
    cpu_seconds: float | None = None
    trace: Trace | None = None  # the counterexample that caught it (for the HTML report)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "verdict": self.verdict,
            "caught_by": self.caught_by,
            "seconds_to_first_counterexample": self.seconds_to_first_counterexample,
            "counterexample_length": self.counterexample_length,
            "baseline": self.baseline,
            "seconds": round(self.seconds, 3),
            "why": self.why,
            "cpu_seconds": None if self.cpu_seconds is None else round(self.cpu_seconds, 3),
        }


def kill_row(report: AuditReport) -> KillRow:
    return KillRow(
        report.subject.name, report.subject.baseline.name, report.verdict, report.caught_by,
        report.seconds_to_first_counterexample, report.counterexample_length, report.seconds,
        report.why_no_change, trace=report.first_trace(),
    )


_WORKER: dict[str, Any] = {}


def _audit_one(name: str, nodes: tuple[int, ...], against: str | None, max_voters: int,
               ray: RayTarget | None = None) -> KillRow:
    """Kill-mode audit of one catalogue variant, with per-process caches."""
    if "baselines" not in _WORKER:
        run, _problem = _load_obligations()
        _WORKER["cache"] = ObligationCache(run, max_voters) if run is not None else None
        _WORKER["baselines"] = BaselineGraphs(120.0)
        from audit.liveness import BaselineLiveness

        _WORKER["liveness"] = BaselineLiveness()
    v = next(x for x in VARIANTS if x.name == name)
    cpu0 = time.process_time()
    rep = audit_rules(
        subject_from_variant(v, against), nodes, kill_mode=True, max_voters=max_voters,
        obligation_cache=_WORKER["cache"], baselines=_WORKER["baselines"],
        liveness=_WORKER.get("liveness_on", True), liveness_cache=_WORKER["liveness"],
        ray=ray,
    )
    row = kill_row(rep)
    row.cpu_seconds = time.process_time() - cpu0
    return row


def audit_catalogue(
    variants: Sequence[Variant] = VARIANTS,
    nodes: Iterable[int] = (DIFF_NODES,),
    *,
    against: str | None = None,
    max_voters: int = 9,
    jobs: int = 1,
    progress: Callable[[str], None] | None = None,
    liveness: bool = True,
    ray: RayTarget | None = None,
) -> tuple[list[KillRow], float]:
    """Every variant in kill mode; obligations reused where the changed rules are not read.

    With jobs > 1 the variants are split over that many processes (each builds its own
    baseline caches); a variant's seconds are measured inside its process. With `ray` the
    variants go one after the other, each exploring on that cluster (jobs must be 1).
    """
    if ray is not None and jobs > 1:
        raise ValueError("jobs > 1 splits the catalogue over processes of this machine; "
                         "with Ray the variants go one at a time")
    t0 = time.perf_counter()
    nodes = tuple(nodes)
    names = [v.name for v in variants]
    _WORKER["liveness_on"] = liveness
    if jobs <= 1:
        rows = []
        for name in names:
            if progress:
                progress(name)
            rows.append(_audit_one(name, nodes, against, max_voters, ray))
        return rows, time.perf_counter() - t0
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures = [pool.submit(_audit_one, n, nodes, against, max_voters) for n in names]
        out = []
        for name, fut in zip(names, futures, strict=True):
            out.append(fut.result())
            if progress:
                progress(f"{name} done")
    return out, time.perf_counter() - t0
