"""Exhaustive differential mode: every transition of the model's state space, also on impl.

A BFS over `ClusterModel.successors` visits every reachable model state (by default without
symmetry reduction). A transition of the cluster is one node-local step (a tick, a timeout, a
heartbeat, a transfer, an append, a restart, a conf-change proposal, an apply, or the delivery
of one message at its receiver) plus bookkeeping of the in-flight multiset and the budgets,
which the harness does the same way on both sides. So every transition is checked by
checking its local step on impl: the receiving (or acting) node, in an impl state whose
abstraction is the node's model state, takes the same step, and its new state and the messages
it sent must abstract to the model's. Each distinct local step (node id, node state, action)
is run on impl once.

The impl node for a model node state is the one the BFS first reached it with: it starts as the
node of `ImplCluster(cfg)` and every checked step records its (copied) result for the model node
state it produced. So every impl node is reached by a real path of impl steps, as if the whole
cluster had been replayed along the shortest path; only the other nodes' impl copies are shared.

With `symmetry=True` the BFS keeps one real state per symmetry orbit (the first reached): the
local steps of the other members of an orbit are permutations of checked ones, which is sound as
long as the impl treats node ids alike.
"""

from __future__ import annotations

import time
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.abstraction import (
    Action,
    abstract_messages,
    concrete_message,
)
from conformance.confmap import impl_change
from conformance.nodes import PYTHON, Backend, HarnessFailure
from impl import Message
from model.cluster import ClusterModel, State
from model.config import ClusterConfig
from model.messages import describe
from model.node_state import FIELD_NAMES, describe_field


@dataclass
class DiffDivergence:
    actions: list[Action]  # from the initial state; the last one diverges
    problems: list[str]


@dataclass
class DiffReport:
    conformant: bool
    complete: bool
    states: int
    transitions: int
    local_steps: int  # distinct local steps run on impl
    seconds: float
    symmetry: bool
    config: ClusterConfig
    divergences: list[DiffDivergence] = field(default_factory=list)
    stop_reason: str | None = None


class LocalChecker:
    """Runs model local steps on impl node representatives and compares.

    `backend` (conformance.nodes) makes, copies and abstracts the nodes: impl's RawNode by
    default, or etcd's through the harness."""

    def __init__(self, model: ClusterModel, backend: Backend | None = None) -> None:
        self.model = model
        self.backend = backend if backend is not None else PYTHON
        cfg = model.cfg
        self.cfg = cfg
        self.et = cfg.election_timeout
        self.cq = cfg.check_quorum
        self.reps: dict[tuple[int, int], Any] = {}
        self._msgs: dict[Any, Message] = {}
        init = model.init_states()[0]
        for nid in range(1, cfg.n + 1):
            self.reps[(nid, init[nid - 1])] = self.backend.new(cfg, nid)
        self.checked = 0

    def _impl_msg(self, m: Any) -> Message:
        got = self._msgs.get(m)
        if got is None:
            got = self._msgs[m] = concrete_message(m)
        return got

    def _local(self, st: State, action: Action) -> tuple[int, Any, tuple[Any, ...]] | str:
        """(node id, its representative, the local step) of a transition, or a problem."""
        kind = action[0]
        nid = action[1][2] if kind in ("deliver", "duplicate") else action[1]
        rep = self.reps.get((nid, st[nid - 1]))
        if rep is None:  # pragma: no cover - every reachable node state gets a representative
            return f"no impl node for node {nid} in this state (harness bug)"
        if kind in ("deliver", "duplicate"):
            return nid, rep, ("step", self._impl_msg(action[1]))
        if kind == "transfer":
            return nid, rep, ("transfer", action[2])
        if kind == "propose-conf":
            return nid, rep, ("propose-conf", impl_change(action[2]))
        if kind in ("tick", "timeout", "heartbeat", "restart", "append", "apply"):
            return nid, rep, (kind,)
        return f"unknown action {kind!r}"

    def check(self, st: State, action: Action, nxt: State) -> list[str]:
        return self.check_many(st, [(action, nxt)])[0]

    def check_many(self, st: State, items: list[tuple[Action, State]]) -> list[list[str]]:
        """Check several transitions out of `st` (their local steps run in one request on a
        backend that batches); the problems of each, in order."""
        backend = self.backend
        locals_ = [self._local(st, a) for a, _ in items]
        todo = [(x[1], x[2]) for x in locals_ if not isinstance(x, str)]
        self.checked += len(todo)
        done = iter(backend.fork_act_many(todo))
        out: list[list[str]] = []
        for (action, nxt), loc in zip(items, locals_, strict=True):
            if isinstance(loc, str):
                out.append([loc])
                continue
            out.append(self._judge(st, action, nxt, loc[0], next(done)))
        return out

    def _judge(
        self, st: State, action: Action, nxt: State, nid: int,
        result: tuple[Any, list[Message]] | Exception,
    ) -> list[str]:
        model = self.model
        backend = self.backend
        kind = action[0]
        i = nid - 1
        if isinstance(result, Exception):
            return [f"impl raised {type(result).__name__}: {result}"]
        rn, sent = result
        try:
            got = backend.abstract(rn, self.et, self.cq)
            got_sent = Counter(abstract_messages(sent))
        except HarnessFailure:
            raise  # the etcd harness process failed: not a divergence
        except Exception as e:  # noqa: BLE001 - any impl failure is a divergence
            backend.discard(rn)
            return [f"impl raised {type(e).__name__}: {e}"]
        want = model.nodes(nxt)[i]
        want_sent = Counter(model.messages(nxt))
        want_sent.subtract(Counter(model.messages(st)))
        if kind == "deliver":
            want_sent[action[1]] += 1
        want_sent = +want_sent
        problems = []
        if got != want:
            fields = ", ".join(
                f"{FIELD_NAMES[f]}: impl {describe_field(f, got[f])} "
                f"model {describe_field(f, want[f])}"
                for f in range(len(want))
                if got[f] != want[f]
            )
            problems.append(f"node {nid} differs: {fields}")
        for m in sorted((got_sent - want_sent).elements()):
            problems.append(f"impl sent, model did not: {describe(m)}")
        for m in sorted((want_sent - got_sent).elements()):
            problems.append(f"model sent, impl did not: {describe(m)}")
        key = (nid, nxt[i])
        if not problems and key not in self.reps:
            self.reps[key] = rn
        else:
            backend.discard(rn)
        return problems


