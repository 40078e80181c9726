"""Exact symmetry reduction: node ids of the same kind are interchangeable.

Two nodes may swap ids when they have the same static attributes (voter or learner, pending
config change or not; with membership changes also spare or not, and a node named in a
`--conf-change` spec is a class of its own). The representative of a state is the smallest
encoding among the permutations that sort each such class by an id-free signature of the node;
ties are broken by trying every order of the tied nodes. Because the set of sorting
permutations of `p(s)` is the set of sorting permutations of `s` composed with `p^-1`, every
state of an orbit gets the same representative, so no state is lost and counts are exact orbit
counts. History id 0 is the empty history (model/cluster.py interns it first), which no
permutation moves.

With membership changes node ids also live in conf log entries (in node logs and in MsgApp
entries), in the configuration masks, in a leader's match vector (by position) and in the
history's campaign records; a permutation moves all of them. A conf entry's ops are kept sorted,
as every proposed change has them (their nodes are distinct, so their order does not matter).
"""

from __future__ import annotations

from itertools import permutations, product
from typing import TYPE_CHECKING, Any

from model.confchange import conf_entry, entry_conf, entry_term, is_conf_entry
from model.messages import M_ENTRIES, M_FROM, M_TO
from model.node_state import (
    ACTIVE,
    APPLIED,
    COMMIT,
    CONF,
    GRANTED,
    LEAD,
    LOG,
    MATCH,
    PENDING_CONF_INDEX,
    REJECTED,
    VOTE,
)

if TYPE_CHECKING:
    from model.cluster import ClusterModel, History, State


