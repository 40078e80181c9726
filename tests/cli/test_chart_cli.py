"""--html / --svg / --markdown on explore, conform, replay and audit: the files hold every step
and arrow, and a bad path is one line and exit 2 before any work is done."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from impl import bugs
from raftcheck.cli import main

# A 7-step VoteOnce violation in well under a second (two drops, two messages left in flight).
CANVOTE = ["explore", "--nodes", "3", "--variant", "canvote-always", "--symmetry"]
LASSO = ["explore", "--liveness", "--variant", "learners-silent", "--nodes", "2", "--learners",
         "1", "--promoted-learners", "--partition", "2|1,3"]


def invoke(args: list[str]) -> Any:
    return CliRunner().invoke(main, args)


def steps_in(text: str, attr: str = "data-step") -> list[int]:
    return [int(x) for x in re.findall(rf'<g class="step[^"]*" id="[^"]+" {attr}="(\d+)"', text)]


def one_line_error(res: Any) -> str:
    assert res.exit_code == 2, res.output
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in res.output, res.stderr
    return lines[0]


def test_explore_writes_page_chart_and_markdown(tmp_path: Path) -> None:
    html, svg, md = tmp_path / "x.html", tmp_path / "x.svg", tmp_path / "x.md"
    res = invoke([*CANVOTE, "--html", str(html), "--svg", str(svg), "--markdown", str(md)])
    assert res.exit_code == 1, res.output
    assert f"HTML page written to {html}" in res.stdout
    assert f"SVG chart written to {svg}" in res.stdout
    trace_steps = [int(x) for x in re.findall(r"^ *(\d+): ", res.stdout, re.M) if int(x) > 0]
    n = max(trace_steps)
    page = html.read_text()
    assert steps_in(page) == list(range(1, n + 1))
    for k in range(n + 1):
        assert f'id="c0-step-{k}"' in page  # the numbered text trace beside the chart
    assert "VIOLATED: VoteOnce" in page and "canvote-always" in page
    root = ET.fromstring(svg.read_text().split("\n", 1)[1])
    ns = "{http://www.w3.org/2000/svg}"
    assert [g.get("data-step") for g in root.iter(f"{ns}g") if g.get("data-step")] == [
        str(k) for k in range(1, n + 1)]
    arrows = [g for g in root.iter(f"{ns}g") if g.get("data-arrow") is not None]
    sent = res.stdout.split("final state")[0].count("\n       sent ")
    assert len(arrows) == sent
    delivered_or_dropped = len(re.findall(r"^ *\d+: (deliver|drop) ", res.stdout, re.M))
    assert sum(1 for g in arrows if g.get("data-fate") in ("delivered", "dropped")) == (
        delivered_or_dropped)
    text = md.read_text()
    assert "```mermaid" in text and "sequenceDiagram" in text and "BROKE VoteOnce" in text


def test_explore_json_stdout_stays_one_object(tmp_path: Path) -> None:
    html = tmp_path / "x.html"
    res = invoke([*CANVOTE, "--json", "--html", str(html)])
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert data["violations"][0]["invariant"] == "VoteOnce"
    assert steps_in(html.read_text()) == list(range(1, data["violations"][0]["length"] + 1))


def test_explore_without_violation_writes_a_page_that_says_so(tmp_path: Path) -> None:
    html, svg = tmp_path / "ok.html", tmp_path / "ok.svg"
    res = invoke(["explore", "--nodes", "2", "--symmetry", "--html", str(html), "--svg",
                  str(svg)])
    assert res.exit_code == 0, res.output
    page = html.read_text()
    assert "OK: every invariant holds" in page and "No counterexample" in page
    assert "nothing to draw" in svg.read_text()


def test_liveness_lasso_page(tmp_path: Path) -> None:
    html = tmp_path / "lasso.html"
    res = invoke([*LASSO, "--html", str(html)])
    assert res.exit_code == 1, res.output
    page = html.read_text()
    assert 'class="cycle-band"' in page and "start of cycle" in page
    assert 'data-fate="lost"' in page  # campaigns address the cut links
    assert "EventuallyLeader" in page and "liveness run:" in page
    m = re.search(r"a prefix of (\d+) steps, then a cycle of (\d+) steps", res.stdout)
    assert m
    n = int(m.group(1)) + int(m.group(2))
    assert steps_in(page) == list(range(1, n + 1))


def _no_work(*_a: Any, **_k: Any) -> Any:
    raise AssertionError("the run started before the output path was checked")


@pytest.mark.parametrize("flag", ["--html", "--svg", "--markdown"])
@pytest.mark.parametrize("where", ["missing-dir", "a-directory"])
def test_explore_bad_path_fails_before_exploring(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, flag: str, where: str
) -> None:
    import raftcheck.cli
    import raftcheck.liveness_run

    monkeypatch.setattr(raftcheck.cli, "run_search", _no_work)
    monkeypatch.setattr(raftcheck.liveness_run, "liveness_graph", _no_work)
    path = tmp_path / "no" / "x.out" if where == "missing-dir" else tmp_path
    for args in (CANVOTE, LASSO):
        line = one_line_error(invoke([*args, flag, str(path)]))
        assert line.startswith("raftcheck: error: " + flag)
        assert ("does not exist" if where == "missing-dir" else "is a directory") in line


def test_same_file_twice_is_bad_input(tmp_path: Path) -> None:
    p = str(tmp_path / "x")
    assert "same file" in one_line_error(invoke([*CANVOTE, "--html", p, "--svg", p]))


def test_conform_and_replay_pages(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bugs.plant(monkeypatch, "quorum-floor")
    html, svg = tmp_path / "c.html", tmp_path / "c.svg"
    res = invoke(["conform", "--nodes", "3", "--examples", "50", "--seed", "1", "--trace-dir",
                  str(tmp_path), "--html", str(html), "--svg", str(svg), "--json"])
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    n = len(out["divergence"]["actions"])
    step = out["divergence"]["divergence"]["step"]
    page = html.read_text()
    assert steps_in(page) == list(range(1, n + 1))
    assert f'id="c0-row-{step}" data-step="{step}"' in page
    assert re.search(rf'<g class="step broken" id="c0-row-{step}"', page)  # highlighted
    assert "DIVERGENCE: " in page
    replayed = tmp_path / "r.html"
    res = invoke(["replay", out["trace_file"], "--html", str(replayed)])
    assert res.exit_code == 1 and f"HTML page written to {replayed}" in res.stdout
    assert steps_in(replayed.read_text()) == list(range(1, step + 1))


def test_conform_exhaustive_page(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bugs.plant(monkeypatch, "reset-clears-vote")
    html = tmp_path / "e.html"
    res = invoke(["conform", "--exhaustive", "--max-term", "1", "--max-msgs", "2",
                  "--trace-dir", str(tmp_path), "--html", str(html)])
    assert res.exit_code == 1, res.output
    page = html.read_text()
    assert steps_in(page) and "DIVERGENCE" in page


@pytest.mark.parametrize("cmd", ["conform", "replay", "audit"])
def test_other_commands_check_the_path_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cmd: str
) -> None:
    import conformance.run
    import conformance.trace
    import raftcheck.cmd_audit

    monkeypatch.setattr(conformance.run, "run_lockstep", _no_work)
    monkeypatch.setattr(conformance.trace, "replay", _no_work)
    monkeypatch.setattr(raftcheck.cmd_audit, "audit_rules", _no_work)
    trace = tmp_path / "t.json"
    trace.write_text(json.dumps({"config": {"voters": 3}, "actions": []}))
    bad = str(tmp_path / "missing" / "x.html")
    args = {"conform": ["conform", "--examples", "5"], "replay": ["replay", str(trace)],
            "audit": ["audit", "quorum-half"]}[cmd]
    line = one_line_error(invoke([*args, "--html", bad]))
    assert "--html" in line and "does not exist" in line


def test_audit_page_has_a_chart_per_counterexample(tmp_path: Path) -> None:
    html, svg = tmp_path / "a.html", tmp_path / "a.svg"
    res = invoke(["audit", "quorum-half", "--nodes", "3", "--no-diff", "--no-liveness",
                  "--json", "--html", str(html), "--svg", str(svg)])
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    cex = [(e["config"], c) for e in data["explorations"] for c in e["counterexamples"]]
    assert cex
    page = html.read_text()
    assert page.count('<section class="chart"') == len(cex)
    for i, (_cfg, c) in enumerate(cex):
        assert f'<section class="chart" id="c{i}"' in page
        assert f'data-steps="{c["length"]}"' in page
        assert f'<h2>Counterexample {i + 1}: {c["invariant"]}' in page
    assert "Verdict: safety-broken" in page and "<table>" in page
    assert svg.read_text().count('class="msc"') == len(cex)


def test_audit_all_page_has_each_variants_counterexample(tmp_path: Path) -> None:
    html = tmp_path / "all.html"
    # Every safety break of the catalogue is refuted by an obligation first (no chart); a
    # behaviour change is caught by a diff, whose witness is drawn.
    res = invoke(["audit", "--all", "--only", "lease-ignores-force,term-bump-on-pre-vote",
                  "--no-liveness", "--html", str(html)])
    assert res.exit_code == 1, res.output
    page = html.read_text()
    # An obligation caught term-bump-on-pre-vote: in the table, with no chart.
    assert "term-bump-on-pre-vote" in page and "obligation-failed" in page
    assert page.count('<section class="chart"') == 1
    assert "<h2>lease-ignores-force: behaviour-changed, caught by diff" in page
