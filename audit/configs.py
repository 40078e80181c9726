"""The configurations an audit explores: its stated bounds, and extra configurations per rule.

Every audited node count is explored under the four pre-vote/check-quorum combinations at the
bounds in `AUDIT_BOUNDS` (drop on, no other faults, symmetry on). Some rules only matter with a
fault or a setting those runs lack, so a change to them adds named extra configurations
(`EXTRAS`, chosen by `RULE_EXTRAS`): restarts for vote-keeping rules, a leadership transfer
under check-quorum for lease rules, a promoted learner for learner and tally rules, initial logs
for the log comparison.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from model.config import ClusterConfig
from raftcheck.defaults import quick_config

# voters -> (max_term, max_msgs, election_timeout): the quick bounds (raftcheck/defaults.py); the
# explorer's larger defaults would make one audit (two runs per configuration) take minutes.
AUDIT_BOUNDS: dict[int, tuple[int, int, int]] = {
    n: (c.max_term, c.max_msgs, c.election_timeout)
    for n, c in ((n, quick_config(n)) for n in range(1, 8))
}
DEFAULT_NODES: tuple[int, ...] = (3, 4)  # 5 voters: opt in (minutes per run)
DIFF_NODES = 3  # the behaviour diff runs on 3-voter configurations only


@dataclass(frozen=True)
class AuditConfig:
    label: str
    cfg: ClusterConfig
    purpose: str = ""
    extra: bool = False
    # A directed configuration (audit/directed.py): the differing input it was built to reach.
    reaches: str = ""

    def bounds_text(self) -> str:
        c = self.cfg
        from model.topology import describe_links

        parts = [
            f"voters={c.voters}",
            *([f"learners={c.learners}{' (promoted)' if c.promoted_learners else ''}"]
              if c.learners else []),
            f"pre_vote={'on' if c.pre_vote else 'off'}",
            f"check_quorum={'on' if c.check_quorum else 'off'}",
            f"max_term={c.max_term}",
            f"max_msgs={c.max_msgs}",
            f"election_timeout={c.election_timeout}",
            "drop=on" if c.drop else "drop=off",
        ]
        for name in ("duplicates", "restarts", "transfers", "appends"):
            if getattr(c, name):
                parts.append(f"{name}={getattr(c, name)}")
        if c.init_terms:
            parts.append("terms=" + ",".join(f"{k}:{v}" for k, v in c.init_terms))
        if c.init_logs:
            parts.append(
                "logs=" + ",".join(f"{k}:{list(v)}" for k, v in c.init_logs)
            )
        if c.cut_links:
            parts.append(f"cut={describe_links(c.cut_links)}")
        if c.lossy_links:
            parts.append(f"lossy={describe_links(c.lossy_links)}")
        if c.partition_faults:
            parts.append(f"partition_faults={c.partition_faults}")
        if getattr(c, "start_leader", 0):
            parts.append(f"start_leader={c.start_leader}")
        conf_changes = getattr(c, "conf_changes", 0)  # membership changes (issue 14)
        if conf_changes:
            parts.append(f"conf_changes={conf_changes}")
            specs = getattr(c, "conf_specs", ())
            parts.append("conf_change=" + ",".join(specs) if specs
                         else "conf_kinds=" + ",".join(getattr(c, "conf_kinds", ())))
            parts.append("conf_entry=" + ",".join(getattr(c, "conf_entry", ())))
            spares = getattr(c, "spares", 0)
            if spares:
                parts.append(f"spares={spares}")
        return " ".join(parts)


def symmetry_applies(cfg: ClusterConfig) -> bool:
    """Node ids are interchangeable unless links keep nodes apart (a cut or lossy link);
    with membership changes too (model/symmetry.py moves the ids in conf entries)."""
    return not cfg.has_network


def base_config(voters: int, pre_vote: bool, check_quorum: bool) -> ClusterConfig:
    return replace(quick_config(voters), pre_vote=pre_vote, check_quorum=check_quorum)


def _label(voters: int, pre_vote: bool, check_quorum: bool) -> str:
    flags = [f for f, on in (("pre-vote", pre_vote), ("check-quorum", check_quorum)) if on]
    return f"{voters} voters" + (", " + ", ".join(flags) if flags else "")


def base_configs(nodes: Iterable[int]) -> list[AuditConfig]:
    """The four pre-vote/check-quorum combinations for every node count, cheapest first."""
    out = []
    for n in nodes:
        for pv, cq in ((False, False), (True, False), (False, True), (True, True)):
            out.append(AuditConfig(_label(n, pv, cq), base_config(n, pv, cq)))
    return out


_B3 = base_config(3, False, False)

EXTRAS: dict[str, AuditConfig] = {
    "restart": AuditConfig(
        "3 voters, 1 restart",
        replace(_B3, restarts=1),
        "a crash/restart keeps term, vote and log (vote-keeping rules)",
        True,
    ),
    "transfer": AuditConfig(
        "3 voters, check-quorum, 1 transfer",
        replace(_B3, check_quorum=True, transfers=1),
        "a forced (transfer) campaign against leased followers (lease and check-quorum rules)",
        True,
    ),
    "learner": AuditConfig(
        "2 voters + 1 promoted learner",
        replace(_B3, voters=2, learners=1, promoted_learners=True),
        "a learner that everybody else counts as a voter (learner and tally rules)",
        True,
    ),
    "even": AuditConfig(
        "4 voters",
        base_config(4, False, False),
        "an even voter count, where 'rejected >= q' and 'granted + missing < q' differ "
        "(tally and quorum rules)",
        True,
    ),
}

# Membership changes (issue 14). 2 voters and a learner, from an established leader 1 (term 1):
# one joint change replaces every voter (incoming {3}, outgoing {1, 2}, auto-leave), so the old
# and the new configuration have disjoint quorums, the situation the campaign guard and the
# joint tally exist for. No drops and at most 2 messages in flight keep the runs at seconds
# (etcd-3.5: 58,200 states; with the transfer 162,036); what they need to show is ordering,
# not loss.
_JOINT = replace(
    _B3, voters=2, learners=1, start_leader=1, max_term=2, max_msgs=2, drop=False,
    conf_changes=1, conf_kinds=("add", "remove", "promote", "demote", "joint"),
    conf_specs=("joint:promote:3+remove:1+remove:2",),
)
EXTRAS.update({
    "joint-change": AuditConfig(
        "2 voters + 1 learner, leader 1, joint change to {3}",
        _JOINT,
        "a joint change whose old and new quorums are disjoint: campaigns with a committed, "
        "unapplied conf entry, and joint tallies (membership rules)",
        True,
    ),
    "conf-budget-2": AuditConfig(
        "2 voters + 1 learner, leader 1, promote 3, budget 2",
        replace(_JOINT, conf_changes=2, conf_specs=("promote:3",)),
        "a second proposal while the first is unapplied (the leader's alreadyPending check); "
        "no joint change, whose unbudgeted leave entries a leader that never finds a change "
        "pending would append without end",
        True,
    ),
    "joint-change-append": AuditConfig(
        "2 voters + 1 learner, leader 1, joint change to {3}, 1 append",
        replace(_JOINT, appends=1),
        "the same with a client entry: the leader applies again while still joint, after its "
        "auto-leave entry (whether auto-leave moves pendingConfIndex, etcd #12582)",
        True,
    ),
    "joint-change-transfer": AuditConfig(
        "2 voters + 1 learner, leader 1, joint change to {3}, 1 transfer",
        replace(_JOINT, transfers=1),
        "the same with a leadership transfer: a transfer campaign with a committed, unapplied "
        "conf entry (the pending-conf guard on the transfer path)",
        True,
    ),
})

# A patch to code has no rule whose differing inputs could direct a configuration, so a patch
# audit runs every extra, and these two as well: divergent logs (log comparison) and a
# duplicated message (vote recording), which rule audits now reach by directed configurations.
PATCH_EXTRAS: dict[str, AuditConfig] = {
    **EXTRAS,
    "duplicate": AuditConfig(
        "3 voters, pre-vote, 1 duplicate",
        replace(_B3, pre_vote=True, duplicates=1),
        "a duplicated message, so one voter can answer one election twice (vote recording)",
        True,
    ),
    "logs": AuditConfig(
        "3 voters, divergent initial logs",
        replace(
            _B3,
            init_terms=((1, 1), (2, 2), (3, 1)),
            init_logs=((1, (1, 1)), (2, (2,)), (3, (1,))),
        ),
        "logs that differ in last term and in length (log comparison rules)",
        True,
    ),
}

RULE_EXTRAS: dict[str, tuple[str, ...]] = {
    # Directed configurations (audit/directed.py) replace "logs" (is_up_to_date) and "even"
    # (quorum, tally_votes) and "duplicate" (record_vote): they are built from the differing
    # inputs themselves. The extras below stay where a rule's inputs are made of state only
    # elections create (votes, known leaders, leases) or of no input at all.
    "quorum": ("learner",),
    "is_up_to_date": (),
    "can_vote": ("restart",),
    "in_lease": ("transfer",),
    "lease_drops_request": ("transfer",),
    "adopts_higher_term": (),
    "leader_from_message": (),
    "lower_term_reply": (),
    "vote_reply_term": (),
    "reset_vote": ("restart",),
    "grant_resets_elapsed": ("transfer",),
    "grant_records_vote": ("restart",),
    "self_vote": ("even",),
    "pre_vote_term": (),
    "lease_applies": ("transfer",),
    "transfer_forces": ("transfer",),
    "pre_candidate_lead": ("transfer",),
    "learner_answers_votes": ("learner",),
    "record_vote": ("learner",),
    "tally_votes": ("learner", "joint-change"),
    "quorum_active": ("transfer",),
    # membership rules (read only with --conf-changes)
    "num_of_pending_conf": ("joint-change",),
    "hup_checks_pending_conf": ("joint-change-transfer",),
    "conf_already_pending": ("conf-budget-2",),
    "joint_vote_result": ("joint-change",),
    "auto_leave_bumps_pending_conf": ("joint-change-append",),
}


def extra_configs(changed: Iterable[str]) -> list[AuditConfig]:
    names: list[str] = []
    for rule in changed:
        for e in RULE_EXTRAS.get(rule, ()):
            if e not in names:
                names.append(e)
    return [EXTRAS[n] for n in EXTRAS if n in names]


def parse_nodes(text: str) -> tuple[int, ...]:
    """`3,4,5` -> (3, 4, 5); ValueError with a one-line message otherwise."""
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            n = int(part)
        except ValueError:
            raise ValueError(f"--nodes: {part!r} is not a number (e.g. --nodes 3,4,5)") from None
        if not 1 <= n <= 7:
            raise ValueError(f"--nodes: {n} is outside 1..7")
        if n not in out:
            out.append(n)
    if not out:
        raise ValueError("--nodes: give at least one node count (e.g. --nodes 3)")
    return tuple(sorted(out))
