"""model/confchange.py against etcd 3.4.23's confchange/ and quorum/ (their datadriven cases,
re-expressed over bitmasks) and exhaustively over small configurations."""

from __future__ import annotations

from itertools import combinations, product

import pytest

from model.confchange import (
    ADD_LEARNER,
    ADD_NODE,
    AUTO,
    EMPTY_CONF,
    EXPLICIT,
    IMPLICIT,
    LEAVE_JOINT,
    REMOVE_NODE,
    ConfChangeError,
    apply_change,
    conf_entry,
    decode_change,
    describe_entry,
    encode_change,
    enter_joint,
    entry_conf,
    entry_term,
    initial_conf,
    is_quorum,
    joint_committed_index,
    leave_joint,
    majority_committed_index,
    mask,
    promotable,
    quorums_intersect,
    simple,
)


def conf(vin=(), vout=(), learners=(), nxt=(), auto=False):  # type: ignore[no-untyped-def]
    return (mask(vin), mask(vout), mask(learners), mask(nxt), int(auto))


# -- entries ------------------------------------------------------------------------------------


def test_every_small_change_round_trips_through_an_entry() -> None:
    ops = [(t, i) for t in (ADD_NODE, REMOVE_NODE, ADD_LEARNER) for i in range(1, 10)]
    seen = set()
    for k in range(0, 3):
        for combo in combinations(ops, k):
            for v2, tr in ((False, AUTO), (True, AUTO), (True, IMPLICIT), (True, EXPLICIT)):
                cc = (v2, tr, tuple(sorted(combo)))
                code = encode_change(cc)
                assert code >= 1 and decode_change(code) == cc
                assert code not in seen
                seen.add(code)
                for term in (1, 2, 255):
                    e = conf_entry(term, cc)
                    assert entry_term(e) == term and entry_conf(e) == cc


def test_a_normal_entry_is_its_term() -> None:
    assert entry_conf(3) is None and entry_term(3) == 3
    assert describe_entry(2) == "2"
    assert describe_entry(conf_entry(2, (False, AUTO, ((ADD_NODE, 4),)))) == "2:cc[v1 add(4)]"
    assert "leave-joint" in describe_entry(conf_entry(1, LEAVE_JOINT))


# -- the changer (confchange/testdata) ----------------------------------------------------------


def test_simple_promote_demote() -> None:
    # simple_promote_demote.txt: add 1, 2, 3; learner 4; promote it; demote a voter.
    c = simple(EMPTY_CONF, ((ADD_NODE, 1),))
    c = simple(c, ((ADD_NODE, 2),))
    c = simple(c, ((ADD_NODE, 3),))
    assert c == conf((1, 2, 3))
    c = simple(c, ((ADD_LEARNER, 4),))
    assert c == conf((1, 2, 3), learners=(4,))
    c = simple(c, ((ADD_NODE, 4),))
    assert c == conf((1, 2, 3, 4))
    c = simple(c, ((ADD_LEARNER, 2),))
    assert c == conf((1, 3, 4), learners=(2,))
    # Re-adding an existing voter changes nothing (no error either).
    assert simple(c, ((ADD_NODE, 1),)) == c


def test_simple_safety() -> None:
    # simple_safety.txt: two voters at once need a joint config; no zero-voter config.
    c = conf((1,))
    with pytest.raises(ConfChangeError, match="more than one voter"):
        simple(c, ((ADD_NODE, 2), (ADD_NODE, 3)))
    with pytest.raises(ConfChangeError, match="removed all voters"):
        simple(c, ((REMOVE_NODE, 1),))
    # A learner and a voter in one simple change is fine (one voter changed).
    assert simple(c, ((ADD_NODE, 2), (ADD_LEARNER, 3))) == conf((1, 2), learners=(3,))
    # Removing an unknown id is a no-op.
    assert simple(c, ((REMOVE_NODE, 9),)) == c


def test_joint_learners_next() -> None:
    # joint_learners_next.txt: demoting a voter inside a joint config goes through LearnersNext.
    c = conf((1,))
    j = enter_joint(c, False, ((ADD_NODE, 2), (ADD_LEARNER, 1)))
    assert j == conf((2,), (1,), nxt=(1,))
    assert promotable(j, 1) and promotable(j, 2)
    assert leave_joint(j) == conf((2,), learners=(1,))


def test_joint_safety_and_autoleave() -> None:
    c = conf((1,))
    with pytest.raises(ConfChangeError, match="non-joint"):
        leave_joint(c)
    with pytest.raises(ConfChangeError, match="zero-voter"):
        enter_joint(EMPTY_CONF, False, ((ADD_NODE, 1),))
    j = enter_joint(c, True, ((ADD_NODE, 2), (ADD_NODE, 3)))
    assert j == conf((1, 2, 3), (1,), auto=True)
    with pytest.raises(ConfChangeError, match="already joint"):
        enter_joint(j, False, ((ADD_NODE, 4),))
    with pytest.raises(ConfChangeError, match="in joint config"):
        simple(j, ((ADD_NODE, 4),))
    assert leave_joint(j) == conf((1, 2, 3))
    # Removing every incoming voter is refused even in a joint change.
    with pytest.raises(ConfChangeError, match="removed all voters"):
        enter_joint(c, True, ((REMOVE_NODE, 1),))


