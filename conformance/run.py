"""Entry points: `run_lockstep(...) -> Report` (used by `raftcheck conform` and `raftcheck
check`) and `short_pass(seed) -> bool`."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from conformance.abstraction import Action
from conformance.engine import Lockstep
from conformance.lockstep import (
    CONF_RULES,
    CONF_STEP_KINDS,
    ConfDraw,
    Counters,
    DivergenceFound,
    draw_config,
    machine_class,
    run_program,
)
from conformance.nodes import ETCD_RULES, IMPLS, Backend, HarnessFailure, make_backend
from conformance.trace import trace_to_json, write_trace
from model.config import ClusterConfig, ConfigError
from model.rules import RULE_SETS

DEFAULT_EXAMPLES = 200
DEFAULT_STEPS = 100
SHORT_PASS_EXAMPLES = 40


@dataclass
class Report:
    conformant: bool
    examples: int
    steps: int
    seconds: float
    seed: int
    nodes: int | None
    rules: str | None
    divergence: dict[str, Any] | None = None  # the minimal trace, JSON form
    trace_file: str | None = None
    error: str | None = None  # an unexpected failure of the harness itself
    # --impl etcd: examples abandoned because the etcd harness process crashed, hung or
    # printed garbage (then `error` holds the first such failure, naming the last request).
    harness_failures: int = 0
    # Membership-change steps run (`conf`: lockstep runs with --conf-changes), by kind.
    conf_steps: dict[str, int] | None = None

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "conformant": self.conformant,
            "examples": self.examples,
            "steps": self.steps,
            "seconds": round(self.seconds, 3),
            "steps_per_second": round(self.steps_per_second, 1),
            "seed": self.seed,
            "nodes": self.nodes,
            "rules": self.rules,
            "divergence": self.divergence,
            "trace_file": self.trace_file,
            "error": self.error,
            "harness_failures": self.harness_failures,
            "conf_changes": self.conf_changes,
            "conf_steps": dict(self.conf_steps or dict.fromkeys(CONF_STEP_KINDS, 0)),
        }

    @property
    def conf_changes(self) -> int:
        """How many propose-conf and apply steps ran (0 without membership changes)."""
        return sum((self.conf_steps or {}).values())

    def minimal_steps(self) -> int | None:
        if self.divergence is None:
            return None
        return len(self.divergence["actions"])


def check_args(
    nodes: int | None, examples: int, rules: str | None, impl: str = "python"
) -> None:
    """Raise ConfigError (one line) for bad input."""
    if impl not in IMPLS and not impl.startswith(("cmd:", "module:")):
        raise ConfigError(
            f"unknown implementation {impl!r} (known: {', '.join(IMPLS)}, cmd:PROGRAM [ARGS], "
            "module:package.module:factory)"
        )
    if impl == "etcd" and rules is not None and rules != ETCD_RULES:
        raise ConfigError(f"--rules {rules}: etcd implements {ETCD_RULES} only")
    if nodes is not None and not 1 <= nodes <= 7:
        raise ConfigError(f"--nodes must be between 1 and 7 (got {nodes})")
    if examples < 1:
        raise ConfigError(f"--examples must be at least 1 (got {examples})")
    if rules is not None and rules not in RULE_SETS:
        raise ConfigError(f"unknown rule set {rules!r} (known: {', '.join(RULE_SETS)})")


def run_lockstep(
    nodes: int | None = None,
    examples: int = DEFAULT_EXAMPLES,
    seed: int | None = None,
    rules: str | None = None,
    *,
    steps: int = DEFAULT_STEPS,
    trace_dir: Path | str | None = None,
    shrink: bool = True,
    engine: str = "program",
    hypothesis_shrink: bool = False,
    impl: str | Backend = "python",
    progress: Callable[[int, int, float], None] | None = None,
    conf: ConfDraw | None = None,
) -> Report:
    """Run `examples` Hypothesis examples of the lockstep machine.

    `nodes` fixes the number of voters (else 3-5 are drawn), `rules` the rule set (else both
    are drawn). On a divergence the minimal run is in `Report.divergence` (and written to
    `trace_dir`, if given, as a replayable JSON file).

    `engine`: "program" (default, fast: Hypothesis draws each run's rule sequence as one byte
    string) or "stateful" (the `LockstepMachine` RuleBasedStateMachine, one draw per rule).
    Both use the same rules and the same checks. A failing run is shrunk by `minimize`
    (deleting steps, simplifying the configuration), which is much faster on these runs than
    Hypothesis' own shrinker; `hypothesis_shrink=True` runs that one first as well.

    `impl`: "python" (impl/'s RawNode) or "etcd" (etcd's raft library through the harness,
    `etcd-3.4` rules only; raises `conformance.nodes.BackendUnavailable` without the harness),
    or a `conformance.nodes.Backend` (not closed here).

    `progress(examples, steps, seconds)` is called at most every half second, between
    examples of the program engine.

    `conf`: membership changes (`conformance.lockstep.ConfDraw`); the rule set is then drawn
    from etcd-3.4 and etcd-3.5 unless given, and programs propose and apply changes. A
    configuration that admits no change (a bad spec) raises ConfigError.
    """
    impl_name = impl.name if isinstance(impl, Backend) else impl
    check_args(nodes, examples, rules, impl_name)
    if engine not in ("program", "stateful"):
        raise ConfigError(f"unknown engine {engine!r} (known: program, stateful)")
    if impl_name == "etcd":
        rules = ETCD_RULES
        if engine != "program":
            raise ConfigError("--impl etcd runs the program engine only")
    if conf is not None:
        conf.shapes(nodes)  # raises ConfigError for a spec that never makes sense
    if seed is None:
        seed = random.randrange(1 << 32)
    backend = impl if isinstance(impl, Backend) else make_backend(impl)
    try:
        rules = _plugin_rules(backend, rules, engine)
        if conf is not None:
            rules = _conf_rules(backend, rules)
        return _run_lockstep(nodes, examples, seed, rules, steps, trace_dir, shrink, engine,
                             hypothesis_shrink, backend, progress, conf)
    finally:
        if not isinstance(impl, Backend):
            backend.close()


def _plugin_rules(backend: Backend, rules: str | None, engine: str) -> str | None:
    """A plug-in implementation (`--impl cmd:` / `module:`, conformance/plugins.py) runs the
    rule sets it implements and the program engine only (the stateful machine drives impl/)."""
    if backend.name in IMPLS:
        return rules
    if engine != "program":
        raise ConfigError(f"--impl {backend.name} runs the program engine only")
    if backend.rules is not None:
        if rules is not None and rules not in backend.rules:
            raise ConfigError(
                f"--rules {rules}: {backend.name} implements {', '.join(backend.rules)} only"
            )
        if rules is None and len(backend.rules) == 1:
            return backend.rules[0]
    return rules


def _conf_rules(backend: Backend, rules: str | None) -> str | None:
    """A plug-in harness with membership changes: it must serve them (`conf_change` among its
    features) and implement a rule set they are drawn from (etcd-3.4, etcd-3.5)."""
    features = getattr(backend, "features", None)
    if features is not None and "conf_change" not in features:
        raise ConfigError(f"--impl {backend.name} does not serve membership changes "
                          "(no 'conf_change' among its features)")
    if rules is not None or backend.rules is None:
        return rules
    ok = [r for r in CONF_RULES if r in backend.rules]
    if not ok:
        raise ConfigError(f"--conf-changes: {backend.name} implements "
                          f"{', '.join(backend.rules)} only (changes are drawn with "
                          f"{' or '.join(CONF_RULES)})")
    return ok[0] if len(ok) == 1 else None


def _run_lockstep(
    nodes: int | None,
    examples: int,
    seed: int,
    rules: str | None,
    steps: int,
    trace_dir: Path | str | None,
    shrink: bool,
    engine: str,
    hypothesis_shrink: bool,
    backend: Backend,
    progress: Callable[[int, int, float], None] | None = None,
    conf: ConfDraw | None = None,
) -> Report:
    cls = machine_class(nodes, rules, seed, conf)
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if hypothesis_shrink else [])
    cfg = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        phases=phases,
        report_multiple_bugs=False,
        print_blob=False,
    )
    start = time.perf_counter()
    error: str | None = None
    harness_failures: list[str] = []
    try:
        if engine == "stateful":
            run_state_machine_as_test(cls, settings=cfg)
        else:
            test = _program_test(nodes, rules, cls.counters, cls.failures, steps, backend,
                                 harness_failures, _throttled(progress, cls.counters, start),
                                 conf)
            cfg(hypothesis_seed(seed)(test))()
    except Exception as e:  # noqa: BLE001 - reported, not raised, to keep the CLI clean
        # A divergence is recorded in cls.failures before it is raised; anything else is a
        # failure of the harness itself.
        if not cls.failures:
            error = f"{type(e).__name__}: {e}"
    seconds = time.perf_counter() - start
    if harness_failures and error is None:
        error = (
            f"{harness_failures[0]} ({len(harness_failures)} of {cls.counters.examples} "
            "examples abandoned; the harness was restarted for each next example)"
        )
    report = Report(
        conformant=not cls.failures and error is None,
        examples=cls.counters.examples,
        steps=cls.counters.steps,
        seconds=seconds,
        seed=seed,
        nodes=nodes,
        rules=rules,
        error=error,
        harness_failures=len(harness_failures),
        conf_steps=dict(cls.counters.conf),
    )
    if cls.failures:
        minimal = min(cls.failures[-1:] + cls.failures, key=_length)
        if shrink:
            minimal = minimize(minimal)
        report.divergence = trace_to_json(minimal)
        if trace_dir is not None:
            path = Path(trace_dir) / f"conform-divergence-seed{seed}.json"
            report.trace_file = str(write_trace(minimal, path))
    return report


def _length(run: Lockstep) -> int:
    return len(run.steps)


def _throttled(
    progress: Callable[[int, int, float], None] | None, counters: Counters, start: float,
    every: float = 0.5,
) -> Callable[[], None] | None:
    """A callback reporting the counters to `progress`, at most once per `every` seconds."""
    if progress is None:
        return None
    last = [start - every]  # the first example reports at once

    def tick() -> None:
        now = time.perf_counter()
        if now - last[0] >= every:
            last[0] = now
            progress(counters.examples, counters.steps, now - start)

    return tick


def _program_test(
    voters: int | None, rules: str | None, counters: Counters, failures: list[Lockstep],
    steps: int, backend: Backend | None = None, harness_failures: list[str] | None = None,
    on_example: Callable[[], None] | None = None, conf: ConfDraw | None = None,
) -> Callable[[], None]:
    etcd = backend is not None and backend.etcd_like

    @given(st.data())
    def lockstep_program(data: st.DataObject) -> None:
        if on_example is not None:
            on_example()
        counters.examples += 1
        cfg = draw_config(data, voters, rules, conf=conf)
        if etcd:
            cfg = etcd_comparable(cfg)
        try:
            run = Lockstep(cfg, backend)
            if run.init_problems:
                failures.append(run)
                raise DivergenceFound("\n".join(run.render()))
            program = data.draw(
                st.binary(min_size=2 * steps, max_size=2 * steps), label="program"
            )
            try:
                run_program(run, program, counters)
            except DivergenceFound:
                failures.append(run)
                raise
        except HarnessFailure as e:
            # Not a divergence: abandon this example (the harness restarts on the next request).
            if harness_failures is None:
                raise
            harness_failures.append(str(e))
            return
        run.impl.close()

    return lockstep_program  # type: ignore[no-any-return]


def diverges(run: Lockstep) -> bool:
    return bool(run.init_problems) or any(s.problems for s in run.steps)


def replay_actions(cfg: ClusterConfig, actions: list[Action], backend: Any = None) -> Lockstep:
    """Run `actions` in order, skipping those the model does not enable, up to the first
    divergence."""
    run = Lockstep(cfg, backend)
    if run.init_problems:
        return run
    for a in actions:
        s = run.step(a)
        if s is not None and s.problems:
            break
    return run


def minimize(run: Lockstep, budget: int = 3000) -> Lockstep:
    """Shrink a divergent run: delete steps (chunks, then single steps) and simplify the
    configuration (fewer nodes, switches off, no initial terms, budgets cut to what is used)
    while the run still diverges. Greedy, to a fixpoint or `budget` replays."""
    if not diverges(run):
        return run
    best = run
    tries = [0]

    def attempt(cfg: ClusterConfig, actions: list[Action]) -> Lockstep | None:
        tries[0] += 1
        try:
            cfg.validate()
        except ConfigError:
            return None
        if run.backend.etcd_like and etcd_comparable(cfg) != cfg:
            return None
        try:
            r = replay_actions(cfg, [a for a in actions if _fits(a, cfg.n)], run.backend)
        except HarnessFailure:
            return None
        except Exception:  # noqa: BLE001 - a candidate the model cannot run is no simplification
            return None
        if diverges(r):
            return r
        r.impl.close()
        return None

    changed = True
    while changed and tries[0] < budget:
        changed = False
        # 1. the configuration
        for cand in _simpler_configs(best):
            if tries[0] >= budget:
                break
            r = attempt(cand, [s.action for s in best.steps])
            if r is not None:
                best = r
                changed = True
        # 2. the steps
        actions = [s.action for s in best.steps]
        chunk = max(1, len(actions) // 2)
        while chunk >= 1 and tries[0] < budget:
            i = len(actions) - chunk
            removed = False
            while i >= 0 and tries[0] < budget:
                r = attempt(best.cfg, actions[:i] + actions[i + chunk :])
                if r is not None:
                    best = r
                    actions = [s.action for s in r.steps]
                    removed = changed = True
                    i = min(i, len(actions)) - chunk
                else:
                    i -= 1
            if not removed:
                chunk //= 2
    return best


def _fits(a: Action, n: int) -> bool:
    if a[0] in ("deliver", "drop", "duplicate"):
        return a[1][1] <= n and a[1][2] <= n
    if a[0] == "propose-conf":  # ("propose-conf", nid, (v2, transition, ((op, id), ...)))
        return a[1] <= n and all(nid <= n for _, nid in a[2][2])
    return all(x <= n for x in a[1:])


def _simpler_configs(run: Lockstep) -> list[ClusterConfig]:
    c = run.cfg
    used = Counter(s.action[0] for s in run.steps)
    out: list[ClusterConfig] = []
    if c.learners:
        out.append(replace(c, learners=c.learners - 1,
                           promoted_learners=c.promoted_learners and c.learners > 1))
    if c.learners == 0 and c.voters > 1:
        n = c.voters - 1
        out.append(replace(
            c, voters=n,
            init_terms=tuple((i, t) for i, t in c.init_terms if i <= n),
            init_logs=tuple((i, lg) for i, lg in c.init_logs if i <= n),
            pending_conf=frozenset(i for i in c.pending_conf if i <= n),
        ))
    if c.promoted_learners:
        out.append(replace(c, promoted_learners=False))
    if c.pre_vote:
        out.append(replace(c, pre_vote=False))
    if c.check_quorum:
        out.append(replace(c, check_quorum=False))
    if c.pending_conf:
        out.append(replace(c, pending_conf=frozenset()))
    if c.init_logs:
        out.append(replace(c, init_logs=()))
    if c.init_terms:
        out.append(replace(c, init_terms=(), init_logs=()))
    if c.election_timeout > 1:
        out.append(replace(c, election_timeout=c.election_timeout - 1))
    for name, kind in (("duplicates", "duplicate"), ("restarts", "restart"),
                       ("transfers", "transfer"), ("appends", "append")):
        if getattr(c, name) > used[kind]:
            out.append(replace(c, **{name: used[kind]}))  # type: ignore[arg-type]
    if c.conf_changes:
        out.extend(_simpler_conf(c, used["propose-conf"]))
    return out


def _simpler_conf(c: ClusterConfig, proposed: int) -> list[ClusterConfig]:
    """Membership changes off (the static model: kept only if the run still diverges
    without them), a smaller budget, one spare fewer (the last id: a step naming it is
    dropped), only V2 or only V1 entries."""
    out = [replace(c, conf_changes=0, spares=0, conf_specs=(), conf_kinds=_DEFAULT.conf_kinds,
                   conf_entry=_DEFAULT.conf_entry)]
    if c.conf_changes > max(proposed, 1):
        out.append(replace(c, conf_changes=max(proposed, 1)))
    if c.spares:
        out.append(replace(c, spares=c.spares - 1))
    if len(c.conf_entry) > 1:
        out.extend(replace(c, conf_entry=(e,)) for e in c.conf_entry)
    return out


_DEFAULT = ClusterConfig()


def etcd_comparable(cfg: ClusterConfig) -> ClusterConfig:
    """`cfg`, adjusted so that etcd can start in it (etcdharness/FINDINGS.md, finding 9).

    etcd's pending configuration change is a committed, unapplied entry at the end of the
    pending node's log: that log must not be empty (9a), and since etcd never overwrites a
    committed entry (log.go:94-95) while the model's flag is sticky whatever the log (9c),
    every node's log starts with the pending node's: the pending node's log becomes `(1,)`
    and every other log starts with a term-1 entry (terms at least 1). Without a pending
    node `cfg` is returned as it is.
    """
    if not cfg.pending_conf:
        return cfg
    terms = dict(cfg.init_terms)
    logs = dict(cfg.init_logs)
    for nid in range(1, cfg.n + 1):
        terms[nid] = max(terms.get(nid, 0), 1)
        log = logs.get(nid, ())
        if nid in cfg.pending_conf:
            log = (1,)
        elif not log or log[0] != 1:
            log = (1,) + log
        logs[nid] = log
    return replace(
        cfg,
        init_terms=tuple(sorted(terms.items())),
        init_logs=tuple(sorted(logs.items())),
    )


def short_pass(seed: int, examples: int = SHORT_PASS_EXAMPLES) -> bool:
    """A short conformance pass for `raftcheck check`: True when impl and model agree."""
    return run_lockstep(None, examples, seed, None).conformant
