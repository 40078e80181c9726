"""Checked calls of user-supplied rule functions (rules files, docs/AUDIT.md).

A rule from a rules file is wrapped at load time: every call on concrete values checks that the
result has the type and shape the model relies on (`RESULT_SHAPES`), and turns an exception
into `RuleError`, which names the rule, its inputs and the error in one line. The CLI reports a
RuleError as bad input (exit 2): a rule that crashes or returns nonsense is a broken rules file,
not a verdict about Raft. Calls on symbolic values (specs/symbolic.py runs rules on Z3 terms)
pass through unchecked: the prover falls back to concrete calls when a rule fails on them, and
those are checked.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from model.messages import MSG_NAMES
from model.rules import ETCD_34, VoteResult


class RuleError(Exception):
    """A user rule raised or returned a value of the wrong shape; one line for the user."""

    def __init__(self, rule: str, inputs: str, error: str, where: str = "") -> None:
        self.rule, self.inputs, self.error, self.where = rule, inputs, error, where
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}rule {rule}({inputs}) {error}")


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _natural(v: Any) -> bool:
    return _int(v) and v >= 0


def _bool(v: Any) -> bool:
    return isinstance(v, bool)


def _tally(v: Any) -> bool:
    return _int(v) and v in tuple(VoteResult)


def _reply_type(v: Any) -> bool:
    return v is None or (_int(v) and 0 <= v < len(MSG_NAMES))


def _mask_pair(v: Any) -> bool:
    return isinstance(v, tuple | list) and len(v) == 2 and all(_natural(x) for x in v)


_BOOL = (_bool, "True or False")
_NODE = (_natural, "a node id (an int >= 0; 0 means none)")

# rule name -> (check of the result, what the result must be)
RESULT_SHAPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "quorum": (_int, "an int"),
    "is_up_to_date": _BOOL,
    "can_vote": _BOOL,
    "in_lease": _BOOL,
    "lease_drops_request": _BOOL,
    "adopts_higher_term": _BOOL,
    "leader_from_message": _BOOL,
    "lower_term_reply": (_reply_type, "None or a message type of model/messages.py"),
    "vote_reply_term": (_natural, "a term (an int >= 0)"),
    "reset_vote": _NODE,
    "grant_resets_elapsed": _BOOL,
    "grant_records_vote": _BOOL,
    "self_vote": _BOOL,
    "pre_vote_term": (_natural, "a term (an int >= 0)"),
    "lease_applies": _BOOL,
    "transfer_forces": _BOOL,
    "pre_candidate_lead": _NODE,
    "learner_answers_votes": _BOOL,
    "record_vote": (_mask_pair, "a pair (granted, rejected) of node-id bitmasks (ints >= 0)"),
    "tally_votes": (_tally, "a VoteResult (PENDING=1, LOST=2, WON=3)"),
    "quorum_active": _BOOL,
    "num_of_pending_conf": (_natural, "a count (an int >= 0)"),
    "hup_checks_pending_conf": _BOOL,
    "conf_already_pending": _BOOL,
    "joint_vote_result": (_tally, "a VoteResult (PENDING=1, LOST=2, WON=3)"),
}


def _concrete(v: Any) -> bool:
    return v is None or isinstance(v, int) or callable(v)


def _plain(v: Any) -> bool:
    """A plain Python value (not a symbolic term), whose shape can be checked."""
    if isinstance(v, tuple | list):
        return all(_plain(x) for x in v)
    return v is None or isinstance(v, int | str | float)


def _show(v: Any) -> str:
    if not _concrete(v):
        return "<symbolic>"
    if callable(v) and not isinstance(v, int):
        return getattr(v, "__name__", "a function")
    return repr(v)


def _param_names(rule: str) -> list[str]:
    return list(inspect.signature(getattr(ETCD_34, rule)).parameters)


def checked(rule: str, fn: Callable[..., Any], where: str = "") -> Callable[..., Any]:
    """`fn` (the user's version of `rule`), checked on every concrete call."""
    ok, shape = RESULT_SHAPES[rule]
    names = _param_names(rule)

    def inputs(args: tuple[Any, ...]) -> str:
        return ", ".join(
            f"{names[i]}={_show(a)}" if i < len(names) else _show(a) for i, a in enumerate(args)
        )

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        if not all(_concrete(a) for a in args):
            # Symbolic: exceptions pass (the prover falls back to concrete calls, checked
            # below); a concrete result can still be checked.
            result = fn(*args)
            if _plain(result) and not ok(result):
                raise RuleError(rule, inputs(args), f"returned {result!r}; it must return "
                                f"{shape}", where)
            return result
        try:
            result = fn(*args)
        except RuleError:
            raise
        except Exception as exc:  # noqa: BLE001 - any error in user code is a broken rule
            detail = " ".join(str(exc).split())
            raise RuleError(rule, inputs(args),
                            f"raised {type(exc).__name__}" + (f": {detail}" if detail else ""),
                            where) from None
        if not ok(result):
            raise RuleError(rule, inputs(args),
                            f"returned {result!r} ({type(result).__name__}); it must return "
                            f"{shape}", where)
        return result

    call.__rule_checked__ = True  # type: ignore[attr-defined]
    return call
