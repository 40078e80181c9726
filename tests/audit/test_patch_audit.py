"""`raftcheck audit --impl-patch`: audits of patches to impl/ (audit/patch_audit.py).

The planted patches are historical etcd fixes re-applied in reverse (audit/patches/impl/);
small configurations keep the default suite fast (the audit's own configurations take a
minute or more per patch: `-m slow` and bench/audit_bench.py --patches).
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from audit.configs import PATCH_EXTRAS, AuditConfig, base_config
from audit.impl_explore import ImplClusterModel
from audit.patch_apply import patched_impl, unload
from audit.patch_audit import STEPS_RULE, audit_impl_patch
from conformance.nodes import PYTHON
from explorer.engines import run_search
from model.cluster import ClusterModel
from raftcheck.cli import main as cli

PATCHES = Path(__file__).resolve().parents[2] / "audit" / "patches" / "impl"
IMPL = Path(__file__).resolve().parents[2] / "impl"

CQ2 = AuditConfig("2 voters, check-quorum", base_config(2, False, True))
# Voter 3 starts a term ahead: the leader elected by 1 and 2 is behind it.
PV_AHEAD = AuditConfig("3 voters, pre-vote, voter 3 ahead",
                       replace(base_config(3, True, False), init_terms=((3, 2),)))
RESTART = PATCH_EXTRAS["restart"]
LOGS = PATCH_EXTRAS["logs"]


def _audit(name: str, configs: list[AuditConfig], **kw: object):  # type: ignore[no-untyped-def]
    return audit_impl_patch(PATCHES / f"{name}.diff", (3,), configs=configs, **kw)


# -- the explorer ------------------------------------------------------------------------------


@pytest.mark.parametrize("ac", [PATCH_EXTRAS["learner"], LOGS, CQ2, PV_AHEAD],
                         ids=lambda ac: ac.label)
def test_unpatched_impl_explores_exactly_the_models_states(ac: AuditConfig) -> None:
    """impl conforms to the model, so impl steps as the transition function give the model's
    reachable states and transitions, history included (the events are read off the steps)."""
    impl_res = run_search(ImplClusterModel(ac.cfg, PYTHON), symmetry=False, keep_going=True)
    model_res = run_search(ClusterModel(ac.cfg), symmetry=False, keep_going=True)
    assert impl_res.complete and model_res.complete
    assert impl_res.distinct_states == model_res.distinct_states
    assert impl_res.transitions == model_res.transitions
    assert impl_res.action_counts == model_res.action_counts
    assert all(v == "held" for v in impl_res.invariants.values())


def test_patched_copy_is_private_and_the_checkout_untouched(tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in IMPL.glob("*.py")}
    import impl.raft

    p = patched_impl(PATCHES / "reset-clears-vote.diff")
    try:
        assert p.name.startswith("_raftcheck_patched_impl_")
        assert sys.modules[p.name + ".raft"] is p.modules["raft"]
        assert sys.modules["impl.raft"] is impl.raft  # the real impl is back in place
        assert p.modules["raft"] is not impl.raft
        assert "self.vote = NONE" in (p.tree.package / "raft.py").read_text()
    finally:
        unload(p)
        p.tree.cleanup()
    assert {p.name: p.read_bytes() for p in IMPL.glob("*.py")} == before
    assert p.name not in sys.modules


# -- planted patches -----------------------------------------------------------------------------


def test_reset_clears_vote_reversal_is_safety_broken() -> None:
    rep = _audit("reset-clears-vote", [RESTART], kill_mode=True)
    assert rep.verdict == "safety-broken"
    assert rep.exit_code == 1
    (e, inv, tr), *_ = rep.broken()
    assert inv in ("VoteOnce", "OneLeaderPerTerm")
    # the restart resets at the same term and forgets the vote
    assert any(s.text.startswith("restart") for s in tr.steps)
    assert e.divergent_calls > 0


def test_lease_reversal_changes_behaviour_under_check_quorum() -> None:
    rep = _audit("no-lease", [CQ2])
    assert rep.verdict == "behaviour-changed"
    (d,) = rep.diffs
    assert d.diff.changed and d.witnesses
    assert {side for side, _ in d.witnesses} <= {"variant", "baseline"}


def test_lease_reversal_is_inert_without_check_quorum() -> None:
    rep = _audit("no-lease", [AuditConfig("2 voters", base_config(2, False, False))])
    assert rep.verdict == "no-change"
    assert rep.explorations[0].rule_calls > 0 and rep.explorations[0].divergent_calls == 0


def test_8525_reversal_changes_behaviour_with_pre_vote() -> None:
    rep = _audit("lower-term-appresp-check-quorum-only", [PV_AHEAD])
    assert rep.verdict == "behaviour-changed"
    steps = rep.differing_inputs()[STEPS_RULE]
    assert any("MsgApp" in s for s in steps)


@pytest.mark.parametrize("configs", [[LOGS, CQ2], [PV_AHEAD]], ids=["logs+cq2", "pv-ahead"])
def test_comment_only_patch_is_no_change(configs: list[AuditConfig]) -> None:
    rep = _audit("comment-only", configs)
    assert rep.verdict == "no-change"
    assert rep.exit_code == 0
    assert all(e.divergent_calls == 0 and e.rule_calls > 0 for e in rep.explorations)
    assert all(d.inert for d in rep.diffs)
    assert rep.why_no_change and "unpatched" in rep.why_no_change


def test_text_that_is_no_patch_is_refused(tmp_path: Path) -> None:
    from raftcheck.cli import main

    wrong = tmp_path / "notes.diff"
    wrong.write_text("this is the review comment, not the diff\n")
    res = CliRunner().invoke(main, ["audit", "--impl-patch", str(wrong)])
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0 and "not a patch: no file section" in res.stderr


def test_empty_patch_is_no_change(tmp_path: Path) -> None:
    empty = tmp_path / "empty.diff"
    empty.write_text("")
    rep = audit_impl_patch(empty, (3,), configs=[LOGS])
    assert rep.verdict == "no-change" and rep.empty
    assert rep.why_no_change and rep.why_no_change.startswith("the patch changes no file")


def test_package_relative_paths_apply(tmp_path: Path) -> None:
    rel = tmp_path / "rel.diff"
    rel.write_text((PATCHES / "reset-clears-vote.diff").read_text().replace("/impl/raft.py",
                                                                             "/raft.py"))
    rep = audit_impl_patch(rel, (3,), configs=[RESTART], kill_mode=True)
    assert rep.verdict == "safety-broken"
    assert rep.files == ["impl/raft.py"]


def test_a_patch_that_raises_breaks_impl_step_ok(tmp_path: Path) -> None:
    text = (PATCHES / "comment-only.diff").read_text().replace(
        "+        # (etcd commit 9d2a465: a reset at the same term keeps the vote.)",
        "+        assert term < 2, 'planted'")
    bad = tmp_path / "raises.diff"
    bad.write_text(text)
    rep = audit_impl_patch(bad, (3,), configs=[AuditConfig("2 voters", base_config(2, False,
                                                                                     False))])
    assert rep.verdict == "safety-broken"
    assert any(inv == "ImplStepOK" for _, inv, _ in rep.broken())
    assert rep.impl_errors and "AssertionError: planted" in rep.impl_errors[0]


# -- bad input -----------------------------------------------------------------------------------


def _cli(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, ["audit", *args])
    return r.exit_code, r.stdout, r.stderr


def _one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2, (code, out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("raftcheck: error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_missing_patch_file(tmp_path: Path) -> None:
    line = _one_line_error(*_cli("--impl-patch", str(tmp_path / "nope.diff")))
    assert "nope.diff: no such file" in line


def test_patch_that_does_not_apply_names_file_and_hunk(tmp_path: Path) -> None:
    text = (PATCHES / "reset-clears-vote.diff").read_text().replace(
        "-        if clears_vote_on_reset(self, term):", "-        if something_else(term):")
    bad = tmp_path / "stale.diff"
    bad.write_text(text)
    line = _one_line_error(*_cli("--impl-patch", str(bad)))
    assert "does not apply to impl/raft.py" in line and "hunk 1" in line


def test_corrupt_patch(tmp_path: Path) -> None:
    bad = tmp_path / "corrupt.diff"
    bad.write_text("--- a/impl/raft.py\n+++ b/impl/raft.py\n@@ -1,3 +1,3 @@\n-x\n")
    line = _one_line_error(*_cli("--impl-patch", str(bad)))
    assert "corrupt.diff" in line and "git apply" in line


def test_patch_that_does_not_import_gives_pythons_first_error(tmp_path: Path) -> None:
    text = (PATCHES / "reset-clears-vote.diff").read_text().replace(
        "+        self.vote = NONE", "+        self.vote = NONE)")
    bad = tmp_path / "syntax.diff"
    bad.write_text(text)
    line = _one_line_error(*_cli("--impl-patch", str(bad)))
    assert "does not import: impl/raft.py:" in line and "SyntaxError" in line


def test_patch_that_fails_at_import(tmp_path: Path) -> None:
    import difflib

    old = (IMPL / "quorum.py").read_text().splitlines(keepends=True)
    new = old + ["raise ImportError('planted at import')\n"]
    bad = tmp_path / "import.diff"
    bad.write_text("".join(difflib.unified_diff(old, new, "a/impl/quorum.py",
                                                "b/impl/quorum.py")))
    line = _one_line_error(*_cli("--impl-patch", str(bad)))
    assert f"impl/quorum.py:{len(new)}: ImportError: planted at import" in line


def test_patch_with_a_variant_is_refused() -> None:
    line = _one_line_error(*_cli("reset-clears-vote", "--impl-patch",
                                 str(PATCHES / "comment-only.diff")))
    assert "patch audit" in line


# -- the command -----------------------------------------------------------------------------------


def test_cli_stop_at_first_json_shape() -> None:
    code, out, _err = _cli("--impl-patch", str(PATCHES / "reset-clears-vote.diff"),
                           "--nodes", "3", "--stop-at-first", "--json")
    assert code == 1
    data = json.loads(out)
    # the rules audit's keys, plus `patch`
    for key in ("name", "baseline", "verdict", "caught_by", "seconds_to_first_counterexample",
                "counterexample_length", "exit_code", "explorations", "diff", "why"):
        assert key in data
    assert data["verdict"] == "safety-broken" and data["exit_code"] == 1
    assert data["baseline"] == "unpatched impl"
    assert data["patch"]["kind"] == "impl" and data["patch"]["files"] == ["impl/raft.py"]
    assert data["patch"]["differing_steps"]
    cex = data["explorations"][0]["counterexamples"][0]
    assert [s["step"] for s in cex["steps"]] == list(range(1, cex["length"] + 1))


def test_cli_text_report() -> None:
    code, out, _err = _cli("--impl-patch", str(PATCHES / "reset-clears-vote.diff"),
                           "--nodes", "3", "--stop-at-first")
    assert code == 1
    assert "changed files: impl/raft.py" in out
    assert "verdict: safety-broken" in out
    assert "  1: " in out  # a numbered trace


@pytest.mark.slow
@pytest.mark.parametrize("name,verdict", [
    ("comment-only", "no-change"),
    ("reset-clears-vote", "safety-broken"),
    # the lease of ed3d491 removed: its partial partition deposes a stable leader
    ("no-lease", "liveness-broken"),
    ("lower-term-appresp-check-quorum-only", "behaviour-changed"),
    ("lower-term-prevote-dropped", "liveness-broken"),
])
def test_full_audit_verdicts(name: str, verdict: str) -> None:
    """The audit's own configurations (3 voters and the extras), all checks, liveness
    configurations included."""
    code, out, _err = _cli("--impl-patch", str(PATCHES / f"{name}.diff"), "--nodes", "3",
                           "--json")
    data = json.loads(out)
    assert data["verdict"] == verdict
    assert code == (1 if verdict in ("safety-broken", "liveness-broken") else 0)


def test_etcd_patch_without_etcd_sources(monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    """No Go or no etcd sources: one line, exit 2 (whatever the patch)."""
    monkeypatch.setenv("RAFTCHECK_GOPATH", str(tmp_path / "no-gopath"))
    line = _one_line_error(*_cli("--etcd-patch", str(PATCHES.parent / "etcd" /
                                                     "no-lease.diff")))
    assert "--etcd-patch needs" in line and "etcdharness/build.sh" in line


def test_cli_markdown_report(tmp_path: Path) -> None:
    md = tmp_path / "pr.md"
    code, _out, _err = _cli("--impl-patch", str(PATCHES / "reset-clears-vote.diff"),
                            "--nodes", "3", "--stop-at-first", "--markdown", str(md))
    assert code == 1
    text = md.read_text()
    assert "against the unpatched code" in text and "Changed files: impl/raft.py" in text
    assert "```mermaid" in text


def test_patch_that_breaks_node_creation(tmp_path: Path) -> None:
    import difflib

    old = (IMPL / "rawnode.py").read_text().splitlines(keepends=True)
    k = next(i for i, x in enumerate(old) if "def __init__(self, config: Config)" in x)
    new = old[: k + 1] + ["        raise ValueError('planted in RawNode')\n"] + old[k + 1:]
    bad = tmp_path / "node.diff"
    bad.write_text("".join(difflib.unified_diff(old, new, "a/impl/rawnode.py",
                                                "b/impl/rawnode.py")))
    line = _one_line_error(*_cli("--impl-patch", str(bad), "--nodes", "3"))
    assert "cannot create the nodes" in line and "ValueError: planted in RawNode" in line


def test_cli_html_and_svg(tmp_path: Path) -> None:
    page, svg = tmp_path / "pr.html", tmp_path / "pr.svg"
    code, _out, _err = _cli("--impl-patch", str(PATCHES / "reset-clears-vote.diff"),
                            "--nodes", "3", "--stop-at-first", "--html", str(page),
                            "--svg", str(svg))
    assert code == 1
    text = page.read_text()
    assert "reset-clears-vote.diff against the unpatched code" in text
    assert "against etcd-3.4" not in text
    assert svg.read_text().lstrip().startswith("<")
