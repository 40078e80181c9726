"""Default configurations: the quick bounds are ClusterConfig()'s, every voter count explores,
and the default bounds let happen what they were chosen for (raftcheck/defaults.py)."""

from __future__ import annotations

import pytest

from explorer.bfs import explore
from model.cluster import ClusterModel
from model.config import ClusterConfig
from raftcheck.bound_reach import reach
from raftcheck.defaults import default_config, quick_config


def test_cluster_config_defaults_are_the_three_voter_quick_bounds() -> None:
    assert ClusterConfig() == quick_config(3)


@pytest.mark.parametrize("voters", range(1, 8))
@pytest.mark.parametrize("bounds", ["default", "quick"])
def test_defaults_leave_room_for_a_campaign(voters: int, bounds: str) -> None:
    assert default_config(voters, bounds=bounds).max_msgs >= voters - 1


@pytest.mark.parametrize("voters", range(1, 8))
def test_default_bounds_never_below_the_quick_ones(voters: int) -> None:
    d, q = default_config(voters), quick_config(voters)
    assert d.max_term >= q.max_term and d.max_msgs >= q.max_msgs


def test_unknown_bound_set_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown bounds"):
        default_config(3, bounds="huge")


@pytest.mark.parametrize("voters", [1, 2])
def test_tiny_clusters_explore_completely(voters: int) -> None:
    result = explore(ClusterModel(default_config(voters)), symmetry=True)
    assert result.complete and set(result.invariants.values()) == {"held"}


def test_three_voter_defaults_overlap_campaigns_and_elect_twice() -> None:
    r = reach(default_config(3))
    assert r.complete and r.overlap and r.second_election


def test_three_voter_quick_bounds_never_overlap_campaigns() -> None:
    # the reason the defaults grew: at the quick bounds a campaign fills the network
    r = reach(quick_config(3))
    assert r.complete and not r.overlap and r.second_election


def test_four_voter_defaults_elect_twice() -> None:
    # found within the first states; the whole run (1.4M states) is bench/bounds.py's
    r = reach(default_config(4), max_states=400_000)
    assert r.second_election


def test_four_voter_quick_bounds_elect_once() -> None:
    r = reach(quick_config(4))
    assert r.complete and not r.second_election
