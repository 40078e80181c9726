"""Every `raftcheck ...` command in the code blocks of README.md and docs/*.md still works
(issue 13, defect 7), so the documentation cannot drift from the CLI again.

Every command is parsed by the real click command (unknown options, bad option values and
missing arguments fail here). The fast ones then run in full in a scratch directory, must not
end in bad input (exit 2) or a traceback, and must print what their comment promises
(`# OK (19,722 states)`, `# VoteOnce, 11 steps`). The slow ones, listed in SLOW with the
reason, are exercised cheaply instead: an `explore` runs with `--max-states 1000`, an `audit`
must name a known variant or rule set; those needing the etcd harness are parsed only.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import click
import pytest

from model.rules import RULE_SETS
from model.variants import VARIANTS_BY_NAME
from raftcheck.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RULES_FILE = ROOT / "tests" / "audit" / "rules" / "good_rules.py"

ETCD = "needs the etcd harness (bash etcdharness/build.sh)"
RAY = "needs a Ray cluster (tests/distributed runs the search on one)"
# command (as written, without "raftcheck ") -> why it is not run in full here
SLOW: dict[str, str] = {
    "check": "about a minute: explore, every proof, a conformance pass",
    "explore --pre-vote --check-quorum --max-msgs 3 --ray auto": RAY,
    "explore --nodes 5 --pre-vote --check-quorum --ray 10.0.0.5:6379 --ray-workers 64": RAY,
    "explore --nodes 3 --pre-vote --check-quorum": "half a minute (14 million states)",
    "explore --nodes 5 --pre-vote --check-quorum": "minutes",
    "explore --nodes 5 --pre-vote --check-quorum --symmetry --checkpoint run5 --time-limit 3600":
        "an hour",
    "explore --nodes 5 --pre-vote --check-quorum --symmetry --resume run5": "hours",
    "explore --liveness --pre-vote --partition 1-3": "minutes",
    "explore --liveness --partition 3|1,2 --partition-faults 1": "about a minute",
    "explore --liveness --lossy 1-3": "about a minute",
    "conform --impl etcd --nodes 3 --examples 1000": ETCD,
    "conform --impl etcd --exhaustive --symmetry": ETCD,
    "conform --impl etcd --examples 300 --seed 7 --conf-changes 1 --learners 1": ETCD,
    "audit seed --against etcd-3.4 --markdown report.md": "a full audit: minutes",
    "audit seed --against etcd-3.4": "a full audit: minutes",
    "audit canvote-ignores-leader": "a full audit: half a minute or more",
    "audit reset-clears-vote": "a full audit: half a minute or more",
    "audit --rules-file my_rules.py --against etcd-3.4": "a full audit: half a minute or more",
    "audit --rules-file my_rules.py --nodes 3": "a full audit: half a minute",
    "audit quorum-half --nodes 3 --markdown pr.md": "a full audit: half a minute",
    "audit quorum-half --json": "a full audit: most of a minute",
    "audit --all --json": "the whole catalogue: ten minutes",
    "audit --all --jobs 2 --json": "the whole catalogue: minutes",
    "audit --impl-patch audit/patches/impl/reset-clears-vote.diff":
        "a full patch audit: a minute or more",
    "audit --impl-patch audit/patches/impl/no-lease.diff --nodes 3":
        "a full patch audit: a minute or more",
    "audit --impl-patch audit/patches/impl/lower-term-prevote-dropped.diff --nodes 3":
        "a full patch audit: a minute or more",
    "audit --impl-patch audit/patches/impl/no-lease.diff --nodes 3 --stop-at-first":
        "a patch audit: a minute",
    "audit --etcd-patch audit/patches/etcd/no-lease.diff --nodes 3 --json": ETCD,
    "audit --etcd-patch audit/patches/etcd/reset-clears-vote.diff --nodes 3 --all-diffs "
    "--markdown pr.md": ETCD,
    "audit --etcd-patch audit/patches/etcd/lower-term-appresp-check-quorum-only.diff --nodes 3":
        ETCD,
}


def _raftcheck_segments(line: str) -> list[list[str]]:
    """The raftcheck invocations on one shell line (`a && b`), as argument lists."""
    out = []
    for segment in line.split("&&"):
        # `[--opt]` marks an optional part: check it as if it were given.
        segment = re.sub(r"\[(--[^\]]*)\]", r"\1", segment)
        words = shlex.split(segment, comments=True)
        if words and (words[0] == "raftcheck" or words[0].endswith("/raftcheck")):
            out.append(words[1:])
    return out


def doc_commands() -> list[tuple[str, list[str], str]]:
    """(where, arguments, the line's trailing comment) of every documented raftcheck command."""
    found = []
    for doc in DOCS:
        in_block, pending = False, ""
        for number, raw in enumerate(doc.read_text().splitlines(), 1):
            if raw.lstrip().startswith("```"):
                in_block = not in_block
                continue
            if not in_block:
                continue
            if raw.rstrip().endswith("\\"):
                pending += raw.rstrip()[:-1] + " "
                continue
            line, pending = pending + raw, ""
            comment = line.split("#", 1)[1].strip() if "  #" in line else ""
            for args in _raftcheck_segments(line):
                found.append((f"{doc.name}:{number}", args, comment))
    return found


COMMANDS = doc_commands()


def key(args: list[str]) -> str:
    return " ".join(args)


def test_docs_show_commands_and_the_slow_list_is_current() -> None:
    keys = {key(args) for _, args, _ in COMMANDS}
    assert len(keys) > 20
    stale = sorted(set(SLOW) - keys)
    assert not stale, f"SLOW names commands the docs no longer show: {stale}"


def parses(args: list[str]) -> dict[str, object]:
    """Let click parse the command line exactly as `raftcheck` would, without running it;
    the command's parameters."""
    with main.make_context("raftcheck", list(args)) as ctx:
        with warnings.catch_warnings():  # protected_args: deprecated in click 8.2, still used
            warnings.simplefilter("ignore", DeprecationWarning)
            rest = [*ctx.protected_args, *ctx.args]
        name, cmd, sub_args = main.resolve_command(ctx, rest)
        assert cmd is not None and name is not None
        return dict(cmd.make_context(name, sub_args, parent=ctx).params)


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A directory with what the documented commands read: docs/, a rules file and the
    example harness (tests/plugins)."""
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    (tmp_path / "audit").mkdir()
    (tmp_path / "audit" / "patches").symlink_to(ROOT / "audit" / "patches")
    shutil.copy(RULES_FILE, tmp_path / "my_rules.py")
    (tmp_path / "tests").mkdir()  # the example harness of "Plug in your own implementation"
    (tmp_path / "tests" / "plugins").symlink_to(ROOT / "tests" / "plugins")
    return tmp_path


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "raftcheck.cli", *args], capture_output=True, text=True,
        timeout=600, cwd=cwd,
    )


def check_promise(comment: str, p: subprocess.CompletedProcess[str]) -> None:
    """The output a command's comment states, e.g. `OK (19,722 states)`."""
    ok = re.match(r"OK \(([\d,]+) states\)", comment)
    if ok:
        assert p.returncode == 0, p.stderr
        row = next(ln for ln in p.stdout.splitlines() if ln.startswith("distinct states"))
        assert row.split()[-1] == ok.group(1), row
    broken = re.match(r"(\w+), (\d+) steps", comment)
    if broken:
        assert p.returncode == 1, p.stderr
        assert f"Invariant {broken.group(1)} violated" in p.stdout
        assert f"Shortest trace ({broken.group(2)} steps)" in p.stdout


@pytest.mark.parametrize(
    ("where", "args", "comment"), COMMANDS, ids=[f"{w} {key(a)}" for w, a, _ in COMMANDS]
)
def test_documented_command(where: str, args: list[str], comment: str, scratch: Path) -> None:
    try:
        params = parses(args)
    except click.ClickException as exc:
        pytest.fail(f"{where}: raftcheck {key(args)}: {exc.format_message()}")
    reason = SLOW.get(key(args))
    if reason is None:
        p = run(args, scratch)
        assert p.returncode in (0, 1), f"{where}: exit {p.returncode}: {p.stderr[-1500:]}"
        assert "Traceback" not in p.stderr
        check_promise(comment, p)
    elif reason == RAY:
        return  # parsed above; the distributed search has its own tests
    elif reason == ETCD:
        for opt in ("impl_patch", "etcd_patch"):
            if params.get(opt) is not None:
                assert (ROOT / str(params[opt])).is_file(), f"{where}: no patch {params[opt]}"
        return  # parsed above; running it needs Go and Debian's etcd sources
    elif args[0] == "explore":
        if "--resume" in args:  # first the run it continues, cut short
            i = args.index("--resume")
            first = run([*args[:i], "--checkpoint", *args[i + 1 :], "--max-states", "500"],
                        scratch)
            assert first.returncode == 3, f"{where}: exit {first.returncode}: {first.stderr}"
        p = run([*args, "--max-states", "1000"], scratch)
        assert p.returncode in (0, 1, 3), f"{where}: exit {p.returncode}: {p.stderr[-1500:]}"
        assert "Traceback" not in p.stderr
    elif args[0] == "audit":
        variant = params["variant"]
        if variant is not None:
            assert variant in VARIANTS_BY_NAME or variant in RULE_SETS, (
                f"{where}: unknown audit variant {variant!r}"
            )
        for opt in ("impl_patch", "etcd_patch"):
            if params.get(opt) is not None:
                assert (ROOT / str(params[opt])).is_file(), f"{where}: no patch {params[opt]}"
        only = params["only"]
        for name in str(only or "").split(","):
            assert not name or name in VARIANTS_BY_NAME, f"{where}: unknown variant {name!r}"
    elif args[0] != "check":  # check takes no argument that parsing leaves unchecked
        pytest.fail(f"{where}: no cheap way to exercise slow command {key(args)!r}")
