"""Scenario driver over impl/ RawNodes.

Clock handling: impl's tick must never fire an election on its own (the language has `hup`
for that), so before every tick the node's randomized election timeout is pinned far out of
reach, and the leader's own heartbeats are switched off with a huge heartbeat_tick (a leader
beats only through `beat`, i.e. RawNode.beat()). `hup` is tickElection's firing: on a
promotable non-leader electionElapsed is set to 0, then MsgHup is stepped (RawNode.campaign).
"""

from __future__ import annotations

from typing import Any

from conformance.scenarios.language import Cluster, Driver, Msg, NodeView, ScenarioError
from impl import NONE, Config, Entry, Message, MessageType, RawNode, StateType
from impl.raft import CAMPAIGN_TRANSFER_CONTEXT, step_candidate, step_follower, step_leader

NEVER = 10**9

_STATES = {
    "follower": (StateType.StateFollower, step_follower),
    "pre-candidate": (StateType.StatePreCandidate, step_candidate),
    "candidate": (StateType.StateCandidate, step_candidate),
    "leader": (StateType.StateLeader, step_leader),
}

_VOTE_REQS = (MessageType.MsgVote, MessageType.MsgPreVote)
_VOTE_RESPS = (MessageType.MsgVoteResp, MessageType.MsgPreVoteResp)


def to_impl(m: Msg) -> Message:
    t = MessageType[m.type]
    if t in _VOTE_REQS:
        ctx = CAMPAIGN_TRANSFER_CONTEXT if m.force else b""
        return Message(type=t, frm=m.frm, to=m.to, term=m.term, log_term=m.log_term,
                       index=m.index, context=ctx)
    if t == MessageType.MsgApp:
        ents = tuple(Entry(term=x, index=i + 1) for i, x in enumerate(m.entries))
        return Message(type=t, frm=m.frm, to=m.to, term=m.term, index=0, log_term=0,
                       entries=ents)
    return Message(type=t, frm=m.frm, to=m.to, term=m.term, index=m.index, reject=m.reject)


def from_impl(m: Message) -> Msg:
    t = m.type
    name = t.name
    if t in _VOTE_REQS:
        return Msg(name, m.frm, m.to, m.term, log_term=m.log_term, index=m.index,
                   force=m.context == CAMPAIGN_TRANSFER_CONTEXT)
    if t in _VOTE_RESPS:
        return Msg(name, m.frm, m.to, m.term, reject=m.reject)
    if t == MessageType.MsgApp:
        if m.index != 0 or m.log_term != 0:
            raise ScenarioError(f"impl sent a MsgApp that does not start at index 0: {m}")
        return Msg(name, m.frm, m.to, m.term, entries=tuple(e.term for e in m.entries))
    if t == MessageType.MsgAppResp:
        return Msg(name, m.frm, m.to, m.term, index=m.index, reject=m.reject)
    return Msg(name, m.frm, m.to, m.term)


class RawNodeDriver(Driver):
    """What every driver over RawNode-like nodes (impl's, or etcd's through the harness) shares:
    the message conversion, leader actions and the node view. Subclasses create `self.nodes`
    and define `hup` and `tick` (their clocks differ)."""

    nodes: dict[int, Any]

    def views(self, nid: int) -> tuple[list[int], list[int]]:
        """(voters, learners) as node `nid` sees them: a promoted learner counts as a voter for
        everybody but itself."""
        c = self.cluster
        all_voters = list(range(1, c.voters + 1))
        learners = list(range(c.voters + 1, c.n + 1))
        if c.promoted_learners and not c.is_learner(nid):
            return all_voters + learners, []
        return all_voters, learners

    def _out(self, nid: int) -> list[Msg]:
        return [from_impl(m) for m in self.nodes[nid].ready()]

    def step(self, m: Msg) -> list[Msg]:
        self.nodes[m.to].step(to_impl(m))
        return self._out(m.to)

    def _leader(self, nid: int) -> Any:
        n = self.nodes[nid]
        if n.status().role != "leader":
            raise ScenarioError(f"node {nid} is not a leader")
        return n

    def transfer(self, leader: int, to: int) -> list[Msg]:
        self._leader(leader).transfer_leader(to)
        return self._out(leader)

    def append(self, leader: int) -> list[Msg]:
        self._leader(leader).propose(b"x")
        return self._out(leader)

    def beat(self, leader: int) -> list[Msg]:
        self.nodes[leader].beat()
        return self._out(leader)

    def restart(self, nid: int) -> None:
        self.nodes[nid].restart()

    def view(self, nid: int) -> NodeView:
        s = self.nodes[nid].status()
        return NodeView(
            role=s.role,
            term=s.term,
            vote=s.vote,
            lead=s.lead if s.lead != NONE else 0,
            log=tuple(s.log_terms),
            granted=frozenset(i for i, v in s.votes.items() if v),
        )


class ImplDriver(RawNodeDriver):
    name = "impl"

    def __init__(self, cluster: Cluster) -> None:
        super().__init__(cluster)
        self.nodes: dict[int, RawNode] = {}
        for nid in cluster.ids:
            self.nodes[nid] = RawNode(self._config(nid))
            init = cluster.init(nid)
            r = self.nodes[nid].raft
            if init.role != "follower":
                state, stepf = _STATES[init.role]
                r.state = state
                r.step = stepf
                r.tick = r.tick_heartbeat if init.role == "leader" else r.tick_election
            r.lead = init.lead

    def _config(self, nid: int) -> Config:
        c = self.cluster
        voters, lrn = self.views(nid)
        init = c.init(nid)
        return Config(
            id=nid,
            voters=voters,
            learners=lrn,
            election_tick=c.election_timeout,
            heartbeat_tick=NEVER,
            pre_vote=c.pre_vote,
            check_quorum=c.check_quorum,
            rules=c.rules,
            rand=lambda n: 0,
            term=init.term,
            vote=init.vote,
            log_terms=init.log,
            pending_conf=nid in c.pending_conf,
        )

    def hup(self, nid: int) -> list[Msg]:
        rn = self.nodes[nid]
        r = rn.raft
        if r.state != StateType.StateLeader and r.promotable():
            r.election_elapsed = 0
        rn.campaign()
        return self._out(nid)

    def tick(self, nid: int) -> list[Msg]:
        rn = self.nodes[nid]
        rn.raft.randomized_election_timeout = NEVER
        rn.tick()
        return self._out(nid)
