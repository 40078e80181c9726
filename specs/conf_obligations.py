"""Proof obligations for membership changes (issue 14): simple changes, the joint phase, and
the joint committed index. specs/OBLIGATIONS.md states each one.

They run on the rule set's own functions, like specs/obligations.py: `tally_votes` and
`joint_vote_result` on Z3 terms, `committed_index` (when the rule set has one) and the
configuration changer evaluated on every input of a bounded domain. A rule set without a
membership rule is checked against etcd's function (quorum/joint.go, quorum/majority.go,
confchange/confchange.go), which `model.rules` and `model.confchange` are expected to equal.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from typing import Any

import z3

from model.node_state import ids_of
from model.rules import RuleSet, VoteResult
from specs.symbolic import Problem, Sym, mask_var, popcount, value

WON = int(VoteResult.WON)
LOST = int(VoteResult.LOST)
PENDING = int(VoteResult.PENDING)
MAX_CONF_IDS = 7  # configurations of up to 7 node ids (Z3 parts, and the changer enumeration)
COMMIT_IDS = 4  # joint committed index: every membership of 4 ids, every match vector 0..3
COMMIT_MAX_INDEX = 3
NO_LIMIT = 1 << 62  # majority.go CommittedIndex of an empty half: math.MaxUint64

# raftpb ConfChangeType numbers (model/confchange.py uses the same values).
ADD_NODE, REMOVE_NODE, ADD_LEARNER = 0, 1, 3
OP_NAMES = {ADD_NODE: "add voter", REMOVE_NODE: "remove", ADD_LEARNER: "add learner"}

Counterexample = dict[str, Any]
# (voters, learners) masks of a configuration that is not joint, and one simple change.
SimpleConf = tuple[int, int]
Changer = Callable[[SimpleConf, int, int], SimpleConf | None]


# -- etcd's functions, used when the rule set (or model/) does not define its own -------------


def etcd_joint_vote_result(incoming: int, outgoing: int) -> int:
    """quorum/joint.go VoteResult: both halves' results equal, else lost if either lost."""
    if incoming == outgoing:
        return incoming
    if incoming == LOST or outgoing == LOST:
        return LOST
    return PENDING


def etcd_committed_index(voters: int, match: Sequence[int], q: Callable[[int], int]) -> int:
    """quorum/majority.go CommittedIndex: the q-th largest match index among the voters
    (`match[i - 1]` is id i's), math.MaxUint64 for no voters."""
    acked = sorted((match[i - 1] for i in ids_of(voters)), reverse=True)
    if not acked:
        return NO_LIMIT
    need = q(len(acked))
    if need <= 0:
        return NO_LIMIT
    return acked[need - 1] if need <= len(acked) else 0


def etcd_simple_change(conf: SimpleConf, op: int, node: int) -> SimpleConf | None:
    """confchange.Changer.Simple on a configuration that is not joint (None: refused).

    makeVoter / remove / makeLearner on one id, then refused if the incoming voters changed in
    more than one id (never here: one op) or if no voter is left ("removed all voters")."""
    voters, learners = conf
    bit = 1 << node
    if op == ADD_NODE:
        voters, learners = voters | bit, learners & ~bit
    elif op == REMOVE_NODE:
        voters, learners = voters & ~bit, learners & ~bit
    elif op == ADD_LEARNER:
        voters, learners = voters & ~bit, learners | bit
    else:
        return None
    if bin(voters ^ conf[0]).count("1") > 1 or voters == 0:
        return None
    return voters, learners


def _model_changer() -> Changer:
    """model/confchange.py's Changer.Simple (on a configuration that is not joint) when model/
    has it, etcd's otherwise."""
    try:
        from model import confchange  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return etcd_simple_change
    simple = getattr(confchange, "simple", None)
    error = getattr(confchange, "ConfChangeError", None)
    if not callable(simple) or error is None:
        return etcd_simple_change

    def change(conf: SimpleConf, op: int, node: int) -> SimpleConf | None:
        try:
            new = simple((conf[0], 0, conf[1], 0, 0), ((op, node),))
        except error:
            return None
        return new[0], new[2]

    return change


def joint_vote_result_of(rules: RuleSet) -> Callable[[Any, Any], Any]:
    """The rule set's joint_vote_result, etcd's when it has none."""
    fn = getattr(rules, "joint_vote_result", None)
    return fn if callable(fn) else etcd_joint_vote_result


