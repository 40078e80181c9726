"""The exhaustive differential of the model against real etcd 3.4.23 with membership changes
(EtcdBackend with MODEL_CONF_BRIDGE): where they agree, and etcd 3.4.23's panic on a second
automatic leave (etcdharness/FINDINGS.md 26)."""

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


@pytest.mark.slow
def test_removal_agrees(harness: Harness) -> None:
    """A voter's removal in 3 voters (FINDINGS 29 and 30 were divergences before the model
    answered a stale whole-log MsgApp with its commit index and refused non-members'
    responses, as etcd does): every transition agrees within the bounds."""
    cfg = cfg_of(voters=3, conf_specs=("remove:3",), conf_kinds=("remove",), max_term=1,
                 max_msgs=3)
    rep = run_differential(cfg, time_limit=300, backend=EtcdBackend(harness))
    assert rep.conformant, rep.divergences[0] if rep.divergences else None
    assert rep.local_steps > 500


@pytest.mark.slow
def test_auto_leave_double_leave_panics(harness: Harness) -> None:
    """FINDINGS 26: the etcd-3.4 rules now keep pendingConfIndex after the automatic leave, as
    3.4.23 does (etcd #12582), so model and etcd agree up to the second leave entry; applying
    it panics etcd, where the model records ConfChangeApplies broken."""
    cfg = cfg_of(voters=3, learners=1, conf_specs=("joint:promote:4+remove:1",),
                 conf_kinds=("promote", "remove", "joint"), max_term=1, max_msgs=3)
    rep = run_differential(cfg, time_limit=300, backend=EtcdBackend(harness))
    assert not rep.conformant
    div = rep.divergences[0]
    assert div.actions[-1][0] == "apply", div.actions[-1]
    assert any("can't leave a non-joint config" in p for p in div.problems), div.problems


def test_conform_cli_lockstep_with_conf_changes_against_etcd() -> None:
    """`raftcheck conform --impl etcd --conf-changes 1`: random programs that propose and
    apply changes, every step compared with etcd (etcd-3.4 rules, MODEL_CONF_BRIDGE)."""
    import json

    from click.testing import CliRunner

    from raftcheck.cmd_conform import conform

    res = CliRunner().invoke(conform, ["--impl", "etcd", "--examples", "40", "--seed", "7",
                                       "--conf-changes", "1", "--learners", "1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["conformant"] and out["rules"] == "etcd-3.4" and out["harness_failures"] == 0
    assert out["conf_steps"]["propose-conf"] > 0 and out["conf_steps"]["apply"] > 0


class _LiveEtcd(EtcdBackend):
    batches = False  # one round trip per step, no prefetched program


def test_prefetched_conf_program_equals_step_by_step(harness: Harness) -> None:
    """The `run` request with membership changes: in-flight messages that differ in their
    commit or conf entry only, and responses from removed nodes (dropped), are handled as
    the step-by-step requests handle them."""
    from conformance.lockstep import ConfDraw
    from conformance.run import run_lockstep

    conf = ConfDraw(conf_changes=2, learners=1)
    fast = run_lockstep(None, 40, seed=7, impl=EtcdBackend(harness), conf=conf)
    slow = run_lockstep(None, 40, seed=7, impl=_LiveEtcd(harness), conf=conf)
    assert fast.error is None and fast.conformant and slow.conformant, fast.error
    assert (fast.examples, fast.steps, fast.conf_steps) == (
        slow.examples, slow.steps, slow.conf_steps)
    assert fast.conf_changes > 0

