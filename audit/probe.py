"""The bounded input domain of each rule, and where a changed rule differs from its baseline.

`no-change` is a claim about every input a changed rule can be given within the audit's
bounds, not only about the inputs the runs happened to reach. This module enumerates, per rule,
every input the model can pass to it within those bounds (`domain`), up to the model's own
symmetries (`canonical`), and finds those on which a changed rule answers differently from the
baseline's (`probe`). An audit may say `no-change` only when that set is empty; otherwise the
differing inputs are reached by some run (the watch in audit/runner.py records them), or a
directed configuration (audit/directed.py) is built to reach them, or the audit says
`differs-unreached` and lists them.

What "within the bounds" means (and why each restriction loses no input the model can pass):

- node ids: rules compare ids only for equality (the model's symmetry reduction assumes it;
  docs/AUDIT.md), so 0 (none) and three distinct ids cover every equality pattern of a rule's
  id parameters (at most three: can_vote's vote, lead and frm);
- node sets: the model lays out voters as ids 1..n (promoted learners counted after them), so
  a voter mask is a prefix 1..n, n <= 9 (7 voters and 2 learners); records and active sets hold
  ids 1..n+2; up to the permutations of voters among themselves and of non-voters among
  themselves (symmetry again), only how many ids are in each part matters;
- a vote record (granted, rejected) is disjoint when the baseline's record_vote builds it (it
  keeps the first answer of each id); when record_vote itself changed, overlapping records are
  in the domain too;
- terms 0..MAX_TERM (the audited bounds stop at 4; directed configurations at MAX_TERM) and log
  indexes 0..MAX_INDEX (a log grows by one entry per election and by the append budget); a log
  has last term 0 iff it is empty;
- every message type, role and boolean; election timeouts 1..3 and elapsed 0..3.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import product
from typing import Any

from model.messages import MSG_NAMES
from model.rules import RULE_SETS, RuleSet

MAX_TERM = 5
MAX_INDEX = 6
MAX_VOTERS = 9  # voters as counted: 7 voters and 2 promoted learners
MAX_IDS = 9
TERMS = tuple(range(MAX_TERM + 1))
INDEXES = tuple(range(MAX_INDEX + 1))
IDS = (0, 1, 2, 3)
ROLES = (0, 1, 2, 3)
BOOLS = (False, True)
MSG_TYPES = tuple(range(len(MSG_NAMES)))
# How many differing inputs a probe keeps per rule (the smallest first).
KEEP = 200

Key = tuple[Any, ...]


def _prefix(n: int) -> int:
    return sum(1 << i for i in range(1, n + 1))


def _statuses(g: int, r: int, ids: Iterator[int] | range) -> tuple[int, ...]:
    """Per id: 0 no answer, 1 granted, 2 rejected, 3 both; sorted (a multiset)."""
    return tuple(sorted(((g >> i) & 1) | (((r >> i) & 1) << 1) for i in ids))


def _sorted_records(n_voters: int, ids: int, overlap: bool) -> Iterator[tuple[int, int]]:
    """Records over ids 1..ids with the voters' answers and the others' answers each in
    non-decreasing order: one representative per symmetry class."""
    alphabet = (0, 1, 2, 3) if overlap else (0, 1, 2)
    from itertools import combinations_with_replacement as cwr

    for vs in cwr(alphabet, n_voters):
        for os_ in cwr(alphabet, ids - n_voters):
            g = r = 0
            for i, s in enumerate(vs + os_, start=1):
                if s & 1:
                    g |= 1 << i
                if s & 2:
                    r |= 1 << i
            yield g, r


def domain(rule: str, rules: RuleSet, baseline: RuleSet) -> Iterator[tuple[Any, ...]]:
    """Every input of `rule` within the bounds (module docstring), one per symmetry class,
    smallest clusters first. Callable parameters get the audited rule set's quorum, as the
    model passes its own."""
    q = rules.quorum
    overlap = rules.record_vote is not baseline.record_vote
    if rule == "quorum":
        yield from ((n,) for n in range(1, MAX_VOTERS + 1))
    elif rule == "is_up_to_date":
        logs = [(t, i) for t in TERMS for i in INDEXES if (t == 0) == (i == 0)]
        yield from ((lt, li, ct, ci) for (lt, li), (ct, ci) in product(logs, logs))
    elif rule == "can_vote":
        for args in product(IDS, IDS, ROLES, IDS[1:], BOOLS, TERMS, TERMS):
            if canonical(rule, args) == _plain(args):
                yield args
    elif rule == "in_lease":
        yield from product(BOOLS, (0, 1), ROLES, range(4), (1, 2, 3))
    elif rule == "lease_drops_request":
        yield from product(BOOLS, BOOLS)
    elif rule == "adopts_higher_term":
        yield from product(MSG_TYPES, BOOLS)
    elif rule in ("leader_from_message", "lease_applies"):
        yield from ((t,) for t in MSG_TYPES)
    elif rule == "lower_term_reply":
        yield from product(BOOLS, BOOLS, MSG_TYPES)
    elif rule == "vote_reply_term":
        yield from product(BOOLS, TERMS, TERMS)
    elif rule == "reset_vote":
        yield from product(TERMS, TERMS, (0, 1))
    elif rule in ("grant_resets_elapsed", "grant_records_vote", "self_vote", "transfer_forces"):
        yield from ((b,) for b in BOOLS)
    elif rule == "pre_vote_term":
        yield from ((t,) for t in TERMS)
    elif rule == "pre_candidate_lead":
        yield from ((x,) for x in (0, 1))
    elif rule == "learner_answers_votes":
        yield ()
    elif rule == "record_vote":
        # The answering id is id 1 (symmetry); the others' answers as a multiset.
        alphabet = (0, 1, 2, 3) if overlap else (0, 1, 2)
        from itertools import combinations_with_replacement as cwr

        for ids in range(1, MAX_IDS + 1):
            for own in alphabet:
                for others in cwr(alphabet, ids - 1):
                    g = r = 0
                    for i, s in enumerate((own, *others), start=1):
                        if s & 1:
                            g |= 1 << i
                        if s & 2:
                            r |= 1 << i
                    for v in BOOLS:
                        yield g, r, 1, v
    elif rule == "tally_votes":
        for n in range(1, MAX_VOTERS + 1):
            for g, r in _sorted_records(n, min(n + 2, MAX_IDS), overlap):
                yield _prefix(n), g, r, q
    elif rule == "quorum_active":
        for n in range(1, MAX_VOTERS + 1):
            non_voters = min(n + 2, MAX_IDS) - n
            for k in range(1, n + 1):  # the leader counts itself
                for j in range(non_voters + 1):
                    active = _prefix(k) | sum(1 << i for i in range(n + 1, n + 1 + j))
                    yield _prefix(n), active, q
    # Membership rules (issue 14): counts of pending V1/V2 entries, the transfer flag, indexes,
    # the halves' vote results.
    elif rule == "num_of_pending_conf":
        yield from product(range(3), range(3))
    elif rule == "hup_checks_pending_conf":
        yield from ((b,) for b in BOOLS)
    elif rule == "conf_already_pending":
        yield from product(INDEXES, INDEXES)
    elif rule == "auto_leave_bumps_pending_conf":
        yield ()
    elif rule == "joint_vote_result":
        from model.rules import VoteResult

        yield from product(list(VoteResult), list(VoteResult))
    else:  # a rule added to RuleSet without a domain here: nothing is claimed about it
        raise KeyError(rule)


def _plain(args: tuple[Any, ...]) -> Key:
    return tuple(a for a in args if not callable(a))


def _relabel(args: tuple[Any, ...], positions: tuple[int, ...]) -> Key:
    """Node ids at `positions` renamed 1, 2, ... in order of first appearance (0 stays)."""
    names: dict[int, int] = {0: 0}
    out = list(args)
    for p in positions:
        v = out[p]
        if v not in names:
            names[v] = len(names)
        out[p] = names[v]
    return _plain(tuple(out))


_ID_PARAMS: dict[str, tuple[int, ...]] = {
    "can_vote": (0, 1, 3),
    "in_lease": (1,),
    "reset_vote": (2,),
    "pre_candidate_lead": (0,),
}


def canonical(rule: str, args: tuple[Any, ...]) -> Key:
    """The symmetry class of an input: the key under which reached and probed inputs match."""
    if rule in _ID_PARAMS:
        return _relabel(args, _ID_PARAMS[rule])
    if rule == "tally_votes":
        voters, g, r = args[0], args[1], args[2]
        top = max(voters.bit_length(), (g | r).bit_length())
        inside = [i for i in range(1, top) if voters >> i & 1]
        outside = [i for i in range(1, top) if not voters >> i & 1]
        return ("tally", len(inside), _statuses(g, r, iter(inside)),
                tuple(s for s in _statuses(g, r, iter(outside)) if s))
    if rule == "quorum_active":
        voters, active = args[0], args[1]
        return ("active", voters.bit_count(), (active & voters).bit_count(),
                (active & ~voters).bit_count())
    if rule == "record_vote":
        g, r, voter, v = args
        top = max((g | r).bit_length(), voter + 1)
        own = ((g >> voter) & 1) | (((r >> voter) & 1) << 1)
        others = tuple(s for s in _statuses(g, r, iter(i for i in range(1, top) if i != voter))
                       if s)
        return ("record", own, others, v)
    return _plain(args)


def describe(rule: str, args: tuple[Any, ...], got: Any, want: Any) -> str:
    """`rule(param=value, ...) = result, baseline result` with the model's parameter names."""
    import inspect

    try:
        params = list(inspect.signature(getattr(RULE_SETS["etcd-3.4"], rule)).parameters)
    except (AttributeError, TypeError, ValueError):
        params = []

    def show(v: Any) -> str:
        if callable(v) and not isinstance(v, int):
            return getattr(v, "__name__", "a function")
        return repr(v)

    shown = ", ".join(
        f"{params[i]}={show(a)}" if i < len(params) else show(a) for i, a in enumerate(args)
    )
    return f"{rule}({shown}) = {got!r}, baseline {want!r}"


