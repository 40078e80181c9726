"""bench/por_bound.py's reduced search: it prunes only what the oracle conditions allow, and its
verdicts are the full run's (the cross-check behind SEMANTICS "Why no partial-order
reduction"; the figures for larger configurations come from running the script)."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path
from types import ModuleType

from explorer.bfs import explore
from model.cluster import ClusterModel
from model.variants import VARIANTS_BY_NAME
from raftcheck.defaults import quick_config


def _load() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "por_bound.py"
    spec = importlib.util.spec_from_file_location("por_bound", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


por = _load()


def test_reduction_prunes_without_faults_and_keeps_the_verdicts() -> None:
    cfg = replace(quick_config(3), drop=False)
    m = por.measure(cfg)
    full = explore(ClusterModel(cfg))                        # the graph is the explorer's
    assert (m["states"], m["transitions"]) == (full.distinct_states, full.transitions)
    assert m["reduced_states"] < m["states"]               # something is pruned here
    assert m["reduced_violated"] == m["violated"] == set()


def test_a_violation_is_found_by_the_reduced_run_too() -> None:
    cfg = replace(quick_config(3), max_term=1)
    m = por.measure(cfg, VARIANTS_BY_NAME["quorum-half"].rules)
    assert m["violated"] and m["reduced_violated"] == m["violated"]
    assert m["reduced_states"] <= m["states"]


def test_future_sends_reach_back_along_paths() -> None:
    g = por.Graph(por.ClusterModel(replace(quick_config(3), drop=False)))
    g.build()
    fut = g.future_sends()
    init = g.index[g.model.init_states()[0]]
    # from the start every node can still campaign, so every ordered pair of nodes can send
    n = g.model.n
    assert fut[init] == sum(1 << (a * n + b) for a in range(n) for b in range(n) if a != b)
    # and a state's future contains each successor's future
    for s, out in enumerate(g.edges):
        for e in out:
            assert fut[e[0]] & ~fut[s] == 0
