"""Which membership changes a leader may propose: `--conf-kinds` and `--conf-change SPEC`.

Specs (`promote:4`, `demote:2`, `remove:3`, `add:5`, `add-learner:5`, `joint:promote:4+remove:1`,
`joint-explicit:...`) are parsed and checked against the initial configuration here, one line
per error (`SpecError`). `candidate_changes` lists the changes for a leader whose applied
configuration is `conf`; the cluster keeps those etcd accepts and the changer applies.
"""

from __future__ import annotations

from itertools import combinations

from model.confchange import (
    ADD_LEARNER,
    ADD_NODE,
    AUTO,
    EXPLICIT,
    LEAVE_JOINT,
    REMOVE_NODE,
    Conf,
    ConfChange,
    ConfChangeError,
    apply_change,
    ids_of,
    is_joint,
    members,
    voters,
)

KINDS = ("add", "remove", "promote", "demote", "joint")
DEFAULT_KINDS = ("add", "remove", "promote", "demote")
ENCODINGS = ("v1", "v2")
_SIMPLE = {"promote": ADD_NODE, "demote": ADD_LEARNER, "remove": REMOVE_NODE, "add": ADD_NODE,
           "add-learner": ADD_LEARNER}

Op = tuple[int, int]


class SpecError(ValueError):
    """A conf kind or change the user wrote that cannot be meant; one line."""


def parse_kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    if not kinds:
        raise SpecError("--conf-kinds is empty (known: " + ", ".join(KINDS) + ")")
    for k in kinds:
        if k not in KINDS:
            raise SpecError(f"unknown conf kind {k!r} (known: {', '.join(KINDS)})")
    return kinds


def parse_encodings(text: str) -> tuple[str, ...]:
    encs = tuple(e.strip() for e in text.split(",") if e.strip())
    if not encs:
        raise SpecError("--conf-entry is empty (give v1, v2 or v1,v2)")
    for e in encs:
        if e not in ENCODINGS:
            raise SpecError(f"unknown conf entry encoding {e!r} (known: v1, v2)")
    return encs


def _op(text: str, spec: str, n: int) -> tuple[str, Op]:
    word, sep, rest = text.partition(":")
    if not sep or word not in _SIMPLE:
        raise SpecError(f"--conf-change {spec!r}: {text!r} is not KIND:ID (KIND one of "
                        "promote, demote, remove, add, add-learner)")
    if not rest.strip().isdigit():
        raise SpecError(f"--conf-change {spec!r}: {rest!r} is not a node id")
    nid = int(rest)
    if not 1 <= nid <= n:
        raise SpecError(f"--conf-change {spec!r}: unknown node {nid} (nodes are 1..{n})")
    return word, (_SIMPLE[word], nid)


def _check_op(word: str, op: Op, conf: Conf, spec: str) -> None:
    """The op must make sense against the initial configuration."""
    _type, nid = op
    bit = 1 << nid
    is_voter = bool(voters(conf) & bit)
    is_member = bool(members(conf) & bit)
    if word == "promote" and not (is_member and not is_voter):
        what = "a voter" if is_voter else "not a member"
        raise SpecError(f"--conf-change {spec!r}: cannot promote {nid}: it is {what}, "
                        "not a learner")
    if word == "demote" and not is_voter:
        raise SpecError(f"--conf-change {spec!r}: cannot demote {nid}: it is not a voter")
    if word in ("add", "add-learner") and is_member:
        raise SpecError(f"--conf-change {spec!r}: cannot add {nid}: it is already a member")
    if word == "remove" and not is_member:
        raise SpecError(f"--conf-change {spec!r}: cannot remove {nid}: it is not a member")


def parse_spec(spec: str, n: int, conf: Conf, kinds: tuple[str, ...],
               encodings: tuple[str, ...]) -> list[ConfChange]:
    """One `--conf-change` SPEC -> its changes (a simple one once per entry encoding)."""
    text = spec.strip()
    head, _, rest = text.partition(":")
    if head in ("joint", "joint-explicit"):
        if "joint" not in kinds:
            raise SpecError(f"--conf-change {spec!r} is a joint change: add joint to --conf-kinds")
        parts = [p.strip() for p in rest.split("+") if p.strip()]
        if not parts:
            raise SpecError(f"--conf-change {spec!r}: no change after {head}:")
        ops = []
        for p in parts:
            word, op = _op(p, spec, n)
            _check_op(word, op, conf, spec)
            ops.append(op)
        if len({nid for _, nid in ops}) != len(ops):
            raise SpecError(f"--conf-change {spec!r}: a node is named twice")
        transition = EXPLICIT if head == "joint-explicit" else AUTO
        change: ConfChange = (True, transition, tuple(sorted(ops)))
        if head == "joint" and len(ops) == 1:
            # One op with AUTO would be a simple change: IMPLICIT enters joint, auto-leaves.
            change = (True, 1, change[2])
        _refused(conf, change, spec)
        return [change]
    word, op = _op(text, spec, n)
    _check_op(word, op, conf, spec)
    out: list[ConfChange] = [(e == "v2", AUTO, (op,)) for e in encodings]
    for c in out:
        _refused(conf, c, spec)
    return out


def _refused(conf: Conf, change: ConfChange, spec: str) -> None:
    try:
        apply_change(conf, change)
    except ConfChangeError as exc:
        raise SpecError(f"--conf-change {spec!r}: etcd refuses it: {exc}") from None


def _family(kind: str, conf: Conf, n: int) -> list[Op]:
    """The single ops of one kind that change `conf` (ids 1..n)."""
    vs, ms = voters(conf), members(conf)
    if kind == "add":
        outside = [i for i in range(1, n + 1) if not ms >> i & 1]
        return [(ADD_NODE, i) for i in outside] + [(ADD_LEARNER, i) for i in outside]
    if kind == "remove":
        return [(REMOVE_NODE, i) for i in ids_of(ms)]
    if kind == "promote":
        return [(ADD_NODE, i) for i in ids_of(ms & ~vs)]
    if kind == "demote":
        return [(ADD_LEARNER, i) for i in ids_of(vs)]
    return []


def candidate_changes(conf: Conf, n: int, kinds: tuple[str, ...], specs: tuple[ConfChange, ...],
                      encodings: tuple[str, ...]) -> list[ConfChange]:
    """Changes a leader with applied configuration `conf` may propose, before etcd's MsgProp
    checks: the specs if any were given, else every op of the kinds (simple once per encoding;
    with `joint`, every pair of ops on two nodes as one auto-leave joint change); plus leaving a
    joint configuration. Changes the changer refuses or that change nothing are dropped."""
    out: list[ConfChange] = []
    if specs:
        out.extend(specs)
    else:
        simple_kinds = [k for k in kinds if k != "joint"]
        ops = [op for k in simple_kinds for op in _family(k, conf, n)]
        for op in ops:
            out.extend((e == "v2", AUTO, (op,)) for e in encodings)
        if "joint" in kinds:
            pool = ops or [op for k in DEFAULT_KINDS for op in _family(k, conf, n)]
            for a, b in combinations(pool, 2):
                if a[1] != b[1]:
                    out.append((True, AUTO, tuple(sorted((a, b)))))
    if is_joint(conf):
        out.append(LEAVE_JOINT)
    kept = []
    seen = set()
    for c in out:
        if c in seen:
            continue
        seen.add(c)
        try:
            new = apply_change(conf, c)
        except ConfChangeError:
            continue
        if new != conf:
            kept.append(c)
    return kept
