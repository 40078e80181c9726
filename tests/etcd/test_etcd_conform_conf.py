"""The exhaustive differential of the model against real etcd 3.4.23 with membership changes
(EtcdBackend with MODEL_CONF_BRIDGE): where they agree, and the two known differences
(etcdharness/FINDINGS.md 26 and 29)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.differential import run_differential
from conformance.nodes import EtcdBackend
from etcdharness.client import Harness
from model.config import ClusterConfig

pytestmark = pytest.mark.etcd


def cfg_of(**kw: Any) -> ClusterConfig:
    cfg = ClusterConfig(election_timeout=1, conf_changes=1, rules="etcd-3.4", **kw)
    cfg.validate()
    return cfg


@pytest.mark.slow
def test_promotion_agrees_everywhere(harness: Harness) -> None:
    """2 voters + 1 learner, the learner's promotion, one term: every transition agrees
    (123k states; about 5 s idle, 15 s on a loaded machine)."""
    cfg = cfg_of(voters=2, learners=1, conf_specs=("promote:3",), conf_kinds=("promote",),
                 max_term=1, max_msgs=2)
    rep = run_differential(cfg, time_limit=120, backend=EtcdBackend(harness))
    assert rep.complete, rep.stop_reason
    assert rep.conformant, rep.divergences[0] if rep.divergences else None
    assert rep.local_steps > 500  # propose-conf and apply included


def test_stale_append_below_commit_differs(harness: Harness) -> None:
    """FINDINGS 29: a removal in 3 voters; the first divergence is etcd answering a stale
    whole-log MsgApp with its commit index where the model answers the log's length."""
    cfg = cfg_of(voters=3, conf_specs=("remove:3",), conf_kinds=("remove",), max_term=2,
                 max_msgs=3)
    rep = run_differential(cfg, time_limit=120, backend=EtcdBackend(harness))
    assert not rep.conformant
    problems = rep.divergences[0].problems
    assert any(p.startswith("impl sent, model did not: MsgAppResp") for p in problems), problems
    assert any(p.startswith("model sent, impl did not: MsgAppResp") for p in problems), problems


def test_auto_leave_pending_conf_index_differs(harness: Harness) -> None:
    """FINDINGS 26: after the automatic leave, etcd 3.4.23 keeps pendingConfIndex, the model
    moves it to the leave entry."""
    cfg = cfg_of(voters=3, learners=1, conf_specs=("joint:promote:4+remove:1",),
                 conf_kinds=("promote", "remove", "joint"), max_term=2, max_msgs=3)
    rep = run_differential(cfg, time_limit=120, backend=EtcdBackend(harness))
    assert not rep.conformant
    assert any("pending_conf_index" in p for p in rep.divergences[0].problems)
