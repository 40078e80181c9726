"""Scenario driver over the model's node-local transitions (model.node.NodeLogic).

Mapping of the language onto the model (specs/SEMANTICS.md, "Actions"):
- `tick` is the model's tick: elapsed saturates at the election timeout and never fires.
- `hup` is the `timeout` action; its guard `elapsed >= ET` is met by setting elapsed to ET
  first (the randomized timeout is any value the model's timeout covers). On a leader or a
  learner `timeout` is not enabled, and `hup` does nothing (tickElection never fires there).
- `transfer(i, j)` is the model's transfer action on a leader `i`, for any other node `j` that
  `i` counts as a voter. etcd's MsgTransferLeader changes nothing for a transfer to self, to a
  learner or to a non-member, and the driver does nothing then. (ClusterModel enables the
  action only for a promotable `j`, so it never transfers to a promoted learner; etcd's leader
  would send it a MsgTimeoutNow, which the learner ignores.)
"""

from __future__ import annotations

from conformance.scenarios.language import Cluster, Driver, Msg, NodeView, ScenarioError
from model.config import ClusterConfig
from model.messages import MSG_APP, MSG_BY_NAME, MSG_NAMES, Message, msg
from model.node import NodeLogic
from model.node_state import (
    ELAPSED,
    LEADER,
    ROLE,
    ROLE_BY_NAME,
    ROLE_NAMES,
    Node,
    ids_of,
    node,
)
from model.rules import RULE_SETS


def to_model(m: Msg) -> Message:
    t = MSG_BY_NAME[m.type]
    if t == MSG_APP and (m.index or m.log_term):
        raise ScenarioError("a MsgApp always starts at index 0 in the model")
    return msg(t, m.frm, m.to, m.term, m.log_term, m.index, m.reject, m.force, m.entries)


def from_model(m: Message) -> Msg:
    mtype, frm, to, term, log_term, index, reject, force, entries = m[:9]
    return Msg(MSG_NAMES[mtype], frm, to, term, log_term, index, reject, force, entries)


class ModelDriver(Driver):
    name = "model"

    def __init__(self, cluster: Cluster) -> None:
        super().__init__(cluster)
        c = cluster
        inits = {nid: c.init(nid) for nid in c.ids}
        self.cfg = ClusterConfig(
            voters=c.voters,
            learners=c.learners,
            promoted_learners=c.promoted_learners,
            pre_vote=c.pre_vote,
            check_quorum=c.check_quorum,
            election_timeout=c.election_timeout,
            max_term=1_000_000,
            rules=c.rules,
            init_terms=tuple((nid, i.term) for nid, i in inits.items()),
            init_logs=tuple((nid, i.log) for nid, i in inits.items()),
            pending_conf=frozenset(c.pending_conf),
        )
        self.logic = NodeLogic(self.cfg, RULE_SETS[c.rules])
        self.nodes: dict[int, Node] = {
            nid: node(term=i.term, vote=i.vote, lead=i.lead, role=ROLE_BY_NAME[i.role],
                      log=tuple(i.log))
            for nid, i in inits.items()
        }

    def _apply(self, nid: int, res: tuple[Node, tuple[Message, ...], object]) -> list[Msg]:
        new, outs, _events = res
        self.nodes[nid] = new
        return [from_model(m) for m in outs]

    def hup(self, nid: int) -> list[Msg]:
        nd = self.nodes[nid]
        if nd[ROLE] == LEADER or not self.logic.promotable(nid):
            return []
        s = list(nd)
        s[ELAPSED] = self.cfg.election_timeout
        nd = tuple(s)  # type: ignore[assignment]
        assert self.logic.can_time_out(nid, nd)
        return self._apply(nid, self.logic.timeout(nid, nd))

    def tick(self, nid: int) -> list[Msg]:
        return self._apply(nid, self.logic.tick(nid, self.nodes[nid]))

    def step(self, m: Msg) -> list[Msg]:
        return self._apply(m.to, self.logic.step(m.to, self.nodes[m.to], to_model(m)))

    def _leader(self, nid: int) -> Node:
        nd = self.nodes[nid]
        if nd[ROLE] != LEADER:
            raise ScenarioError(f"node {nid} is not a leader")
        return nd

    def transfer(self, leader: int, to: int) -> list[Msg]:
        nd = self._leader(leader)
        if to == leader or to not in self.logic.vote_targets:
            return []
        return self._apply(leader, self.logic.transfer(leader, nd, to))

    def append(self, leader: int) -> list[Msg]:
        return self._apply(leader, self.logic.append(leader, self._leader(leader)))

    def beat(self, leader: int) -> list[Msg]:
        nd = self.nodes[leader]
        if nd[ROLE] != LEADER:
            return []
        return [from_model(m) for m in self.logic.heartbeat(leader, nd)]

    def restart(self, nid: int) -> None:
        self.nodes[nid] = self.logic.restart(self.nodes[nid])

    def view(self, nid: int) -> NodeView:
        term, vote, lead, role, _elapsed, log, granted, _rejected, _active = self.nodes[nid][:9]
        return NodeView(
            role=ROLE_NAMES[role],
            term=term,
            vote=vote,
            lead=lead,
            log=tuple(log),
            granted=frozenset(ids_of(granted)),
        )

