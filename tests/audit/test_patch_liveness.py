"""Liveness in patch audits (audit/patch_liveness.py): the liveness configurations on the
patched and the unpatched implementation, with absolute terms; and the per-step deadline of
`--impl-patch`.

Each test runs one or two small liveness configurations (well under a second each); the
audit's full set is in the slow tests of test_patch_audit.py and in bench/audit_bench.py.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import audit.impl_explore as impl_explore
from audit.configs import AuditConfig, base_config
from audit.liveness import (
    BRIDGE,
    CHECK_QUORUM_2,
    LEARNER_AHEAD,
    LEARNER_BEHIND,
    LEARNER_CUT,
    STALE_TERM,
)
from audit.patch_apply import PatchError
from audit.patch_audit import STEPS_RULE, audit_impl_patch
from audit.patch_liveness import AbsoluteLiveness, absolute_graph, impl_liveness_model
from conformance.nodes import PYTHON
from model.cluster import ClusterModel
from model.liveness import LivenessOptions
from raftcheck.cli import main as cli

PATCHES = Path(__file__).resolve().parents[2] / "audit" / "patches" / "impl"
IMPL = Path(__file__).resolve().parents[2] / "impl"


def _audit(name: str, liveness: list[AuditConfig], **kw: object):  # type: ignore[no-untyped-def]
    return audit_impl_patch(PATCHES / f"{name}.diff", (3,), configs=[],
                            liveness_configs=liveness, **kw)


@pytest.mark.parametrize("ac", [LEARNER_CUT, LEARNER_BEHIND, STALE_TERM, LEARNER_AHEAD],
                         ids=lambda ac: ac.label)
def test_unpatched_impl_gives_the_models_absolute_liveness_graph(ac: AuditConfig) -> None:
    """impl conforms to the model, so on the absolute-term graph impl steps reach the same
    states and transitions as the reference model's, with the same verdicts."""
    g_impl, v_impl = absolute_graph(impl_liveness_model(ac, PYTHON), None)
    g_model, v_model = absolute_graph(
        ClusterModel(ac.cfg, liveness=AbsoluteLiveness(LivenessOptions())), None)
    assert g_impl.complete and g_model.complete
    assert (len(g_impl), g_impl.transitions) == (len(g_model), g_model.transitions)
    assert v_impl.verdicts == v_model.verdicts
    # no bound state is needed for these to hold: each configuration's baseline is live
    assert set(v_impl.verdicts.values()) == {"held"}


def test_absolute_graph_keeps_terms_where_the_rules_graph_normalises() -> None:
    """The rules audit's graph shifts terms down (voter 1 starts at 1: the normal form starts
    at 1 too, but a later state is moved); the patch graph keeps every term as reached."""
    model = impl_liveness_model(STALE_TERM, PYTHON)
    g, _v = absolute_graph(model, None)
    terms = {nd[0] for st in g.states for nd in model.nodes(st)}
    assert max(terms) <= STALE_TERM.cfg.max_term and 3 in terms
    assert all(not g.label[e] & 8 for e in range(g.transitions))  # no SHIFT edge


def test_lower_term_prevote_dropped_patch_is_liveness_broken_with_a_lasso() -> None:
    """PR 8525 reversed in code: a lower-term MsgPreVote is dropped instead of rejected at the
    higher term, so a node left two terms ahead with a shorter log and the node with the log
    pre-campaign against each other forever (etcd issue #8501)."""
    rep = _audit("lower-term-prevote-dropped", [STALE_TERM], diff=False)
    assert rep.verdict == "liveness-broken" and rep.exit_code == 1
    assert rep.impl_steps > 0  # the liveness runs' implementation steps are counted
    (lo, prop, tr), = rep.broken_liveness()
    assert prop == "EventuallyLeader"
    assert lo.verdicts[prop] == "violated" and lo.baseline[prop] == "held"
    assert tr is not None and tr.cycle_start is not None and 1 < tr.cycle_start <= len(tr)
    # the differing step is the dropped answer
    assert any("MsgPreVote 1->2" in s and "unpatched [MsgPreVoteResp 2->1" in s
               for s in lo.divergent_inputs[STEPS_RULE])
    assert rep.caught_by and rep.caught_by.startswith("liveness [")


@pytest.mark.parametrize("name", ["comment-only", "lower-term-prevote-dropped"])
def test_live_configurations_where_the_patch_changes_nothing(name: str) -> None:
    """Where no step of the patched code differs, the run is the unpatched run: the verdicts
    are the baseline's and nothing is broken (the dropped pre-vote needs pre-vote and a
    lower-term request: a learner cut off without pre-vote never sends one)."""
    rep = _audit(name, [LEARNER_CUT, CHECK_QUORUM_2])
    assert rep.verdict == "no-change" and rep.exit_code == 0
    assert all(lo.complete and lo.rule_calls > 0 and lo.divergent_calls == 0
               and lo.verdicts == lo.baseline for lo in rep.liveness)
    assert rep.why_no_change and "unpatched" in rep.why_no_change


