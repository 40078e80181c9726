"""State-graph export through networkx (built only on request, never in the explorer's loop)."""

from __future__ import annotations

import os
from pathlib import Path

import networkx as nx

from explorer.bfs import Result
from model.cluster import ClusterModel

GRAPH_FORMATS = (".graphml", ".dot", ".gv")


def check_graph_path(path: Path) -> str | None:
    """Why `path` cannot take an exported graph, or None; checked before exploring."""
    if path.suffix.lower() not in GRAPH_FORMATS:
        return f"unknown graph format {path.suffix!r} (use .graphml or .dot)"
    if path.is_dir():
        return f"{path} is a directory"
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return f"directory {parent} does not exist"
    if not os.access(parent, os.W_OK):
        return f"directory {parent} is not writable"
    return None


def state_label(model: ClusterModel, st: tuple[int, ...]) -> str:
    """The whole state (every node field, the messages in flight, the links): distinct states
    get distinct labels unless they differ only in their history variables."""
    return "\n".join(model.describe_state(st))


def build_graph(model: ClusterModel, result: Result) -> nx.MultiDiGraph:
    """The explored state graph: one node per distinct state, one edge per transition."""
    g = nx.MultiDiGraph()
    for ix, st in enumerate(result.states):
        violated = ",".join(model.violations(st))
        g.add_node(ix, label=state_label(model, st), initial=ix == 0, violated=violated)
    for src, dst, action in result.edges or []:
        g.add_edge(src, dst, action=model.describe_action(action), kind=model.action_kind(action))
    return g


def write_graph(g: nx.MultiDiGraph, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".graphml":
        nx.write_graphml(g, path)
    elif suffix in (".dot", ".gv"):
        path.write_text(to_dot(g))
    else:
        raise ValueError(f"unknown graph format {suffix!r} (use .graphml or .dot)")


def to_dot(g: nx.MultiDiGraph) -> str:
    def q(text: object) -> str:
        return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph raftcheck {", "  node [shape=box, fontname=monospace];"]
    for n, data in g.nodes(data=True):
        attrs = [f"label={q(data['label'])}"]
        if data.get("violated"):
            attrs.append("color=red")
        if data.get("initial"):
            attrs.append("style=bold")
        lines.append(f"  {n} [{', '.join(attrs)}];")
    for src, dst, data in g.edges(data=True):
        lines.append(f"  {src} -> {dst} [label={q(data['action'])}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
