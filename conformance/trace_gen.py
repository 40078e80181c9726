"""Random runs of an implementation written as NDJSON traces (raftcheck's own format) for
`raftcheck traces` and `raftcheck validate`.

Each run drives a cluster through a backend (conformance/nodes.py: python, etcd, cmd:,
module:) like a small simulator: every node has a randomized election timer (a timeout drawn
in [ET, 2 ET) ticks, drawn again after each firing, compared with the node's own elapsed
ticks), leaders beat every tick with probability
1/2, the network delivers a random in-flight message, loses one with probability `loss` and
the occasional node restarts. Every node step is one event: a tick (the timer's firing
included), a receipt, a restart; with the messages sent and the node's state afterwards, read
through the abstraction. Lost messages leave no event: the trace is what the nodes saw.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from conformance.abstraction import abstract_message
from conformance.nodes import Backend
from conformance.trace import config_to_json
from conformance.trace_formats import OWN_FORMAT
from impl import Message
from model.config import ClusterConfig
from model.node_state import ROLE_NAMES


def _msg_json(m: Message) -> dict[str, Any]:
    from etcdharness.client import message_to_json

    return message_to_json(m)


def _state(backend: Backend, node: Any, cfg: ClusterConfig) -> dict[str, Any]:
    nd = backend.abstract(node, cfg.election_timeout, cfg.check_quorum)
    return {"term": nd[0], "vote": nd[1], "lead": nd[2], "role": ROLE_NAMES[nd[3]],
            "log": list(nd[5])}


def random_run(backend: Backend, cfg: ClusterConfig, steps: int, rng: random.Random,
               loss: float = 0.1, restart: float = 0.01) -> list[dict[str, Any]]:
    """One run: the header and `steps` events (lines of the trace)."""
    lines: list[dict[str, Any]] = [{"format": OWN_FORMAT, "config": config_to_json(cfg)}]
    nodes = backend.new_cluster(cfg)
    et = cfg.election_timeout
    timeout = {i: rng.randrange(et, 2 * et) for i in range(1, cfg.n + 1)}
    inflight: list[Message] = []
    try:
        while len(lines) <= steps:
            r = rng.random()
            if inflight and r < loss:
                inflight.pop(rng.randrange(len(inflight)))  # lost: no event
                continue
            if inflight and r < 0.55:
                m = inflight.pop(rng.randrange(len(inflight)))
                nid = m.to
                try:
                    sent = backend.act(nodes[nid - 1], ("step", m))
                except Exception:  # noqa: BLE001 - e.g. a response from an unknown peer
                    continue
                ev: dict[str, Any] = {"node": nid, "step": "receive", "msg": _msg_json(m)}
            elif 0.55 <= r < 0.55 + restart:  # (not when nothing is in flight and r < 0.55)
                nid = rng.randrange(1, cfg.n + 1)
                sent = backend.act(nodes[nid - 1], ("restart",))
                ev = {"node": nid, "step": "restart"}
            else:
                nid = rng.randrange(1, cfg.n + 1)
                node = nodes[nid - 1]
                status = node.status()
                role = status.role
                # the node's own timer fires on the tick that reaches its randomized timeout
                if role != "leader" and status.election_elapsed + 1 >= timeout[nid]:
                    timeout[nid] = rng.randrange(et, 2 * et)
                    sent = backend.act(node, ("timeout",))
                else:
                    sent = backend.act(node, ("tick",))
                    if role == "leader" and rng.random() < 0.5:
                        sent = sent + backend.act(node, ("heartbeat",))
                ev = {"node": nid, "step": "tick"}
            # messages of types the model does not have are not sent on (none expected)
            sent = [m for m in sent if _modelled(m)]
            inflight.extend(sent)
            ev["sent"] = [_msg_json(m) for m in sent]
            ev["state"] = _state(backend, nodes[nid - 1], cfg)
            lines.append(ev)
    finally:
        for n in nodes:
            backend.discard(n)
    return lines


def _modelled(m: Message) -> bool:
    try:
        abstract_message(m)
    except Exception:  # noqa: BLE001 - AbstractionError: not in the model
        return False
    return True


def write_runs(backend: Backend, cfg: ClusterConfig, runs: int, steps: int, out: Path,
               seed: int, loss: float = 0.1) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    files = []
    for k in range(runs):
        lines = random_run(backend, cfg, steps, rng, loss)
        path = out / f"trace-{k:05d}.ndjson"
        path.write_text("".join(json.dumps(ln, separators=(",", ":")) + "\n" for ln in lines))
        files.append(path)
    return files
