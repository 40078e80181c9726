"""Proof obligations over a rule set's own functions (specs/OBLIGATIONS.md explains each one).

Every obligation takes a `RuleSet` and the largest voter count to check, and calls the rule
set's functions: integer-valued rules (`quorum`) are evaluated for each concrete voter count and
the numbers used in the formula; mask-valued rules (`tally_votes`, `record_vote`,
`quorum_active`) are run on Z3 bit-vector terms (specs/symbolic.py), or lazily tabulated when
they cannot be; small finite rules (`in_lease`, `lease_drops_request`) are enumerated; the
pre-vote obligation runs `NodeLogic.step` on every state of a bounded domain. A rule change
(`RuleSet.with_rules`) therefore re-runs the proof on the changed rule.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import z3

from model.config import ClusterConfig
from model.messages import MSG_PRE_VOTE, MSG_PRE_VOTE_RESP, describe, msg
from model.node import NodeLogic
from model.node_state import (
    CANDIDATE,
    FIELD_NAMES,
    FOLLOWER,
    LEADER,
    PRE_CANDIDATE,
    ROLE,
    TERM,
    VOTE,
    Node,
    describe_field,
    ids_of,
    node,
)
from model.rules import RuleSet, VoteResult
from specs.symbolic import Problem, Sym, const, mask_var, popcount, table_function, value

Status = Literal["proved", "failed"]
Counterexample = dict[str, Any]

WON = int(VoteResult.WON)
LOST = int(VoteResult.LOST)
LEARNERS = 2  # the model allows up to two learners
PARAMETRIC_AGREEMENT = 64  # the rule's quorum is compared with n // 2 + 1 on 1..64
ELECTION_TIMEOUTS = (1, 2, 3)


class UnknownObligation(ValueError):
    """An obligation name that is not in OBLIGATIONS."""


@dataclass(frozen=True)
class ObligationResult:
    name: str
    status: Status
    seconds: float
    counterexample: Counterexample | None = None
    # A proved obligation may carry what fails without the property it proves (e.g. a
    # membership change of two voters without the joint phase); only then is it in the JSON.
    witness: Counterexample | None = None

    def as_dict(self) -> dict[str, Any]:
        d = {
            "name": self.name,
            "status": self.status,
            "seconds": round(self.seconds, 4),
            "counterexample": self.counterexample,
        }
        if self.witness is not None:
            d["witness"] = self.witness
        return d


@dataclass(frozen=True)
class Obligation:
    name: str
    statement: str
    check: Callable[[RuleSet, int], ObligationResult]


# -- helpers --------------------------------------------------------------------------------


def _ids(lo: int, hi: int) -> int:
    """The mask of ids lo..hi."""
    return sum(1 << i for i in range(lo, hi + 1))


def _sub(a: Sym | int, b: Sym | int) -> z3.BoolRef:
    """a is a subset of b (at least one of them symbolic)."""
    d = a & ~b
    assert isinstance(d, Sym)
    return d.e == 0


def _disjoint(a: Sym, b: Sym | int) -> z3.BoolRef:
    return (a & b).e == 0


def _set(model: z3.ModelRef, x: Sym) -> list[int]:
    return ids_of(value(model, x))


def _result(name: str, start: float, cex: Counterexample | None) -> ObligationResult:
    return ObligationResult(
        name, "proved" if cex is None else "failed", time.perf_counter() - start, cex
    )


def _answerers(rules: RuleSet, n: int) -> tuple[int, int]:
    """(voter mask, mask of everyone whose answer can be recorded) for voters 1..n."""
    learners = LEARNERS if rules.learner_answers_votes() else 0
    return _ids(1, n), _ids(1, n + learners)


def _is(x: Sym, r: int) -> z3.BoolRef:
    return x.e == r


# -- quorum intersection --------------------------------------------------------------------


def check_quorum_intersection(rules: RuleSet, max_voters: int) -> ObligationResult:
    name = "quorum-intersection"
    start = time.perf_counter()
    for n in range(1, max_voters + 1):
        q = rules.quorum(n)
        voters = list(range(1, n + 1))
        if q > n:
            return _result(
                name,
                start,
                {
                    "voters": voters,
                    "quorum": q,
                    "reason": "quorum larger than the voter set: no quorum can ever be formed",
                },
            )
        p = Problem()
        a, _ = mask_var("a", n)
        b, _ = mask_var("b", n)
        p.add(popcount(a) >= q, popcount(b) >= q, _disjoint(a, b))
        model = p.find()
        if model is not None:
            return _result(
                name,
                start,
                {
                    "voters": voters,
                    "quorum": q,
                    "quorum_a": _set(model, a),
                    "quorum_b": _set(model, b),
                    "shared": [],
                },
            )
    # Parametric part: every n >= 1, for q(n) = n div 2 + 1, provided the rule agrees with it.
    for n in range(1, PARAMETRIC_AGREEMENT + 1):
        q = rules.quorum(n)
        if q != n // 2 + 1:
            return _result(
                name,
                start,
                {
                    "voters": list(range(1, n + 1)),
                    "quorum": q,
                    "majority": n // 2 + 1,
                    "reason": "the rule's quorum differs from n // 2 + 1, so the parametric "
                    "proof for every n does not apply to it",
                },
            )
    n_, a_, b_, i_ = z3.Ints("n a b i")
    s = z3.Solver()
    qn = n_ / 2 + 1
    # a, b: sizes of two quorums; i: size of their intersection; |A u B| = a + b - i <= n.
    s.add(n_ >= 1, a_ >= qn, b_ >= qn, a_ <= n_, b_ <= n_, i_ >= 0, a_ + b_ - i_ <= n_, i_ == 0)
    if s.check() != z3.unsat:  # pragma: no cover - arithmetic fact
        return _result(name, start, {"reason": f"parametric: {s.model()}"})
    return _result(name, start, None)


# -- tally exclusivity ----------------------------------------------------------------------


def check_tally_exclusive(rules: RuleSet, max_voters: int) -> ObligationResult:
    name = "tally-exclusive"
    start = time.perf_counter()
    for n in range(1, max_voters + 1):
        voters, answerers = _answerers(rules, n)
        width = answerers.bit_length() - 1

        def tally(g: Sym, r: Sym, p: Problem, voters: int = voters) -> Sym:
            return p.call(rules.tally_votes, voters, g, r, rules.quorum)  # type: ignore[no-any-return]

        # (1) a decided tally stays decided: no record is WON and an extension LOST, or
        #     LOST and an extension WON.
        p = Problem()
        g, _ = mask_var("g", width)
        r, _ = mask_var("r", width)
        g2, _ = mask_var("g2", width)
        r2, _ = mask_var("r2", width)
        p.add(_disjoint(g, r), _disjoint(g2, r2), _sub(g, g2), _sub(r, r2))
        t1, t2 = tally(g, r, p), tally(g2, r2, p)
        p.add(z3.Or(z3.And(_is(t1, WON), _is(t2, LOST)), z3.And(_is(t1, LOST), _is(t2, WON))))
        model = p.find()
        if model is not None:
            return _result(
                name,
                start,
                {
                    "part": "won and lost in the same election",
                    "voters": list(range(1, n + 1)),
                    "quorum": rules.quorum(n),
                    "granted": _set(model, g),
                    "rejected": _set(model, r),
                    "result": VoteResult(value(model, t1)).name,
                    "later_granted": _set(model, g2),
                    "later_rejected": _set(model, r2),
                    "later_result": VoteResult(value(model, t2)).name,
                },
            )
        # (2) won is monotone in the grants: a record with at least the same grants (and any
        #     rejections) is WON too.
        p = Problem()
        g, _ = mask_var("g", width)
        r, _ = mask_var("r", width)
        g2, _ = mask_var("g2", width)
        r2, _ = mask_var("r2", width)
        p.add(_disjoint(g, r), _disjoint(g2, r2), _sub(g, g2))
        t1, t2 = tally(g, r, p), tally(g2, r2, p)
        p.add(_is(t1, WON), z3.Not(_is(t2, WON)))
        model = p.find()
        if model is not None:
            return _result(
                name,
                start,
                {
                    "part": "won is not monotone in granted votes",
                    "voters": list(range(1, n + 1)),
                    "quorum": rules.quorum(n),
                    "granted": _set(model, g),
                    "rejected": _set(model, r),
                    "result": "WON",
                    "more_granted": _set(model, g2),
                    "then_rejected": _set(model, r2),
                    "then_result": VoteResult(value(model, t2)).name,
                },
            )
    return _result(name, start, None)


# -- one winner per term --------------------------------------------------------------------


def _record(p: Problem, rules: RuleSet, answers: list[z3.BitVecRef]) -> tuple[Sym, Sym]:
    """The record a candidate holds after the answers (0 none, 1 grant, 2 reject) of ids
    1..len(answers), folded through rules.record_vote in id order."""
    zero = const(0)
    g, r = zero, zero
    for voter, ans in enumerate(answers, start=1):
        gg, rg = p.call(rules.record_vote, g, r, voter, True, outputs=2)
        gr, rr = p.call(rules.record_vote, g, r, voter, False, outputs=2)
        g = Sym(z3.If(ans == 1, gg.e, z3.If(ans == 2, gr.e, g.e)), voter + 1)
        r = Sym(z3.If(ans == 1, rg.e, z3.If(ans == 2, rr.e, r.e)), voter + 1)
    return g, r


def check_one_winner(rules: RuleSet, max_voters: int) -> ObligationResult:
    name = "one-winner-per-term"
    start = time.perf_counter()
    for n in range(2, max_voters + 1):
        voters, answerers = _answerers(rules, n)
        width = answerers.bit_length() - 1
        p = Problem()
        ans_a = [z3.BitVec(f"a{i}", 2) for i in range(1, width + 1)]
        ans_b = [z3.BitVec(f"b{i}", 2) for i in range(1, width + 1)]
        for x, y in zip(ans_a, ans_b, strict=True):
            p.add(z3.ULE(x, 2), z3.ULE(y, 2), z3.Not(z3.And(x == 1, y == 1)))
        ca, cb = z3.Ints("cand_a cand_b")
        p.add(ca >= 1, ca <= n, cb >= 1, cb <= n, ca != cb)
        for i in range(1, n + 1):  # each candidate voted for itself
            p.add(z3.Implies(ca == i, ans_a[i - 1] == 1), z3.Implies(cb == i, ans_b[i - 1] == 1))
        ga, ra = _record(p, rules, ans_a)
        gb, rb = _record(p, rules, ans_b)
        ta = p.call(rules.tally_votes, voters, ga, ra, rules.quorum)
        tb = p.call(rules.tally_votes, voters, gb, rb, rules.quorum)
        p.add(_is(ta, WON), _is(tb, WON))
        model = p.find()
        if model is not None:
            return _result(
                name,
                start,
                {
                    "voters": list(range(1, n + 1)),
                    "learners": list(range(n + 1, width + 1)),
                    "quorum": rules.quorum(n),
                    "candidate_a": model.eval(ca).as_long(),  # type: ignore[attr-defined]
                    "a_granted": _set(model, ga),
                    "a_rejected": _set(model, ra),
                    "candidate_b": model.eval(cb).as_long(),  # type: ignore[attr-defined]
                    "b_granted": _set(model, gb),
                    "b_rejected": _set(model, rb),
                    "result": "both WON",
                },
            )
    return _result(name, start, None)


# -- joint configurations -------------------------------------------------------------------


def _joint_query(rules: RuleSet, m: int, part: int) -> Counterexample | None:
    p = Problem()
    inc, _ = mask_var("incoming", m)
    out, _ = mask_var("outgoing", m)
    p.add(inc.e != 0)
    q = table_function(rules.quorum, 0, m)
    both = inc | out

    from specs.conf_obligations import joint_vote_result_of

    joint = joint_vote_result_of(rules)

    def joint_won(g: Sym, r: Sym) -> tuple[z3.BoolRef, Sym, Sym]:
        """The rule set's joint_vote_result (etcd JointConfig.VoteResult: WON iff each half,
        on the same record, is WON) of the halves' tallies."""
        t_in = p.call(rules.tally_votes, inc, g, r, q)
        t_out = p.call(rules.tally_votes, out, g, r, q)
        t = p.call(joint, t_in, t_out)
        e = t.e if isinstance(t, Sym) else z3.BitVecVal(int(t), 16)
        return e == WON, t_in, t_out

    def majority(g: Sym, half: Sym) -> z3.BoolRef:
        return popcount(g & half) * 2 > popcount(half)

    g, _ = mask_var("g", m)
    r, _ = mask_var("r", m)
    p.add(_disjoint(g, r), _sub(g, both), _sub(r, both))
    won, t_in, t_out = joint_won(g, r)
    base = {}
    if part == 1:
        p.add(won, z3.Not(z3.And(majority(g, inc), z3.Or(out.e == 0, majority(g, out)))))
    else:
        g2, _ = mask_var("g2", m)
        r2, _ = mask_var("r2", m)
        p.add(_disjoint(g2, r2), _sub(g2, both), _sub(r2, both))
        won2, _, _ = joint_won(g2, r2)
        shared = g & g2
        p.add(won, won2, z3.Or(_disjoint(shared, inc), z3.And(out.e != 0, _disjoint(shared, out))))
    model = p.find()
    if model is None:
        return None
    i_ids, o_ids = _set(model, inc), _set(model, out)
    base = {
        "incoming": i_ids,
        "outgoing": o_ids,
        "quorum_incoming": rules.quorum(len(i_ids)),
        "quorum_outgoing": rules.quorum(len(o_ids)),
        "granted": _set(model, g),
        "rejected": _set(model, r),
        "incoming_result": VoteResult(value(model, t_in)).name,
        "outgoing_result": VoteResult(value(model, t_out)).name,
    }
    if part == 1:
        base["part"] = "a joint win without a majority in each half"
    else:
        base["part"] = "two joint quorums that do not intersect in a half"
        base["granted_2"] = _set(model, g2)
        base["rejected_2"] = _set(model, r2)
    return base


