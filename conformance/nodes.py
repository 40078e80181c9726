"""The node-factory seam: which implementation the conformance checks drive.

A `Backend` builds the node for model node `nid` of a `ClusterConfig`, performs one model
action's node-local step on it (the step, then `ready()`), copies a node (the exhaustive mode
runs each local step on a copy) and maps a node to the model's node tuple through THE
abstraction (`conformance.abstraction`).

- `PythonBackend` ("python", the default): `impl.RawNode`, abstracted from its internals
  (`abstract_node`), copied with `copy.deepcopy`.
- `EtcdBackend` ("etcd"): `etcdharness.client.EtcdRawNode`, i.e. etcd 3.4.23's real raft
  library behind the harness (MODEL_BRIDGE, etcdharness/FINDINGS.md), abstracted through the
  public `status()` (`abstract_node_via_status`) and copied by the harness' `clone`. Each local
  step is one round trip: `[clone,] action, ready, status` in one batch; the status is cached
  on the node, so the abstraction costs nothing more.

Timing is the same on both: a model `tick` runs with the randomized election timeout pinned
far away (`NEVER`; on etcd pinned `sticky`, so etcd's redraws on every state change and
restart keep it), a model `timeout` pins it to `election_elapsed + 1` and ticks (etcd's
`tickElection` then sets `electionElapsed = 0` and steps `MsgHup`), leaders beat only on
`heartbeat` (impl: `heartbeat_tick` is huge; etcd: `heartbeat_tick` 1, whose heartbeats the
bridge's `quiet_tick` withholds).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from conformance.abstraction import (
    NEVER,
    AbstractionError,
    abstract_node,
    abstract_node_via_status,
    impl_config,
)
from impl import Message, RawNode
from model.config import ClusterConfig
from model.node_state import Node

if TYPE_CHECKING:
    from etcdharness.client import EtcdRawNode, Harness, Status

IMPLS = ("python", "etcd")
ETCD_RULES = "etcd-3.4"

# A node-local step: ("tick",), ("timeout",), ("heartbeat",), ("restart",), ("append",),
# ("transfer", to), ("step", impl Message).
Local = tuple[Any, ...]


class BackendUnavailable(Exception):
    """The implementation cannot be run here (one line, e.g. the etcd harness is not built)."""


class HarnessFailure(Exception):
    """The etcd harness process crashed, hung or printed garbage (the message names the last
    request sent). Not a divergence: the run abandons the example, and the harness restarts
    on the next request."""


class Backend:
    """Interface; see the module docstring."""

    name = ""

    def new(self, cfg: ClusterConfig, nid: int) -> Any:
        raise NotImplementedError

    def act(self, node: Any, local: Local) -> list[Message]:
        """Run one local step on `node`; the messages it sent."""
        raise NotImplementedError

    def fork_act(self, node: Any, local: Local) -> tuple[Any, list[Message]]:
        """Run one local step on a copy of `node` (the original is unchanged)."""
        raise NotImplementedError

    def abstract(self, node: Any, et: int, check_quorum: bool) -> Node:
        raise NotImplementedError

    def discard(self, node: Any) -> None:
        """`node` is no longer needed."""

    def close(self) -> None:
        """Release processes and nodes."""


class PythonBackend(Backend):
    name = "python"

    def new(self, cfg: ClusterConfig, nid: int) -> RawNode:
        return RawNode(impl_config(cfg, nid))

    def act(self, node: RawNode, local: Local) -> list[Message]:
        kind = local[0]
        if kind == "step":
            node.step(local[1])
        elif kind == "tick":
            node.raft.randomized_election_timeout = NEVER
            node.tick()
        elif kind == "timeout":
            r = node.raft
            r.randomized_election_timeout = r.election_elapsed + 1
            node.tick()
        elif kind == "heartbeat":
            node.beat()
        elif kind == "restart":
            node.restart()
            node.raft.randomized_election_timeout = NEVER
        elif kind == "transfer":
            node.transfer_leader(local[1])
        elif kind == "append":
            node.propose(b"")
        else:
            raise AbstractionError(f"unknown action {kind!r}")
        return node.ready()

    def fork_act(self, node: RawNode, local: Local) -> tuple[RawNode, list[Message]]:
        rn = copy.deepcopy(node)
        return rn, self.act(rn, local)

    def abstract(self, node: RawNode, et: int, check_quorum: bool) -> Node:
        return abstract_node(node, et, check_quorum)


PYTHON = PythonBackend()


def _etcd_node_class() -> type[EtcdRawNode]:
    from etcdharness.client import EtcdRawNode

    class ConformEtcdNode(EtcdRawNode):
        """An EtcdRawNode whose `status()` is the one read at the end of its last step."""

        cached: Status | None = None

        def status(self) -> Status:
            if self.cached is None:
                self.cached = super().status()
            return self.cached

    return ConformEtcdNode


class EtcdBackend(Backend):
    """etcd's raft library through the harness (one process per backend)."""

    name = "etcd"

    def __init__(
        self, harness: Harness | None = None, timeout: float | None = None, bridge: Any = None
    ) -> None:
        from etcdharness.build import SETUP_COMMAND, EtcdUnavailable, ensure_built
        from etcdharness.client import DEFAULT_TIMEOUT, MODEL_BRIDGE, Harness

        if harness is None:
            try:
                binary = ensure_built()
            except EtcdUnavailable as e:
                first = str(e).strip().splitlines()[0] if str(e).strip() else "unavailable"
                raise BackendUnavailable(
                    f"the etcd harness is not available ({first}); run `bash {SETUP_COMMAND}`"
                ) from None
            harness = Harness(binary, timeout=DEFAULT_TIMEOUT if timeout is None else timeout)
            self._own = True
        else:
            self._own = False
        self.harness = harness
        # MODEL_BRIDGE (etcdharness/FINDINGS.md); NO_BRIDGE is etcd as it is (tests: diverges).
        self.bridge = MODEL_BRIDGE if bridge is None else bridge
        self._cls = _etcd_node_class()
        self._garbage: list[int] = []  # handles to destroy with the next batch
        self._garbage_gen = harness.generation

    # -- helpers

    def _requests(self, local: Local, handle: int, node: Any) -> list[dict[str, Any]]:
        from etcdharness.client import message_to_json

        kind = local[0]
        h = {"handle": handle}
        if kind == "step":
            return [{"op": "step", **h, "msg": message_to_json(local[1])}]
        if kind in ("tick", "restart"):
            # NEVER is pinned sticky at creation: kept across etcd's redraws and restarts.
            return [{"op": kind, **h, **({"persist_first": True} if kind == "restart" else {})}]
        if kind == "timeout":
            elapsed = node.status().election_elapsed
            return [
                {"op": "set_randomized_election_timeout", **h, "value": elapsed + 1},
                {"op": "tick", **h},
                {"op": "set_randomized_election_timeout", **h, "value": NEVER, "sticky": True},
            ]
        if kind == "heartbeat":
            return [{"op": "beat", **h}]
        if kind == "transfer":
            return [{"op": "transfer_leader", **h, "to": local[1]}]
        if kind == "append":
            return [{"op": "propose", **h}]
        raise AbstractionError(f"unknown action {kind!r}")

    def _run(self, node: Any, local: Local, fork: bool) -> tuple[Any, list[Message]]:
        from etcdharness.client import HarnessError

        try:
            return self._run1(node, local, fork)
        except HarnessError as e:
            raise HarnessFailure(str(e)) from None

    def _run1(self, node: Any, local: Local, fork: bool) -> tuple[Any, list[Message]]:
        from etcdharness.client import HarnessError, Status, message_from_json
        from impl.raft import ErrProposalDropped

        harness = self.harness
        if harness.generation != node.generation or not harness.alive:
            harness.start()
            if harness.generation != node.generation:
                raise HarnessError(
                    f"node {node.id}: the etcd harness was restarted since this node was "
                    "created (after a crash, hang or close); its state is lost"
                )
        reqs: list[dict[str, Any]] = []
        if self._garbage and self._garbage_gen == harness.generation:
            reqs.extend({"op": "destroy", "handle": g} for g in self._garbage)
        self._garbage = []
        self._garbage_gen = harness.generation
        skip = len(reqs)
        target = node.handle
        if fork:
            reqs.append({"op": "clone", "handle": node.handle})
            target = -1
        body = self._requests(local, target, node)
        reqs.extend(body)
        reqs.append({"op": "ready", "handle": target})
        reqs.append({"op": "status", "handle": target})
        res = harness.batch(reqs)[skip:]
        out = node
        if fork:
            if "error" in res[0]:
                self._raise("clone", res[0])
            out = self._cls(node.config, harness, bridge=self.bridge, _handle=res[0]["handle"])
            res = res[1:]
        try:
            for r, q in zip(res, body + [{"op": "ready"}, {"op": "status"}], strict=True):
                if "error" in r:
                    self._raise(q["op"], r)
            if local[0] == "append" and res[0].get("dropped"):
                raise ErrProposalDropped("raft proposal dropped")
        except Exception:
            out.cached = None
            if fork:
                self.discard(out)
            raise
        rd, st = res[-2], res[-1]
        out.last_suppressed = [message_from_json(d) for d in rd["suppressed"]]
        out.cached = Status.from_json(st["status"])
        return out, [message_from_json(d) for d in rd["messages"]]

    @staticmethod
    def _raise(op: str, r: dict[str, Any]) -> None:
        from etcdharness.client import HarnessRequestError
        from impl.raft import ErrProposalDropped
        from impl.rawnode import ErrStepLocalMsg, ErrStepPeerNotFound

        kind = r.get("kind", "error")
        errs: dict[str, Callable[[str], Exception]] = {
            "step_local_msg": ErrStepLocalMsg,
            "step_peer_not_found": ErrStepPeerNotFound,
            "proposal_dropped": ErrProposalDropped,
        }
        if kind in errs:
            raise errs[kind](r["error"])
        raise HarnessRequestError(op, r["error"], kind)

    # -- Backend

    def new(self, cfg: ClusterConfig, nid: int) -> EtcdRawNode:
        if cfg.rules != ETCD_RULES:
            raise BackendUnavailable(
                f"etcd implements {ETCD_RULES} only (rules={cfg.rules!r})"
            )
        from etcdharness.client import Config as EtcdConfig

        # heartbeat_tick 1: the bridge's quiet_tick withholds the heartbeats of a leader's
        # tick (FINDINGS 12). etcd refuses ElectionTick <= HeartbeatTick (raft.go:221-222),
        # i.e. the model's ET = 1: unchecked_election_tick builds the node with 2 and sets
        # electionTimeout = 1 afterwards (nothing else in raft.go needs the inequality).
        ic = impl_config(cfg, nid)
        config = EtcdConfig(
            **{f.name: getattr(ic, f.name) for f in dataclasses.fields(EtcdConfig)
               if hasattr(ic, f.name)}
        )
        config = dataclasses.replace(config, heartbeat_tick=1, unchecked_election_tick=True)
        from etcdharness.client import HarnessError

        try:
            node = self._cls(config, self.harness, bridge=self.bridge)
            node.set_randomized_election_timeout(NEVER, sticky=True)
        except HarnessError as e:
            raise HarnessFailure(str(e)) from None
        return node

    def act(self, node: Any, local: Local) -> list[Message]:
        return self._run(node, local, fork=False)[1]

    def fork_act(self, node: Any, local: Local) -> tuple[Any, list[Message]]:
        return self._run(node, local, fork=True)

    def abstract(self, node: Any, et: int, check_quorum: bool) -> Node:
        from etcdharness.client import HarnessError

        try:
            return abstract_node_via_status(node, et, check_quorum)
        except HarnessError as e:
            raise HarnessFailure(str(e)) from None

    def discard(self, node: Any) -> None:
        if node.generation == self.harness.generation:
            self._garbage.append(node.handle)

    def close(self) -> None:
        self._garbage = []
        if self._own:
            self.harness.close()


def make_backend(impl: str) -> Backend:
    """"python" or "etcd" (raises BackendUnavailable when the harness cannot be built)."""
    if impl == "python":
        return PYTHON
    if impl == "etcd":
        return EtcdBackend()
    raise BackendUnavailable(f"unknown implementation {impl!r} (known: {', '.join(IMPLS)})")
