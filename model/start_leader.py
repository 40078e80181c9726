"""The initial state of `--start-leader ID`: a cluster that already has an established leader.

The state is not written by hand: the model runs the election itself, with its own rule
functions, on a fully connected network with no crashed node (the faults come after the
election): node ID's timer runs out, it campaigns (pre-vote first when pre-vote is on), and
every message is delivered, oldest first, until nothing is in flight. So ID leads term 1, every
other node (learners included) follows it at term 1 with ID's first entry in its log, every
timer has just been reset, and nothing is in flight. Then the configured topology applies: cut
links are cut from the first step on, crashed nodes take no step. A leader that reaches no
quorum through the configured links is allowed (Howard & Abraham's second case: node 4 was
elected before the network split). specs/SEMANTICS.md, "Bounds", says the same.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from model.config import ClusterConfig, ConfigError
from model.node_state import LEAD, LEADER, ROLE, TERM, Node

if TYPE_CHECKING:
    from model.cluster import History
    from model.rules import RuleSet

_STEPS = 400  # far more than an election of 7 voters and 2 learners needs


def elect(cfg: ClusterConfig, rules: RuleSet) -> tuple[list[Node], History]:
    """The node states after node `cfg.start_leader` won term 1, and the history variables
    of that election (the vote ledger and the elected pair, for the safety invariants)."""
    from model.cluster import ClusterModel

    lid = cfg.start_leader
    healthy = replace(
        cfg, cut_links=frozenset(), lossy_links=frozenset(), crashed=frozenset(),
        partition_faults=0, partition_later=False, start_leader=0, drop=False,
        duplicates=0, restarts=0, transfers=0, appends=0, max_term=1, max_msgs=64,
    )
    model = ClusterModel(healthy, rules)
    st = model.init_states()[0]
    timeout = ("timeout", lid)
    for _ in range(_STEPS):
        moves = dict(model.successors(st))
        if timeout in moves:
            st = moves[timeout]
            break
        if ("tick", lid) not in moves:
            break
        st = moves[("tick", lid)]
    else:
        raise ConfigError(f"start leader {lid}: its timer never ran out under these rules")
    for _ in range(_STEPS):
        deliveries = [nxt for a, nxt in model.successors(st) if a[0] == "deliver"]
        if not deliveries and not model.messages(st):
            break
        if not deliveries:
            break
        st = deliveries[0]
    nodes = model.nodes(st)
    settled = (
        nodes[lid - 1][ROLE] == LEADER and nodes[lid - 1][TERM] == 1 and not model.messages(st)
        # Spares (--spares) are outside the configuration: the leader does not contact them.
        and all(nd[TERM] == 1 and nd[LEAD] == lid for i, nd in enumerate(nodes)
                if i != lid - 1 and i < cfg.voters + cfg.learners)
    )
    if not settled:
        raise ConfigError(
            f"start leader {lid}: under these rules its election on a connected network does "
            "not end with every node following it at term 1"
        )
    return nodes, model.history(st)
