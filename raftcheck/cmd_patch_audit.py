"""`raftcheck audit --impl-patch FILE` / `--etcd-patch FILE` (called from cmd_audit).

Exit codes as the rules audit: 1 safety-broken or liveness-broken, 0 behaviour-changed /
differs-unreached / no-change, 2 bad input (a missing file, a patch that does not apply,
import or build, no Go for an etcd patch, a patched step that does not finish within its
time: one line on stderr).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from audit.patch_apply import PatchError
from audit.patch_audit import STEPS_RULE, PatchReport, audit_etcd_patch, audit_impl_patch
from conformance.nodes import BackendUnavailable, HarnessFailure

EXIT_USAGE = 2
# A patch's liveness graph keeps absolute terms (audit/patch_liveness.py): a lasso's cycle
# returns to the very state it started from.
SHIFTED, SAME = "(terms shifted)", "(the same state)"


def _usage(message: str) -> NoReturn:
    click.echo(f"raftcheck: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def patch_report_text(rep: PatchReport) -> list[str]:
    """The rules audit's text report, worded for a patch (implementation steps, not rules)."""
    from audit.render import report_text

    what = "impl/" if rep.kind == "impl" else "etcd's raft package"
    out: list[str] = []
    for line in report_text(rep):
        if line.startswith("audit ") and not out:
            line = f"audit {rep.patch_file} (a patch to {what}) against the unpatched code"
        elif line.startswith("  changed rules: "):
            line = f"  changed files: {', '.join(rep.files) or '(none)'}"
        elif line.startswith("explorations (symmetry on"):
            line = ("explorations of the patched implementation (symmetry off; bounds per "
                    "configuration):")
        elif line.strip().startswith("changed rules: ") and " calls, " in line:
            e_calls, rest = line.strip()[len("changed rules: "):].split(" calls, ", 1)
            differ = rest.split(" with a result", 1)[0]
            first = rest.split("(first: ", 1)[1].rstrip(")") if "(first: " in rest else ""
            line = (f"      implementation steps: {e_calls} distinct, also run on the "
                    f"unpatched code; {differ} differ" + (f" (first: {first})" if first else ""))
        elif line.startswith("behaviour diff against "):
            line = "behaviour diff against the unpatched implementation (abstract states):"
        elif "identical: the changed rules returned" in line:
            line = line.split("]", 1)[0] + "] identical: every step of this configuration's " \
                "run gave the unpatched result"
        for old, new in (("only in variant", "only patched"),
                         ("only in baseline", "only unpatched"),
                         ("reachable only under the variant", "reachable only with the patch"),
                         ("reachable only under the baseline", "reachable only without it"),
                         # patch liveness graphs keep absolute terms (audit/patch_liveness.py)
                         (SHIFTED, SAME),
                         ("holds it):", "holds it; absolute terms):")):
            line = line.replace(old, new)
        out.append(line)
    return out


def patch_markdown(rep: PatchReport, text: str) -> str:
    """The rules audit's Markdown report, worded for a patch."""
    lines = text.splitlines()
    out = []
    for line in lines:
        if line.startswith("## raftcheck audit: "):
            line = f"## raftcheck audit: `{rep.patch_file}` against the unpatched code"
        elif line.startswith("Changed rules: "):
            line = f"Changed files: {', '.join(rep.files) or '(none)'}"
        elif line.startswith("Extra configurations run for the changed rules"):
            line = "Extra configurations (every one runs for a patch):"
        out.append(line.replace(SHIFTED, SAME))
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def patch_report_json(rep: PatchReport) -> dict[str, Any]:
    """The rules audit's JSON object plus a `patch` object (keys are only added)."""
    from audit.render import report_json

    out = report_json(rep)
    out["patch"] = {
        "kind": rep.kind,
        "file": rep.patch_file,
        "files": rep.files,
        "empty": rep.empty,
        "impl_steps": rep.impl_steps,
        "impl_errors": rep.impl_errors,
        "differing_steps": rep.differing_inputs().get(STEPS_RULE, []),
    }
    return out


def run_patch_audit(
    impl_patch: Path | None,
    etcd_patch: Path | None,
    nodes: tuple[int, ...] | None,
    *,
    stop_at_first: bool,
    no_diff: bool,
    as_json: bool,
    markdown: Path | None,
    progress: Callable[[str], None],
    write: Callable[[Path, str], None],
    all_diffs: bool = False,
    pages: Callable[[PatchReport, Callable[[str], str]], None] | None = None,
    liveness: bool = True,
) -> NoReturn:
    from audit.configs import DEFAULT_NODES

    if impl_patch is not None and etcd_patch is not None:
        _usage("give either --impl-patch or --etcd-patch, not both")
    kw: dict[str, Any] = {"kill_mode": stop_at_first, "diff": not no_diff,
                          "progress": progress, "all_diffs": all_diffs, "liveness": liveness}
    try:
        if impl_patch is not None:
            rep = audit_impl_patch(impl_patch, nodes or DEFAULT_NODES, **kw)
        else:
            assert etcd_patch is not None
            rep = audit_etcd_patch(etcd_patch, nodes or DEFAULT_NODES, **kw)
    except PatchError as exc:
        _usage(str(exc).splitlines()[0] if str(exc) else "the patch cannot be audited")
    except (BackendUnavailable, HarnessFailure) as exc:
        # The (patched) harness process crashed or hung: no verdict, one line.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _usage(f"the etcd harness failed during the audit: {first}")
    if markdown is not None:
        from audit.render import report_markdown

        write(markdown, patch_markdown(rep, report_markdown(rep)))
    if pages is not None:
        # --html / --svg: the rules audit's page, its title naming the unpatched code.
        base = rep.subject.baseline.name
        pages(rep, lambda page: page.replace(f"{rep.patch_file} against {base}",
                                             f"{rep.patch_file} against the unpatched code")
              .replace(SHIFTED, SAME))
    if as_json:
        click.echo(json.dumps(patch_report_json(rep), indent=2, default=str))
    else:
        click.echo("\n".join(patch_report_text(rep)))
    sys.exit(rep.exit_code)
