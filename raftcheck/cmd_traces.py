"""`raftcheck traces --impl I --runs N --steps K --out DIR`: random runs of an implementation
(randomized election timers, a lossy network, restarts) written as NDJSON traces that
`raftcheck validate` reads (conformance/trace_gen.py).

Exit codes: 0 written, 2 bad input or a harness failure (one line).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import NoReturn

import click


@click.command("traces")
@click.option("--impl", "impl", type=str, default="python", show_default=True,
              help="python, etcd, 'cmd:PROGRAM [ARGS]' or module:package.module:factory.")
@click.option("--runs", type=int, default=10, show_default=True, help="Number of traces.")
@click.option("--steps", type=int, default=100, show_default=True, help="Events per trace.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory the traces are written to (trace-NNNNN.ndjson).")
@click.option("--nodes", type=int, default=3, show_default=True, help="Voters.")
@click.option("--election-timeout", type=int, default=3, show_default=True,
              help="ET in ticks (timers are drawn in [ET, 2 ET)).")
@click.option("--pre-vote", is_flag=True, help="Pre-vote on.")
@click.option("--check-quorum", is_flag=True, help="Check-quorum on.")
@click.option("--loss", type=float, default=0.1, show_default=True,
              help="Probability that a network step loses a message.")
@click.option("--seed", type=int, default=None, help="Random seed (printed).")
def traces(impl: str, runs: int, steps: int, out: Path, nodes: int, election_timeout: int,
           pre_vote: bool, check_quorum: bool, loss: float, seed: int | None) -> None:
    """Write NDJSON traces of random runs of an implementation."""
    from conformance.nodes import BackendUnavailable, HarnessFailure, make_backend
    from conformance.trace_gen import write_runs
    from model.config import ClusterConfig, ConfigError

    def bad(msg: str) -> NoReturn:
        click.echo(f"raftcheck: error: {' '.join(msg.split())}", err=True)
        sys.exit(2)

    if runs < 1 or steps < 1:
        bad("--runs and --steps must be at least 1")
    if not 0 <= loss < 1:
        bad("--loss must be in [0, 1)")
    try:
        cfg = ClusterConfig(voters=nodes, election_timeout=election_timeout, pre_vote=pre_vote,
                            check_quorum=check_quorum)
        cfg.validate()
    except ConfigError as e:
        bad(str(e))
    if impl not in ("python", "etcd") and not impl.startswith(("cmd:", "module:")):
        bad(f"unknown implementation {impl!r} (known: python, etcd, cmd:PROGRAM [ARGS], "
            "module:package.module:factory)")
    seed = random.randrange(1 << 32) if seed is None else seed
    click.echo(f"seed: {seed}", err=True)
    try:
        backend = make_backend(impl)
    except BackendUnavailable as e:
        bad(str(e))
    try:
        files = write_runs(backend, cfg, runs, steps, out, seed, loss)
    except (HarnessFailure, BackendUnavailable) as e:
        bad(str(e))
    finally:
        backend.close()
    click.echo(f"{len(files)} traces of {steps} events written to {out}")
