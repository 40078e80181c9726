"""The cluster model's steps as flat tables of ints, for the compiled core (explorer/_fastcore.c).

The core never evaluates a rule: on each cache miss it calls one of these methods, which run the
same memoised Python steps that `ClusterModel.successors` uses and hand back interned ids. A step
result is `(new node id, event id or -1, term moved 0/1, *message ids sent)`; `()` is a step
that changes nothing, `None` a step that is not enabled (or breaks the term bound).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from model.node import Event
from model.node_state import TERM

if TYPE_CHECKING:
    from model.cluster import ClusterModel

KIND_NAMES = (
    "tick",
    "timeout",
    "heartbeat",
    "transfer",
    "append",
    "restart",
    "deliver",
    "drop",
    "duplicate",
    "heal",
    "split",
    "apply",
    "propose-conf",
)
_MSG_SHIFT = 22  # as model/cluster.py's delivery cache key


class CoreTables:
    """Answers the compiled core's questions about one ClusterModel."""

    def __init__(self, model: ClusterModel, names: Sequence[str]) -> None:
        self.model = model
        self.bit = {name: 1 << k for k, name in enumerate(names)}
        self._event_ix: dict[tuple[Event, ...], int] = {}
        self._events: list[tuple[Event, ...]] = []
        self.kind_names = KIND_NAMES

    @property
    def layout(self) -> tuple[int, int, int, bool]:
        """(nodes, budget words, message slots, drops enabled)."""
        m = self.model
        return m.n, m.hist_pos - m.n, m.cfg.max_msgs, bool(m.cfg.drop)

    @property
    def network(self) -> tuple[int, int, int] | None:
        """None without a network; else (budget word of the heal/split budget, budget word of
        the cut links, the partition's link mask). The core keeps the cut word as 0/1: links
        are cut all together, so the mask in a state is 0 or the partition's."""
        from model.cluster import NET_BUDGET, NET_CUT

        m = self.model
        return (NET_BUDGET, NET_CUT, m.partition) if m.net else None

    @property
    def conf_budget(self) -> int:
        """The budget word of the conf-change budget, or -1 without membership changes."""
        return self.model.budget_conf

    def _event_id(self, events: tuple[Event, ...]) -> int:
        if not events:
            return -1
        ix = self._event_ix.get(events)
        if ix is None:
            ix = self._event_ix[events] = len(self._events)
            self._events.append(events)
        return ix

    def _flat(self, res: Any) -> tuple[int, ...] | None:
        from model.cluster import _NOOP

        if res is None:
            return None
        if res is _NOOP:
            return ()
        new_ix, outs, events, moved = res
        return (new_ix, self._event_id(events), int(moved), *outs)

    # -- called by the core -----------------------------------------------------------------

    def local(self, nix: int, nid: int) -> tuple[Any, ...]:
        m = self.model
        key = nix * 16 + nid
        loc = m._local.get(key)
        if loc is None:
            loc = m._local[key] = m._local_steps(nid, nix)
        tick, timeout, leader, restart = loc
        beat = transfers = append = None
        if leader is not None:
            beat_res, trs, app = leader
            beat = self._flat(beat_res)
            transfers = [(to, self._flat(res)) for to, res in trs]
            append = self._flat(app)
        out = (self._flat(tick), self._flat(timeout), beat, transfers, append, self._flat(restart))
        if not m.conf_on:
            return out
        # Membership changes: (apply, [(budgeted 0/1, proposal), ...]), in _conf_moves' order.
        from model.confchange import leaves_joint

        apply, proposals = m.conf_steps(nid, nix)
        props = [(0 if leaves_joint(change) else 1, self._flat(res)) for change, res in proposals]
        return (*out, self._flat(apply), props)

    def deliver(self, nix: int, mid: int) -> tuple[int, ...] | None:
        m = self.model
        key = (nix << _MSG_SHIFT) | mid
        cache = m._deliver
        if key in cache:
            res = cache[key]
        else:
            nd = m.node_tab[nix]
            to = m.msg_to[mid]
            res = cache[key] = m._finish(nd, m.logic.step(to, nd, m.msg_tab[mid]))
        return self._flat(res)

    def hist_after(self, hix: int, ev: int) -> int:
        return self.model._hist_after(hix, self._events[ev])

    def event_campaigns(self, start: int) -> list[int]:
        """Per event id from `start`: 1 if the events start a campaign (membership changes:
        their history goes through `campaign_landing`)."""
        return [int(any(e[0] == "campaign" for e in evs)) for evs in self._events[start:]]

    def node_log_keys(self, start: int) -> list[int]:
        return [self.model.log_key(nix) for nix in range(start, len(self.model.node_tab))]

    def campaign_landing(self, hix: int, ev: int, keys: tuple[int, ...]) -> int:
        return self.model.campaign_landing(hix, self._events[ev], keys)

    def forget(self, hix: int, low: int) -> int:
        return self.model._forget(hix, low)

    def node_terms(self, start: int) -> list[int]:
        return [nd[TERM] for nd in self.model.node_tab[start:]]

    def msg_to(self, start: int) -> list[int]:
        return self.model.msg_to[start:]

    def msg_net(self, start: int) -> list[int]:
        """Per message id: 1 if it travels on a link the partition cuts, 2 if on a lossy one."""
        m = self.model
        return [(1 if link & m.partition else 0) | (2 if link & m.lossy else 0)
                for link in m.msg_link[start:]]

    def hist_flags(self, hix: int, _unused: int) -> int:
        bits = 0
        for name in self.model.hist_bad[hix]:
            bits |= self.bit.get(name, 0)
        return bits

    # symmetry (model/symmetry.py does the work)

    def plan(self, key: tuple[int, ...]) -> list[tuple[int, tuple[int, ...]]]:
        return self.model.symmetry.plan(key)

    def move_msg(self, pix: int, mid: int) -> int:
        return self.model.symmetry.move_msg(pix, mid)

    def move_hist(self, pix: int, hix: int) -> int:
        return self.model.symmetry.move_hist(pix, hix)

    # checkpoints (explorer/checkpoint.py) -----------------------------------------------------

    def settings(self) -> dict[str, str]:
        """Everything about the model that decides what is explored, as readable strings: a
        checkpoint may only be resumed by a model with the same settings."""
        cfg = self.model.cfg
        out: dict[str, str] = {}
        for f in fields(cfg):
            value = getattr(cfg, f.name)
            if isinstance(value, frozenset):
                value = sorted(value)
            out[f.name] = repr(value)
        out["rule_set"] = self.model.rules.name
        return out

    def interning(self) -> dict[str, list[Any]]:
        """The interned node states, messages and histories, in id order: the ids in the
        core's packed states mean these values."""
        m = self.model
        return {
            "nodes": list(m.node_tab),
            "messages": list(m.msg_tab),
            "histories": list(m.hist_tab),
        }

    def restore_interning(self, saved: dict[str, list[Any]]) -> None:
        """Intern the saved values again, in order, so that every id means what it meant when
        the checkpoint was written (and new values get the ids an uninterrupted run gives)."""
        m = self.model
        for values, intern in (
            (saved["nodes"], m.node_id),
            (saved["messages"], m.msg_id),
            (saved["histories"], m.hist_id),
        ):
            for ix, value in enumerate(values):
                if intern(value) != ix:
                    raise ValueError("the model has already interned other values")
