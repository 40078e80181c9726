"""Every invariant can fail: each is broken by a rule change (or a planted step) and caught."""

from __future__ import annotations

from dataclasses import replace

from explorer.bfs import explore
from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.messages import MSG_PRE_VOTE
from model.node_state import LEADER
from model.rules import ETCD_34, adopts_higher_term

BASE = ClusterConfig(voters=3, max_term=2, max_msgs=2, election_timeout=1)


def index_only(last_term: int, last_index: int, cand_term: int, cand_index: int) -> bool:
    return cand_index >= last_index


def test_leader_up_to_date_is_caught_when_up_to_date_ignores_terms() -> None:
    # Node 1 holds (term 2, index 2); node 2 holds a longer but older log (term 1, index 3).
    cfg = replace(
        BASE,
        max_term=3,
        init_terms=((1, 2), (2, 2), (3, 2)),
        init_logs=((1, (1, 2)), (2, (1, 1, 1)), (3, (1, 2))),
    )
    rules = ETCD_34.with_rules("index-only", is_up_to_date=index_only)
    model = ClusterModel(cfg, rules)
    result = explore(model, symmetry=True, only={"LeaderUpToDate"})
    (v,) = result.violations
    leader = [nd for nd in model.nodes(v.steps[-1].state) if nd[3] == LEADER]
    assert leader and leader[0][5][:3] == (1, 1, 1)
    # The real rule holds on the same configuration.
    ok = explore(ClusterModel(cfg), symmetry=True)
    assert ok.complete and ok.invariants["LeaderUpToDate"] == "held"


def test_pre_vote_disruption_is_caught_when_pre_vote_bumps_the_term() -> None:
    def adopts_on_pre_vote(msg_type: int, reject: bool) -> bool:
        return True if msg_type == MSG_PRE_VOTE else adopts_higher_term(msg_type, reject)

    rules = ETCD_34.with_rules("prevote-bumps-term", adopts_higher_term=adopts_on_pre_vote)
    result = explore(ClusterModel(replace(BASE, pre_vote=True), rules), symmetry=True)
    assert result.invariants["PreVoteNoDisruption"] == "violated"
    (v,) = result.violations
    assert v.steps[-1].action[0] == "deliver" and v.steps[-1].action[1][0] == MSG_PRE_VOTE
    assert len(v) == 3  # tick, timeout (pre-campaign), deliver one request


def test_term_monotonic_is_caught_when_a_step_lowers_a_term() -> None:
    model = ClusterModel(BASE)
    real_tick = model.logic.tick

    def tick_that_forgets(nid: int, nd: tuple) -> tuple:  # type: ignore[type-arg]
        new, outs, events = real_tick(nid, nd)
        if nd[0] == 1 and nd[3] == LEADER:
            new = (0,) + new[1:]
        return new, outs, events

    model.logic.tick = tick_that_forgets  # type: ignore[method-assign]
    result = explore(model, only={"TermMonotonic"})
    assert result.invariants == {"TermMonotonic": "violated"}
    assert result.violations[0].steps[-1].action[0] == "tick"


def test_history_of_past_terms_is_forgotten_only_below_every_node() -> None:
    model = ClusterModel(BASE)
    h = model.hist_id((((1, 1),), ((1, 2, 1, 0, 0),), ()))
    assert model.hist_tab[model._forget(h, 1)] == model.hist_tab[h]
    assert model.hist_tab[model._forget(h, 2)] == ((), (), ())
