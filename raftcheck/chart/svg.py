"""A chart as SVG: a lane per node going down, one row per step, messages as arrows from the
row that sent them to the row that delivered (or dropped, or lost) them.

Every step is a `<g class="step" data-step="k">` and every message a
`<g class="arrow" data-arrow="i">`, so that a page (and the browser test) can find them.
All text goes through `esc`; nothing is fetched from anywhere.
"""

from __future__ import annotations

from html import escape

from raftcheck.chart.model import Arrow, Chart, NodeView

GUTTER = 232  # the step column on the left
LANE_W = 210
NOTES_W = 176  # broken invariants, marks and divergences on the right
BADGE_ROOM = 64  # how far a box beside the last lane reaches past it
HEAD = 84  # lane names and initial states
ROW_H = 46
FOOT = 64  # the end row (messages still in flight) and the legend
CHAR_W = 6.4  # rough width of one character at 11px, to size boxes

ROLE_COLOURS = {
    "follower": "#64748b",
    "pre-candidate": "#d97706",
    "candidate": "#2563eb",
    "leader": "#15803d",
}
FATE_COLOURS = {
    "delivered": "#1f2937",
    "duplicated": "#9333ea",
    "dropped": "#dc2626",
    "lost": "#9ca3af",
    "in-flight": "#0891b2",
}
FATE_WORDS = {
    "delivered": "delivered",
    "duplicated": "a copy delivered (duplicate)",
    "dropped": "dropped",
    "lost": "lost: its link is cut",
    "in-flight": "still in flight at the end",
}


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class Layout:
    def __init__(self, chart: Chart) -> None:
        self.chart = chart
        self.n_rows = len(chart.rows)
        self.notes_x = GUTTER + LANE_W * len(chart.lanes) + BADGE_ROOM
        self.width = self.notes_x + NOTES_W
        self.height = HEAD + ROW_H * (self.n_rows + 1) + FOOT

    def x(self, node: int) -> float:
        return GUTTER + (node - 0.5) * LANE_W

    def y(self, k: int) -> float:
        """Centre of row k (1-based); 0 is the header, n_rows + 1 the end row."""
        if k <= 0:
            return HEAD - 10
        return HEAD + (k - 0.5) * ROW_H

    def row_top(self, k: int) -> float:
        return HEAD + (k - 1) * ROW_H


def render_svg(chart: Chart, prefix: str = "c0", standalone: bool = True) -> str:
    """The chart as one `<svg>` element (with an XML declaration when `standalone`)."""
    lay = Layout(chart)
    p = esc(prefix)
    out: list[str] = []
    if standalone:
        out.append('<?xml version="1.0" encoding="UTF-8"?>')
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="msc" id="{p}-svg" '
        f'width="{lay.width}" height="{lay.height}" viewBox="0 0 {lay.width} {lay.height}" '
        f'font-family="DejaVu Sans, Verdana, Arial, sans-serif" font-size="11" '
        f'data-steps="{len(chart.rows)}" data-arrows="{len(chart.arrows)}">'
    )
    out.append(f"<title>{esc(chart.title)}</title>")
    out.append(_defs(p))
    out.append(f'<rect x="0" y="0" width="{lay.width}" height="{lay.height}" fill="#ffffff"/>')
    out += _backgrounds(chart, lay, p)
    out += _lanes(chart, lay)
    out += _badges(chart, lay)
    out.append('<g class="arrows">')
    for a in chart.arrows:
        out += _arrow(a, lay, p)
    out.append("</g>")
    out += _rows(chart, lay, p)
    out += _cycle(chart, lay, p)
    out += _footer(chart, lay, p)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _defs(p: str) -> str:
    heads = "".join(
        f'<marker id="{p}-head-{fate}" viewBox="0 0 10 10" refX="9" refY="5" '
        f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        for fate, colour in FATE_COLOURS.items()
    )
    return (
        f"<defs>{heads}<style>"
        ".msc .lbl{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}"
        ".msc .rowbg.hl{fill:#fde68a;fill-opacity:1}"
        ".msc .step{cursor:pointer}"
        ".msc .arrow:hover line,.msc .arrow:hover path.body{stroke-width:3px}"
        "</style></defs>"
    )


