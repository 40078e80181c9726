"""`raftcheck conform --impl cmd:... --kit`: the conformance kit (conformance/kit.py).

Exit codes: 0 every case answered right, 1 some answered wrongly, 2 bad input.
"""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import click


def run_kit_command(impl: str, as_json: bool) -> NoReturn:
    from conformance.kit import KitError, run_kit
    from conformance.nodes import BackendUnavailable, make_backend

    def bad(msg: str) -> NoReturn:
        click.echo(f"raftcheck: error: {msg}", err=True)
        sys.exit(2)

    if not impl.startswith(("cmd:", "module:")):
        bad("--kit checks a plug-in harness: use it with --impl cmd:PROGRAM [ARGS]")
    try:
        backend = make_backend(impl)
    except BackendUnavailable as e:
        bad(" ".join(str(e).split()))
    try:
        report = run_kit(backend)
    except KitError as e:  # pragma: no cover - the kit's own cases are tested
        bad(f"conformance kit: {e}")
    finally:
        backend.close()
    failed = report.failed
    if as_json:
        click.echo(json.dumps({
            "impl": impl,
            "cases": len(report.results),
            "failed": len(failed),
            "results": [r.as_json() for r in report.results],
            "seconds": round(report.seconds, 3),
        }, indent=1))
    else:
        for r in report.results:
            click.echo(f"{'ok  ' if r.ok else 'FAIL'} {r.request:<44} {r.name}")
            for p in r.problems:
                click.echo(f"       {p}")
        click.echo(f"{len(report.results) - len(failed)}/{len(report.results)} cases answered "
                   f"as the model does ({report.seconds:.1f}s)")
        if failed:
            wrong = sorted({r.request for r in failed})
            click.echo(f"requests answered wrongly: {', '.join(wrong)}")
    sys.exit(1 if failed else 0)
