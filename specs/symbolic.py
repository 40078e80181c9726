"""Run the model's Python rule functions on Z3 terms, so that proofs use the rules themselves.

A rule is called with `Sym` arguments (32-bit two's-complement bit-vector terms, which behave
like Python ints as long as nothing overflows). Arithmetic, bit operations and comparisons build
Z3 terms; a branch on a symbolic condition (`if`, `and`, `or`, `not`) is explored both ways by
re-running the function with a recorded prefix of decisions, so one call yields every path as
(path condition, result), merged into one Z3 term.

A rule that cannot be run this way (it converts a symbolic value to a concrete int, or has too
many paths) is handled lazily instead: its call is an uninterpreted Z3 function, and each time
the solver proposes a model, the Python rule is evaluated on the model's concrete arguments and
the resulting table entry is added as a fact, until the model agrees with the rule (a real
counterexample) or no model is left (proved). Either way the proof is about the rule's code.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import z3

WIDTH = 16

MAX_PATHS = 256


class SymbolicUnsupported(Exception):
    """The rule did something with a symbolic value that has no Z3 counterpart."""


class _Path:
    def __init__(self, prefix: list[bool]) -> None:
        self.prefix = prefix
        self.choices: list[bool] = []
        self.conds: list[z3.BoolRef] = []

    def decide(self, cond: z3.BoolRef) -> bool:
        pos = len(self.choices)
        choice = self.prefix[pos] if pos < len(self.prefix) else True
        self.choices.append(choice)
        self.conds.append(cond if choice else z3.Not(cond))
        return choice


_ACTIVE: list[_Path] = []


def _decide(cond: z3.BoolRef) -> bool:
    cond = z3.simplify(cond)
    if z3.is_true(cond):
        return True
    if z3.is_false(cond):
        return False
    if not _ACTIVE:
        raise SymbolicUnsupported("branch on a symbolic value outside a symbolic call")
    return _ACTIVE[-1].decide(cond)


def _bv(x: object) -> z3.BitVecRef:
    if isinstance(x, Sym):
        return x.e
    if isinstance(x, bool):
        return z3.BitVecVal(int(x), WIDTH)
    if isinstance(x, int):
        return z3.BitVecVal(x, WIDTH)
    raise SymbolicUnsupported(f"cannot mix a symbolic value with {type(x).__name__}")


def _hint(x: object) -> int | None:
    """How many low bits of x may be set (None: unknown, e.g. negative)."""
    if isinstance(x, Sym):
        return x.nbits
    if isinstance(x, int):
        return x.bit_length() if x >= 0 else None
    return None


class SymBool:
    """A symbolic truth value; using it in a branch explores both outcomes."""

    def __init__(self, e: z3.BoolRef) -> None:
        self.e = e

    def __bool__(self) -> bool:
        return _decide(self.e)

    def __and__(self, o: object) -> SymBool:
        return SymBool(z3.And(self.e, _bool(o)))

    __rand__ = __and__

    def __or__(self, o: object) -> SymBool:
        return SymBool(z3.Or(self.e, _bool(o)))

    __ror__ = __or__

    def __invert__(self) -> SymBool:
        return SymBool(z3.Not(self.e))


def _bool(x: object) -> z3.BoolRef:
    if isinstance(x, SymBool):
        return x.e
    if isinstance(x, bool):
        return z3.BoolVal(x)
    if isinstance(x, Sym):
        return x.e != 0
    if isinstance(x, int):
        return z3.BoolVal(x != 0)
    raise SymbolicUnsupported(f"not a truth value: {type(x).__name__}")


class Sym:
    """A symbolic Python int (a set of node ids as a bitmask, or a count)."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, e: z3.BitVecRef, nbits: int | None = None) -> None:
        self.e = e
        self.nbits = nbits

    # -- conversions that have no symbolic meaning ----------------------------------------
    def __index__(self) -> int:
        raise SymbolicUnsupported("a symbolic value was used as a concrete int")

    __int__ = __index__

    def __bool__(self) -> bool:
        return _decide(self.e != 0)

    # -- int methods used by the rules ----------------------------------------------------
    def bit_count(self) -> Sym:
        bits = WIDTH if self.nbits is None else max(self.nbits, 1)
        total = z3.Sum([z3.ZeroExt(WIDTH - 1, z3.Extract(i, i, self.e)) for i in range(bits)])
        return Sym(total, bits.bit_length())

    # -- arithmetic and bit operations ----------------------------------------------------
    def __and__(self, o: object) -> Sym:
        hints = [h for h in (self.nbits, _hint(o)) if h is not None]
        return Sym(self.e & _bv(o), min(hints) if hints else None)

    __rand__ = __and__

    def __or__(self, o: object) -> Sym:
        a, b = self.nbits, _hint(o)
        return Sym(self.e | _bv(o), None if a is None or b is None else max(a, b))

    __ror__ = __or__

    def __xor__(self, o: object) -> Sym:
        a, b = self.nbits, _hint(o)
        return Sym(self.e ^ _bv(o), None if a is None or b is None else max(a, b))

    __rxor__ = __xor__

    def __invert__(self) -> Sym:
        return Sym(~self.e)

    def __lshift__(self, o: object) -> Sym:
        if isinstance(o, int) and self.nbits is not None:
            return Sym(self.e << o, self.nbits + o)
        return Sym(self.e << _bv(o))

    def __rlshift__(self, o: object) -> Sym:
        return Sym(_bv(o) << self.e)

    def __rshift__(self, o: object) -> Sym:
        return Sym(self.e >> _bv(o), self.nbits)

    def __rrshift__(self, o: object) -> Sym:
        return Sym(_bv(o) >> self.e, _hint(o))

    def __add__(self, o: object) -> Sym:
        return Sym(self.e + _bv(o))

    __radd__ = __add__

    def __sub__(self, o: object) -> Sym:
        return Sym(self.e - _bv(o))

    def __rsub__(self, o: object) -> Sym:
        return Sym(_bv(o) - self.e)

    def __mul__(self, o: object) -> Sym:
        return Sym(self.e * _bv(o))

    __rmul__ = __mul__

    def __neg__(self) -> Sym:
        return Sym(-self.e)

    def __mod__(self, o: object) -> Sym:
        return Sym(self.e % _bv(o))  # bvsmod: the divisor's sign, like Python

    def __floordiv__(self, o: object) -> Sym:
        d = _bv(o)
        # Python floors; bvsmod has the divisor's sign, so (x - x mod d) / d is exact.
        return Sym((self.e - self.e % d) / d)

    def __rfloordiv__(self, o: object) -> Sym:
        x = _bv(o)
        return Sym((x - x % self.e) / self.e)

    # -- comparisons (signed, like Python ints) -------------------------------------------
    def __eq__(self, o: object) -> SymBool:  # type: ignore[override]
        return SymBool(self.e == _bv(o))

    def __ne__(self, o: object) -> SymBool:  # type: ignore[override]
        return SymBool(self.e != _bv(o))

    def __lt__(self, o: object) -> SymBool:
        return SymBool(self.e < _bv(o))

    def __le__(self, o: object) -> SymBool:
        return SymBool(self.e <= _bv(o))

    def __gt__(self, o: object) -> SymBool:
        return SymBool(self.e > _bv(o))

    def __ge__(self, o: object) -> SymBool:
        return SymBool(self.e >= _bv(o))


