"""Exact symmetry reduction: node ids of the same kind are interchangeable.

Two nodes may swap ids when they have the same static attributes (voter or learner, pending
config change or not). The representative of a state is the smallest encoding among the
permutations that sort each such class by an id-free signature of the node; ties are broken by
trying every order of the tied nodes. Because the set of sorting permutations of `p(s)` is the
set of sorting permutations of `s` composed with `p^-1`, every state of an orbit gets the same
representative, so no state is lost and counts are exact orbit counts.
"""

from __future__ import annotations

from itertools import permutations, product
from typing import TYPE_CHECKING, Any

from model.messages import M_FROM, M_TO
from model.node_state import ACTIVE, GRANTED, LEAD, REJECTED, VOTE

if TYPE_CHECKING:
    from model.cluster import ClusterModel, History, State


class Symmetry:
    def __init__(self, model: ClusterModel) -> None:
        self.model = model
        cfg = model.cfg
        n = model.n
        classes: dict[tuple[bool, bool], list[int]] = {}
        for nid in range(1, n + 1):
            classes.setdefault((nid > cfg.voters, nid in cfg.pending_conf), []).append(nid)
        self.classes = [ids for ids in classes.values() if len(ids) > 1]
        self.n = n
        self._perm_ix: dict[tuple[int, ...], int] = {}
        self._perms: list[tuple[int, ...]] = []
        self._mask_tabs: list[list[int]] = []
        self._plans: dict[tuple[int, ...], list[tuple[int, tuple[int, ...]]]] = {}
        self._msg_cache: dict[int, int] = {}
        self._hist_cache: dict[int, int] = {}
        self._sig: dict[int, Any] = {}

    def _perm(self, p: tuple[int, ...]) -> int:
        ix = self._perm_ix.get(p)
        if ix is None:
            ix = self._perm_ix[p] = len(self._perms)
            self._perms.append(p)
            size = 1 << (self.n + 1)
            tab = []
            for mask in range(size):
                out = 0
                for i in range(1, self.n + 1):
                    if (mask >> i) & 1:
                        out |= 1 << p[i]
                tab.append(out)
            self._mask_tabs.append(tab)
        return ix

    def _signature(self, nix: int, nid: int) -> Any:
        key = nix * 16 + nid
        sig = self._sig.get(key)
        if sig is None:
            nd = self.model.node_tab[nix]
            sig = self._sig[key] = (
                nd[0],
                nd[3],
                nd[4],
                nd[5],
                nd[VOTE] == 0,
                nd[VOTE] == nid,
                nd[LEAD] == 0,
                nd[LEAD] == nid,
                nd[GRANTED].bit_count(),
                nd[REJECTED].bit_count(),
                nd[ACTIVE].bit_count(),
            )
        return sig

    def plan(self, key: tuple[int, ...]) -> list[tuple[int, tuple[int, ...]]]:
        """The sorting permutations for states whose nodes are `key` (cached)."""
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan(key)
        return plan

    def move_msg(self, pix: int, mid: int) -> int:
        """The id of message `mid` with its node ids permuted by permutation `pix`."""
        key = (pix << 24) | mid
        new = self._msg_cache.get(key)
        if new is None:
            p = self._perms[pix]
            m = self.model.msg_tab[mid]
            moved_m = m[:M_FROM] + (p[m[M_FROM]], p[m[M_TO]]) + m[M_TO + 1 :]
            new = self._msg_cache[key] = self.model.msg_id(moved_m)  # type: ignore[arg-type]
        return new

    def move_hist(self, pix: int, hix: int) -> int:
        """The id of history `hix` with its node ids permuted by permutation `pix`."""
        hkey = (pix << 24) | hix
        cached = self._hist_cache.get(hkey)
        if cached is None:
            moved_h = self._move_hist(self.model.hist_tab[hix], self._perms[pix])
            cached = self._hist_cache[hkey] = self.model.hist_id(moved_h)
        return cached

    def canonical(self, st: State) -> State:
        n = self.n
        key = st[:n]
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan(key)
        if not plan:
            return st
        if len(plan) == 1:
            return self._apply(st, *plan[0])
        return min(self._apply(st, pix, nodes) for pix, nodes in plan)

    def _plan(self, key: tuple[int, ...]) -> list[tuple[int, tuple[int, ...]]]:
        """The permutations to try for states whose nodes are `key`, with the permuted nodes.

        Empty when the identity is the only sorting permutation.
        """
        per_class = []
        trivial = True
        for ids in self.classes:
            keyed = sorted(ids, key=lambda nid: self._signature(key[nid - 1], nid))
            groups: list[list[int]] = []
            last = None
            for nid in keyed:
                sig = self._signature(key[nid - 1], nid)
                if groups and sig == last:
                    groups[-1].append(nid)
                else:
                    groups.append([nid])
                last = sig
            if any(len(g) > 1 for g in groups):
                trivial = False
                orders = product(*[list(map(list, permutations(g))) for g in groups])
                per_class.append([sum(combo, []) for combo in orders])
            else:
                per_class.append([keyed])
                if keyed != ids:
                    trivial = False
        if trivial:
            return []
        plan = []
        for choice in product(*per_class):
            p = list(range(self.n + 1))
            for ids, order in zip(self.classes, choice, strict=True):
                # The node at sorted position k gets the k-th id of its class.
                for target, nid in zip(ids, order, strict=True):
                    p[nid] = target
            pix = self._perm(tuple(p))
            plan.append((pix, self._move_nodes(key, pix)))
        return plan

    def _move_nodes(self, key: tuple[int, ...], pix: int) -> tuple[int, ...]:
        model = self.model
        p = self._perms[pix]
        tab = self._mask_tabs[pix]
        nodes = [0] * self.n
        for i, nix in enumerate(key):
            nd = model.node_tab[nix]
            moved = (
                nd[0],
                p[nd[VOTE]],
                p[nd[LEAD]],
                nd[3],
                nd[4],
                nd[5],
                tab[nd[GRANTED]],
                tab[nd[REJECTED]],
                tab[nd[ACTIVE]],
            ) + nd[9:]  # membership fields: constant, and the same within a class
            nodes[p[i + 1] - 1] = model.node_id(moved)
        return tuple(nodes)

    def _apply(self, st: State, pix: int, nodes: tuple[int, ...]) -> State:
        model = self.model
        hp = model.hist_pos
        msg_cache = self._msg_cache
        mids = []
        for mid in st[hp + 1 :]:
            new = msg_cache.get((pix << 24) | mid)
            mids.append(self.move_msg(pix, mid) if new is None else new)
        mids.sort()
        hix = st[hp]
        h_new = self.move_hist(pix, hix) if hix else hix
        return nodes + st[self.n : hp] + (h_new,) + tuple(mids)

    @staticmethod
    def _move_hist(h: History, p: tuple[int, ...]) -> History:
        elected = tuple(sorted((t, p[c]) for t, c in h[0]))
        ledger = tuple(sorted((r[0], p[r[1]], p[r[2]]) + tuple(r[3:]) for r in h[1]))
        return (elected, ledger, h[2])
