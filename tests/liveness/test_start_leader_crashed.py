"""`--start-leader ID` (the run starts from an established leader, elected by the model itself)
and `--crashed IDS` (nodes that take no step, every link of theirs cut): the start state, the
crashed nodes' absence, bad input, the configuration header and JSON, the refusal on the
implementation side, and liveness runs from the start state. Parity of both engines and both
graph builders: tests/explorer/test_engines.py, tests/liveness/test_livegraph_parity.py."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conformance.abstraction import impl_config
from model.cluster import ClusterModel
from model.config import ClusterConfig, ConfigError
from model.liveness import Liveness, LivenessOptions
from model.node_state import LEAD, LEADER, LOG, ROLE, TERM, VOTE
from model.topology import parse_partition
from raftcheck.cli import main


def test_the_start_state_is_the_models_own_election() -> None:
    for pre_vote in (False, True):
        cfg = ClusterConfig(voters=3, learners=1, max_term=2, max_msgs=3, pre_vote=pre_vote,
                            start_leader=2, cut_links=parse_partition("1-2", 4))
        model = ClusterModel(cfg)
        (st,) = model.init_states()
        nodes = model.nodes(st)
        assert nodes[1][ROLE] == LEADER and nodes[1][TERM] == 1
        # every node follows it, the cut one and the learner too: the cut came after
        for i, nd in enumerate(nodes):
            assert nd[TERM] == 1 and nd[LEAD] == 2 and nd[LOG] == (1,), i
            if i < 3:
                assert nd[VOTE] == 2
        assert model.messages(st) == []
        elected, ledger, broken = model.history(st)
        assert elected == ((1, 2),) and not broken
        assert sorted(r[1] for r in ledger) == [1, 2, 3]  # the three voters' grants
        live = ClusterModel(cfg, liveness=Liveness(LivenessOptions()))
        assert live.nodes(live.init_states()[0]) == nodes  # already a normal form


def test_a_crashed_node_takes_no_step_and_its_links_are_cut() -> None:
    cfg = ClusterConfig(voters=3, max_term=2, max_msgs=2, crashed=frozenset({3}),
                        restarts=1, transfers=1)
    assert cfg.cut_links == {(1, 3), (2, 3)}
    model = ClusterModel(cfg)
    seen = set()
    todo = model.init_states()
    while todo:
        st = todo.pop()
        if st in seen:
            continue
        seen.add(st)
        assert model.nodes(st)[2] == model.nodes(model.init_states()[0])[2]
        for action, nxt in model.successors(st):
            assert action[0] in ("deliver", "drop") or action[1] != 3, action
            assert all(m[1] != 3 and m[2] != 3 for m in model.messages(nxt))
            todo.append(nxt)
    assert len(seen) > 100  # nodes 1 and 2 did elect and lead meanwhile


def run(args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, ["explore", *args.split()])
    return res.exit_code, res.stdout, res.stderr


@pytest.mark.parametrize(("args", "says"), [
    ("--start-leader 4", "start leader 4 is not one of nodes 1..3"),
    ("--start-leader 0", "start leader 0 is not one of nodes 1..3"),
    ("--learners 1 --start-leader 4", "start leader 4 is a learner"),
    ("--crashed 2 --start-leader 2", "start leader 2 is crashed"),
    ("--start-leader 1 --term 2:1", "without --term, --log or --pending-conf"),
    ("--crashed 9", "crashed node 9 is not one of nodes 1..3"),
    ("--crashed 2,x", "--crashed: 'x' is not a node id"),
    ("--crashed 3 --lossy 1-3", "link 1-3 cannot be lossy: node 3 is crashed"),
    ("--crashed 3 --partition 1-2 --partition-faults 1", "crashed nodes stay crashed"),
    ("--liveness --crashed 2,3", "no quorum of voters is connected"),
])
def test_bad_input_is_one_line_and_exit_2(args: str, says: str) -> None:
    code, _out, err = run(args)
    assert code == 2
    assert says in err and len(err.strip().splitlines()) == 1, err


def test_the_header_and_json_show_them() -> None:
    code, out, _err = run("--liveness --nodes 3 --crashed 3 --start-leader 1 --max-term 2")
    assert code == 0
    assert "start-leader=1 crashed=3" in out.splitlines()[0]
    assert "cut=1-3,2-3" in out.splitlines()[1]
    code, out, _err = run("--liveness --json --nodes 3 --crashed 3 --start-leader 1 "
                          "--max-term 2")
    cfg = json.loads(out)["config"]
    assert (cfg["start_leader"], cfg["crashed"], cfg["cut_links"]) == (1, [3], ["1-3", "2-3"])
    code, out, _err = run("--json --nodes 3 --max-term 1")
    assert (json.loads(out)["config"]["start_leader"], json.loads(out)["config"]["crashed"]) \
        == (0, [])


def test_the_implementation_side_refuses_them() -> None:
    for cfg in (ClusterConfig(start_leader=1), ClusterConfig(crashed=frozenset({3}))):
        with pytest.raises(ConfigError, match="do not support --start-leader or --crashed"):
            impl_config(cfg, 1)


def test_from_the_start_leader_the_chain_deposes_it_at_once() -> None:
    """Howard & Abraham's 3-node chain from their starting point: leader 1, node 3 cut from it
    times out and wins node 2 over; the lasso starts at the start state."""
    code, out, _err = run("--liveness --json --nodes 3 --start-leader 1 --partition 1-3")
    assert code == 1
    res = json.loads(out)
    assert res["invariants"]["LeaderStable"] == "violated"
    lasso = next(v for v in res["violations"] if v["invariant"] == "LeaderStable")
    assert lasso["initial_state"][0].startswith("node 1: term=1, vote=1, lead=1, role=leader")
    assert [s["action"]["text"] for s in lasso["prefix"] + lasso["cycle"]] == [
        "tick node 3", "timeout node 3",
        "deliver MsgVote 3->2 term=2 last=(term 1, index 1)",
        "deliver MsgVoteResp 2->3 term=2 grant"]


def test_a_crashed_follower_leaves_a_live_cluster() -> None:
    code, out, _err = run("--liveness --json --nodes 3 --crashed 3 --start-leader 1 "
                          "--pre-vote --check-quorum --max-term 2")
    res = json.loads(out)
    assert code == 0, res["invariants"]
    assert {res["invariants"][p] for p in ("LeaderElectable", "EventuallyLeader",
                                           "LeaderStable", "NoLivelock")} == {"held"}


def test_the_room_note_counts_only_the_messages_a_cut_link_does_not_lose() -> None:
    part = "--nodes 5 --partition 1-4,3-4,4-5,1-5,2-5 --max-term 1 --max-states 10"
    assert "note" not in run(f"{part} --max-msgs 3")[2]  # nodes 2 and 3 reach 3 voters each
    assert "below the 3 messages the best-connected voter's campaign" in \
        run(f"{part} --max-msgs 2")[2]
    assert "below the 4 messages a campaign sends" in run("--nodes 5 --max-term 1 "
                                                          "--max-states 10 --max-msgs 3")[2]
    assert "note" not in run("--nodes 5 --crashed 5 --max-term 1 --max-states 10 "
                             "--max-msgs 3")[2]


def test_howard_abraham_case_2_with_pre_vote_is_not_stuck_in_etcd() -> None:
    """The paper's case 2 (5 crashed, 4 leads reaching only 2, pre-vote, no check-quorum):
    etcd's node 2 grants node 1's pre-vote while following leader 4 (no leader-contact check
    without check-quorum, etcd-io/raft PR #70), node 1 leads term 2, and leader 4's next
    heartbeat is answered at term 2 and deposes it. A schedule of the model's own steps."""
    cfg = ClusterConfig(voters=5, max_term=3, max_msgs=5, pre_vote=True, drop=False,
                        start_leader=4, crashed=frozenset({5}),
                        cut_links=parse_partition("1-4,3-4", 5))
    model = ClusterModel(cfg)
    st = model.init_states()[0]

    def take(want: object) -> None:
        nonlocal st
        st = next(nxt for a, nxt in model.successors(st) if want in (a, a[0]))

    def settle() -> None:
        while model.messages(st):
            take("deliver")

    take(("tick", 1))
    take(("timeout", 1))
    settle()
    nodes = model.nodes(st)
    assert nodes[0][ROLE] == LEADER and nodes[0][TERM] == 2
    assert nodes[3][ROLE] == LEADER and nodes[3][TERM] == 1  # the stale leader, for now
    take(("heartbeat", 4))
    settle()
    nodes = model.nodes(st)
    assert nodes[3][ROLE] != LEADER and nodes[3][TERM] == 2
    assert [nd[LEAD] for nd in nodes[:3]] == [1, 1, 1]