def check_joint(rules: RuleSet, max_voters: int) -> ObligationResult:
    name = "joint-quorum"
    start = time.perf_counter()
    for part in (1, 2):
        if _joint_query(rules, max_voters, part) is not None:
            # Report the smallest id universe that shows it.
            for m in range(1, max_voters + 1):
                cex = _joint_query(rules, m, part)
                if cex is not None:
                    return _result(name, start, cex)
    return _result(name, start, None)


# -- learners -------------------------------------------------------------------------------


def check_learners(rules: RuleSet, max_voters: int) -> ObligationResult:
    name = "learner-grants-uncounted"
    start = time.perf_counter()
    answer = rules.learner_answers_votes()
    for n in range(1, max_voters + 1):
        voters = _ids(1, n)
        everyone = _ids(1, n + LEARNERS)
        answerers = everyone if answer else voters
        q = rules.quorum(n)
        p = Problem()
        g, _ = mask_var("g", n + LEARNERS)
        r, _ = mask_var("r", n + LEARNERS)
        p.add(_disjoint(g, r), _sub(g, answerers), _sub(r, answerers))
        t = p.call(rules.tally_votes, voters, g, r, rules.quorum)
        p.add(_is(t, WON), popcount(g & voters) < q)
        model = p.find()
        if model is not None:
            return _result(
                name,
                start,
                {
                    "voters": list(range(1, n + 1)),
                    "learners": list(range(n + 1, n + LEARNERS + 1)),
                    "learners_answer": answer,
                    "quorum": q,
                    "granted": _set(model, g),
                    "rejected": _set(model, r),
                    "voter_grants": ids_of(value(model, g) & voters),
                    "result": "WON",
                },
            )
    return _result(name, start, None)


