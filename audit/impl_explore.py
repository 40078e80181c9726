"""Explore an implementation itself: impl steps as the transition function of the model.

`ImplClusterModel` is a `ClusterModel` whose node-local steps are not computed by the rules
but by an implementation, through the node-factory seam (`conformance.nodes.Backend`) and THE
abstraction (`conformance.abstraction`): for a node state and an action, the implementation
node that represents that abstract node state takes the step on a copy, and the copy's
abstraction and the messages it sent are the step's result. Everything else is the model's:
which actions are enabled (a timeout once `elapsed >= ET`, heartbeats and transfers of
leaders, the fault budgets, room in the network), the bounds (a step past the term bound is
not taken), the history variables and so the invariants, the interning and both engines
(the compiled core asks the model for local steps through the same methods).

The implementation node for an abstract node state is the one the search first reached it
with (as in the exhaustive differential mode): every representative is reached by a real path
of implementation steps. Implementation state the abstraction does not see is taken from that
first path. Node ids are not renamed on implementation nodes, so the search runs without
symmetry reduction.

History events (the model's "vote" and "leader" records) are read off each step:

- a vote: the node's (term, vote) changed to a vote for somebody, or it sent a granted
  MsgVoteResp to the node it votes for; recorded with its log before the step;
- a leader: the node became leader; the counted grants are its grants before the step plus the
  sender of a granted MsgVoteResp it was delivered (else its own vote: a campaign won at once);
- PreVoteNoDisruption: a delivered MsgPreVote changed the receiver's term or vote;
- ImplStepOK (an extra invariant): the implementation raised, or sent a message with no model
  counterpart, during a step.
"""

from __future__ import annotations

import copy
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from audit.patch_apply import PatchError
from conformance.abstraction import abstract_message, abstract_node
from conformance.nodes import Backend, HarnessFailure, Local, act_on_rawnode
from explorer.protocol import Invariant
from model.cluster import _NOOP, INVARIANTS, ClusterModel, State
from model.config import ClusterConfig
from model.messages import MSG_PRE_VOTE, MSG_VOTE_RESP, Message
from model.node import Event, NodeLogic, StepResult
from model.node_state import GRANTED, LEADER, LOG, ROLE, TERM, VOTE, Node, last_term
from model.rules import RuleSet

IMPL_ERROR = "ImplStepOK"
IMPL_INVARIANT = Invariant(
    IMPL_ERROR, "every implementation step completes and sends only modelled messages"
)


# Seconds one step of a patched impl may take: a patch can add an endless loop, and
# in-process Python cannot be interrupted otherwise (the etcd harness has its own per-request
# timeout, etcdharness/client.py). Unpatched steps take well under a millisecond.
STEP_TIMEOUT = 10.0


class StepTimeout(PatchError):
    """A patched step did not finish within its time: the audit stops (one line, exit 2)."""


class _Expired(BaseException):
    """Raised by the alarm inside the step (a BaseException: patched code that catches
    Exception cannot swallow it)."""


def _expire(_signum: int, _frame: Any) -> None:
    raise _Expired


@contextmanager
def step_deadline(seconds: float | None) -> Iterator[None]:
    """Raise StepTimeout if the body runs longer than `seconds` (SIGALRM: the main thread
    only; elsewhere, or with None, no deadline)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Expired:
        raise StepTimeout(f"did not finish within {seconds:g} s (an endless loop?)") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


class PatchedPythonBackend(Backend):
    """impl's node API from a (patched) copy of impl/ loaded under a private name."""

    name = "python-patched"

    def __init__(self, modules: dict[str, Any], step_timeout: float | None = None) -> None:
        self.step_timeout = STEP_TIMEOUT if step_timeout is None else step_timeout
        self.raftpb = modules["raftpb"]
        self.rawnode = modules["rawnode"]
        self.config = modules["config"]
        self._msgs: dict[Any, Any] = {}

    def _new(self, cfg: ClusterConfig, nid: int) -> Any:
        import dataclasses

        from conformance.abstraction import impl_config

        ic = impl_config(cfg, nid)
        cls = self.config.Config
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {f.name: getattr(ic, f.name) for f in dataclasses.fields(ic)
                  if f.name in names}
        return self.rawnode.RawNode(cls(**kwargs))

    def _message(self, m: Any) -> Any:
        """A checkout impl Message as the patched package's Message."""
        got = self._msgs.get(m)
        if got is None:
            pb = self.raftpb
            got = self._msgs[m] = pb.Message(
                type=pb.MessageType(int(m.type)), to=m.to, frm=m.frm, term=m.term,
                log_term=m.log_term, index=m.index,
                entries=tuple(pb.Entry(term=e.term, index=e.index) for e in m.entries),
                reject=m.reject, context=m.context,
            )
        return got

    def act(self, node: Any, local: Local) -> list[Any]:
        return act_on_rawnode(node, local, message=self._message)

    def fork_act(self, node: Any, local: Local) -> tuple[Any, list[Any]]:
        rn = copy.deepcopy(node)
        with step_deadline(self.step_timeout):
            return rn, self.act(rn, local)

    def abstract(self, node: Any, et: int, check_quorum: bool) -> Node:
        with step_deadline(self.step_timeout):
            return abstract_node(node, et, check_quorum)

    def new(self, cfg: ClusterConfig, nid: int) -> Any:
        with step_deadline(self.step_timeout):
            return self._new(cfg, nid)