def _local_key(st: State, action: Action) -> Any:
    kind = action[0]
    if kind == "drop":
        return None
    if kind == "deliver" or kind == "duplicate":
        m = action[1]
        return (m, st[m[2] - 1])
    if kind == "transfer" or kind == "propose-conf":
        return (kind, action[1], action[2], st[action[1] - 1])
    return (kind, action[1], st[action[1] - 1])


def run_differential(
    cfg: ClusterConfig | None = None,
    *,
    symmetry: bool = False,
    time_limit: float | None = None,
    max_states: int | None = None,
    keep_going: bool = False,
    progress: Callable[[int, int, float], None] | None = None,
    model: ClusterModel | None = None,
    backend: Backend | None = None,
) -> DiffReport:
    """BFS the model from its initial state and check every transition's local step on impl.

    Stops at the first divergence unless `keep_going` (then one divergence per distinct local
    step is kept). `model` may carry a rule change (a RuleSet other than the config's).
    """
    cfg = cfg if cfg is not None else ClusterConfig()
    model = model if model is not None else ClusterModel(cfg)
    checker = LocalChecker(model, backend)
    start = time.perf_counter()
    init = model.init_states()[0]
    canon = model.canonical if symmetry else None
    index: dict[State, int] = {(canon(init) if canon else init): 0}
    states: list[State] = [init]
    parent = array("q", [-1])
    checked: set[Any] = set()
    found: list[tuple[int, Action, list[str]]] = []
    transitions = 0
    head = 0
    stop_reason: str | None = None
    successors = model.successors
    last = start
    while head < len(states):
        st = states[head]
        if head & 1023 == 0 and head:
            now = time.perf_counter()
            if time_limit is not None and now - start > time_limit:
                stop_reason = f"time limit {time_limit:g}s reached"
                break
            if progress is not None and now - last > 0.5:
                last = now
                progress(len(states), transitions, now - start)
        stop = False
        succ = list(successors(st))
        todo: list[tuple[Action, State]] = []
        for a, nxt in succ:
            key = _local_key(st, a)
            if key is not None and key not in checked:
                checked.add(key)
                todo.append((a, nxt))
        verdicts: dict[int, list[str]] = {}
        if todo:
            for (a, _), problems in zip(todo, checker.check_many(st, todo), strict=True):
                verdicts[id(a)] = problems
        for a, nxt in succ:
            transitions += 1
            problems = verdicts.get(id(a), [])
            if problems:
                found.append((head, a, problems))
                if not keep_going:
                    stop = True
                    break
            c = canon(nxt) if canon else nxt
            if c not in index:
                index[c] = len(states)
                states.append(nxt)
                parent.append(head)
                if max_states is not None and len(states) >= max_states:
                    stop_reason = f"state limit {max_states} reached"
                    stop = True
                    break
        if stop:
            if stop_reason is None:
                stop_reason = "divergence found"
            break
        head += 1
    seconds = time.perf_counter() - start
    divergences = [
        DiffDivergence(_path(model, states, parent, h) + [a], p) for h, a, p in found
    ]
    return DiffReport(
        conformant=not found,
        complete=stop_reason is None,
        states=len(states),
        transitions=transitions,
        local_steps=checker.checked,
        seconds=seconds,
        symmetry=symmetry,
        config=cfg,
        divergences=divergences,
        stop_reason=stop_reason,
    )


def _path(model: ClusterModel, states: list[State], parent: array, idx: int) -> list[Action]:
    chain = []
    while idx >= 0:
        chain.append(idx)
        idx = parent[idx]
    chain.reverse()
    actions: list[Action] = []
    for a_ix, b_ix in zip(chain, chain[1:], strict=False):
        target = states[b_ix]
        for a, nxt in model.successors(states[a_ix]):
            if nxt == target:
                actions.append(a)
                break
    return actions