# -- check-quorum lease ---------------------------------------------------------------------


def _lease_leaks(rules: RuleSet, n: int, leader: int) -> list[dict[str, Any]]:
    """States of members in lease (they heard from `leader` within the election timeout) in
    which an unforced higher-term vote request is not dropped."""
    leaks = []
    for et in ELECTION_TIMEOUTS:
        for elapsed in range(et):
            for role, lead in ((FOLLOWER, leader), (LEADER, leader)):
                lease = rules.in_lease(True, lead, role, elapsed, et)
                if not rules.lease_drops_request(False, lease):
                    leaks.append(
                        {
                            "role": "leader" if role == LEADER else "follower",
                            "lead": lead,
                            "elapsed": elapsed,
                            "election_timeout": et,
                            "in_lease": lease,
                        }
                    )
    return leaks


def _lease_query(
    rules: RuleSet, n: int, leaders: list[int], leaks: dict[str, Any] | None
) -> Counterexample | None:
    """Can a candidate win while `leader` (one of `leaders`) heard from a quorum in lease?
    `leaks` (for a single leader) gives the member states that let the request through."""
    voters = _ids(1, n)
    follower_leak = leaks and leaks.get("follower")
    leader_leak = leaks and leaks.get("leader")
    p = Problem()
    heard, _ = mask_var("heard", n)  # voters the leader heard from, itself included
    g, _ = mask_var("g", n)
    r, _ = mask_var("r", n)
    lead = z3.Int("leader")
    cand = z3.Int("candidate")
    p.add(z3.Or([lead == ld for ld in leaders]), cand >= 1, cand <= n, cand != lead)
    qa = p.call(rules.quorum_active, voters, heard, rules.quorum, kind="bool")
    p.add(qa.e, _disjoint(g, r), _sub(g, voters), _sub(r, voters))
    for i in range(1, n + 1):
        bit = 1 << i
        p.add(z3.Implies(lead == i, (heard & bit).e != 0))
        # The candidate votes for itself; it is campaigning (no lead), so it is not in lease.
        p.add(z3.Implies(cand == i, z3.And((g & bit).e != 0, (heard & bit).e == 0)))
        # A member of `heard` grants only if its lease state lets the request through.
        may = leader_leak if len(leaders) == 1 and i == leaders[0] else follower_leak
        if not may:
            p.add(z3.Not(z3.And((heard & bit).e != 0, (g & bit).e != 0)))
    t = p.call(rules.tally_votes, voters, g, r, rules.quorum)
    p.add(_is(t, WON))
    model = p.find()
    if model is None:
        return None
    h, grants = _set(model, heard), _set(model, g)
    ld = model.eval(lead).as_long()  # type: ignore[attr-defined]
    return {
        "voters": list(range(1, n + 1)),
        "leader": ld,
        "heard_from": h,
        "quorum": rules.quorum(n),
        "candidate": model.eval(cand).as_long(),  # type: ignore[attr-defined]
        "force": False,
        "granted": grants,
        "rejected": _set(model, r),
        "granting_members_in_lease": {
            str(i): (leader_leak if i == ld else follower_leak) for i in grants if i in h
        },
        "result": "WON",
    }


