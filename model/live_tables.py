"""The liveness graph's questions to the model, for the compiled builder (explorer/livegraph.py).

The compiled core (explorer/_fastcore.c, "the liveness graph") generates model/network.py's
liveness-mode successors from cached steps, as it does for the safety search. Everything that
depends on a rule or on the liveness semantics is asked here, once per key, and answered by
the same code the reference builder runs (model/liveness.py, model/network.py): whether a
node state is a leader, whether a message is campaign traffic, the timing labels, the state
flags (of the nodes and links, and per message the flags it takes away) and the normal form
of a successor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from model.core_tables import CoreTables
from model.messages import (
    M_ENTRIES,
    M_INDEX,
    M_LOG_TERM,
    M_TERM,
    M_TYPE,
    MSG_APP,
    MSG_PRE_VOTE,
    MSG_VOTE,
)
from model.node_state import LEADER, LOG, ROLE

if TYPE_CHECKING:
    from model.cluster import ClusterModel, State
    from model.liveness import Liveness



class LiveTables(CoreTables):
    """CoreTables plus the liveness questions (state arguments are decoded states)."""

    def __init__(self, model: ClusterModel, names: Sequence[str] = ()) -> None:
        super().__init__(model, names)
        assert model.live is not None, "a liveness-mode model"
        self.live: Liveness = model.live

    @property
    def fairness_keys(self) -> tuple[int, int, int, int]:
        """model/network.py's key bases: tick, timeout, heartbeat, delivery."""
        from model.network import KEY_DELIVER, KEY_HEARTBEAT, KEY_TICK, KEY_TIMEOUT

        return KEY_TICK, KEY_TIMEOUT, KEY_HEARTBEAT, KEY_DELIVER

    @property
    def max_term(self) -> int:
        return self.model.cfg.max_term

    def known_shortcut_ok(self) -> bool:
        """As `Liveness.use_known`: an explored state counts as its own normal form only if the
        initial states are within the term bound (every other explored state was checked)."""
        m = self.model
        return not any(self.live.rebase(s)[1] > m.cfg.max_term for s in m.init_states())

    def node_leader(self, start: int) -> list[int]:
        return [1 if nd[ROLE] == LEADER else 0 for nd in self.model.node_tab[start:]]

    def msg_traffic(self, start: int) -> list[int]:
        """Per message id: 1 if it is campaign traffic on a link between two nodes (it holds
        timeouts back under solo-campaigns while that link is healthy), else 0."""
        from model.liveness import _ELECTION_TRAFFIC as election

        m = self.model
        if not self.live.options.solo_campaigns:
            return [0] * (len(m.msg_tab) - start)
        return [1 if msg[0] in election and link else 0
                for msg, link in zip(m.msg_tab[start:], m.msg_link[start:], strict=True)]

    def msg_unsettling(self, start: int) -> list[int]:
        """Per message id: the state flags it takes away while in flight
        (`Liveness.unsettling`); the core clears them from the flags of the nodes and links."""
        live = self.live
        return [live.unsettling(mid) for mid in range(start, len(self.model.msg_tab))]

    def node_logs(self, start: int) -> list[tuple[int, ...]]:
        """Per node id: (log length, entry terms...), for the core's normal-form test."""
        return [(len(nd[LOG]), *nd[LOG]) for nd in self.model.node_tab[start:]]

    def msg_norm(self, start: int) -> list[tuple[int, ...]]:
        """Per message id what normalisation reads: (class: 1 MsgApp, 2 a vote or pre-vote
        request, else 0; term, log term, index, entry count, entry terms...)."""
        out = []
        for msg in self.model.msg_tab[start:]:
            kind = msg[M_TYPE]
            cls = 1 if kind == MSG_APP else 2 if kind in (MSG_VOTE, MSG_PRE_VOTE) else 0
            ents = msg[M_ENTRIES]
            out.append((cls, msg[M_TERM], msg[M_LOG_TERM], msg[M_INDEX], len(ents), *ents))
        return out

    def partition_splits(self) -> bool:
        """Whether a lasting cut splits the nodes into groups that `rebase` normalises apart
        (the core's normal-form test leaves such states to `rebase`)."""
        m = self.model
        return bool(m.net and m.partition and len(self.live._groups(m.partition)) > 1)

    # The core keeps flags and labels per key itself: Liveness's memos would only double them.
    def flags(self, st: State) -> int:
        """The flags of the nodes and links (the core then applies `msg_unsettling`)."""
        return self.live.flags(st, memo=False)

    def timeout_labels(self, st: State) -> list[int]:
        timing = self.live.timing(st, memo=False)
        return [timing.timeout(i) for i in range(self.model.n)]

    def tick_label(self, st: State, i: int) -> int:
        """Node i's tick label (its local steps are cached by then: see the core)."""
        m = self.model
        tick = m._local[st[i] * 16 + i + 1][0]
        return self.live.timing(st, memo=False).tick(i, tick)

    def rebase(self, st: State) -> tuple[Any, int, bool]:
        return self.live.rebase(st)

    # When `rebase` would only move every term down by `delta` (no index shift, the entry terms
    # below every node term consecutive), the core moves the ids itself, asking once per id.
    def shift_node(self, x: int, delta: int) -> int:
        return self.live.shift_terms(x, delta, node=True)

    def shift_msg(self, x: int, delta: int) -> int:
        return self.live.shift_terms(x, delta, node=False)
