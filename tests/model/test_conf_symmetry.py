"""Symmetry reduction with membership changes (`--conf-changes`) is exact.

The permuter below is written independently of model/symmetry.py: it decodes a state into node
tuples, messages and history, moves every node id (vote, lead, masks, conf entries in logs and
MsgApp entries, configurations, a leader's match vector by position, history records) and
encodes the result again.
"""

from __future__ import annotations

from itertools import permutations, product
from typing import Any

import pytest

from explorer.bfs import explore
from model import confchange as cc
from model.cluster import ClusterModel, State
from model.config import ClusterConfig

Perm = dict[int, int]


def _mask(m: int, p: Perm) -> int:
    out = 0
    for i in cc.ids_of(m):
        out |= 1 << (p[i] if i else 0)
    return out


def _entry(e: int, p: Perm) -> int:
    change = cc.entry_conf(e)
    if change is None:
        return e
    v2, transition, ops = change
    return cc.conf_entry(cc.entry_term(e), cc.make_change([(op, p[i]) for op, i in ops], v2,
                                                          transition))


def _log(log: tuple[int, ...], p: Perm) -> tuple[int, ...]:
    return tuple(_entry(e, p) for e in log)


def _conf(conf: tuple[int, ...], p: Perm) -> tuple[int, ...]:
    return (_mask(conf[0], p), _mask(conf[1], p), _mask(conf[2], p), _mask(conf[3], p), conf[4])


def _node(nd: tuple[Any, ...], p: Perm) -> tuple[Any, ...]:
    (term, vote, lead, role, elapsed, log, granted, rejected, active,
     commit, applied, conf, pci, match) = nd
    moved_match: tuple[int, ...] = ()
    if match:
        lst = [0] * len(match)
        for i, m in enumerate(match):
            lst[p[i + 1] - 1] = m
        moved_match = tuple(lst)
    return (term, p[vote], p[lead], role, elapsed, _log(log, p), _mask(granted, p),
            _mask(rejected, p), _mask(active, p), commit, applied, _conf(conf, p), pci,
            moved_match)


def permute(model: ClusterModel, st: State, p: Perm) -> State:
    """The state `st` with node id i renamed p[i] everywhere (p[0] == 0)."""
    nodes = model.nodes(st)
    moved = [nodes[0]] * model.n
    for i, nd in enumerate(nodes):
        moved[p[i + 1] - 1] = _node(nd, p)
    msgs = []
    for m in model.messages(st):
        lst = list(m)
        lst[1], lst[2] = p[m[1]], p[m[2]]
        lst[8] = _log(m[8], p)
        msgs.append(tuple(lst))
    h = model.history(st)
    hist: tuple[Any, ...] = (
        tuple(sorted((t, p[c]) for t, c in h[0])),
        tuple(sorted((r[0], p[r[1]], p[r[2]], *r[3:]) for r in h[1])),
        h[2],
    )
    if len(h) > 3:
        hist += (tuple(sorted((t, p[c], _conf(conf, p), *rest) for t, c, conf, *rest in h[3])),)
    return model.encode(moved, msgs, model.budgets(st), hist)


def group(cfg: ClusterConfig) -> list[Perm]:
    """Every id permutation that keeps voters, learners, spares, pending-conf nodes and each
    node a `--conf-change` spec names apart (worked out here from the configuration)."""
    named: set[int] = set()
    for spec in cfg.conf_specs:
        for part in spec.split(":", 1)[1].split("+") if spec.startswith("joint") else [spec]:
            named.add(int(part.rsplit(":", 1)[1]))
    kinds: dict[Any, list[int]] = {}
    for i in range(1, cfg.n + 1):
        kind = ("voter" if i <= cfg.voters else
                "learner" if i <= cfg.voters + cfg.learners else "spare",
                i in cfg.pending_conf, i if i in named else 0)
        kinds.setdefault(kind, []).append(i)
    classes = list(kinds.values())
    out = []
    for choice in product(*[list(permutations(c)) for c in classes]):
        p = {0: 0}
        for ids, img in zip(classes, choice, strict=True):
            p.update(zip(ids, img, strict=True))
        out.append(p)
    return out


