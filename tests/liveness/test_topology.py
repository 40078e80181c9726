"""Partition specs and connectivity (model/topology.py)."""

from __future__ import annotations

import pytest

from model.topology import (
    TopologyError,
    has_connected_quorum,
    links_mask,
    parse_links,
    parse_partition,
)


@pytest.mark.parametrize(
    ("spec", "n", "cut"),
    [
        ("1,2|3", 3, {(1, 3), (2, 3)}),
        ("3|1,2", 3, {(1, 3), (2, 3)}),
        ("1|2", 3, {(1, 2), (1, 3), (2, 3)}),  # node 3, left out, is a group of its own
        ("1-3", 3, {(1, 3)}),
        ("3-1,2-3", 3, {(1, 3), (2, 3)}),
        ("1,2,3|4,5", 5, {(a, b) for a in (1, 2, 3) for b in (4, 5)}),
    ],
)
def test_partition_specs(spec: str, n: int, cut: set[tuple[int, int]]) -> None:
    assert parse_partition(spec, n) == frozenset(cut)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("1,2|4", "unknown node 4"),
        ("1,2|2,3", "node 2 is in two groups"),
        ("1,2||3", "empty group"),
        ("", "empty"),
        ("1-1", "itself"),
        ("1-x", "not a node id"),
        ("13", "not a link"),
    ],
)
def test_bad_partition_specs(spec: str, message: str) -> None:
    with pytest.raises(TopologyError, match=message):
        parse_partition(spec, 3)


def test_lossy_links_parse_like_cut_links() -> None:
    assert parse_links("2-1", 3, "--lossy") == frozenset({(1, 2)})


@pytest.mark.parametrize(
    ("cut", "connected"),
    [
        ("", True),
        ("1-3", True),  # 1-2 and 2-3 remain: {1,2} and {2,3} are quorums
        ("1-2,1-3", True),  # {2,3}
        ("1-2,1-3,2-3", False),
    ],
)
def test_connected_quorum_of_three(cut: str, connected: bool) -> None:
    down = links_mask(parse_links(cut, 3, "x")) if cut else 0
    assert has_connected_quorum([1, 2, 3], 2, down) is connected


def test_howard_abraham_case_one_keeps_a_quorum() -> None:
    down = links_mask(parse_partition("1-4,3-4,4-5,1-5,2-5", 5))
    assert has_connected_quorum([1, 2, 3, 4, 5], 3, down)  # {1,2,3}
    assert not has_connected_quorum([1, 2, 3, 4, 5], 4, down)
