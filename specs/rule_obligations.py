"""One local obligation per rule: a property of the rule function alone that the election needs.

The obligations of specs/obligations.py are about quorums, tallies, leases and pre-vote as a
whole; the ones here are each about a single rule, so a wrong change to it is refuted in
milliseconds with the concrete input on which the rule breaks its contract, before any
exploration runs. Integer and node-set rules are run on Z3 terms (specs/symbolic.py: every
path of the Python function, merged into one term; a rule that cannot run on terms is
tabulated lazily); rules over booleans and message types are evaluated on their whole (tiny)
domain. Each obligation says what breaks without it: safety (an invariant of
specs/SEMANTICS.md) or liveness (a property of its "Liveness" section).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import z3

from model.messages import MSG_APP, MSG_HEARTBEAT, MSG_NAMES, MSG_PRE_VOTE, MSG_VOTE
from model.node_state import ids_of
from model.rules import RuleSet, VoteResult
from specs.symbolic import Problem, Sym, mask_var, popcount, value

WON = int(VoteResult.WON)
TERM_LIMIT = 7  # symbolic terms and indexes range over 0..TERM_LIMIT (small counterexamples)
ID_LIMIT = 9
LEARNERS = 2


def _int(p: Problem, name: str, hi: int = TERM_LIMIT) -> Sym:
    v = Sym(z3.BitVec(name, 16))
    p.add(z3.And(v.e >= 0, v.e <= hi))
    return v


def _val(model: z3.ModelRef, x: Sym) -> int:
    return value(model, x)


def _as_bool(p: Problem, fn: Callable[..., Any], *args: Any) -> z3.BoolRef:
    r = p.call(fn, *args, kind="bool")
    if isinstance(r, bool):
        return z3.BoolVal(r)
    e = r.e
    return e if z3.is_bool(e) else e != 0


# -- log comparison -------------------------------------------------------------------------


def up_to_date_order(rules: RuleSet, _max_voters: int) -> dict[str, Any] | None:
    """is_up_to_date(lt, li, ct, ci) iff (ct, ci) >= (lt, li) lexicographically."""
    for part in ("grants an older log", "refuses a log at least as up to date"):
        p = Problem()
        lt, li, ct, ci = (_int(p, n) for n in ("last_term", "last_index", "cand_term",
                                                "cand_index"))
        for t, i in ((lt, li), (ct, ci)):  # a log has last term 0 iff it is empty
            p.add((t.e == 0) == (i.e == 0))
        got = _as_bool(p, rules.is_up_to_date, lt, li, ct, ci)
        newer = z3.Or(ct.e > lt.e, z3.And(ct.e == lt.e, ci.e >= li.e))
        p.add(z3.And(got, z3.Not(newer)) if part.startswith("grants") else
              z3.And(z3.Not(got), newer))
        m = p.find()
        if m is not None:
            return {"part": part, "last_term": _val(m, lt), "last_index": _val(m, li),
                    "cand_term": _val(m, ct), "cand_index": _val(m, ci),
                    "is_up_to_date": part.startswith("grants"),
                    "breaks": "LeaderUpToDate (safety)" if part.startswith("grants") else
                    "a voter refuses the most up-to-date candidate (liveness)"}
    return None


# -- votes ----------------------------------------------------------------------------------


def vote_once(rules: RuleSet, _max_voters: int) -> dict[str, Any] | None:
    """A voter that voted in its term refuses another node's real vote request of that term."""
    p = Problem()
    vote, lead, frm = (_int(p, n, ID_LIMIT) for n in ("vote", "lead", "frm"))
    role, term = _int(p, "role", 3), _int(p, "term")
    p.add(vote.e != 0, frm.e != 0, frm.e != vote.e)
    got = _as_bool(p, rules.can_vote, vote, lead, role, frm, False, term, term)
    p.add(got)
    m = p.find()
    if m is None:
        return None
    return {"vote": _val(m, vote), "lead": _val(m, lead), "role": _val(m, role),
            "frm": _val(m, frm), "pre_vote": False, "msg_term": _val(m, term),
            "term": _val(m, term), "can_vote": True, "breaks": "VoteOnce (safety)"}


