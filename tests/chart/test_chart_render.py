"""SVG, HTML and Mermaid renderings of a chart: well formed, complete, escaped, offline."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

from model.cluster import ClusterModel
from raftcheck.chart.html import charts_page
from raftcheck.chart.mermaid import markdown_report, mermaid_lines
from raftcheck.chart.model import Arrow, Chart, Lane, NodeView, Row
from raftcheck.chart.png import read_png, write_palette_png
from raftcheck.chart.sources import lasso_chart, violation_chart
from raftcheck.chart.svg import render_svg, render_svg_stack

SVG = "{http://www.w3.org/2000/svg}"
NASTY = '<script>alert("x")</script> & \'quotes\' ]]> --> #;:'


def groups(root: ET.Element, attr: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if attr in g.attrib]


def test_svg_has_every_step_and_arrow(vote_once: tuple[ClusterModel, Any]) -> None:
    chart = violation_chart(*vote_once)
    root = ET.fromstring(render_svg(chart).split("\n", 1)[1])  # well-formed XML
    steps = groups(root, "data-step")
    assert [int(g.attrib["data-step"]) for g in steps] == list(range(1, len(chart.rows) + 1))
    arrows = groups(root, "data-arrow")
    assert len(arrows) == len(chart.arrows)
    for g, a in zip(arrows, chart.arrows, strict=True):
        assert g.attrib["data-fate"] == a.fate
        assert g.attrib["data-sent"] == str(a.sent)
        assert g.find(f"{SVG}line") is not None
    broken = [g for g in steps if "broken" in g.attrib["class"]]
    assert [g.attrib["data-step"] for g in broken] == [str(len(chart.rows))]
    texts = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert "broke VoteOnce" in texts


def test_lasso_cycle_is_marked(lasso: tuple[Any, Any, Any]) -> None:
    chart = lasso_chart(*lasso)
    svg = render_svg(chart)
    root = ET.fromstring(svg.split("\n", 1)[1])
    band = [r for r in root.iter(f"{SVG}rect") if r.attrib.get("class") == "cycle-band"]
    assert len(band) == 1
    mark = [g for g in root.iter(f"{SVG}g") if g.attrib.get("class") == "cycle"]
    assert mark and mark[0].attrib["data-cycle-start"] == str(chart.cycle_start)
    md = mermaid_lines(chart)
    assert sum(1 for x in md if x.strip().startswith("loop ")) == 1
    html = charts_page("t", [], "V", [chart])
    assert "start of cycle" in html and chart.cycle_note in html


def hostile_chart() -> Chart:
    view = NodeView("leader", 1, 1, 1)
    return Chart(
        title=NASTY, kind="safety", lanes=[Lane(1, NASTY), Lane(2, "node 2")],
        initial={1: view, 2: view}, initial_lines=[NASTY], final_lines=[NASTY],
        rows=[Row(1, "deliver", 2, NASTY, NASTY, [NASTY], {2: view}, [NASTY], [NASTY])],
        arrows=[Arrow(0, 1, 2, NASTY, NASTY, 0, 1, "delivered")],
        invariant=NASTY, cycle_start=1, cycle_note=NASTY, notes=[NASTY],
    )


def test_text_is_escaped() -> None:
    chart = hostile_chart()
    svg = render_svg(chart)
    ET.fromstring(svg.split("\n", 1)[1])  # still well formed
    assert "<script>" not in svg
    html = charts_page(NASTY, [NASTY], NASTY, [chart], [NASTY])
    assert "<script>alert" not in html
    assert html.count("<script>") == 1  # the page's own
    ET.fromstring(render_svg_stack([chart, chart]).split("\n", 1)[1])
    lines = mermaid_lines(chart)[2:-1]
    assert any("participant N1 as" in x for x in lines) and any("loop " in x for x in lines)
    for line in lines:
        # After the arrow or note syntax, Mermaid must see no `;`, `#`, `<` or `>`.
        text = line.split(":", 1)[1] if ":" in line else line
        assert not re.search(r"[;#<>]", text), line


class _Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "srcset", "action") and value \
                    and not value.startswith("#"):
                self.fetches.append(f"{tag} {name}={value}")
        if tag in ("link", "iframe", "object", "embed", "img"):
            self.fetches.append(tag)


def test_page_is_self_contained(vote_once: tuple[ClusterModel, Any],
                                lasso: tuple[Any, Any, Any]) -> None:
    charts = [violation_chart(*vote_once), lasso_chart(*lasso)]
    html = charts_page("raftcheck explore", ["config"], "VIOLATED", charts, ["summary"])
    p = _Resources()
    p.feed(html)
    assert p.fetches == []
    assert "@import" not in html and "url(http" not in html
    urls = set(re.findall(r"https?://[^\s\"')]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}  # a namespace name, never fetched
    # Unique ids across the two charts, and every step listed beside its chart.
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    for i, c in enumerate(charts):
        for r in c.rows:
            assert f'id="c{i}-step-{r.k}"' in html and f'id="c{i}-row-{r.k}"' in html


def test_mermaid_arrows(vote_once: tuple[ClusterModel, Any]) -> None:
    chart = violation_chart(*vote_once)
    lines = mermaid_lines(chart)
    assert lines[0] == "```mermaid" and lines[1] == "sequenceDiagram" and lines[-1] == "```"
    arrows = [x for x in lines if re.match(r"\s+N\d+(->>|-x|--x)N\d+: ", x)]
    ended = [a for a in chart.arrows if a.fate != "in-flight"]
    assert len(arrows) == len(ended)
    assert sum(1 for x in arrows if "-xN" in x and "--x" not in x) == chart.fates()["dropped"]
    assert any("BROKE VoteOnce" in x for x in lines)
    assert any(x.strip() == "rect rgb(254, 202, 202)" for x in lines)
    assert "still in flight" in lines[-2]
    md = markdown_report("raftcheck explore", ["cfg"], "VIOLATED: VoteOnce", [chart])
    assert "### Counterexample 1: VoteOnce (11 steps)" in md
    assert "\n11. `deliver MsgVote 1->2" in md


def test_png_reader_and_palette_writer() -> None:
    """The screenshot check's PNG reader decodes every filter type; the palette writer keeps
    an image of few colours exactly and maps others to the nearest kept colour."""
    import struct
    import zlib

    width, height = 3, 5
    pixels = [[(x * 40 + y, 200 - y * 30, (x * y * 17) % 256) for x in range(width)]
              for y in range(height)]
    raw = b""
    prev = bytes(width * 3)
    for y, row in enumerate(pixels):
        line = bytes(v for px in row for v in px)
        ftype = y % 5
        enc = bytearray(len(line))
        for i in range(len(line)):
            a = line[i - 3] if i >= 3 else 0
            b = prev[i]
            c = prev[i - 3] if i >= 3 else 0
            pred = {0: 0, 1: a, 2: b, 3: (a + b) >> 1}.get(ftype)
            if pred is None:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            enc[i] = (line[i] - pred) & 0xFF
        raw += bytes([ftype]) + bytes(enc)
        prev = line

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))

    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    img = read_png(data)
    assert (img.width, img.height) == (width, height)
    for y in range(height):
        for x in range(width):
            assert img.pixel(x, y) == pixels[y][x]
    again = read_png(write_palette_png(img))
    assert again.rows == img.rows
    two = read_png(write_palette_png(img, colours=2))
    kept = {two.pixel(x, y) for y in range(height) for x in range(width)}
    assert len(kept) == 2 and kept <= {img.pixel(x, y) for y in range(height)
                                       for x in range(width)}
