"""State-graph export through networkx (built only on request, never in the explorer's loop)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from explorer.bfs import Result
from model.cluster import ClusterModel
from model.node_state import ROLE_NAMES


def state_label(model: ClusterModel, st: tuple[int, ...]) -> str:
    nodes = " ".join(
        f"{i + 1}:{ROLE_NAMES[nd[3]][0].upper()}{nd[0]}" for i, nd in enumerate(model.nodes(st))
    )
    return f"{nodes} msgs={len(model.messages(st))}"


def build_graph(model: ClusterModel, result: Result) -> nx.MultiDiGraph:
    """The explored state graph: one node per distinct state, one edge per transition."""
    g = nx.MultiDiGraph()
    for ix, st in enumerate(result.states):
        violated = ",".join(model.violations(st))
        g.add_node(ix, label=state_label(model, st), initial=ix == 0, violated=violated)
    for src, dst, kind in result.edges or []:
        g.add_edge(src, dst, action=kind)
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
