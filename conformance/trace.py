"""Replayable JSON traces: a configuration and a list of model actions.

Format (``"format": "raftcheck-conform-trace/1"``)::

    {"format": ..., "config": {"voters": 3, ..., "init_terms": [[1, 2]],
                               "init_logs": [[1, [1, 2]]], "pending_conf": [2]},
     "actions": [{"kind": "tick", "node": 1},
                 {"kind": "transfer", "node": 1, "to": 2},
                 {"kind": "deliver", "msg": {"type": "MsgVote", "from": 1, "to": 2,
                  "term": 1, "log_term": 0, "index": 0, "reject": false, "force": false,
                  "entries": []}}],
     "divergence": {"step": 3, "problems": ["..."]} | null,
     "rendered": ["numbered trace lines", ...]}

`replay(trace)` re-runs the actions on impl and model and stops at the first divergence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from conformance.abstraction import Action
from conformance.engine import Lockstep
from model.config import ClusterConfig, ConfigError
from model.messages import MSG_BY_NAME, MSG_NAMES
from model.messages import Message as ModelMessage

FORMAT = "raftcheck-conform-trace/1"
_NODE_KINDS = ("tick", "timeout", "heartbeat", "restart", "append")
_MSG_KINDS = ("deliver", "drop", "duplicate")


class TraceError(ValueError):
    """A malformed trace file; the message is one line for the user."""


# -- config ------------------------------------------------------------------------------------


def config_to_json(cfg: ClusterConfig) -> dict[str, Any]:
    d: dict[str, Any] = {}
    for f in fields(cfg):
        d[f.name] = getattr(cfg, f.name)
    d["init_terms"] = [[i, t] for i, t in cfg.init_terms]
    d["init_logs"] = [[i, list(lg)] for i, lg in cfg.init_logs]
    d["pending_conf"] = sorted(cfg.pending_conf)
    d["cut_links"] = [list(x) for x in sorted(cfg.cut_links)]
    d["lossy_links"] = [list(x) for x in sorted(cfg.lossy_links)]
    d["crashed"] = sorted(cfg.crashed)
    for k in ("conf_kinds", "conf_specs", "conf_entry"):
        d[k] = list(getattr(cfg, k))
    return d


def config_from_json(d: Any) -> ClusterConfig:
    if not isinstance(d, dict):
        raise TraceError("'config' must be an object")
    known = {f.name for f in fields(ClusterConfig)}
    unknown = set(d) - known
    if unknown:
        raise TraceError(f"unknown config field(s): {', '.join(sorted(unknown))}")
    kw: dict[str, Any] = {}
    try:
        for k, v in d.items():
            if k == "init_terms":
                kw[k] = tuple((int(i), int(t)) for i, t in v)
            elif k == "init_logs":
                kw[k] = tuple((int(i), tuple(int(x) for x in lg)) for i, lg in v)
            elif k in ("pending_conf", "crashed"):
                kw[k] = frozenset(int(i) for i in v)
            elif k in ("cut_links", "lossy_links"):
                kw[k] = frozenset((int(a), int(b)) for a, b in v)
            elif k == "rules":
                kw[k] = str(v)
            elif k in ("conf_kinds", "conf_specs", "conf_entry"):
                if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                    raise TraceError(f"config field {k!r} has a bad value {v!r}")
                kw[k] = tuple(v)
            elif isinstance(v, bool) or isinstance(v, int):
                kw[k] = v
            else:
                raise TraceError(f"config field {k!r} has a bad value {v!r}")
        cfg = ClusterConfig(**kw)
        cfg.validate()
    except TraceError:
        raise
    except ConfigError as e:
        raise TraceError(f"bad config: {e}") from None
    except (TypeError, ValueError) as e:
        raise TraceError(f"bad config: {e}") from None
    return cfg


# -- actions -----------------------------------------------------------------------------------


def message_to_json(m: ModelMessage) -> dict[str, Any]:
    # "commit" only when set (membership changes), so older traces keep their bytes.
    mtype, frm, to, term, log_term, index, reject, force, entries = m[:9]
    return {
        "type": MSG_NAMES[mtype],
        "from": frm,
        "to": to,
        "term": term,
        "log_term": log_term,
        "index": index,
        "reject": bool(reject),
        "force": bool(force),
        "entries": list(entries),
    } | ({"commit": m[9]} if len(m) > 9 and m[9] else {})


def message_from_json(d: Any) -> ModelMessage:
    if not isinstance(d, dict):
        raise TraceError("a message must be an object")
    try:
        mtype = MSG_BY_NAME[d["type"]]
        return (
            mtype,
            _int(d["from"]),
            _int(d["to"]),
            _int(d["term"]),
            _int(d.get("log_term", 0)),
            _int(d.get("index", 0)),
            bool(d.get("reject", False)),
            bool(d.get("force", False)),
            tuple(_int(t) for t in d.get("entries", ())),
            _int(d.get("commit", 0)),
        )
    except KeyError as e:
        raise TraceError(f"message lacks or has a bad field {e}") from None


def _int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TraceError(f"expected an integer, got {v!r}")
    return v


def action_to_json(a: Action) -> dict[str, Any]:
    kind = a[0]
    if kind in _MSG_KINDS:
        return {"kind": kind, "msg": message_to_json(a[1])}
    if kind == "transfer":
        return {"kind": kind, "node": a[1], "to": a[2]}
    return {"kind": kind, "node": a[1]}


def action_from_json(d: Any, n: int) -> Action:
    if not isinstance(d, dict) or "kind" not in d:
        raise TraceError("an action must be an object with a 'kind'")
    kind = d["kind"]
    if kind in _MSG_KINDS:
        m = message_from_json(d.get("msg"))
        if not (1 <= m[1] <= n and 1 <= m[2] <= n):
            raise TraceError(f"message between unknown nodes {m[1]}->{m[2]}")
        return (kind, m)
    if kind in _NODE_KINDS or kind == "transfer":
        nid = _int(d.get("node"))
        if not 1 <= nid <= n:
            raise TraceError(f"unknown node {nid}")
        if kind == "transfer":
            to = _int(d.get("to"))
            if not 1 <= to <= n:
                raise TraceError(f"unknown node {to}")
            return (kind, nid, to)
        return (kind, nid)
    raise TraceError(f"unknown action kind {kind!r}")


# -- files -------------------------------------------------------------------------------------


def trace_to_json(run: Lockstep) -> dict[str, Any]:
    div = None
    if run.init_problems:
        div = {"step": 0, "problems": list(run.init_problems)}
    for k, s in enumerate(run.steps, 1):
        if s.problems and div is None:
            div = {"step": k, "problems": list(s.problems)}
    out = {
        "format": FORMAT,
        "config": config_to_json(run.cfg),
        "actions": [action_to_json(s.action) for s in run.steps],
        "divergence": div,
        "rendered": run.render(),
    }
    if run.backend.name != "python":
        out["impl"] = run.backend.name  # replay runs the trace on the same implementation
    return out


def write_trace(run: Lockstep, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(trace_to_json(run), indent=1) + "\n")
    return path


@dataclass
class LoadedTrace:
    cfg: ClusterConfig
    actions: list[Action]
    impl: str = "python"  # "etcd": a trace of `raftcheck conform --impl etcd`


def load_trace(path: Path) -> LoadedTrace:
    try:
        raw = json.loads(Path(path).read_text())
    except OSError as e:
        raise TraceError(f"cannot read {path}: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise TraceError(f"{path} is not valid JSON: {e}") from None
    return parse_trace(raw)


def parse_trace(raw: Any) -> LoadedTrace:
    if not isinstance(raw, dict):
        raise TraceError("a trace must be a JSON object")
    if raw.get("format", FORMAT) != FORMAT:
        raise TraceError(f"unknown trace format {raw.get('format')!r}")
    if "config" not in raw or "actions" not in raw:
        raise TraceError("a trace needs 'config' and 'actions'")
    cfg = config_from_json(raw["config"])
    acts = raw["actions"]
    if not isinstance(acts, list):
        raise TraceError("'actions' must be a list")
    impl = raw.get("impl", "python")
    if not isinstance(impl, str) or (
        impl not in ("python", "etcd") and not impl.startswith(("cmd:", "module:"))
    ):
        raise TraceError(
            f"unknown implementation {impl!r} (known: python, etcd, cmd:..., module:...)"
        )
    return LoadedTrace(cfg, [action_from_json(a, cfg.n) for a in acts], impl)


@dataclass
class ReplayResult:
    run: Lockstep
    conformant: bool
    first_divergence: int | None  # 1-based step, 0 for the initial state
    not_enabled: int | None  # 1-based step whose action the model does not enable


def replay(trace: LoadedTrace, backend: Any = None) -> ReplayResult:
    """Re-run `trace` on impl (or etcd, for an etcd trace; `backend` if given) and model;
    stop at the first divergence. Without the etcd harness an etcd trace raises
    `conformance.nodes.BackendUnavailable`."""
    if backend is None and trace.impl != "python":
        from conformance.nodes import make_backend

        backend = make_backend(trace.impl)
    run = Lockstep(trace.cfg, backend)
    if run.init_problems:
        return ReplayResult(run, False, 0, None)
    for k, a in enumerate(trace.actions, 1):
        s = run.step(a)
        if s is None:
            return ReplayResult(run, False, None, k)
        if s.problems:
            return ReplayResult(run, False, k, None)
    return ReplayResult(run, True, None, None)
