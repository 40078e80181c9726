"""Membership changes: a configuration plus a change gives the next configuration (etcd
``confchange/confchange.go``).

``Changer`` works on copies of a tracker's configuration and progress map and returns the new
pair, which ``Raft.switch_to_config`` installs. Three entry points, as in etcd: ``simple``
(at most one voter changes, no joint phase), ``enter_joint`` (the outgoing half is the old
voters, the incoming half gets the changes) and ``leave_joint``. Every result is checked
against the configuration invariants; a violation raises ``ConfChangeError``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from impl.quorum import JointConfig
from impl.raftpb import ConfChangeSingle, ConfChangeType
from impl.tracker import Progress, ProgressTracker, TrackerConfig

ProgressMap = dict[int, Progress]


class ConfChangeError(ValueError):
    """The change cannot be applied to this configuration."""


@dataclass
class _Working:
    """A mutable copy of a configuration while a change is applied to it."""

    incoming: set[int]
    outgoing: set[int]
    learners: set[int]
    learners_next: set[int]
    auto_leave: bool

    @classmethod
    def of(cls, c: TrackerConfig) -> _Working:
        return cls(
            set(c.voters.incoming.ids()),
            set(c.voters.outgoing.ids()),
            set(c.learners),
            set(c.learners_next),
            c.auto_leave,
        )

    def freeze(self) -> TrackerConfig:
        return TrackerConfig(
            JointConfig(self.incoming, self.outgoing),
            frozenset(self.learners),
            frozenset(self.learners_next),
            self.auto_leave,
        )


class Changer:
    """Applies changes to ``tracker``'s configuration; ``last_index`` is the leader's last
    log index (a new peer's progress starts there)."""

    def __init__(self, tracker: ProgressTracker, last_index: int) -> None:
        self.tracker = tracker
        self.last_index = last_index

    # -- entry points --------------------------------------------------------------------

    def enter_joint(
        self, auto_leave: bool, *ccs: ConfChangeSingle
    ) -> tuple[TrackerConfig, ProgressMap]:
        """The old voters become the outgoing half; ``ccs`` change the incoming half."""
        cfg, prs = self._check_and_copy()
        if cfg.outgoing:
            raise ConfChangeError("config is already joint")
        if not cfg.incoming:
            # A zero-voter config cannot be joint: the outgoing half would be empty too.
            raise ConfChangeError("can't make a zero-voter config joint")
        cfg.outgoing = set(cfg.incoming)
        self._apply(cfg, prs, ccs)
        cfg.auto_leave = auto_leave
        return _check_and_return(cfg, prs)

    def leave_joint(self) -> tuple[TrackerConfig, ProgressMap]:
        """Drop the outgoing half; demoted voters become learners, removed ones go."""
        cfg, prs = self._check_and_copy()
        if not cfg.outgoing:
            raise ConfChangeError("can't leave a non-joint config")
        for id in cfg.learners_next:
            cfg.learners.add(id)
            prs[id].is_learner = True
        cfg.learners_next = set()
        for id in cfg.outgoing:
            if id not in cfg.incoming and id not in cfg.learners:
                del prs[id]
        cfg.outgoing = set()
        cfg.auto_leave = False
        return _check_and_return(cfg, prs)

    def simple(self, *ccs: ConfChangeSingle) -> tuple[TrackerConfig, ProgressMap]:
        """Apply ``ccs`` without a joint phase: at most one voter may change."""
        cfg, prs = self._check_and_copy()
        if cfg.outgoing:
            raise ConfChangeError("can't apply simple config change in joint config")
        self._apply(cfg, prs, ccs)
        before = self.tracker.config.voters.incoming.ids()
        if len(before ^ cfg.incoming) > 1:
            raise ConfChangeError("more than one voter changed without entering joint config")
        return _check_and_return(cfg, prs)

    # -- the single changes --------------------------------------------------------------

    def _apply(self, cfg: _Working, prs: ProgressMap, ccs: tuple[ConfChangeSingle, ...]) -> None:
        for cc in ccs:
            if cc.node_id == 0:
                continue  # etcd ignores changes of node 0
            if cc.type == ConfChangeType.ConfChangeAddNode:
                self._make_voter(cfg, prs, cc.node_id)
            elif cc.type == ConfChangeType.ConfChangeAddLearnerNode:
                self._make_learner(cfg, prs, cc.node_id)
            elif cc.type == ConfChangeType.ConfChangeRemoveNode:
                self._remove(cfg, prs, cc.node_id)
            elif cc.type == ConfChangeType.ConfChangeUpdateNode:
                pass
            else:
                raise ConfChangeError(f"unexpected conf type {cc.type}")
        if not cfg.incoming:
            raise ConfChangeError("removed all voters")

    def _make_voter(self, cfg: _Working, prs: ProgressMap, id: int) -> None:
        pr = prs.get(id)
        if pr is None:
            self._init_progress(cfg, prs, id, is_learner=False)
            return
        pr.is_learner = False
        cfg.learners.discard(id)
        cfg.learners_next.discard(id)
        cfg.incoming.add(id)

    def _make_learner(self, cfg: _Working, prs: ProgressMap, id: int) -> None:
        """Add ``id`` as a learner, or demote it. A voter of the outgoing half stays a voter
        there until the joint config is left (``learners_next``)."""
        pr = prs.get(id)
        if pr is None:
            self._init_progress(cfg, prs, id, is_learner=True)
            return
        if pr.is_learner:
            return
        self._remove(cfg, prs, id)
        prs[id] = pr
        if id in cfg.outgoing:
            cfg.learners_next.add(id)
        else:
            pr.is_learner = True
            cfg.learners.add(id)

    def _remove(self, cfg: _Working, prs: ProgressMap, id: int) -> None:
        if id not in prs:
            return
        cfg.incoming.discard(id)
        cfg.learners.discard(id)
        cfg.learners_next.discard(id)
        # A voter of the outgoing half keeps its progress until the joint config is left.
        if id not in cfg.outgoing:
            del prs[id]

    def _init_progress(self, cfg: _Working, prs: ProgressMap, id: int, is_learner: bool) -> None:
        if is_learner:
            cfg.learners.add(id)
        else:
            cfg.incoming.add(id)
        # A new peer counts as active, so that check-quorum does not step the leader down
        # before the peer had a chance to answer.
        prs[id] = Progress(match=0, next=self.last_index, recent_active=True,
                           is_learner=is_learner)

    def _check_and_copy(self) -> tuple[_Working, ProgressMap]:
        cfg = _Working.of(self.tracker.config)
        prs = {id: replace(pr) for id, pr in self.tracker.progress.items()}
        check_invariants(cfg, prs)
        return cfg, prs


def _check_and_return(cfg: _Working, prs: ProgressMap) -> tuple[TrackerConfig, ProgressMap]:
    check_invariants(cfg, prs)
    return cfg.freeze(), prs


def check_invariants(cfg: _Working, prs: ProgressMap) -> None:
    """The invariants every configuration satisfies (etcd ``checkInvariants``)."""
    for ids in (cfg.incoming | cfg.outgoing, cfg.learners, cfg.learners_next):
        for id in ids:
            if id not in prs:
                raise ConfChangeError(f"no progress for {id}")
    for id in cfg.learners_next:
        if id not in cfg.outgoing:
            raise ConfChangeError(f"{id} is in LearnersNext, but not Voters[1]")
        if prs[id].is_learner:
            raise ConfChangeError(f"{id} is in LearnersNext, but is already marked as learner")
    for id in cfg.learners:
        if id in cfg.outgoing:
            raise ConfChangeError(f"{id} is in Learners and Voters[1]")
        if id in cfg.incoming:
            raise ConfChangeError(f"{id} is in Learners and Voters[0]")
        if not prs[id].is_learner:
            raise ConfChangeError(f"{id} is in Learners, but is not marked as learner")
    if not cfg.outgoing:
        if cfg.learners_next:
            raise ConfChangeError("LearnersNext must be nil when not joint")
        if cfg.auto_leave:
            raise ConfChangeError("AutoLeave must be false when not joint")
