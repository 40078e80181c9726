"""A user rules file: etcd-3.4 with canVote that ignores a known leader (etcd before PR 9204)."""

BASE = "etcd-3.4"
NAME = "my-canvote"


def _no_vote(vote: int) -> bool:  # a helper: leading underscore, so not a rule
    return vote == 0


def can_vote(
    vote: int, lead: int, role: int, frm: int, pre_vote: bool, msg_term: int, term: int
) -> bool:
    return vote == frm or _no_vote(vote) or (pre_vote and msg_term > term)