def mask_var(name: str, ids: int) -> tuple[Sym, z3.BitVecRef]:
    """A symbolic set of node ids 1..ids, laid out like the model (bit i is id i, bit 0 unused)."""
    raw = z3.BitVec(name, ids)
    e = z3.ZeroExt(WIDTH - ids - 1, z3.Concat(raw, z3.BitVecVal(0, 1)))
    return Sym(e, ids + 1), raw


def const(x: int) -> Sym:
    return Sym(z3.BitVecVal(x, WIDTH), _hint(x))


def popcount(x: Sym | int) -> z3.BitVecRef:
    if isinstance(x, int):
        return z3.BitVecVal(x.bit_count(), WIDTH)
    return x.bit_count().e


def table_function(fn: Callable[[int], int], lo: int, hi: int) -> Callable[[Any], Any]:
    """`fn` on concrete ints, and on a symbolic int in lo..hi as an If-chain of fn's table."""

    def apply(k: Any) -> Any:
        if isinstance(k, Sym):
            expr = _bv(fn(hi))
            for v in range(hi - 1, lo - 1, -1):
                expr = z3.If(k.e == v, _bv(fn(v)), expr)
            return Sym(expr)
        return fn(k)

    return apply


def _to_z3(x: object) -> z3.ExprRef:
    if isinstance(x, SymBool):
        return x.e
    if isinstance(x, bool):
        return z3.BoolVal(x)
    return _bv(x)


def _merge(paths: Sequence[tuple[z3.BoolRef, object]]) -> Any:
    """One term for all paths (a tuple result is merged component-wise)."""
    first = paths[0][1]
    if isinstance(first, tuple):
        return tuple(
            _merge([(c, r[i]) for c, r in paths])  # type: ignore[index]
            for i in range(len(first))
        )
    expr = _to_z3(paths[-1][1])
    for cond, res in reversed(paths[:-1]):
        expr = z3.If(cond, _to_z3(res), expr)
    if z3.is_bool(expr):
        return SymBool(expr)
    return Sym(expr)


