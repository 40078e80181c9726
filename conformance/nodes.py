"""The node-factory seam: which implementation the conformance checks drive.

A `Backend` builds the node for model node `nid` of a `ClusterConfig`, performs one model
action's node-local step on it (the step, then `ready()`), copies a node (the exhaustive mode
runs each local step on a copy) and maps a node to the model's node tuple through THE
abstraction (`conformance.abstraction`).

- `PythonBackend` ("python", the default): `impl.RawNode`, abstracted from its internals
  (`abstract_node`), copied with `copy.deepcopy`.
- `EtcdBackend` ("etcd"): `etcdharness.client.EtcdRawNode`, i.e. etcd 3.4.23's real raft
  library behind the harness (MODEL_BRIDGE, etcdharness/FINDINGS.md), abstracted through the
  public `status()` (`abstract_node_via_status`) and copied by the harness' `clone`. A local
  step is `[clone,] action, ready, status` in one batch (the exhaustive mode sends all the
  unchecked local steps out of one model state together), a lockstep program is one `run`
  request (`prefetch`), and a cluster is created in one batch; the status is cached on the
  node, so the abstraction costs no further round trip. A harness process that crashes, hangs
  or prints garbage raises `HarnessFailure` (not a divergence).

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
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from conformance.abstraction import (
    NEVER,
    AbstractionError,
    abstract_node,
    abstract_node_via_status,
    concrete_message,
    impl_config,
)
from impl import Message, RawNode
from impl.rawnode import ErrStepPeerNotFound
from model.config import ClusterConfig
from model.node_state import Node

if TYPE_CHECKING:
    from etcdharness.client import EtcdRawNode, Harness, Status

IMPLS = ("python", "etcd")
ETCD_RULES = "etcd-3.4"

# A node-local step: ("tick",), ("timeout",), ("heartbeat",), ("restart",), ("append",),
# ("transfer", to), ("step", impl Message), ("propose-conf", impl ConfChangeI), ("apply",).
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
    # True when `prefetch` runs many steps in one go (worth planning them ahead).
    batches = False
    # The rule sets it implements (None: any); lockstep runs draw among these only.
    rules: tuple[str, ...] | None = None
    # True: lockstep configurations are adjusted as for etcd (`conformance.run.etcd_comparable`).
    etcd_like = False

    def new(self, cfg: ClusterConfig, nid: int) -> Any:
        raise NotImplementedError

    def new_cluster(self, cfg: ClusterConfig) -> list[Any]:
        """Nodes 1..N of `cfg`."""
        return [self.new(cfg, i) for i in range(1, cfg.n + 1)]

    def act(self, node: Any, local: Local) -> list[Message]:
        """Run one local step on `node`; the messages it sent."""
        raise NotImplementedError

    def fork_act(self, node: Any, local: Local) -> tuple[Any, list[Message]]:
        """Run one local step on a copy of `node` (the original is unchanged)."""
        raise NotImplementedError

    def fork_act_many(
        self, items: list[tuple[Any, Local]]
    ) -> list[tuple[Any, list[Message]] | Exception]:
        """`fork_act` on each (node, local step); each result is (copy, messages) or the
        exception that step raised (a HarnessFailure is raised)."""
        out: list[tuple[Any, list[Message]] | Exception] = []
        for node, local in items:
            try:
                out.append(self.fork_act(node, local))
            except HarnessFailure:
                raise
            except Exception as e:  # noqa: BLE001 - returned to the caller
                out.append(e)
        return out

    def abstract(self, node: Any, et: int, check_quorum: bool) -> Node:
        raise NotImplementedError

    def discard(self, node: Any) -> None:
        """`node` is no longer needed."""

    def close(self) -> None:
        """Release processes and nodes."""

    def prefetch(self, cluster: Any, actions: list[Any]) -> None:
        """Optionally run these model actions on `cluster`'s nodes ahead of time; the next
        `act` calls then return their results in order (only an optimisation)."""


def act_on_rawnode(node: Any, local: Local, message: Callable[[Any], Any] | None = None,
                   elapsed: Callable[[Any], int] | None = None) -> list[Any]:
    """One model action's node-local step on a node with impl's RawNode API (impl/, a patched
    copy of it, a `module:` factory's node), then its `ready()` messages. The timing is the
    module's (see above): `tick` with the timeout pinned far away, `timeout` pinned to the next
    tick. `message` converts a message for the node's own package; `elapsed` reads the
    election timer (default: `node.raft.election_elapsed`)."""
    kind = local[0]
    if kind == "step":
        try:
            node.step(local[1] if message is None else message(local[1]))
        except ErrStepPeerNotFound:
            # A response from a node outside the configuration (a removed one): the
            # application drops it, as etcd's node loop does (only with membership changes).
            pass
    elif kind == "tick":
        node.raft.randomized_election_timeout = NEVER
        node.tick()
    elif kind == "timeout":
        now = node.raft.election_elapsed if elapsed is None else elapsed(node)
        node.raft.randomized_election_timeout = now + 1
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
    elif kind == "propose-conf":
        node.propose_conf_change(local[1])
    elif kind == "apply":
        node.apply_committed()
    else:
        raise AbstractionError(f"unknown action {kind!r}")
    return list(node.ready())


class PythonBackend(Backend):
    name = "python"

    def new(self, cfg: ClusterConfig, nid: int) -> RawNode:
        rn = RawNode(impl_config(cfg, nid))
        # The abstraction of a leader's match needs the cluster size.
        rn.cluster_size = cfg.n  # type: ignore[attr-defined]
        return rn

    def act(self, node: RawNode, local: Local) -> list[Message]:
        return act_on_rawnode(node, local)

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
        # (status, its abstraction): the abstraction is recomputed only for a new status
        abs_cache: tuple[Status | None, Any] | None = None
        # The abstraction of a leader's match needs the cluster size (as impl's nodes).
        cluster_size = 0

        def status(self) -> Status:
            if self.cached is None:
                self.cached = super().status()
            return self.cached

    return ConformEtcdNode


class EtcdBackend(Backend):
    """etcd's raft library through the harness (one process per backend).

    `prefetch` sends a whole lockstep program in one `run` request: the harness performs
    each action (a delivery takes the first in-flight message whose abstraction fields match
    the model's, the same one `ImplCluster.find` takes), answers each action's messages and
    the acting node's status, and `act` hands those out in order, so every step is still
    checked one by one through the same abstraction. Without a prefetched result `act` does
    one round trip per step."""

    name = "etcd"
    batches = True
    rules: tuple[str, ...] | None = (ETCD_RULES,)
    etcd_like = True

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
        # Prefetched results: (node handle, local kind, result), in the order of `act` calls.
        self._queue: deque[tuple[int, str, dict[str, Any]]] = deque()
        self._queue_gen = harness.generation

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
        if kind == "propose-conf":
            from etcdharness.client import change_to_json

            return [{"op": "propose_conf_change", **h, "change": change_to_json(local[1])}]
        if kind == "apply":
            return [{"op": "apply_committed", **h}]
        raise AbstractionError(f"unknown action {kind!r}")

    def _run(self, node: Any, local: Local, fork: bool) -> tuple[Any, list[Message]]:
        from etcdharness.client import HarnessError

        try:
            return self._run1(node, local, fork)
        except HarnessError as e:
            raise HarnessFailure(str(e)) from None

    def _check_generation(self, node: Any) -> None:
        from etcdharness.client import HarnessError

        harness = self.harness
        if harness.generation != node.generation or not harness.alive:
            harness.start()
            if harness.generation != node.generation:
                raise HarnessError(
                    f"node {node.id}: the etcd harness was restarted since this node was "
                    "created (after a crash, hang or close); its state is lost"
                )

    def _build(self, node: Any, local: Local, fork: bool) -> list[dict[str, Any]]:
        """The requests of one local step: [clone,] action..., ready, status."""
        reqs: list[dict[str, Any]] = []
        target = node.handle
        if fork:
            reqs.append({"op": "clone", "handle": node.handle})
            target = -1
        reqs.extend(self._requests(local, target, node))
        reqs.append({"op": "ready", "handle": target})
        reqs.append({"op": "status", "handle": target})
        return reqs

    def _parse(
        self, node: Any, local: Local, fork: bool, reqs: list[dict[str, Any]],
        res: list[dict[str, Any]],
    ) -> tuple[Any, list[Message]]:
        from etcdharness.client import Status, message_from_json
        from impl.raft import ErrProposalDropped

        out: Any = node
        if fork:
            if "error" in res[0]:
                self._raise("clone", res[0])
            out = self._cls(node.config, self.harness, bridge=node.bridge,
                            _handle=res[0]["handle"])
            out.cluster_size = node.cluster_size
            res, reqs = res[1:], reqs[1:]
        try:
            for r, q in zip(res, reqs, strict=True):
                if "error" in r:
                    if local[0] == "step" and r.get("kind") == "step_peer_not_found":
                        continue  # a non-member's response: dropped, as act_on_rawnode does
                    self._raise(q["op"], r)
            if local[0] in ("append", "propose-conf") and res[0].get("dropped"):
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

    def _run1(self, node: Any, local: Local, fork: bool) -> tuple[Any, list[Message]]:
        self._check_generation(node)
        reqs = self._flush_garbage()
        skip = len(reqs)
        body = self._build(node, local, fork)
        res = self.harness.batch(reqs + body)[skip:]
        return self._parse(node, local, fork, body, res)

    def fork_act_many(
        self, items: list[tuple[Any, Local]]
    ) -> list[tuple[Any, list[Message]] | Exception]:
        """`fork_act` of several (node, local step) pairs in one round trip; each result is
        (copy, messages) or the exception that step raised."""
        from etcdharness.client import HarnessError

        try:
            for node, _ in items:
                self._check_generation(node)
            reqs = self._flush_garbage()
            skip = len(reqs)
            bodies = [self._build(node, local, True) for node, local in items]
            for b in bodies:
                reqs.extend(b)
            res = self.harness.batch(reqs)[skip:]
        except HarnessError as e:
            raise HarnessFailure(str(e)) from None
        out: list[tuple[Any, list[Message]] | Exception] = []
        k = 0
        for (node, local), body in zip(items, bodies, strict=True):
            part = res[k : k + len(body)]
            k += len(body)
            try:
                out.append(self._parse(node, local, True, body, part))
            except HarnessError as e:
                raise HarnessFailure(str(e)) from None
            except Exception as e:  # noqa: BLE001 - returned, as fork_act would raise it
                out.append(e)
        return out

    def _raise(self, op: str, r: dict[str, Any]) -> None:
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
        raise HarnessRequestError(op, r["error"], kind, self.harness.label)

    # -- Backend

    def _check_rules(self, cfg: ClusterConfig) -> None:
        if cfg.rules != ETCD_RULES:
            raise BackendUnavailable(
                f"etcd implements {ETCD_RULES} only (rules={cfg.rules!r})"
            )

    def bridge_for(self, cfg: ClusterConfig) -> Any:
        """The bridge of `cfg`'s nodes: with membership changes the model tracks commit and
        match and sends whole logs with commit, i.e. MODEL_CONF_BRIDGE (FINDINGS 28), unless
        a bridge was given explicitly."""
        from etcdharness.client import MODEL_BRIDGE, MODEL_CONF_BRIDGE

        if getattr(cfg, "conf_changes", 0) > 0 and self.bridge == MODEL_BRIDGE:
            return MODEL_CONF_BRIDGE
        return self.bridge

    def _node_spec(self, config: Any, bridge: Any = None) -> dict[str, Any]:
        from etcdharness.client import _spec

        return _spec(config, self.bridge if bridge is None else bridge)

    def new(self, cfg: ClusterConfig, nid: int) -> EtcdRawNode:
        self._check_rules(cfg)
        # heartbeat_tick 1: the bridge's quiet_tick withholds the heartbeats of a leader's
        # tick (FINDINGS 12). etcd refuses ElectionTick <= HeartbeatTick (raft.go:221-223),
        # i.e. the model's ET = 1: unchecked_election_tick builds the node with 2 and sets
        # electionTimeout = 1 afterwards (nothing else in raft.go needs the inequality).
        return self.new_cluster(cfg, [nid])[0]

    def _etcd_config(self, cfg: ClusterConfig, nid: int) -> Any:
        from etcdharness.client import Config as EtcdConfig

        ic = impl_config(cfg, nid)
        config = EtcdConfig(
            **{f.name: getattr(ic, f.name) for f in dataclasses.fields(EtcdConfig)
               if hasattr(ic, f.name)}
        )
        return dataclasses.replace(config, heartbeat_tick=1, unchecked_election_tick=True)

    def new_cluster(self, cfg: ClusterConfig, ids: list[int] | None = None) -> list[Any]:
        """The nodes (default 1..N) in one round trip: create, pin the timeout, status."""
        from etcdharness.client import HarnessError, Status

        self._check_rules(cfg)
        ids = list(range(1, cfg.n + 1)) if ids is None else ids
        configs = [self._etcd_config(cfg, nid) for nid in ids]
        bridge = self.bridge_for(cfg)
        reqs: list[dict[str, Any]] = []
        try:
            self.harness.start()
            reqs.extend(self._flush_garbage())
            skip = len(reqs)
            for c in configs:
                reqs.append({"op": "create", "node": self._node_spec(c, bridge)})
                reqs.append({"op": "set_randomized_election_timeout", "handle": -1,
                             "value": NEVER, "sticky": True})
                reqs.append({"op": "status", "handle": -1})
            res = self.harness.batch(reqs)[skip:]
        except HarnessError as e:
            raise HarnessFailure(str(e)) from None
        nodes: list[Any] = []
        for k, c in enumerate(configs):
            created, _, st = res[3 * k : 3 * k + 3]
            for r, op in zip(res[3 * k : 3 * k + 3], ("create", "set_randomized_election_timeout",
                                                     "status"), strict=True):
                if "error" in r:
                    self._garbage.extend(n.handle for n in nodes)
                    if op != "create":
                        self._garbage.append(created["handle"])
                    self._raise(op, r)
            node: Any = self._cls(c, self.harness, bridge=bridge, _handle=created["handle"])
            node.cluster_size = cfg.n
            node.cached = Status.from_json(st["status"])
            nodes.append(node)
        return nodes

    def _flush_garbage(self) -> list[dict[str, Any]]:
        """Destroy requests for the discarded nodes of the current harness process."""
        reqs: list[dict[str, Any]] = []
        if self._garbage and self._garbage_gen == self.harness.generation:
            reqs = [{"op": "destroy", "handle": g} for g in self._garbage]
        self._garbage = []
        self._garbage_gen = self.harness.generation
        return reqs

    def act(self, node: Any, local: Local) -> list[Message]:
        if self._queue:
            return self._take(node, local)
        return self._run(node, local, fork=False)[1]

    _RUN_OPS = {"tick": "tick", "timeout": "timeout", "heartbeat": "beat", "restart": "restart",
                "transfer": "transfer_leader", "append": "propose", "deliver": "deliver",
                "duplicate": "duplicate", "drop": "drop", "propose-conf": "propose_conf",
                "apply": "apply"}

    def prefetch(self, cluster: Any, actions: list[Any]) -> None:
        from etcdharness.client import HarnessError, change_to_json, message_to_json

        self._queue.clear()
        if not actions or any(n.generation != self.harness.generation for n in cluster.nodes):
            return
        steps: list[dict[str, Any]] = []
        kinds: list[tuple[int, str]] = []
        for a in actions:
            kind = a[0]
            if kind in ("deliver", "drop", "duplicate"):
                mm = a[1]
                nid = mm[2]
                steps.append({"node": nid - 1, "do": kind,
                              "msg": message_to_json(concrete_message(mm))})
            else:
                nid = a[1]
                step: dict[str, Any] = {"node": nid - 1, "do": self._RUN_OPS[kind]}
                if kind == "transfer":
                    step["to"] = a[2]
                if kind == "propose-conf":
                    step["change"] = change_to_json(a[2])  # the model's change tuple
                steps.append(step)
            kinds.append((nid, kind))
        try:
            res = self.harness.request(
                "run",
                handles=[n.handle for n in cluster.nodes],
                inflight=[message_to_json(m) for m in cluster.inflight],
                steps=steps,
                never=NEVER,
            )
        except HarnessError as e:
            raise HarnessFailure(str(e)) from None
        for (nid, kind), r in zip(kinds, res["results"], strict=False):
            if kind == "drop":
                if "error" in r:
                    break
                continue
            local = "step" if kind in ("deliver", "duplicate") else kind
            self._queue.append((cluster.nodes[nid - 1].handle, local, r))
            if "error" in r:
                break
        self._queue_gen = self.harness.generation

    def _take(self, node: Any, local: Local) -> list[Message]:
        from etcdharness.client import Status, message_from_json
        from impl.raft import ErrProposalDropped

        handle, kind, r = self._queue.popleft()
        if (
            handle != node.handle
            or kind != local[0]
            or self._queue_gen != self.harness.generation
            or (kind == "step" and "msg" in r and message_from_json(r["msg"]) != local[1])
        ):
            self._queue.clear()
            raise HarnessFailure(
                f"node {node.id}: the prefetched etcd run is out of step with the lockstep "
                f"run at {local[0]} (harness bug)"
            )
        if "error" in r:
            self._queue.clear()
            node.cached = None
            if r.get("kind") == "missing":
                raise HarnessFailure(
                    f"node {node.id}: no in-flight etcd message matches the model's (harness bug)"
                )
            self._raise(local[0], r)
        if r.get("dropped"):
            self._queue.clear()
            node.cached = Status.from_json(r["status"])
            raise ErrProposalDropped("raft proposal dropped")
        node.last_suppressed = [message_from_json(d) for d in r["suppressed"]]
        node.cached = Status.from_json(r["status"])
        return [message_from_json(d) for d in r["messages"]]

    def fork_act(self, node: Any, local: Local) -> tuple[Any, list[Message]]:
        return self._run(node, local, fork=True)

    def abstract(self, node: Any, et: int, check_quorum: bool) -> Node:
        from etcdharness.client import HarnessError

        st = node.cached
        got = node.abs_cache
        if st is not None and got is not None and got[0] is st:
            return got[1]  # type: ignore[no-any-return]
        try:
            out = abstract_node_via_status(node, et, check_quorum)
        except HarnessError as e:
            raise HarnessFailure(str(e)) from None
        node.abs_cache = (node.cached, out)
        return out

    def discard(self, node: Any) -> None:
        if node.generation == self.harness.generation:
            self._garbage.append(node.handle)

    def close(self) -> None:
        self._garbage = []
        if self._own:
            self.harness.close()


def make_backend(impl: str) -> Backend:
    """"python" or "etcd" (raises BackendUnavailable when the harness cannot be built), or a
    plug-in: "cmd:PROGRAM [ARGS]" / "module:package.module:factory" (conformance.plugins)."""
    if impl == "python":
        return PYTHON
    if impl == "etcd":
        return EtcdBackend()
    if impl.startswith(("cmd:", "module:")):
        from conformance.plugins import make_plugin_backend

        return make_plugin_backend(impl)
    raise BackendUnavailable(f"unknown implementation {impl!r} (known: {', '.join(IMPLS)})")