def _answer(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[bool, Any]:
    try:
        return True, fn(*args)
    except Exception as exc:  # noqa: BLE001 - a rule that fails on an input differs there
        return False, f"raises {type(exc).__name__}"


def probe(
    rules: RuleSet, baseline: RuleSet, changed: tuple[str, ...], keep: int = KEEP
) -> dict[str, list[tuple[Key, tuple[Any, ...], str]]]:
    """Changed rule -> (canonical key, input, description) of the first `keep` inputs of its
    bounded domain on which it answers differently from the baseline's rule, smallest
    clusters first. A rule raising where the baseline answers (or the reverse) differs."""
    out: dict[str, list[tuple[Key, tuple[Any, ...], str]]] = {}
    for name in changed:
        fn, base = getattr(rules, name), getattr(baseline, name)
        found: list[tuple[Key, tuple[Any, ...], str]] = []
        seen: set[Key] = set()
        for args in domain(name, rules, baseline):
            ok_got, got = _answer(fn, args)
            ok_want, want = _answer(base, args)
            same = ok_got == ok_want and (not ok_got or _same(got, want))
            if same:
                continue
            key = canonical(name, args)
            if key in seen:
                continue
            seen.add(key)
            found.append((key, args, describe(name, args, got, want)))
            if len(found) >= keep:
                break
        if found:
            out[name] = found
    return out


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - an incomparable result differs
        return False
