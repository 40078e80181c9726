"""The liveness graph's questions to the model, for the compiled builder (explorer/livegraph.py).

The compiled core (explorer/_fastcore.c, "the liveness graph") generates model/network.py's
liveness-mode successors from cached steps, as it does for the safety search. Everything that
depends on a rule or on the liveness semantics is asked here, once per key, and answered by
the same code the reference builder runs (model/liveness.py, model/network.py): whether a
node state is a leader, whether a message is campaign traffic, the timing labels, the state
flags and the normal form of a successor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from model.core_tables import CoreTables
from model.node_state import LEADER, ROLE

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

    def flags(self, st: State) -> int:
        return self.live.flags(st)

    def timeout_labels(self, st: State) -> list[int]:
        timing = self.live.timing(st)
        return [timing.timeout(i) for i in range(self.model.n)]

    def tick_label(self, st: State, i: int) -> int:
        """Node i's tick label (its local steps are cached by then: see the core)."""
        m = self.model
        tick = m._local[st[i] * 16 + i + 1][0]
        return self.live.timing(st).tick(i, tick)

    def rebase(self, st: State) -> tuple[Any, int, bool]:
        return self.live.rebase(st)
