"""A chart as a Mermaid `sequenceDiagram` (for Markdown reports: GitHub draws them).

Mermaid draws a message at one moment, so each arrow appears at the step that delivered,
dropped or lost it, and its label says at which step it was sent; messages still in flight at
the end are listed in a last note. A lasso's cycle is a `loop` block, the broken invariant a
red `rect`.
"""

from __future__ import annotations

from raftcheck.chart.model import Arrow, Chart, Row


def mermaid_text(text: str) -> str:
    """Text that Mermaid takes literally in a message or note (no `;`, `#`, `:`, `<`, `>`)."""
    return (
        text.replace(";", ",").replace("#", "").replace(":", " ").replace("->", "→")
        .replace(">", " gt ").replace("<", " lt ")
    )


def _span(chart: Chart) -> str:
    n = len(chart.lanes)
    return f"N1,N{n}" if n > 1 else "N1"


def _arrow_line(a: Arrow, k: int) -> str:
    sent = "initially in flight" if a.sent == 0 else f"sent at {a.sent}"
    if a.fate == "delivered":
        return f"    N{a.frm}->>N{a.to}: {mermaid_text(f'{k}. {a.label} ({sent})')}"
    if a.fate == "duplicated":
        return f"    N{a.frm}->>N{a.to}: {mermaid_text(f'{k}. {a.label} (a copy, {sent})')}"
    if a.fate == "dropped":
        return f"    N{a.frm}-xN{a.to}: {mermaid_text(f'{k}. {a.label} ({sent}) dropped')}"
    when = "addressed over a cut link" if a.sent == k else f"{sent}, its link cut"
    return f"    N{a.frm}--xN{a.to}: {mermaid_text(f'{k}. {a.label} lost ({when})')}"


def _row_lines(chart: Chart, r: Row, ending: list[Arrow]) -> list[str]:
    lines = []
    own = [a for a in ending if a.fate in ("delivered", "dropped", "duplicated")]
    if r.kind in ("deliver", "drop", "duplicate") and own:
        lines.append(_arrow_line(own[0], r.k))
        ending = [a for a in ending if a is not own[0]]
    elif r.node is not None:
        lines.append(f"    Note over N{r.node}: {mermaid_text(f'{r.k}. {r.short}')}")
    else:
        lines.append(f"    Note over {_span(chart)}: {mermaid_text(f'{r.k}. {r.short}')}")
    lines += [_arrow_line(a, r.k) for a in ending]
    for node, view in sorted(r.views.items()):
        lines.append(f"    Note right of N{node}: {mermaid_text(view.role + ', ' + view.text())}")
    for note in r.notes:
        lines.append(f"    Note over {_span(chart)}: {mermaid_text(note)}")
    for b in r.broken:
        lines += ["    rect rgb(254, 202, 202)",
                  f"    Note over {_span(chart)}: {mermaid_text(f'{r.k}. BROKE {b}')}",
                  "    end"]
    return lines


def mermaid_lines(chart: Chart, fenced: bool = True) -> list[str]:
    lines = ["```mermaid"] if fenced else []
    lines.append("sequenceDiagram")
    for lane in chart.lanes:
        lines.append(f"    participant N{lane.node} as {mermaid_text(lane.name)}")
    first = chart.initial
    roles = ", ".join(f"N{i} {v.role} t{v.term}" for i, v in sorted(first.items()))
    lines.append(f"    Note over {_span(chart)}: {mermaid_text('0. initial: ' + roles)}")
    for note in chart.notes:
        lines.append(f"    Note over {_span(chart)}: {mermaid_text(note)}")
    ends: dict[int, list[Arrow]] = {}
    for a in chart.arrows:
        if a.end is not None:
            ends.setdefault(a.end, []).append(a)
    for r in chart.rows:
        if chart.cycle_start is not None and r.k == chart.cycle_start:
            lines.append(f"    loop {mermaid_text(chart.cycle_note or 'the cycle repeats')}")
        body = _row_lines(chart, r, ends.get(r.k, []))
        if chart.cycle_start is not None and r.k >= chart.cycle_start:
            body = ["  " + x for x in body]
        lines += body
    if chart.cycle_start is not None:
        lines.append("    end")
    flying = [a for a in chart.arrows if a.fate == "in-flight"]
    if flying:
        text = ", ".join(f"{a.label} {a.frm}→{a.to} (sent at {a.sent})" for a in flying)
        lines.append(f"    Note over {_span(chart)}: {mermaid_text('still in flight: ' + text)}")
    if fenced:
        lines.append("```")
    return lines


def markdown_report(title: str, header: list[str], verdict: str, charts: list[Chart]) -> str:
    """A Markdown report of a run: header, verdict, and each counterexample as a numbered
    trace and a Mermaid diagram."""
    out = [f"## {title}", ""]
    if header:
        out += ["```", *header, "```", ""]
    out += [f"**{verdict}**", ""]
    for i, c in enumerate(charts, 1):
        name = f": {c.invariant}" if c.invariant else ""
        out += [f"### Counterexample {i}{name} ({len(c)} steps)", "",
                c.title, ""]
        for r in c.rows:
            if c.cycle_start is not None and r.k == c.cycle_start:
                out += ["", "**↻ start of cycle**", ""]
            detail = "; ".join(r.changes) if r.changes else "no change"
            marks = "".join(f" **broke {b}**" for b in r.broken)
            out.append(f"{r.k}. `{r.text}` — {detail}{marks}")
        if c.cycle_note:
            out.append(f"\n↻ {c.cycle_note}")
        out.append("")
        out += mermaid_lines(c)
        out.append("")
    return "\n".join(out) + "\n"
