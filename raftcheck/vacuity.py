"""Vacuous runs: a complete exploration in which no node ever became leader, or in which an
action the configuration enables never fired, proves its invariants about almost nothing.

`explore` warns (stderr and the JSON `warnings` list); `check` and `audit` refuse such a
configuration (exit 2), since a pass there would claim more than it checked.
"""

from __future__ import annotations

from explorer.bfs import Result
from model.cluster import ClusterModel
from model.config import ClusterConfig


class VacuousConfiguration(Exception):
    """A configuration whose exploration is vacuous; the message is one line for the user."""


def expected_kinds(cfg: ClusterConfig) -> list[str]:
    """The action kinds that some reachable state should enable under `cfg`, in the order of
    the summary table. A kind depends on the configuration only: messages need two nodes,
    faults and operator actions need their budget."""
    many = cfg.n > 1
    kinds = ["tick", "timeout"]
    if many:
        kinds += ["deliver", "heartbeat"]
        if cfg.drop:
            kinds.append("drop")
        if cfg.duplicates:
            kinds.append("duplicate")
    if cfg.restarts:
        kinds.append("restart")
    if cfg.transfers and cfg.voters > 1:
        kinds.append("transfer")
    if cfg.appends:
        kinds.append("append")
    if cfg.partition_faults and cfg.cut_links:
        if not cfg.partition_later or cfg.partition_faults > 1:
            kinds.append("heal")
        if cfg.partition_later or cfg.partition_faults > 1:
            kinds.append("split")
    if cfg.conf_changes:
        # A membership run that never applies a change says nothing about changes (small
        # max_msgs without drops can make every commit of a conf entry unreachable).
        kinds += ["propose-conf", "apply"]
    return kinds


def leader_elected(model: ClusterModel) -> bool:
    """Some explored transition made a node leader.

    Every history the model interned belongs to a state that a transition produced, and a
    `become_leader` records (term, id) in the history's `elected` set before anything can
    forget it, so one non-empty `elected` set is enough."""
    return any(h[0] for h in model.hist_tab)


def conf_change_applied(model: ClusterModel) -> bool:
    """Some explored node state applied a conf change: its configuration is neither the
    bootstrap one nor a spare's empty one."""
    from model import confchange as cc_
    from model.node_state import CONF

    start = model.logic.bootstrap_conf
    return any(nd[CONF] not in (start, cc_.EMPTY_CONF) for nd in model.node_tab)


def vacuity_warnings(model: ClusterModel, result: Result) -> list[str]:
    """One line per reason the run is vacuous; empty when it is not (or when the run stopped
    early or found a violation: a partial run proves nothing anyway, a violation is real)."""
    if result.stop_reason is not None or result.violations:
        return []
    cfg = model.cfg
    out = []
    if not leader_elected(model):
        out.append(
            "no node ever became leader in any explored state: the invariants hold vacuously "
            f"({_leader_hint(cfg)})"
        )
    if cfg.conf_changes and not conf_change_applied(model):
        out.append(
            "no configuration change was ever applied: the run says nothing about membership "
            "changes (a conf entry's commit broadcast may not fit in --max-msgs)"
        )
    missing = [k for k in expected_kinds(cfg) if not result.action_counts.get(k)]
    if missing:
        out.append(
            "these actions never fired: " + ", ".join(missing)
            + " (the bounds leave them no room; see specs/SEMANTICS.md, \"Bounds\")"
        )
    return out


def campaign_size(cfg: ClusterConfig) -> int:
    """Messages a campaign sends at once: one to each other node that counts as a voter."""
    return (cfg.n if cfg.promoted_learners else cfg.voters) - 1


def _leader_hint(cfg: ClusterConfig) -> str:
    need = campaign_size(cfg)
    if cfg.max_msgs < need:
        return f"a campaign sends {need} messages at once and --max-msgs is {cfg.max_msgs}"
    if cfg.max_msgs < cfg.n - 1:
        return (f"a new leader sends MsgApp to {cfg.n - 1} nodes at once, learners included, "
                f"and --max-msgs is {cfg.max_msgs}")
    return "check --max-msgs, --max-term, the partition and the rules"


def refuse_if_vacuous(model: ClusterModel, result: Result, what: str) -> None:
    """Raise VacuousConfiguration when the run is vacuous (for `check` and `audit`)."""
    warnings = vacuity_warnings(model, result)
    if warnings:
        raise VacuousConfiguration(f"{what} is vacuous: {warnings[0]}")