def reset_vote_per_term(rules: RuleSet, _max_voters: int) -> dict[str, Any] | None:
    """reset_vote keeps the vote within a term and clears it when the term changes."""
    for part in ("clears the vote within a term", "keeps a vote of an older term"):
        p = Problem()
        old, new, vote = _int(p, "old_term"), _int(p, "new_term"), _int(p, "vote", ID_LIMIT)
        got = p.call(rules.reset_vote, old, new, vote)
        if part.startswith("clears"):
            p.add(old.e == new.e, got.e != vote.e)
        else:
            p.add(old.e != new.e, got.e != 0)
        m = p.find()
        if m is not None:
            return {"part": part, "old_term": _val(m, old), "new_term": _val(m, new),
                    "vote": _val(m, vote), "reset_vote": _val(m, got),
                    "breaks": "VoteOnce (safety)" if part.startswith("clears") else
                    "a voter cannot vote in the new term (liveness)"}
    return None


def vote_reply_terms(rules: RuleSet, _max_voters: int) -> dict[str, Any] | None:
    """A grant carries the request's term (the candidate counts only answers of its term); a
    rejection carries the voter's term (so a stale candidate learns it)."""
    for granted in (True, False):
        p = Problem()
        mt, t = _int(p, "msg_term"), _int(p, "term")
        got = p.call(rules.vote_reply_term, granted, mt, t)
        p.add(got.e != (mt.e if granted else t.e))
        m = p.find()
        if m is not None:
            return {"granted": granted, "msg_term": _val(m, mt), "term": _val(m, t),
                    "vote_reply_term": _val(m, got),
                    "breaks": "the candidate ignores the grant (liveness)" if granted else
                    "a stale candidate never learns the voter's term (liveness)"}
    return None


def pre_vote_asks_next_term(rules: RuleSet, _max_voters: int) -> dict[str, Any] | None:
    """A pre-vote canvasses the term the real election will use: term + 1."""
    p = Problem()
    t = _int(p, "term")
    got = p.call(rules.pre_vote_term, t)
    p.add(got.e != t.e + 1)
    m = p.find()
    if m is None:
        return None
    return {"term": _val(m, t), "pre_vote_term": _val(m, got),
            "breaks": "voters judge the pre-vote as another election than the real one"}


def pre_candidate_forgets_leader(rules: RuleSet, _max_voters: int) -> dict[str, Any] | None:
    """becomePreCandidate forgets the leader (etcd PR 8334)."""
    p = Problem()
    lead = _int(p, "lead", ID_LIMIT)
    got = p.call(rules.pre_candidate_lead, lead)
    p.add(got.e != 0)
    m = p.find()
    if m is None:
        return None
    return {"lead": _val(m, lead), "pre_candidate_lead": _val(m, got),
            "breaks": "a pre-candidate still names the leader it campaigns against "
            "(LeaderStable, liveness)"}


# -- node sets ------------------------------------------------------------------------------


def _majority(x: Sym, of: Sym | int) -> z3.BoolRef:
    return popcount(x) * 2 > popcount(of)


def tally_needs_majority(rules: RuleSet, max_voters: int) -> dict[str, Any] | None:
    """A WON tally holds grants from a strict majority of the voters (learners answering or
    not), whatever quorum the rule set uses."""
    learners = LEARNERS if rules.learner_answers_votes() else 0
    for n in range(1, max_voters + 1):
        voters = sum(1 << i for i in range(1, n + 1))
        p = Problem()
        g, _ = mask_var("granted", n + learners)
        r, _ = mask_var("rejected", n + learners)
        p.add((g & r).e == 0)
        t = p.call(rules.tally_votes, voters, g, r, rules.quorum)
        p.add(t.e == WON, z3.Not(_majority(g & voters, voters)))
        m = p.find()
        if m is not None:
            return {"voters": list(range(1, n + 1)), "granted": ids_of(value(m, g)),
                    "rejected": ids_of(value(m, r)), "result": "WON",
                    "breaks": "OneLeaderPerTerm, LeaderHasQuorum (safety)"}
    return None


