"""`--html`, `--svg` and `--markdown`: where a command writes its charts.

Paths are checked before any work is done (a run can take minutes), so a bad path costs one
line and exit 2 at once; the files are written at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from raftcheck.chart.html import charts_page
from raftcheck.chart.mermaid import markdown_report
from raftcheck.chart.model import Chart
from raftcheck.chart.svg import render_svg_stack


def check_output_path(path: Path, flag: str) -> str | None:
    """Why `path` cannot be written (one line), or None."""
    if path.is_dir():
        return f"{flag}: {path} is a directory"
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        return f"{flag}: directory {parent} does not exist"
    if not parent.is_dir():
        return f"{flag}: {parent} is not a directory"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{flag}: cannot write {path} (permission denied)"
    if not path.exists() and not os.access(parent, os.W_OK):
        return f"{flag}: cannot create a file in {parent} (permission denied)"
    return None


@dataclass
class ChartOutputs:
    html: Path | None = None
    svg: Path | None = None
    markdown: Path | None = None

    @classmethod
    def pop(cls, kw: dict[str, Any]) -> ChartOutputs:
        """Take the options `chart_options` added out of a command's keyword arguments."""
        return cls(kw.pop("html", None), kw.pop("svg", None), kw.pop("markdown", None))

    def wanted(self) -> bool:
        return any(p is not None for p in (self.html, self.svg, self.markdown))

    def problem(self) -> str | None:
        """Why the paths cannot be written, checked up front; None when they can."""
        seen: dict[Path, str] = {}
        for flag, path in (("--html", self.html), ("--svg", self.svg),
                           ("--markdown", self.markdown)):
            if path is None:
                continue
            why = check_output_path(path, flag)
            if why:
                return why
            key = path.resolve()
            if key in seen:
                return f"{flag} and {seen[key]} name the same file {path}"
            seen[key] = flag
        return None

    def write(
        self,
        title: str,
        header: Sequence[str],
        verdict: str,
        charts: Sequence[Chart],
        summary: Sequence[str] = (),
        bad: bool | None = None,
        noun: str = "Counterexample",
    ) -> list[Path]:
        """Write every requested file; OSError if one cannot be written after all."""
        written = []
        if self.html is not None:
            self.html.write_text(
                charts_page(title, header, verdict, charts, summary, bad, noun), encoding="utf-8")
            written.append(self.html)
        if self.svg is not None:
            self.svg.write_text(render_svg_stack(list(charts)), encoding="utf-8")
            written.append(self.svg)
        if self.markdown is not None:
            self.markdown.write_text(
                markdown_report(title, list(header), verdict, list(charts)), encoding="utf-8")
            written.append(self.markdown)
        return written


def chart_options(markdown: bool = True) -> Callable[[Any], Any]:
    """Click options --html FILE, --svg FILE (and --markdown FILE)."""

    def deco(f: Any) -> Any:
        opts = [
            click.option("--html", type=click.Path(path_type=Path), default=None,
                         metavar="FILE",
                         help="Write the counterexamples as message sequence charts with their "
                              "numbered traces: one self-contained HTML page."),
            click.option("--svg", type=click.Path(path_type=Path), default=None,
                         metavar="FILE", help="Write the charts alone, as one SVG file."),
        ]
        if markdown:
            opts.append(click.option(
                "--markdown", type=click.Path(path_type=Path), default=None, metavar="FILE",
                help="Write a Markdown report: numbered traces and Mermaid sequence diagrams."))
        for opt in reversed(opts):
            f = opt(f)
        return f

    return deco


def explore_charts(model: Any, result: Any, lassos: Sequence[tuple[Any, Any, Any]] = ()
                   ) -> list[Chart]:
    """The charts of an exploration: each safety violation, then each liveness lasso
    (given as (liveness model, graph, lasso))."""
    from raftcheck.chart.sources import lasso_chart, violation_chart

    charts = [violation_chart(model, v) for v in result.violations]
    charts += [lasso_chart(lm, g, lasso) for lm, g, lasso in lassos]
    return charts


def require_writable(outputs: ChartOutputs) -> None:
    """Bad input (one line, exit 2 through the CLI's group) when a path cannot be written."""
    why = outputs.problem()
    if why is not None:
        raise click.UsageError(why)


def report_charts(
    outputs: ChartOutputs,
    title: str,
    header: Sequence[str],
    verdict: str,
    charts: Sequence[Chart],
    summary: Sequence[str] = (),
    *,
    quiet: bool = False,
    bad: bool | None = None,
    noun: str = "Counterexample",
) -> None:
    """Write the files and say so (not with --json, whose stdout is one object)."""
    try:
        written = outputs.write(title, header, verdict, charts, summary, bad, noun)
    except OSError as exc:
        raise click.UsageError(f"cannot write the charts: {exc.strerror or exc}") from None
    if not quiet:
        for path in written:
            click.echo(f"{_what(path, outputs)} written to {path}")


def _what(path: Path, outputs: ChartOutputs) -> str:
    if path == outputs.html:
        return "HTML page"
    if path == outputs.svg:
        return "SVG chart"
    return "Markdown report"


def write_explore(
    outputs: ChartOutputs,
    model: Any,
    result: Any,
    *,
    symmetry: bool,
    quiet: bool,
    lassos: Sequence[tuple[Any, Any, Any]] = (),
    header: Sequence[str] = (),
    verdict: str | None = None,
    summary: Sequence[str] | None = None,
) -> None:
    """The files of `raftcheck explore` (safety violations and liveness lassos)."""
    from raftcheck import render

    charts = explore_charts(model, result, lassos)
    head = [f"raftcheck explore: {render.config_line(model.cfg, symmetry)}", *header]
    if model.rules.name != model.cfg.rules:
        head.append(f"rules changed: {model.rules.name} (on top of {model.cfg.rules})")
    if verdict is None:
        verdict = render.verdict_line(result)
    if summary is None:
        summary = render.summary_table(result, model)
    report_charts(outputs, "raftcheck explore", head, verdict, charts, summary, quiet=quiet,
                  bad=bool(charts))
