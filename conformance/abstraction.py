"""The one place where impl/ and model/ meet: an impl cluster and its abstraction.

`ImplCluster` holds the implementation's side of a run: one node per node id (an `impl.RawNode`,
or with `conformance.nodes.EtcdBackend` a real etcd node with the same API), the
in-flight impl `Message`s (a multiset, kept as a list) and the fault budgets, which are harness
bookkeeping and not node state. `abstract(cluster, model)` is the abstraction function: it maps
that cluster to a model state (`ClusterModel.encode(nodes, messages, budgets)`).

Mapping (specs/SEMANTICS.md, "Node state" and "Messages"):

- `elapsed`: `min(election_elapsed, ET)` on a non-leader (the model saturates at ET); a
  leader's `election_elapsed` as it is (it wraps at ET in both).
- `granted` / `rejected`: bitmasks of `status().votes` (id -> granted).
- `active`: `status().recent_active` minus the leader itself, on a leader with check_quorum
  only (empty otherwise).
- messages: the type by name, `frm`, `to`, `term`, `log_term`, `index`, `reject`,
  `force = (context == b"CampaignTransfer")`, `entries` = the tuple of the entries' terms
  (a conf entry: `model.confchange.conf_entry(term, change)`), `commit`.
- membership changes (`conformance.confmap`): `commit`, `applied`, `conf`,
  `pending_conf_index`, `match`. With `--conf-changes 0` impl runs without commit tracking
  and these are the model's constants.

Timing. The model's `timeout(i)` may fire at any time once `elapsed >= ET`, while the impl fires
when `election_elapsed` reaches a randomized timeout. The harness pins
`raft.randomized_election_timeout` before every tick: above any reachable value for a model
`tick` (so the impl never fires on its own), and to `election_elapsed + 1` for a model
`timeout` (etcd's tickElection then sets `electionElapsed = 0` and steps `MsgHup`). Leaders
beat only through `RawNode.beat()`: `heartbeat_tick` is set huge.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conformance.confmap import (
    conf_of_ids,
    conf_of_raft,
    impl_change,
    impl_entry,
    match_of,
    model_entry,
)
from impl import Config, Message, MessageType, RawNode, StateType
from impl.raftpb import ConfState
from model.cluster import ClusterModel, State
from model.config import ClusterConfig, ConfigError
from model.messages import MSG_BY_NAME, MSG_NAMES
from model.messages import Message as ModelMessage
from model.node_state import LEADER, ROLE_BY_NAME, Node

CAMPAIGN_TRANSFER = b"CampaignTransfer"
NEVER = 1 << 62  # a randomized election timeout that no run reaches
HEARTBEAT_OFF = 1 << 30  # heartbeat_tick: leaders beat only when told to (RawNode.beat)

Action = tuple[Any, ...]


class AbstractionError(Exception):
    """An impl value with no model counterpart (e.g. an unmodelled message type)."""


def _rand_zero(n: int) -> int:
    return 0


def impl_config(cfg: ClusterConfig, nid: int) -> Config:
    """Node `nid`'s start-up configuration, after the model's initial state.

    With promoted learners every voter lists the learners as voters, while each learner keeps
    the original configuration (it still believes it is a learner).
    """
    if cfg.start_leader or cfg.crashed:
        # The implementation cluster starts from config only; the model's start election and
        # its crashed nodes have no counterpart there (refused rather than ignored).
        raise ConfigError("conformance and implementation runs do not support --start-leader "
                          "or --crashed (model exploration only)")
    voters = list(range(1, cfg.voters + 1))
    learners = list(range(cfg.voters + 1, cfg.voters + cfg.learners + 1))
    conf_changes = getattr(cfg, "conf_changes", 0) > 0
    join = None
    if nid > cfg.voters + cfg.learners:
        # A spare: outside every configuration until a change adds it; on its first apply
        # it adopts the bootstrap configuration (etcd would send it a snapshot).
        join = ConfState(voters=tuple(voters), learners=tuple(learners))
        voters, learners = [], []
    elif cfg.promoted_learners and nid <= cfg.voters:
        voters, learners = voters + learners, []
    terms = dict(cfg.init_terms)
    logs = dict(cfg.init_logs)
    return Config(
        id=nid,
        voters=voters,
        learners=learners,
        election_tick=cfg.election_timeout,
        heartbeat_tick=HEARTBEAT_OFF,
        pre_vote=cfg.pre_vote,
        check_quorum=cfg.check_quorum,
        rules=cfg.rules,
        rand=_rand_zero,
        term=terms.get(nid, 0),
        vote=0,
        log_terms=tuple(logs.get(nid, ())),
        pending_conf=nid in cfg.pending_conf,
        track_commit=conf_changes,
        join=join,
    )


# -- messages -----------------------------------------------------------------------------------

_TYPE_TO_MODEL: dict[MessageType, int] = {
    t: MSG_BY_NAME[t.name] for t in MessageType if t.name in MSG_BY_NAME
}
_MODEL_TO_TYPE: dict[int, MessageType] = {v: k for k, v in _TYPE_TO_MODEL.items()}
_msg_cache: dict[Message, ModelMessage] = {}
_ROLE_OF: dict[StateType, int] = {t: ROLE_BY_NAME[t.role] for t in StateType}


def abstract_message(m: Message) -> ModelMessage:
    """impl Message -> model message tuple."""
    got = _msg_cache.get(m)
    if got is not None:
        return got
    mtype = _TYPE_TO_MODEL.get(m.type)
    if mtype is None:
        raise AbstractionError(f"unmodelled message type {m.type.name} ({m.frm}->{m.to})")
    out: ModelMessage = (
        mtype,
        m.frm,
        m.to,
        m.term,
        m.log_term,
        m.index,
        bool(m.reject),
        m.context == CAMPAIGN_TRANSFER,
        tuple([model_entry(e) for e in m.entries]),
        m.commit,
    )
    if len(_msg_cache) > 200_000:
        _msg_cache.clear()
    _msg_cache[m] = out
    return out


def concrete_message(mm: ModelMessage) -> Message:
    """model message -> an impl Message whose abstraction is `mm` (for replays and the
    exhaustive mode; reject_hint and entry data are 0/empty, as in every run)."""
    mtype, frm, to, term, log_term, index, reject, force, entries, commit = mm
    return Message(
        type=_MODEL_TO_TYPE[mtype],
        to=to,
        frm=frm,
        term=term,
        log_term=log_term,
        index=index,
        entries=tuple(impl_entry(e, k + 1) for k, e in enumerate(entries)),
        commit=commit,
        reject=reject,
        context=CAMPAIGN_TRANSFER if force else b"",
    )


# -- nodes --------------------------------------------------------------------------------------


def abstract_node(rn: RawNode, et: int, check_quorum: bool) -> Node:
    """One RawNode -> the model's node tuple.

    Reads the fields `RawNode.status()` reports (term, vote, lead, role, election_elapsed,
    votes, recent_active, log terms) straight from `rn.raft`, without the copies `status()`
    makes (this runs on every node after every lockstep step).
    """
    r = rn.raft
    role = _ROLE_OF[r.state]
    if role == LEADER:
        elapsed = r.election_elapsed
    else:
        elapsed = min(r.election_elapsed, et)
    granted = rejected = 0
    for vid, v in r.prs.votes.items():
        if v:
            granted |= 1 << vid
        else:
            rejected |= 1 << vid
    active = 0
    if check_quorum and role == LEADER:
        me = r.id
        for vid, pr in r.prs.progress.items():
            if pr.recent_active and vid != me:
                active |= 1 << vid
    log = tuple([model_entry(e) for e in r.raft_log.entries])
    conf = conf_of_raft(r)
    if not r.track_commit:
        return (r.term, r.vote, r.lead, role, elapsed, log, granted, rejected, active,
                0, 0, conf, 0, ())
    match: tuple[int, ...] = ()
    if role == LEADER:
        n = getattr(rn, "cluster_size", 0)
        match = match_of({i: pr.match for i, pr in r.prs.progress.items()}, n)
    return (r.term, r.vote, r.lead, role, elapsed, log, granted, rejected, active,
            r.raft_log.committed, r.raft_log.applied, conf, r.pending_conf_index, match)


def abstract_node_via_status(rn: Any, et: int, check_quorum: bool) -> Node:
    """The same abstraction through the public `RawNode.status()` (tests compare the two; the
    etcd backend uses it, since etcd's internals are only reachable through `status()`)."""
    s = rn.status()
    role = ROLE_BY_NAME[s.role]
    elapsed = s.election_elapsed if role == LEADER else min(s.election_elapsed, et)
    granted = sum(1 << i for i, v in s.votes.items() if v)
    rejected = sum(1 << i for i, v in s.votes.items() if not v)
    active = 0
    if check_quorum and role == LEADER:
        active = sum(1 << i for i in s.recent_active if i != rn.raft.id)
    conf = _status_conf(rn, s)
    if not getattr(getattr(rn, "raft", None), "track_commit", False):
        return (s.term, s.vote, s.lead, role, elapsed, tuple(s.log_terms), granted, rejected,
                active, 0, 0, conf, 0, ())
    log = tuple(model_entry(e) for e in s.log_entries)
    match = match_of(s.match, getattr(rn, "cluster_size", 0)) if role == LEADER else ()
    return (s.term, s.vote, s.lead, role, elapsed, log, granted, rejected, active,
            s.commit, s.applied, conf, s.pending_conf_index, match)


def _status_conf(rn: Any, s: Any) -> tuple[int, int, int, int, int]:
    """The applied configuration from `status().config`; a node whose status predates
    membership changes (a plug-in) has its start-up configuration (`rn.config`)."""
    c = getattr(s, "config", None)
    start = getattr(rn, "config", None)
    tracking = getattr(getattr(rn, "raft", None), "track_commit", False)
    if not tracking and start is not None:
        # Without membership changes the configuration is the start-up one; a plug-in's
        # status may not report it at all (an empty default).
        c = None
    if c is not None:
        return conf_of_ids(c.voters_in, c.voters_out, c.learners, c.learners_next, c.auto_leave)
    return conf_of_ids(getattr(start, "voters", ()), (), getattr(start, "learners", ()), (),
                       False)


# -- the cluster --------------------------------------------------------------------------------


class ImplCluster:
    """Nodes 1..N, the in-flight impl messages and the fault budgets of one run.

    `backend` (conformance.nodes) builds and drives the nodes: impl's `RawNode` by default,
    or etcd's real raft library (`EtcdBackend`); the abstraction is the same.
    """

    def __init__(self, cfg: ClusterConfig, backend: Any = None) -> None:
        if backend is None:
            from conformance.nodes import PYTHON

            backend = PYTHON
        self.backend = backend
        self.cfg = cfg
        self.et = cfg.election_timeout
        self.nodes: list[Any] = backend.new_cluster(cfg)
        self.inflight: list[Message] = []
        # The abstraction of `inflight`, kept in step with it (messages are immutable).
        self.inflight_abs: list[ModelMessage] = []
        # duplicate, restart, transfer, append[, conf] (the model's order)
        self.budgets: list[int] = [cfg.duplicates, cfg.restarts, cfg.transfers, cfg.appends]
        if getattr(cfg, "conf_changes", 0) > 0:
            self.budgets.append(cfg.conf_changes)

    def node(self, nid: int) -> Any:
        return self.nodes[nid - 1]

    def close(self) -> None:
        """Release the nodes (etcd: destroyed with the backend's next request)."""
        for rn in self.nodes:
            self.backend.discard(rn)
        self.nodes = []

    # -- actions, named like the model's; each returns the messages the action sent ----------

    def _act(self, nid: int, *local: Any) -> list[Message]:
        sent = self.backend.act(self.node(nid), local)
        abs_sent = [abstract_message(m) for m in sent]  # may raise: then nothing is added
        self.inflight.extend(sent)
        self.inflight_abs.extend(abs_sent)
        return sent

    def _remove(self, m: Message) -> None:
        for k, x in enumerate(self.inflight):
            if x is m:
                del self.inflight[k]
                del self.inflight_abs[k]
                return
        raise AbstractionError("message not in flight on the impl side")

    def tick(self, nid: int) -> list[Message]:
        return self._act(nid, "tick")

    def timeout(self, nid: int) -> list[Message]:
        return self._act(nid, "timeout")

    def heartbeat(self, nid: int) -> list[Message]:
        return self._act(nid, "heartbeat")

    def find(self, mm: ModelMessage) -> Message:
        """The in-flight impl message whose abstraction is `mm`."""
        try:
            return self.inflight[self.inflight_abs.index(mm)]
        except ValueError:
            raise AbstractionError("message not in flight on the impl side") from None

    def deliver(self, m: Message) -> list[Message]:
        self._remove(m)
        return self._act(m.to, "step", m)

    def drop(self, m: Message) -> list[Message]:
        self._remove(m)
        return []

    def duplicate(self, m: Message) -> list[Message]:
        self.budgets[0] -= 1
        return self._act(m.to, "step", m)

    def restart(self, nid: int) -> list[Message]:
        self.budgets[1] -= 1
        return self._act(nid, "restart")

    def transfer(self, nid: int, to: int) -> list[Message]:
        self.budgets[2] -= 1
        return self._act(nid, "transfer", to)

    def append(self, nid: int) -> list[Message]:
        self.budgets[3] -= 1
        return self._act(nid, "append")

    def propose_conf(self, nid: int, cc: Any) -> list[Message]:
        """`cc` in model form (model.confchange.ConfChange). Leaving a joint configuration is
        not budgeted (as in the model): the budget counts the changes made."""
        if cc[2]:
            self.budgets[-1] -= 1
        return self._act(nid, "propose-conf", impl_change(cc))

    def apply_committed(self, nid: int) -> list[Message]:
        return self._act(nid, "apply")

    def apply(self, action: Action) -> list[Message]:
        """Apply a model action (messages given in model form) to the impl cluster."""
        kind = action[0]
        if kind == "propose-conf":
            return self.propose_conf(action[1], action[2])
        if kind == "apply":
            return self.apply_committed(action[1])
        if kind in ("deliver", "drop", "duplicate"):
            m = self.find(action[1])
            return getattr(self, kind)(m)  # type: ignore[no-any-return]
        if kind == "transfer":
            return self.transfer(action[1], action[2])
        if kind in ("tick", "timeout", "heartbeat", "restart", "append"):
            return getattr(self, kind)(action[1])  # type: ignore[no-any-return]
        raise AbstractionError(f"unknown action {kind!r}")


def abstract_nodes(cluster: ImplCluster) -> list[Node]:
    cq = cluster.cfg.check_quorum
    et = cluster.et
    ab = cluster.backend.abstract
    return [ab(rn, et, cq) for rn in cluster.nodes]


def abstract_messages(msgs: Sequence[Message]) -> list[ModelMessage]:
    return [abstract_message(m) for m in msgs]


def abstract(cluster: ImplCluster, model: ClusterModel, history: Any = ((), (), ())) -> State:
    """THE abstraction function: impl cluster -> model state.

    The model's history variables (elected, vote ledger) have no impl counterpart; pass the
    model's own history to get a state that compares equal with `==`.
    """
    return model.encode(
        abstract_nodes(cluster),
        cluster.inflight_abs,
        tuple(cluster.budgets),
        history,
    )


def message_name(mm: ModelMessage) -> str:
    return MSG_NAMES[mm[0]]
