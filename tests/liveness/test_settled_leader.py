"""SettledLeaderStable: LeaderStable counted only from states where the cluster has settled on
its leader (specs/SEMANTICS.md, "Properties"): the template on hand-made graphs (both
analyses), the SETTLED flag on the model's states (both graph builders), and the verdicts on
etcd-3.4 and on catalogue variants that break it."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from click.testing import CliRunner

from audit.liveness import BRIDGE, HEALTHY, HEALTHY_PRE_VOTE
from explorer.bfs import Limits
from explorer.livegraph import build_graph
from explorer.liveness import (
    ANCHORED,
    CHANGE,
    CONNECTED,
    GOOD,
    SETTLED,
    UNTIMELY,
    LiveGraph,
    analyse,
    explore_graph,
)
from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.liveness import Liveness, LivenessOptions
from model.node_state import LEADER, ROLE, TERM
from model.rules import RuleSet
from model.topology import parse_partition
from model.variants import VARIANTS_BY_NAME
from raftcheck.cli import main
from raftcheck.defaults import liveness_config
from raftcheck.liveness_run import liveness_graph

NAMES = ("Recoverable", "Eventually", "Kept", "NoChangeCycle", "SettledKept")
STABLE = CONNECTED | GOOD | ANCHORED


class Toy:
    """States are ints; `edges` maps a state to (action, next, label, key) tuples."""

    def __init__(self, edges: dict[int, list[tuple[Any, int, int, int]]],
                 flags: dict[int, int]) -> None:
        self.edges = edges
        self.flags_of = flags

    def init_states(self) -> list[int]:
        return [0]

    def labelled_successors(self, s: int) -> tuple[list[Any], list[int]]:
        return list(self.edges.get(s, [])), []

    def state_flags(self, s: int) -> int:
        return self.flags_of.get(s, CONNECTED)


# 0 -> 1 (anchored, an election's messages still in flight) -> 2 (settled) -> 2 forever;
# from 1 a late campaign message deposes the leader (1 -> 3 -> 1).
RACE = {0: [("elect", 1, CHANGE, 1)], 1: [("settle", 2, 0, 2), ("late", 3, CHANGE, 3)],
        2: [("beat", 2, 0, 4)], 3: [("elect", 1, CHANGE, 1)]}
RACE_FLAGS = {0: CONNECTED, 1: STABLE, 2: STABLE | SETTLED, 3: CONNECTED}


@pytest.mark.parametrize("core", [False, True])
def test_a_leader_deposed_only_before_it_settled_keeps_settled_kept(core: bool) -> None:
    v = analyse(explore_graph(Toy(RACE, RACE_FLAGS)), NAMES, core=core)
    assert v.verdicts["Kept"] == "violated"
    assert v.verdicts["SettledKept"] == "held"
    assert v.details["SettledKept"] == {"settled_states": 1, "deposing_states": 0}


@pytest.mark.parametrize("core", [False, True])
def test_a_settled_leader_deposed_breaks_settled_kept_with_its_path(core: bool) -> None:
    edges = {k: list(e) for k, e in RACE.items()}
    edges[2] = [("beat", 2, 0, 4), ("disrupt", 4, 0, 5)]
    edges[4] = [("depose", 3, CHANGE, 6)]
    v = analyse(explore_graph(Toy(edges, {**RACE_FLAGS, 4: STABLE})), NAMES, core=core)
    assert v.verdicts["SettledKept"] == "violated"
    lasso = next(x for x in v.lassos if x.prop == "SettledKept")
    # elect, settle: settled at step 2; disrupt, depose: deposed at step 4; no cycle
    assert lasso.marks == {"settled": 2, "deposed": 4} and lasso.cycle == []
    assert len(lasso.prefix) == 4


def test_untimely_or_absent_threats_leave_it_held_and_no_settled_state_is_vacuous() -> None:
    edges = {0: [("elect", 1, CHANGE, 1)], 1: [("depose", 0, CHANGE | UNTIMELY, 2)]}
    v = analyse(explore_graph(Toy(edges, {0: CONNECTED, 1: STABLE | SETTLED})), NAMES)
    assert v.verdicts["SettledKept"] == "held" and v.verdicts["Kept"] == "held"
    v = analyse(explore_graph(Toy(edges, {0: CONNECTED, 1: STABLE})), NAMES)
    assert v.verdicts["SettledKept"] == "held"
    assert v.details["SettledKept"].get("vacuous") is True


def test_four_names_still_judge_four_templates() -> None:
    v = analyse(explore_graph(Toy(RACE, RACE_FLAGS)), NAMES[:4])
    assert sorted(v.verdicts) == sorted(NAMES[:4])


# -- the flag on the model's states -------------------------------------------------------------

def _graph(cfg: ClusterConfig, rules: RuleSet | None = None, core: bool | None = None,
           ) -> tuple[ClusterModel, LiveGraph]:
    model = ClusterModel(cfg, rules, liveness=Liveness(LivenessOptions()))
    return model, build_graph(model, limits=Limits(), core=core)


def _chain(flags: bool = True) -> ClusterConfig:
    """The chain 1-2-3 (1 and 3 cut) at spread 2, with pre-vote and check-quorum or without."""
    return replace(liveness_config(3), max_term=2, max_msgs=2, pre_vote=flags,
                   check_quorum=flags, cut_links=parse_partition("1-3", 3))


def test_settled_states_are_anchored_quiet_and_leader_is_highest() -> None:
    """SETTLED = ANCHORED, no campaign message in flight, no node the leader's side can reach
    above the leader's term; and each part of the definition removes some anchored state."""
    cfg = BRIDGE.cfg
    model, g = _graph(cfg)
    live = model.live
    assert live is not None
    campaign = anchored_only = 0
    for s in range(len(g)):
        f = g.flags[s]
        if not f & ANCHORED:
            assert not f & SETTLED
            continue
        st = g.states[s]
        nodes = model.nodes(st)
        msgs = [model.msg_tab[mid] for mid in st[model.hist_pos + 1 :]]
        in_flight = any(live.unsettling(mid) for mid in st[model.hist_pos + 1 :])
        top = max(nd[TERM] for nd in nodes if nd[ROLE] == LEADER)
        quiet = all(nd[TERM] <= top for nd in nodes)  # no lasting cut splits BRIDGE's nodes
        assert bool(f & SETTLED) == (quiet and not in_flight), (st, msgs)
        campaign += in_flight and quiet
        anchored_only += not f & SETTLED
    assert campaign > 0 and anchored_only > campaign  # both parts of the definition matter
    assert any(f & SETTLED for f in g.flags)


