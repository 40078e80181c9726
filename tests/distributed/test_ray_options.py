"""`explore --ray` options that are bad input: one line on stderr, exit 2, no Ray needed."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from raftcheck.cli import main

QUICK = ["explore", "--bounds", "quick"]


def run(args: list[str]) -> tuple[int, str]:
    r = CliRunner().invoke(main, QUICK + args)
    return r.exit_code, r.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--ray-workers", "2"], "--ray-workers needs --ray"),
        (["--ray", "auto", "--workers", "2"], "--ray-workers sets the number of workers"),
        (["--ray", "auto", "--engine", "reference"], "compiled core"),
        (["--ray", "auto", "--liveness"], "--ray does not apply with --liveness"),
        (["--ray", " "], "--ray needs auto or the address"),
    ],
)
def test_options_that_do_not_combine_with_ray(args: list[str], says: str) -> None:
    code, err = run(args)
    assert code == 2
    assert says in err and len(err.strip().splitlines()) == 1, err


def test_a_single_machine_checkpoint_is_not_resumed_on_ray(tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    code, _ = run(["--max-term", "2", "--checkpoint", str(ck), "--max-states", "3000"])
    assert code == 3 and (ck / "meta.json").exists()
    code, err = run(["--max-term", "2", "--ray", "auto", "--resume", str(ck)])
    assert code == 2 and "a checkpoint of a run on one machine: resume it without --ray" in err
    assert len(err.strip().splitlines()) == 1, err
    code, err = run(["--ray", "auto", "--resume", str(tmp_path / "none")])
    assert code == 2 and "no such directory" in err and len(err.strip().splitlines()) == 1


def test_without_the_extra_ray_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    code, err = run(["--ray", "auto"])
    assert code == 2
    assert "raftcheck[distributed]" in err and len(err.strip().splitlines()) == 1, err
