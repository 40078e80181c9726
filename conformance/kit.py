"""The conformance kit: a fixed list of short cases, each aimed at one request of
specs/HARNESS.md, that tells a harness author which requests their harness answers wrongly.

Protocol cases send single requests and check the answer's shape (hello, errors, handles,
batches, clone). Behaviour cases run a few model actions on a fresh 3-node cluster through the
backend (the same lockstep comparison as `conform`, so the expected answer is the model's) and
stop at the first step whose answer differs; the case names the request under test. Cases run
in order and independently: a failing case does not stop the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.engine import Lockstep
from conformance.nodes import HarnessFailure
from model.config import ClusterConfig

# A move: ("tick"|"timeout"|"heartbeat"|"restart"|"append", nid), ("transfer", nid, to), or
# ("deliver", from, to): the first in-flight model message from -> to.
Move = tuple[Any, ...]


@dataclass(frozen=True)
class Case:
    name: str
    request: str  # the request of specs/HARNESS.md the case is about
    config: dict[str, Any]
    moves: tuple[Move, ...]


def _elect(pre_vote: bool = False) -> tuple[Move, ...]:
    """Node 1 becomes leader of 3 (with pre-vote: the pre-vote round first)."""
    pre: tuple[Move, ...] = (("deliver", 1, 2), ("deliver", 2, 1)) if pre_vote else ()
    return (("timeout", 1),) + pre + (("deliver", 1, 2), ("deliver", 2, 1))


CASES: tuple[Case, ...] = (
    Case("initial state of a fresh node", "create+status", {}, ()),
    Case("initial term and log", "create+status",
         {"init_terms": ((1, 2), (2, 1)), "init_logs": ((1, (1, 2)), (2, (1,)))}, ()),
    Case("a follower's tick", "tick", {}, (("tick", 2),)),
    Case("election timeout: campaign", "set_randomized_election_timeout+tick+ready", {},
         (("timeout", 1),)),
    Case("vote request granted", "step(MsgVote)", {}, (("timeout", 1), ("deliver", 1, 2))),
    Case("vote request refused (already voted)", "step(MsgVote)", {},
         (("timeout", 1), ("timeout", 2), ("deliver", 1, 3), ("deliver", 2, 3))),
    Case("vote response: leader", "step(MsgVoteResp)", {}, _elect()),
    Case("pre-vote round", "step(MsgPreVote/MsgPreVoteResp)", {"pre_vote": True},
         _elect(pre_vote=True)),
    Case("leader heartbeat", "beat", {}, _elect() + (("heartbeat", 1),)),
    Case("heartbeat received", "step(MsgHeartbeat)", {},
         _elect() + (("heartbeat", 1), ("deliver", 1, 3))),
    Case("check-quorum leader tick", "tick", {"check_quorum": True},
         _elect() + (("tick", 1), ("tick", 1))),
    Case("leadership transfer", "transfer_leader", {"transfers": 1},
         _elect() + (("transfer", 1, 2),)),
    Case("proposal on the leader", "propose", {"appends": 1}, _elect() + (("append", 1),)),
    Case("restart of a candidate", "restart", {"restarts": 1}, (("timeout", 1), ("restart", 1))),
    Case("higher-term message to a leader", "step", {"max_term": 3},
         _elect() + (("timeout", 2), ("deliver", 2, 1))),
)

BASE = {"voters": 3, "max_term": 2, "max_msgs": 6}


@dataclass
class Result:
    name: str
    request: str
    ok: bool
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"case": self.name, "request": self.request, "ok": self.ok,
                "problems": self.problems}


class KitError(Exception):
    """A case the model cannot run (a bug of the kit, not of the harness)."""


def _resolve(run: Lockstep, move: Move) -> Any:
    """The model action of `move` in the current state."""
    enabled = run.enabled()
    if move[0] == "deliver":
        for a in enabled:
            if a[0] == "deliver" and a[1][1] == move[1] and a[1][2] == move[2]:
                return a
        raise KitError(f"no message {move[1]}->{move[2]} in flight")
    if move[0] == "timeout":
        for _ in range(run.cfg.election_timeout + 1):
            if ("timeout", move[1]) in run.enabled():
                break
            run.step(("tick", move[1]))
        return ("timeout", move[1])
    return move


def run_case(case: Case, backend: Any, rules: str) -> Result:
    cfg = ClusterConfig(**{**BASE, "rules": rules, **case.config})
    cfg.validate()
    try:
        run = Lockstep(cfg, backend)
        if run.init_problems:
            return Result(case.name, case.request, False, list(run.init_problems))
        for move in case.moves:
            action = _resolve(run, move)
            done = run.step(action)
            if done is None:
                raise KitError(f"{move} is not enabled in the model")
            for s in run.steps:  # this move's step, or a tick `_resolve` ran before it
                if s.problems:
                    what = run.model.describe_action(s.action)
                    return Result(case.name, case.request, False,
                                  [f"at {what}: {p}" for p in s.problems])
        run.impl.close()
    except HarnessFailure as e:
        return Result(case.name, case.request, False, [f"harness failure: {e}"])
    return Result(case.name, case.request, True)


def _protocol_cases(harness: Any) -> list[Result]:
    """Single requests whose answers have a fixed shape."""
    out: list[Result] = []

    def check(name: str, request: str, fn: Callable[[], list[str]]) -> None:
        try:
            problems = fn()
        except Exception as e:  # noqa: BLE001 - the harness failing is the finding
            problems = [f"{type(e).__name__}: {' '.join(str(e).split())}"]
        out.append(Result(name, request, not problems, problems))

    spec = {"id": 1, "voters": [1, 2, 3], "learners": [], "election_tick": 1,
            "heartbeat_tick": 1, "pre_vote": False, "check_quorum": False, "term": 0,
            "vote": 0, "log_terms": [], "pending_conf": False, "seed": 1,
            "rules": "etcd-3.4", "unchecked_election_tick": True}

    def hello() -> list[str]:
        info = harness.raw({"op": "hello"})
        p = []
        if info.get("protocol") != 1:
            p.append(f"protocol is {info.get('protocol')!r}, expected 1")
        for key in ("rules", "features"):
            if key in info and not isinstance(info[key], list):
                p.append(f"{key} must be a list (got {info[key]!r})")
        return p

    def unknown_op() -> list[str]:
        r = harness.raw({"op": "no_such_request"})
        return [] if "error" in r else [f"answered {r!r}, expected an error object"]

    def unknown_handle() -> list[str]:
        r = harness.raw({"op": "status", "handle": 987654})
        return [] if "error" in r else [f"answered {r!r}, expected an error object"]

    def batch_last() -> list[str]:
        res = harness.raw({"op": "batch", "requests": [
            {"op": "create", "node": spec}, {"op": "status", "handle": -1},
            {"op": "destroy", "handle": -1}]})
        rs = res.get("responses")
        if not isinstance(rs, list) or len(rs) != 3:
            return [f"answered {res!r}, expected 3 responses"]
        p = [f"response {k + 1}: {r['error']}" for k, r in enumerate(rs) if "error" in r]
        if not p and rs[1].get("status", {}).get("term") != 0:
            p.append(f"status of the new node: {rs[1]!r}")
        return p

    def clone_independent() -> list[str]:
        h = harness.raw({"op": "create", "node": spec})["handle"]
        c = harness.raw({"op": "clone", "handle": h})
        if "error" in c:
            return [f"clone: {c['error']}"]
        harness.raw({"op": "set_randomized_election_timeout", "handle": c["handle"],
                     "value": 1})
        harness.raw({"op": "tick", "handle": c["handle"]})
        a = harness.raw({"op": "status", "handle": h}).get("status", {})
        b = harness.raw({"op": "status", "handle": c["handle"]}).get("status", {})
        harness.raw({"op": "destroy", "handle": h})
        harness.raw({"op": "destroy", "handle": c["handle"]})
        p = []
        if a.get("term") != 0 or a.get("role") != "follower":
            p.append(f"the original changed with its clone: {a!r}")
        if b.get("term") != 1:
            p.append(f"the clone did not campaign after its timeout: {b!r}")
        return p

    def local_message() -> list[str]:
        h = harness.raw({"op": "create", "node": spec})["handle"]
        msg = {"type": 0, "to": 1, "from": 1, "term": 0, "log_term": 0, "index": 0,
               "entries": [], "commit": 0, "reject": False, "reject_hint": 0}
        r = harness.raw({"op": "step", "handle": h, "msg": msg})  # MsgHup is local
        harness.raw({"op": "destroy", "handle": h})
        if r.get("kind") != "step_local_msg":
            return [f"answered {r!r}, expected kind step_local_msg"]
        return []

    check("handshake", "hello", hello)
    check("unknown request", "errors", unknown_op)
    check("unknown handle", "errors", unknown_handle)
    check("handle -1 in a batch", "batch", batch_last)
    check("a clone is independent", "clone", clone_independent)
    check("stepping a local message", "step", local_message)
    return out


@dataclass
class KitReport:
    results: list[Result]
    seconds: float

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if not r.ok]


def run_kit(backend: Any) -> KitReport:
    """Every protocol case, then every behaviour case (on `etcd-3.4` rules if the backend
    implements them, else its first rule set)."""
    start = time.perf_counter()
    rules_of = getattr(backend, "rules", None)
    rules = "etcd-3.4" if not rules_of or "etcd-3.4" in rules_of else rules_of[0]
    results = _protocol_cases(backend.harness) if hasattr(backend, "harness") else []
    for case in CASES:
        results.append(run_case(case, backend, rules))
    return KitReport(results, time.perf_counter() - start)
