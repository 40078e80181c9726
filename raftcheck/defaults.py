"""Default bounds per node count, chosen so that the default runs are exhaustive and quick.

3 voters: seconds; 4 voters: seconds to a minute; 5 voters: minutes (see bench/ and the README).
A campaign needs voters-1 messages in flight at once, so max_msgs is never below that.
"""

from __future__ import annotations

from model.config import ClusterConfig

# nodes (voters + learners) -> (max_term, max_msgs, election_timeout)
_BOUNDS = {
    1: (2, 2, 1),
    2: (2, 2, 1),
    3: (2, 2, 1),
    4: (1, 3, 1),
    5: (1, 4, 1),
    6: (1, 5, 1),
    7: (1, 6, 1),
}


def default_config(voters: int = 3, learners: int = 0) -> ClusterConfig:
    """The default bounds for `voters` and `learners` (ClusterConfig() itself is the 3-voter
    default).

    The bounds follow the number of nodes, learners included: a new leader sends MsgApp to
    every other node at once, so max_msgs below nodes - 1 would leave no room for any election
    to finish (every run vacuous), and with that room a fourth node costs what a fourth voter
    costs, so it gets the 4-node term bound."""
    n = voters + learners
    max_term, max_msgs, et = _BOUNDS.get(n, (1, max(n - 1, 2), 1))
    return ClusterConfig(voters=voters, learners=learners, max_term=max_term, max_msgs=max_msgs,
                         election_timeout=et)


def liveness_config(voters: int = 3) -> ClusterConfig:
    """Defaults for --liveness: `max_term` bounds the spread of normalised terms (3: a failed
    election and a successful one above stale log entries), room for a campaign and the new
    leader's appends while a vote response is still in flight (voters messages), and no drops
    on healthy links (a lossy link is how a liveness run loses messages)."""
    from dataclasses import replace

    return replace(default_config(voters), max_term=3, max_msgs=max(voters, 2), drop=False)
