"""Fixtures for the plug-in tests: tests/plugins/pyharness.py (a harness around impl/ speaking
specs/HARNESS.md, no Go needed) as a `cmd:` implementation, with switches for planted bugs and
misbehaviour."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PYHARNESS = HERE / "pyharness.py"


@pytest.fixture
def pyharness() -> Callable[..., str]:
    """`pyharness("--bug", "double-vote")` -> the `--impl` value running it."""

    def make(*args: str) -> str:
        return "cmd:" + shlex.join([sys.executable, str(PYHARNESS), *args])

    return make


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The repository is the current directory (`module:tests.plugins...` imports from it)."""
    monkeypatch.chdir(REPO)
    yield REPO

