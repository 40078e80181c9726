"""The HTML charts in a real browser: headless Chromium renders the pages that `explore --html`
and `audit --html` write; every step and arrow must be in the rendered DOM with a non-empty
layout box, and a screenshot must show the chart (not a blank page).

Needs `chromium` (Debian's package; .ci/run installs it). Without it the tests fail with the
install command, unless RAFTCHECK_SKIP_BROWSER=1, in which case they are skipped (and
``pytest -rs`` says so).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from raftcheck.chart.png import read_png
from raftcheck.cli import main

pytestmark = pytest.mark.browser

SKIP_ENV = "RAFTCHECK_SKIP_BROWSER"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WINDOW = (1600, 1200)


@pytest.fixture(scope="session")
def chromium() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1 and no Chromium on PATH: the browser test of the HTML "
                    "charts is SKIPPED")
    pytest.fail("Chromium not found (looked for " + ", ".join(BROWSERS) + "): run "
                "`apt-get install -y chromium` (as .ci/run does), or set "
                f"{SKIP_ENV}=1 to skip the browser test", pytrace=False)


def browse(chromium: str, page: Path, tmp: Path, *what: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.iterdir()))}"
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}",
           f"--window-size={WINDOW[0]},{WINDOW[1]}", *what, page.resolve().as_uri()]
    # The timeout only keeps a wedged browser from hanging the suite; nothing is timed.
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    return p


class Dom(HTMLParser):
    """What the chart tests look for in a dumped DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.body: dict[str, str] = {}
        self.ids: Counter[str] = Counter()
        self.sections: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "body":
            self.body = a
        if "id" in a:
            self.ids[a["id"]] += 1
        if tag == "section" and "chart" in a.get("class", ""):
            self.sections.append(a)


def write_page(args: list[str]) -> None:
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 1, res.output


def rendered(chromium: str, page: Path, tmp: Path) -> Dom:
    dom = Dom()
    dom.feed(browse(chromium, page, tmp, "--dump-dom").stdout)
    return dom


def check_dom(dom: Dom) -> None:
    """Every step and every arrow of every chart, laid out with a non-empty box."""
    assert dom.body.get("data-rendered") == "yes", "the page's script did not run"
    assert dom.sections
    steps = sum(int(s["data-steps"]) for s in dom.sections)
    arrows = sum(int(s["data-arrows"]) for s in dom.sections)
    assert steps > 0 and arrows > 0
    assert int(dom.body["data-svg-steps"]) == steps
    assert int(dom.body["data-laid-steps"]) == steps
    assert int(dom.body["data-svg-arrows"]) == arrows
    assert int(dom.body["data-laid-arrows"]) == arrows
    for s in dom.sections:
        cid, n = s["id"], int(s["data-steps"])
        for k in range(1, n + 1):
            assert dom.ids[f"{cid}-row-{k}"] == 1, (cid, k)  # in the chart
        for k in range(n + 1):
            assert dom.ids[f"{cid}-step-{k}"] == 1, (cid, k)  # in the text trace beside it
        for j in range(int(s["data-arrows"])):
            assert dom.ids[f"{cid}-arrow-{j}"] == 1, (cid, j)
    assert all(c == 1 for c in dom.ids.values())


def test_explore_page_renders(chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "vote-once.html"
    write_page(["explore", "--variant", "reset-clears-vote", "--max-msgs", "3", "--symmetry",
                "--html", str(page)])
    check_dom(rendered(chromium, page, tmp_path))

    shot = tmp_path / "shot.png"
    browse(chromium, page, tmp_path, f"--screenshot={shot}")
    img = read_png(shot.read_bytes())
    assert (img.width, img.height) == WINDOW
    colours: Counter[tuple[int, ...]] = Counter()
    for y in range(0, img.height, 2):
        for x in range(0, img.width, 2):
            colours[img.pixel(x, y)[:3]] += 1
    total = sum(colours.values())
    background = colours.most_common(1)[0][1]
    assert len(colours) >= 50, "the screenshot has almost no colours: blank?"
    assert total - background > total // 20, "almost every pixel is the background"

    def near(rgb: tuple[int, int, int], tol: int = 12) -> int:
        return sum(c for px, c in colours.items()
                   if all(abs(px[i] - rgb[i]) <= tol for i in range(3)))

    # The broken step's red row (#fecaca on white) and a campaigning lane (#2563eb).
    assert near((254, 204, 204)) > 1000
    assert near((37, 99, 235), 30) > 20


def test_lasso_page_renders(chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "lasso.html"
    write_page(["explore", "--liveness", "--variant", "learners-silent", "--nodes", "2",
                "--learners", "1", "--promoted-learners", "--partition", "2|1,3",
                "--html", str(page)])
    dom = rendered(chromium, page, tmp_path)
    check_dom(dom)
    assert dom.ids["c0-cycle"] == 1 and dom.ids["c0-cycle-mark"] == 1


def test_audit_page_renders(chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "audit.html"
    write_page(["audit", "quorum-half", "--nodes", "3", "--no-diff", "--no-liveness",
                "--html", str(page)])
    dom = rendered(chromium, page, tmp_path)
    check_dom(dom)
    assert len(dom.sections) >= 2  # one chart per broken configuration, ids kept apart