def test_apply_change_picks_the_changer_like_raft_go() -> None:
    c = conf((1, 2, 3), learners=(4,))
    # V1 and V2-auto with one op: simple; IMPLICIT with one op: joint, auto-leave; EXPLICIT:
    # joint without auto-leave; the empty V2: leave.
    assert apply_change(c, (False, AUTO, ((ADD_NODE, 4),))) == conf((1, 2, 3, 4))
    assert apply_change(c, (True, AUTO, ((ADD_NODE, 4),))) == conf((1, 2, 3, 4))
    assert apply_change(c, (True, IMPLICIT, ((ADD_NODE, 4),))) == conf(
        (1, 2, 3, 4), (1, 2, 3), auto=True)
    j = apply_change(c, (True, EXPLICIT, ((ADD_NODE, 4), (REMOVE_NODE, 1))))
    assert j == conf((2, 3, 4), (1, 2, 3))
    assert apply_change(j, LEAVE_JOINT) == conf((2, 3, 4))


def test_every_change_of_small_configs_keeps_the_invariants() -> None:
    """Exhaustive: every simple or joint change of up to two ops over ids 1..4, from every
    non-joint config of ids 1..4, either raises or yields a config whose invariants hold and
    whose leave (when joint) gives back a non-joint config."""
    ops = [(t, i) for t in (ADD_NODE, REMOVE_NODE, ADD_LEARNER) for i in range(1, 5)]
    bases = []
    for roles in product((0, 1, 2), repeat=4):  # 0 outside, 1 voter, 2 learner
        vin = [i + 1 for i, r in enumerate(roles) if r == 1]
        lrn = [i + 1 for i, r in enumerate(roles) if r == 2]
        if vin:
            bases.append(conf(vin, learners=lrn))
    checked = 0
    for base in bases:
        for k in (1, 2):
            for combo in combinations(ops, k):
                for tr in (AUTO, EXPLICIT):
                    cc = (True, tr, tuple(sorted(combo)))
                    try:
                        new = apply_change(base, cc)
                    except ConfChangeError:
                        continue
                    checked += 1
                    vin, vout, lrn, nxt, auto = new
                    assert vin and not (lrn & (vin | vout)) and not (nxt & ~vout)
                    if vout:
                        assert vout == base[0]
                        left = leave_joint(new)
                        assert left[1] == 0 and left[3] == 0 and left[4] == 0
                        assert quorums_intersect(base, new) and quorums_intersect(new, left)
                    else:
                        assert (base[0] ^ vin).bit_count() <= 1
                        assert quorums_intersect(base, new)
    assert checked > 1000


# -- quorums (quorum/testdata) ------------------------------------------------------------------


def test_majority_committed_index() -> None:
    match = (5, 4, 3, 0, 9)  # ids 1..5
    assert majority_committed_index(mask((1,)), match) == 5
    assert majority_committed_index(mask((1, 2)), match) == 4
    assert majority_committed_index(mask((1, 2, 3)), match) == 4
    assert majority_committed_index(mask((1, 2, 3, 4)), match) == 3
    assert majority_committed_index(mask((1, 2, 3, 4, 5)), match) == 4
    assert majority_committed_index(0, match) > 1 << 40  # empty: "infinity"


def test_joint_committed_index_is_the_smaller_half() -> None:
    match = (5, 4, 3, 0, 9)
    assert joint_committed_index(conf((1, 2, 3)), match) == 4
    assert joint_committed_index(conf((1, 2, 3), (3, 4)), match) == 0
    assert joint_committed_index(conf((3, 4, 5), (1, 2)), match) == 3


def test_quorum_overlap() -> None:
    abc = conf((1, 2, 3))
    assert quorums_intersect(abc, abc)
    assert quorums_intersect(abc, conf((1, 2, 3, 4)))  # one voter apart
    assert quorums_intersect(abc, conf((1, 2)))
    assert not quorums_intersect(abc, conf((1, 2, 3, 4, 5)))  # {1,2} and {3,4,5}
    assert not quorums_intersect(conf((1, 2)), conf((3, 4)))
    joint = conf((3, 4, 5), (1, 2, 3))
    assert quorums_intersect(abc, joint) and quorums_intersect(joint, conf((3, 4, 5)))
    assert not quorums_intersect(abc, conf((3, 4, 5)))
    assert is_quorum(joint, mask((1, 2, 3, 4))) and not is_quorum(joint, mask((3, 4, 5)))


def test_initial_conf() -> None:
    assert initial_conf(3, 1) == conf((1, 2, 3), learners=(4,))
    assert promotable(initial_conf(3, 1), 3) and not promotable(initial_conf(3, 1), 4)
