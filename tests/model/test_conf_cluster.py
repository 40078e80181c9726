"""Membership changes in the cluster model: the static model is unchanged, and the split brain
of etcd 3.4.23's pending-conf guard (a ConfChangeV2 is not counted, etcd-io/etcd #12133)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner

from model.cluster import ClusterModel, State
from model.config import ClusterConfig
from model.messages import MSG_NAMES
from model.node_state import CONF, LEADER, ROLE, TERM
from model.variants import VARIANTS_BY_NAME
from raftcheck.cli import main

# States and transitions of main (commit 4f3e4fc) before membership changes, `--bounds quick`:
# with --conf-changes 0 the new node fields stay constant, so the counts must not move.
MAIN_COUNTS = [
    (["--learners", "1"], 28476, 154590),
    (["--appends", "1"], 58845, 210220),
    (["--transfers", "1"], 57172, 228613),
    (["--learners", "1", "--promoted-learners", "--rules", "seed"], 8532, 43126),
    (["--faults", "drop,restart", "--partition", "1|2,3"], 59952, 304620),
]


@pytest.mark.parametrize(("args", "states", "transitions"), MAIN_COUNTS)
def test_without_conf_changes_the_counts_are_mains(
    args: list[str], states: int, transitions: int
) -> None:
    res = CliRunner().invoke(main, ["explore", "--bounds", "quick", *args, "--json"])
    out = json.loads(res.stdout)
    assert (out["distinct_states"], out["transitions"], out["complete"]) == (
        states, transitions, True)


class Driver:
    """Drives a model along named actions (each must be enabled)."""

    def __init__(self, model: ClusterModel) -> None:
        self.m = model
        self.st: State = model.init_states()[0]

    def _do(self, pred: Callable[[tuple[object, ...]], bool], what: str) -> None:
        for a, nxt in self.m.successors(self.st):
            if pred(a):
                self.st = nxt
                return
        raise AssertionError(f"not enabled: {what}")

    def act(self, *a: object) -> None:
        self._do(lambda x: x[: len(a)] == a, str(a))

    def deliver(self, mtype: str, frm: int, to: int, index: int | None = None) -> None:
        def pred(a: tuple[object, ...]) -> bool:
            m = a[1]
            return (a[0] == "deliver" and MSG_NAMES[m[0]] == mtype  # type: ignore[index]
                    and m[1] == frm and m[2] == to  # type: ignore[index]
                    and (index is None or m[5] == index))  # type: ignore[index]

        self._do(pred, f"{mtype} {frm}->{to}")

    def enabled(self, *a: object) -> bool:
        return any(x[: len(a)] == a for x, _ in self.m.successors(self.st))


def _joint_split(rules: str, variant: str | None = None) -> Driver:
    """Leader 1 of {1,2,3} (learner 4) enters joint {1,2,4}&&{1,2,3} and leaves it; nodes 2 and
    4 apply both entries, node 3 only holds the joint entry as committed (and the leave entry
    uncommitted in its view): then 3 and 4 time out in term 2."""
    cfg = ClusterConfig(voters=3, learners=1, start_leader=1, drop=False, max_term=2,
                        max_msgs=20, conf_changes=1, conf_kinds=("joint",),
                        conf_specs=("joint:promote:4+remove:3",), rules=rules)
    changed = None if variant is None else VARIANTS_BY_NAME[variant].rules
    d = Driver(ClusterModel(cfg, changed))
    d.act("propose-conf", 1)
    for j in (2, 3, 4):
        d.deliver("MsgApp", 1, j)
    for j in (2, 3, 4):
        d.deliver("MsgAppResp", j, 1)  # the joint entry commits: commit 2 broadcast
    for j in (2, 3, 4):
        d.deliver("MsgApp", 1, j)
    d.act("apply", 1)  # joint config, auto-leave entry appended (not broadcast)
    d.act("heartbeat", 1)
    for j in (2, 3, 4):
        d.deliver("MsgHeartbeat", 1, j)
    for j in (2, 3, 4):
        d.deliver("MsgHeartbeatResp", j, 1)  # behind: the leader sends the log
    for j in (2, 3, 4):
        d.deliver("MsgApp", 1, j)
    d.deliver("MsgAppResp", 2, 1, 3)  # the leave entry commits ({1,2} in both halves)
    d.deliver("MsgApp", 1, 2)
    d.deliver("MsgApp", 1, 4)
    d.act("apply", 2)
    d.act("apply", 4)
    d.act("tick", 3)
    d.act("tick", 4)
    return d


@pytest.mark.parametrize(("rules", "variant"), [
    ("etcd-3.4", None), ("etcd-3.5", "conf-pending-ignores-v2"),
    ("etcd-3.5", "no-unapplied-conf-guard")])
def test_etcd34_v2_joint_entry_not_counted_gives_two_leaders(
    rules: str, variant: str | None
) -> None:
    d = _joint_split(rules, variant)
    nodes = d.m.nodes(d.st)
    assert nodes[2][CONF] == (0b1110, 0, 0b10000, 0, 0)  # node 3 still in {1,2,3}
    assert nodes[3][CONF] == (0b10110, 0, 0, 0, 0)  # node 4 in {1,2,4}
    d.act("timeout", 3)  # campaigns: the committed joint entry is V2, not counted
    d.act("timeout", 4)
    assert d.m.violations(d.st) == ("QuorumOverlap",)
    d.deliver("MsgVote", 3, 1)
    d.deliver("MsgVoteResp", 1, 3)  # {1,3}: a majority of {1,2,3}
    d.deliver("MsgVote", 4, 2)
    d.deliver("MsgVoteResp", 2, 4)  # {2,4}: a majority of {1,2,4}
    leaders = [(i + 1, nd[TERM]) for i, nd in enumerate(d.m.nodes(d.st)) if nd[ROLE] == LEADER]
    assert leaders == [(3, 2), (4, 2)]
    assert d.m.violations(d.st) == ("OneLeaderPerTerm", "QuorumOverlap")


def test_etcd35_guard_keeps_the_stale_node_from_campaigning() -> None:
    d = _joint_split("etcd-3.5")
    before = d.m.nodes(d.st)[2]
    d.act("timeout", 3)  # fires, but only resets the timer
    assert d.m.nodes(d.st)[2][ROLE] == before[ROLE] and not d.m.violations(d.st)
    d.act("apply", 3)  # applied: node 3 is an outgoing voter of the joint config
    assert d.m.nodes(d.st)[2][CONF] == (0b10110, 0b1110, 0, 0, 1)
    d.act("tick", 3)
    d.act("timeout", 3)  # it campaigns in the joint config: quorums meet {1,2,4}'s
    d.act("timeout", 4)
    assert not d.m.violations(d.st)


def test_promoted_learner_applies_and_wins() -> None:
    """promote:4 committed and applied: the former learner campaigns in {1,2,3,4} and wins."""
    cfg = ClusterConfig(voters=3, learners=1, start_leader=1, drop=False, max_term=2,
                        max_msgs=12, conf_changes=1, conf_specs=("promote:4",),
                        conf_entry=("v1",))
    d = Driver(ClusterModel(cfg))
    d.act("propose-conf", 1)
    for j in (2, 3, 4):
        d.deliver("MsgApp", 1, j)
    d.deliver("MsgAppResp", 2, 1)
    d.deliver("MsgApp", 1, 4)  # commit 2 reaches node 4
    d.act("apply", 4)
    d.act("tick", 4)
    d.act("timeout", 4)
    for j in (1, 2):
        d.deliver("MsgVote", 4, j)
        d.deliver("MsgVoteResp", j, 4)
    nd = d.m.nodes(d.st)[3]
    assert nd[ROLE] == LEADER and nd[TERM] == 2 and not d.m.violations(d.st)


def test_learner_cannot_campaign_before_it_applies_its_promotion() -> None:
    cfg = ClusterConfig(voters=3, learners=1, start_leader=1, drop=False, max_term=2,
                        max_msgs=12, conf_changes=1, conf_specs=("promote:4",),
                        conf_entry=("v1",))
    d = Driver(ClusterModel(cfg))
    d.act("propose-conf", 1)
    d.deliver("MsgApp", 1, 4)
    d.act("tick", 4)
    assert not d.enabled("timeout", 4)


# QuorumOverlap counts campaigns that can still win (model/cluster.py campaign_landing).
TWO_REMOVALS = ClusterConfig(voters=3, start_leader=1, drop=False, max_term=2, max_msgs=3,
                             conf_changes=2, conf_kinds=("remove",), rules="etcd-3.5")


def _landing(
    model: ClusterModel, keys: tuple[int, ...], *camps: tuple[int, int, object]
) -> tuple:  # type: ignore[type-arg]
    """The campaign records after campaigns (term, id, conf) land one by one, the nodes' logs
    having `keys` throughout."""
    h = model.hist_id(model.empty_history)
    for term, nid, conf in camps:
        h = model.campaign_landing(h, (("campaign", term, nid, conf),), keys)
    return model.hist_tab[h][3]  # type: ignore[no-any-return]


def test_a_campaign_that_no_quorum_can_grant_is_not_counted() -> None:
    model = ClusterModel(TWO_REMOVALS)
    old, only2 = (0b1110, 0, 0, 0, 0), (0b0100, 0, 0, 0, 0)  # voters {1,2,3}; voters {2}
    short, long_ = 1 << 20 | 2, 1 << 20 | 3  # last term 1, two or three entries
    # Node 1 (removed two changes ago, short log) campaigns in {1,2,3}; nodes 2 and 3 hold the
    # longer log, so only node 1 itself can grant it: never a quorum of {1,2,3}.
    assert _landing(model, (short, long_, long_), (2, 1, old)) == ()
    # With node 3's log as short as node 1's, {1,3} could grant it: the record stays, and a
    # campaign of node 2 in {2} in the same term breaks QuorumOverlap.
    camps = _landing(model, (short, long_, short), (2, 1, old), (2, 2, only2))
    assert [c[:2] for c in camps] == [(2, 1), (2, 2)]
    h = model.hist_id(model.empty_history[:3] + (camps,))
    assert "QuorumOverlap" in model.hist_bad[h]
    # When node 2 campaigns after node 3's log grew, node 1's record is dropped then.
    h = model.hist_id(model.empty_history)
    h = model.campaign_landing(h, (("campaign", 2, 1, old),), (short, long_, short))
    h = model.campaign_landing(h, (("campaign", 2, 2, only2),), (short, long_, long_))
    assert [c[:2] for c in model.hist_tab[h][3]] == [(2, 2)]
    assert "QuorumOverlap" not in model.hist_bad[h]


def test_two_removals_hold_under_etcd35_on_both_engines() -> None:
    from dataclasses import replace

    from explorer.bfs import explore
    from explorer.fast import explore_fast

    cfg = replace(TWO_REMOVALS, max_term=2, max_msgs=2)
    ref = explore(ClusterModel(cfg))
    fast = explore_fast(ClusterModel(cfg))
    assert ref.complete and not ref.violations and ref.action_counts.get("timeout")
    assert (ref.distinct_states, ref.transitions) == (fast.distinct_states, fast.transitions)
    assert ref.invariants == fast.invariants


@pytest.mark.slow
def test_two_removals_no_false_quorum_overlap() -> None:
    """Before campaign records kept the candidate's log, this run stopped at an 18-step
    QuorumOverlap: node 1, removed and two changes behind, campaigned in {1,2,3} although
    every node it needed held a longer log."""
    from explorer.fast import explore_fast

    res = explore_fast(ClusterModel(TWO_REMOVALS))
    assert res.complete and not res.violations