def step_events(
    nid: int, old: Node, new: Node, outs: Sequence[Message], delivered: Message | None
) -> tuple[Event, ...]:
    """The history events of one implementation step (see the module docstring)."""
    events: list[Event] = []
    log = old[LOG]
    lt, li = last_term(log), len(log)
    vote = new[VOTE]
    if vote:
        granted = any(m[0] == MSG_VOTE_RESP and not m[6] and m[2] == vote for m in outs)
        if granted or (new[TERM], vote) != (old[TERM], old[VOTE]):
            events.append(("vote", new[TERM], nid, vote, lt, li))
    if new[ROLE] == LEADER and old[ROLE] != LEADER:
        if delivered is not None and delivered[0] == MSG_VOTE_RESP and not delivered[6]:
            counted = old[GRANTED] | (1 << delivered[1])
        else:
            counted = 1 << nid
        events.append(("leader", new[TERM], nid, counted, lt, li))
    if (delivered is not None and delivered[0] == MSG_PRE_VOTE
            and (new[TERM], new[VOTE]) != (old[TERM], old[VOTE])):
        events.append(("broken", "PreVoteNoDisruption"))
    return tuple(events)


class ImplLogic:
    """NodeLogic's interface, with every step taken by implementation nodes.

    Enabledness (`can_time_out`, `promotable`, `vote_targets`) stays the model's: it belongs
    to the environment the cluster runs in, not to the node's code."""

    def __init__(self, cfg: ClusterConfig, rules: RuleSet, backend: Backend,
                 watch: ImplWatch | None = None) -> None:
        base = NodeLogic(cfg, rules)
        self.base = base
        self.cfg = cfg
        self.rules = rules
        self.et = base.et
        self.ids = base.ids
        self.voter_mask = base.voter_mask
        self.vote_targets = base.vote_targets
        self.learners_answer = base.learners_answer
        self.backend = backend
        self.cq = cfg.check_quorum
        self.reps: dict[tuple[int, Node], Any] = {}
        self.init_nodes: list[Node] = []
        self.errors: list[str] = []  # the first few implementation failures, rendered
        self.steps = 0  # implementation steps taken
        self.watch = watch
        self._impl_msgs: dict[Message, Any] = {}
        # (node id, node state, action) -> result: a second model over the same logic (the
        # behaviour diff's graph) takes no implementation step twice.
        self._results: dict[tuple[Any, ...], StepResult] = {}

    def promotable(self, nid: int) -> bool:
        return self.base.promotable(nid)

    def is_learner(self, nid: int) -> bool:
        return self.base.is_learner(nid)

    def can_time_out(self, nid: int, node: Node) -> bool:
        return self.base.can_time_out(nid, node)

    def campaigns_on_timeout(self, nid: int) -> bool:
        return self.base.campaigns_on_timeout(nid)

    def initial_nodes(self) -> list[Node]:
        """The implementation's own initial nodes (abstracted), recorded as representatives."""
        out = []
        for nid in range(1, self.cfg.n + 1):
            rn = self.backend.new(self.cfg, nid)
            nd = self.backend.abstract(rn, self.et, self.cq)
            self.reps.setdefault((nid, nd), rn)
            out.append(nd)
        self.init_nodes = out
        return out

    def _impl_msg(self, m: Message) -> Any:
        got = self._impl_msgs.get(m)
        if got is None:
            from conformance.abstraction import concrete_message

            got = self._impl_msgs[m] = concrete_message(m)
        return got

    def run(self, nid: int, node: Node, local: Local, delivered: Message | None = None
            ) -> StepResult:
        rep = self.reps.get((nid, node))
        if rep is None:  # pragma: no cover - every reached node state has a representative
            raise RuntimeError(f"no implementation node for node {nid} in state {node}")
        self.steps += 1
        try:
            new_rep, sent = self.backend.fork_act(rep, local)
        except HarnessFailure:
            raise
        except StepTimeout as exc:
            raise StepTimeout(f"the patched impl's step {self._what(nid, node, local, delivered)}"
                              f" {exc}") from None
        except Exception as exc:  # noqa: BLE001 - a failing step is a finding
            return self._failed(nid, node, local, exc)
        try:
            new = self.backend.abstract(new_rep, self.et, self.cq)
            outs = tuple(abstract_message(m) for m in sent)
        except HarnessFailure:
            raise
        except StepTimeout as exc:
            raise StepTimeout(f"reading the patched impl's node after the step "
                              f"{self._what(nid, node, local, delivered)} {exc}") from None
        except Exception as exc:  # noqa: BLE001
            self.backend.discard(new_rep)
            return self._failed(nid, node, local, exc)
        if (nid, new) not in self.reps:
            self.reps[(nid, new)] = new_rep
        else:
            self.backend.discard(new_rep)
        res = (new, outs, step_events(nid, node, new, outs, delivered))
        if self.watch is not None:
            self.watch.compare(nid, node, local, delivered, res)
        return res

    @staticmethod
    def _what(nid: int, node: Node, local: Local, delivered: Message | None) -> str:
        from model.messages import describe
        from model.node_state import FIELD_NAMES, describe_field

        what = f"deliver {describe(delivered)}" if delivered is not None else " ".join(
            str(x) for x in local)
        state = ", ".join(f"{FIELD_NAMES[f]} {describe_field(f, v)}" for f, v in enumerate(node))
        return f"(node {nid}: {what}; node state {state})"

    def _failed(self, nid: int, node: Node, local: Local, exc: Exception) -> StepResult:
        if len(self.errors) < 5:
            what = local[0] if local[0] != "step" else f"step {local[1].type.name}"
            self.errors.append(f"node {nid}, {what}: {type(exc).__name__}: {exc}")
        # The node is left as it was; the broken-invariant event marks the state.
        return node, (), (("broken", IMPL_ERROR),)

    # -- NodeLogic's step functions ----------------------------------------------------------

    def step(self, nid: int, node: Node, m: Message) -> StepResult:
        return self._with_node(nid, node, ("step", self._impl_msg(m)), m)

    def tick(self, nid: int, node: Node) -> StepResult:
        return self._with_node(nid, node, ("tick",))

    def timeout(self, nid: int, node: Node) -> StepResult:
        return self._with_node(nid, node, ("timeout",))

    def heartbeat_step(self, nid: int, node: Node) -> StepResult:
        return self._with_node(nid, node, ("heartbeat",))

    def heartbeat(self, nid: int, node: Node) -> tuple[Message, ...]:
        """The heartbeat's messages (NodeLogic's signature: traces' charts ask for it)."""
        return self.heartbeat_step(nid, node)[1]

    def transfer(self, nid: int, node: Node, to: int) -> StepResult:
        return self._with_node(nid, node, ("transfer", to))

    def append(self, nid: int, node: Node) -> StepResult:
        return self._with_node(nid, node, ("append",))

    def restart_step(self, nid: int, node: Node) -> StepResult:
        return self._with_node(nid, node, ("restart",))

    def _with_node(self, nid: int, node: Node, local: Local, m: Message | None = None
                   ) -> StepResult:
        key = (nid, node, local[0], m if m is not None else local[1:])
        got = self._results.get(key)
        if got is None:
            got = self._results[key] = self.run(nid, node, local, m)
        return got


