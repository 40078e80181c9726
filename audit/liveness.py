"""The liveness part of an audit: partition configurations, checked against the baseline.

A change is `liveness-broken` when it violates a liveness property in a configuration where the
baseline's rules hold that property: the violation is the change's, not the configuration's.
Each configuration is small (3 voters, or 2 voters and a promoted learner), uses the liveness
defaults (raftcheck/defaults.py `liveness_config`) and the default timing assumptions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from audit.configs import AuditConfig
from model.liveness import LivenessOptions
from model.rules import RuleSet
from model.topology import parse_partition
from raftcheck.defaults import liveness_config

_L3 = liveness_config(3)


def _cfg(label: str, purpose: str, **kw: Any) -> AuditConfig:
    return AuditConfig(label, replace(_L3, **kw), purpose, True)


LIVENESS_CONFIGS: tuple[AuditConfig, ...] = (
    _cfg("3 voters, liveness, no partition",
         "elections, disruptions and re-elections on a healthy network"),
    _cfg("3 voters, pre-vote, liveness, no partition",
         "the same with pre-vote"),
    _cfg("2 voters + 1 promoted learner, liveness, voter 2 cut off",
         "the learner's vote is needed for a quorum (learner rules)",
         voters=2, learners=1, promoted_learners=True, max_msgs=3,
         cut_links=parse_partition("2|1,3", 3)),
)
# Check-quorum and partial-partition runs take minutes each at these bounds (see the README's
# liveness matrix); `raftcheck explore --liveness --variant NAME ...` runs them for one change.


@dataclass
class LivenessOutcome:
    config: AuditConfig
    complete: bool
    distinct_states: int
    seconds: float
    verdicts: dict[str, str]
    baseline: dict[str, str]
    lassos: list[tuple[str, Any]] = field(default_factory=list)  # (property, audit Trace)
    at: float = 0.0
    rule_calls: int = 0
    divergent_calls: int = 0

    @property
    def broken(self) -> list[str]:
        """Properties the change violates where the baseline holds them."""
        return [p for p, v in self.verdicts.items()
                if v == "violated" and self.baseline.get(p) == "held"]


class BaselineLiveness:
    """Liveness verdicts of a baseline rule set per configuration, computed once."""

    def __init__(self) -> None:
        self._got: dict[tuple[str, AuditConfig], dict[str, str]] = {}

    def get(self, rules: RuleSet, ac: AuditConfig) -> dict[str, str]:
        key = (rules.name, ac)
        got = self._got.get(key)
        if got is None:
            from raftcheck.liveness_run import liveness_graph

            _m, _g, v = liveness_graph(ac.cfg, LivenessOptions(), rules, _limits())
            got = self._got[key] = dict(v.verdicts)
        return got


def _limits() -> Any:
    from explorer.bfs import Limits

    return Limits(time_limit=600.0)


def check_liveness(
    subject: Any, t0: float, cache: BaselineLiveness, kill_mode: bool,
    configs: tuple[AuditConfig, ...] = LIVENESS_CONFIGS,
) -> list[LivenessOutcome]:
    from audit.runner import Watch, lasso_trace, watched
    from raftcheck.liveness_run import liveness_graph

    out = []
    for ac in configs:
        watch = Watch()
        t = time.perf_counter()
        model, g, v = liveness_graph(
            ac.cfg, LivenessOptions(), watched(subject.rules, subject.baseline, watch), _limits()
        )
        inert = g.complete and watch.divergent == 0
        # An inert run is the baseline's run: same graph, same verdicts.
        base = dict(v.verdicts) if inert else cache.get(subject.baseline, ac)
        res = LivenessOutcome(ac, g.complete, len(g), time.perf_counter() - t, dict(v.verdicts),
                              base, at=time.perf_counter() - t0, rule_calls=watch.calls,
                              divergent_calls=watch.divergent)
        for lasso in v.lassos:
            if lasso.prop in res.broken:
                res.lassos.append((lasso.prop, lasso_trace(model, g, lasso)))
        out.append(res)
        if kill_mode and res.broken:
            break
    return out