def _backgrounds(chart: Chart, lay: Layout, p: str) -> list[str]:
    out = []
    if chart.cycle_start is not None:
        top = lay.row_top(chart.cycle_start)
        h = ROW_H * (lay.n_rows - chart.cycle_start + 1)
        out.append(f'<rect class="cycle-band" id="{p}-cycle" x="0" y="{top}" '
                   f'width="{lay.width}" height="{h}" fill="#e0f2fe"/>')
    # Alternate stripes help the eye follow a row across the lanes; a broken row is red.
    for r in chart.rows:
        if r.highlighted:
            fill, opacity = "#fecaca", "0.9"
        elif r.k % 2 == 0:
            fill, opacity = "#0f172a", "0.035"
        else:
            fill, opacity = "#ffffff", "0"
        cls = "rowbg broken" if r.highlighted else "rowbg"
        out.append(f'<rect class="{cls}" id="{p}-bg-{r.k}" x="0" y="{lay.row_top(r.k)}" '
                   f'width="{lay.width}" height="{ROW_H}" fill="{fill}" '
                   f'fill-opacity="{opacity}"/>')
    return out


def _lanes(chart: Chart, lay: Layout) -> list[str]:
    out = ['<g class="lanes">']
    bottom = lay.y(lay.n_rows + 1)
    for lane in chart.lanes:
        x = lay.x(lane.node)
        out.append(f'<text x="{x}" y="20" text-anchor="middle" font-size="14" '
                   f'font-weight="bold">{esc(lane.name)}</text>')
        # The lane line, coloured by the node's role while it holds it.
        view = chart.initial[lane.node]
        y0 = lay.y(0)
        for r in chart.rows:
            nv = r.views.get(lane.node)
            if nv is not None and nv.role != view.role:
                out.append(_lane_segment(x, y0, lay.y(r.k), view))
                y0, view = lay.y(r.k), nv
            elif nv is not None:
                view = nv
        out.append(_lane_segment(x, y0, bottom, view))
        out.append(_badge(x, 30, chart.initial[lane.node], "initial"))
    out.append("</g>")
    return out


def _lane_segment(x: float, y0: float, y1: float, view: NodeView) -> str:
    width = 5 if view.role == "leader" else 2.5
    dash = ' stroke-dasharray="6 3"' if view.role in ("pre-candidate", "candidate") else ""
    return (f'<line class="lane-seg role-{esc(view.role)}" x1="{x}" y1="{y0}" x2="{x}" '
            f'y2="{y1}" stroke="{ROLE_COLOURS.get(view.role, "#000")}" '
            f'stroke-width="{width}"{dash}/>')


def _badges(chart: Chart, lay: Layout) -> list[str]:
    """Each change of a node's role, term, vote or lead, beside its lane at the step's row;
    on the side where no arrow leaves or arrives at that point, when there is one."""
    sides: dict[tuple[int, int], set[int]] = {}
    for a in chart.arrows:
        d = (a.to > a.frm) - (a.to < a.frm)
        sides.setdefault((a.sent, a.frm), set()).add(d)
        if a.end is not None and a.fate in ("delivered", "duplicated"):
            sides.setdefault((a.end, a.to), set()).add(-d)
    out = ['<g class="badges">']
    for r in chart.rows:
        for node, view in sorted(r.views.items()):
            used = sides.get((r.k, node), set())
            side = -1 if 1 in used and -1 not in used else 1
            out.append(f'<g data-badge-step="{r.k}" data-node="{node}">'
                       + _badge(lay.x(node), lay.y(r.k) - 16, view, "change", side) + "</g>")
    out.append("</g>")
    return out


