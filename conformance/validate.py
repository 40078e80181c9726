"""Trace validation: is a trace of a real run a behaviour of the model (under the abstraction)?

A trace is a list of `Event`s, each one node's step: what it did (`kind`: tick, timeout,
campaign, receive, restart, transfer, propose, heartbeat), the message it received, the
messages it sent and (some of) its state afterwards. Readers (conformance/trace_formats.py)
turn files into events. The validator keeps the set of model states that explain the trace so
far (usually one) and, for each event, the successors by the model actions that could be that
step and whose outcome matches what the event observed. The first event no successor explains
is reported with the node's model state before it and what the model allows there.

The model runs with its bounds lifted (terms, in-flight messages, fault budgets): a lossy
network is modelled by leaving messages that were never received in flight, and a message
received twice by the model's duplicate action. Hidden steps: `campaign` (a timeout whose ticks
were not traced) may be preceded by up to ET+1 ticks; readers whose format does not trace ticks
set `hidden_ticks`, and then any event may be preceded by them (tried only when nothing
explains the event without).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.engine import model_for
from conformance.modelstep import model_step
from model.cluster import ClusterModel, State
from model.config import ClusterConfig
from model.messages import Message as ModelMessage
from model.messages import describe
from model.node_state import FIELD_NAMES, describe_field

# Observable node fields (index in the model's node tuple).
TERM, VOTE, LEAD, ROLE, ELAPSED, LOG = range(6)
STATE_FIELDS = {"term": TERM, "vote": VOTE, "lead": LEAD, "role": ROLE, "elapsed": ELAPSED,
                "log": LOG}
HUGE = 10**9
MAX_FRONTIER = 256  # more explanations than this at once: the trace is refused (reported)

# A message pattern: (field index, value) pairs a model message must have (all 9: exact).
MsgKey = tuple[tuple[int, Any], ...]


def exact_key(mm: ModelMessage) -> MsgKey:
    return tuple(enumerate(mm))


def key_matches(key: MsgKey, mm: ModelMessage) -> bool:
    return all(mm[i] == v for i, v in key)


@dataclass
class Event:
    pos: int  # 1-based position (line number in the file)
    node: int
    kind: str
    msg: MsgKey | None = None  # receive: the message
    to: int | None = None  # transfer: the transferee
    state: dict[int, Any] = field(default_factory=dict)  # observed node fields after the step
    sent: list[MsgKey] | None = None  # None: not observed
    sent_types: frozenset[int] | None = None  # only these model types are observed as sent
    text: str = ""


@dataclass
class TraceInput:
    cfg: ClusterConfig
    events: list[Event]
    hidden_ticks: bool = False
    lines: int = -1  # event lines read (etcd's events are grouped into steps); -1: len(events)

    @property
    def size(self) -> int:
        return len(self.events) if self.lines < 0 else self.lines


@dataclass
class Outcome:
    valid: bool
    events: int  # events checked
    event: int | None = None  # position of the first unexplained event
    reason: str = ""


def validation_config(cfg: ClusterConfig) -> ClusterConfig:
    """`cfg` with its exploration bounds lifted: a trace may go anywhere."""
    return dataclasses.replace(cfg, max_term=HUGE, max_msgs=HUGE, duplicates=HUGE,
                               restarts=HUGE, transfers=HUGE, appends=HUGE, drop=True)


def _sent(model: ClusterModel, before: State, after: State, consumed: int | None) -> list[int]:
    """Ids of the messages the step from `before` to `after` added (a node-local step only
    adds messages, besides the one it consumed)."""
    hp = model.hist_pos
    rest = list(after[hp + 1 :])
    skip = consumed
    for x in before[hp + 1 :]:
        if x == skip:
            skip = None
            continue
        rest.remove(x)
    return rest


def _sent_ok(model: ClusterModel, ids: list[int], ev: Event) -> bool:
    if ev.sent is None:
        return True
    got = [model.msg_tab[i] for i in ids]
    if ev.sent_types is not None:
        got = [m for m in got if m[0] in ev.sent_types]
    if len(got) != len(ev.sent):
        return False
    left = list(got)
    for key in ev.sent:
        for k, m in enumerate(left):
            if key_matches(key, m):
                del left[k]
                break
        else:
            return False
    return True


def _state_ok(model: ClusterModel, st: State, ev: Event) -> bool:
    nd = model.node_tab[st[ev.node - 1]]
    return all(nd[f] == v for f, v in ev.state.items())


def _sequences(model: ClusterModel, st: State, ev: Event) -> list[list[tuple[Any, ...]]]:
    """The model action sequences that could be `ev` (before any hidden ticks)."""
    n = ev.node
    kind = ev.kind
    if kind == "tick":
        # a real tick: nothing fires, the election timer fires (the model's elapsed may still
        # be one short of ET), or a leader beats
        return [[("tick", n)], [("timeout", n)], [("tick", n), ("timeout", n)],
                [("tick", n), ("heartbeat", n)]]
    if kind == "timeout":
        return [[("timeout", n)], [("tick", n), ("timeout", n)]]
    if kind == "campaign":
        return [[("tick", n)] * k + [("timeout", n)]
                for k in range(model.cfg.election_timeout + 2)]
    if kind == "receive":
        assert ev.msg is not None
        hp = model.hist_pos
        seen: set[int] = set()
        out = []
        for mid in st[hp + 1 :]:
            if mid in seen:
                continue
            seen.add(mid)
            mm = model.msg_tab[mid]
            if mm[2] == n and key_matches(ev.msg, mm):
                # duplicate first: it keeps the message, so a later second receipt works too
                out.append([("duplicate", mm)])
                out.append([("deliver", mm)])
        return out
    if kind == "restart":
        return [[("restart", n)]]
    if kind == "transfer":
        return [[("transfer", n, ev.to)]]
    if kind == "propose":
        return [[("append", n)]]
    if kind == "heartbeat":
        return [[("heartbeat", n)]]
    return []


Hop = tuple[State, State, int | None]  # (before, after, consumed message id) of one action


def _run(model: ClusterModel, st: State, seq: Sequence[tuple[Any, ...]]
         ) -> tuple[State, list[Hop]] | None:
    hops: list[Hop] = []
    for a in seq:
        nxt = model_step(model, st, a)
        if nxt is None:
            if a[0] in ("tick", "restart"):  # no abstract change: the state stays
                continue
            return None
        hops.append((st, nxt, model._msg_ix[a[1]] if a[0] == "deliver" else None))
        st = nxt
    return st, hops


def _explain(model: ClusterModel, st: State, ev: Event, ticks: int) -> list[State]:
    out = []
    seen_msgs: set[Any] = set()
    for seq in _sequences(model, st, ev):
        if seq[0][0] == "deliver" and seq[0][1] in seen_msgs:
            continue  # its duplicate explained it already (same node outcome)
        full = [("tick", ev.node)] * ticks + seq
        got = _run(model, st, full)
        if got is None:
            continue
        nxt, hops = got
        if not _state_ok(model, nxt, ev):
            continue
        sent = [i for b, a, c in hops for i in _sent(model, b, a, c)] \
            if ev.sent is not None else []
        if _sent_ok(model, sent, ev):
            out.append(nxt)
            if seq[0][0] == "duplicate":
                seen_msgs.add(seq[0][1])
    return out


def describe_node(model: ClusterModel, st: State, nid: int) -> str:
    nd = model.node_tab[st[nid - 1]]
    shown = len(nd) if getattr(model, "conf_on", False) else min(len(nd), 9)
    return ", ".join(f"{FIELD_NAMES[f]}={describe_field(f, nd[f])}" for f in range(shown))


def allowed_here(model: ClusterModel, st: State, nid: int) -> list[str]:
    """Each model transition of node `nid` in `st`: the action, its outcome, what it sends."""
    hp = model.hist_pos
    acts: list[tuple[Any, ...]] = [("tick", nid), ("timeout", nid), ("heartbeat", nid),
                                   ("append", nid), ("restart", nid)]
    acts += [("transfer", nid, to) for to in range(1, model.n + 1) if to != nid]
    acts += [("deliver", model.msg_tab[m]) for m in sorted(set(st[hp + 1 :]))
             if model.msg_tab[m][2] == nid]
    out = []
    for a in acts:
        if a[0] == "restart":
            continue  # always possible; not informative
        nxt = model_step(model, st, a)
        if nxt is None:
            continue
        consumed = model._msg_ix[a[1]] if a[0] == "deliver" else None
        sent = [describe(model.msg_tab[i]) for i in _sent(model, st, nxt, consumed)]
        nd0, nd1 = model.node_tab[st[nid - 1]], model.node_tab[nxt[nid - 1]]
        changes = [f"{FIELD_NAMES[f]} {describe_field(f, nd0[f])}->{describe_field(f, nd1[f])}"
                   for f in range(len(nd0)) if nd0[f] != nd1[f]]
        out.append(f"{model.describe_action(a)} ({', '.join(changes) or 'no change'}"
                   + (f"; sends {', '.join(sent)}" if sent else "") + ")")
    return out


def _observed(ev: Event) -> str:
    names = {v: k for k, v in STATE_FIELDS.items()}
    parts = [f"{names[f]}={describe_field(f, v)}" for f, v in sorted(ev.state.items())]
    if ev.sent is not None:
        parts.append(f"{len(ev.sent)} message(s) sent")
    return ", ".join(parts) or "nothing observed"


def validate(trace: TraceInput) -> Outcome:
    cfg = validation_config(trace.cfg)
    cfg.validate()
    model, _ = model_for(cfg)
    frontier: list[State] = model.init_states()
    for k, ev in enumerate(trace.events):
        if not 1 <= ev.node <= model.n:
            return Outcome(False, k, ev.pos, f"event {ev.pos}: node {ev.node} is not in the "
                           f"cluster of {model.n}")
        nxt: dict[State, None] = {}
        tick_options = range(model.cfg.election_timeout + 2) if trace.hidden_ticks else (0,)
        for ticks in tick_options:
            for st in frontier:
                for s in _explain(model, st, ev, ticks):
                    nxt[s] = None
            if nxt:
                break
        if not nxt:
            st = frontier[0]
            allowed = allowed_here(model, st, ev.node)
            reason = (
                f"event {ev.pos} ({ev.text or ev.kind}, node {ev.node}) is not a model "
                f"transition: observed {_observed(ev)}; node {ev.node} before: "
                f"{describe_node(model, st, ev.node)}; the model allows there: "
                + ("; ".join(allowed) if allowed else "nothing")
                + (f" ({len(frontier)} explanations of the trace so far; shown: the first)"
                   if len(frontier) > 1 else "")
            )
            return Outcome(False, k, ev.pos, reason)
        if len(nxt) > MAX_FRONTIER:
            return Outcome(False, k + 1, ev.pos,
                           f"event {ev.pos}: more than {MAX_FRONTIER} model states explain the "
                           "trace here (too little is observed); not validated further")
        frontier = list(nxt)
    return Outcome(True, len(trace.events))


def validate_all(traces: Iterable[tuple[str, TraceInput]]) -> list[tuple[str, Outcome]]:
    return [(name, validate(t)) for name, t in traces]
