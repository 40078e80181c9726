"""Plug-in implementations for `--impl`: any program speaking the harness protocol, or a Python
node factory.

- `cmd:PROGRAM [ARGS]` (shlex-split): a process speaking specs/HARNESS.md (JSON lines on
  stdin/stdout). `CmdBackend` is the etcd backend's client on that process: the same requests,
  the same batching, the same abstraction through `status`. The `hello` handshake checks the
  protocol version and reads what the harness implements (`rules`; `features`: with `run`,
  lockstep programs go in one round trip as with etcd).
- `module:package.module:factory`: `factory(config)` gets an `impl.Config` and returns a node
  with impl's `RawNode` API (`tick step beat transfer_leader propose ready restart status`,
  `raft.id` and a settable `raft.randomized_election_timeout`); nodes are copied with
  `copy.deepcopy` and abstracted through `status()`. `module:impl.rawnode:RawNode` is impl/.

A program that is missing, not executable, speaks another protocol version, crashes, hangs
(RAFTCHECK_HARNESS_TIMEOUT seconds, default 10) or prints garbage raises `BackendUnavailable`
at start or `HarnessFailure` later, both naming the last request; the process is reaped.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import os
import shlex
import sys
from collections.abc import Callable
from typing import Any

from conformance.abstraction import abstract_node_via_status, impl_config
from conformance.nodes import (
    ETCD_RULES,
    Backend,
    BackendUnavailable,
    EtcdBackend,
    Local,
    act_on_rawnode,
)
from impl import Message
from model.config import ClusterConfig
from model.node_state import Node
from model.rules import RULE_SETS

TIMEOUT_ENV = "RAFTCHECK_HARNESS_TIMEOUT"


def harness_timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV)
    if raw is None:
        from etcdharness.client import DEFAULT_TIMEOUT

        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise BackendUnavailable(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise BackendUnavailable(f"{TIMEOUT_ENV} must be positive (got {raw})")
    return value


def is_plugin(impl: str) -> bool:
    return impl.startswith(("cmd:", "module:"))


def split_command(spec: str) -> list[str]:
    """The argv of `cmd:PROGRAM [ARGS]`."""
    try:
        argv = shlex.split(spec[len("cmd:"):])
    except ValueError as e:
        raise BackendUnavailable(f"--impl {spec!r}: {e}") from None
    if not argv:
        raise BackendUnavailable("--impl cmd: needs a program (cmd:PROGRAM [ARGS])")
    return argv


def _one_line(text: str) -> str:
    return " ".join(text.split())


class CmdBackend(EtcdBackend):
    """A harness process speaking specs/HARNESS.md (the etcd backend's protocol)."""

    etcd_like = True

    def __init__(self, spec: str, timeout: float | None = None) -> None:
        from etcdharness.client import PROTOCOL_VERSION, Harness, HarnessError

        argv = split_command(spec)
        harness = Harness(argv=argv, label=f"harness {argv[0]}", protocol=PROTOCOL_VERSION,
                          timeout=harness_timeout() if timeout is None else timeout)
        try:
            harness.start()
        except HarnessError as e:
            harness.close()
            raise BackendUnavailable(_one_line(str(e))) from None
        super().__init__(harness)
        self._own = True
        self.name = spec
        info = harness.info
        features = info.get("features", [])
        rules = info.get("rules", [ETCD_RULES])
        if not isinstance(features, list) or not isinstance(rules, list) or not all(
            r in RULE_SETS for r in rules
        ) or not rules:
            harness.close()
            raise BackendUnavailable(
                f"harness {argv[0]}: hello answered bad 'rules'/'features' ({rules!r}, "
                f"{features!r}); rules must be a non-empty list of {', '.join(RULE_SETS)}"
            )
        self.features = frozenset(str(f) for f in features)
        self.batches = "run" in self.features
        self.rules = tuple(rules)

    def _check_rules(self, cfg: ClusterConfig) -> None:
        if self.rules is not None and cfg.rules not in self.rules:
            raise BackendUnavailable(
                f"{self.name} implements {', '.join(self.rules)} only (rules={cfg.rules!r})"
            )

    def _node_spec(self, config: Any, bridge: Any = None) -> dict[str, Any]:
        from etcdharness.client import _spec

        spec = _spec(dataclasses.replace(config, rules=ETCD_RULES),
                     self.bridge if bridge is None else bridge)
        spec["rules"] = config.rules
        return spec


class ModuleBackend(Backend):
    """Nodes made by a Python factory with impl's RawNode API (see the module docstring)."""

    def __init__(self, spec: str, factory: Callable[[Any], Any]) -> None:
        self.name = spec
        self.factory = factory

    def new(self, cfg: ClusterConfig, nid: int) -> Any:
        return self.factory(impl_config(cfg, nid))

    def act(self, node: Any, local: Local) -> list[Message]:
        # a factory's node promises the RawNode API, not impl's raft internals: the timer is
        # read through status()
        return act_on_rawnode(node, local, elapsed=lambda n: n.status().election_elapsed)

    def fork_act(self, node: Any, local: Local) -> tuple[Any, list[Message]]:
        rn = copy.deepcopy(node)
        return rn, self.act(rn, local)

    def abstract(self, node: Any, et: int, check_quorum: bool) -> Node:
        return abstract_node_via_status(node, et, check_quorum)


def load_factory(spec: str) -> Callable[[Any], Any]:
    """The callable named by `module:package.module:factory` (the current directory is
    importable, as with `python -m`)."""
    target = spec[len("module:"):]
    mod_name, sep, attr = target.rpartition(":")
    if not sep or not mod_name or not attr:
        raise BackendUnavailable(
            f"--impl {spec!r}: expected module:package.module:factory"
        )
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    try:
        module = importlib.import_module(mod_name)
    except Exception as e:  # noqa: BLE001 - any import failure is bad input
        raise BackendUnavailable(
            f"--impl {spec!r}: cannot import {mod_name}: {type(e).__name__}: {_one_line(str(e))}"
        ) from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise BackendUnavailable(f"--impl {spec!r}: {mod_name} has no callable {attr!r}")
    return factory  # type: ignore[no-any-return]


def make_plugin_backend(spec: str) -> Backend:
    if spec.startswith("cmd:"):
        return CmdBackend(spec)
    if spec.startswith("module:"):
        return ModuleBackend(spec, load_factory(spec))
    raise BackendUnavailable(f"unknown implementation {spec!r}")