def _badge(x: float, y: float, view: NodeView, what: str, side: int = 1) -> str:
    """A node's role, term, vote and lead in a box at height y: centred on its lane (initial
    state) or beside it (`side` 1: right, -1: left)."""
    line2 = view.text()
    w = max(len(view.role), len(line2)) * CHAR_W * 0.92 + 12
    colour = ROLE_COLOURS.get(view.role, "#000")
    if what == "initial":
        bx = x - w / 2
    else:
        bx = x + 12 if side > 0 else x - 12 - w
    return (
        f'<g class="badge {esc(what)}"><rect x="{bx:.1f}" y="{y}" width="{w:.1f}" height="32" '
        f'rx="4" fill="#ffffff" fill-opacity="0.92" stroke="{colour}"/>'
        f'<text x="{bx + 6:.1f}" y="{y + 13}" font-weight="bold" fill="{colour}">'
        f"{esc(view.role)}</text>"
        f'<text x="{bx + 6:.1f}" y="{y + 26}" font-size="10" fill="#111827">{esc(line2)}</text>'
        "</g>"
    )


def _arrow(a: Arrow, lay: Layout, p: str) -> list[str]:
    x1, y1 = lay.x(a.frm), lay.y(a.sent)
    x2 = lay.x(a.to)
    colour = FATE_COLOURS[a.fate]
    if a.fate in ("delivered", "duplicated"):
        y2 = lay.y(a.end or 0)
        ex, ey = x2 - (10 if x2 > x1 else -10), y2
    else:
        # Dropped, lost and in-flight messages stop short of their receiver.
        if a.fate == "in-flight":
            y2 = lay.y(lay.n_rows + 1)
        elif a.end == a.sent:  # addressed over a link that is cut: never in flight
            y2 = y1 + ROW_H * 0.4
        else:
            y2 = lay.y(a.end or 0)
        share = 0.45 if a.end == a.sent else 0.62
        ex, ey = x1 + (x2 - x1) * share, y2
    dash = {"lost": ' stroke-dasharray="4 3"', "in-flight": ' stroke-dasharray="7 4"',
            "dropped": ' stroke-dasharray="2 0"'}.get(a.fate, "")
    marker = (f' marker-end="url(#{p}-head-{a.fate})"'
              if a.fate in ("delivered", "duplicated") else "")
    end_txt = "end of trace" if a.end is None else f"step {a.end}"
    sent_txt = "initially in flight" if a.sent == 0 else f"sent at step {a.sent}"
    tip = f"{a.text}: {sent_txt}, {FATE_WORDS[a.fate]} ({end_txt})"
    out = [
        f'<g class="arrow fate-{a.fate}" id="{p}-arrow-{a.ix}" data-arrow="{a.ix}" '
        f'data-from="{a.frm}" data-to="{a.to}" data-sent="{a.sent}" '
        f'data-end="{"" if a.end is None else a.end}" data-fate="{a.fate}">',
        f"<title>{esc(tip)}</title>",
        f'<line class="body" x1="{x1:.1f}" y1="{y1:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" '
        f'stroke="{colour}" stroke-width="1.6"{dash}{marker}/>',
    ]
    if a.fate in ("dropped", "lost"):
        out.append(_cross(ex, ey, colour))
    elif a.fate == "in-flight":
        out.append(f'<circle cx="{ex:.1f}" cy="{ey:.1f}" r="3.5" fill="#fff" '
                   f'stroke="{colour}" stroke-width="1.5"/>')
    if a.fate == "lost" and a.end == a.sent:
        # A stub: a short word under its cross keeps the row free for the node's box.
        out.append(f'<text class="lbl" x="{ex:.1f}" y="{ey + 14:.1f}" text-anchor="middle" '
                   f'font-size="9" fill="{colour}">lost</text>')
    else:
        # Off the middle, and on opposite sides for the two directions, so that the labels
        # of two arrows crossing each other do not print over each other.
        t = 0.42 if x2 > x1 else 0.58
        lx, ly = x1 + (ex - x1) * t, y1 + (ey - y1) * t
        word = {"dropped": " ✗ dropped", "lost": " ✗ lost", "duplicated": " (copy)"}.get(
            a.fate, "")
        out.append(f'<text class="lbl" x="{lx:.1f}" y="{ly - 3:.1f}" text-anchor="middle" '
                   f'font-size="10" fill="{colour}">{esc(a.label + word)}</text>')
    out.append("</g>")
    return out


