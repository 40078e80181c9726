"""Membership changes as plain values, and etcd 3.4.23's confchange.Changer as pure functions.

A change is `ConfChange = (v2, transition, ops)`, ops `((op_type, node_id), ...)` sorted; a
configuration (tracker.Config) is `Conf = (voters_in, voters_out, learners, learners_next,
auto_leave)`, the first four node-id bitmasks (bit i = id i). The changer functions mirror
confchange/confchange.go (Simple, EnterJoint, LeaveJoint, checkInvariants) and raise
`ConfChangeError` where etcd returns an error; `joint_committed_index` mirrors
quorum/joint.go CommittedIndex and `quorums_intersect` decides the QuorumOverlap invariant.
"""

from __future__ import annotations

from functools import lru_cache

# raftpb ConfChangeType values.
ADD_NODE = 0
REMOVE_NODE = 1
ADD_LEARNER = 3
# raftpb ConfChangeTransition values.
AUTO = 0
IMPLICIT = 1
EXPLICIT = 2

OP_NAMES = {ADD_NODE: "add", REMOVE_NODE: "remove", ADD_LEARNER: "add-learner"}
TRANSITION_NAMES = {AUTO: "auto", IMPLICIT: "implicit", EXPLICIT: "explicit"}

ConfChange = tuple[bool, int, tuple[tuple[int, int], ...]]
Conf = tuple[int, int, int, int, int]

EMPTY_CONF: Conf = (0, 0, 0, 0, 0)
LEAVE_JOINT: ConfChange = (True, AUTO, ())


class ConfChangeError(ValueError):
    """A change etcd's Changer refuses (it returns an error; raft.go then panics)."""


def mask(ids: list[int] | tuple[int, ...] | set[int]) -> int:
    out = 0
    for i in ids:
        out |= 1 << i
    return out


def ids_of(m: int) -> list[int]:
    return [i for i in range(m.bit_length()) if (m >> i) & 1]


def initial_conf(voters: int, learners: int) -> Conf:
    """Bootstrap configuration: voters 1..voters, learners after them."""
    vin = mask(list(range(1, voters + 1)))
    lrn = mask(list(range(voters + 1, voters + learners + 1)))
    return (vin, 0, lrn, 0, 0)


def members(conf: Conf) -> int:
    """The ids with a Progress in the tracker: every voter and learner (LearnersNext are
    outgoing voters)."""
    return conf[0] | conf[1] | conf[2] | conf[3]


def voters(conf: Conf) -> int:
    """JointConfig.IDs: the voters of both halves."""
    return conf[0] | conf[1]


def is_joint(conf: Conf) -> bool:
    """confchange.go joint: the outgoing half is not empty."""
    return conf[1] != 0


def promotable(conf: Conf, nid: int) -> bool:
    """raft.go promotable: a Progress that is not a learner (LearnersNext are not learners
    until the joint config is left)."""
    bit = 1 << nid
    return bool(voters(conf) & bit) and not conf[2] & bit


def is_learner(conf: Conf, nid: int) -> bool:
    return bool(conf[2] & (1 << nid))


# -- entry encoding ---------------------------------------------------------------------------

_OP_CODE = {ADD_NODE: 0, REMOVE_NODE: 1, ADD_LEARNER: 2}
_CODE_OP = {v: k for k, v in _OP_CODE.items()}
_OP_BITS = 6  # 2 bits of op type, 4 of node id
_MAX_OPS = 7


def encode_change(cc: ConfChange) -> int:
    """A ConfChange packed into an int >= 1 (bit 0 always set)."""
    v2, transition, ops = cc
    if len(ops) > _MAX_OPS:
        raise ConfChangeError(f"at most {_MAX_OPS} operations in one change")
    code = 1 | (int(v2) << 1) | (transition << 2) | (len(ops) << 4)
    for k, (op, nid) in enumerate(ops):
        if not 0 <= nid < 16:
            raise ConfChangeError(f"node id {nid} does not fit a conf entry")
        code |= (_OP_CODE[op] | (nid << 2)) << (7 + _OP_BITS * k)
    return code


def decode_change(code: int) -> ConfChange:
    v2 = bool((code >> 1) & 1)
    transition = (code >> 2) & 3
    count = (code >> 4) & 7
    ops = []
    for k in range(count):
        word = (code >> (7 + _OP_BITS * k)) & ((1 << _OP_BITS) - 1)
        ops.append((_CODE_OP[word & 3], word >> 2))
    return (v2, transition, tuple(ops))


