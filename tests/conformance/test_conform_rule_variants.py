"""Rule variants planted on both sides: model-with-variant conforms to impl-with-variant.

Each new rule of model/rules.py (issue 11) has a hook in impl/raft.py and a replacement in
impl/bugs.py (VARIANT_HOOKS) under the name of its catalogue variant. Planted on both sides the
exhaustive differential run is conformant; planted on one side only it diverges, so the hook and
the rule really decide the same thing.
"""

from __future__ import annotations

import pytest

from conformance.differential import run_differential
from impl import bugs
from model.cluster import ClusterModel
from model.config import ClusterConfig
from model.variants import VARIANTS_BY_NAME, get_variant

# A term-0 MsgPreVote is a local message to etcd (send panics), so the pre-vote term variant
# starts every node at term 1.
AT_TERM_1 = ((1, 1), (2, 1), (3, 1))

# variant -> (configuration, max states of the both-sides run or None for complete)
CASES: dict[str, tuple[ClusterConfig, int | None]] = {
    "prevote-grant-refreshes-timer": (ClusterConfig(max_term=1, max_msgs=2, pre_vote=True), None),
    "prevote-grant-records-vote": (ClusterConfig(max_term=1, max_msgs=2, pre_vote=True), None),
    "candidate-no-self-vote": (ClusterConfig(max_term=1, max_msgs=2), None),
    "prevote-current-term": (
        ClusterConfig(max_term=2, max_msgs=2, pre_vote=True, init_terms=AT_TERM_1), None
    ),
    "lease-ignores-vote": (ClusterConfig(max_term=2, max_msgs=2, check_quorum=True), None),
    "lease-ignores-prevote": (
        ClusterConfig(max_term=2, max_msgs=2, pre_vote=True, check_quorum=True), 60_000
    ),
    "transfer-not-forced": (
        ClusterConfig(max_term=2, max_msgs=2, check_quorum=True, transfers=1), 60_000
    ),
}


def test_every_variant_hook_has_a_catalogue_variant_and_a_case() -> None:
    assert set(bugs.VARIANT_HOOKS) <= set(VARIANTS_BY_NAME)
    assert set(CASES) == set(bugs.VARIANT_HOOKS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_variant_on_both_sides_conforms(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    cfg, max_states = CASES[name]
    bugs.plant(monkeypatch, name)
    model = ClusterModel(cfg, get_variant(name).rules)
    rep = run_differential(cfg, model=model, symmetry=True, max_states=max_states)
    assert rep.conformant, rep.divergences[:1]
    assert rep.complete or (max_states is not None and rep.states >= max_states)
    assert rep.local_steps > 100


@pytest.mark.parametrize("side", ["impl", "model"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_variant_on_one_side_diverges(
    monkeypatch: pytest.MonkeyPatch, name: str, side: str
) -> None:
    cfg, _ = CASES[name]
    if side == "impl":
        bugs.plant(monkeypatch, name)
        model = ClusterModel(cfg)
    else:
        model = ClusterModel(cfg, get_variant(name).rules)
    rep = run_differential(cfg, model=model, symmetry=True, time_limit=60)
    assert not rep.conformant, f"{name} on {side} only: {rep.states} states, no divergence"
    assert rep.divergences[0].problems


@pytest.mark.slow
@pytest.mark.parametrize("name", ["lease-ignores-prevote", "transfer-not-forced"])
def test_variant_on_both_sides_conforms_completely(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    cfg, _ = CASES[name]
    bugs.plant(monkeypatch, name)
    rep = run_differential(cfg, model=ClusterModel(cfg, get_variant(name).rules), symmetry=True)
    assert rep.complete and rep.conformant, rep.divergences[:1]