def test_both_builders_give_the_same_settled_flags() -> None:
    # messages clear the flag in the core (msg_unsettling), in Python in state_flags
    for cfg in (BRIDGE.cfg, _chain(flags=False)):
        _m, compiled = _graph(cfg, core=True)
        _m, reference = _graph(cfg, core=False)
        assert compiled.flags == reference.flags
        assert any(f & SETTLED for f in compiled.flags)


# -- verdicts on the catalogue and on etcd-3.4 ------------------------------------------------

def _verdicts(cfg: ClusterConfig, rules: RuleSet | None = None) -> dict[str, str]:
    _m, _g, v = liveness_graph(cfg, LivenessOptions(), rules, Limits())
    return v.verdicts


@pytest.mark.parametrize("ac", [HEALTHY, HEALTHY_PRE_VOTE, BRIDGE], ids=lambda a: a.label)
def test_etcd_keeps_a_settled_leader(ac: Any) -> None:
    _m, g, v = liveness_graph(ac.cfg, LivenessOptions(), None, Limits())
    assert v.verdicts["SettledLeaderStable"] == "held"
    assert v.details["SettledLeaderStable"]["settled_states"] > 0


def test_pre_vote_without_check_quorum_deposes_a_settled_leader_in_the_bridge() -> None:
    """CockroachDB #92088: with pre-vote alone the voter cut off from the leader wins the
    middle node's pre-vote and deposes a leader whose cluster had settled."""
    rules = VARIANTS_BY_NAME["prevote-without-check-quorum"].rules
    v = _verdicts(BRIDGE.cfg, rules)
    assert v["SettledLeaderStable"] == "violated" and v["LeaderStable"] == "violated"


def test_a_vote_lease_hole_deposes_only_through_an_unsettled_race() -> None:
    """lease-ignores-vote lets a higher-term MsgVote through the lease: in the bridge that
    needs a pre-vote granted before the leader settled, so only LeaderStable breaks."""
    v = _verdicts(BRIDGE.cfg, VARIANTS_BY_NAME["lease-ignores-vote"].rules)
    assert v["LeaderStable"] == "violated" and v["SettledLeaderStable"] == "held"


def test_cli_lists_it_and_prints_its_lasso_in_json() -> None:
    res = CliRunner().invoke(main, [
        "explore", "--liveness", "--json", "--nodes", "3", "--partition", "1-3",
        "--max-term", "2", "--max-msgs", "2"])
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert out["invariants"]["SettledLeaderStable"] == "violated"
    assert out["invariants"]["LeaderStable"] == "violated"
    lasso = next(x for x in out["violations"] if x.get("invariant") == "SettledLeaderStable")
    assert lasso["kind"] == "liveness" and lasso["cycle"] == []
    assert set(lasso["marks"]) == {"settled", "deposed"}
    assert out["liveness"]["properties"]["SettledLeaderStable"]["settled_states"] > 0
    text = CliRunner().invoke(main, [
        "explore", "--liveness", "--nodes", "3", "--partition", "1-3", "--max-term", "2",
        "--max-msgs", "2"]).stdout
    assert "Liveness property SettledLeaderStable violated" in text
    assert "<<< a settled leader: followed by every voter it reaches" in text


@pytest.mark.slow
def test_the_chain_with_both_flags_keeps_a_settled_leader_at_small_bounds() -> None:
    """The README's chain cell at spread 2: LeaderStable falls to the race at the election,
    SettledLeaderStable holds (Howard & Abraham's claim); without the lease it falls."""
    v = _verdicts(_chain())
    assert v["LeaderStable"] == "violated" and v["SettledLeaderStable"] == "held"
    v = _verdicts(_chain(), VARIANTS_BY_NAME["lease-never"].rules)
    assert v["SettledLeaderStable"] == "violated"