def conf_entry(term: int, cc: ConfChange) -> int:
    """A conf log entry: `term | code << 8` (a normal entry is its term)."""
    return term | (encode_change(cc) << 8)


def entry_term(e: int) -> int:
    return e & 0xFF


def entry_conf(e: int) -> ConfChange | None:
    code = e >> 8
    return decode_change(code) if code else None


def is_conf_entry(e: int) -> bool:
    return e >= 256


def make_change(ops: list[tuple[int, int]] | tuple[tuple[int, int], ...], v2: bool = True,
                transition: int = AUTO) -> ConfChange:
    return (v2, transition, tuple(sorted(ops)))


def enters_joint(cc: ConfChange) -> tuple[bool, bool]:
    """raftpb ConfChangeV2.EnterJoint: (auto_leave, enters) — a transition other than AUTO or
    more than one op enters a joint config; auto-leave unless EXPLICIT."""
    v2, transition, ops = cc
    if not v2:
        return False, False
    if transition != AUTO or len(ops) > 1:
        return transition in (AUTO, IMPLICIT), True
    return False, False


def leaves_joint(cc: ConfChange) -> bool:
    """raftpb ConfChangeV2.LeaveJoint: a V2 without ops (the zero value)."""
    return cc[0] and not cc[2]


# -- the changer (confchange/confchange.go) --------------------------------------------------


def check_invariants(conf: Conf) -> None:
    """confchange.go checkInvariants, over masks (every id of a mask has a Progress by
    construction; the IsLearner flag is membership of `learners`)."""
    vin, vout, lrn, lnext, auto = conf
    if lnext & ~vout:
        raise ConfChangeError(f"{ids_of(lnext & ~vout)[0]} is in LearnersNext, but not Voters[1]")
    if lnext & lrn:
        raise ConfChangeError(f"{ids_of(lnext & lrn)[0]} is in LearnersNext, but is a learner")
    if lrn & vout:
        raise ConfChangeError(f"{ids_of(lrn & vout)[0]} is in Learners and Voters[1]")
    if lrn & vin:
        raise ConfChangeError(f"{ids_of(lrn & vin)[0]} is in Learners and Voters[0]")
    if not vout and (lnext or auto):
        raise ConfChangeError("LearnersNext and AutoLeave must be empty when not joint")


def _apply(conf: list[int], ops: tuple[tuple[int, int], ...]) -> None:
    """confchange.go apply (makeVoter, makeLearner, remove)."""
    for op, nid in ops:
        if nid == 0:
            continue
        bit = 1 << nid
        present = bool(members(tuple(conf)) & bit)  # type: ignore[arg-type]
        if op == ADD_NODE:
            # makeVoter (a new Progress, or a learner promoted).
            conf[2] &= ~bit
            conf[3] &= ~bit
            conf[0] |= bit
        elif op == ADD_LEARNER:
            if not present:
                conf[2] |= bit
            elif conf[2] & bit:
                pass
            else:
                # makeLearner of a voter: removed, then a learner now or once the joint config
                # is left (LearnersNext) when it is still an outgoing voter.
                conf[0] &= ~bit
                conf[3] &= ~bit
                if conf[1] & bit:
                    conf[3] |= bit
                else:
                    conf[2] |= bit
        elif op == REMOVE_NODE:
            if present:
                conf[0] &= ~bit
                conf[2] &= ~bit
                conf[3] &= ~bit
        else:
            raise ConfChangeError(f"unexpected conf type {op}")
    if not conf[0]:
        raise ConfChangeError("removed all voters")


def simple(conf: Conf, ops: tuple[tuple[int, int], ...]) -> Conf:
    """Changer.Simple: no joint config, at most one voter changed."""
    check_invariants(conf)
    if is_joint(conf):
        raise ConfChangeError("can't apply simple config change in joint config")
    new = list(conf)
    _apply(new, ops)
    if (conf[0] ^ new[0]).bit_count() > 1:
        raise ConfChangeError("more than one voter changed without entering joint config")
    out: Conf = tuple(new)  # type: ignore[assignment]
    check_invariants(out)
    return out


