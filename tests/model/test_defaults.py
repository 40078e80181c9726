"""Default configurations: ClusterConfig() is the 3-voter default; every voter count explores."""

from __future__ import annotations

import pytest

from explorer.bfs import explore
from model.cluster import ClusterModel
from model.config import ClusterConfig
from raftcheck.defaults import default_config


def test_cluster_config_defaults_are_the_three_voter_defaults() -> None:
    assert ClusterConfig() == default_config(3)


@pytest.mark.parametrize("voters", range(1, 8))
def test_defaults_leave_room_for_a_campaign(voters: int) -> None:
    assert default_config(voters).max_msgs >= voters - 1


@pytest.mark.parametrize("voters", [1, 2])
def test_tiny_clusters_explore_completely(voters: int) -> None:
    result = explore(ClusterModel(default_config(voters)), symmetry=True)
    assert result.complete and set(result.invariants.values()) == {"held"}
