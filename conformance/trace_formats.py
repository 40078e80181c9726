"""Readers of NDJSON traces for `raftcheck validate` (conformance/validate.py).

Two formats, told apart by the first non-empty line:

- raftcheck's own (specs/HARNESS.md, "Traces"): a header `{"format": "raftcheck-trace/1",
  "config": {...}}`, then one event per line: `{"node", "step", "msg", "to", "state", "sent"}`
  with the harness protocol's message objects. Exact messages, full observation.
- etcd-io/raft's TracingEvent (its `with_tla` build): `{"name", "nid", "state": {"term",
  "vote", "commit"}, "role", "log", "conf", "msg": {"type", "term", "from", "to", "entries",
  "logTerm", "index", "commit", "vote", "reject", "rejectHint"}, "prop"}`. Its events are finer
  than the model's steps and ticks are not traced: consecutive events of one node form a step,
  which starts anew at a receive (`Receive*`) or a `BecomeCandidate`; the state observed is
  term, vote and role at the step's last event; messages are compared on type, ends, term,
  reject and (vote requests) last log term and index. Pre-vote messages are not traced by
  etcd, so pre-vote traces cannot be read; the cluster comes from the `InitState` events
  (voters from `conf`, log entries of term 1) plus `--check-quorum`.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from conformance.abstraction import AbstractionError, abstract_message
from conformance.trace import TraceError, config_from_json
from conformance.validate import (
    LEAD,
    LOG,
    ROLE,
    STATE_FIELDS,
    TERM,
    VOTE,
    Event,
    MsgKey,
    TraceInput,
    exact_key,
)
from impl.raftpb import Entry, EntryType, Message, MessageType
from model.config import ClusterConfig
from model.messages import MSG_BY_NAME
from model.node_state import ROLE_BY_NAME

OWN_FORMAT = "raftcheck-trace/1"
STEPS = ("tick", "timeout", "campaign", "receive", "restart", "transfer", "propose", "heartbeat")


class TraceFormatError(Exception):
    """A malformed trace (the message names the file and line)."""


def _load(path: Path, line_no: int, line: str) -> dict[str, Any]:
    try:
        d = json.loads(line)
    except ValueError as e:
        raise TraceFormatError(f"{path}:{line_no}: not a JSON object ({e})") from None
    if not isinstance(d, dict):
        raise TraceFormatError(f"{path}:{line_no}: not a JSON object")
    return d


def read_trace(path: Path, check_quorum: bool = False) -> TraceInput:
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise TraceFormatError(f"{path}: cannot read: {getattr(e, 'strerror', None) or e}"
                               ) from None
    lines = [(k, ln) for k, ln in enumerate(text.splitlines(), 1) if ln.strip()]
    if not lines:
        raise TraceFormatError(f"{path}: empty trace")
    first = _load(path, *lines[0])
    if first.get("format") == OWN_FORMAT:
        return _read_own(path, first, lines[1:])
    if "name" in first and "nid" in first:
        return _read_etcd(path, lines, check_quorum)
    raise TraceFormatError(
        f"{path}:{lines[0][0]}: neither a raftcheck trace header "
        f"({{\"format\": \"{OWN_FORMAT}\", ...}}) nor an etcd TracingEvent"
    )


# -- raftcheck's own format ---------------------------------------------------------------------


def _message(d: Any) -> Message:
    if not isinstance(d, dict):
        raise ValueError("a message must be an object")
    t = d["type"]
    mtype = MessageType[t] if isinstance(t, str) else MessageType(t)
    return Message(
        type=mtype, to=int(d["to"]), frm=int(d["from"]), term=int(d.get("term", 0)),
        log_term=int(d.get("log_term", 0)), index=int(d.get("index", 0)),
        entries=tuple(Entry(term=int(e["term"]), index=int(e.get("index", k + 1)),
                            type=EntryType(e.get("type", 0)))
                      for k, e in enumerate(d.get("entries", []))),
        commit=int(d.get("commit", 0)), reject=bool(d.get("reject", False)),
        context=base64.b64decode(d["context"]) if d.get("context") else b"",
    )


def _key(d: Any) -> MsgKey:
    return exact_key(abstract_message(_message(d)))


def _state(d: Any) -> dict[int, Any]:
    if not isinstance(d, dict):
        raise ValueError("'state' must be an object")
    out: dict[int, Any] = {}
    for name, v in d.items():
        f = STATE_FIELDS.get(name)
        if f is None:
            continue  # extra detail, not part of the abstraction
        if f == ROLE:
            out[f] = ROLE_BY_NAME[v]
        elif f == LOG:
            out[f] = tuple(int(x) for x in v)
        else:
            out[f] = int(v)
    return out


def _read_own(path: Path, header: dict[str, Any], lines: list[tuple[int, str]]) -> TraceInput:
    try:
        cfg = config_from_json(header.get("config", {}))
    except TraceError as e:
        raise TraceFormatError(f"{path}:1: {e}") from None
    events = []
    for k, line in lines:
        d = _load(path, k, line)
        try:
            step = d["step"]
            if step not in STEPS:
                raise ValueError(f"unknown step {step!r} (known: {', '.join(STEPS)})")
            msg = _key(d["msg"]) if step == "receive" else None
            sent = [_key(m) for m in d["sent"]] if "sent" in d else None
            to = int(d["to"]) if step == "transfer" else None
            ev = Event(pos=k, node=int(d["node"]), kind=step, msg=msg, to=to,
                       state=_state(d.get("state", {})), sent=sent, text=step)
        except KeyError as e:
            raise TraceFormatError(f"{path}:{k}: missing field {e}") from None
        except (ValueError, TypeError, AbstractionError) as e:
            raise TraceFormatError(f"{path}:{k}: {e}") from None
        events.append(ev)
    return TraceInput(cfg, events)


# -- etcd-io/raft's TracingEvent ----------------------------------------------------------------

ETCD_ROLES = {"StateFollower": "follower", "StatePreCandidate": "pre-candidate",
              "StateCandidate": "candidate", "StateLeader": "leader"}
TRACED_TYPES = frozenset(MSG_BY_NAME[n] for n in (
    "MsgApp", "MsgAppResp", "MsgVote", "MsgVoteResp", "MsgHeartbeat", "MsgHeartbeatResp"))
TRIGGERS = ("ReceiveAppendEntriesRequest", "ReceiveAppendEntriesResponse",
            "ReceiveRequestVoteRequest", "ReceiveRequestVoteResponse", "ReceiveSnapshot",
            "BecomeCandidate")
IGNORED = ("Ready", "Commit", "ApplyConfChange", "ChangeConf")


def _etcd_key(d: Any) -> MsgKey:
    name = d["type"]
    if name not in MSG_BY_NAME:
        raise ValueError(f"message type {name!r} is not in the model")
    key: list[tuple[int, Any]] = [(0, MSG_BY_NAME[name]), (1, int(d["from"])),
                                  (2, int(d["to"])), (3, int(d["term"]))]
    if name in ("MsgVote", "MsgPreVote"):
        key += [(4, int(d.get("logTerm", 0))), (5, int(d.get("index", 0)))]
    if name.endswith("Resp"):
        key.append((6, bool(d.get("reject", False))))
    return tuple(key)


def _etcd_state(d: dict[str, Any]) -> dict[int, Any]:
    st = d["state"]
    return {TERM: int(st["term"]), VOTE: int(st["vote"]),
            ROLE: ROLE_BY_NAME[ETCD_ROLES[d["role"]]]}


def _read_etcd(path: Path, lines: list[tuple[int, str]], check_quorum: bool) -> TraceInput:
    inits: dict[int, dict[str, Any]] = {}
    raw: list[tuple[int, dict[str, Any]]] = []
    for k, line in lines:
        d = _load(path, k, line)
        try:
            name, nid = d["name"], int(d["nid"])
            if name == "InitState":
                if raw:
                    raise ValueError("InitState after the run started")
                inits[nid] = d
            elif name not in IGNORED:
                raw.append((k, d))
        except KeyError as e:
            raise TraceFormatError(f"{path}:{k}: missing field {e}") from None
        except (ValueError, TypeError) as e:
            raise TraceFormatError(f"{path}:{k}: {e}") from None
    if not inits:
        raise TraceFormatError(f"{path}: no InitState events (the cluster is unknown)")
    try:
        ids = sorted(inits)
        voters = len(inits[ids[0]]["conf"][0])
        if ids != list(range(1, len(ids) + 1)) or voters != len(ids):
            raise ValueError(f"nodes {ids} with {voters} voters: raftcheck reads clusters of "
                             "voters 1..N")
        terms = tuple((i, int(inits[i]["state"]["term"])) for i in ids
                      if int(inits[i]["state"]["term"]))
        logs = tuple((i, (1,) * int(inits[i]["log"])) for i in ids if int(inits[i]["log"]))
        cfg = ClusterConfig(voters=voters, check_quorum=check_quorum, init_terms=terms,
                            init_logs=logs, rules="etcd-3.4")
        cfg.validate()
    except (KeyError, ValueError, TypeError, IndexError) as e:
        raise TraceFormatError(f"{path}: bad InitState events: {e}") from None
    events: list[Event] = []
    group: list[tuple[int, dict[str, Any]]] = []

    def close() -> None:
        if group:
            events.append(_etcd_event(path, group))
            group.clear()

    for k, d in raw:
        if group and (int(d["nid"]) != int(group[0][1]["nid"]) or d["name"] in TRIGGERS):
            close()
        group.append((k, d))
    close()
    return TraceInput(cfg, events, hidden_ticks=True, lines=len(lines))


def _etcd_event(path: Path, group: list[tuple[int, dict[str, Any]]]) -> Event:
    k0, first = group[0]
    try:
        nid = int(first["nid"])
        name = first["name"]
        msg: MsgKey | None = None
        if name.startswith("Receive"):
            kind = "receive"
            msg = _etcd_key(first["msg"])
        elif name == "BecomeCandidate":
            kind = "campaign"
        elif name == "Replicate":
            kind = "propose"
        elif name == "SendAppendEntriesRequest" and first["msg"]["type"] == "MsgHeartbeat":
            kind = "heartbeat"
        else:
            kind = "tick"  # e.g. a check-quorum step-down: the leader's tick
        sent = [_etcd_key(d["msg"]) for _, d in group if d["name"].startswith("Send")]
        last = group[-1][1]
        # a lone receive event shows the state before the message was handled
        state = _etcd_state(last) if len(group) > 1 or kind != "receive" else {}
        if state.get(ROLE) != 3 and kind != "receive":  # a non-leader's lead is unknown
            state.pop(LEAD, None)
    except KeyError as e:
        raise TraceFormatError(f"{path}:{k0}: missing field {e}") from None
    except (ValueError, TypeError) as e:
        raise TraceFormatError(f"{path}:{k0}: {e}") from None
    return Event(pos=k0, node=nid, kind=kind, msg=msg, state=state, sent=sent,
                 sent_types=TRACED_TYPES, text=f"{name} (etcd events {k0}-{group[-1][0]})")