def enter_joint(conf: Conf, auto_leave: bool, ops: tuple[tuple[int, int], ...]) -> Conf:
    """Changer.EnterJoint: the incoming voters are copied to the outgoing half, then changed."""
    check_invariants(conf)
    if is_joint(conf):
        raise ConfChangeError("config is already joint")
    if not conf[0]:
        raise ConfChangeError("can't make a zero-voter config joint")
    new = [conf[0], conf[0], conf[2], conf[3], 0]
    _apply(new, ops)
    new[4] = int(auto_leave)
    out: Conf = tuple(new)  # type: ignore[assignment]
    check_invariants(out)
    return out


def leave_joint(conf: Conf) -> Conf:
    """Changer.LeaveJoint: LearnersNext become learners, the outgoing half is dropped."""
    check_invariants(conf)
    if not is_joint(conf):
        raise ConfChangeError("can't leave a non-joint config")
    vin, _vout, lrn, lnext, _auto = conf
    out: Conf = (vin, 0, lrn | lnext, 0, 0)
    check_invariants(out)
    return out


def apply_change(conf: Conf, cc: ConfChange) -> Conf:
    """raft.go applyConfChange: LeaveJoint, EnterJoint or Simple by the change's shape."""
    if leaves_joint(cc):
        return leave_joint(conf)
    auto_leave, joint = enters_joint(cc)
    if joint:
        return enter_joint(conf, auto_leave, cc[2])
    return simple(conf, cc[2])


# -- quorums (quorum/majority.go, quorum/joint.go) --------------------------------------------


def majority_committed_index(voter_mask: int, match: tuple[int, ...]) -> int:
    """MajorityConfig.CommittedIndex: the highest index a majority acknowledged; an empty
    config answers "infinity" (here a large int) so that the joint minimum ignores it."""
    ids = ids_of(voter_mask)
    if not ids:
        return 1 << 62
    acked = sorted((match[i - 1] if i - 1 < len(match) else 0) for i in ids)
    return acked[len(acked) - (len(acked) // 2 + 1)]


def joint_committed_index(conf: Conf, match: tuple[int, ...]) -> int:
    """JointConfig.CommittedIndex: the smaller of both halves' (match[i-1] is id i's)."""
    return min(majority_committed_index(conf[0], match), majority_committed_index(conf[1], match))


def is_quorum(conf: Conf, group: int) -> bool:
    """`group` (a mask) holds a majority of each non-empty half."""
    for half in (conf[0], conf[1]):
        n = half.bit_count()
        if n and (group & half).bit_count() < n // 2 + 1:
            return False
    return True


@lru_cache(maxsize=4096)
def quorums_intersect(a: Conf, b: Conf) -> bool:
    """Every quorum of `a` meets every quorum of `b`. Quorums are upward closed, so two
    disjoint ones exist iff some set S of ids is a quorum of `a` and its complement one of
    `b`."""
    ids = ids_of(voters(a) | voters(b))
    every = mask(ids)
    for k in range(1 << len(ids)):
        s = 0
        for j, i in enumerate(ids):
            if (k >> j) & 1:
                s |= 1 << i
        if is_quorum(a, s) and is_quorum(b, every & ~s):
            return False
    return True


def describe_conf(conf: Conf) -> str:
    """e.g. `voters=(1,2,3)&&(1,2) learners=(4) next=() autoleave`."""
    def ids(m: int) -> str:
        return "(" + ",".join(str(i) for i in ids_of(m)) + ")"

    out = f"voters={ids(conf[0])}"
    if conf[1]:
        out += f"&&{ids(conf[1])}"
    if conf[2]:
        out += f" learners={ids(conf[2])}"
    if conf[3]:
        out += f" next={ids(conf[3])}"
    if conf[4]:
        out += " autoleave"
    return out


def describe_change(cc: ConfChange) -> str:
    """e.g. `v1 add(4)`, `v2 joint-auto remove(1) add(4)`, `v2 leave-joint`."""
    v2, transition, ops = cc
    if leaves_joint(cc):
        return "v2 leave-joint"
    parts = [" ".join(f"{OP_NAMES[op]}({nid})" for op, nid in ops)]
    auto_leave, joint = enters_joint(cc)
    kind = ("joint-auto" if auto_leave else "joint-explicit") if joint else ""
    head = "v2" if v2 else "v1"
    return " ".join(p for p in (head, kind, *parts) if p)


def describe_entry(e: int) -> str:
    """A log entry for traces: `2` (normal) or `2:cc[v1 add(4)]`."""
    cc = entry_conf(e)
    if cc is None:
        return str(e)
    return f"{entry_term(e)}:cc[{describe_change(cc)}]"