class ImplWatch:
    """Runs every implementation step also on a second implementation (the unpatched one)
    where it has a node for the same abstract state, and keeps the steps whose results differ:
    if none differs in a complete run, that run is the second implementation's run."""

    MAX = 20

    def __init__(self, other: ImplLogic, init: list[Node]) -> None:
        self.other = other
        self.init = init  # the other implementation's initial nodes
        self.compared = 0
        self.divergent = 0
        self.first: str | None = None
        self.inputs: list[str] = []

    def compare(self, nid: int, node: Node, local: Local, delivered: Message | None,
                res: StepResult) -> None:
        if (nid, node) not in self.other.reps:
            return  # a node state only the patched side reaches: already divergent
        if local[0] == "step" and delivered is not None:
            want = self.other.step(nid, node, delivered)
        else:
            want = self.other._with_node(nid, node, local)
        self.compared += 1
        if want[0] == res[0] and sorted(want[1]) == sorted(res[1]) and want[2] == res[2]:
            return
        self.divergent += 1
        text = describe_step(nid, node, local, delivered, res, want)
        if self.first is None:
            self.first = text
        if len(self.inputs) < self.MAX and text not in self.inputs:
            self.inputs.append(text)


def describe_step(nid: int, node: Node, local: Local, delivered: Message | None,
                  got: StepResult, want: StepResult) -> str:
    from model.messages import describe
    from model.node_state import FIELD_NAMES, describe_field

    what = f"deliver {describe(delivered)}" if delivered is not None else " ".join(
        str(x) for x in local)
    diffs = [f"{FIELD_NAMES[f]} {describe_field(f, got[0][f])} (unpatched "
             f"{describe_field(f, want[0][f])})" for f in range(len(node))
             if got[0][f] != want[0][f]]
    sent = sorted(got[1])
    wsent = sorted(want[1])
    if sent != wsent:
        diffs.append("sends [" + ", ".join(describe(m) for m in sent) + "] (unpatched ["
                     + ", ".join(describe(m) for m in wsent) + "])")
    if got[2] != want[2] and not diffs:
        diffs.append(f"history events {got[2]} (unpatched {want[2]})")
    return f"node {nid} {what}: " + "; ".join(diffs)


