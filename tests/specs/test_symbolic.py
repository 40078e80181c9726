"""specs/symbolic.py: symbolic ints agree with Python ints, and branches explore every path."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from model.rules import ETCD_34, SEED, VoteResult
from specs.symbolic import Problem, Sym, const, mask_var, symbolic_call, value

small = st.integers(min_value=-150, max_value=150)  # products stay within 16 bits
OPS: list[Callable[[int, int], object]] = [
    operator.add,
    operator.sub,
    operator.mul,
    operator.and_,
    operator.or_,
    operator.xor,
    operator.lt,
    operator.le,
    operator.eq,
    operator.ne,
    operator.ge,
    operator.gt,
]


def concrete(x: object) -> int:
    e = x.e if isinstance(x, Sym) else x.e  # type: ignore[attr-defined]
    v = z3.simplify(e)
    if z3.is_bool(v):
        return int(z3.is_true(v))
    return v.as_signed_long()  # type: ignore[attr-defined,no-any-return]


@settings(max_examples=200, deadline=None)
@given(small, small, st.sampled_from(OPS))
def test_ops_match_python(a: int, b: int, op: Callable[[int, int], object]) -> None:
    sa: Any = const(a)
    sb: Any = const(b)
    want = int(op(a, b))  # type: ignore[call-overload]
    assert concrete(op(sa, b)) == want
    assert concrete(op(a, sb)) == want


@settings(max_examples=200, deadline=None)
@given(small, st.integers(min_value=1, max_value=20), st.integers(min_value=0, max_value=8))
def test_div_mod_shift_count(a: int, d: int, k: int) -> None:
    assert concrete(const(a) // d) == a // d
    assert concrete(const(a) % d) == a % d
    assert concrete(const(a) >> k) == a >> k
    assert concrete(~const(a)) == ~a
    if a >= 0:
        assert concrete(const(a).bit_count()) == a.bit_count()
        if k <= 6:  # stays within the 16-bit width
            assert concrete(const(a) << k) == a << k


def test_branches_explore_every_path() -> None:
    def f(x: int) -> int:
        if x > 5:
            return 1
        if x == 2 or x == 3:
            return 2
        return 3

    x = Sym(z3.BitVec("x", 16))
    out = symbolic_call(f, x)
    for v, want in ((9, 1), (2, 2), (3, 2), (0, 3), (-4, 3)):
        assert z3.simplify(z3.substitute(out.e, (x.e, z3.BitVecVal(v, 16)))).as_long() == want


def test_tally_on_symbolic_masks_matches_python() -> None:
    voters = 0b1110
    for rules in (SEED, ETCD_34):
        p = Problem()
        g, _ = mask_var("g", 3)
        r, _ = mask_var("r", 3)
        t = p.call(rules.tally_votes, voters, g, r, rules.quorum)
        assert not p.sites  # ran symbolically
        for gv in range(0, 16, 2):
            for rv in range(0, 16, 2):
                if gv & rv:
                    continue
                s = z3.Solver()
                s.add(g.e == gv, r.e == rv)
                assert s.check() == z3.sat
                got = VoteResult(value(s.model(), t))
                assert got == rules.tally_votes(voters, gv, rv, rules.quorum)
