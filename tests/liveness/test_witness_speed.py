"""The progress witness takes one raw step at a time (`model.network.raw_step`) instead of
listing every raw successor (`net_successors(..., raw=True)`) and picking one: the same steps,
hence the same witness answers, verdicts, details and lassos."""

from __future__ import annotations

import shlex
from typing import Any

import pytest

from explorer.liveness import LivenessVerdicts, analyse
from model.cluster import ClusterModel
from model.network import net_successors, raw_step
from raftcheck.cli import explore_cmd, prepare_exploration
from raftcheck.liveness_run import liveness_graph

# no partition, each flag, chain, lossy, rejoin, a lasting split, faults with drops, duplicates
# and restarts, transfers and appends, learners, a broken variant, initial terms and logs
CONFIGS = {
    "n3": "--nodes 3",
    "n3-pv-cq": "--nodes 3 --pre-vote --check-quorum --max-term 2 --max-msgs 2",
    "chain": "--nodes 3 --partition 1-3 --max-term 2 --max-msgs 2",
    "lossy-pv": "--nodes 3 --pre-vote --lossy 1-3 --max-term 2 --max-msgs 2",
    "rejoin-cq": "--nodes 3 --check-quorum --partition 3|1,2 --partition-faults 1 "
                 "--max-term 2 --max-msgs 2",
    "static-groups": "--nodes 3 --partition 3|1,2 --max-term 2 --max-msgs 2",
    "drops": "--nodes 2 --faults drop,duplicate,restart --fault-budget 1 --transfers 1 "
             "--appends 1 --max-term 2 --max-msgs 2",
    "learners": "--nodes 2 --learners 1 --promoted-learners --partition 2|1,3",
    "learners-silent": "--variant learners-silent --nodes 2 --learners 1 --promoted-learners "
                       "--partition 2|1,3",
    "broken-variant": "--nodes 3 --pre-vote --variant reject-request-term --max-msgs 2",
    "terms-logs": "--nodes 3 --pre-vote --term 1:2 --term 2:1 --term 3:1 --log 1:1,2 "
                  "--log 2:1 --max-msgs 2",
}


def reference_step(m: ClusterModel, st: Any, kind: str, nid: int = 0) -> Any:
    """What the witness did before: the first matching edge of every raw successor."""
    for a, nxt, _lab, _key in net_successors(m, st, raw=True)[0]:
        if (a[0] == "deliver") if kind == "deliver" else a == (kind, nid):
            return nxt
    return None


def graph(name: str) -> tuple[ClusterModel, Any, LivenessVerdicts]:
    ctx = explore_cmd.make_context("explore", ["--liveness", *shlex.split(CONFIGS[name])])
    cfg, limits, _rest, rules, opts = prepare_exploration(dict(ctx.params))
    return liveness_graph(cfg, opts, rules, limits)


def same_verdicts(a: LivenessVerdicts, b: LivenessVerdicts) -> None:
    assert a.verdicts == b.verdicts
    assert a.details == b.details
    assert [(x.prop, x.init, x.prefix, x.cycle, x.marks) for x in a.lassos] == \
        [(x.prop, x.init, x.prefix, x.cycle, x.marks) for x in b.lassos]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_raw_step_is_the_first_matching_raw_successor(name: str) -> None:
    model, g, _v = graph(name)
    kinds = [("deliver", 0)] + [(k, i) for k in ("tick", "timeout", "heartbeat")
                               for i in range(1, model.n + 1)]
    # graph states (normal forms) and raw successors of some of them (real terms, more
    # messages in flight than the bound allows)
    states = list(g.states)[:3000]
    states += [nxt for st in states[::7] for _a, nxt, _l, _k in
               net_successors(model, st, raw=True)[0]]
    found = 0
    for st in states:
        for kind, nid in kinds:
            want = reference_step(model, st, kind, nid)
            assert raw_step(model, st, kind, nid) == want, (st, kind, nid)
            found += want is not None
    assert found > len(states)  # most states have some such step


SLOW = {"rejoin-cq", "drops"}  # 15 to 25 s each here: pytest -m slow


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name
    for name in sorted(CONFIGS)])
def test_the_witness_answers_as_with_every_raw_successor(name: str) -> None:
    model, g, v = graph(name)
    live = model.live
    assert live is not None
    bound = [g.states[s] for s in list(g.bounded)[:1500]]
    answers = [live._lucky(st) for st in bound]
    assert answers == [live._lucky(st, reference_step) for st in bound]
    # and the whole analysis: verdicts, details (witnessed counts) and lassos
    old = type(live)(live.options)
    old.attach(model)

    def old_witness(st: Any) -> bool:
        return old._lucky(st, reference_step)

    names = tuple(p.name for p in model.liveness_properties())
    same_verdicts(v, analyse(g, names, old_witness, live.strong_fair))


def test_some_witness_says_yes_and_some_says_no() -> None:
    """The comparison above is not vacuous: the witness answers both ways (the broken variant
    elects no stable leader: no schedule finds one)."""
    answers = set()
    for name in ("chain", "learners-silent"):
        model, g, _v = graph(name)
        live = model.live
        assert live is not None
        answers |= {live._lucky(g.states[s]) for s in g.bounded}
    assert answers == {True, False}


def test_raw_step_refuses_an_unknown_kind() -> None:
    model, g, _v = graph("n3")
    with pytest.raises(ValueError):
        raw_step(model, g.states[0], "restart", 1)
