"""Counterexamples to draw: a safety violation and a liveness lasso over cut links."""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from typing import Any

import pytest
from chart_cases import violation_of

from explorer.bfs import Limits
from model.cluster import ClusterModel
from model.variants import VARIANTS_BY_NAME


@pytest.fixture(scope="session")
def vote_once() -> tuple[ClusterModel, Any]:
    """reset-clears-vote with 3 places in the network: VoteOnce in 11 steps, a message sent
    at step 3 and delivered at step 11, a drop, one message still in flight."""
    return violation_of("reset-clears-vote", True, max_msgs=3)


@pytest.fixture(scope="session")
def lasso() -> tuple[Any, Any, Any]:
    """learners-silent on 2 voters and a promoted learner with node 2 cut off: an
    EventuallyLeader lasso whose campaigns address cut links."""
    from model.liveness import LivenessOptions
    from model.topology import parse_partition
    from raftcheck.defaults import liveness_config
    from raftcheck.liveness_run import liveness_graph

    v = VARIANTS_BY_NAME["learners-silent"]
    base = liveness_config(2)
    cfg = replace(base, voters=2, learners=1, promoted_learners=True, rules=v.baseline,
                  max_msgs=max(base.max_msgs, 3), drop=False,
                  cut_links=parse_partition("2|1,3", 3))
    model, g, verdicts = liveness_graph(cfg, LivenessOptions(), v.rules, Limits())
    found = [x for x in verdicts.lassos if x.cycle]
    assert found
    return model, g, found[0]

# Audits share baseline runs on disk (audit/shared.py): a test session keeps its own records,
# never the user's ~/.cache, and runs audits without a time budget (a loaded machine must not
# change a verdict).
os.environ.setdefault("RAFTCHECK_CACHE_DIR",
                      os.path.join(tempfile.gettempdir(), f"raftcheck-test-cache-{os.getppid()}"))
os.environ.setdefault("RAFTCHECK_AUDIT_BUDGET", "0")
