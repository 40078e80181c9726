"""Data tables of etcd's election tests (raft_test.go, etcd 3.4.23), shared by every suite
that re-expresses them (the scenario suite, the direct harness tests in tests/etcd)."""

from __future__ import annotations

# testRecvMsgVote: the voter's log is [2, 2] (last term 2, last index 2) and the request
# comes from node 2 at the voter's term.
# (role, candidate's last index, candidate's last term, voted for, rejected?)
RECV_VOTE_ROWS: list[tuple[str, int, int, int, bool]] = [
    ("follower", 0, 0, 0, True),
    ("follower", 0, 1, 0, True),
    ("follower", 0, 2, 0, True),
    ("follower", 0, 3, 0, False),
    ("follower", 1, 0, 0, True),
    ("follower", 1, 1, 0, True),
    ("follower", 1, 2, 0, True),
    ("follower", 1, 3, 0, False),
    ("follower", 2, 0, 0, True),
    ("follower", 2, 1, 0, True),
    ("follower", 2, 2, 0, False),
    ("follower", 2, 3, 0, False),
    ("follower", 3, 0, 0, True),
    ("follower", 3, 1, 0, True),
    ("follower", 3, 2, 0, False),
    ("follower", 3, 3, 0, False),
    ("follower", 3, 2, 2, False),
    ("follower", 3, 2, 1, True),
    ("leader", 3, 3, 1, True),
    ("pre-candidate", 3, 3, 1, True),
    ("candidate", 3, 3, 1, True),
]
