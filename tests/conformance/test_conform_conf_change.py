"""Conformance of impl/ against the model with membership changes: lockstep runs (random
programs, every step compared through the abstraction) and the exhaustive differential."""

from __future__ import annotations

from collections import Counter

import pytest

from conformance.differential import run_differential
from conformance.lockstep import run_random_programs
from model.config import ClusterConfig
from model.node_state import CONF

RULES = ["etcd-3.4", "etcd-3.5"]
PROGRAMS = 60

# name -> (voters, learners, spares, kinds, specs). The removal in lockstep runs is the
# learner's: with a voter's, a leader may remove itself, and the model (conf-model at the
# time of writing) still lets it propose (etcd drops the proposal: not in the configuration);
# the exhaustive differential below covers a voter's removal at one election.
CASES = {
    "promote": (3, 1, 0, ("promote",), ("promote:4",)),
    "remove": (3, 1, 0, ("remove",), ("remove:4",)),
    "joint-spare": (3, 0, 2, ("add", "joint"), ("joint-explicit:add:4+add:5",)),
    "joint-promote-spare": (3, 1, 1, ("add", "promote", "joint"),
                            ("joint-explicit:promote:4+add:5",)),
}


def conf_cfg(case: str, rules: str, **kw: object) -> ClusterConfig:
    voters, learners, spares, kinds, specs = CASES[case]
    base: dict[str, object] = {
        "voters": voters, "learners": learners, "spares": spares, "pre_vote": True,
        "check_quorum": True, "election_timeout": 1, "max_term": 3, "max_msgs": 8,
        "drop": True, "appends": 1, "restarts": 1, "transfers": 1, "duplicates": 1,
        "conf_changes": 1, "conf_kinds": kinds,
        "conf_specs": specs, "rules": rules,
    }
    base.update(kw)
    cfg = ClusterConfig(**base)  # type: ignore[arg-type]
    cfg.validate()
    return cfg


