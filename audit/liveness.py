"""The liveness part of an audit: partition configurations, checked against the baseline.

A change is `liveness-broken` when it violates a liveness property in a configuration where the
baseline's rules hold that property: the violation is the change's, not the configuration's.
Each configuration is small (3 voters, 2 voters, or 2 voters and a promoted learner: a learner
never campaigns, so it stands for a voter that cannot or does not, at a fraction of the cost of
a third campaigning voter), uses the liveness defaults (raftcheck/defaults.py
`liveness_config`) with the changes named below, and the default timing assumptions.

Most configurations run for every change (they take a second or less). A configuration that
costs more names the rules it is for in `TARGETS` and runs only when one of them changed, as
the extra safety configurations do (audit/configs.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from audit.configs import AuditConfig
from model.liveness import LivenessOptions
from model.rules import RuleSet
from model.topology import parse_partition
from raftcheck.defaults import liveness_config

_L3 = liveness_config(3)
_L2 = liveness_config(2)  # max_msgs 2: one campaign and one answer in flight
# 2 voters and a learner that voters 1 and 2 count as a voter: its grant makes a quorum.
_LEARNER = {"voters": 2, "learners": 1, "promoted_learners": True}


def _cfg(label: str, purpose: str, base: Any = _L3, **kw: Any) -> AuditConfig:
    return AuditConfig(label, replace(base, **kw), purpose, True)


HEALTHY = _cfg("3 voters, liveness, no partition",
               "elections, disruptions and re-elections on a healthy network")
HEALTHY_PRE_VOTE = _cfg("3 voters, pre-vote, liveness, no partition", "the same with pre-vote",
                        pre_vote=True)
LEARNER_CUT = _cfg("2 voters + 1 promoted learner, liveness, voter 2 cut off",
                   "the learner's vote is needed for a quorum (learner rules)",
                   max_msgs=3, cut_links=parse_partition("2|1,3", 3), **_LEARNER)
# Voter 2 is two terms ahead with an empty log: voter 1 cannot win without its grant, and
# voter 2 cannot win at all (a pre-vote migration, etcd issue #8501). Term spread 4: voter 2's
# pre-vote for term 4 while voter 1 is at 1 is no bound state.
STALE_TERM = _cfg("2 voters, pre-vote, liveness, voter 2 two terms ahead with a shorter log",
                  "a node left at a higher term must be caught up through the answers to "
                  "lower-term messages (lower-term reply and term adoption rules)",
                  _L2, pre_vote=True, max_term=4, init_terms=((1, 1), (2, 3)),
                  init_logs=((1, (1,)),))
# The lease without partitions: two voters, so every request meets a lease or a lost election.
CHECK_QUORUM_2 = _cfg("2 voters, check-quorum, liveness, no partition",
                      "the lease must not stop a voter without a leader from voting (lease "
                      "rules)", _L2, check_quorum=True)
# The learner is one term behind voter 1 and never campaigns, so it never catches up by itself.
LEARNER_BEHIND = _cfg("2 voters + 1 promoted learner one term behind, pre-vote, liveness, "
                      "voter 2 cut off",
                      "a voter that never campaigns must grant at the candidate's term "
                      "(vote reply rules)",
                      _L2, pre_vote=True, cut_links=parse_partition("2|1,3", 3),
                      init_terms=((1, 2), (3, 1)), **_LEARNER)
# The learner is two terms ahead: without pre-vote a leader is elected below it, and only its
# answer to the leader's lower-term heartbeats can bring them to one term (etcd PR 5468).
LEARNER_AHEAD = _cfg("2 voters + 1 promoted learner two terms ahead, check-quorum, liveness",
                     "a node stuck at a higher term is freed by answering the leader's "
                     "lower-term messages (lower-term reply rules)",
                     _L2, check_quorum=True, init_terms=((3, 2),), **_LEARNER)
# A partial partition (Howard & Abraham's chain, with a learner in the middle): voters 1 and 2
# only reach the learner. The lease of the learner, which hears the leader, is what keeps the
# cut-off voter from taking over. Term spread 2 keeps the run within seconds.
BRIDGE = _cfg("2 voters + 1 promoted learner between them, pre-vote, check-quorum, liveness, "
              "voters cut from each other",
              "a partial partition: the lease must keep the voter cut off from the leader from "
              "stealing leadership (lease and check-quorum rules)",
              _L2, pre_vote=True, check_quorum=True, max_term=2,
              cut_links=parse_partition("1-2", 3), **_LEARNER)

# Cheapest first (measured with the etcd-3.4 rules: 0.1 s to 3 s, BRIDGE 10 s): kill mode
# stops at the first break.
LIVENESS_CONFIGS: tuple[AuditConfig, ...] = (
    LEARNER_CUT, LEARNER_BEHIND, STALE_TERM, CHECK_QUORUM_2, LEARNER_AHEAD, HEALTHY_PRE_VOTE,
    HEALTHY, BRIDGE,
)
# Configurations that run only for changes to these rules (10 s or more per change).
TARGETS: dict[AuditConfig, frozenset[str]] = {
    BRIDGE: frozenset({"in_lease", "lease_drops_request", "quorum_active",
                       "pre_candidate_lead", "grant_resets_elapsed", "lease_applies"}),
}
# Check-quorum with 3 voters, and partitions that heal or split during a run, take minutes to
# hours per run at these bounds (see the README's liveness matrix); `raftcheck explore
# --liveness --variant NAME ...` runs them for one change.


def liveness_configs_for(changed: Iterable[str]) -> tuple[AuditConfig, ...]:
    """The configurations an audit of a change to `changed` runs, in catalogue order."""
    rules = set(changed)
    return tuple(c for c in LIVENESS_CONFIGS if c not in TARGETS or TARGETS[c] & rules)


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
    divergent_inputs: dict[str, list[str]] = field(default_factory=dict)
    divergent_keys: dict[str, set[Any]] = field(default_factory=dict, repr=False)
    shared: bool = False  # the baseline's recorded run (audit/shared.py), not run again

    @property
    def broken(self) -> list[str]:
        """Properties the change violates where the baseline holds them."""
        return [p for p, v in self.verdicts.items()
                if v == "violated" and self.baseline.get(p) == "held"]

    def add_lassos(self, model: Any, graph: Any, lassos: Any) -> None:
        """Keep, as audit traces, the lassos of the properties the change breaks."""
        from audit.runner import lasso_trace

        for lasso in lassos:
            if lasso.prop in self.broken:
                self.lassos.append((lasso.prop, lasso_trace(model, graph, lasso)))


class BaselineLiveness:
    """Liveness verdicts of a baseline rule set per configuration, computed once (and shared
    between audits on disk, audit/shared.py)."""

    def __init__(self) -> None:
        self._got: dict[tuple[str, AuditConfig], dict[str, str]] = {}

    def get(self, rules: RuleSet, ac: AuditConfig) -> dict[str, str]:
        from audit import shared

        key = (rules.name, ac)
        got = self._got.get(key)
        if got is None:
            record = shared.load("liveness", (rules.name, ac.cfg)) \
                if shared.builtin(rules) else None
            if record is not None:
                got = self._got[key] = dict(record["verdicts"])
                return got
            from raftcheck.liveness_run import liveness_graph

            recorder = shared.Recorder()
            _m, g, v = liveness_graph(ac.cfg, LivenessOptions(), recorder.rules(rules),
                                      _limits())
            got = self._got[key] = dict(v.verdicts)
            if g.complete and shared.builtin(rules):
                shared.store("liveness", (rules.name, ac.cfg), {
                    "inputs": recorder.inputs, "verdicts": got, "states": len(g)})
        return got


def _limits(seconds: float | None = 600.0) -> Any:
    from explorer.bfs import Limits

    return Limits(time_limit=seconds)


def check_liveness(
    subject: Any, t0: float, cache: BaselineLiveness, kill_mode: bool,
    configs: tuple[AuditConfig, ...] = LIVENESS_CONFIGS,
    time_limit: Any = None,
) -> list[LivenessOutcome]:
    from audit import shared
    from audit.runner import Watch, watched
    from raftcheck.liveness_run import liveness_graph

    out = []
    base_rules = subject.baseline
    for ac in configs:
        t = time.perf_counter()
        record = shared.load("liveness", (base_rules.name, ac.cfg)) \
            if shared.builtin(base_rules) else None
        if record is not None:
            checked = shared.agrees(subject.rules, base_rules, subject.changed,
                                    record["inputs"])
            if checked is not None:  # the changed run is the baseline's run
                verdicts = dict(record["verdicts"])
                out.append(LivenessOutcome(ac, True, record["states"], 0.0, verdicts,
                                           dict(verdicts), at=time.perf_counter() - t0,
                                           rule_calls=checked, shared=True))
                continue
        watch = Watch()
        recorder = shared.Recorder()
        model, g, v = liveness_graph(
            ac.cfg, LivenessOptions(),
            recorder.rules(watched(subject.rules, base_rules, watch)),
            _limits() if time_limit is None else _limits(time_limit()),
        )
        inert = g.complete and watch.divergent == 0
        if inert and shared.builtin(base_rules):
            shared.store("liveness", (base_rules.name, ac.cfg), {
                "inputs": recorder.inputs, "verdicts": dict(v.verdicts), "states": len(g)})
        # An inert run is the baseline's run: same graph, same verdicts.
        base = dict(v.verdicts) if inert else cache.get(base_rules, ac)
        res = LivenessOutcome(ac, g.complete, len(g), time.perf_counter() - t, dict(v.verdicts),
                              base, at=time.perf_counter() - t0, rule_calls=watch.calls,
                              divergent_calls=watch.divergent,
                              divergent_inputs=watch.rendered(), divergent_keys=watch.keys)
        res.add_lassos(model, g, v.lassos)
        out.append(res)
        if kill_mode and res.broken:
            break
    return out
