"""Drive the model and the impl side by side, one model action at a time, and compare.

`Lockstep(cfg)` is used by the Hypothesis state machine (conformance/lockstep.py) and by
`replay` (conformance/trace.py). After every step it checks that the abstraction of the impl
cluster equals the model state (nodes, in-flight messages, budgets), that both sides sent the
same messages, and that the model state breaks no invariant.
"""

from __future__ import annotations

from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from conformance.abstraction import (
    Action,
    ImplCluster,
    abstract_nodes,
)
from conformance.modelstep import model_step
from conformance.nodes import HarnessFailure
from model.cluster import ClusterModel, State
from model.config import ClusterConfig
from model.messages import Message as ModelMessage
from model.messages import describe
from model.node_state import FIELD_NAMES, describe_field

# One model per configuration, shared by the examples of a run (Hypothesis replays the same
# configurations while shrinking), with its successor relation memoised per state.
_MODELS: OrderedDict[ClusterConfig, tuple[ClusterModel, dict[State, dict[Action, State]]]] = (
    OrderedDict()
)
_MODEL_CACHE_SIZE = 64
_SUCC_CACHE_SIZE = 50_000


def model_for(cfg: ClusterConfig) -> tuple[ClusterModel, dict[State, dict[Action, State]]]:
    got = _MODELS.get(cfg)
    if got is None:
        got = (ClusterModel(cfg), {})
        _MODELS[cfg] = got
        if len(_MODELS) > _MODEL_CACHE_SIZE:
            _MODELS.popitem(last=False)
    else:
        _MODELS.move_to_end(cfg)
    return got


@dataclass
class Step:
    """One lockstep step: the action, the model states around it, what went wrong."""

    action: Action
    before: State
    after: State
    problems: list[str] = field(default_factory=list)