def check_lease(rules: RuleSet, max_voters: int) -> ObligationResult:
    name = "lease-blocks-disruption"
    start = time.perf_counter()
    for n in range(2, max_voters + 1):
        tight: list[int] = []
        for leader in range(1, n + 1):
            leaks = _lease_leaks(rules, n, leader)
            if not leaks:
                tight.append(leader)
                continue
            by_role = {
                role: next((x for x in leaks if x["role"] == role), None)
                for role in ("follower", "leader")
            }
            cex = _lease_query(rules, n, [leader], by_role)
            if cex is not None:
                return _result(name, start, cex)
        if tight:
            cex = _lease_query(rules, n, tight, None)
            if cex is not None:
                return _result(name, start, cex)
    return _result(name, start, None)


# -- pre-vote -------------------------------------------------------------------------------

PRE_VOTE_VOTERS = 3
PRE_VOTE_ET = 2
_LOGS = ((), (1,), (1, 1), (2,))


def _node_states(nid: int, learner: bool) -> list[Node]:
    states = []
    roles = (FOLLOWER,) if learner else (FOLLOWER, PRE_CANDIDATE, CANDIDATE, LEADER)
    for term, role, vote, lead, elapsed, log in itertools.product(
        range(3),
        roles,
        range(PRE_VOTE_VOTERS + 1),
        range(PRE_VOTE_VOTERS + 1),
        range(PRE_VOTE_ET + 1),
        _LOGS,
    ):
        if log and log[-1] > term:
            continue
        if role == LEADER and (lead != nid or vote != nid):
            continue
        if role in (PRE_CANDIDATE, CANDIDATE) and lead != 0:
            continue
        if role == CANDIDATE and vote != nid:
            continue
        granted = (1 << nid) if role in (PRE_CANDIDATE, CANDIDATE) else 0
        states.append(node(term, vote, lead, role, elapsed, log, granted))
    return states


