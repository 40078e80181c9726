"""Audit reports as one self-contained HTML page, with a message sequence chart beside every
counterexample's numbered trace (`raftcheck audit --html FILE`)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from audit.render import _fmt_s, check_rows
from audit.runner import AuditReport, KillRow, Trace
from raftcheck.chart.html import chart_section, legend, page, pre
from raftcheck.chart.model import Chart
from raftcheck.chart.svg import esc


def _md_cell(text: str) -> str:
    """A table cell written for Markdown (`code`, **bold**) as HTML."""
    out = esc(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    out = ["<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{_md_cell(c)}</td>" for c in r) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _chart(tr: Trace) -> Chart | None:
    chart = tr.chart
    return chart if isinstance(chart, Chart) else None


class _Sections:
    """Chart sections of one page, numbered so that their ids are unique."""

    def __init__(self) -> None:
        self.count = 0
        self.parts: list[str] = []

    def add(self, tr: Trace, heading: str) -> None:
        chart = _chart(tr)
        if chart is None:
            self.parts += [f"<h3>{esc(heading)}</h3>", pre([st.text for st in tr.steps])]
            return
        self.parts.append(chart_section(chart, self.count, heading))
        self.count += 1


def report_html(rep: AuditReport) -> str:
    s = rep.subject
    title = f"raftcheck audit: {s.name} against {s.baseline.name}"
    body = [f"<h1>{esc(title)}</h1>"]
    if s.description:
        body.append(f"<p>{_md_cell(s.description)}</p>")
    if s.citation:
        body.append(f"<p>Reference: {_md_cell(s.citation)}</p>")
    body.append("<p>Changed rules: "
                + (", ".join(f"<code>{esc(r)}</code>" for r in s.changed) or "(none)") + "</p>")
    verdict = f"Verdict: {rep.verdict}" + (f" — caught by {rep.caught_by}" if rep.caught_by
                                            else "")
    body.append(f'<p class="verdict {"bad" if rep.exit_code else "good"}">{esc(verdict)}</p>')
    if rep.why_no_change:
        body.append(f"<p>Why: {esc(rep.why_no_change)}</p>")
    body.append(_table(("check", "configuration", "result", "seconds"), check_rows(rep)))
    extras = [e.config for e in rep.explorations if e.config.extra]
    if extras:
        body.append("<p>Extra configurations run for the changed rules:</p><ul>"
                    + "".join(f"<li>{esc(c.label)}: {esc(c.purpose)}</li>" for c in extras)
                    + "</ul>")
    sections = _Sections()
    n = 0
    for e, inv, tr in rep.broken():
        n += 1
        sections.add(tr, f"Counterexample {n}: {inv} ({e.config.label}, {len(tr)} steps)")
    for lo, prop, ltr in rep.broken_liveness():
        if ltr is not None:
            n += 1
            sections.add(ltr, f"Counterexample {n}: {prop} ({lo.config.label}, a lasso of "
                              f"{len(ltr)} steps)")
    for d in rep.changed_diffs():
        for _side, tr in d.witnesses:
            sections.add(tr, f"Behaviour diff, {d.config.label}: {tr.title} ({len(tr)} steps)")
    if sections.count:
        body.append(legend())
    body += sections.parts
    for o in rep.failed_obligations():
        body.append(f"<h3>Obligation <code>{esc(o.name)}</code> failed</h3>")
        body.append(pre(json.dumps(o.counterexample, indent=2, default=str).splitlines()))
    if rep.diffs and not rep.changed_diffs():
        body.append("<p>No state or transition differs from the baseline.</p>")
    body += [f"<p class=\"note\">note: {esc(x)}</p>" for x in rep.notes]
    body.append(f"<p><em>raftcheck audit, {rep.seconds:.1f} s; exit code "
                f"{rep.exit_code}.</em></p>")
    return page(title, body)


def kill_html(rows: list[KillRow], seconds: float) -> str:
    """`raftcheck audit --all`: the kill table, then the counterexample that caught each
    variant."""
    title = "raftcheck audit --all"
    body = [f"<h1>{esc(title)}</h1>"]
    table = [
        (f"`{r.name}`", r.verdict, r.caught_by or "-", _fmt_s(r.seconds_to_first_counterexample),
         "-" if r.counterexample_length is None else str(r.counterexample_length))
        for r in rows
    ]
    body.append(_table(("variant", "verdict", "caught by", "s to first counterexample",
                        "length"), table))
    whys = [r for r in rows if r.why]
    if whys:
        body.append("<p>No observable change:</p><ul>"
                    + "".join(f"<li><code>{esc(r.name)}</code>: {esc(r.why or '')}</li>"
                              for r in whys) + "</ul>")
    sections = _Sections()
    for r in rows:
        if r.trace is not None:
            sections.add(r.trace, f"{r.name}: {r.verdict}, caught by {r.caught_by or '-'}")
    if sections.count:
        body.append(legend())
    body += sections.parts
    body.append(f"<p><em>Total {seconds:.1f} s.</em></p>")
    return page(title, body)


def report_charts(rep: AuditReport) -> list[Chart]:
    """Every chart of a report, in the page's order (for --svg)."""
    traces = [tr for _e, _inv, tr in rep.broken()]
    traces += [t for _lo, _p, t in rep.broken_liveness() if t is not None]
    traces += [tr for d in rep.changed_diffs() for _side, tr in d.witnesses]
    return [c for c in (_chart(t) for t in traces) if c is not None]


def kill_charts(rows: list[KillRow]) -> list[Chart]:
    return [c for c in (_chart(r.trace) for r in rows if r.trace is not None) if c is not None]
