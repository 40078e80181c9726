"""`raftcheck audit --ray`: the audit's explorations on a local Ray cluster give the verdicts,
exit codes and JSON of the audit on one machine (rule-call counts, the inputs kept as examples
and which of two equally short counterexamples is shown may differ: each worker calls the
rules on the states it expands).

The local Ray cluster is the session's (conftest.py). Baseline records are not shared between
the audits compared (RAFTCHECK_CACHE_DIR empty), so both explore.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import pytest
from click.testing import CliRunner

from audit.on_ray import LOCAL_NOTE, RayTarget
from audit.runner import audit_rules, subject_from_variant
from model.variants import VARIANTS_BY_NAME
from raftcheck.cmd_audit import audit

if os.environ.get("RAFTCHECK_REQUIRE_RAY") == "1":
    import ray  # noqa: F401
else:
    pytest.importorskip("ray", reason="the distributed extra is not installed")

pytestmark = pytest.mark.usefixtures("ray_cluster")


@pytest.fixture(autouse=True)
def no_shared_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAFTCHECK_CACHE_DIR", "")
    monkeypatch.setenv("RAFTCHECK_AUDIT_BUDGET", "0")


def exploration_view(e: dict[str, Any]) -> tuple[Any, ...]:
    # a run stopped at its first violation holds the states seen so far (the distributed
    # search stops at the end of a round): its count is compared only for complete runs
    return (e["config"], e["distinct_states"] if e["complete"] else None, e["complete"],
            e["invariants"],
            sorted(Counter((c["title"], c["length"]) for c in e["counterexamples"]).items()),
            e["divergent_calls"] > 0)


def keys_of(o: Any, path: str = "") -> set[str]:
    """Every key path of a JSON value (lists: their items' keys)."""
    if isinstance(o, dict):
        return {f"{path}.{k}" for k in o} | {p for k, v in o.items()
                                           for p in keys_of(v, f"{path}.{k}")}
    if isinstance(o, list):
        return {p for v in o for p in keys_of(v, path + "[]")}
    return set()


def test_kill_mode_explorations_on_ray_give_the_local_verdict() -> None:
    subject = subject_from_variant(VARIANTS_BY_NAME["canvote-always"])
    kw: dict[str, Any] = dict(kill_mode=True, obligations=False, diff=False, liveness=False,
                              directed=False, budget=None)
    local = audit_rules(subject, (3,), **kw)
    dist = audit_rules(subject, (3,), ray=RayTarget("auto", 2), **kw)
    assert dist.verdict == local.verdict == "safety-broken"
    assert (dist.caught_by, dist.counterexample_length, dist.exit_code) == (
        local.caught_by, local.counterexample_length, local.exit_code)
    # (a run stopped at its first violation holds the states seen so far: the distributed
    # search stops at the end of a round, so that count differs)
    assert [(e.config, e.invariants, [len(t) for _, t in e.counterexamples])
            for e in dist.explorations] == [
        (e.config, e.invariants, [len(t) for _, t in e.counterexamples])
        for e in local.explorations]
    # the watch came back from the workers: the changed rule diverged there
    assert all(e.divergent_calls > 0 for e in dist.explorations)


@pytest.mark.slow  # two full audits of two variants (about 90 s on a loaded 2-core machine)
@pytest.mark.parametrize(("name", "code"), [("canvote-always", 1), ("lease-ignores-force", 0)])
def test_cli_audit_on_ray_has_the_local_verdict_exit_code_and_json(name: str,
                                                                   code: int) -> None:
    args = [name, "--nodes", "3", "--no-liveness", "--json"]
    local = CliRunner().invoke(audit, args)
    dist = CliRunner().invoke(audit, [*args, "--ray", "auto", "--ray-workers", "2"])
    assert local.exit_code == dist.exit_code == code, dist.output
    assert dist.stderr.strip().splitlines() == [LOCAL_NOTE]
    a, b = json.loads(local.stdout), json.loads(dist.stdout)
    assert keys_of(a) == keys_of(b)
    for key in ("verdict", "caught_by", "counterexample_length", "exit_code", "why", "diff",
                "unreached_inputs", "notes"):
        if key == "diff":
            assert [{k: v for k, v in d.items() if k != "seconds"} for d in a[key]] == [
                {k: v for k, v in d.items() if k != "seconds"} for d in b[key]]
        else:
            assert a[key] == b[key], key
    assert [exploration_view(e) for e in a["explorations"]] == [
        exploration_view(e) for e in b["explorations"]]