def _describe_node(s: Node) -> dict[str, str]:
    return {FIELD_NAMES[i]: describe_field(i, s[i]) for i in range(len(FIELD_NAMES))}


def check_pre_vote(rules: RuleSet, max_voters: int) -> ObligationResult:
    name = "pre-vote-no-disruption"
    start = time.perf_counter()
    frm = 2
    for cq in (False, True):
        cfg = ClusterConfig(
            voters=PRE_VOTE_VOTERS,
            learners=1,
            pre_vote=True,
            check_quorum=cq,
            election_timeout=PRE_VOTE_ET,
            max_term=4,
        )
        logic = NodeLogic(cfg, rules)
        for nid in (1, PRE_VOTE_VOTERS + 1):
            for s in _node_states(nid, nid > PRE_VOTE_VOTERS):
                # (1) receiving a pre-vote request, at any term, never changes term or vote.
                for mterm in range(max(0, s[TERM] - 1), s[TERM] + 3):
                    for lt, li in ((0, 0), (1, 1), (1, 2), (2, 1)):
                        for force in (False, True):
                            m = msg(MSG_PRE_VOTE, frm, nid, mterm, lt, li, False, force)
                            new, _, _ = logic.step(nid, s, m)
                            if new[TERM] != s[TERM] or new[VOTE] != s[VOTE]:
                                return _result(
                                    name,
                                    start,
                                    {
                                        "check_quorum": cq,
                                        "node": nid,
                                        "state": _describe_node(s),
                                        "message": describe(m),
                                        "after": _describe_node(new),
                                    },
                                )
                # (2) a granted pre-vote answer (it carries term + 1) changes neither, unless
                #     it wins the pre-vote and the node starts the real election it asked for.
                if s[ROLE] == PRE_CANDIDATE:
                    m = msg(MSG_PRE_VOTE_RESP, frm, nid, s[TERM] + 1)
                    new, _, _ = logic.step(nid, s, m)
                    campaigned = (
                        new[ROLE] in (CANDIDATE, LEADER)
                        and new[VOTE] == nid
                        and new[TERM] == s[TERM] + 1
                    )
                    if (new[TERM] != s[TERM] or new[VOTE] != s[VOTE]) and not campaigned:
                        return _result(
                            name,
                            start,
                            {
                                "check_quorum": cq,
                                "node": nid,
                                "state": _describe_node(s),
                                "message": describe(m),
                                "after": _describe_node(new),
                            },
                        )
    return _result(name, start, None)


