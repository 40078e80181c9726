"""A harness speaking specs/HARNESS.md (protocol 1) around impl/'s RawNode, for the tests of
`--impl cmd:` that must run without Go; also the smallest example of a harness.

    python tests/plugins/pyharness.py [--bug double-vote] [--protocol N]
        [--crash-on OP] [--hang-on OP] [--garbage-on OP] [--pid-file PATH] [--wrong OP]

`--bug double-vote` plants a bug: a follower that voted in this term grants a second
candidate's vote request too. `--crash-on`/`--hang-on`/`--garbage-on OP` misbehave on the
first request OP (inside a batch too); `--wrong OP` answers OP subtly wrongly (kit tests).
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

# impl/ is importable from any python3 (the repository root, also through a symlink)
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from impl.config import Config  # noqa: E402
from impl.raft import ErrProposalDropped  # noqa: E402
from impl.raftpb import NONE, Entry, EntryType, Message, MessageType  # noqa: E402
from impl.rawnode import ErrStepLocalMsg, ErrStepPeerNotFound, RawNode  # noqa: E402

HEARTBEAT_OFF = 1 << 62  # leaders beat on `beat` only (the protocol's quiet tick)


class BadRequest(Exception):
    pass


class Node:
    def __init__(self, rn: RawNode) -> None:
        self.rn = rn
        self.sticky: int | None = None  # re-applied after every request on this node


def msg_to_json(m: Message) -> dict[str, Any]:
    d: dict[str, Any] = {
        "type": int(m.type), "to": m.to, "from": m.frm, "term": m.term,
        "log_term": m.log_term, "index": m.index,
        "entries": [{"term": e.term, "index": e.index, "type": int(e.type),
                     "data": base64.b64encode(e.data).decode()} for e in m.entries],
        "commit": m.commit, "reject": m.reject, "reject_hint": m.reject_hint,
    }
    if m.context:
        d["context"] = base64.b64encode(m.context).decode()
    return d


def msg_from_json(d: dict[str, Any]) -> Message:
    return Message(
        type=MessageType(d["type"]), to=d["to"], frm=d["from"], term=d["term"],
        log_term=d.get("log_term", 0), index=d.get("index", 0),
        entries=tuple(Entry(term=e["term"], index=e["index"], type=EntryType(e.get("type", 0)),
                            data=base64.b64decode(e.get("data") or ""))
                      for e in d.get("entries", [])),
        commit=d.get("commit", 0), reject=d.get("reject", False),
        reject_hint=d.get("reject_hint", 0),
        context=base64.b64decode(d["context"]) if d.get("context") else b"",
    )


class Server:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.nodes: dict[int, Node] = {}
        self.next_handle = 1
        self.last = 0  # the handle -1 names inside a batch (0: none)

    def misbehave(self, op: str) -> None:
        a = self.args
        if op == a.crash_on:
            sys.exit(3)
        if op == a.hang_on:
            time.sleep(3600)
        if op == a.garbage_on:
            sys.stdout.write("this is not json\n")
            sys.stdout.flush()
            a.garbage_on = None

    def node(self, req: dict[str, Any]) -> Node:
        h = req.get("handle")
        if h == -1:
            h = self.last
        if h not in self.nodes:
            raise BadRequest(f"unknown handle {req.get('handle')!r}")
        return self.nodes[h]

    def add(self, node: Node) -> dict[str, Any]:
        h = self.next_handle
        self.next_handle += 1
        self.nodes[h] = node
        self.last = h
        return {"handle": h}

    def create(self, spec: dict[str, Any]) -> Node:
        rng = random.Random(spec.get("seed", spec["id"]))
        cfg = Config(
            id=spec["id"], voters=tuple(spec["voters"]), learners=tuple(spec.get("learners", ())),
            election_tick=spec["election_tick"], heartbeat_tick=HEARTBEAT_OFF,
            pre_vote=spec.get("pre_vote", False), check_quorum=spec.get("check_quorum", False),
            rules=spec.get("rules", "etcd-3.4"), rand=rng.randrange,
            term=spec.get("term", 0), vote=spec.get("vote", 0),
            log_terms=tuple(spec.get("log_terms", ())),
            pending_conf=spec.get("pending_conf", False),
        )
        cfg.validate()
        return Node(RawNode(cfg))

    def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        op = req.get("op")
        if not isinstance(op, str):
            raise BadRequest("no op")
        self.misbehave(op)
        if op == "hello":
            return {"protocol": self.args.protocol, "name": "impl/ (raftcheck tests/plugins)",
                    "rules": ["seed", "etcd-3.4"], "features": []}
        if op == "batch":
            self.last = 0
            out = []
            for r in req.get("requests", []):
                out.append(self.answer(r))
                if "error" in out[-1] and r.get("op") in ("create", "clone"):
                    self.last = 0
            return {"responses": out}
        if op == "create":
            return self.add(self.create(req["node"]))
        if op == "clone":
            return self.add(copy.deepcopy(self.node(req)))
        if op == "destroy":
            n = self.node(req)
            self.nodes = {h: x for h, x in self.nodes.items() if x is not n}
            return {}
        if op == "reset":
            self.nodes.clear()
            return {}
        node = self.node(req)
        try:
            return self.node_op(op, node, req)
        finally:
            if node.sticky is not None:
                node.rn.raft.randomized_election_timeout = node.sticky

    def node_op(self, op: str, node: Node, req: dict[str, Any]) -> dict[str, Any]:
        rn = node.rn
        wrong = op == self.args.wrong
        if op == "tick":
            for _ in range(req.get("n", 1)):
                rn.tick()
            return {}
        if op == "campaign":
            if req.get("reset_elapsed", True):
                rn.raft.election_elapsed = 0
            rn.campaign()
            return {}
        if op == "beat":
            rn.beat()
            return {}
        if op == "step":
            m = msg_from_json(req["msg"])
            r = rn.raft
            if (self.args.bug == "double-vote" and m.type == MessageType.MsgVote
                    and m.term == r.term and r.vote not in (NONE, m.frm)):
                r.vote = NONE  # planted bug: forget the vote, grant a second one
            rn.step(m)
            return {}
        if op == "transfer_leader":
            rn.transfer_leader(req["to"])
            return {}
        if op == "propose":
            try:
                rn.propose(base64.b64decode(req.get("data") or ""))
            except ErrProposalDropped:
                return {"dropped": True}
            return {"dropped": False}
        if op == "ready":
            msgs = [msg_to_json(m) for m in rn.ready()]
            if wrong and msgs:
                msgs[0]["term"] += 1
            return {"messages": msgs, "suppressed": []}
        if op == "status":
            s = rn.status()
            return {"status": {
                "id": rn.raft.id, "term": s.term + (1 if wrong else 0), "vote": s.vote,
                "lead": s.lead, "role": s.role, "election_elapsed": s.election_elapsed,
                "randomized_election_timeout": s.randomized_election_timeout,
                "votes": {str(k): v for k, v in s.votes.items()},
                "recent_active": sorted(s.recent_active), "log_terms": list(s.log_terms),
            }}
        if op == "set_randomized_election_timeout":
            rn.raft.randomized_election_timeout = req["value"]
            node.sticky = req["value"] if req.get("sticky") else None
            return {}
        if op == "restart":
            rn.restart()
            return {}
        raise BadRequest(f"unknown op {op!r}")

    def answer(self, req: dict[str, Any]) -> dict[str, Any]:
        try:
            res = self.handle(req)
        except ErrStepLocalMsg as e:
            res = {"error": str(e), "kind": "step_local_msg"}
        except ErrStepPeerNotFound as e:
            res = {"error": str(e), "kind": "step_peer_not_found"}
        except (BadRequest, KeyError, TypeError, ValueError) as e:
            res = {"error": f"bad request: {type(e).__name__}: {e}", "kind": "error"}
        if "id" in req:
            res["id"] = req["id"]
        return res


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--bug", default=None)
    p.add_argument("--protocol", type=int, default=1)
    p.add_argument("--crash-on", default=None)
    p.add_argument("--hang-on", default=None)
    p.add_argument("--garbage-on", default=None)
    p.add_argument("--wrong", default=None)
    p.add_argument("--pid-file", default=None)
    args = p.parse_args()
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write(str(os.getpid()))
    server = Server(args)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
        except ValueError as e:
            out: dict[str, Any] = {"error": f"bad request: {e}"}
        else:
            if isinstance(req, dict) and req.get("op") == "quit":
                print(json.dumps({"id": req.get("id")}), flush=True)
                return
            out = server.answer(req) if isinstance(req, dict) else {"error": "bad request"}
        sys.stdout.write(json.dumps(out, separators=(",", ":")) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