class ImplClusterModel(ClusterModel):
    """The cluster model with implementation steps (see the module docstring)."""

    def __init__(self, cfg: ClusterConfig, backend: Backend | None, rules: RuleSet | None = None,
                 watch_backend: Backend | None = None, logic: ImplLogic | None = None,
                 liveness: Any = None) -> None:
        """`logic`: reuse another model's implementation nodes and step results (the same
        implementation and configuration) instead of a `backend`. `liveness`: a
        model.liveness.Liveness for the liveness graph (audit/patch_liveness.py keeps terms
        absolute: implementation nodes exist only for reached states)."""
        super().__init__(cfg, rules, liveness=liveness)
        self.watch: ImplWatch | None = None
        if watch_backend is not None:
            other = ImplLogic(cfg, self.rules, watch_backend)
            self.watch = ImplWatch(other, other.initial_nodes())
        if logic is None:
            assert backend is not None
            logic = ImplLogic(cfg, self.rules, backend, self.watch)
            init = logic.initial_nodes()
        else:
            init = logic.init_nodes
        self.impl = logic
        self.logic = self.impl  # type: ignore[assignment]
        self._init = self.encode(init, [])
        # Implementation nodes carry their ids: no symmetry reduction.
        self.canonical = _identity  # type: ignore[method-assign]

    def invariants(self) -> Sequence[Invariant]:
        return (*INVARIANTS, IMPL_INVARIANT)

    def init_states(self) -> list[State]:
        return [self._init]

    def _local_steps(self, nid: int, nix: int) -> tuple[Any, Any, Any, Any]:
        logic = self.impl
        nd = self.node_tab[nix]

        def enabled(res: Any) -> Any:
            return None if res is _NOOP else res

        tick = enabled(self._finish(nd, logic.tick(nid, nd)))
        timeout = (
            enabled(self._finish(nd, logic.timeout(nid, nd)))
            # the model's term bound on campaigns (a patch may pre-vote at the current term)
            if logic.can_time_out(nid, nd) and not self._campaign_beyond_bound(nid, nd)
            else None
        )
        leader = None
        if nd[ROLE] == LEADER:
            # The model's leader actions are always enabled and its successor code expects a
            # result: a step that changes nothing, or one past the term bound (cut, as every
            # step past the bound is), stays the node as it was.
            stay = (nix, (), (), False)
            beat = self._finish(nd, logic.heartbeat_step(nid, nd))
            if beat is _NOOP or beat is None:
                beat = stay
            transfers = []
            for to in logic.vote_targets:
                if to != nid and logic.promotable(to):
                    res = self._finish(nd, logic.transfer(nid, nd, to))
                    transfers.append((to, stay if res is _NOOP or res is None else res))
            app = self._finish(nd, logic.append(nid, nd))
            leader = (beat, transfers, stay if app is _NOOP or app is None else app)
        restart = enabled(self._finish(nd, logic.restart_step(nid, nd)))
        return tick, timeout, leader, restart


def _identity(st: State) -> State:
    return st
