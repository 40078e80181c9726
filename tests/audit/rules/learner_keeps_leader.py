"""Blind spot 3 (issue 11): a check-quorum count that counts every node the leader heard from,
learners included. It differs from etcd's only with a learner that is not promoted, under
check-quorum."""

BASE = "etcd-3.4"


def quorum_active(voters, active, q):
    return active.bit_count() >= q(voters.bit_count())
