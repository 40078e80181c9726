"""The cluster transition system: whole-cluster states, actions and invariants.

A state is a flat tuple of small ints, so that hashing it is cheap: the interned ids of the N
node states, the four fault budgets (duplicate, restart, transfer, append), the interned id of
the history variables, then the interned ids of the in-flight messages, sorted (a multiset).
Node-local steps are memoised on (node state id, message id), so each distinct local step is
computed once per run. specs/SEMANTICS.md describes the state and actions in prose.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Any

from explorer.protocol import Invariant
from model import confchange as cc_
from model.config import ClusterConfig
from model.messages import (
    M_FROM,
    M_TO,
    Message,
    describe,
)
from model.node import Event, NodeLogic, StepResult
from model.node_state import (
    APPLIED,
    COMMIT,
    CONF,
    FIELD_NAMES,
    LEADER,
    LOG,
    ROLE,
    TERM,
    Node,
    describe_field,
    node,
)
from model.rules import RuleSet
from model.topology import (
    describe_links,
    link_bit,
    links_mask,
    mask_links,
)

State = tuple[int, ...]
Action = tuple[Any, ...]
# History: (elected (term, id) pairs, vote ledger records, names of broken transition invariants),
# and with membership changes a fourth part: campaign records (term, id, conf) (QuorumOverlap).
History = tuple[Any, ...]

INVARIANTS: tuple[Invariant, ...] = (
    Invariant("OneLeaderPerTerm", "no two nodes become leader in the same term"),
    Invariant("VoteOnce", "a node votes for at most one candidate per term"),
    Invariant("TermMonotonic", "no node's term ever decreases"),
    Invariant(
        "PreVoteNoDisruption", "handling a MsgPreVote never changes the receiver's term or vote"
    ),
    Invariant(
        "LeaderHasQuorum",
        "a leader of term t was granted votes in term t by a majority of the voters "
        "(with membership changes: of each non-empty half of its applied configuration)",
    ),
    Invariant(
        "LeaderUpToDate",
        "a new leader's log is at least as up-to-date as each counted voter's log at its grant",
    ),
)

CONF_INVARIANTS: tuple[Invariant, ...] = (
    Invariant(
        "ConfOneAtATime",
        "a leader never appends a conf entry while its log holds one above its applied index",
    ),
    Invariant(
        "QuorumOverlap",
        "any two campaigns for the same term used configurations whose quorums intersect",
    ),
    Invariant(
        "ConfChangeApplies",
        "every committed conf entry is one the applying node's changer accepts "
        "(etcd panics otherwise)",
    ),
)

BUDGET_DUP, BUDGET_RESTART, BUDGET_TRANSFER, BUDGET_APPEND = range(4)
# With a network (cut or lossy links, or cut/heal faults) the budgets also hold the cut/heal
# budget left and the mask of cut links (model/topology.py).
NET_BUDGET, NET_CUT = 4, 5
_NOOP: Any = object()  # a cached local step that changes nothing and sends nothing
_MSG_SHIFT = 22  # message ids live in the low bits of the delivery cache key


class ClusterModel:
    """The explorer's `Model` for one cluster configuration and one rule set."""

    def __init__(
        self, cfg: ClusterConfig, rules: RuleSet | None = None, *, liveness: Any = None
    ) -> None:
        cfg.validate()
        self.cfg = cfg
        self.rules = rules if rules is not None else cfg.rule_set()
        self.logic = NodeLogic(cfg, self.rules)
        self.n = cfg.n
        self.net = cfg.has_network
        # With membership changes the budgets end with the conf-change budget word.
        self.conf_on = cfg.conf_changes > 0
        self.hist_pos = self.n + (6 if self.net else 4) + (1 if self.conf_on else 0)
        self.budget_conf = self.hist_pos - self.n - 1 if self.conf_on else -1
        self.empty_history: History = ((), (), (), ()) if self.conf_on else ((), (), ())
        self.conf_specs = cfg.conf_changes_list() if self.conf_on else ()
        self._conf_local: dict[int, tuple[Any, Any]] = {}
        self.lossy = links_mask(cfg.lossy_links)
        self.partition = links_mask(cfg.cut_links)
        self.msg_link: list[int] = []
        # Liveness mode (model/liveness.py): states are term- and index-normalised and
        # successors carry labels; None for plain safety exploration.
        self.live = liveness
        self.term_cap = 1 << 30 if liveness is not None else cfg.max_term
        self.majority = self.logic.voter_mask.bit_count() // 2 + 1
        self.node_tab: list[Node] = []
        self._node_ix: dict[Node, int] = {}
        self.msg_tab: list[Message] = []
        self._msg_ix: dict[Message, int] = {}
        self.msg_to: list[int] = []
        self.msg_actions: list[tuple[Action, Action, Action]] = []
        self._tick_actions = [("tick", i) for i in range(1, self.n + 1)]
        self._timeout_actions = [("timeout", i) for i in range(1, self.n + 1)]
        self.hist_tab: list[History] = []
        self._hist_ix: dict[History, int] = {}
        self.hist_bad: list[tuple[str, ...]] = []
        # History id 0 is the empty history, which every symmetry fixes (model/symmetry.py and
        # the compiled core skip moving it); a start leader's election history comes after.
        self.hist_id(self.empty_history)
        self._local: dict[int, tuple[Any, Any, Any, Any]] = {}
        self._deliver: dict[int, Any] = {}
        self._hist_next: dict[tuple[int, tuple[Event, ...]], int] = {}
        self._forgotten: dict[tuple[int, int], int] = {}
        self._landed: dict[tuple[int, tuple[Event, ...], tuple[int, ...]], int] = {}
        self._elected: tuple[list[Node], History] | None = None
        from model.symmetry import Symmetry

        self.symmetry = Symmetry(self)
        if liveness is not None:
            liveness.attach(self)
        # Bound once: the explorer calls these on every transition.
        self.canonical = self.symmetry.canonical  # type: ignore[method-assign]
        self.action_kind = itemgetter(0)  # type: ignore[method-assign,assignment]

    # -- interning ----------------------------------------------------------------------------

    def node_id(self, nd: Node) -> int:
        ix = self._node_ix.get(nd)
        if ix is None:
            ix = self._node_ix[nd] = len(self.node_tab)
            self.node_tab.append(nd)
        return ix

    def msg_id(self, m: Message) -> int:
        ix = self._msg_ix.get(m)
        if ix is None:
            ix = self._msg_ix[m] = len(self.msg_tab)
            self.msg_tab.append(m)
            self.msg_to.append(m[M_TO])
            self.msg_link.append(link_bit(m[M_FROM], m[M_TO]) if m[M_FROM] != m[M_TO] else 0)
            self.msg_actions.append((("deliver", m), ("drop", m), ("duplicate", m)))
        return ix

    def hist_id(self, h: History) -> int:
        ix = self._hist_ix.get(h)
        if ix is None:
            ix = self._hist_ix[h] = len(self.hist_tab)
            self.hist_tab.append(h)
            self.hist_bad.append(self._state_violations(h))
        return ix

    # -- decoding (for traces, tests and conformance) -----------------------------------------

    def nodes(self, st: State) -> list[Node]:
        return [self.node_tab[i] for i in st[: self.n]]

    def messages(self, st: State) -> list[Message]:
        return [self.msg_tab[i] for i in st[self.hist_pos + 1 :]]

    def history(self, st: State) -> History:
        return self.hist_tab[st[self.hist_pos]]

    def budgets(self, st: State) -> tuple[int, ...]:
        return st[self.n : self.hist_pos]

    def encode(
        self,
        nodes: Sequence[Node],
        messages: Sequence[Message],
        budgets: Sequence[int] | None = None,
        history: History | None = None,
    ) -> State:
        """Build a state from its parts (conformance's abstraction function ends here)."""
        if budgets is None:
            budgets = self._initial_budgets()
        if history is None or (self.conf_on and len(history) == 3):
            history = tuple(history or ()) + self.empty_history[len(history or ()):]
        mids = tuple(sorted(self.msg_id(m) for m in messages))
        return (
            tuple(self.node_id(nd) for nd in nodes)
            + tuple(budgets)
            + (self.hist_id(history),)
            + mids
        )

    # -- the Model protocol -------------------------------------------------------------------

    def _initial_budgets(self) -> tuple[int, ...]:
        c = self.cfg
        base: tuple[int, ...] = (c.duplicates, c.restarts, c.transfers, c.appends)
        if self.net:
            base += (c.partition_faults, 0 if c.partition_later else links_mask(c.cut_links))
        if self.conf_on:
            base += (c.conf_changes,)
        return base

    def init_states(self) -> list[State]:
        if self.cfg.start_leader:
            from model.start_leader import elect

            # The model's own election (model/start_leader.py); the liveness graph keeps no
            # history, the safety run starts with that election's votes and leader.
            if self._elected is None:
                self._elected = elect(self.cfg, self.rules)
            nodes, hist = self._elected
            st = self.encode(nodes, [], history=hist if self.live is None else None)
        else:
            terms = dict(self.cfg.init_terms)
            logs = dict(self.cfg.init_logs)
            nodes = [node(term=terms.get(i, 0), log=logs.get(i, ()))[:9] + self.logic.conf_tail(i)
                     for i in range(1, self.n + 1)]
            st = self.encode(nodes, [])
        if self.live is not None:
            st = self.live.rebase(st)[0]
        return [st]

    def core_tables(self, names: Sequence[str]) -> Any:
        """The tables the compiled core reads this model's steps from (explorer/fast.py)."""
        from model.core_tables import CoreTables

        return CoreTables(self, names)

    def core_tables_unsupported(self) -> str | None:
        """Why the compiled core cannot run this configuration, or None."""
        if self.live is not None:
            return "the liveness graph runs on the reference engine"
        return None

    def live_tables(self) -> Any:
        """What the compiled liveness-graph builder asks this model (model/live_tables.py)."""
        from model.live_tables import LiveTables

        return LiveTables(self)

    def cut_mask(self, st: State) -> int:
        return st[self.n + NET_CUT] if self.net else 0

    def labelled_successors(self, st: State) -> tuple[list[Any], list[int]]:
        """Successors with liveness labels and fairness keys, and the keys of the actions a
        bound disabled (model/network.py)."""
        from model.network import net_successors

        return net_successors(self, st)

    def state_flags(self, st: State) -> int:
        """CONNECTED / GOOD / ANCHORED / SETTLED bits (model/liveness.py); liveness mode
        only."""
        return self.live.state_flags(st)  # type: ignore[no-any-return]

    def liveness_properties(self) -> Sequence[Invariant]:
        from model.liveness import PROPERTIES

        return PROPERTIES

    def invariants(self) -> Sequence[Invariant]:
        # A liveness-mode model keeps no history, so it cannot judge the safety invariants.
        if self.live is not None:
            return ()
        return INVARIANTS + CONF_INVARIANTS if self.conf_on else INVARIANTS

    def violations(self, st: State) -> tuple[str, ...]:
        return self.hist_bad[st[self.hist_pos]]

    def action_kind(self, action: Action) -> str:
        return str(action[0])

    def actions(self, st: State) -> Iterator[Action]:
        return (a for a, _ in self.successors(st))

    def next_state(self, st: State, action: Action) -> State | None:
        for a, nxt in self.successors(st):
            if a == action:
                return nxt
        return None

    def canonical(self, st: State) -> State:
        return self.symmetry.canonical(st)  # type: ignore[no-any-return]

    # -- memoised local steps -----------------------------------------------------------------

    def _finish(self, old: Node, res: StepResult) -> Any:
        """Intern a local step's result; None if it breaks the term bound."""
        new, outs, events = res
        max_term = self.term_cap
        if new[TERM] > max_term or any(m[3] > max_term for m in outs):
            return None
        if new[TERM] < old[TERM]:
            events = events + (("broken", "TermMonotonic"),)
        if new == old and not outs and not events:
            return _NOOP
        out_ids = tuple(self.msg_id(m) for m in outs)
        return (self.node_id(new), out_ids, events, new[TERM] != old[TERM])

    def _campaign_beyond_bound(self, nid: int, nd: Node) -> bool:
        """The term bound is on elections: a timeout starts a campaign for term + 1 (a
        pre-vote campaign too, whose requests etcd sends for r.Term + 1), so a node at the bound
        cannot campaign, whatever term a changed `pre_vote_term` puts in its requests. With
        etcd's rules such a campaign is already out of bounds (its requests or its election
        carry term + 1); without this a pre-vote at the current term would escape the bound."""
        if self.conf_on:
            return nd[TERM] >= self.term_cap and self.logic.campaigns_on_timeout(nid, nd)
        return nd[TERM] >= self.term_cap and self.logic.campaigns_on_timeout(nid)

    def _local_steps(self, nid: int, nix: int) -> tuple[Any, Any, Any, Any]:
        """Every action node `nid` can take on its own from state `nix`, computed once.

        (tick, timeout, leader actions, restart); None where the action is not enabled or
        changes nothing. Budgets and room in the network are checked per state.
        """
        if nid in self.cfg.crashed:
            return None, None, None, None  # a crashed node takes no step at all
        logic = self.logic
        nd = self.node_tab[nix]

        def enabled(res: Any) -> Any:
            return None if res is _NOOP else res

        tick = enabled(self._finish(nd, logic.tick(nid, nd)))
        timeout = (
            enabled(self._finish(nd, logic.timeout(nid, nd)))
            if logic.can_time_out(nid, nd) and not self._campaign_beyond_bound(nid, nd)
            else None
        )
        leader = None
        if nd[ROLE] == LEADER:
            beat = (nix, tuple(self.msg_id(m) for m in logic.heartbeat(nid, nd)), (), False)
            transfers = [
                (to, self._finish(nd, logic.transfer(nid, nd, to)))
                for to in (
                    logic.transfer_targets(nid, nd) if self.conf_on else
                    [to for to in logic.vote_targets if to != nid and logic.promotable(to)]
                )
            ]
            # raft.go stepLeader MsgProp: a leader that removed itself drops every proposal.
            proposes = not self.conf_on or cc_.members(nd[CONF]) >> nid & 1
            client = self._finish(nd, logic.append(nid, nd)) if proposes else None
            leader = (beat, transfers, client)
        restart = enabled(self._finish(nd, (logic.restart(nd), (), ())))
        return tick, timeout, leader, restart

    def conf_steps(self, nid: int, nix: int) -> tuple[Any, Any]:
        """Node `nid`'s membership-change actions from state `nix`, computed once: (apply or
        None, [(change, result), ...] proposals a leader may make). Budgets and room are
        checked per state."""
        key = nix * 16 + nid
        got = self._conf_local.get(key)
        if got is not None:
            return got
        logic = self.logic
        nd = self.node_tab[nix]
        apply = None
        proposals: list[tuple[cc_.ConfChange, Any]] = []
        if nid not in self.cfg.crashed:
            if nd[COMMIT] > nd[APPLIED]:
                res = self._finish(nd, logic.apply(nid, nd))
                apply = None if res is _NOOP else res
            if nd[ROLE] == LEADER and cc_.members(nd[CONF]) >> nid & 1:
                cfg = self.cfg
                for change in cc_conf_candidates(nd[CONF], cfg, self.conf_specs):
                    if logic.accepts_conf(nd, change):
                        res = self._finish(nd, logic.propose_conf(nid, nd, change))
                        if res is not None and res is not _NOOP:
                            proposals.append((change, res))
        got = self._conf_local[key] = (apply, proposals)
        return got

    # -- QuorumOverlap counts the campaigns that can still win ---------------------------------

    def log_key(self, nix: int) -> int:
        """A node state's log as one int ordered as Raft §5.4.1 orders logs: last term, then
        length (the key the compiled core passes back)."""
        log = self.node_tab[nix][LOG]
        return (cc_.entry_term(log[-1]) << 20 | len(log)) if log else 0

    def hist_after_landing(
        self, hix: int, events: tuple[Event, ...], st: State, i: int, new_ix: int
    ) -> int:
        """`_hist_after` for node i's step to `new_ix` from `st`; with membership changes a
        step that starts a campaign goes through `campaign_landing` with every node's log."""
        if not self.conf_on or not any(ev[0] == "campaign" for ev in events):
            return self._hist_after(hix, events)
        keys = tuple(self.log_key(new_ix if j == i else st[j]) for j in range(self.n))
        return self.campaign_landing(hix, events, keys)

    def campaign_landing(self, hix: int, events: tuple[Event, ...], keys: tuple[int, ...]) -> int:
        """The history after `events`, one of which starts a campaign, when the nodes' logs
        have these keys. A campaign record keeps the candidate's log key; when a campaign
        starts, the records of its term that can no longer win are dropped, its own included.
        A record can win while its configuration has a quorum among its candidate and the
        nodes whose log is not more up-to-date than the candidate's was: no other node will
        ever grant it, as no log ever becomes less up-to-date (§5.4.1). Two records of one term
        that can both win are both there when the later one starts, so QuorumOverlap sees every
        such pair; a campaign that cannot win (a removed node two changes behind, say) is not
        counted."""
        key = (hix, events, keys)
        got = self._landed.get(key)
        if got is not None:
            return got
        evs = tuple(ev + (keys[ev[2] - 1],) if ev[0] == "campaign" else ev  # type: ignore[operator]
                    for ev in events)
        h = self.hist_tab[self._hist_after(hix, evs)]
        terms = {ev[1] for ev in events if ev[0] == "campaign"}

        def can_win(rec: tuple[Any, ...]) -> bool:
            mask = 1 << rec[1]
            for j, k in enumerate(keys):
                if k <= rec[3]:
                    mask |= 1 << (j + 1)
            return cc_.is_quorum(rec[2], mask)

        kept = tuple(r for r in h[3] if r[0] not in terms or can_win(r))
        got = self._landed[key] = self.hist_id(h[:3] + (kept,) + h[4:])
        return got

    def _hist_after(self, hix: int, events: tuple[Event, ...]) -> int:
        key = (hix, events)
        nxt = self._hist_next.get(key)
        if nxt is None:
            nxt = self._hist_next[key] = self.hist_id(
                self._apply_events(self.hist_tab[hix], events)
            )
        return nxt

    def _forget_after_move(self, hix: int, st: State, i: int, new_ix: int) -> int:
        """`_forget` after node i's term moved to that of node state `new_ix`: the lowest term
        is then the least of its new term and the other nodes' terms in `st`."""
        node_tab = self.node_tab
        low = node_tab[new_ix][TERM]
        for j in range(self.n):
            if j != i:
                t = node_tab[st[j]][TERM]
                if t < low:
                    low = t
        return self._forget(hix, low)

    def _forget(self, hix: int, low: int) -> int:
        """Drop history of terms below every node's term: no rule can reach those terms again
        (a node's term never decreases, which TermMonotonic checks), so no invariant can."""
        key = (hix, low)
        nxt = self._forgotten.get(key)
        if nxt is None:
            h = self.hist_tab[hix]
            elected, ledger, broken = h[0], h[1], h[2]
            kept: History = (
                tuple(e for e in elected if e[0] >= low),
                tuple(r for r in ledger if r[0] >= low),
                broken,
            )
            if len(h) > 3:
                kept += (tuple(c for c in h[3] if c[0] >= low),)
            nxt = self._forgotten[key] = self.hist_id(kept)
        return nxt

    def _apply_events(self, h: History, events: tuple[Event, ...]) -> History:
        elected, ledger, broken = set(h[0]), set(h[1]), set(h[2])
        campaigns = set(h[3]) if len(h) > 3 else set()
        for ev in events:
            kind = ev[0]
            if kind == "vote":
                ledger.add(ev[1:])  # type: ignore[arg-type]
            elif kind == "campaign":
                campaigns.add(ev[1:])  # type: ignore[arg-type]
            elif kind == "leader":
                term, cand, counted, lt, li = ev[1:6]
                conf = ev[6] if len(ev) > 6 else None
                assert isinstance(counted, int)
                grants = {r[1]: r for r in ledger if r[0] == term and r[2] == cand}
                if self.conf_on:
                    assert isinstance(conf, tuple)
                    if not cc_.is_quorum(conf, cc_.mask(list(grants))):  # type: ignore[arg-type]
                        broken.add("LeaderHasQuorum")
                else:
                    voters = [v for v in grants if (self.logic.voter_mask >> v) & 1]
                    if len(voters) < self.majority:
                        broken.add("LeaderHasQuorum")
                for v, rec in grants.items():
                    if (counted >> v) & 1 and (lt, li) < (rec[3], rec[4]):
                        broken.add("LeaderUpToDate")
                elected.add((term, cand))  # type: ignore[arg-type]
            else:
                broken.add(ev[1])  # type: ignore[arg-type]
        out: History = (tuple(sorted(elected)), tuple(sorted(ledger)), tuple(sorted(broken)))
        if self.conf_on:
            out += (tuple(sorted(campaigns)),)
        return out

    def _state_violations(self, h: History) -> tuple[str, ...]:
        bad = list(h[2])
        terms = [t for t, _ in h[0]]
        if len(terms) != len(set(terms)):
            bad.append("OneLeaderPerTerm")
        cast = [(r[0], r[1]) for r in h[1]]
        if len(cast) != len(set(cast)):
            bad.append("VoteOnce")
        if len(h) > 3 and "QuorumOverlap" not in bad:
            camps = h[3]
            for k, (t, a, ca, *_) in enumerate(camps):
                if any(t2 == t and b != a and not cc_.quorums_intersect(ca, cb)
                       for t2, b, cb, *_ in camps[k + 1:]):
                    bad.append("QuorumOverlap")
                    break
        return tuple(sorted(bad))

    # -- successors (the hot path) ------------------------------------------------------------

    def successors(self, st: State) -> list[tuple[Action, State]]:
        if self.net or self.live is not None:
            return [(e[0], e[1]) for e in self.labelled_successors(st)[0]]
        cfg = self.cfg
        logic = self.logic
        n = self.n
        hp = self.hist_pos
        node_tab = self.node_tab
        msg_tab = self.msg_tab
        msgs = st[hp + 1 :]
        nmsgs = len(msgs)
        room = cfg.max_msgs - nmsgs
        hist = st[hp]
        out: list[tuple[Action, State]] = []
        append = out.append

        def land(i: int, res: Any, rest: tuple[int, ...], budgets: tuple[int, ...]) -> State:
            new_ix, outs, events, term_moved = res
            if events or term_moved:
                h = self.hist_after_landing(hist, events, st, i, new_ix) if events else hist
                if term_moved and h:
                    h = self._forget_after_move(h, st, i, new_ix)
            else:
                h = hist
            if outs:
                return (
                    st[:i] + (new_ix,) + st[i + 1 : n] + budgets + (h,) + tuple(sorted(rest + outs))
                )
            return st[:i] + (new_ix,) + st[i + 1 : n] + budgets + (h,) + rest

        budgets = st[n:hp]
        local = self._local
        tick_actions = self._tick_actions
        timeout_actions = self._timeout_actions
        for i in range(n):
            nid = i + 1
            key = st[i] * 16 + nid
            loc = local.get(key)
            if loc is None:
                loc = local[key] = self._local_steps(nid, st[i])
            tick, timeout, leader, restart = loc
            if tick is not None:
                append((tick_actions[i], land(i, tick, msgs, budgets)))
            if timeout is not None and len(timeout[1]) <= room:
                append((timeout_actions[i], land(i, timeout, msgs, budgets)))
            if leader is not None:
                beat, transfers, client_append = leader
                if len(beat[1]) <= room and n > 1:
                    append((("heartbeat", nid), land(i, beat, msgs, budgets)))
                if budgets[BUDGET_TRANSFER] > 0 and room >= 1:
                    b = budgets[:2] + (budgets[2] - 1,) + budgets[3:]
                    for to, res in transfers:
                        append((("transfer", nid, to), land(i, res, msgs, b)))
                if (budgets[BUDGET_APPEND] > 0 and client_append is not None
                        and len(client_append[1]) <= room):
                    b = budgets[:3] + (budgets[3] - 1,) + budgets[4:]
                    append((("append", nid), land(i, client_append, msgs, b)))
            if restart is not None and budgets[BUDGET_RESTART] > 0:
                b = budgets[:1] + (budgets[1] - 1,) + budgets[2:]
                append((("restart", nid), land(i, restart, msgs, b)))
            if self.conf_on:
                for action, res, b in self._conf_moves(nid, st[i], budgets):
                    if len(res[1]) <= room:
                        append((action, land(i, res, msgs, b)))

        prev = -1
        drop = cfg.drop
        dup = budgets[BUDGET_DUP] > 0
        deliver_cache = self._deliver
        msg_to = self.msg_to
        msg_actions = self.msg_actions
        head = st[: hp + 1]
        for k in range(nmsgs):
            mid = msgs[k]
            if mid == prev:
                continue
            prev = mid
            rest = msgs[:k] + msgs[k + 1 :]
            acts = msg_actions[mid]
            if drop:
                append((acts[1], head + rest))
            i = msg_to[mid] - 1
            key = (st[i] << _MSG_SHIFT) | mid
            res = deliver_cache.get(key, _NOOP)
            if res is _NOOP and key not in deliver_cache:
                nd = node_tab[st[i]]
                res = deliver_cache[key] = self._finish(nd, logic.step(i + 1, nd, msg_tab[mid]))
            if res is None:
                continue
            if res is _NOOP:
                append((acts[0], head + rest))
                continue
            if len(res[1]) <= room + 1:
                append((acts[0], land(i, res, rest, budgets)))
            if dup and len(res[1]) <= room:
                b = (budgets[0] - 1,) + budgets[1:]
                append((acts[2], land(i, res, msgs, b)))
        return out

    def _conf_moves(
        self, nid: int, nix: int, budgets: tuple[int, ...]
    ) -> Iterator[tuple[Action, Any, tuple[int, ...]]]:
        """(action, local step, budgets after) of node nid's apply and conf proposals."""
        apply, proposals = self.conf_steps(nid, nix)
        if apply is not None:
            yield ("apply", nid), apply, budgets
        k = self.budget_conf
        left = budgets[k]
        for change, res in proposals:
            if cc_.leaves_joint(change):
                yield ("propose-conf", nid, change), res, budgets  # leaving is not budgeted
            elif left > 0:
                yield (("propose-conf", nid, change), res,
                       budgets[:k] + (left - 1,) + budgets[k + 1:])

    # -- rendering ----------------------------------------------------------------------------

    def describe_action(self, action: Action) -> str:
        kind = action[0]
        if kind in ("deliver", "drop", "duplicate"):
            return f"{kind} {describe(action[1])}"
        if kind == "transfer":
            return f"transfer leadership {action[1]} -> {action[2]}"
        if kind == "propose-conf":
            return f"node {action[1]} proposes conf change {cc_.describe_change(action[2])}"
        if kind == "apply":
            return f"node {action[1]} applies its committed entries"
        if kind == "heal":
            return "heal the partition (every cut link works again)"
        if kind == "split":
            return "split the partition again (its links are cut)"
        return f"{kind} node {action[1]}"

    def describe_changes(self, before: State, after: State) -> list[str]:
        """What changed between two states, one line per node, readable."""
        lines = []
        for i in range(self.n):
            if before[i] == after[i]:
                continue
            a, b = self.node_tab[before[i]], self.node_tab[after[i]]
            diffs = [
                f"{FIELD_NAMES[f]} {describe_field(f, a[f])}->{describe_field(f, b[f])}"
                for f in range(len(a))
                if a[f] != b[f]
            ]
            lines.append(f"node {i + 1}: " + ", ".join(diffs))
        sent = _multiset_diff(self.messages(after), self.messages(before))
        for m in sent:
            lines.append(f"sent {describe(m)}")
        if self.net:
            cb, ca = self.cut_mask(before), self.cut_mask(after)
            for x, y in mask_links(ca & ~cb, self.n):
                lines.append(f"link {x}-{y} cut (its messages in flight are lost)")
            for x, y in mask_links(cb & ~ca, self.n):
                lines.append(f"link {x}-{y} healed")
        hb, ha = self.history(before), self.history(after)
        for name in ha[2]:
            if name not in hb[2]:
                lines.append(f"broke {name}")
        return lines

    def describe_state(self, st: State) -> list[str]:
        lines = []
        # Without membership changes the last five fields are constant: not shown.
        shown = len(FIELD_NAMES) if self.conf_on else 9
        for i, nd in enumerate(self.nodes(st)):
            fields = ", ".join(
                f"{FIELD_NAMES[f]}={describe_field(f, nd[f])}" for f in range(min(len(nd), shown))
            )
            lines.append(f"node {i + 1}: {fields}")
        msgs = self.messages(st)
        lines.append("in flight: " + ("; ".join(describe(m) for m in msgs) if msgs else "none"))
        if self.net:
            lines.append("cut links: " + describe_links(mask_links(self.cut_mask(st), self.n)))
            if self.lossy:
                lines.append("lossy links: " + describe_links(mask_links(self.lossy, self.n)))
        return lines


def _multiset_diff(a: list[Message], b: list[Message]) -> list[Message]:
    rest = list(b)
    out = []
    for m in a:
        if m in rest:
            rest.remove(m)
        else:
            out.append(m)
    return out


def cc_conf_candidates(
    conf: cc_.Conf, cfg: ClusterConfig, specs: tuple[cc_.ConfChange, ...]
) -> list[cc_.ConfChange]:
    from model.conf_specs import candidate_changes

    return candidate_changes(conf, cfg.n, cfg.conf_kinds, specs, cfg.conf_entry)
