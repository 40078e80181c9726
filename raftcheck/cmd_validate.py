"""`raftcheck validate FILE_OR_DIR...`: are traces of real runs behaviours of the model?

Exit codes: 0 every trace valid, 1 some invalid, 2 bad input (a malformed line: file and line).
JSON: {"traces", "events", "valid" (the number of valid traces), "invalid": [{"file", "event",
"reason"}], "seconds", "events_per_second"}.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

TRACE_SUFFIXES = (".ndjson", ".jsonl")


def trace_files(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given; directories: their *.ndjson / *.jsonl files, recursively, sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.suffix in TRACE_SUFFIXES
                              and f.is_file()))
        elif p.exists():
            out.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or directory")
    return out


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--check-quorum", is_flag=True,
              help="etcd TracingEvent traces: the cluster ran with check-quorum (raftcheck's "
                   "own traces carry their configuration).")
def validate(paths: tuple[Path, ...], as_json: bool, check_quorum: bool) -> None:
    """Check NDJSON traces of real runs against the model (specs/HARNESS.md, "Traces"):
    raftcheck's own format or etcd-io/raft's TracingEvent."""
    from conformance.trace_formats import TraceFormatError, read_trace
    from conformance.validate import validate as check

    def bad(msg: str) -> None:
        click.echo(f"raftcheck: error: {' '.join(msg.split())}", err=True)
        sys.exit(2)

    start = time.perf_counter()
    try:
        files = trace_files(paths)
    except FileNotFoundError as e:
        bad(str(e))
    if not files:
        bad(f"no trace files ({', '.join('*' + s for s in TRACE_SUFFIXES)}) in "
            f"{', '.join(map(str, paths))}")
    events = 0
    valid = 0
    invalid: list[dict[str, object]] = []
    for f in files:
        try:
            trace = read_trace(f, check_quorum=check_quorum)
        except TraceFormatError as e:
            bad(str(e))
        out = check(trace)
        events += trace.size
        if out.valid:
            valid += 1
        else:
            invalid.append({"file": str(f), "event": out.event, "reason": out.reason})
    seconds = time.perf_counter() - start
    rate = events / seconds if seconds > 0 else 0.0
    if as_json:
        click.echo(json.dumps({
            "traces": len(files), "events": events, "valid": valid, "invalid": invalid,
            "seconds": round(seconds, 3), "events_per_second": round(rate, 1),
        }, indent=1))
    else:
        for item in invalid:
            click.echo(f"INVALID {item['file']}: {item['reason']}")
        click.echo(f"{len(files)} traces, {events} events: {valid} valid, {len(invalid)} "
                   f"invalid ({seconds:.2f}s, {rate:,.0f} events/s)")
    sys.exit(1 if invalid else 0)
