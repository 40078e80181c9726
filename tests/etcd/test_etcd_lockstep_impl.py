"""Short random lockstep runs: impl's RawNode vs. real etcd through the model bridge.

A smaller version of ``python -m etcdharness.lockstep_probe`` (see FINDINGS.md).
A failure here is a difference between impl and etcd that the bridge does not
explain: either an impl bug or a missing bridge rule.
"""

from __future__ import annotations

import pytest

from etcdharness.client import Harness
from etcdharness.lockstep_probe import run

pytestmark = pytest.mark.etcd


@pytest.mark.parametrize("pending,promoted", [(0.0, 0.0), (0.3, 0.5)], ids=["plain", "pending"])
def test_impl_agrees_with_etcd(harness: Harness, pending: float, promoted: float) -> None:
    for seed in range(20):
        trace, div = run(seed, 100, harness, pending, promoted)
        if div is not None:
            pytest.fail(
                f"seed {seed}, step {div.step}, {div.action}: {div.what} differ\n"
                f"  impl: {div.impl}\n  etcd: {div.etcd}\n" + "\n".join(trace[-25:]),
                pytrace=False,
            )


def test_impl_agrees_with_etcd_on_membership_changes(harness: Harness) -> None:
    """Conf proposals and applies too (MODEL_CONF_BRIDGE; impl with commit tracking), each
    link delivering in order."""
    for seed in range(2000, 2025):
        trace, div = run(seed, 150, harness, conf_p=0.1, fifo=True)
        if div is not None:
            pytest.fail(
                f"seed {seed}, step {div.step}, {div.action}: {div.what} differ\n"
                f"  impl: {div.impl}\n  etcd: {div.etcd}\n" + "\n".join(trace[-25:]),
                pytrace=False,
            )


def test_reordered_links_agree_on_membership_changes(harness: Harness) -> None:
    """FINDINGS.md 29 was a difference on reordering links (a stale whole-log append below the
    follower's commit); impl now answers it with the commit index as etcd does, so the same
    seeds that used to stop there agree."""
    for seed in range(110, 130):
        trace, div = run(seed, 200, harness, conf_p=0.05)
        if div is not None:
            pytest.fail(
                f"seed {seed}, step {div.step}, {div.action}: {div.what} differ\n"
                f"  impl: {div.impl}\n  etcd: {div.etcd}\n" + "\n".join(trace[-25:]),
                pytrace=False,
            )