def check_quorum_counts_voters(rules: RuleSet, max_voters: int) -> dict[str, Any] | None:
    """quorum_active holds exactly when the active nodes include a strict majority of the
    voters: learners and other non-voters do not keep a leader in office."""
    for n in range(1, max_voters + 1):
        voters = sum(1 << i for i in range(1, n + 1))
        for part in ("keeps a leader without a majority of voters",
                     "deposes a leader that heard from a majority"):
            p = Problem()
            active, _ = mask_var("active", n + LEARNERS)
            p.add((active & 2).e != 0)  # the leader (id 1) counts itself
            got = _as_bool(p, rules.quorum_active, voters, active, rules.quorum)
            maj = _majority(active & voters, voters)
            p.add(z3.And(got, z3.Not(maj)) if part.startswith("keeps") else
                  z3.And(z3.Not(got), maj))
            m = p.find()
            if m is not None:
                return {"part": part, "voters": list(range(1, n + 1)),
                        "learners": list(range(n + 1, n + LEARNERS + 1)),
                        "active": ids_of(value(m, active)),
                        "quorum_active": part.startswith("keeps"),
                        "breaks": "a leader cut off from its voters stays (check-quorum, "
                        "LeaderStable of the others)" if part.startswith("keeps") else
                        "a healthy leader steps down (liveness)"}
    return None


def record_from_answers(rules: RuleSet, max_voters: int) -> dict[str, Any] | None:
    """record_vote never records a grant that was not given: the new grants are the old ones
    plus, for a granting answer, the voter."""
    ids = max_voters + LEARNERS
    p = Problem()
    g, _ = mask_var("granted", ids)
    r, _ = mask_var("rejected", ids)
    voter = _int(p, "voter", ids)
    v = z3.Bool("v")
    p.add(voter.e >= 1, (g & r).e == 0)
    out = {}
    for val in (True, False):
        g2, _r2 = p.call(rules.record_vote, g, r, voter, val, outputs=2)
        bit = Sym(z3.BitVecVal(1, 16)) << voter
        allowed = (g | bit) if val else g
        out[val] = (g2, (g2 & ~allowed).e != 0)
    p.add(z3.If(v, out[True][1], out[False][1]))
    m = p.find()
    if m is None:
        return None
    val = z3.is_true(m.eval(v, model_completion=True))
    return {"granted": ids_of(value(m, g)), "rejected": ids_of(value(m, r)),
            "voter": _val(m, voter), "v": val,
            "new_granted": ids_of(value(m, out[val][0])),
            "breaks": "a candidate counts a grant nobody gave (OneLeaderPerTerm, safety)"}


# -- rules over booleans and message types (enumerated) -------------------------------------


def _first(cases: list[tuple[dict[str, Any], bool]]) -> dict[str, Any] | None:
    return next((c for c, ok in cases if not ok), None)


def grant_records_real_vote(rules: RuleSet, _max_voters: int) -> dict[str, Any] | None:
    """A granted MsgVote is recorded as the voter's vote (VoteOnce rests on it)."""
    return _first([({"pre_vote": False, "grant_records_vote": False,
                     "breaks": "VoteOnce (safety)"}, bool(rules.grant_records_vote(False)))])


def pre_vote_grant_keeps_timer(rules: RuleSet, _max_voters: int) -> dict[str, Any] | None:
    """A pre-vote grant leaves the election timer alone (hashicorp/raft #609): only a real
    vote or a leader's message restarts it."""
    return _first([({"pre_vote": True, "grant_resets_elapsed": True,
                     "breaks": "a voter that granted a pre-vote stays in the lease and drops "
                     "the real vote (liveness)"}, not rules.grant_resets_elapsed(True))])


def lease_guards_vote_requests(rules: RuleSet, _max_voters: int) -> dict[str, Any] | None:
    """The check-quorum lease applies to exactly MsgVote and MsgPreVote."""
    cases = []
    for t, name in enumerate(MSG_NAMES):
        want = t in (MSG_VOTE, MSG_PRE_VOTE)
        got = bool(rules.lease_applies(t))
        cases.append(({"msg_type": name, "lease_applies": got,
                       "breaks": "a leased follower answers a disruptive request (lease)"
                       if want else "the lease drops a message that is no vote request"},
                      got == want))
    return _first(cases)


