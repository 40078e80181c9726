"""`raftcheck audit --etcd-patch`: patches to etcd 3.4.23's raft package, built through an
overlay into a harness binary and explored through the EtcdBackend (audit/patch_audit.py).

Small configurations keep these to seconds; the system's etcd sources are never written."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from audit.configs import PATCH_EXTRAS, AuditConfig, base_config
from audit.patch_apply import etcd_raft_dir
from audit.patch_audit import audit_etcd_patch
from raftcheck.cli import main as cli

pytestmark = pytest.mark.etcd

PATCHES = Path(__file__).resolve().parents[2] / "audit" / "patches" / "etcd"
CQ2 = AuditConfig("2 voters, check-quorum", base_config(2, False, True))
PV_AHEAD = AuditConfig("3 voters, pre-vote, voter 3 ahead",
                       replace(base_config(3, True, False), init_terms=((3, 2),)))


def _digest() -> str:
    h = hashlib.sha256()
    for p in sorted(etcd_raft_dir().glob("*.go")):
        h.update(p.read_bytes())
    return h.hexdigest()


def _cli(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, ["audit", *args])
    return r.exit_code, r.stdout, r.stderr


def test_reset_clears_vote_reversal_is_safety_broken() -> None:
    before = _digest()
    rep = audit_etcd_patch(PATCHES / "reset-clears-vote.diff", (3,),
                           configs=[PATCH_EXTRAS["restart"]], kill_mode=True)
    assert rep.verdict == "safety-broken"
    assert rep.files == ["raft/raft.go"]
    assert _digest() == before  # the system's sources are untouched


def test_lease_reversal_changes_behaviour() -> None:
    rep = audit_etcd_patch(PATCHES / "no-lease.diff", (3,), configs=[CQ2])
    assert rep.verdict == "behaviour-changed"


def test_8525_reversal_changes_behaviour() -> None:
    rep = audit_etcd_patch(PATCHES / "lower-term-appresp-check-quorum-only.diff", (3,),
                           configs=[PV_AHEAD])
    assert rep.verdict == "behaviour-changed"


def test_comment_only_patch_is_no_change() -> None:
    rep = audit_etcd_patch(PATCHES / "comment-only.diff", (3,), configs=[PATCH_EXTRAS["logs"], CQ2])
    assert rep.verdict == "no-change"
    assert all(e.rule_calls > 0 and e.divergent_calls == 0 for e in rep.explorations)


def test_package_relative_patch_and_cli_json(tmp_path: Path) -> None:
    rel = tmp_path / "rel.diff"
    rel.write_text((PATCHES / "reset-clears-vote.diff").read_text().replace("/raft/raft.go",
                                                                             "/raft.go"))
    code, out, _err = _cli("--etcd-patch", str(rel), "--nodes", "3", "--stop-at-first",
                           "--json")
    assert code == 1
    data = json.loads(out)
    assert data["verdict"] == "safety-broken"
    assert data["patch"]["kind"] == "etcd" and data["patch"]["files"] == ["raft/raft.go"]


def test_patch_that_does_not_build_gives_the_compilers_first_error(tmp_path: Path) -> None:
    bad = tmp_path / "nobuild.diff"
    bad.write_text((PATCHES / "reset-clears-vote.diff").read_text().replace(
        "+\tr.Vote = None", "+\tr.Vote = Nothing"))
    code, out, err = _cli("--etcd-patch", str(bad))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert "does not build: raft/raft.go:" in lines[0] and "Nothing" in lines[0]


def test_patch_that_does_not_apply(tmp_path: Path) -> None:
    bad = tmp_path / "stale.diff"
    bad.write_text((PATCHES / "no-lease.diff").read_text().replace(
        "-\t\t\tinLease := r.checkQuorum", "-\t\t\tinLease := r.somethingElse"))
    code, out, err = _cli("--etcd-patch", str(bad))
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert "does not apply to raft/raft.go" in line and "hunk 2" in line


# -- liveness (audit/patch_liveness.py: absolute terms, the patched and the unpatched harness) --


def test_8525_prevote_reversal_is_liveness_broken() -> None:
    """A lower-term MsgPreVote dropped instead of rejected (PR 8525 reversed in raft.go)."""
    from audit.liveness import STALE_TERM

    rep = audit_etcd_patch(PATCHES / "lower-term-prevote-dropped.diff", (3,), configs=[],
                           liveness_configs=[STALE_TERM], diff=False)
    assert rep.verdict == "liveness-broken" and rep.exit_code == 1
    (lo, prop, tr), = rep.broken_liveness()
    assert prop == "EventuallyLeader" and lo.baseline[prop] == "held"
    assert tr is not None and tr.cycle_start is not None


def test_comment_only_patch_keeps_the_liveness_verdicts() -> None:
    from audit.liveness import LEARNER_CUT, STALE_TERM

    rep = audit_etcd_patch(PATCHES / "comment-only.diff", (3,), configs=[],
                           liveness_configs=[STALE_TERM, LEARNER_CUT])
    assert rep.verdict == "no-change"
    assert all(lo.divergent_calls == 0 and lo.verdicts == lo.baseline for lo in rep.liveness)