class Symmetry:
    def __init__(self, model: ClusterModel) -> None:
        self.model = model
        cfg = model.cfg
        n = model.n
        self.conf_on = model.conf_on
        named = {nid for change in model.conf_specs for _op, nid in change[2]}
        classes: dict[tuple[Any, ...], list[int]] = {}
        for nid in range(1, n + 1):
            kind: tuple[Any, ...] = (nid > cfg.voters, nid in cfg.pending_conf)
            if self.conf_on:
                # A spare starts outside every configuration; a node a spec names is itself.
                kind += (nid > cfg.voters + cfg.learners, nid if nid in named else 0)
            classes.setdefault(kind, []).append(nid)
        # The static class of each id (index 0 unused), for id-free signatures.
        self.class_of = [0] * (n + 1)
        for k, ids in enumerate(classes.values()):
            for nid in ids:
                self.class_of[nid] = k
        self.nclasses = len(classes)
        self.classes = [ids for ids in classes.values() if len(ids) > 1]
        self.n = n
        self._entry_cache: dict[tuple[int, int], int] = {}
        self._log_cache: dict[tuple[int, tuple[int, ...]], tuple[int, ...]] = {}
        self._conf_cache: dict[tuple[int, tuple[int, ...]], tuple[int, ...]] = {}
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
            sig = (
                nd[0],
                nd[3],
                nd[4],
                # With membership changes the log names ids: its id-free form is below.
                () if self.conf_on else nd[5],
                nd[VOTE] == 0,
                nd[VOTE] == nid,
                nd[LEAD] == 0,
                nd[LEAD] == nid,
                nd[GRANTED].bit_count(),
                nd[REJECTED].bit_count(),
                nd[ACTIVE].bit_count(),
            )
            if self.conf_on:
                sig += self._conf_signature(nd, nid)
            self._sig[key] = sig
        return sig

    def _mask_sig(self, m: int, nid: int) -> tuple[int, ...]:
        """A mask, id-free: whether it holds `nid`, then how many ids of each static class."""
        counts = [(m >> nid) & 1] + [0] * self.nclasses
        class_of = self.class_of
        for i in range(1, self.n + 1):
            if (m >> i) & 1:
                counts[1 + class_of[i]] += 1
        return tuple(counts)

    def _conf_signature(self, nd: Any, nid: int) -> tuple[Any, ...]:
        """The membership fields of node `nid`, id-free: unchanged by any class-preserving
        permutation applied to both the node state and `nid`."""
        class_of = self.class_of
        log: list[tuple[Any, ...]] = []
        for e in nd[LOG]:
            cc = entry_conf(e)
            if cc is None:
                log.append((e,))
                continue
            v2, transition, ops = cc
            log.append((entry_term(e), int(v2), transition,
                        tuple(sorted((op, i == nid, class_of[i]) for op, i in ops))))
        conf = nd[CONF]
        match = nd[MATCH]
        return (
            nd[COMMIT],
            nd[APPLIED],
            nd[PENDING_CONF_INDEX],
            tuple(log),
            tuple(self._mask_sig(m, nid) for m in conf[:4]),
            conf[4],
            (match[nid - 1], tuple(sorted(match))) if match else (),
        )

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
            if self.conf_on and m[M_ENTRIES]:
                moved_m = (moved_m[:M_ENTRIES] + (self._move_log(pix, m[M_ENTRIES]),)
                           + moved_m[M_ENTRIES + 1 :])
            new = self._msg_cache[key] = self.model.msg_id(moved_m)  # type: ignore[arg-type]
        return new

    def move_hist(self, pix: int, hix: int) -> int:
        """The id of history `hix` with its node ids permuted by permutation `pix`."""
        hkey = (pix << 24) | hix
        cached = self._hist_cache.get(hkey)
        if cached is None:
            moved_h = self._move_hist(self.model.hist_tab[hix], pix)
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
            if self.conf_on:
                nodes[p[i + 1] - 1] = model.node_id(self._move_conf_node(nd, pix))
                continue
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

    def _move_hist(self, h: History, pix: int) -> History:
        p = self._perms[pix]
        elected = tuple(sorted((t, p[c]) for t, c in h[0]))
        ledger = tuple(sorted((r[0], p[r[1]], p[r[2]]) + tuple(r[3:]) for r in h[1]))
        if len(h) > 3:
            # Campaign records (term, id, conf, log key) of the membership-change history.
            campaigns = tuple(sorted((c[0], p[c[1]], self._move_conf(pix, c[2])) + c[3:]
                                     for c in h[3]))
            return (elected, ledger, h[2], campaigns)
        return (elected, ledger, h[2])

    # -- membership changes: ids in entries, configurations and match vectors ------------------

    def _move_conf_node(self, nd: Any, pix: int) -> tuple[Any, ...]:
        p = self._perms[pix]
        tab = self._mask_tabs[pix]
        match = nd[MATCH]
        if match:
            moved_match = [0] * len(match)
            for i, m in enumerate(match):
                moved_match[p[i + 1] - 1] = m
            match = tuple(moved_match)
        return (
            nd[0],
            p[nd[VOTE]],
            p[nd[LEAD]],
            nd[3],
            nd[4],
            self._move_log(pix, nd[LOG]),
            tab[nd[GRANTED]],
            tab[nd[REJECTED]],
            tab[nd[ACTIVE]],
            nd[COMMIT],
            nd[APPLIED],
            self._move_conf(pix, nd[CONF]),
            nd[PENDING_CONF_INDEX],
            match,
        )

    def _move_conf(self, pix: int, conf: tuple[int, ...]) -> tuple[int, ...]:
        key = (pix, conf)
        out = self._conf_cache.get(key)
        if out is None:
            tab = self._mask_tabs[pix]
            out = self._conf_cache[key] = (
                tab[conf[0]], tab[conf[1]], tab[conf[2]], tab[conf[3]], conf[4]
            )
        return out

    def _move_log(self, pix: int, log: tuple[int, ...]) -> tuple[int, ...]:
        key = (pix, log)
        out = self._log_cache.get(key)
        if out is None:
            out = self._log_cache[key] = tuple(
                self._move_entry(pix, e) if is_conf_entry(e) else e for e in log
            )
        return out

    def _move_entry(self, pix: int, e: int) -> int:
        """A conf entry with the ids of its ops permuted (ops re-sorted, as proposed)."""
        key = (pix, e)
        out = self._entry_cache.get(key)
        if out is None:
            p = self._perms[pix]
            cc = entry_conf(e)
            assert cc is not None
            v2, transition, ops = cc
            moved = (v2, transition, tuple(sorted((op, p[i]) for op, i in ops)))
            out = self._entry_cache[key] = conf_entry(entry_term(e), moved)
        return out