@pytest.mark.parametrize("rules", RULES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_lockstep_with_conf_changes(case: str, rules: str) -> None:
    cfg = conf_cfg(case, rules)
    counters, runs, bad = run_random_programs(cfg, count=PROGRAMS, length=80, seed=7)
    assert bad is None, "\n".join(bad.render())
    kinds = Counter(s.action[0] for run in runs for s in run.steps)
    assert counters.steps > PROGRAMS * 20
    # Not vacuous: changes were proposed and applied, and some node's configuration changed.
    assert kinds["propose-conf"] > 0 and kinds["apply"] > 0, kinds
    model = runs[0].model
    init = model.init_states()[0]
    start_confs = {model.nodes(init)[i][CONF] for i in range(cfg.n)}
    changed = any(
        nd[CONF] not in start_confs for run in runs for s in run.steps
        for nd in model.nodes(s.after)
    )
    assert changed
    # The abstraction through RawNode.status() (how other backends are read) agrees.
    from conformance.abstraction import abstract_node, abstract_node_via_status

    for run in runs[:10]:
        for rn in run.impl.nodes:
            et, cq = cfg.election_timeout, cfg.check_quorum
            assert abstract_node(rn, et, cq) == abstract_node_via_status(rn, et, cq)


def promotion_cfg(rules: str, max_term: int) -> ClusterConfig:
    cfg = ClusterConfig(voters=2, learners=1, election_timeout=1, max_term=max_term,
                        max_msgs=2, conf_changes=1, conf_kinds=("promote",),
                        conf_specs=("promote:3",), rules=rules)
    cfg.validate()
    return cfg


@pytest.mark.parametrize("rules", RULES)
def test_differential_with_a_promotion(rules: str) -> None:
    """Every transition of 2 voters + 1 learner promoted, one election (about 120k states)."""
    rep = run_differential(promotion_cfg(rules, 1), time_limit=300)
    assert rep.complete, rep.stop_reason
    assert rep.conformant, rep.divergences[0] if rep.divergences else None
    assert rep.states > 100_000 and rep.local_steps > 1000


@pytest.mark.slow
@pytest.mark.parametrize("rules", RULES)
def test_differential_with_a_voter_removal(rules: str) -> None:
    """3 voters, remove:3, one election: about 1.56M states, a minute."""
    cfg = ClusterConfig(voters=3, election_timeout=1, max_term=1, max_msgs=2, conf_changes=1,
                        conf_kinds=("remove",), conf_specs=("remove:3",), rules=rules)
    cfg.validate()
    rep = run_differential(cfg, time_limit=1200)
    assert rep.complete and rep.conformant, rep.divergences[:1]
    assert rep.states > 1_500_000


@pytest.mark.slow
@pytest.mark.parametrize("rules", RULES)
def test_differential_with_a_promotion_two_terms(rules: str) -> None:
    """The same with a second election (about 2.6-2.8M states, minutes)."""
    rep = run_differential(promotion_cfg(rules, 2), time_limit=1200)
    assert rep.complete, rep.stop_reason
    assert rep.conformant, rep.divergences[0] if rep.divergences else None
    assert rep.states > 2_000_000


@pytest.mark.parametrize(
    ("variant", "entry"),
    [("conf-pending-ignores-v2", "v2"), ("transfer-skips-conf-check", "v1")],
)
def test_lockstep_finds_a_guard_variant_planted_in_impl(
    monkeypatch: pytest.MonkeyPatch, variant: str, entry: str
) -> None:
    """impl with etcd 3.4.23's guard against the etcd-3.5 model: the run diverges."""
    from impl import bugs

    cfg = conf_cfg("promote", "etcd-3.5", conf_entry=(entry,), transfers=1)
    _, _, clean = run_random_programs(cfg, count=200, length=60, seed=3)
    assert clean is None, "\n".join(clean.render())
    bugs.plant(monkeypatch, variant)
    _, _, bad = run_random_programs(cfg, count=200, length=60, seed=3)
    assert bad is not None, f"{variant} not found"
    # The guard: impl campaigns (MsgVote out) where the model's node does not.
    assert any("impl sent, model did not: MsgVote" in line for line in bad.render())


# ----------------------------------------------------------- the abstraction of conf entries


def test_conf_entries_and_changes_round_trip() -> None:
    from conformance.confmap import impl_change, impl_entry, model_change, model_entry
    from model import confchange as mcc

    changes = [
        (False, mcc.AUTO, ((mcc.ADD_NODE, 4),)),
        (False, mcc.AUTO, ((mcc.REMOVE_NODE, 2),)),
        (True, mcc.AUTO, ((mcc.ADD_LEARNER, 3),)),
        (True, mcc.IMPLICIT, ((mcc.ADD_NODE, 4), (mcc.REMOVE_NODE, 1))),
        (True, mcc.EXPLICIT, ((mcc.ADD_NODE, 5),)),
        (True, mcc.AUTO, ()),
    ]
    for cc in changes:
        assert model_change(impl_change(cc)) == cc
        e = mcc.conf_entry(3, cc)
        assert model_entry(impl_entry(e, 7)) == e
        assert impl_entry(e, 7).index == 7
    assert model_entry(impl_entry(2, 1)) == 2


def test_conform_exhaustive_cli_with_a_promotion() -> None:
    import json

    from click.testing import CliRunner

    from raftcheck.cmd_conform import conform

    args = ["--exhaustive", "--nodes", "2", "--learners", "1", "--conf-changes", "1",
            "--conf-change", "promote:3", "--max-term", "1", "--max-msgs", "2", "--json"]
    res = CliRunner().invoke(conform, args)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["conformant"] and out["complete"] and out["states"] > 100_000
    # With --symmetry: one state per orbit (nodes 1 and 2 are interchangeable), still conformant.
    res = CliRunner().invoke(conform, [*args, "--symmetry"])
    assert res.exit_code == 0, res.output
    reduced = json.loads(res.stdout)
    assert reduced["conformant"] and reduced["complete"] and reduced["symmetry"]
    assert out["states"] // 2 <= reduced["states"] < out["states"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--conf-kinds", "promote"], "--conf-kinds needs --conf-changes"),
        (["--exhaustive", "--learners", "1", "--conf-changes", "1", "--conf-change",
          "promote:2"], "promote 2"),
    ],
)
def test_conform_conf_bad_input(args: list[str], message: str) -> None:
    from click.testing import CliRunner

    from raftcheck.cmd_conform import conform

    res = CliRunner().invoke(conform, args)
    assert res.exit_code == 2
    assert message in res.stderr and len(res.stderr.strip().splitlines()) == 1
