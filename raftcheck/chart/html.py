"""One self-contained HTML page: charts with their numbered text traces beside them.

Inline CSS, inline SVG and a few lines of inline JavaScript (hovering a step lights it in both
the chart and the text); nothing is loaded from the network. The script also writes, on the
`<body>`, how many steps and arrows the browser laid out with a non-empty box: the browser test
reads it back from the rendered DOM.
"""

from __future__ import annotations

from collections.abc import Sequence

from raftcheck.chart.model import Chart
from raftcheck.chart.svg import esc, render_svg

STYLE = """
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;margin:0;padding:16px 24px;
color:#111827;background:#f8fafc}
h1{font-size:20px;margin:4px 0 8px}h2{font-size:17px;margin:0 0 4px}
h3{font-size:15px;margin:16px 0 6px}
.verdict{font-weight:bold;font-size:15px}.verdict.bad{color:#b91c1c}.verdict.good{color:#15803d}
pre{background:#fff;border:1px solid #e2e8f0;padding:8px 10px;overflow-x:auto;font-size:12px}
section.chart{background:#fff;border:1px solid #cbd5e1;border-radius:6px;margin:18px 0;
padding:12px 14px}
.statement{color:#334155;margin:0 0 10px}
.pair{display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap}
.svgbox{overflow-x:auto;max-width:100%;flex:0 1 auto}
ol.trace{font-size:12px;margin:0;padding-left:34px;min-width:280px;max-width:560px;
flex:1 1 300px}
ol.trace>li{padding:3px 4px;border-radius:4px;margin-bottom:2px}
ol.trace>li.hl{background:#fde68a}ol.trace>li.broken{background:#fee2e2}
ol.trace>li.broken.hl{background:#fca5a5}
ol.trace code{font-size:12px;font-weight:bold;white-space:normal}
ol.trace ul{margin:2px 0 0;padding-left:16px;color:#334155}
.mark{color:#b91c1c;font-weight:bold}.note{color:#0c4a6e}
.cycle-start{list-style:none;color:#0369a1;font-weight:bold;margin:6px 0 4px -20px}
.legend{font-size:12px;color:#334155}
table{border-collapse:collapse;background:#fff;font-size:12px;margin:6px 0}
td,th{border:1px solid #cbd5e1;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f5f9}
"""

SCRIPT = """
(function(){
  var laidSteps=0, laidArrows=0, steps=0, arrows=0;
  document.querySelectorAll('section.chart').forEach(function(sec){
    var id=sec.id, svg=sec.querySelector('svg');
    function light(k,on){
      var bg=document.getElementById(id+'-bg-'+k);
      if(bg){bg.classList.toggle('hl',on);}
      var li=document.getElementById(id+'-step-'+k);
      if(li){li.classList.toggle('hl',on);}
    }
    sec.querySelectorAll('[data-step]').forEach(function(el){
      var k=el.getAttribute('data-step');
      el.addEventListener('mouseenter',function(){light(k,true);});
      el.addEventListener('mouseleave',function(){light(k,false);});
      if(el.tagName.toLowerCase()==='g'){
        el.addEventListener('click',function(){
          var li=document.getElementById(id+'-step-'+k);
          if(li){li.scrollIntoView({block:'nearest'});}
        });
      }
    });
    if(!svg){return;}
    svg.querySelectorAll('g.step').forEach(function(g){
      steps++; var b=g.getBBox(); if(b.width>0&&b.height>0){laidSteps++;}
    });
    svg.querySelectorAll('g.arrow').forEach(function(g){
      arrows++; var b=g.getBBox(); if(b.width+b.height>0){laidArrows++;}
    });
  });
  var body=document.body;
  body.setAttribute('data-laid-steps',laidSteps);
  body.setAttribute('data-laid-arrows',laidArrows);
  body.setAttribute('data-svg-steps',steps);
  body.setAttribute('data-svg-arrows',arrows);
  body.setAttribute('data-rendered','yes');
})();
"""