B = dict(drop=False, conf_changes=1)
# Small configurations (each explores in well under a second on the reference engine).
CONFIGS = {
    # 3 voters + learner 4, leader 1 at the start, promote 4.
    "promote": ClusterConfig(voters=3, learners=1, start_leader=1, max_term=1, max_msgs=3,
                             conf_specs=("promote:4",), **B),
    # 2 voters + learner 3, no start leader (1 and 2 interchangeable), promote 3.
    "promote-no-leader": ClusterConfig(voters=2, learners=1, max_term=1, max_msgs=2,
                                       conf_specs=("promote:3",), **B),
    # any member may be removed (no spec: the voters are interchangeable).
    "remove": ClusterConfig(voters=2, learners=1, max_term=1, max_msgs=2,
                            conf_kinds=("remove",), **B),
    # 2 voters + 1 spare, any add (voter or learner).
    # no membership changes, leader 1 at the start (its election history must move too).
    "static-start-leader": ClusterConfig(voters=3, start_leader=1, max_term=2, max_msgs=2),
    "add-spare": ClusterConfig(voters=2, spares=1, max_term=1, max_msgs=2, conf_kinds=("add",),
                               **B),
}
# 2 voters + 1 spare, adds, removes and joint changes of two of them (V2): leave-joint entries,
# and etcd-3.4/3.5 both break ConfOneAtATime and ConfChangeApplies (etcd #12582 and the
# double leave); 114,312 states without symmetry.
JOINT_SPARE = ClusterConfig(voters=2, spares=1, max_term=1, max_msgs=2,
                            conf_kinds=("add", "remove", "joint"), conf_entry=("v2",), **B)
RULES = ("etcd-3.4", "etcd-3.5")


def _cfg(name: str, rules: str) -> ClusterConfig:
    from dataclasses import replace

    return replace(CONFIGS[name], rules=rules)