def _cross(x: float, y: float, colour: str) -> str:
    d = 5
    return (f'<path class="cross" d="M{x - d:.1f},{y - d:.1f} L{x + d:.1f},{y + d:.1f} '
            f'M{x - d:.1f},{y + d:.1f} L{x + d:.1f},{y - d:.1f}" stroke="{colour}" '
            f'stroke-width="2.2"/>')


def _rows(chart: Chart, lay: Layout, p: str) -> list[str]:
    out = ['<g class="steps">']
    notes_x = lay.notes_x
    for r in chart.rows:
        top, yc = lay.row_top(r.k), lay.y(r.k)
        cls = "step broken" if r.highlighted else "step"
        out.append(f'<g class="{cls}" id="{p}-row-{r.k}" data-step="{r.k}" '
                   f'data-kind="{esc(r.kind)}">')
        out.append(f"<title>{esc(str(r.k) + ': ' + r.text)}</title>")
        # Invisible, so that the whole step column answers the mouse.
        out.append(f'<rect x="0" y="{top}" width="{GUTTER - 20}" height="{ROW_H}" '
                   'fill="#fff" fill-opacity="0"/>')
        out.append(f'<text x="30" y="{yc + 4}" text-anchor="end" font-weight="bold">'
                   f"{r.k}</text>")
        out.append(f'<text x="38" y="{yc + 4}">{esc(_clip(r.short, 21))}</text>')
        if r.kind == "drop":
            pass  # the arrow's cross is the event: the receiver does nothing
        elif r.node is not None:
            colour = "#dc2626" if r.highlighted else "#111827"
            out.append(f'<circle cx="{lay.x(r.node)}" cy="{yc}" r="5" fill="{colour}"/>')
        else:  # a network action (heal, split): across every lane
            x0, x1 = lay.x(1) - LANE_W / 3, lay.x(len(chart.lanes)) + LANE_W / 3
            out.append(f'<line x1="{x0}" y1="{yc}" x2="{x1}" y2="{yc}" stroke="#7c3aed" '
                       'stroke-width="3" stroke-dasharray="10 5"/>')
            out.append(f'<text class="lbl" x="{(x0 + x1) / 2}" y="{yc - 6}" '
                       f'text-anchor="middle" fill="#7c3aed">{esc(r.short)}</text>')
        notes = [f"✗ broke {b}" for b in r.broken] + r.notes
        for j, note in enumerate(notes[:2]):
            colour = "#b91c1c" if j < len(r.broken) or note.startswith("DIVERGENCE") else "#0c4a6e"
            weight = ' font-weight="bold"' if j < len(r.broken) else ""
            out.append(f'<text x="{notes_x}" y="{yc + 4 + 13 * j - 6 * (len(notes[:2]) - 1)}" '
                       f'fill="{colour}"{weight}>{esc(_clip(note, 26))}</text>')
        out.append("</g>")
    out.append("</g>")
    return out


