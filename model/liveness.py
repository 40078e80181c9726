"""What liveness checking adds to the cluster model: normalised states, timing, state flags.

Three things (specs/SEMANTICS.md, "Liveness"):

- **Normalisation.** A run in which leaders keep changing climbs through terms and grows logs
  forever, so with absolute terms it can never close a cycle, and a term bound would look like a
  deadlock. In liveness mode a state is stored relative to itself: the first entries that every
  log and every in-flight MsgApp share (all but the last) are dropped, with every index moved
  down by as many; entry terms below every node and message term are renumbered, in order, to
  sit right below the smallest of those (entry terms are only compared with entry terms); then
  every term moves down so that the smallest is 1 (not while a node or message is at term 0).
  The rules compare node terms and add 1 to them, and only order entry terms and indexes
  (checked on a grid when the model is built, `check_shift_invariance`), so a normalised state
  behaves exactly like every state it stands for. `max_term` then bounds the spread of terms.
- **Timing assumptions** (switchable): `heartbeats` (a node that a live leader of its term or a
  higher one reaches on a healthy link hears from it before its election timer runs out: its
  timer never reaches the timeout, so it neither times out nor leaves the lease; a check-quorum
  leader checks only after the answers of the followers in its term that it reaches arrived)
  `solo-campaigns` (no node times out while election traffic is in flight on a healthy
  link: randomized timers let each campaign finish) and `random-timers` (strong fairness of
  timeouts: a node whose timer runs out infinitely often, even while another campaign is in
  flight, fires first infinitely often). Transitions they exclude are labelled UNTIMELY; the
  fair-cycle and stable-leader checks never take them.
- **State flags** that the properties are written in: CONNECTED (some quorum of voters is
  pairwise joined by healthy links), GOOD (a stable leader: a leader followed by a quorum of
  voters in its term), ANCHORED (a stable leader with healthy links to a quorum, followed by
  every voter it reaches, each with its timer running: what its heartbeats maintain),
  SETTLED (ANCHORED, no node that can ever talk to the leader's side at a higher term, and no
  campaign message in flight: the cluster has settled on that leader).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import TYPE_CHECKING, Any

from explorer.liveness import ANCHORED, CONNECTED, GOOD, RACING, SETTLED, UNTIMELY
from explorer.protocol import Invariant
from model.config import ConfigError
from model.messages import (
    MSG_APP,
    MSG_APP_RESP,
    MSG_PRE_VOTE,
    MSG_PRE_VOTE_RESP,
    MSG_VOTE,
    MSG_VOTE_RESP,
)
from model.node_state import ACTIVE, ELAPSED, LEAD, LEADER, LOG, ROLE, TERM
from model.topology import has_connected_quorum, link_bit

if TYPE_CHECKING:
    from model.cluster import ClusterModel, State

ASSUMPTIONS = ("heartbeats", "solo-campaigns", "random-timers")
__all__ = ["ANCHORED", "CONNECTED", "GOOD", "Liveness", "LivenessOptions", "PROPERTIES",
           "SETTLED"]
_BIG = 1 << 30
_MEMO_CAP = 1 << 20  # entries of a memo keyed by (nodes, links) before it is cleared
_SETTLED_CACHE = 100_000  # settled schedules the progress witness keeps (cleared when full)
_ELECTION_TRAFFIC = (MSG_VOTE, MSG_PRE_VOTE, MSG_VOTE_RESP, MSG_PRE_VOTE_RESP)

PROPERTIES: tuple[Invariant, ...] = (
    Invariant(
        "LeaderElectable",
        "from every state where a quorum is connected, a fault-free continuation reaches a "
        "stable leader",
    ),
    Invariant(
        "EventuallyLeader",
        "every fair, timely run in which a quorum stays connected reaches a stable leader that "
        "every voter it reaches follows",
    ),
    Invariant(
        "LeaderStable",
        "a stable leader with healthy links to a quorum is never deposed by a fault-free, "
        "timely run",
    ),
    Invariant(
        "NoLivelock",
        "no fair, timely cycle changes leadership forever while a quorum is connected",
    ),
    # Last, because explorer/liveness.py's `analyse` takes the templates in this order.
    Invariant(
        "SettledLeaderStable",
        "a settled leader (stable, followed by every voter it reaches, no node it can reach at "
        "a higher term, no campaign message in flight) is never deposed by a fault-free, "
        "timely run",
    ),
)


@dataclass(frozen=True)
class LivenessOptions:
    """Which timing assumptions the liveness checks make (all on by default)."""

    heartbeats: bool = True
    solo_campaigns: bool = True
    random_timers: bool = True

    @classmethod
    def parse(cls, text: str | None) -> LivenessOptions:
        if text is None:
            return cls()
        names = [t.strip() for t in text.split(",") if t.strip()]
        if names == ["none"]:
            return cls(False, False, False)
        unknown = [t for t in names if t not in ASSUMPTIONS]
        if unknown or not names:
            raise ConfigError(
                f"unknown timing assumption {(unknown or [text])[0]!r} "
                f"(known: {', '.join(ASSUMPTIONS)}, or none)"
            )
        return cls("heartbeats" in names, "solo-campaigns" in names, "random-timers" in names)

    def names(self) -> list[str]:
        flags = (self.heartbeats, self.solo_campaigns, self.random_timers)
        return [n for n, on in zip(ASSUMPTIONS, flags, strict=True) if on]


class Liveness:
    """Normalisation, timing labels and state flags for one ClusterModel in liveness mode."""

    def __init__(self, options: LivenessOptions) -> None:
        self.options = options
        self.model: ClusterModel | None = None

    def attach(self, model: ClusterModel) -> None:
        from model.cluster import NET_CUT

        self.model = model
        self.known: dict[Any, int] | None = None
        self._cut_at = model.n + NET_CUT if model.net else -1
        self.voters = list(model.logic.vote_targets)
        self.q = model.majority
        self._node_shift: dict[tuple[int, Any], int] = {}
        self._msg_shift: dict[tuple[int, Any], int] = {}
        self._quorum_links: dict[int, bool] = {}
        self._timing: dict[Any, _TimingBase] = {}
        self._election_msg: dict[int, bool] = {}
        self._unsettling: dict[int, int] = {}
        self._flags: dict[Any, int] = {}
        self._last_timing: tuple[Any, _TimingBase] | None = None
        self._settled: dict[Any, Any] = {}
        self._reach: dict[int, list[int]] = {}
        self._group_cache: dict[int, list[list[int]]] = {}
        check_shift_invariance(model.rules)

    def use_known(self, index: dict[Any, int] | None) -> None:
        """The explored states so far (normal forms), or None. Normalisation is idempotent, so
        a successor that already is an explored state is its own normal form, within the term
        bound (every explored state was checked against it, or is an initial state, checked
        here): `net_successors` then skips normalising it."""
        m = self.model
        assert m is not None
        if index is not None and any(self.rebase(s)[1] > m.cfg.max_term
                                     for s in m.init_states()):
            index = None
        self.known = index

    # -- normalisation ------------------------------------------------------------------------

    def rebase(self, st: State) -> tuple[State, int, bool]:
        """(normalised state, its highest term, whether every term or index moved)."""
        m = self.model
        assert m is not None
        n = m.n
        hp = m.hist_pos
        node_tab = m.node_tab
        msg_tab = m.msg_tab
        nodes = st[:n]
        mids = st[hp + 1 :]
        if m.net and not st[n + 4] and st[n + 5]:
            # A partition that can no longer heal: groups that cannot talk never compare terms.
            groups = self._groups(st[n + 5])
            if len(groups) > 1:
                return self._rebase_groups(st, groups)
        # Terms of nodes and messages ("node terms"): their differences matter.
        tmin = _BIG
        high = 0
        for x in nodes:
            t = node_tab[x][TERM]
            if t < tmin:
                tmin = t
            if t > high:
                high = t
        min_req = _BIG
        has_app = False
        for mid in mids:
            msg = msg_tab[mid]
            t = msg[3]
            if t < tmin:
                tmin = t
            if t > high:
                high = t
            k = msg[0]
            if k == MSG_APP:
                has_app = True
            elif (k == MSG_VOTE or k == MSG_PRE_VOTE) and msg[5] < min_req:
                min_req = msg[5]
        if tmin == 0:
            return st, high, False  # a node or message at term 0: nothing to move
        # Index shift: drop all but the last of the entries every log and MsgApp shares.
        first = node_tab[nodes[0]][LOG]
        p = len(first)
        d = 0
        if p >= 2 and min_req >= 1:
            for x in nodes[1:]:
                p = _common(first, node_tab[x][LOG], p)
                if p < 2:
                    break
            if p >= 2 and has_app:
                for mid in mids:
                    msg = msg_tab[mid]
                    if msg[0] == MSG_APP:
                        p = _common(first, msg[8], p)
            d = min(p - 1, min_req)
            if d < 0:
                d = 0
        # Log terms ("entry terms") below every node term are only compared among themselves,
        # so they are renumbered to sit right below the smallest node term, in order.
        below: set[int] = set()
        for x in nodes:
            for e in node_tab[x][LOG][d:]:
                if e >= tmin:
                    break
                below.add(e)
        for mid in mids:
            msg = msg_tab[mid]
            if 0 < msg[4] < tmin:
                below.add(msg[4])
            for e in msg[8][d:]:
                if e >= tmin:
                    break
                below.add(e)
        olds = tuple(sorted(below))
        base = tmin - len(olds)
        delta = base - 1
        if d == 0 and delta == 0 and (not olds or olds[0] == base):
            return st, high, False
        tail = (d, delta, tmin, olds)
        new_nodes = tuple(self._shift_node(x, tail) for x in nodes)
        new_msgs = tuple(sorted(self._shift_msg(x, tail) for x in mids))
        return new_nodes + st[n:hp] + (st[hp],) + new_msgs, high - delta, True

    def _groups(self, cut: int) -> list[list[int]]:
        """The connected groups of node indexes (0-based) when `cut` links are cut."""
        got = self._group_cache.get(cut)
        if got is None:
            m = self.model
            assert m is not None
            left = set(range(m.n))
            got = []
            while left:
                todo = [min(left)]
                left.discard(todo[0])
                group = []
                while todo:
                    i = todo.pop()
                    group.append(i)
                    for j in list(left):
                        if not cut & link_bit(i + 1, j + 1):
                            left.discard(j)
                            todo.append(j)
                got.append(sorted(group))
            self._group_cache[cut] = got
        return got

    def _rebase_groups(self, st: State, groups: list[list[int]]) -> tuple[State, int, bool]:
        """Normalise each group of a lasting partition on its own (no index shift)."""
        m = self.model
        assert m is not None
        n, hp = m.n, m.hist_pos
        node_tab, msg_tab = m.node_tab, m.msg_tab
        new_nodes = list(st[:n])
        mids = st[hp + 1 :]
        new_msgs = list(mids)
        high_all = 0
        moved = False
        for group in groups:
            members = set(group)
            gm = [k for k, mid in enumerate(mids) if msg_tab[mid][2] - 1 in members]
            terms = [node_tab[st[i]][TERM] for i in group] + [msg_tab[mids[k]][3] for k in gm]
            tmin, high = min(terms), max(terms)
            if tmin == 0:
                high_all = max(high_all, high)
                continue
            below: set[int] = set()
            for i in group:
                below.update(e for e in node_tab[st[i]][LOG] if e < tmin)
            for k in gm:
                msg = msg_tab[mids[k]]
                if 0 < msg[4] < tmin:
                    below.add(msg[4])
                below.update(e for e in msg[8] if e < tmin)
            olds = tuple(sorted(below))
            delta = tmin - len(olds) - 1
            high_all = max(high_all, high - delta)
            if delta == 0 and (not olds or olds[0] == tmin - len(olds)):
                continue
            moved = True
            tail = (0, delta, tmin, olds)
            for i in group:
                new_nodes[i] = self._shift_node(st[i], tail)
            for k in gm:
                new_msgs[k] = self._shift_msg(mids[k], tail)
        if not moved:
            return st, high_all, False
        # Not a SHIFT of the whole state: messages of groups that did not move keep their ids,
        # so delivery fairness is still checked message by message (explorer/liveness.py).
        return (tuple(new_nodes) + st[n:hp] + (st[hp],) + tuple(sorted(new_msgs)), high_all,
                False)

    def shift_terms(self, x: int, delta: int, node: bool) -> int:
        """Node (or message) `x` with every node term and entry term moved down by `delta`:
        what `rebase` does to each id when the entry terms below every node term are the
        consecutive ones right below it (then its entry map is v -> v - delta, 0 kept)."""
        def entry(v: int) -> int:
            return v - delta if v else 0

        if node:
            return self._move_node(x, 0, delta, entry)
        return self._move_msg(x, 0, delta, entry)

    @staticmethod
    def _entry_map(tail: tuple[Any, ...]) -> Any:
        d, delta, tmin, olds = tail
        ranks = {v: tmin - len(olds) + j - delta for j, v in enumerate(olds)}

        def entry(v: int) -> int:
            if v == 0:
                return 0
            if v < tmin:
                return ranks[v]
            return v - delta

        return entry

    def _shift_node(self, x: int, tail: tuple[Any, ...]) -> int:
        return self._shifted(self._node_shift, x, tail, self._move_node)

    def _shift_msg(self, x: int, tail: tuple[Any, ...]) -> int:
        return self._shifted(self._msg_shift, x, tail, self._move_msg)

    def _shifted(self, cache: dict[tuple[int, Any], int], x: int, tail: tuple[Any, ...],
                 move: Any) -> int:
        """The interned id of node or message `x` moved by `tail`, computed once."""
        key = (x, tail)
        got = cache.get(key)
        if got is None:
            got = cache[key] = move(x, tail[0], tail[1], self._entry_map(tail))
        return got

    def _move_node(self, x: int, d: int, delta: int, entry: Any) -> int:
        m = self.model
        assert m is not None
        moved = list(m.node_tab[x])
        moved[TERM] -= delta
        moved[LOG] = tuple(entry(e) for e in moved[LOG][d:])
        return m.node_id(tuple(moved))

    def _move_msg(self, x: int, d: int, delta: int, entry: Any) -> int:
        m = self.model
        assert m is not None
        msg = list(m.msg_tab[x])
        msg[3] -= delta
        msg[4] = entry(msg[4])
        if msg[0] in (MSG_VOTE, MSG_PRE_VOTE):
            msg[5] -= d
        elif msg[0] == MSG_APP_RESP:
            # No rule reads a MsgAppResp's index: clamping merges only equivalent states.
            msg[5] = max(0, msg[5] - d)
        if msg[8]:
            msg[8] = tuple(entry(e) for e in msg[8][d:])
        return m.msg_id(tuple(msg))

    def strong_fair(self, key: int) -> bool:
        """Keys under strong fairness: with random timers, a node whose timer can fire again
        and again eventually is the first to fire (model/network.py numbers the keys)."""
        from model.network import KEY_HEARTBEAT, KEY_TIMEOUT

        return self.options.random_timers and KEY_TIMEOUT <= key < KEY_HEARTBEAT

    # -- progress witnesses --------------------------------------------------------------------

    def progress_witness(self, st: State) -> bool:
        """Whether one fault-free schedule of the unbounded system leads from `st` to a stable
        leader: deliver everything in flight; let the highest leader that reaches a quorum
        heartbeat; else let every timer run out and the voter with the most up-to-date log
        campaign; up to four rounds. Every step is a real transition (no bound applies), so
        True is evidence; False only means this schedule did not get there.

        Not memoised: the analysis asks each bound state once (a memo of every answer held
        millions of decoded states and normalised each again for its key); the schedule's
        settled deliveries are kept instead (`_lucky`)."""
        return self._lucky(st)

    def _lucky(self, st: State, step: Any = None) -> bool:
        """The schedule of `progress_witness`. `step(model, state, kind, nid)` takes one raw
        step (default `model.network.raw_step`; tests pass one read off `net_successors`)."""
        m = self.model
        assert m is not None
        # A caller's own step function gets its own cache (the shared one holds raw_step's).
        settled: dict[Any, Any] = self._settled if step is None else {}
        if step is None:
            from model.network import raw_step as step

        if len(settled) > _SETTLED_CACHE:
            settled.clear()

        def take(cur: State, kind: str, nid: int = 0) -> State | None:
            return step(m, cur, kind, nid)  # type: ignore[no-any-return]

        def settle(cur: State) -> State:
            got = settled.get(cur)
            if got is not None:
                return got  # type: ignore[no-any-return]
            path = [cur]
            for _ in range(8 * m.n * m.n):
                nxt = take(cur, "deliver")
                if nxt is None:
                    # Nothing left to deliver: every state on the way settles here too (had
                    # the step cap stopped it, a later state could have gone further).
                    for on_path in path:
                        settled[on_path] = cur
                    return cur
                cur = nxt
                path.append(cur)
            settled[path[0]] = cur
            return cur

        def tick_all(cur: State) -> State:
            for _tick in range(m.logic.et + 1):
                for i in range(1, m.n + 1):
                    nxt = take(cur, "tick", i)
                    if nxt is not None:
                        cur = nxt
            return cur

        cur = st
        for _ in range(4):
            cur = settle(cur)
            if self.flags(cur) & GOOD:
                return True
            nodes = m.nodes(cur)
            healthy = self.healthy(cur)
            leaders = sorted(
                (nd[TERM], i + 1) for i, nd in enumerate(nodes) if nd[ROLE] == LEADER
            )
            if leaders:
                lid = leaders[-1][1]
                nxt = take(cur, "heartbeat", lid)
                if nxt is not None:
                    cur = settle(nxt)
                    if self.flags(cur) & GOOD:
                        return True
            cur = tick_all(cur)
            cur = settle(cur)
            nodes = m.nodes(cur)
            ranked = []
            for v in self._reachers(healthy):
                nd = nodes[v - 1]
                ranked.append(((nd[LOG][-1] if nd[LOG] else 0, len(nd[LOG]), nd[TERM]), v))
            if not ranked:
                return False
            # Every candidate in turn, the most up-to-date first: one of them wins at once.
            nxt_round = None
            for _rank, v in sorted(ranked, reverse=True):
                nxt = take(cur, "timeout", v)
                if nxt is None:
                    continue
                after = settle(nxt)
                if self.flags(after) & GOOD:
                    return True
                if nxt_round is None:
                    nxt_round = after
            if nxt_round is not None:
                cur = nxt_round
        cur = settle(cur)
        return bool(self.flags(cur) & GOOD)

    def _reachers(self, healthy: int) -> list[int]:
        """The voters with healthy links to a quorum (themselves included), in order."""
        got = self._reach.get(healthy)
        if got is None:
            got = self._reach[healthy] = [
                v for v in self.voters
                if sum(1 for w in self.voters if w == v or healthy & link_bit(v, w)) >= self.q]
        return got

    # -- timing -------------------------------------------------------------------------------

    def timing(self, st: State, memo: bool = True) -> Timing:
        """The timing labels of `st`'s transitions. What depends on the nodes and the links
        only is computed once per (nodes, cut links) and kept; what depends on the messages in
        flight (campaign traffic) once per state. `memo=False` keeps only the last one (for a
        caller that keeps the labels itself: the compiled graph builder)."""
        m = self.model
        assert m is not None
        n = m.n
        key = (st[:n], st[self._cut_at] if self._cut_at >= 0 else 0)
        if not memo:
            last = self._last_timing
            if last is not None and last[0] == key:
                base = last[1]
            else:
                base = _TimingBase(self, st)
                self._last_timing = (key, base)
        else:
            base = self._timing.get(key)  # type: ignore[assignment]
        if base is None:
            if len(self._timing) >= _MEMO_CAP:
                self._timing.clear()
            base = self._timing[key] = _TimingBase(self, st)
        traffic = False
        if self.options.solo_campaigns:
            election = self._election_msg
            link = m.msg_link
            healthy = base.healthy
            for mid in st[m.hist_pos + 1 :]:
                e = election.get(mid)
                if e is None:
                    e = election[mid] = m.msg_tab[mid][0] in _ELECTION_TRAFFIC
                if e and link[mid] & healthy:
                    traffic = True
                    break
        return base.with_traffic[traffic]

    def healthy(self, st: State) -> int:
        """The mask of links that are neither cut nor lossy."""
        m = self.model
        assert m is not None
        return ~(m.cut_mask(st) | m.lossy)

    # -- state flags --------------------------------------------------------------------------

    def flags(self, st: State, memo: bool = True) -> int:
        """The flags read only the nodes and the links: kept per (nodes, cut links) (not with
        `memo=False`, for a caller that keeps them itself)."""
        m = self.model
        assert m is not None
        if not memo:
            return self._flags_of(st)
        key = (st[: m.n], st[self._cut_at] if self._cut_at >= 0 else 0)
        got = self._flags.get(key)
        if got is None:
            if len(self._flags) >= _MEMO_CAP:
                self._flags.clear()
            got = self._flags[key] = self._flags_of(st)
        return got

    def state_flags(self, st: State) -> int:
        """All flags of `st`: those of its nodes and links (`flags`), SETTLED taken away while a
        campaign message is in flight (`unsettling`, per message id)."""
        m = self.model
        assert m is not None
        out = self.flags(st)
        if out & SETTLED:
            for mid in st[m.hist_pos + 1 :]:
                out &= ~self.unsettling(mid)
        return out

    def unsettling(self, mid: int) -> int:
        """The flags a message in flight takes away from its state: SETTLED for campaign
        traffic (a vote or pre-vote request or answer, any term, any link), whose delivery
        belongs to an election that is not over yet."""
        got = self._unsettling.get(mid)
        if got is None:
            m = self.model
            assert m is not None
            got = self._unsettling[mid] = (
                SETTLED if m.msg_tab[mid][0] in _ELECTION_TRAFFIC else 0)
        return got

    def _flags_of(self, st: State) -> int:
        m = self.model
        assert m is not None
        down = m.cut_mask(st) | m.lossy
        conn = self._quorum_links.get(down)
        if conn is None:
            conn = self._quorum_links[down] = has_connected_quorum(self.voters, self.q, down)
        out = CONNECTED if conn else 0
        node_tab = m.node_tab
        nodes = [node_tab[x] for x in st[: m.n]]
        for i, nd in enumerate(nodes):
            if nd[ROLE] != LEADER:
                continue
            lid = i + 1
            term = nd[TERM]
            follow = sum(
                1 for v in self.voters
                if nodes[v - 1][TERM] == term and (v == lid or nodes[v - 1][LEAD] == lid)
            )
            if follow >= self.q:
                out |= GOOD
                if self._anchored(nodes, lid, term, down):
                    out |= ANCHORED
                    if self._quiet(nodes, lid, term, m.cut_mask(st)):
                        out |= SETTLED
        return out

    def _quiet(self, nodes: list[Any], lid: int, term: int, cut: int) -> bool:
        """No node that shares a group of uncut links (healthy or lossy) with leader `lid` is
        at a term above its own: such a node's messages could depose it. (Nodes beyond a cut
        never talk to it on a fault-free path, and a lasting cut's groups are normalised
        apart, so their terms are not comparable.) The messages in flight: `state_flags`."""
        group = next(g for g in self._groups(cut) if lid - 1 in g)
        return all(nodes[i][TERM] <= term for i in group)


    def _anchored(self, nodes: list[Any], lid: int, term: int, down: int) -> bool:
        """Leader `lid` has healthy links to a quorum, and every voter it reaches follows it in
        its term with a running timer (elapsed < timeout): the state a leader's heartbeats
        keep, with nothing left over from earlier faults."""
        m = self.model
        assert m is not None
        et = m.logic.et
        reach = 0
        for v in self.voters:
            if v == lid:
                reach += 1
                continue
            if down & link_bit(v, lid):
                continue
            nd = nodes[v - 1]
            if nd[TERM] != term or nd[LEAD] != lid or nd[ELAPSED] >= et:
                return False
            reach += 1
        return reach >= self.q


class _TimingBase:
    """What the timing labels of a state owe to its nodes and links: whether a live leader
    reaches each node (`heard`), and each node's tick label, computed when first asked."""

    __slots__ = ("live", "nodes", "healthy", "heard", "ticks", "with_traffic")

    def __init__(self, live: Liveness, st: State) -> None:
        m = live.model
        assert m is not None
        self.live = live
        self.nodes = [m.node_tab[x] for x in st[: m.n]]
        self.healthy = live.healthy(st)
        self.heard = tuple(self._heard(i) for i in range(m.n))
        self.ticks: list[int | None] = [None] * m.n
        self.with_traffic = (Timing(self, False), Timing(self, True))

    def _heard(self, i: int) -> bool:
        """Some live leader whose term is not below node i's reaches it on a healthy link, so
        under the heartbeat assumption its next heartbeat arrives before i's timer runs out."""
        term = self.nodes[i][TERM]
        nid = i + 1
        for j, nd in enumerate(self.nodes):
            if nd[ROLE] == LEADER and j != i and nd[TERM] >= term and \
                    self.healthy & link_bit(j + 1, nid):
                return True
        return False

    def tick(self, i: int, res: Any) -> int:
        """(`res`, node i's tick, is a function of node i, so the label is kept.)"""
        got = self.ticks[i]
        if got is None:
            got = self.ticks[i] = self._tick(i, res)
        return got

    def _tick(self, i: int, res: Any) -> int:
        live = self.live
        m = live.model
        assert m is not None
        if not live.options.heartbeats:
            return 0
        nd = self.nodes[i]
        if nd[ROLE] != LEADER:
            # A timer that runs out (the lease ends, a timeout is allowed) before the heartbeat
            # of a reachable leader arrives breaks the assumption.
            if m.node_tab[res[0]][ELAPSED] >= m.logic.et and self.heard[i]:
                return UNTIMELY
            return 0
        if not m.cfg.check_quorum or m.node_tab[res[0]][ROLE] == LEADER:
            return 0
        # The check ran before the answer of a follower it reaches had arrived.
        lid = i + 1
        active = nd[ACTIVE]
        for v in live.voters:
            if v != lid and self.healthy & link_bit(v, lid) and not active >> v & 1 and \
                    self.nodes[v - 1][TERM] == nd[TERM]:
                return UNTIMELY
        return 0