def page(title: str, body: Sequence[str]) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + f"\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def pre(lines: Sequence[str]) -> str:
    return "<pre>" + esc("\n".join(lines)) + "</pre>"


def legend() -> str:
    return (
        '<p class="legend">Each node is a lane going down, drawn in the colour of its role '
        "(thick: leader; dashed: campaigning); each step is a row, numbered as in the text "
        "trace. A message is an arrow from the step that sent it to the step that delivered "
        "it; a red cross marks a dropped message, a grey dashed arrow with a cross one lost on "
        "a cut link, an open end one still in flight when the trace ends. A box beside a lane "
        "shows the node's role, term, vote and leader when they change. A red row is where the "
        "invariant broke; a blue band is the cycle of a lasso. Hover a step to find it in the "
        "chart and in the text.</p>"
    )


def chart_section(chart: Chart, index: int, heading: str) -> str:
    """A chart and its numbered text trace, side by side."""
    cid = f"c{index}"
    parts = [
        f'<section class="chart" id="{cid}" data-chart="{index}" '
        f'data-steps="{len(chart.rows)}" data-arrows="{len(chart.arrows)}" '
        f'data-kind="{esc(chart.kind)}">',
        f"<h2>{esc(heading)}</h2>",
        f'<p class="statement">{esc(chart.title)}</p>',
    ]
    parts += [f'<p class="note">{esc(n)}</p>' for n in chart.notes]
    parts.append('<div class="pair">')
    parts.append('<div class="svgbox">' + render_svg(chart, cid, standalone=False) + "</div>")
    parts.append(trace_list(chart, cid))
    parts.append("</div>")
    parts.append("<h3>final state</h3>")
    parts.append(pre(chart.final_lines))
    parts.append("</section>")
    return "\n".join(parts)


def trace_list(chart: Chart, cid: str) -> str:
    out = [f'<ol class="trace" start="0" id="{cid}-trace">',
           f'<li value="0" id="{cid}-step-0" data-step="0"><code>initial state</code><ul>']
    out += [f"<li>{esc(x)}</li>" for x in chart.initial_lines]
    out.append("</ul></li>")
    for r in chart.rows:
        if chart.cycle_start is not None and r.k == chart.cycle_start:
            out.append('<li class="cycle-start">↻ start of cycle</li>')
        cls = ' class="broken"' if r.highlighted else ""
        out.append(f'<li value="{r.k}" id="{cid}-step-{r.k}" data-step="{r.k}"{cls}>'
                   f"<code>{esc(r.text)}</code><ul>")
        out += [f"<li>{esc(x)}</li>" for x in (r.changes or ["(no change)"])]
        out += [f'<li class="mark">✗ broke {esc(b)}</li>' for b in r.broken]
        out += [f'<li class="note">{esc(n)}</li>' for n in r.notes]
        out.append("</ul></li>")
    if chart.cycle_note:
        out.append(f'<li class="cycle-start">↻ {esc(chart.cycle_note)}</li>')
    out.append("</ol>")
    return "\n".join(out)


def charts_page(
    title: str,
    header: Sequence[str],
    verdict: str,
    charts: Sequence[Chart],
    summary: Sequence[str] = (),
    bad: bool | None = None,
    noun: str = "Counterexample",
) -> str:
    """A page for one command's run: its header lines, verdict, charts and summary."""
    if bad is None:
        bad = bool(charts)
    body = [f"<h1>{esc(title)}</h1>"]
    if header:
        body.append(pre(header))
    body.append(f'<p class="verdict {"bad" if bad else "good"}">{esc(verdict)}</p>')
    if charts:
        body.append(legend())
    for i, c in enumerate(charts):
        heading = f"{noun} {i + 1}" + (f": {c.invariant}" if c.invariant else "")
        body.append(chart_section(c, i, heading))
    if not charts:
        body.append("<p>No counterexample: there is nothing to draw.</p>")
    if summary:
        body.append("<h3>summary</h3>")
        body.append(pre(summary))
    return page(title, body)