def test_comment_only_patch_stays_no_change_where_the_dropped_prevote_breaks() -> None:
    rep = _audit("comment-only", [STALE_TERM])
    assert rep.verdict == "no-change"
    assert rep.liveness[0].verdicts == rep.liveness[0].baseline


def test_a_patch_that_diverges_only_in_a_liveness_configuration_gets_it_diffed() -> None:
    """The behaviour diff covers a liveness configuration where steps differed."""
    rep = _audit("no-lease", [LEARNER_AHEAD])
    lo, = rep.liveness
    assert lo.divergent_calls > 0 and not lo.broken
    assert rep.verdict == "behaviour-changed"
    (d,) = rep.diffs
    assert d.config == LEARNER_AHEAD and d.directed and d.diff.changed and d.witnesses


@pytest.mark.slow
def test_lease_reversal_is_liveness_broken_in_the_partial_partition() -> None:
    """no-lease.diff (the lease of ed3d491 removed) was behaviour-changed before patch audits
    had liveness: in the bridge configuration the voter cut off from the leader deposes it."""
    rep = _audit("no-lease", [BRIDGE], diff=False)
    assert rep.verdict == "liveness-broken"
    (_lo, prop, tr), = rep.broken_liveness()
    assert prop == "LeaderStable" and tr is not None


def _small_cli(*args: str):  # type: ignore[no-untyped-def]
    """The CLI on the dropped-pre-vote patch, kept to the stale-term liveness configuration."""
    from audit import patch_audit

    orig = patch_audit.audit_backends

    def small(*a, **kw):  # type: ignore[no-untyped-def]
        kw.update(configs=[], liveness_configs=[STALE_TERM])
        return orig(*a, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(patch_audit, "audit_backends", small)
    try:
        return CliRunner().invoke(cli, ["audit", "--impl-patch",
                                        str(PATCHES / "lower-term-prevote-dropped.diff"),
                                        *args])
    finally:
        mp.undo()


def test_cli_text_and_markdown_show_the_lasso(tmp_path: Path) -> None:
    md = tmp_path / "pr.md"
    r = _small_cli("--no-diff", "--markdown", str(md))
    assert r.exit_code == 1, r.output
    out = r.stdout
    assert "verdict: liveness-broken" in out and "<<< start of cycle >>>" in out
    assert "(the same state): the cycle repeats forever" in out
    assert "terms shifted" not in out and "terms shifted" not in md.read_text()
    assert "liveness-broken" in md.read_text()


def test_cli_json_has_the_lasso() -> None:
    r = _small_cli("--json", "--no-diff")
    assert r.exit_code == 1, r.output
    data = json.loads(r.stdout)
    assert data["verdict"] == "liveness-broken"
    (live,) = data["liveness"]
    assert live["broken"] == ["EventuallyLeader"]
    cex = live["counterexamples"][0]
    assert cex["cycle_start"] and [s["step"] for s in cex["steps"]] == list(
        range(1, cex["length"] + 1))


# -- a patched step that never ends ------------------------------------------------------------


def _endless_loop_patch(tmp_path: Path) -> Path:
    """A patch whose reset loops forever once a node reaches term 2."""
    old = (IMPL / "raft.py").read_text().splitlines(keepends=True)
    k = next(i for i, x in enumerate(old) if "def reset(self, term: int)" in x)
    new = old[: k + 2] + ["        while term >= 2:\n", "            pass\n"] + old[k + 2:]
    bad = tmp_path / "loops.diff"
    bad.write_text("".join(difflib.unified_diff(old, new, "a/impl/raft.py", "b/impl/raft.py")))
    return bad


TWO = AuditConfig("2 voters", base_config(2, False, False))


def test_an_endless_step_stops_the_audit_naming_the_step(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(impl_explore, "STEP_TIMEOUT", 0.2)
    with pytest.raises(PatchError) as err:
        audit_impl_patch(_endless_loop_patch(tmp_path), (3,), configs=[TWO])
    text = str(err.value)
    assert "\n" not in text and "did not finish within 0.2 s" in text
    assert text.startswith("loops.diff: the patched impl's step (node ")
    assert "term 1" in text  # the node state it stepped from: the step moves it to term 2


def test_cli_endless_step_is_one_line_exit_2(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(impl_explore, "STEP_TIMEOUT", 0.2)
    r = CliRunner().invoke(cli, ["audit", "--impl-patch", str(_endless_loop_patch(tmp_path)),
                                 "--nodes", "3", "--stop-at-first"])
    assert r.exit_code == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("raftcheck: error: loops.diff: ")
    assert "did not finish within" in lines[0] and "Traceback" not in r.stderr


def test_the_deadline_does_not_touch_a_step_that_finishes() -> None:
    from audit.impl_explore import step_deadline

    with step_deadline(5.0):
        x = sum(range(1000))
    assert x == 499500
    with step_deadline(None):  # no deadline at all
        pass
