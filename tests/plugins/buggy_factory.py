"""A node factory for `--impl module:tests.plugins.buggy_factory:make_node`: impl/'s RawNode
with a planted bug (a follower that voted in this term grants a second candidate too)."""

from __future__ import annotations

from impl.config import Config
from impl.raftpb import NONE, Message, MessageType
from impl.rawnode import RawNode


class DoubleVoteNode(RawNode):
    def step(self, m: Message) -> None:
        r = self.raft
        if m.type == MessageType.MsgVote and m.term == r.term and r.vote not in (NONE, m.frm):
            r.vote = NONE  # the planted bug: forget the vote, grant again
        super().step(m)


def make_node(config: Config) -> RawNode:
    return DoubleVoteNode(config)


def make_good_node(config: Config) -> RawNode:
    return RawNode(config)
