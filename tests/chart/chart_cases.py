"""Counterexamples to draw, for the chart tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from explorer.bfs import Limits, explore
from model.cluster import ClusterModel
from model.variants import VARIANTS_BY_NAME
from raftcheck.defaults import default_config


def violation_of(variant: str, symmetry: bool, **changes: Any) -> tuple[ClusterModel, Any]:
    v = VARIANTS_BY_NAME[variant]
    cfg = replace(default_config(3), rules=v.baseline, **changes)
    model = ClusterModel(cfg, v.rules)
    result = explore(model, symmetry=symmetry, limits=Limits())
    assert result.violations, variant
    return model, result.violations[0]


