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