class Timing:
    """The timing labels of one state's transitions (its nodes and links, and whether a
    campaign's messages are in flight on a healthy link)."""

    __slots__ = ("base", "traffic", "live")

    def __init__(self, base: _TimingBase, traffic: bool) -> None:
        self.base = base
        self.traffic = traffic
        self.live = base.live

    def heard_in_time(self, i: int) -> bool:
        return self.base.heard[i]

    def timeout(self, i: int) -> int:
        if self.live.options.heartbeats and self.base.heard[i]:
            return UNTIMELY
        if self.traffic:
            # Held back only so that the campaign in flight can finish: the timer has run
            # out, so strong fairness still counts the timeout as enabled here.
            return UNTIMELY | RACING
        return 0

    def tick(self, i: int, res: Any) -> int:
        return self.base.tick(i, res)


def _common(a: tuple[int, ...], b: tuple[int, ...], limit: int) -> int:
    k = min(limit, len(b))
    i = 0
    while i < k and a[i] == b[i]:
        i += 1
    return i


def check_shift_invariance(rules: Any) -> None:
    """Refuse rules whose answers depend on absolute terms or indexes (normalisation needs
    rules that only compare them and add 1). Checked on every input with terms and indexes
    in 1..4: the rules are pure, so a difference anywhere is a real dependence."""
    small = range(1, 5)
    for lt, ct in product(range(6), range(6)):
        # Entry terms: only their order (and 0 for an empty log) may matter.
        vals = sorted({lt, ct} - {0})
        fl, fc = (0 if v == 0 else vals.index(v) + 1 for v in (lt, ct))
        for li, ci in product(range(4), range(4)):
            if (lt == 0) != (li == 0) or (ct == 0) != (ci == 0):
                continue
            base = rules.is_up_to_date(lt, li, ct, ci)
            if rules.is_up_to_date(fl, li, fc, ci) != base:
                _refuse("is_up_to_date", (lt, li, ct, ci))
            if li and ci and rules.is_up_to_date(lt, li + 1, ct, ci + 1) != base:
                _refuse("is_up_to_date", (lt, li, ct, ci))
    for vote, lead, frm, pre, mt, t in product(range(3), range(3), (1, 2), (False, True),
                                                small, small):
        for role in range(4):
            a = rules.can_vote(vote, lead, role, frm, pre, mt, t)
            if rules.can_vote(vote, lead, role, frm, pre, mt + 1, t + 1) != a:
                _refuse("can_vote", (vote, lead, role, frm, pre, mt, t))
    for granted, mt, t in product((False, True), small, small):
        a = rules.vote_reply_term(granted, mt, t)
        if rules.vote_reply_term(granted, mt + 1, t + 1) != a + 1:
            _refuse("vote_reply_term", (granted, mt, t))
    for old, new, vote in product(small, small, range(3)):
        if rules.reset_vote(old + 1, new + 1, vote) != rules.reset_vote(old, new, vote):
            _refuse("reset_vote", (old, new, vote))


