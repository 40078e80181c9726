"""Blind spot 1 (issue 11): a check-quorum count that accepts half of an even voter set, but
only for 4 voters: a leader of 4 that heard from one follower stays. It differs from etcd's
only at 4 voters under check-quorum."""

BASE = "etcd-3.4"


def quorum_active(voters, active, q):
    n = voters.bit_count()
    need = 2 if n == 4 else q(n)
    return (active & voters).bit_count() >= need
