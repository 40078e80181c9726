"""What `raftcheck check` runs: its embedded default, or a project file's settings.

Without a project file (or without its explore section) `check` explores 3 voters with
pre-vote and check-quorum, symmetry on. With an explore section it explores that configuration
instead (symmetry on unless the section says otherwise: it is an exact reduction), and proves
the obligations of the rules it explored as well as both built-in rule sets. Its conformance
pass takes the lockstep settings of the conform section; the settings that only `conform`
itself can use are named in a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import click

from explorer.bfs import Limits
from model.config import ClusterConfig
from model.rules import RuleSet
from raftcheck.defaults import default_config

CHECK_SEED = 20261126
CHECK_EXAMPLES = 100
# conform settings that check's lockstep pass uses, as run_lockstep keywords.
LOCKSTEP_KEYS = ("nodes", "examples", "steps", "rules", "engine", "impl")
# explore settings that check cannot honour: it runs one safety exploration.
NOT_IN_CHECK = ("liveness", "assume", "export_graph", "checkpoint", "resume")


@dataclass
class CheckSettings:
    cfg: ClusterConfig
    rules: RuleSet | None = None
    limits: Limits = field(default_factory=Limits)
    symmetry: bool = True
    lockstep: dict[str, Any] = field(default_factory=dict)
    seed: int = CHECK_SEED
    notes: list[str] = field(default_factory=list)


def project_defaults(ctx: click.Context, section: str) -> dict[str, Any]:
    return dict((ctx.find_root().default_map or {}).get(section) or {})


def check_settings(ctx: click.Context, seed: int | None) -> CheckSettings:
    """The settings of this `check` run (`seed`: --seed, if given)."""
    from raftcheck.cli import UsageError, explore_cmd, prepare_exploration

    explore = project_defaults(ctx, "explore")
    if explore:
        bad = [k for k in NOT_IN_CHECK if explore.get(k)]
        if bad:
            raise UsageError(
                f"the project file's explore settings ask for {bad[0].replace('_', '-')}, "
                "which check does not run (use raftcheck explore)"
            )
        ectx = explore_cmd.make_context("explore", [], parent=ctx.find_root())
        kw = dict(ectx.params)
        kw["symmetry"] = explore.get("symmetry")  # None: on wherever it is exact
        kw["keep_going"], kw["as_json"] = True, False
        cfg, limits, rest, rules, _ = prepare_exploration(kw)
        if cfg.has_network:
            kw_sym = False  # symmetry must keep links apart
        else:
            kw_sym = bool(rest["symmetry"])
        out = CheckSettings(cfg, rules, limits, kw_sym)
    else:
        out = CheckSettings(replace(default_config(3), pre_vote=True, check_quorum=True))
    conform = project_defaults(ctx, "conform")
    out.lockstep = {"examples": CHECK_EXAMPLES}
    out.lockstep.update({k: conform[k] for k in LOCKSTEP_KEYS if conform.get(k) is not None})
    out.seed = seed if seed is not None else conform.get("seed") or CHECK_SEED
    ignored = sorted(k for k, v in conform.items()
                     if k not in LOCKSTEP_KEYS and k not in ("seed", "as_json", "trace_dir")
                     and v not in (None, False))
    if ignored:
        out.notes.append(
            "check's conformance pass is a lockstep run; these conform settings apply to "
            "raftcheck conform only: " + ", ".join(k.replace("_", "-") for k in ignored)
        )
    return out
