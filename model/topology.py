"""Link-level connectivity: which links are cut, which are lossy, and what that leaves connected.

A link joins two node ids and carries messages both ways. A cut link loses every message sent on
it; a lossy link may deliver or drop each message (specs/SEMANTICS.md, "Partitions"). Links are
bits in an int: `link_bit(a, b)` is the same bit for (a, b) and (b, a), so a set of links is a
mask that the cluster state can carry when cuts change during a run.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations

Link = tuple[int, int]


class TopologyError(ValueError):
    """A partition or link list the user wrote that cannot be meant; one line."""


def link(a: int, b: int) -> Link:
    return (a, b) if a < b else (b, a)


def link_bit(a: int, b: int) -> int:
    lo, hi = link(a, b)
    return 1 << (lo * 8 + hi)


def links_mask(links: Iterable[Link]) -> int:
    mask = 0
    for a, b in links:
        mask |= link_bit(a, b)
    return mask


def mask_links(mask: int, n: int) -> list[Link]:
    return [(a, b) for a, b in combinations(range(1, n + 1), 2) if mask & link_bit(a, b)]


def describe_links(links: Iterable[Link], sep: str = "-") -> str:
    return ",".join(f"{a}{sep}{b}" for a, b in sorted(links)) or "none"


def parse_partition(text: str, n: int) -> frozenset[Link]:
    """`1,2|3,4,5` (groups: every link between two groups is cut) or `1-3,2-3` (cut links)."""
    text = text.strip()
    if not text:
        raise TopologyError("--partition is empty (e.g. 1,2|3 or 1-3,2-3)")
    if "|" in text:
        return _parse_groups(text, n)
    return parse_links(text, n, "--partition")


def _node(tok: str, n: int, what: str) -> int:
    tok = tok.strip()
    if not tok.isdigit():
        raise TopologyError(f"{what}: {tok!r} is not a node id")
    nid = int(tok)
    if not 1 <= nid <= n:
        raise TopologyError(f"{what}: unknown node {nid} (nodes are 1..{n})")
    return nid


def _parse_groups(text: str, n: int) -> frozenset[Link]:
    groups: list[list[int]] = []
    seen: dict[int, int] = {}
    for k, part in enumerate(text.split("|")):
        if not part.strip():
            raise TopologyError(f"--partition {text!r}: empty group")
        group = []
        for tok in part.split(","):
            nid = _node(tok, n, f"--partition {text!r}")
            if nid in seen:
                raise TopologyError(f"--partition {text!r}: node {nid} is in two groups")
            seen[nid] = k
            group.append(nid)
        groups.append(group)
    # Nodes left out form one more group of their own.
    rest = [i for i in range(1, n + 1) if i not in seen]
    for nid in rest:
        seen[nid] = len(groups)
    return frozenset(
        link(a, b) for a, b in combinations(range(1, n + 1), 2) if seen[a] != seen[b]
    )


def parse_links(text: str, n: int, what: str) -> frozenset[Link]:
    """`1-3,2-3`: a list of links between two different known nodes."""
    out = set()
    for tok in text.split(","):
        tok = tok.strip()
        if not tok:
            continue
        a, sep, b = tok.partition("-")
        if not sep:
            raise TopologyError(f"{what}: {tok!r} is not a link (write A-B, e.g. 1-3)")
        x, y = _node(a, n, what), _node(b, n, what)
        if x == y:
            raise TopologyError(f"{what}: {tok!r} links a node to itself")
        out.add(link(x, y))
    if not out:
        raise TopologyError(f"{what} is empty (e.g. 1-3,2-3)")
    return frozenset(out)


def connected_clique(members: Iterable[int], down: int) -> bool:
    """Every pair of `members` is joined by a link that is not in the `down` mask."""
    ms = list(members)
    return all(not down & link_bit(a, b) for a, b in combinations(ms, 2))


def has_connected_quorum(voters: list[int], quorum: int, down: int) -> bool:
    """Some `quorum` voters are pairwise joined by links outside `down` (brute force: <= 7)."""
    return any(connected_clique(c, down) for c in combinations(voters, quorum))