JointCommitted = Callable[[int, int, tuple[int, ...]], int]


def _joint_committed(rules: RuleSet) -> tuple[str, JointCommitted]:
    """The joint committed index the model uses: the rule set's `committed_index` per half
    (with its quorum) when it has one, else model/confchange.py's joint_committed_index, else
    etcd's with the rule set's quorum."""
    per_half = getattr(rules, "committed_index", None)
    if callable(per_half):
        return "rules.committed_index", lambda i, o, m: min(per_half(i, m, rules.quorum),
                                                            per_half(o, m, rules.quorum))
    try:
        from model import confchange  # type: ignore[attr-defined,unused-ignore]

        joint = getattr(confchange, "joint_committed_index", None)
    except ImportError:
        joint = None
    if callable(joint):
        return "model.confchange.joint_committed_index", lambda i, o, m: joint((i, o, 0, 0, 0), m)
    return "etcd CommittedIndex", lambda i, o, m: min(etcd_committed_index(i, m, rules.quorum),
                                                       etcd_committed_index(o, m, rules.quorum))


# -- helpers --------------------------------------------------------------------------------


def _ids(lo: int, hi: int) -> int:
    return sum(1 << i for i in range(lo, hi + 1))


def _sub(a: Sym, b: Sym | int) -> z3.BoolRef:
    d = a & ~b
    assert isinstance(d, Sym)
    return d.e == 0


def _none(a: Sym) -> z3.BoolRef:
    return a.e == 0


def _result_of(x: Any) -> z3.BitVecRef:
    return x.e if isinstance(x, Sym) else z3.BitVecVal(int(x), 16)


class _Quorums:
    """Symbolic records (granted, rejected) and the rule set's verdicts on them."""

    def __init__(self, rules: RuleSet, p: Problem, m: int) -> None:
        self.rules, self.p, self.m = rules, p, m
        self.everyone = _ids(1, m)
        self.learners_answer = rules.learner_answers_votes()
        self._n = 0

    def record(self, voters: Sym) -> tuple[Sym, Sym]:
        """A record of a campaign in a configuration whose voters are `voters`: voters answer,
        other ids (learners) too when the rule set lets learners answer."""
        self._n += 1
        g, _ = mask_var(f"granted{self._n}", self.m)
        r, _ = mask_var(f"rejected{self._n}", self.m)
        self.p.add((g & r).e == 0)
        if not self.learners_answer:
            self.p.add(_sub(g, voters), _sub(r, voters))
        return g, r

    def tally(self, voters: Sym, g: Sym, r: Sym) -> Any:
        return self.p.call(self.rules.tally_votes, voters, g, r, self.rules.quorum)

    def won(self, voters: Sym, g: Sym, r: Sym) -> tuple[z3.BoolRef, Any]:
        t = self.tally(voters, g, r)
        return _result_of(t) == WON, t

    def joint_won(self, incoming: Sym, outgoing: Sym, g: Sym, r: Sym) -> tuple[z3.BoolRef, Any]:
        t = self.p.call(joint_vote_result_of(self.rules), self.tally(incoming, g, r),
                        self.tally(outgoing, g, r))
        return _result_of(t) == WON, t


def _smallest(query: Callable[[int], Counterexample | None], hi: int) -> Counterexample | None:
    """The counterexample over the fewest ids, if the query over hi ids has one."""
    if query(hi) is None:
        return None
    for m in range(1, hi + 1):
        cex = query(m)
        if cex is not None:
            return cex
    return None  # pragma: no cover - the query over hi ids had one


def _vr(model: z3.ModelRef, t: Any) -> str:
    return VoteResult(value(model, t) if isinstance(t, Sym) else int(t)).name


# -- (a) a simple change keeps quorums intersecting ---------------------------------------------


