"""Directed configurations: from an input on which a changed rule differs, a cluster reaching it.

The audit's fixed configurations reach many inputs of a rule but not all: a log comparison is
only asked with the logs the nodes happen to grow, a check-quorum count only with the nodes a
configuration has. When the probe (audit/probe.py) finds a differing input that no run reached,
`directed_config(rule, args)` builds a small configuration whose initial state or shape makes
that input arise: initial terms and logs for the log comparison, the voter and learner counts
and check-quorum for the counting rules, a duplicate for vote recording. The audit explores it
(safety, with the watch) and diffs it against the baseline, so the verdict comes from a run
that met the difference. Whether the run really reached the input is recorded by the watch,
never assumed.

Rules whose inputs are made of state only elections create (a vote, a known leader, a lease) get
no directed configuration: the hand-written extras of audit/configs.py stay for them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from audit.configs import AuditConfig
from model.config import ClusterConfig, ConfigError
from raftcheck.defaults import quick_config

# Largest cluster a directed configuration may have: 5 nodes take minutes per run at the quick
# bounds, and an audit must stay within a minute.
MAX_NODES = 4


def _voters_only(n: int, **kw: Any) -> ClusterConfig | None:
    if not 1 <= n <= MAX_NODES:
        return None
    return replace(quick_config(n), **kw)


def _log(last_term: int, last_index: int) -> tuple[int, ...]:
    return (last_term,) * last_index


def _up_to_date(args: tuple[Any, ...]) -> tuple[ClusterConfig, str] | None:
    """Voter 1 holds the voter's log, node 2 the candidate's, at terms that let node 2
    campaign one term above voter 1 (voter 1 then has no vote and no leader, so canVote lets
    the log comparison decide); voter 3 starts empty, so elections still happen."""
    lt, li, ct, ci = args
    if (lt == 0) != (li == 0) or (ct == 0) != (ci == 0):
        return None  # no log has last term 0 and entries, or entries of term 0
    t1, t2 = lt, max(ct, lt)
    cfg = replace(
        quick_config(3),
        max_term=t2 + 1,
        init_terms=tuple((nid, t) for nid, t in ((1, t1), (2, t2)) if t),
        init_logs=tuple((nid, lg) for nid, lg in ((1, _log(lt, li)), (2, _log(ct, ci))) if lg),
    )
    return cfg, "voter 1 holds the voter's log, node 2 campaigns with the candidate's"


def _tally(args: tuple[Any, ...]) -> tuple[ClusterConfig, str] | None:
    voters, granted, rejected = args[0], args[1], args[2]
    if (granted | rejected) & ~voters:
        return None  # only voters (and promoted learners, counted as voters) are asked
    cfg = _voters_only(voters.bit_count())
    return (cfg, "that many voters answer one candidate") if cfg else None


def _quorum(args: tuple[Any, ...]) -> tuple[ClusterConfig, str] | None:
    cfg = _voters_only(args[0], check_quorum=True)
    return (cfg, "that many voters, check-quorum (quorum is read by tallies and by the "
                 "check-quorum count)") if cfg else None


def _quorum_active(args: tuple[Any, ...]) -> tuple[ClusterConfig, str] | None:
    voters, active = args[0], args[1]
    n, learners = voters.bit_count(), (active & ~voters).bit_count()
    if learners > 2 or n + learners > MAX_NODES:
        return None
    cfg = replace(quick_config(n, learners), check_quorum=True)
    what = f"a leader of {n} voters" + (
        f" hearing from {learners} learner{'s' if learners > 1 else ''} (not promoted)"
        if learners else "") + ", check-quorum"
    return cfg, what


def _record(args: tuple[Any, ...]) -> tuple[ClusterConfig, str] | None:
    granted, rejected, voter = args[0], args[1], args[2]
    ids = max((granted | rejected).bit_length() - 1, voter)
    cfg = _voters_only(max(ids, 3), duplicates=1)
    return (cfg, "a duplicated answer reaches the candidate again") if cfg else None


BUILDERS = {
    "is_up_to_date": _up_to_date,
    "tally_votes": _tally,
    "quorum": _quorum,
    "quorum_active": _quorum_active,
    "record_vote": _record,
}


def _shape(cfg: ClusterConfig) -> str:
    parts = [f"{cfg.voters} voters"]
    if cfg.learners:
        parts.append(f"{cfg.learners} learner{'s' if cfg.learners > 1 else ''}"
                     + (" (promoted)" if cfg.promoted_learners else ""))
    for flag, name in ((cfg.pre_vote, "pre-vote"), (cfg.check_quorum, "check-quorum")):
        if flag:
            parts.append(name)
    if cfg.duplicates:
        parts.append(f"{cfg.duplicates} duplicate")
    if cfg.init_terms:
        parts.append("terms " + ",".join(f"{k}:{v}" for k, v in cfg.init_terms))
    if cfg.init_logs:
        parts.append("logs " + ",".join(f"{k}:{list(v)}" for k, v in cfg.init_logs))
    return ", ".join(parts)


def directed_config(rule: str, args: tuple[Any, ...], reaches: str) -> AuditConfig | None:
    """A configuration built to reach `rule(*args)` (described by `reaches`), or None when
    the rule's inputs are not made by an initial state or a cluster shape."""
    build = BUILDERS.get(rule)
    if build is None:
        return None
    got = build(args)
    if got is None:
        return None
    cfg, how = got
    try:
        cfg.validate()
    except ConfigError:
        return None
    return AuditConfig(f"directed: {_shape(cfg)}", cfg,
                       f"built to reach {reaches.split(' = ')[0]} ({how})", True, reaches)
