"""The faster liveness code against figures recorded from the code before it (commit ab3351f,
`python bench/liveness_speed.py --record tests/liveness/data/liveness_parity.json
--raftcheck <that checkout's raftcheck>`): the same liveness graph sizes, action counts,
verdicts, property details, warnings and lassos, step by step, on configurations that run in
seconds (with and without partitions, a lossy link, a rejoin, and a broken variant)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from raftcheck.cli import main

# bench/ is not a package and must not go on sys.path (its module names would shadow others).
_spec = importlib.util.spec_from_file_location(
    "liveness_speed", Path(__file__).resolve().parents[2] / "bench" / "liveness_speed.py")
assert _spec is not None and _spec.loader is not None
_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_bench)
PARITY, parity_record = _bench.PARITY, _bench.parity_record

RECORDED = json.loads((Path(__file__).parent / "data" / "liveness_parity.json").read_text())


# Added after the recording: compared below with the other properties, not with the record.
NEWER = ("SettledLeaderStable",)


def current(args: list[str]) -> dict[str, Any]:
    res = CliRunner().invoke(main, ["explore", "--liveness", "--json", *args])
    out = json.loads(res.stdout)
    out["_exit"] = res.exit_code
    return recorded_part(parity_record(out))


def recorded_part(rec: dict[str, Any]) -> dict[str, Any]:
    """The record without the properties added since it was made (their lassos, verdicts,
    details and warnings)."""
    rec["invariants"] = {k: v for k, v in rec["invariants"].items() if k not in NEWER}
    props = rec["liveness"].get("properties")
    if props is not None:
        rec["liveness"]["properties"] = {k: v for k, v in props.items() if k not in NEWER}
    rec["lassos"] = [x for x in rec["lassos"] if x.get("invariant") not in NEWER]
    rec["warnings"] = [w for w in rec["warnings"] if not w.startswith(NEWER)]
    return rec


def test_a_newer_property_is_judged_but_left_out_of_the_comparison() -> None:
    res = CliRunner().invoke(main, ["explore", "--liveness", "--json",
                                    *RECORDED["chain-small"]["args"]])
    out = json.loads(res.stdout)
    assert out["invariants"]["SettledLeaderStable"] in ("held", "violated")
    assert "SettledLeaderStable" not in current(RECORDED["chain-small"]["args"])["invariants"]


def test_the_recorded_set_is_the_parity_set() -> None:
    assert sorted(RECORDED) == sorted(PARITY)
    assert any(r["lassos"] for r in RECORDED.values())
    assert any(r["liveness"]["bound_states"] for r in RECORDED.values())


@pytest.mark.parametrize("name", sorted(PARITY))
def test_same_graph_verdicts_and_lassos_as_before(name: str) -> None:
    want = RECORDED[name]
    got = current(want["args"])
    assert got["liveness"]["distinct_states"] == want["liveness"]["distinct_states"]
    assert got["liveness"]["transitions"] == want["liveness"]["transitions"]
    assert got["invariants"] == want["invariants"]
    assert [(x["invariant"], len(x["prefix"]), len(x["cycle"])) for x in got["lassos"]] == \
        [(x["invariant"], len(x["prefix"]), len(x["cycle"])) for x in want["lassos"]]
    assert {k: v for k, v in want.items() if k != "args"} == got


def test_a_changed_figure_fails_the_comparison() -> None:
    want = RECORDED["lossy-small"]
    got = current(want["args"])
    got["lassos"][-1]["cycle"].pop()
    assert {k: v for k, v in want.items() if k != "args"} != got
