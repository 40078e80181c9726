"""The term bound is on elections (specs/SEMANTICS.md, Bounds): a node at max_term cannot start
a campaign, whatever term a changed `pre_vote_term` puts in its pre-vote requests."""

from __future__ import annotations

from dataclasses import replace

from explorer.bfs import Limits
from explorer.engines import run_search
from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.node_state import ELAPSED, TERM
from model.rules import ETCD_34
from model.variants import VARIANTS_BY_NAME
from raftcheck.defaults import quick_config

CURRENT_TERM = VARIANTS_BY_NAME["prevote-current-term"].rules


def _cfg(voters: int, pre_vote: bool) -> ClusterConfig:
    return replace(quick_config(voters), pre_vote=pre_vote)


def _timeout_step(model: ClusterModel, nid: int, term: int) -> object:
    """The memoised timeout step of node `nid` in a state where it is at `term`, timed out."""
    init = model.init_states()[0]
    node = model.node_tab[init[nid - 1]]
    nd = tuple(term if i == TERM else model.cfg.election_timeout if i == ELAPSED else v
               for i, v in enumerate(node))
    return model._local_steps(nid, model.node_id(nd))[1]  # type: ignore[arg-type]


def test_pre_vote_at_current_term_cannot_campaign_at_the_bound() -> None:
    m = ClusterModel(_cfg(3, True), CURRENT_TERM)
    top = m.cfg.max_term
    assert _timeout_step(m, 1, top - 1) is not None  # below the bound it campaigns
    # its requests would carry max_term itself, but the campaign is for max_term + 1
    assert _timeout_step(m, 1, top) is None


def test_etcd_rules_are_already_bounded_there() -> None:
    for pre_vote in (False, True):
        m = ClusterModel(_cfg(3, pre_vote), ETCD_34)
        assert _timeout_step(m, 1, m.cfg.max_term) is None
        assert _timeout_step(m, 1, m.cfg.max_term - 1) is not None


def test_variant_stays_within_the_baseline_bound_on_both_engines() -> None:
    # 4 voters with pre-vote: 75,217 states (the baseline has 77,217); before the bound applied
    # to campaigns the variant pre-campaigned at max_term and grew past 10 million states.
    m = ClusterModel(_cfg(4, True), CURRENT_TERM)
    fast = run_search(m, symmetry=True, keep_going=True, limits=Limits(max_states=200_000))
    assert fast.complete and fast.distinct_states == 75_217
    small = _cfg(3, True)
    ref = run_search(ClusterModel(small, CURRENT_TERM), engine="reference", symmetry=True,
                     keep_going=True)
    fast3 = run_search(ClusterModel(small, CURRENT_TERM), symmetry=True, keep_going=True)
    assert ref.complete and fast3.complete
    assert ref.distinct_states == fast3.distinct_states == 60_218


def test_an_explored_implementation_keeps_the_same_bound() -> None:
    # A patched implementation is explored through the model's enabledness (audit patches),
    # now with the campaign bound too; for the unpatched implementation nothing changes.
    from audit.impl_explore import ImplClusterModel
    from conformance.nodes import PYTHON

    for pre_vote in (False, True):
        model = ClusterModel(_cfg(3, pre_vote), ETCD_34)
        impl = run_search(ImplClusterModel(_cfg(3, pre_vote), PYTHON), symmetry=False,
                          keep_going=True)
        ref = run_search(model, symmetry=False, keep_going=True)
        assert impl.complete and impl.distinct_states == ref.distinct_states