def _changer_cex(changer: Changer, max_ids: int) -> Counterexample | None:
    """Every configuration (voters, learners) of up to max_ids ids, every one-op change: the
    changer accepts only changes whose voter sets differ in at most one id, leaving a voter."""
    for m in range(1, max_ids + 1):
        for roles in itertools.product((0, 1, 2), repeat=m):  # 0 out, 1 voter, 2 learner
            voters = sum(1 << (i + 1) for i, x in enumerate(roles) if x == 1)
            learners = sum(1 << (i + 1) for i, x in enumerate(roles) if x == 2)
            if voters == 0 or roles[-1] == 0:  # id m in it: each configuration once
                continue
            for node in range(1, m + 2):  # ids of the configuration and one outside it
                for op in (ADD_NODE, REMOVE_NODE, ADD_LEARNER):
                    new = changer((voters, learners), op, node)
                    if new is None:
                        continue
                    if (new[0] ^ voters).bit_count() > 1 or new[0] == 0:
                        return {
                            "part": "the changer accepts a simple change that is not simple",
                            "voters": ids_of(voters),
                            "learners": ids_of(learners),
                            "change": f"{OP_NAMES[op]} {node}",
                            "new_voters": ids_of(new[0]),
                            "new_learners": ids_of(new[1]),
                        }
    return None


def _simple_query(rules: RuleSet, m: int, changed: int) -> Counterexample | None:
    """Old and new voter sets over ids 1..m that differ in exactly `changed` ids (at most one
    when changed == 1), with a WON record in each sharing no voter of both."""
    p = Problem()
    old, _ = mask_var("old_voters", m)
    new, _ = mask_var("new_voters", m)
    p.add(old.e != 0, new.e != 0)
    diff = popcount(old ^ new)
    p.add(z3.ULE(diff, 1) if changed == 1 else diff == changed)
    qs = _Quorums(rules, p, m)
    g1, r1 = qs.record(old)
    g2, r2 = qs.record(new)
    won1, t1 = qs.won(old, g1, r1)
    won2, t2 = qs.won(new, g2, r2)
    p.add(won1, won2, _none(g1 & g2 & old & new))
    model = p.find()
    if model is None:
        return None
    o, n = value(model, old), value(model, new)
    return {
        "old_voters": ids_of(o),
        "new_voters": ids_of(n),
        "changed": ids_of(o ^ n),
        "quorum_old": rules.quorum(o.bit_count()),
        "quorum_new": rules.quorum(n.bit_count()),
        "old_granted": ids_of(value(model, g1)),
        "old_rejected": ids_of(value(model, r1)),
        "old_result": _vr(model, t1),
        "new_granted": ids_of(value(model, g2)),
        "new_rejected": ids_of(value(model, r2)),
        "new_result": _vr(model, t2),
    }


def two_voter_change_counterexample(rules: RuleSet, max_ids: int = MAX_CONF_IDS
                                    ) -> Counterexample | None:
    """The smallest change of two voters at once (no joint phase) whose old and new
    configurations have disjoint quorums: why etcd's Simple refuses it."""
    return _smallest(lambda m: _simple_query(rules, m, 2), max_ids)


def conf_change_overlap(rules: RuleSet, max_voters: int) -> tuple[Counterexample | None,
                                                                   Counterexample | None]:
    """(counterexample, witness): the witness is the two-voter change without a joint phase."""
    ids = min(max_voters, MAX_CONF_IDS)
    cex = _changer_cex(_model_changer(), ids)
    if cex is None:
        cex = _smallest(lambda m: _simple_query(rules, m, 1), ids)
        if cex is not None:
            cex = {"part": "a simple change whose old and new quorums are disjoint", **cex}
    witness = None
    if cex is None:
        witness = two_voter_change_counterexample(rules, ids)
        if witness is not None:
            witness = {"part": "two voters changed at once, without the joint phase", **witness}
    return cex, witness


# -- (b) the joint phase ----------------------------------------------------------------------


def _joint_phase_query(rules: RuleSet, m: int, step: str) -> Counterexample | None:
    """step 'enter': C_old vs C_new∧C_old; step 'leave': C_new∧C_old vs C_new (joint: incoming
    C_new, outgoing C_old, as confchange.EnterJoint builds it)."""
    p = Problem()
    old, _ = mask_var("old_voters", m)
    new, _ = mask_var("new_voters", m)
    p.add(old.e != 0, new.e != 0)
    qs = _Quorums(rules, p, m)
    both = old | new
    g_j, r_j = qs.record(both)
    joint_won, t_j = qs.joint_won(new, old, g_j, r_j)
    single = old if step == "enter" else new
    g_s, r_s = qs.record(single)
    single_won, t_s = qs.won(single, g_s, r_s)
    p.add(joint_won, single_won, _none(g_j & g_s & single))
    model = p.find()
    if model is None:
        return None
    o, n = value(model, old), value(model, new)
    name = "old" if step == "enter" else "new"
    return {
        "part": "C_old and C_old∧C_new quorums disjoint" if step == "enter"
        else "C_old∧C_new and C_new quorums disjoint",
        "old_voters": ids_of(o),
        "new_voters": ids_of(n),
        "joint_granted": ids_of(value(model, g_j)),
        "joint_rejected": ids_of(value(model, r_j)),
        "joint_result": _vr(model, t_j),
        f"{name}_granted": ids_of(value(model, g_s)),
        f"{name}_rejected": ids_of(value(model, r_s)),
        f"{name}_result": _vr(model, t_s),
    }