def symbolic_call(fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args) on symbolic arguments: every path explored, merged into one result."""
    paths: list[tuple[z3.BoolRef, object]] = []
    prefix: list[bool] = []
    while True:
        path = _Path(prefix)
        _ACTIVE.append(path)
        try:
            result = fn(*args)
        except SymbolicUnsupported:
            raise
        except Exception as exc:  # the rule cannot take symbolic input: fall back
            raise SymbolicUnsupported(f"{type(exc).__name__}: {exc}") from exc
        finally:
            _ACTIVE.pop()
        if isinstance(result, Sym | SymBool | bool | int) or (
            isinstance(result, tuple) and all(isinstance(r, Sym | int) for r in result)
        ):
            paths.append((z3.And(path.conds), result))
        else:
            raise SymbolicUnsupported(f"unsupported result {result!r}")
        if len(paths) > MAX_PATHS:
            raise SymbolicUnsupported("too many paths")
        choices = path.choices
        while choices and not choices[-1]:
            choices.pop()
        if not choices:
            break
        choices[-1] = False
        prefix = choices
    return _merge(paths)


@dataclass
class _LazySite:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    funcs: tuple[z3.FuncDeclRef, ...]
    sym_positions: tuple[int, ...]


_fresh = itertools.count()


class Problem:
    """A Z3 query whose rule calls are symbolic where possible and lazily tabulated otherwise."""

    def __init__(self) -> None:
        self.solver = z3.Solver()
        self.sites: list[_LazySite] = []
        self.lazy_facts = 0

    def add(self, *constraints: z3.BoolRef) -> None:
        self.solver.add(*constraints)

    def call(self, fn: Callable[..., Any], *args: Any, outputs: int = 1, kind: str = "int") -> Any:
        """fn(*args); `outputs` > 1 for a tuple result; kind 'int' or 'bool' per component."""
        try:
            return symbolic_call(fn, *args)
        except SymbolicUnsupported:
            pass
        pos = tuple(i for i, a in enumerate(args) if isinstance(a, Sym | SymBool))
        n = next(_fresh)
        out_sort = z3.BoolSort() if kind == "bool" else z3.BitVecSort(WIDTH)
        in_sorts = [
            z3.BoolSort() if isinstance(args[i], SymBool) else z3.BitVecSort(WIDTH) for i in pos
        ]
        funcs = tuple(
            z3.Function(f"rule{n}_{getattr(fn, '__name__', 'fn')}_{k}", *in_sorts, out_sort)
            for k in range(outputs)
        )
        site = _LazySite(fn, args, funcs, pos)
        self.sites.append(site)
        sym_args = [_to_z3(args[i]) for i in pos]
        outs: list[Any] = []
        for f in funcs:
            app = f(*sym_args) if pos else f()
            outs.append(SymBool(app) if kind == "bool" else Sym(app))
        return tuple(outs) if outputs > 1 else outs[0]

    def find(self) -> z3.ModelRef | None:
        """A model agreeing with every rule, or None when there is none (the claim holds)."""
        while True:
            res = self.solver.check()
            if res == z3.unsat:
                return None
            if res != z3.sat:
                raise RuntimeError(f"solver answered {res}")
            model = self.solver.model()
            agreed = True
            for site in self.sites:
                concrete = list(site.args)
                vals = []
                for i in site.sym_positions:
                    v = model.eval(_to_z3(site.args[i]), model_completion=True)
                    cv: int | bool = (
                        z3.is_true(v) if z3.is_bool(v) else v.as_signed_long()  # type: ignore[attr-defined]
                    )
                    concrete[i] = cv
                    vals.append(_to_z3(cv))
                result = site.fn(*concrete)
                results = result if isinstance(result, tuple) else (result,)
                for f, r in zip(site.funcs, results, strict=True):
                    app = f(*vals) if vals else f()
                    want = _to_z3(bool(r) if z3.is_bool(app) else int(r))
                    if not z3.is_true(model.eval(app == want, model_completion=True)):
                        self.solver.add(app == want)
                        self.lazy_facts += 1
                        agreed = False
            if agreed:
                return model


def value(model: z3.ModelRef, x: Sym | SymBool | z3.ExprRef) -> int:
    e = x.e if isinstance(x, Sym | SymBool) else x
    v = model.eval(e, model_completion=True)
    if z3.is_bool(v):
        return int(z3.is_true(v))
    return v.as_signed_long()  # type: ignore[attr-defined,no-any-return]