# -- the list -------------------------------------------------------------------------------

OBLIGATIONS: tuple[Obligation, ...] = (
    Obligation(
        "quorum-intersection",
        "Any two quorums (sets of at least quorum(n) of n voters) share a voter: for every "
        "n up to max_voters over bit-vector sets, and for every n >= 1 parametrically for "
        "q(n) = n div 2 + 1, which the rule's quorum must match on 1..64.",
        check_quorum_intersection,
    ),
    Obligation(
        "tally-exclusive",
        "tally_votes never says WON for a vote record and LOST for a later record of the same "
        "election (or the reverse), and WON is monotone in the grants: a record holding the "
        "grants of a WON record, whatever its rejections, is WON.",
        check_tally_exclusive,
    ),
    Obligation(
        "one-winner-per-term",
        "Two distinct candidates of one term, each voting for itself, with every voter "
        "granting at most one of them and answers recorded by record_vote, cannot both have "
        "a WON tally.",
        check_one_winner,
    ),
    Obligation(
        "joint-quorum",
        "For a joint configuration (incoming and outgoing voter sets, overlap allowed; WON iff "
        "tally_votes is WON in both halves on the same record), a joint win holds a strict "
        "majority of each non-empty half, and two joint wins share a voter in each "
        "non-empty half.",
        check_joint,
    ),
    Obligation(
        "learner-grants-uncounted",
        "With two learners next to the voters (answering vote requests iff the rule set lets "
        "learners answer), no record whose grants hold fewer than quorum(n) voters is WON.",
        check_learners,
    ),
    Obligation(
        "lease-blocks-disruption",
        "While a check-quorum leader has heard from a quorum of voters (quorum_active) and each "
        "of them is in lease (in_lease, lease_drops_request), no unforced candidate of a higher "
        "term collects a WON tally.",
        check_lease,
    ),
    Obligation(
        "pre-vote-no-disruption",
        "Stepping a MsgPreVote (any term, log, force, with and without check-quorum) changes "
        "neither the receiver's term nor its vote, and a granted MsgPreVoteResp changes them "
        "only by starting the election the pre-vote won.",
        check_pre_vote,
    ),
)



