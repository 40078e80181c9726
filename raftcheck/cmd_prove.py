"""`raftcheck prove`: run the Z3 proof obligations of specs/obligations.py on a rule set.

Exit status: 0 when every obligation is proved, 1 when any failed, 2 on bad input (one line
on stderr). Register with `from raftcheck.cmd_prove import prove; main.add_command(prove)`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from model.rule_check import RuleError
from model.rules import RULE_SETS
from specs.obligations import (
    OBLIGATION_NAMES,
    ObligationResult,
    UnknownObligation,
    run_obligations,
)

MAX_VOTERS = 9


class _OneLineUsage(click.Command):
    """Report usage errors as one `raftcheck: error: ...` line on stderr, exit status 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            click.echo(f"raftcheck: error: {exc.format_message()}", err=True)
            ctx.exit(2)


def _bad_input(message: str) -> None:
    click.echo(f"raftcheck: error: {message}", err=True)
    raise click.exceptions.Exit(2)


def _format_value(v: Any) -> str:
    if isinstance(v, list):
        return "{" + ", ".join(str(x) for x in v) + "}"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_format_value(x)}" for k, x in v.items())
    return str(v)


def _print_text(results: list[ObligationResult], rules: str) -> None:
    for r in results:
        if r.status == "proved":
            click.echo(f"PROVED  {r.name}  ({r.seconds:.3f} s)")
            if r.witness is not None:
                click.echo(f"    without it: {_format_value(r.witness)}")
        else:
            click.echo(f"FAILED  {r.name}  ({r.seconds:.3f} s)")
            for key, v in (r.counterexample or {}).items():
                click.echo(f"    {key}: {_format_value(v)}")
    failed = sum(r.status == "failed" for r in results)
    total = sum(r.seconds for r in results)
    click.echo(
        f"{len(results) - failed} proved, {failed} failed "
        f"(rules {rules}, up to {MAX_VOTERS} voters, {total:.3f} s)"
    )


@click.command("prove", cls=_OneLineUsage)
@click.argument("names", nargs=-1, metavar="[NAME...]")
@click.option(
    "--rules",
    "rules_name",
    default="etcd-3.4",
    show_default=True,
    metavar="|".join(RULE_SETS),
    help="Rule set whose rule functions the obligations are proved over.",
)
@click.option("--rules-file", type=click.Path(path_type=Path), default=None,
              help="Prove the rules of a Python rules file (docs/AUDIT.md), on top of its "
                   "BASE (or of --rules when given).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.pass_context
def prove(ctx: click.Context, names: tuple[str, ...], rules_name: str, rules_file: Path | None,
          as_json: bool) -> None:
    """Prove the leader-election obligations (all, or the NAMEs given) with Z3."""
    rules = RULE_SETS.get(rules_name)
    if rules is None:
        _bad_input(f"unknown rule set {rules_name!r} (known: {', '.join(RULE_SETS)})")
        return
    if rules_file is not None:
        from model.rules_file import RulesFileError, load_rules_file

        explicit = ctx.get_parameter_source("rules_name") is ParameterSource.COMMANDLINE
        try:
            loaded = load_rules_file(rules_file, base=rules_name if explicit else None)
        except RulesFileError as exc:
            _bad_input(str(exc))
            return
        rules, rules_name = loaded.rules, f"{loaded.name} (on top of {loaded.base})"
    try:
        results = run_obligations(rules, list(names) or None, max_voters=MAX_VOTERS)
    except UnknownObligation as exc:
        _bad_input(str(exc))
        return
    except RuleError as exc:
        _bad_input(str(exc))
        return
    if as_json:
        click.echo(json.dumps({"obligations": [r.as_dict() for r in results]}, indent=2))
    else:
        _print_text(results, rules_name)
    if any(r.status == "failed" for r in results):
        raise click.exceptions.Exit(1)


# "\b" keeps click from rewrapping the list into the sentence before it.
prove.help = (prove.help or "") + "\n\n\b\nObligations:\n" + "\n".join(
    f"  {name}" for name in OBLIGATION_NAMES
)
