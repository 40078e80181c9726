"""The message sequence chart of one trace: lanes, steps and message arrows.

Built from the model's own states, so it works for every kind of trace (explore violations,
liveness lassos, conformance divergences, audit traces; symmetry-reduced traces are replayed
concretely before they get here). A message is *sent* at the step after which it is first in
flight; a `deliver` consumes one copy, a `drop` removes one, a `duplicate` delivers a copy and
leaves the original in flight. Messages that vanish because a link was cut are *lost*, and so
are the messages a node addressed over a link that was already cut (the model never puts those
in flight). Whatever is still in flight at the end is drawn dangling. When several identical
copies are in flight, the one sent first is consumed first.

The chart holds plain strings and ints only, so it pickles (audit workers send it back).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from model.messages import M_FROM, M_TO, MSG_NAMES, Message, describe
from model.node_state import LEAD, ROLE, ROLE_NAMES, TERM, VOTE
from model.topology import link_bit

Fate = Literal["delivered", "dropped", "duplicated", "lost", "in-flight"]
FATES: tuple[Fate, ...] = ("delivered", "dropped", "duplicated", "lost", "in-flight")


@dataclass(frozen=True)
class NodeView:
    """The fields a lane shows: role, term, vote, lead (0 = none)."""

    role: str
    term: int
    vote: int
    lead: int

    def text(self) -> str:
        return f"term {self.term}, vote {_who(self.vote)}, lead {_who(self.lead)}"


def _who(nid: int) -> str:
    return str(nid) if nid else "none"


@dataclass
class Lane:
    node: int
    name: str  # "node 1", "node 4 (learner)"


@dataclass
class Row:
    """One step of the trace (1-based `k`)."""

    k: int
    kind: str  # the action kind: tick, timeout, deliver, drop, heal, ...
    node: int | None  # the lane it happens on (the receiver for message actions)
    short: str  # a few words for the chart's step column
    text: str  # the whole action, as the text trace says it
    changes: list[str]
    views: dict[int, NodeView]  # lanes whose shown fields changed here, with the new values
    broken: list[str] = field(default_factory=list)  # invariants first broken by this step
    notes: list[str] = field(default_factory=list)  # liveness marks, divergence problems
    alert: bool = False  # drawn like a broken invariant (where impl and model diverge)

    @property
    def highlighted(self) -> bool:
        return bool(self.broken) or self.alert


@dataclass
class Arrow:
    ix: int
    frm: int
    to: int
    label: str  # short: "MsgVote t1", "MsgVoteResp t1 grant"
    text: str  # the whole message
    sent: int  # the step that put it in flight (0: in flight in the initial state)
    end: int | None  # the step that delivered, dropped or lost it; None: still in flight
    fate: Fate


@dataclass
class Chart:
    title: str  # e.g. "VoteOnce: a node votes for at most one candidate per term"
    kind: str  # "safety", "liveness", "divergence", "witness"
    lanes: list[Lane]
    initial: dict[int, NodeView]
    initial_lines: list[str]
    final_lines: list[str]
    rows: list[Row]
    arrows: list[Arrow]
    invariant: str | None = None  # the broken invariant or property, highlighted
    cycle_start: int | None = None  # a lasso: the first step of the cycle (1-based)
    cycle_note: str = ""  # e.g. "back to step 4, with every term +1: the cycle repeats"
    notes: list[str] = field(default_factory=list)  # said under the chart

    def __len__(self) -> int:
        return len(self.rows)

    def fates(self) -> dict[str, int]:
        out: dict[str, int] = {f: 0 for f in FATES}
        for a in self.arrows:
            out[a.fate] += 1
        return out


def view_of(nd: Any) -> NodeView:
    return NodeView(ROLE_NAMES[nd[ROLE]], nd[TERM], nd[VOTE], nd[LEAD])


def message_label(m: Message) -> str:
    label = f"{MSG_NAMES[m[0]]} t{m[3]}"
    if MSG_NAMES[m[0]] in ("MsgVoteResp", "MsgPreVoteResp"):
        label += " reject" if m[6] else " grant"
    return label


def short_action(action: Any) -> str:
    kind = action[0]
    if kind in ("deliver", "drop", "duplicate"):
        m = action[1]
        return f"{kind} {MSG_NAMES[m[0]]} {m[M_FROM]}→{m[M_TO]}"
    if kind == "transfer":
        return f"transfer {action[1]}→{action[2]}"
    if len(action) > 1:
        return f"{kind} {action[1]}"
    return str(kind)


def action_lane(action: Any) -> int | None:
    kind = action[0]
    if kind in ("deliver", "drop", "duplicate"):
        return int(action[1][M_TO])
    if len(action) > 1 and isinstance(action[1], int):
        return action[1]
    return None


def _raw_outputs(model: Any, action: Any, before: Any) -> tuple[Message, ...]:
    """What the acting node addressed, before cut links filter it (model/network.py)."""
    logic = model.logic
    nodes = model.nodes(before)
    kind = action[0]
    if kind in ("deliver", "duplicate"):
        m = action[1]
        return tuple(logic.step(m[M_TO], nodes[m[M_TO] - 1], m)[1])
    if kind in ("tick", "timeout", "append"):
        nid = action[1]
        return tuple(getattr(logic, kind)(nid, nodes[nid - 1])[1])
    if kind == "heartbeat":
        return tuple(logic.heartbeat(action[1], nodes[action[1] - 1]))
    if kind == "transfer":
        return tuple(logic.transfer(action[1], nodes[action[1] - 1], action[2])[1])
    return ()


def _take(flight: list[tuple[Message, int]], m: Message) -> int | None:
    """Remove the earliest-sent in-flight copy of `m`; its arrow index."""
    for pos, (fm, ix) in enumerate(flight):
        if fm == m:
            del flight[pos]
            return ix
    return None


def build_chart(
    model: Any,
    init: Any,
    steps: Sequence[Any],
    *,
    title: str,
    kind: str = "safety",
    invariant: str | None = None,
    cycle_start: int | None = None,
    cycle_note: str = "",
    notes: dict[int, list[str]] | None = None,
    chart_notes: Sequence[str] = (),
    alerts: Sequence[int] = (),
) -> Chart:
    """The chart of a trace of `model` (a ClusterModel) from `init`; `steps` are explorer
    Steps, (action, state) pairs, or objects with `action` and `after` (conformance)."""
    n = model.n
    logic = model.logic
    lanes = [
        Lane(i, f"node {i}" + (" (learner)" if logic.is_learner(i) else ""))
        for i in range(1, n + 1)
    ]
    initial = {i + 1: view_of(nd) for i, nd in enumerate(model.nodes(init))}
    arrows: list[Arrow] = []
    flight: list[tuple[Message, int]] = []

    def new_arrow(m: Message, sent: int, end: int | None, fate: Fate) -> int:
        arrows.append(Arrow(len(arrows), m[M_FROM], m[M_TO], message_label(m), describe(m),
                            sent, end, fate))
        return len(arrows) - 1

    for m in model.messages(init):
        flight.append((m, new_arrow(m, 0, None, "in-flight")))

    rows: list[Row] = []
    prev = init
    views = dict(initial)
    for k, s in enumerate(steps, 1):
        if hasattr(s, "after"):
            action, state = s.action, s.after
        elif hasattr(s, "action"):
            action, state = s.action, s.state
        else:
            action, state = s
        akind = action[0]
        if akind in ("deliver", "drop", "duplicate"):
            m = action[1]
            if akind == "duplicate":
                # A copy is delivered; the original stays in flight.
                orig = next((ix for fm, ix in flight if fm == m), None)
                sent = arrows[orig].sent if orig is not None else k
                new_arrow(m, sent, k, "duplicated")
            else:
                ix = _take(flight, m)
                if ix is None:  # pragma: no cover - the model only consumes what is in flight
                    ix = new_arrow(m, k, None, "in-flight")
                arrows[ix].end = k
                arrows[ix].fate = "delivered" if akind == "deliver" else "dropped"
        after = list(model.messages(state))
        remaining = list(flight)
        kept: list[tuple[Message, int]] = []
        for m in after:
            ix = _take(remaining, m)
            if ix is None:
                kept.append((m, new_arrow(m, k, None, "in-flight")))
            else:
                kept.append((m, ix))
        for _m, ix in remaining:  # vanished without a deliver or drop: their link was cut
            arrows[ix].end = k
            arrows[ix].fate = "lost"
        kept.sort(key=lambda p: arrows[p[1]].sent)
        flight = kept
        cut = model.cut_mask(prev) if getattr(model, "net", False) else 0
        if cut:
            for m in _raw_outputs(model, action, prev):
                if m[M_FROM] != m[M_TO] and cut & link_bit(m[M_FROM], m[M_TO]):
                    new_arrow(m, k, k, "lost")
        changed: dict[int, NodeView] = {}
        for i, nd in enumerate(model.nodes(state), 1):
            v = view_of(nd)
            if v != views[i]:
                changed[i] = views[i] = v
        broken = [x for x in model.violations(state) if x not in model.violations(prev)]
        rows.append(Row(
            k, str(akind), action_lane(action), short_action(action),
            model.describe_action(action), model.describe_changes(prev, state) or [],
            changed, broken, list((notes or {}).get(k, [])), k in alerts,
        ))
        prev = state
    if invariant is not None and rows and not any(invariant in r.broken for r in rows):
        # A state invariant is judged on the last state: the trace ends where it breaks.
        if kind == "safety":
            rows[-1].broken.append(invariant)
    return Chart(
        title=title, kind=kind, lanes=lanes, initial=initial,
        initial_lines=model.describe_state(init), final_lines=model.describe_state(prev),
        rows=rows, arrows=arrows, invariant=invariant, cycle_start=cycle_start,
        cycle_note=cycle_note, notes=list(chart_notes),
    )