def _local(name: str, fn: Callable[[RuleSet, int], Counterexample | None]) -> Callable[
        [RuleSet, int], ObligationResult]:
    def check(rules: RuleSet, max_voters: int) -> ObligationResult:
        start = time.perf_counter()
        return _result(name, start, fn(rules, max_voters))

    return check


def _local_obligations() -> tuple[Obligation, ...]:
    """One obligation per rule where a local property exists (specs/rule_obligations.py)."""
    from specs.rule_obligations import LOCAL

    return tuple(Obligation(name, f"[{rule}] {statement}", _local(name, fn))
                 for rule, (name, statement, fn) in LOCAL.items())


def _conf(name: str, fn: Callable[[RuleSet, int], Any]) -> Callable[[RuleSet, int],
                                                                    ObligationResult]:
    def check(rules: RuleSet, max_voters: int) -> ObligationResult:
        from specs.conf_obligations import timed

        seconds, cex, witness = timed(name, fn, rules, max_voters)
        return ObligationResult(name, "proved" if cex is None else "failed", seconds, cex,
                                witness)

    return check


def _conf_obligations() -> tuple[Obligation, ...]:
    """The membership-change obligations (specs/conf_obligations.py, issue 14)."""
    from specs.conf_obligations import CONF_OBLIGATIONS

    return tuple(Obligation(name, statement, _conf(name, fn))
                 for name, statement, fn in CONF_OBLIGATIONS)


OBLIGATIONS = OBLIGATIONS + _conf_obligations() + _local_obligations()
OBLIGATION_NAMES: tuple[str, ...] = tuple(o.name for o in OBLIGATIONS)
_BY_NAME = {o.name: o for o in OBLIGATIONS}


def run_obligations(
    rules: RuleSet, names: Sequence[str] | None = None, max_voters: int = 9
) -> list[ObligationResult]:
    """Check the named obligations (all when `names` is None) against `rules`."""
    if max_voters < 1:
        raise ValueError(f"max_voters must be at least 1 (got {max_voters})")
    chosen = list(OBLIGATION_NAMES) if names is None else list(names)
    unknown = [n for n in chosen if n not in _BY_NAME]
    if unknown:
        raise UnknownObligation(
            f"unknown obligation {unknown[0]!r} (known: {', '.join(OBLIGATION_NAMES)})"
        )
    return [_BY_NAME[n].check(rules, max_voters) for n in chosen]
