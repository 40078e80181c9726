"""Hypothesis state machine that drives impl and model in lockstep (conformance/engine.py).

`machine_class(voters=None, rules=None, ...)` returns a `RuleBasedStateMachine` subclass whose
`@initialize` draws a cluster (3-5 voters unless fixed, 0-2 learners, promoted-learner flag,
pre_vote, check_quorum, election timeout, initial terms and logs, fault budgets, rule set unless
fixed) and whose rules are the model's actions: tick, timeout, heartbeat, deliver, drop,
duplicate, restart, transfer, append, and with membership changes (a `ConfDraw`: the
cluster's shape drawn among those where the changes make sense, etcd-3.4 or etcd-3.5 rules)
propose-conf and apply. Every rule picks among the actions the model enables
(bounded ones are skipped on both sides) and the step is checked by `Lockstep.step`.

A divergence raises `DivergenceFound`; the machine records each failing run in
`machine.failures`, so after Hypothesis has shrunk, the last record is the minimal run (its
final replay).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from conformance.abstraction import Action
from conformance.engine import Lockstep
from conformance.modelstep import available_kinds, candidates, model_step
from model.config import ClusterConfig, ConfigError

# Generous bounds: lockstep runs are short, so these rarely disable anything.
LOCKSTEP_MAX_TERM = 12
LOCKSTEP_MAX_MSGS = 24

_PICK = st.integers(min_value=0, max_value=15)


class DivergenceFound(AssertionError):
    """impl and model disagree (or the model broke an invariant)."""


CONF_STEP_KINDS = ("propose-conf", "apply")


class Counters:
    def __init__(self) -> None:
        self.examples = 0
        self.steps = 0
        # Membership-change steps run (a subset of `steps`), by kind.
        self.conf = dict.fromkeys(CONF_STEP_KINDS, 0)

    def count(self, action: Action) -> None:
        self.steps += 1
        if action[0] in self.conf:
            self.conf[action[0]] += 1

# The drawn ranges of lockstep runs with membership changes (unless fixed by the caller).
CONF_VOTERS = (3, 4, 5)
CONF_LEARNERS = (0, 1, 2)
CONF_SPARES = (0, 1)
CONF_RULES = ("etcd-3.4", "etcd-3.5")


@dataclass(frozen=True)
class ConfDraw:
    """Membership changes in lockstep runs (`raftcheck conform --conf-changes N`).

    `learners` and `spares` fix those counts (None: drawn from CONF_LEARNERS / CONF_SPARES);
    kinds, specs and entry encodings are ClusterConfig's fields (None: its defaults). A run
    draws its (voters, learners, spares) among the `shapes` in which the configuration
    validates, i.e. every spec makes sense and some change is possible.
    """

    conf_changes: int
    learners: int | None = None
    spares: int | None = None
    conf_kinds: tuple[str, ...] | None = None
    conf_specs: tuple[str, ...] = ()
    conf_entry: tuple[str, ...] | None = None

    def fields(self) -> dict[str, Any]:
        """The ClusterConfig fields given (all but the node counts)."""
        out: dict[str, Any] = {"conf_changes": self.conf_changes, "conf_specs": self.conf_specs}
        if self.conf_kinds is not None:
            out["conf_kinds"] = self.conf_kinds
        if self.conf_entry is not None:
            out["conf_entry"] = self.conf_entry
        return out

    def shapes(self, voters: int | None) -> tuple[tuple[int, int, int], ...]:
        """The (voters, learners, spares) a run may draw; ConfigError (the first shape's
        one-line reason) when none validates."""
        return _conf_shapes(self, voters)


@lru_cache(maxsize=64)
def _conf_shapes(conf: ConfDraw, voters: int | None) -> tuple[tuple[int, int, int], ...]:
    if conf.conf_changes < 1:
        raise ConfigError(f"--conf-changes must be at least 1 here (got {conf.conf_changes})")
    out: list[tuple[int, int, int]] = []
    first: ConfigError | None = None
    for v in (voters,) if voters is not None else CONF_VOTERS:
        for lr in (conf.learners,) if conf.learners is not None else CONF_LEARNERS:
            for sp in (conf.spares,) if conf.spares is not None else CONF_SPARES:
                try:
                    ClusterConfig(voters=v, learners=lr, spares=sp, **conf.fields()).validate()
                except ConfigError as e:
                    first = first or e
                    continue
                out.append((v, lr, sp))
    if not out:
        assert first is not None
        raise first
    return tuple(out)


def draw_config(
    data: st.DataObject, voters: int | None, rules: str | None, faults: bool = True,
    conf: ConfDraw | None = None,
) -> ClusterConfig:
    spares = 0
    if conf is None:
        v = voters if voters is not None else data.draw(st.integers(3, 5), label="voters")
        learners = data.draw(st.integers(0, 2), label="learners")
        promoted = data.draw(st.booleans(), label="promoted_learners") if learners else False
    else:
        # Promoted learners and --pending-conf stand for changes of the static model: off.
        v, learners, spares = data.draw(st.sampled_from(conf.shapes(voters)), label="shape")
        promoted = False
    pre_vote = data.draw(st.booleans(), label="pre_vote")
    check_quorum = data.draw(st.booleans(), label="check_quorum")
    rule_set = rules if rules is not None else data.draw(
        st.sampled_from(["etcd-3.4", "seed"] if conf is None else list(CONF_RULES)),
        label="rules",
    )
    et = data.draw(st.integers(1, 3), label="election_timeout")
    n = v + learners  # spares start with an empty log at term 0
    terms: list[tuple[int, int]] = []
    logs: list[tuple[int, tuple[int, ...]]] = []
    if data.draw(st.booleans(), label="initial terms and logs"):
        for nid in range(1, n + 1):
            t = data.draw(st.integers(0, 2), label=f"term {nid}")
            if t:
                terms.append((nid, t))
                if conf is not None:
                    # No initial logs with membership changes: a drawn term-t entry is no
                    # leader's, and a leader of term t would write a different entry at the
                    # same index and term (etcd matches entries by index and term).
                    continue
                log = data.draw(
                    st.lists(st.integers(1, t), max_size=3).map(lambda xs: tuple(sorted(xs))),
                    label=f"log {nid}",
                )
                if log:
                    logs.append((nid, log))
    pending: set[int] = set()
    if conf is None:
        pending = data.draw(st.sets(st.integers(1, v), max_size=1), label="pending_conf")
    dup = restarts = transfers = appends = 0
    if faults:
        dup = data.draw(st.integers(0, 3), label="duplicates")
        restarts = data.draw(st.integers(0, 2), label="restarts")
        transfers = data.draw(st.integers(0, 2), label="transfers")
        appends = data.draw(st.integers(0, 2), label="appends")
    return ClusterConfig(
        voters=v,
        learners=learners,
        promoted_learners=promoted,
        pre_vote=pre_vote,
        check_quorum=check_quorum,
        election_timeout=et,
        max_term=LOCKSTEP_MAX_TERM,
        max_msgs=LOCKSTEP_MAX_MSGS,
        drop=True,
        duplicates=dup,
        restarts=restarts,
        transfers=transfers,
        appends=appends,
        rules=rule_set,
        init_terms=tuple(terms),
        init_logs=tuple(logs),
        pending_conf=frozenset(pending),
        spares=spares,
        **(conf.fields() if conf is not None else {}),
    )


KINDS = ("tick", "timeout", "heartbeat", "deliver", "drop", "duplicate", "restart", "transfer",
         "append")
# With membership changes (--conf-changes) the programs also propose changes and apply.
CONF_KINDS = KINDS + ("propose-conf", "apply")


def kinds_of(run: Lockstep) -> tuple[str, ...]:
    return CONF_KINDS if getattr(run.model, "conf_on", False) else KINDS


# How often the program driver picks each rule, relative to the others (deliveries drive the
# protocol forward; drops and faults mostly cut runs short).
WEIGHTS = {
    "tick": 2,
    "timeout": 2,
    "heartbeat": 1,
    "deliver": 6,
    "drop": 1,
    "duplicate": 1,
    "restart": 1,
    "transfer": 1,
    "append": 1,
    "propose-conf": 2,
    "apply": 3,
}


def pick_action(run: Lockstep, kind: str, k: int) -> Action | None:
    """The `k`-th (mod count) candidate action of `kind` in the current state, if any."""
    acts = candidates(run.model, run.state, kind)
    return acts[k % len(acts)] if acts else None


class LockstepMachine(RuleBasedStateMachine):
    """Base class; use `machine_class` to get a configured subclass.

    Each rule picks one of the model's candidate actions of its kind; an action the model does
    not enable (bounds, budgets) is skipped on both sides.
    """

    voters: ClassVar[int | None] = None
    rules_name: ClassVar[str | None] = None
    conf: ClassVar[ConfDraw | None] = None
    counters: ClassVar[Counters]
    failures: ClassVar[list[Lockstep]]

    def __init__(self) -> None:
        super().__init__()
        self.run: Lockstep | None = None
        type(self).counters.examples += 1

    def _has(self, kind: str) -> bool:
        return self.run is not None and bool(candidates(self.run.model, self.run.state, kind))

    def _pick(self, kind: str, k: int) -> None:
        run = self.run
        assert run is not None
        action = pick_action(run, kind, k)
        if action is None:
            return
        s = run.step(action)
        if s is None:
            return
        type(self).counters.count(action)
        if s.problems:
            type(self).failures.append(run)
            raise DivergenceFound("\n".join(run.render()))

    # -- rules --------------------------------------------------------------------------------

    @initialize(data=st.data())
    def setup(self, data: st.DataObject) -> None:
        cfg = draw_config(data, type(self).voters, type(self).rules_name, conf=type(self).conf)
        self.run = Lockstep(cfg)
        if self.run.init_problems:
            type(self).failures.append(self.run)
            raise DivergenceFound("\n".join(self.run.render()))

    @rule(k=_PICK)
    def tick(self, k: int) -> None:
        self._pick("tick", k)

    @precondition(lambda self: self._has("timeout"))
    @rule(k=_PICK)
    def timeout(self, k: int) -> None:
        self._pick("timeout", k)

    @precondition(lambda self: self._has("heartbeat"))
    @rule(k=_PICK)
    def heartbeat(self, k: int) -> None:
        self._pick("heartbeat", k)

    @precondition(lambda self: self._has("deliver"))
    @rule(k=_PICK)
    def deliver(self, k: int) -> None:
        self._pick("deliver", k)

    @precondition(lambda self: self._has("drop"))
    @rule(k=_PICK)
    def drop(self, k: int) -> None:
        self._pick("drop", k)

    @precondition(lambda self: self._has("duplicate"))
    @rule(k=_PICK)
    def duplicate(self, k: int) -> None:
        self._pick("duplicate", k)

    @precondition(lambda self: self._has("restart"))
    @rule(k=_PICK)
    def restart(self, k: int) -> None:
        self._pick("restart", k)

    @precondition(lambda self: self._has("transfer"))
    @rule(k=_PICK)
    def transfer(self, k: int) -> None:
        self._pick("transfer", k)

    @precondition(lambda self: self._has("append"))
    @rule(k=_PICK)
    def append(self, k: int) -> None:
        self._pick("append", k)

    @precondition(lambda self: self._has("propose-conf"))
    @rule(k=_PICK)
    def propose_conf(self, k: int) -> None:
        self._pick("propose-conf", k)

    @precondition(lambda self: self._has("apply"))
    @rule(k=_PICK)
    def apply(self, k: int) -> None:
        self._pick("apply", k)


def plan_program(run: Lockstep, program: bytes) -> list[tuple[Any, Action, Any]]:
    """The (state, action, next state) steps `run_program` will take from `run`'s current
    state, computed on the model alone (the program's choices depend on the model state
    only). A backend that can run many steps in one request (conformance.nodes.EtcdBackend)
    runs them ahead; `run_program` still checks every step as it comes."""
    model = run.model
    state = run.state
    out: list[tuple[Any, Action, Any]] = []
    for j in range(0, len(program) - 1, 2):
        if program[j] == 0 and program[j + 1] == 0:
            break
        kinds = available_kinds(model, state, kinds_of(run))
        slots = [k for k in kinds for _ in range(WEIGHTS[k])]
        kind = slots[program[j] % len(slots)]
        acts = candidates(model, state, kind)
        if not acts:
            continue
        action = acts[program[j + 1] % len(acts)]
        nxt = model_step(model, state, action)
        if nxt is None:
            if action[0] != "tick":
                continue
            nxt = state
        out.append((state, action, nxt))
        state = nxt
    return out


def run_program(run: Lockstep, program: bytes, counters: Counters) -> None:
    """The fast driver: byte pairs (rule, pick) name the same rules as `LockstepMachine`.

    Hypothesis draws `program` as one byte string, which costs far less than one rule draw
    per step, and shrinks it by deleting and lowering bytes, i.e. by deleting steps and
    picking earlier candidates. A (0, 0) pair ends the program (so zeroing a tail truncates
    it); otherwise the rule byte indexes the rules that have a candidate in the current state
    (tick always has one and comes first).
    """
    if run.backend.batches:
        plan = plan_program(run, program)
        run.prefetch(plan)
        for _, planned, _ in plan:  # the same steps the loop below would take
            done = run.step(planned)
            if done is None:  # pragma: no cover - planned steps are enabled
                continue
            counters.count(planned)
            if done.problems:
                raise DivergenceFound("\n".join(run.render()))
        return
    for j in range(0, len(program) - 1, 2):
        if program[j] == 0 and program[j + 1] == 0:
            break
        kinds = available_kinds(run.model, run.state, kinds_of(run))
        slots = [k for k in kinds for _ in range(WEIGHTS[k])]
        kind = slots[program[j] % len(slots)]
        action = pick_action(run, kind, program[j + 1])
        if action is None:
            continue
        s = run.step(action)
        if s is None:
            continue
        counters.count(action)
        if s.problems:
            raise DivergenceFound("\n".join(run.render()))


def machine_class(
    voters: int | None = None, rules: str | None = None, seed: int | None = None,
    conf: ConfDraw | None = None,
) -> type[LockstepMachine]:
    """A fresh LockstepMachine subclass with its own counters and failure list."""
    attrs: dict[str, Any] = {
        "voters": voters,
        "rules_name": rules,
        "conf": conf,
        "counters": Counters(),
        "failures": [],
    }
    cls = type("LockstepMachine", (LockstepMachine,), attrs)
    if seed is not None:
        cls._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
    return cls



def run_random_programs(
    cfg: ClusterConfig, count: int, length: int, seed: int, backend: Any = None
) -> tuple[Counters, list[Lockstep], Lockstep | None]:
    """`count` random programs of `length` steps from `cfg`'s initial state, each checked
    step by step (no shrinking): the counters, the runs, and the first diverging run."""
    import random

    rng = random.Random(seed)
    counters = Counters()
    runs: list[Lockstep] = []
    for _ in range(count):
        run = Lockstep(cfg, backend)
        runs.append(run)
        counters.examples += 1
        if run.init_problems:
            return counters, runs, run
        program = bytes(rng.randrange(1, 256) for _ in range(2 * length))
        try:
            run_program(run, program, counters)
        except DivergenceFound:
            return counters, runs, run
    return counters, runs, None