def _cycle(chart: Chart, lay: Layout, p: str) -> list[str]:
    if chart.cycle_start is None:
        return []
    x = lay.notes_x - 8
    top = lay.row_top(chart.cycle_start) + 4
    bottom = lay.row_top(lay.n_rows) + ROW_H - 4
    return [
        f'<g class="cycle" id="{p}-cycle-mark" data-cycle-start="{chart.cycle_start}">',
        f"<title>{esc('cycle: steps ' + str(chart.cycle_start) + '-' + str(lay.n_rows))}"
        f"{esc(': ' + chart.cycle_note if chart.cycle_note else '')}</title>",
        f'<path d="M{x},{bottom} C{x - 14},{bottom} {x - 14},{top} {x - 2},{top}" fill="none" '
        f'stroke="#0369a1" stroke-width="2" marker-end="url(#{p}-head-in-flight)"/>',
        f'<text x="{x + 6}" y="{top + 10}" fill="#0369a1" font-weight="bold">'
        "↻ start of cycle</text>",
        "</g>",
    ]


def _footer(chart: Chart, lay: Layout, p: str) -> list[str]:
    y_end = lay.y(lay.n_rows + 1)
    out = [f'<text x="38" y="{y_end + 4}" fill="#475569">end</text>']
    if chart.cycle_note:
        out.append(f'<text x="{GUTTER}" y="{y_end + 4}" fill="#0369a1">'
                   f"{esc('↻ ' + chart.cycle_note)}</text>")
    y = lay.height - 18
    x = 10.0
    out.append('<g class="legend" font-size="10">')
    for fate, word in (("delivered", "delivered"), ("dropped", "dropped"),
                       ("lost", "lost (link cut)"), ("in-flight", "in flight at the end"),
                       ("duplicated", "duplicate")):
        colour = FATE_COLOURS[fate]
        marker = (f' marker-end="url(#{p}-head-{fate})"'
                  if fate in ("delivered", "duplicated") else "")
        dash = {"lost": ' stroke-dasharray="4 3"', "in-flight": ' stroke-dasharray="7 4"'}.get(
            fate, "")
        out.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 28}" y2="{y - 4}" stroke="{colour}" '
                   f'stroke-width="1.6"{dash}{marker}/>')
        if fate in ("dropped", "lost"):
            out.append(_cross(x + 28, y - 4, colour))
        out.append(f'<text x="{x + 38}" y="{y}">{esc(word)}</text>')
        x += 44 + len(word) * 6 + 14
    for role, colour in ROLE_COLOURS.items():
        out.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 18}" y2="{y - 4}" stroke="{colour}" '
                   f'stroke-width="{5 if role == "leader" else 2.5}"/>')
        out.append(f'<text x="{x + 22}" y="{y}" fill="{colour}">{esc(role)}</text>')
        x += 30 + len(role) * 6 + 10
    out.append("</g>")
    return out


def render_svg_stack(charts: list[Chart]) -> str:
    """Several charts in one SVG file, one under the other, each under its title."""
    if not charts:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<svg xmlns="http://www.w3.org/2000/svg" width="420" height="40" '
            'viewBox="0 0 420 40"><rect width="420" height="40" fill="#fff"/>'
            '<text x="10" y="25" font-family="DejaVu Sans, Arial, sans-serif" font-size="13">'
            "no counterexample: nothing to draw</text></svg>\n"
        )
    if len(charts) == 1:
        return render_svg(charts[0], "c0")
    parts = []
    y = 0.0
    width = 0.0
    for i, c in enumerate(charts):
        lay = Layout(c)
        parts.append(f'<text x="10" y="{y + 20}" font-family="DejaVu Sans, Arial, sans-serif" '
                     f'font-size="14" font-weight="bold">{esc(c.title)}</text>')
        inner = render_svg(c, f"c{i}", standalone=False)
        parts.append(inner.replace("<svg ", f'<svg x="0" y="{y + 30}" ', 1))
        y += 30 + lay.height + 20
        width = max(width, lay.width)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" '
        f'viewBox="0 0 {width} {y}"><rect width="{width}" height="{y}" fill="#fff"/>\n'
        + "\n".join(parts) + "</svg>\n"
    )