def joint_phase_overlap(rules: RuleSet, max_voters: int) -> Counterexample | None:
    ids = min(max_voters, MAX_CONF_IDS)
    for step in ("enter", "leave"):
        cex = _smallest(lambda m, s=step: _joint_phase_query(rules, m, s), ids)  # type: ignore[misc]
        if cex is not None:
            return cex
    return None


# -- (c) the joint committed index -----------------------------------------------------------


def joint_committed_index(rules: RuleSet, max_voters: int) -> Counterexample | None:
    """quorum/joint.go CommittedIndex = min of the halves' (majority.go) committed indexes;
    for every membership of up to COMMIT_IDS ids (incoming non-empty) and every match vector
    with indexes 0..COMMIT_MAX_INDEX, a strict majority of each non-empty half holds it."""
    source, committed = _joint_committed(rules)
    ids = min(max_voters, COMMIT_IDS)
    for m in range(1, ids + 1):
        for where in itertools.product(range(4), repeat=m):  # 0 none, 1 in, 2 out, 3 both
            if where[-1] == 0:
                continue
            inc = sum(1 << (i + 1) for i, w in enumerate(where) if w & 1)
            out = sum(1 << (i + 1) for i, w in enumerate(where) if w & 2)
            if inc == 0:
                continue
            members = [i + 1 for i, w in enumerate(where) if w]
            for vals in itertools.product(range(COMMIT_MAX_INDEX + 1), repeat=len(members)):
                match = [0] * m
                for i, v in zip(members, vals, strict=True):
                    match[i - 1] = v
                c = committed(inc, out, tuple(match))
                for half in (inc, out):
                    h = ids_of(half)
                    if h and 2 * sum(match[i - 1] >= c for i in h) <= len(h):
                        return {
                            "incoming": ids_of(inc),
                            "outgoing": ids_of(out),
                            "match": {str(i): match[i - 1] for i in members},
                            "function": source,
                            "joint_committed": c if c < NO_LIMIT else "max",
                            "half_without_majority": h,
                        }
    return None


# -- the list (appended to specs.obligations.OBLIGATIONS) -------------------------------------

CONF_OBLIGATIONS: tuple[tuple[str, str, Callable[[RuleSet, int], Any]], ...] = (
    (
        "conf-change-overlap",
        "For every configuration of up to 7 ids (voters, learners) and every one-op change the "
        "configuration changer accepts, the voter sets differ in at most one id and a voter "
        "remains; and for any two such voter sets, a WON tally of the old and a WON tally of "
        "the new share a voter of both. (The witness: a two-voter change without the joint "
        "phase has disjoint quorums.)",
        conf_change_overlap,
    ),
    (
        "joint-phase-overlap",
        "For any C_old, C_new of up to 7 ids, a WON tally of C_old and a joint WON "
        "(joint_vote_result of tally_votes on incoming C_new and outgoing C_old) share a voter "
        "of C_old, and a joint WON and a WON tally of C_new share a voter of C_new.",
        joint_phase_overlap,
    ),
    (
        "joint-committed-index",
        "The joint committed index (min of the halves' committed indexes, quorum/joint.go) is "
        "held by a strict majority of each non-empty half: every membership of 4 ids, every "
        "match vector 0..3.",
        joint_committed_index,
    ),
)


def timed(name: str, fn: Callable[[RuleSet, int], Any], rules: RuleSet, max_voters: int
          ) -> tuple[float, Counterexample | None, Counterexample | None]:
    """(seconds, counterexample, witness) of one membership obligation."""
    start = time.perf_counter()
    out = fn(rules, max_voters)
    cex, witness = out if isinstance(out, tuple) else (out, None)
    return time.perf_counter() - start, cex, witness
