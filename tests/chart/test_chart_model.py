"""The chart model: lanes, rows and arrows computed from a trace's states."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from chart_cases import violation_of

from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.messages import describe
from raftcheck.chart.model import Chart, build_chart, view_of
from raftcheck.chart.sources import lasso_chart, violation_chart

MSG_ACTIONS = ("deliver", "drop", "duplicate")


def check_consistent(model: ClusterModel, init: Any, steps: list[tuple[Any, Any]],
                     chart: Chart) -> None:
    """What every chart must satisfy, whatever the trace."""
    assert len(chart.rows) == len(steps)
    assert [lane.node for lane in chart.lanes] == list(range(1, model.n + 1))
    # One arrow ends at each deliver, drop or duplicate step, carrying that step's message.
    for r, (action, _st) in zip(chart.rows, steps, strict=True):
        ending = [a for a in chart.arrows if a.end == r.k
                  and a.fate in ("delivered", "dropped", "duplicated")]
        if action[0] in MSG_ACTIONS:
            assert len(ending) == 1, r
            fate = {"deliver": "delivered", "drop": "dropped", "duplicate": "duplicated"}
            assert ending[0].fate == fate[action[0]]
            assert ending[0].text == describe(action[1])
            assert ending[0].sent < r.k
        else:
            assert ending == []
    n_msg_steps = sum(1 for a, _ in steps if a[0] in MSG_ACTIONS)
    fates = chart.fates()
    assert fates["delivered"] + fates["dropped"] + fates["duplicated"] == n_msg_steps
    # Every message that was put in flight is one arrow, sent at that step, by its sender.
    sent = Counter()
    for r in chart.rows:
        for line in r.changes:
            if line.startswith("sent "):
                sent[(r.k, line[5:])] += 1
    drawn = Counter((a.sent, a.text) for a in chart.arrows
                    if a.fate != "duplicated" and not (a.fate == "lost" and a.end == a.sent))
    assert drawn == sent
    # What is still in flight at the end is exactly the final state's network.
    last = steps[-1][1] if steps else init
    assert Counter(a.text for a in chart.arrows if a.fate == "in-flight") == Counter(
        describe(m) for m in model.messages(last))
    for a in chart.arrows:
        assert a.end is None or a.end >= a.sent
        assert (a.end is None) == (a.fate == "in-flight")
    # The lane boxes follow the nodes' role, term, vote and lead.
    views = dict(chart.initial)
    for r, (_a, st) in zip(chart.rows, steps, strict=True):
        views.update(r.views)
        assert views == {i + 1: view_of(nd) for i, nd in enumerate(model.nodes(st))}


def pairs(steps: list[Any]) -> list[tuple[Any, Any]]:
    return [(s.action, s.state) for s in steps]


def test_violation_chart(vote_once: tuple[ClusterModel, Any]) -> None:
    model, v = vote_once
    chart = violation_chart(model, v)
    check_consistent(model, v.init, pairs(v.steps), chart)
    assert chart.invariant == "VoteOnce" and chart.kind == "safety"
    assert chart.title.startswith("VoteOnce: ")
    assert [r.k for r in chart.rows if r.broken] == [len(v.steps)]
    assert chart.rows[-1].broken == ["VoteOnce"]
    fates = chart.fates()
    assert fates["dropped"] >= 1 and fates["in-flight"] >= 1
    # The long-lived request: sent at one step, delivered several steps later.
    assert max(a.end - a.sent for a in chart.arrows if a.end is not None) >= 5


def test_symmetry_reduced_trace_is_drawn_concretely() -> None:
    for sym in (False, True):
        model, v = violation_of("canvote-always", sym)
        chart = violation_chart(model, v)
        check_consistent(model, v.init, pairs(v.steps), chart)
        assert chart.rows[-1].broken


def test_duplicate_and_lost_arrows() -> None:
    """A duplicate delivers a copy and leaves the original in flight; a split of the network
    loses what is in flight on the cut links, and later sends over them are lost at once."""
    cfg = ClusterConfig(voters=3, max_term=2, max_msgs=4, duplicates=1, drop=True,
                        cut_links=frozenset({(1, 3)}), partition_faults=1,
                        partition_later=True)
    model = ClusterModel(cfg)
    st = model.init_states()[0]
    steps: list[tuple[Any, Any]] = []

    def take(match: Any) -> None:
        nonlocal st
        action, nxt = next((a, s) for a, s in model.successors(st) if match(a))
        steps.append((action, nxt))
        st = nxt

    take(lambda a: a == ("tick", 1))
    take(lambda a: a == ("timeout", 1))  # MsgVote 1->2 and 1->3 in flight
    take(lambda a: a[0] == "duplicate" and a[1][2] == 2)
    take(lambda a: a[0] == "split")  # 1-3 cut: MsgVote 1->3 lost
    take(lambda a: a[0] == "deliver" and a[1][2] == 2)  # the original, at last
    take(lambda a: a == ("tick", 3))
    take(lambda a: a == ("timeout", 3))  # MsgVote 3->1 addressed over the cut link
    chart = build_chart(model, model.init_states()[0], steps, title="t")
    check_consistent(model, model.init_states()[0], steps, chart)
    by = {(a.frm, a.to, a.fate): a for a in chart.arrows}
    dup, orig = by[(1, 2, "duplicated")], by[(1, 2, "delivered")]
    assert dup.sent == orig.sent == 2 and dup.end == 3 and orig.end == 5
    assert by[(1, 3, "lost")].sent == 2 and by[(1, 3, "lost")].end == 4
    lost_at_send = by[(3, 1, "lost")]
    assert lost_at_send.sent == lost_at_send.end == 7
    assert by[(3, 2, "in-flight")].sent == 7
    assert chart.rows[3].node is None and chart.rows[3].kind == "split"


def test_lasso_chart(lasso: tuple[Any, Any, Any]) -> None:
    from raftcheck.render_liveness import concrete

    model, g, x = lasso
    chart = lasso_chart(model, g, x)
    init, prefix, cycle = concrete(model, g, x)
    check_consistent(model, init, prefix + cycle, chart)
    assert chart.kind == "liveness" and chart.invariant == x.prop
    assert chart.cycle_start == len(prefix) + 1
    assert "the cycle repeats" in chart.cycle_note and "+1" in chart.cycle_note
    # Node 2 is cut off: what it and the others address over the cut links is lost.
    lost = [a for a in chart.arrows if a.fate == "lost"]
    assert lost and all(a.end == a.sent and 2 in (a.frm, a.to) for a in lost)
    assert chart.lanes[2].name == "node 3 (learner)"


def test_initial_messages_and_views() -> None:
    cfg = replace(ClusterConfig(voters=2, max_term=2, max_msgs=2), init_terms=((1, 1),))
    model = ClusterModel(cfg)
    init = model.init_states()[0]
    chart = build_chart(model, init, [], title="empty")
    assert chart.rows == [] and chart.arrows == []
    assert chart.initial[1].term == 1 and chart.initial[2].term == 0
    assert chart.initial[1].text() == "term 1, vote none, lead none"


def test_violation_of_the_initial_state_says_so() -> None:
    from explorer.bfs import Violation

    model = ClusterModel(ClusterConfig(voters=3, max_term=2, max_msgs=2))
    init = model.init_states()[0]
    chart = violation_chart(model, Violation("VoteOnce", init, []))
    assert chart.rows == [] and chart.notes == ["the initial state already breaks VoteOnce"]
