"""Liveness of the cluster model: normalisation, networks, and each property failing and
holding where it should (3 voters; each run takes seconds)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from click.testing import CliRunner

from model.cluster import ClusterModel
from model.config import ClusterConfig, ConfigError
from model.liveness import Liveness, LivenessOptions, check_shift_invariance
from model.messages import MSG_HEARTBEAT, MSG_VOTE, msg
from model.node_state import node
from model.rules import ETCD_34
from model.topology import parse_links, parse_partition
from raftcheck.cli import main
from raftcheck.defaults import liveness_config

PROPS = ("LeaderElectable", "EventuallyLeader", "LeaderStable", "NoLivelock")


def live_model(cfg: ClusterConfig, rules: Any = None) -> ClusterModel:
    return ClusterModel(cfg, rules, liveness=Liveness(LivenessOptions()))


def run(*args: str) -> tuple[int, dict[str, Any]]:
    res = CliRunner().invoke(main, ["explore", "--liveness", "--json", *args])
    assert res.exit_code in (0, 1, 3), res.output
    return res.exit_code, json.loads(res.stdout)


# -- normalisation ---------------------------------------------------------------------------


def test_a_state_and_its_shifted_copy_have_one_normal_form() -> None:
    m = live_model(liveness_config(3))
    low = m.encode(
        [node(term=2, log=(1, 2)), node(term=2, log=(1, 2)), node(term=3, log=(1,))],
        [msg(MSG_VOTE, 3, 1, 3, 1, 1), msg(MSG_HEARTBEAT, 1, 2, 2)],
    )
    # Every term +4, two more shared entries in front of every log, indexes +2.
    high = m.encode(
        [node(term=6, log=(1, 1, 5, 6)), node(term=6, log=(1, 1, 5, 6)),
         node(term=7, log=(1, 1, 5))],
        [msg(MSG_VOTE, 3, 1, 7, 5, 3), msg(MSG_HEARTBEAT, 1, 2, 6)],
    )
    a, b = m.live.rebase(low), m.live.rebase(high)  # type: ignore[union-attr]
    assert a[0] == b[0]
    assert m.live.rebase(a[0])[0] == a[0]  # type: ignore[union-attr]
    terms = [nd[0] for nd in m.nodes(a[0])]
    assert min(terms) >= 1 and a[1] == max(terms)


def test_stale_entry_terms_are_renumbered_below_the_node_terms() -> None:
    m = live_model(liveness_config(3))
    st = m.encode([node(term=9, log=(2, 5)), node(term=9, log=(2,)), node(term=9)], [])
    norm, high, moved = m.live.rebase(st)  # type: ignore[union-attr]
    assert moved
    assert [nd[5] for nd in m.nodes(norm)] == [(1, 2), (1,), ()]
    assert high == 3


def test_a_term_zero_blocks_the_shift() -> None:
    m = live_model(liveness_config(3))
    st = m.encode([node(term=0), node(term=4), node(term=4)], [])
    assert m.live.rebase(st)[0] == st  # type: ignore[union-attr]


def test_rules_that_read_absolute_terms_are_refused() -> None:
    absolute = ETCD_34.with_rules(
        "absolute", is_up_to_date=lambda lt, li, ct, ci: ct >= 2 or ci >= li
    )
    with pytest.raises(ConfigError, match="is_up_to_date"):
        check_shift_invariance(absolute)
    check_shift_invariance(ETCD_34)


# -- networks --------------------------------------------------------------------------------


def test_messages_on_cut_links_are_lost_and_lossy_links_may_drop() -> None:
    cfg = replace(liveness_config(3), cut_links=parse_links("1-3", 3, "x"),
                  lossy_links=parse_links("1-2", 3, "x"))
    m = ClusterModel(cfg)
    st = m.init_states()[0]
    st = next(n for a, n in m.successors(st) if a == ("tick", 1))
    after = next(n for a, n in m.successors(st) if a == ("timeout", 1))
    sent = m.messages(after)
    assert [(x[1], x[2]) for x in sent] == [(1, 2)]  # the request to 3 is lost
    kinds = {a[0] for a, _ in m.successors(after)}
    assert "drop" in kinds  # the lossy link may drop it, although drops are off
    assert not cfg.drop


def test_split_loses_the_messages_on_the_cut_links() -> None:
    cfg = replace(liveness_config(3), cut_links=parse_partition("3|1,2", 3),
                  partition_faults=1, partition_later=True)
    m = ClusterModel(cfg)
    st = m.encode([node(), node(), node()],
                  [msg(MSG_HEARTBEAT, 1, 3, 0), msg(MSG_HEARTBEAT, 1, 2, 0)])
    split = next(n for a, n in m.successors(st) if a == ("split",))
    assert [(x[1], x[2]) for x in m.messages(split)] == [(1, 2)]
    assert m.cut_mask(split) and not m.cut_mask(st)
    assert not any(a == ("split",) or a == ("heal",) for a, _ in m.successors(split))


# -- properties: each fails where it should and holds where it should -----------------------


def test_etcd_rules_are_live_on_a_healthy_three_voter_cluster() -> None:
    code, out = run()
    assert code == 0
    assert all(out["invariants"][p] == "held" for p in PROPS)
    assert out["liveness"]["complete"]


def test_without_random_timers_a_stale_node_can_livelock() -> None:
    code, out = run("--assume", "heartbeats,solo-campaigns")
    assert code == 1
    assert out["invariants"]["EventuallyLeader"] == "violated"
    lasso = next(v for v in out["violations"] if v["invariant"] == "EventuallyLeader")
    assert lasso["kind"] == "liveness" and lasso["prefix"] and lasso["cycle"]
    assert lasso["cycle_term_shift"] >= 1  # each turn of the cycle is a new, failed election
    assert {"timeout"} <= {s["action"]["kind"] for s in lasso["cycle"]}


def test_without_timing_assumptions_leaders_are_deposed_forever() -> None:
    code, out = run("--assume", "none")
    assert code == 1
    for p in ("LeaderStable", "EventuallyLeader", "NoLivelock"):
        assert out["invariants"][p] == "violated"
    stable = next(v for v in out["violations"] if v["invariant"] == "LeaderStable")
    assert stable["marks"]["stable"] < stable["marks"]["deposed"] == stable["length"]


def test_a_cluster_whose_nodes_cannot_campaign_is_stuck() -> None:
    code, out = run("--pending-conf", "1", "--pending-conf", "2", "--pending-conf", "3")
    assert code == 1
    assert out["invariants"]["LeaderElectable"] == "violated"
    assert "LeaderStable is vacuous" in " ".join(out["warnings"])
    lasso = next(v for v in out["violations"] if v["invariant"] == "LeaderElectable")
    assert lasso["marks"]["stuck"] == 0


def test_learners_that_never_vote_leave_the_cluster_without_a_leader() -> None:
    args = ["--nodes", "2", "--learners", "1", "--promoted-learners", "--partition", "2|1,3"]
    code, out = run(*args)
    assert code == 0, out["invariants"]
    code, out = run(*args, "--variant", "learners-silent")
    assert code == 1
    assert out["invariants"]["EventuallyLeader"] == "violated"


def test_a_rule_change_can_break_leader_stability() -> None:
    code, out = run("--pre-vote", "--variant", "reject-request-term")
    assert code == 1
    assert out["invariants"]["LeaderStable"] == "violated"


def test_a_limit_leaves_every_liveness_verdict_unknown() -> None:
    code, out = run("--max-states", "50")
    assert code == 3
    assert all(out["invariants"][p] == "unknown" for p in PROPS)


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--liveness", "--partition", "1,2|4"], "unknown node 4"),
        (["--liveness", "--partition", "1,2|2,3"], "two groups"),
        (["--liveness", "--partition", "1|"], "empty group"),
        (["--liveness", "--partition", "1|2|3"], "no quorum"),
        (["--liveness", "--lossy", "1-2,1-3,2-3"], "no quorum"),
        (["--assume", "heartbeats"], "only applies with --liveness"),
        (["--liveness", "--assume", "sometimes"], "unknown timing assumption"),
        (["--partition", "1-3", "--symmetry"], "--symmetry does not apply"),
        (["--partition-faults", "1"], "need a partition"),
        (["--partition", "1-3", "--lossy", "1-3"], "both cut and lossy"),
        (["--partition", "1-3", "--partition-later"], "needs --partition-faults"),
    ],
)
def test_bad_network_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    res = CliRunner().invoke(main, ["explore", *args])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], res.stderr