def _refuse(rule: str, args: tuple[Any, ...]) -> None:
    raise ConfigError(
        f"--liveness needs rules that depend only on term and index differences; "
        f"{rule}{args} changes its answer when every term or index moves up by one"
    )


def replay(model: ClusterModel, start: State, targets: list[tuple[Any, State]]) -> list[
    tuple[Any, State]
]:
    """The concrete run behind a path of normalised states: each (action, normalised state)
    becomes (the concrete action, the concrete state), terms and indexes as they really are."""
    from model.network import net_successors

    live = model.live
    assert live is not None
    out = []
    cur = start
    for action, target in targets:
        for a, nxt, _lab, _key in net_successors(model, cur, raw=True)[0]:
            if _same_action(a, action) and live.rebase(nxt)[0] == target:
                out.append((a, nxt))
                cur = nxt
                break
        else:  # pragma: no cover - would mean normalisation is not a function of the state
            raise RuntimeError(f"liveness replay failed at {action!r}")
    return out


def _same_action(a: Any, b: Any) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] in ("deliver", "drop", "duplicate"):
        # Message terms and indexes differ by the normalisation; type and ends do not.
        return bool(a[1][:3] == b[1][:3])
    return bool(a == b)


def term_shift(model: ClusterModel, a: State, b: State) -> int:
    """How many terms `b` is ahead of `a` (two concrete states with the same normal form)."""
    return int(model.node_tab[b[0]][TERM] - model.node_tab[a[0]][TERM])