class Lockstep:
    """A model state and an impl cluster, advanced together."""

    def __init__(self, cfg: ClusterConfig, backend: Any = None) -> None:
        self.cfg = cfg
        self.model, self._succ = model_for(cfg)
        self.impl = ImplCluster(cfg, backend)
        self.backend = self.impl.backend
        # Steps computed ahead on the model (prefetch): (state, action, next state).
        self._plan: deque[tuple[State, Action, State]] = deque()
        self.state: State = self.model.init_states()[0]
        self.steps: list[Step] = []
        self.failed = False
        self.init_problems = self._compare(self.state, None, None, self.state)

    # -- the model side -----------------------------------------------------------------------

    def enabled(self) -> dict[Action, State]:
        """Every model action enabled in the current state, with its successor."""
        st = self.state
        got = self._succ.get(st)
        if got is None:
            if len(self._succ) > _SUCC_CACHE_SIZE:
                self._succ.clear()
            got = self._succ[st] = dict(self.model.successors(st))
        return got

    # -- one step -----------------------------------------------------------------------------

    def step(self, action: Action) -> Step | None:
        """Apply `action` on both sides; None if the model does not enable it (skipped).

        A `tick` that changes nothing in the model (a saturated non-leader) is not one of the
        model's transitions; the impl is still ticked and must stay equal.
        """
        before = self.state
        plan = self._plan
        if plan and plan[0][0] is before and plan[0][1] == action:
            nxt: State | None = plan.popleft()[2]
        else:
            plan.clear()
            nxt = model_step(self.model, before, action)
        if nxt is None:
            if action[0] != "tick":
                return None
            nxt = before
        problems: list[str] = []
        try:
            sent = self.impl.apply(action)
        except HarnessFailure:
            raise  # the etcd harness process failed: not a divergence
        except Exception as e:  # noqa: BLE001 - any impl failure is a divergence
            problems.append(f"impl raised {type(e).__name__}: {e}")
        else:
            problems = self._compare(before, action, sent, nxt)
        self.state = nxt
        step = Step(action, before, nxt, problems)
        self.steps.append(step)
        if problems:
            self.failed = True
        return step

    def prefetch(self, steps: list[tuple[State, Action, State]]) -> None:
        """Let the backend run these model steps on its side ahead of time (one request for
        the etcd harness); `step` then takes each one's results in order and checks them as
        usual. Only for steps from the current state, as `plan_program` computes them."""
        self._plan = deque(steps)
        self.backend.prefetch(self.impl, [a for _, a, _ in steps])

    # -- comparison ---------------------------------------------------------------------------

    def _compare(
        self, before: State, action: Action | None, sent: list | None, after: State
    ) -> list[str]:
        model = self.model
        problems: list[str] = []
        try:
            nodes = abstract_nodes(self.impl)
            msgs = self.impl.inflight_abs
            impl_sent = self.impl.inflight_abs[len(msgs) - len(sent) :] if sent else (
                [] if sent is not None else None
            )
        except HarnessFailure:
            raise  # the etcd harness process failed: not a divergence
        except Exception as e:  # noqa: BLE001
            return [f"abstraction failed: {type(e).__name__}: {e}"]
        got = model.encode(nodes, msgs, tuple(self.impl.budgets), model.history(after))
        if got != after:
            problems.extend(self._diff(nodes, msgs, before, action, impl_sent, after))
            if not problems:  # pragma: no cover - encode is injective on these parts
                problems.append("abstract(impl) != model state")
        bad = [v for v in model.violations(after) if v not in model.violations(before)]
        if action is None:
            bad = list(model.violations(after))
        for name in bad:
            problems.append(f"model invariant {name} violated")
        return problems

    def _diff(
        self,
        nodes: list,
        msgs: list[ModelMessage],
        before: State,
        action: Action | None,
        impl_sent: list[ModelMessage] | None,
        after: State,
    ) -> list[str]:
        model = self.model
        out: list[str] = []
        for i, (got, want) in enumerate(zip(nodes, model.nodes(after), strict=True)):
            if got != want:
                fields = ", ".join(
                    f"{FIELD_NAMES[f]}: impl {describe_field(f, got[f])} "
                    f"model {describe_field(f, want[f])}"
                    for f in range(len(want))
                    if got[f] != want[f]
                )
                out.append(f"node {i + 1} differs: {fields}")
        if impl_sent is not None and action is not None:
            consumed: list[ModelMessage] = [action[1]] if action[0] in ("deliver", "drop") else []
            model_sent = Counter(model.messages(after))
            model_sent.subtract(Counter(model.messages(before)))
            model_sent.update(Counter(consumed))
            want_sent = +model_sent
            got_sent = Counter(impl_sent)
            for m in sorted((got_sent - want_sent).elements()):
                out.append(f"impl sent, model did not: {describe(m)}")
            for m in sorted((want_sent - got_sent).elements()):
                out.append(f"model sent, impl did not: {describe(m)}")
        if not out:
            got_m, want_m = Counter(msgs), Counter(model.messages(after))
            for m in sorted((got_m - want_m).elements()):
                out.append(f"in flight on impl only: {describe(m)}")
            for m in sorted((want_m - got_m).elements()):
                out.append(f"in flight in model only: {describe(m)}")
        if tuple(self.impl.budgets) != tuple(model.budgets(after)):
            out.append(
                f"budgets differ: impl {tuple(self.impl.budgets)} "
                f"model {tuple(model.budgets(after))}"
            )
        return out

    # -- rendering ----------------------------------------------------------------------------

    def render(self) -> list[str]:
        """The run as a numbered trace, each step with the model's changes and any problem."""
        model = self.model
        lines = [f"config: {config_summary(self.cfg)}"]
        for ln in model.describe_state(self.steps[0].before if self.steps else self.state):
            lines.append(f"  initial {ln}")
        for p in self.init_problems:
            lines.append(f"  DIVERGENCE at the initial state: {p}")
        for k, s in enumerate(self.steps, 1):
            lines.append(f"{k:3d}. {model.describe_action(s.action)}")
            for ln in model.describe_changes(s.before, s.after):
                lines.append(f"       {ln}")
            for p in s.problems:
                lines.append(f"       DIVERGENCE: {p}")
        return lines


def config_summary(cfg: ClusterConfig) -> str:
    parts = [f"{cfg.voters} voters"]
    if cfg.learners:
        parts.append(f"{cfg.learners} learners" + (" (promoted)" if cfg.promoted_learners else ""))
    parts.append(f"rules={cfg.rules}")
    if cfg.pre_vote:
        parts.append("pre_vote")
    if cfg.check_quorum:
        parts.append("check_quorum")
    parts.append(f"ET={cfg.election_timeout}")
    if cfg.init_terms:
        parts.append("terms=" + ",".join(f"{i}:{t}" for i, t in cfg.init_terms))
    if cfg.init_logs:
        parts.append("logs=" + ",".join(f"{i}:{list(lg)}" for i, lg in cfg.init_logs))
    if cfg.pending_conf:
        parts.append("pending_conf=" + ",".join(str(i) for i in sorted(cfg.pending_conf)))
    budgets = [
        f"{name}={getattr(cfg, name)}"
        for name in ("duplicates", "restarts", "transfers", "appends")
        if getattr(cfg, name)
    ]
    return ", ".join(parts + budgets)