def only_transfers_force(rules: RuleSet, _max_voters: int) -> dict[str, Any] | None:
    """Only a leadership transfer's campaign bypasses the lease, and it always does."""
    return _first([({"transfer": t, "transfer_forces": not t,
                     "breaks": "a normal campaign breaks the lease (safety of the lease)" if not t
                     else "a transfer never beats the lease (liveness)"},
                    bool(rules.transfer_forces(t)) == t) for t in (False, True)])


def lease_needs_leader(rules: RuleSet, _max_voters: int) -> dict[str, Any] | None:
    """No lease without check-quorum or without a known leader (etcd PR 6286, 7b8cdf3)."""
    cases = []
    for cq in (False, True):
        for lead in (0, 1):
            for role in range(4):
                for et in (1, 2, 3):
                    for elapsed in range(et + 1):
                        if cq and lead:
                            continue
                        got = bool(rules.in_lease(cq, lead, role, elapsed, et))
                        cases.append(({"check_quorum": cq, "lead": lead, "role": role,
                                       "elapsed": elapsed, "election_timeout": et,
                                       "in_lease": got,
                                       "breaks": "a node without a leader ignores votes "
                                       "(liveness)"}, not got))
    return _first(cases)


def leader_from_leader_messages(rules: RuleSet, _max_voters: int) -> dict[str, Any] | None:
    """A node learns a leader only from messages only leaders send (MsgApp, MsgHeartbeat)."""
    cases = []
    for t, name in enumerate(MSG_NAMES):
        got = bool(rules.leader_from_message(t))
        cases.append(({"msg_type": name, "leader_from_message": got,
                       "breaks": "a node follows a sender that is no leader (lease, liveness)"},
                      not got or t in (MSG_APP, MSG_HEARTBEAT)))
    return _first(cases)


# rule -> (obligation name, statement, check)
LOCAL: dict[str, tuple[str, str, Callable[[RuleSet, int], dict[str, Any] | None]]] = {
    "is_up_to_date": ("up-to-date-order", "is_up_to_date(lt, li, ct, ci) holds iff the "
                      "candidate's (last term, last index) is lexicographically at least the "
                      "voter's.", up_to_date_order),
    "can_vote": ("vote-once", "A voter that voted in its term refuses another node's MsgVote "
                 "of that term (can_vote is false).", vote_once),
    "reset_vote": ("reset-vote-per-term", "reset_vote keeps the vote while the term stays "
                   "and clears it when the term changes.", reset_vote_per_term),
    "vote_reply_term": ("vote-reply-term", "A grant carries the request's term, a rejection "
                        "the voter's term.", vote_reply_terms),
    "pre_vote_term": ("pre-vote-next-term", "A pre-vote asks for term + 1, the term of the "
                      "real election.", pre_vote_asks_next_term),
    "pre_candidate_lead": ("pre-candidate-forgets-leader", "A pre-candidate has no leader.",
                           pre_candidate_forgets_leader),
    "tally_votes": ("tally-needs-majority", "A WON tally holds grants from a strict majority "
                    "of the voters.", tally_needs_majority),
    "quorum_active": ("check-quorum-counts-voters", "quorum_active holds iff the active nodes "
                      "include a strict majority of the voters.", check_quorum_counts_voters),
    "record_vote": ("record-from-answers", "record_vote adds a grant only for a granting "
                    "answer, and only the answering voter's.", record_from_answers),
    "grant_records_vote": ("grant-records-vote", "A granted MsgVote is recorded as the vote.",
                           grant_records_real_vote),
    "grant_resets_elapsed": ("pre-vote-grant-keeps-timer", "A pre-vote grant does not "
                             "restart the election timer.", pre_vote_grant_keeps_timer),
    "lease_applies": ("lease-guards-vote-requests", "The lease applies to MsgVote and "
                      "MsgPreVote, and to nothing else.", lease_guards_vote_requests),
    "transfer_forces": ("only-transfers-force", "A campaign is forced iff it is a "
                        "leadership transfer.", only_transfers_force),
    "in_lease": ("lease-needs-leader", "No node is in lease without check-quorum or "
                 "without a known leader.", lease_needs_leader),
    "leader_from_message": ("leader-from-leader-messages", "Only MsgApp and MsgHeartbeat "
                            "name a leader.", leader_from_leader_messages),
}