def _sample(states: list[State], k: int) -> list[State]:
    step = max(1, len(states) // k)
    return states[::step]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_classes_match_the_configuration(name: str) -> None:
    cfg = CONFIGS[name]
    model = ClusterModel(cfg)
    expected = len(group(cfg))
    got = 1
    for ids in model.symmetry.classes:
        for k in range(2, len(ids) + 1):
            got *= k
    assert got == expected


def _cases() -> list[tuple[str, ClusterConfig]]:
    return [*CONFIGS.items(), ("joint-spare", JOINT_SPARE)]


@pytest.mark.parametrize("name,cfg", _cases(), ids=[n for n, _ in _cases()])
def test_canonical_is_a_class_function(name: str, cfg: ClusterConfig) -> None:
    """canonical(p(s)) == canonical(s) for every permutation p of the classes."""
    model = ClusterModel(cfg)
    full = explore(model, keep_going=True, record_graph=True)
    perms = group(cfg)
    assert len(perms) > 1
    moved_some = False
    for st in _sample(full.states, 300):
        rep = model.canonical(st)
        for p in perms:
            q = permute(model, st, p)
            moved_some |= q != st
            assert model.canonical(q) == rep
    assert moved_some


@pytest.mark.parametrize("name,cfg", _cases(), ids=[n for n, _ in _cases()])
def test_the_classes_are_symmetries_of_the_model(name: str, cfg: ClusterConfig) -> None:
    """The successors of p(s) are p applied to the successors of s (the candidate changes
    too), so exploring representatives loses nothing."""
    model = ClusterModel(cfg)
    full = explore(model, keep_going=True, record_graph=True)
    perms = group(cfg)
    for st in _sample(full.states, 150):
        succ = {nxt for _a, nxt in model.successors(st)}
        for p in perms:
            moved = {permute(model, nxt, p) for nxt in succ}
            assert {nxt for _a, nxt in model.successors(permute(model, st, p))} == moved


# Every configuration under etcd-3.4, those with a conf entry the 3.5 guard reads under 3.5 too.
ORBIT_CASES = [(name, "etcd-3.4") for name in CONFIGS] + [
    (name, "etcd-3.5") for name in ("promote", "promote-no-leader", "add-spare")]


@pytest.mark.parametrize("name,rules", ORBIT_CASES, ids=[f"{n}-{r}" for n, r in ORBIT_CASES])
def test_same_verdicts_and_orbit_counts(name: str, rules: str) -> None:
    """Same verdict per invariant; the symmetric run has one state per orbit of the full run's
    states (orbits computed by brute force with the independent permuter)."""
    cfg = _cfg(name, rules)
    fmodel = ClusterModel(cfg)
    full = explore(fmodel, keep_going=True, record_graph=True)
    reduced = explore(ClusterModel(cfg), symmetry=True, keep_going=True)
    assert full.complete and reduced.complete
    assert full.invariants == reduced.invariants
    reached = set(full.states)
    perms = group(cfg)
    orbits: set[frozenset[State]] = set()
    for st in full.states:
        orbit = frozenset(permute(fmodel, st, p) for p in perms)
        if not cfg.start_leader:
            # One initial state, fixed by every permutation: the reachable set is closed.
            assert orbit <= reached
        orbits.add(orbit & reached)
    assert len(orbits) == reduced.distinct_states <= full.distinct_states
    assert sum(len(o) for o in orbits) == full.distinct_states
    assert reduced.distinct_states < full.distinct_states


def _assert_trace_replays(model: ClusterModel, violation: Any) -> None:
    """Every step of the trace is a successor of the state before it, from the initial
    state's representative, and the last state breaks the invariant."""
    cur = violation.init
    assert cur in [model.canonical(s) for s in model.init_states()]
    for step in violation.steps:
        assert (step.action, step.state) in model.successors(cur)
        cur = step.state
    assert violation.invariant in model.violations(cur)


@pytest.mark.parametrize("rules", RULES)
def test_joint_changes_same_verdicts_and_traces_replay(rules: str) -> None:
    from dataclasses import replace

    cfg = replace(JOINT_SPARE, rules=rules)
    model = ClusterModel(cfg)
    full = explore(ClusterModel(cfg), keep_going=True)
    reduced = explore(model, symmetry=True, keep_going=True)
    assert full.invariants == reduced.invariants
    if rules == "etcd-3.4":  # etcd #12582: a second leave entry, refused by the changer
        assert reduced.violations, "the configuration must break something for this to bite"
    assert reduced.distinct_states < full.distinct_states
    assert ({v.invariant: len(v) for v in full.violations}
            == {v.invariant: len(v) for v in reduced.violations})
    for v in reduced.violations:
        _assert_trace_replays(model, v)


# README "Membership changes": etcd-3.4 with a joint V2 change breaks QuorumOverlap (its
# campaign guard does not count the V2 entry). Nodes 1 and 2 are interchangeable.
QUORUM_OVERLAP = ClusterConfig(voters=3, spares=1, start_leader=1, max_term=2, max_msgs=3,
                               conf_kinds=("joint",), conf_specs=("joint:add:4+remove:3",),
                               rules="etcd-3.4", **B)


@pytest.mark.slow
def test_known_quorum_overlap_violation_under_symmetry() -> None:
    model = ClusterModel(QUORUM_OVERLAP)
    full = explore(ClusterModel(QUORUM_OVERLAP), only=["QuorumOverlap"])
    reduced = explore(model, symmetry=True, only=["QuorumOverlap"])
    assert full.invariants == reduced.invariants == {"QuorumOverlap": "violated"}
    assert [len(v) for v in full.violations] == [len(v) for v in reduced.violations]
    assert reduced.distinct_states < full.distinct_states
    _assert_trace_replays(model, reduced.violations[0])


def _random_state(model: ClusterModel, rnd: Any) -> State:
    """A state built at random from parts that name node ids (not necessarily reachable)."""
    n = model.n
    ids = list(range(1, n + 1))
    confs = [cc.initial_conf(3, 0), (cc.mask([1, 2]), 0, 0, 0, 0),
             (cc.mask([2, 3]), cc.mask([1, 2, 3]), 0, 0, 1),
             (cc.mask([1, 3]), 0, cc.mask([2]), 0, 0)]

    def entry() -> int:
        if rnd.random() < 0.4:
            return 1
        op = rnd.choice([cc.ADD_NODE, cc.REMOVE_NODE, cc.ADD_LEARNER])
        if rnd.random() < 0.3:
            a, b = rnd.sample(ids, 2)
            return cc.conf_entry(1, cc.make_change([(op, a), (cc.REMOVE_NODE, b)]))
        return cc.conf_entry(1, cc.make_change([(op, rnd.choice(ids))], rnd.random() < 0.5))

    def log() -> tuple[int, ...]:
        return tuple(entry() for _ in range(rnd.randint(0, 3)))

    nodes = []
    for _ in ids:
        lg = log()
        commit = rnd.randint(0, len(lg))
        match = tuple(rnd.randint(0, 2) for _ in ids) if rnd.random() < 0.5 else ()
        nodes.append((rnd.randint(1, 2), rnd.choice([0, *ids]), rnd.choice([0, *ids]),
                      rnd.randint(0, 3), 0, lg, cc.mask(rnd.sample(ids, rnd.randint(0, 2))),
                      0, 0, commit, rnd.randint(0, commit), rnd.choice(confs), 0, match))
    msgs = []
    for _ in range(rnd.randint(0, 2)):
        frm, to = rnd.sample(ids, 2)
        msgs.append((0, frm, to, 1, 0, 0, False, False, log(), 0))
    hist = ((), tuple(sorted({(1, rnd.choice(ids), rnd.choice(ids), 1, 1)})), (),
            tuple(sorted({(1, rnd.choice(ids), rnd.choice(confs)) for _ in range(2)})))
    return model.encode(nodes, msgs, None, hist)


def test_canonical_is_a_class_function_on_random_states() -> None:
    """States whose nodes' logs name different ids: a signature that read raw conf entries
    would sort the nodes of p(s) differently from those of s."""
    import random

    cfg = ClusterConfig(voters=3, max_term=2, max_msgs=2, conf_kinds=("remove", "joint"), **B)
    model = ClusterModel(cfg)
    perms = group(cfg)
    assert len(perms) == 6
    rnd = random.Random(14)
    for _ in range(400):
        st = _random_state(model, rnd)
        rep = model.canonical(st)
        for p in perms:
            assert model.canonical(permute(model, st, p)) == rep


@pytest.mark.parametrize("kinds", [("add", "remove", "promote", "demote"), ("joint",),
                                   ("remove", "joint"), ("add", "promote", "joint")])
def test_candidate_changes_are_permutation_equivariant(kinds: tuple[str, ...]) -> None:
    """Without specs, the set of changes a leader may propose moves with the ids: for every
    configuration reached by up to two changes and every permutation of the 4 ids,
    candidates(p(conf)) == p(candidates(conf)) (ops re-sorted)."""
    from model.conf_specs import candidate_changes

    n, encs = 4, ("v1", "v2")
    confs = {cc.initial_conf(2, 1)}
    for _ in range(2):
        for conf in list(confs):
            for change in candidate_changes(conf, n, kinds, (), encs):
                confs.add(cc.apply_change(conf, change))
    assert len(confs) > 3
    for conf in confs:
        got = candidate_changes(conf, n, kinds, (), encs)
        assert len(set(got)) == len(got)
        for img in permutations(range(1, n + 1)):
            p = {0: 0, **dict(zip(range(1, n + 1), img, strict=True))}
            moved = {(v2, t, tuple(sorted((op, p[i]) for op, i in ops))) for v2, t, ops in got}
            assert set(candidate_changes(_conf(conf, p), n, kinds, (), encs)) == moved
