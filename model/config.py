"""The bounds and switches of one exploration (specs/SEMANTICS.md, "Bounds")."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from model.rules import RULE_SETS, RuleSet

FAULTS = ("drop", "duplicate", "restart")


class ConfigError(ValueError):
    """A configuration that cannot be explored; the message is one line for the user."""


@dataclass(frozen=True)
class ClusterConfig:
    voters: int = 3
    learners: int = 0
    promoted_learners: bool = False
    pre_vote: bool = False
    check_quorum: bool = False
    election_timeout: int = 1
    max_term: int = 2
    max_msgs: int = 2
    drop: bool = True
    duplicates: int = 0
    restarts: int = 0
    transfers: int = 0
    appends: int = 0
    rules: str = "etcd-3.4"
    # Per node id (1-based) initial term and log; nodes not listed start at term 0, empty log.
    init_terms: tuple[tuple[int, int], ...] = ()
    init_logs: tuple[tuple[int, tuple[int, ...]], ...] = ()
    pending_conf: frozenset[int] = field(default_factory=frozenset)
    # Links (a, b), a < b, cut from the start (the partition) or lossy for the whole run
    # (model/topology.py), and how many times the partition may heal or split again in a run.
    cut_links: frozenset[tuple[int, int]] = field(default_factory=frozenset)
    lossy_links: frozenset[tuple[int, int]] = field(default_factory=frozenset)
    partition_faults: int = 0
    partition_later: bool = False  # the partition is not there at first: a fault splits it
    # Crashed nodes take no step at all and every link of theirs is cut (added to cut_links
    # here, so both engines lose their messages like any cut link's); start_leader: the run
    # starts from an established leader (model/start_leader.py); 0 for none.
    crashed: frozenset[int] = field(default_factory=frozenset)
    start_leader: int = 0
    # Membership changes (specs/SEMANTICS.md, "Membership changes"): the budget of proposed
    # changes (0: the static configuration of before), the kinds a leader may propose or the
    # exact changes (`--conf-change` specs, as written), the entry encodings of simple changes,
    # and spare nodes (ids after the learners, outside the initial configuration).
    conf_changes: int = 0
    conf_kinds: tuple[str, ...] = ("add", "remove", "promote", "demote")
    conf_specs: tuple[str, ...] = ()
    conf_entry: tuple[str, ...] = ("v1", "v2")
    spares: int = 0

    def __post_init__(self) -> None:
        if self.crashed:
            extra = {
                (min(c, j), max(c, j)) for c in self.crashed for j in range(1, self.n + 1)
                if j != c and 1 <= c <= self.n  # an unknown id: validate() says so
            }
            object.__setattr__(self, "cut_links", frozenset(self.cut_links) | extra)

    @property
    def n(self) -> int:
        return self.voters + self.learners + self.spares

    def conf_changes_list(self) -> tuple[tuple[bool, int, tuple[tuple[int, int], ...]], ...]:
        """The `--conf-change` specs parsed (raises ConfigError on a bad one)."""
        from model.conf_specs import SpecError, parse_encodings, parse_kinds, parse_spec
        from model.confchange import initial_conf

        try:
            kinds = parse_kinds(",".join(self.conf_kinds))
            encs = parse_encodings(",".join(self.conf_entry))
            conf = initial_conf(self.voters, self.learners)
            out: list[tuple[bool, int, tuple[tuple[int, int], ...]]] = []
            for spec in self.conf_specs:
                out.extend(parse_spec(spec, self.n, conf, kinds, encs))
        except SpecError as exc:
            raise ConfigError(str(exc)) from None
        return tuple(out)

    @property
    def has_network(self) -> bool:
        """Links matter: some link is cut or lossy, or cuts may change during a run."""
        return bool(self.cut_links or self.lossy_links or self.partition_faults)

    def validate(self) -> None:
        if not 1 <= self.voters <= 7:
            raise ConfigError(f"voters must be between 1 and 7 (got {self.voters})")
        if not 0 <= self.learners <= 2:
            raise ConfigError(f"learners must be between 0 and 2 (got {self.learners})")
        if self.rules not in RULE_SETS:
            known = ", ".join(RULE_SETS)
            raise ConfigError(f"unknown rule set {self.rules!r} (known: {known})")
        if self.election_timeout < 1:
            raise ConfigError("election timeout must be at least 1 tick")
        if self.max_term < 1:
            raise ConfigError("max term must be at least 1")
        if self.max_msgs < 0:
            raise ConfigError("max in-flight messages must be at least 0")
        for name in ("duplicates", "restarts", "transfers", "appends"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} budget must be at least 0")
        for nid, term in self.init_terms:
            if not 1 <= nid <= self.n:
                raise ConfigError(f"initial term given for unknown node {nid}")
            if not 0 <= term <= self.max_term:
                raise ConfigError(
                    f"initial term {term} of node {nid} is outside 0..max term {self.max_term}"
                )
        terms = dict(self.init_terms)
        for nid, log in self.init_logs:
            if not 1 <= nid <= self.n:
                raise ConfigError(f"initial log given for unknown node {nid}")
            if list(log) != sorted(log) or any(t < 1 for t in log):
                raise ConfigError(f"log of node {nid} must hold non-decreasing terms >= 1")
            if log and log[-1] > terms.get(nid, 0):
                raise ConfigError(
                    f"log of node {nid} holds term {log[-1]} above the node's term "
                    f"{terms.get(nid, 0)} (set it with --term {nid}:T)"
                )
        for nid in self.pending_conf:
            if not 1 <= nid <= self.n:
                raise ConfigError(f"pending config change given for unknown node {nid}")
        if self.partition_faults < 0:
            raise ConfigError("partition-faults budget must be at least 0")
        for what, links in (("cut", self.cut_links), ("lossy", self.lossy_links)):
            for a, b in links:
                if not (1 <= a < b <= self.n):
                    raise ConfigError(f"{what} link {a}-{b} does not join two of nodes 1..{self.n}")
        if self.partition_later and not self.partition_faults:
            raise ConfigError("a partition that comes later needs --partition-faults >= 1")
        if self.partition_faults and not self.cut_links:
            raise ConfigError("partition faults need a partition to heal (give --partition)")
        for c in sorted(self.crashed):
            if not 1 <= c <= self.n:
                raise ConfigError(f"crashed node {c} is not one of nodes 1..{self.n}")
            touching = sorted(lk for lk in self.lossy_links if c in lk)
            if touching:
                a, b = touching[0]
                raise ConfigError(f"link {a}-{b} cannot be lossy: node {c} is crashed")
        if self.crashed and self.partition_faults:
            raise ConfigError("crashed nodes stay crashed: a partition fault would heal their "
                              "links (give --crashed without --partition-faults)")
        both = self.cut_links & self.lossy_links
        if both:
            a, b = sorted(both)[0]
            raise ConfigError(f"link {a}-{b} is given as both cut and lossy")
        if self.start_leader:  # 0: none
            self._validate_start_leader()
        self._validate_conf()

    def _validate_conf(self) -> None:
        if self.conf_changes < 0:
            raise ConfigError("conf-changes budget must be at least 0")
        if not 0 <= self.spares <= 2:
            raise ConfigError(f"spares must be between 0 and 2 (got {self.spares})")
        if not self.conf_changes:
            if self.spares:
                raise ConfigError("--spares needs --conf-changes >= 1 (only a change adds them)")
            if self.conf_specs:
                raise ConfigError("--conf-change needs --conf-changes >= 1 (the budget)")
            return
        if self.max_term > 255:
            raise ConfigError(f"max term {self.max_term} is above 255: with --conf-changes a "
                              "log entry keeps its term in 8 bits")
        if self.n > 15:
            raise ConfigError("with --conf-changes node ids must fit 4 bits (at most 15 nodes)")
        specs = self.conf_changes_list()
        from model.conf_specs import candidate_changes
        from model.confchange import initial_conf

        conf = initial_conf(self.voters, self.learners)
        if not candidate_changes(conf, self.n, self.conf_kinds, specs, self.conf_entry):
            raise ConfigError(
                "--conf-changes: no change is possible from the initial configuration with "
                f"--conf-kinds {','.join(self.conf_kinds)}"
                + (" and the --conf-change specs" if specs else "")
                + (" (add needs --spares)" if self.conf_kinds == ("add",) else "")
            )

    def _validate_start_leader(self) -> None:
        lid = self.start_leader
        if not 1 <= lid <= self.n:  # (negative ids too)
            raise ConfigError(f"start leader {lid} is not one of nodes 1..{self.n}")
        if lid > self.voters:
            raise ConfigError(f"start leader {lid} is a learner: only a voter can lead")
        if lid in self.crashed:
            raise ConfigError(f"start leader {lid} is crashed")
        if self.init_terms or self.init_logs or self.pending_conf:
            raise ConfigError("a start leader sets every initial term and log itself: give it "
                              "without --term, --log or --pending-conf")

    def rule_set(self) -> RuleSet:
        return RULE_SETS[self.rules]

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["init_terms"] = {str(k): v for k, v in self.init_terms}
        d["init_logs"] = {str(k): list(v) for k, v in self.init_logs}
        d["pending_conf"] = sorted(self.pending_conf)
        d["cut_links"] = [f"{a}-{b}" for a, b in sorted(self.cut_links)]
        d["lossy_links"] = [f"{a}-{b}" for a, b in sorted(self.lossy_links)]
        d["crashed"] = sorted(self.crashed)
        d["conf_kinds"] = list(self.conf_kinds)
        d["conf_specs"] = list(self.conf_specs)
        d["conf_entry"] = list(self.conf_entry)
        d["faults"] = [
            f
            for f, on in (
                ("drop", self.drop),
                ("duplicate", self.duplicates > 0),
                ("restart", self.restarts > 0),
            )
            if on
        ]
        return d
