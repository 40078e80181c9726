"""Default bounds per node count, chosen from measurements (bench/bounds.py, README "Default
bounds"): the largest bounds on the ladder whose default run (symmetry on, fast engine) ends
in minutes, preferring a second election and then overlapping campaigns.

Two sets:
- `default_config`: what `raftcheck explore` and `raftcheck check` explore unless told
  otherwise. 3 voters: two campaigns can share the network and a second election can happen;
  4 voters: a second election can happen (overlap needs a fourth message, out of reach with
  pre-vote and check-quorum); 5 voters and more: one election (the term bound of 2 is out of
  reach at 5 voters with pre-vote and check-quorum).
- `quick_config` (`--bounds quick`): the earlier, smaller bounds, seconds per run. The audit
  explores at these (it runs two explorations per configuration and change) and so do
  `ClusterConfig()`'s field defaults.

A campaign needs voters-1 messages in flight at once, so max_msgs is never below that.
"""

from __future__ import annotations

from model.config import ClusterConfig

# nodes (voters + learners) -> (max_term, max_msgs, election_timeout)
_BOUNDS = {
    1: (2, 2, 1),
    2: (2, 2, 1),
    3: (2, 3, 1),
    4: (2, 3, 1),
    5: (1, 4, 1),
    6: (1, 5, 1),
    7: (1, 6, 1),
}
_QUICK = {
    1: (2, 2, 1),
    2: (2, 2, 1),
    3: (2, 2, 1),
    4: (1, 3, 1),
    5: (1, 4, 1),
    6: (1, 5, 1),
    7: (1, 6, 1),
}
BOUND_SETS = ("default", "quick")


def default_config(voters: int = 3, learners: int = 0, bounds: str = "default") -> ClusterConfig:
    """The default bounds for `voters` and `learners` (`bounds="quick"`: the quick ones).

    The bounds follow the number of nodes, learners included: a new leader sends MsgApp to
    every other node at once, so max_msgs below nodes - 1 would leave no room for any election
    to finish (every run vacuous), and with that room a fourth node costs what a fourth voter
    costs, so it gets the 4-node bounds."""
    if bounds not in BOUND_SETS:
        raise ValueError(f"unknown bounds {bounds!r} (choose from {', '.join(BOUND_SETS)})")
    n = voters + learners
    table = _QUICK if bounds == "quick" else _BOUNDS
    max_term, max_msgs, et = table.get(n, (1, max(n - 1, 2), 1))
    return ClusterConfig(voters=voters, learners=learners, max_term=max_term, max_msgs=max_msgs,
                         election_timeout=et)


def quick_config(voters: int = 3, learners: int = 0) -> ClusterConfig:
    """The quick bounds (ClusterConfig() itself is the 3-voter quick configuration)."""
    return default_config(voters, learners, bounds="quick")


def liveness_config(voters: int = 3) -> ClusterConfig:
    """Defaults for --liveness: `max_term` bounds the spread of normalised terms (3: a failed
    election and a successful one above stale log entries), room for a campaign and the new
    leader's appends while a vote response is still in flight (voters messages), and no drops
    on healthy links (a lossy link is how a liveness run loses messages)."""
    from dataclasses import replace

    return replace(quick_config(voters), max_term=3, max_msgs=max(voters, 2), drop=False)
