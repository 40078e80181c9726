"""One numbering of interned values across processes (explorer/shared_ids.py), without Ray:
two models that intern values in different orders end with the same ids for the same values."""
from __future__ import annotations

import pytest

from explorer.shared_ids import SharedClient, SharedIds, SharedIdsServer, share_ids, socket_client
from model.cluster import ClusterModel
from model.config import ClusterConfig


def local_client(table: SharedIds) -> SharedClient:
    return SharedClient(table.adopt, table.through, table.since)


def test_through_hands_back_the_missing_prefix() -> None:
    t = SharedIds()
    assert t.through("nodes", 0, "a") == ["a"]
    assert t.through("nodes", 1, "b") == ["b"]
    assert t.through("nodes", 0, "c") == ["a", "b", "c"]
    assert t.through("nodes", 0, "a") == ["a"]  # known: up to its id only
    assert t.since({"nodes": 1, "messages": 0, "histories": 0})["nodes"] == ["b", "c"]
    assert t.adopt("nodes", ["a", "b"]) == ["c"]
    with pytest.raises(ValueError, match="different values"):
        t.adopt("nodes", ["a", "x"])


def test_two_models_number_alike_whatever_order_they_meet_values() -> None:
    cfg = ClusterConfig(voters=3, max_term=2, max_msgs=2)
    table = SharedIds()
    a, b = ClusterModel(cfg), ClusterModel(cfg)
    share_ids(a, local_client(table))
    sync_b = share_ids(b, local_client(table))
    # a explores a few states; b meets values in another order (its states reversed)
    frontier = a.init_states()
    seen = []
    for _ in range(3):
        nxt = [s for st in frontier for _, s in a.successors(st)]
        seen.extend(nxt)
        frontier = nxt[:50]
    for st in reversed(seen):
        b.encode(a.nodes(st), a.messages(st), a.budgets(st), a.history(st))
    sync_b()
    assert b.node_tab == a.node_tab and b.msg_tab == a.msg_tab and b.hist_tab == a.hist_tab
    for st in seen:  # the same values get the same ids in both
        assert b.encode(a.nodes(st), a.messages(st), a.budgets(st), a.history(st)) == st


def test_the_socket_server_answers_as_the_table_does() -> None:
    server = SharedIdsServer()
    client = socket_client(server.where())
    assert client.through("messages", 0, ("m", 1)) == [("m", 1)]
    assert client.adopt("messages", []) == [("m", 1)]
    assert client.since({"nodes": 0, "messages": 0, "histories": 0})["messages"] == [("m", 1)]
    with pytest.raises(ValueError, match="shared id table"):
        client.adopt("messages", [("other",)])
