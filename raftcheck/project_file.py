"""Project settings: `[tool.raftcheck]` in pyproject.toml, or a raftcheck.toml, in the current
directory.

Each section holds defaults for one command, under the command's long option names (with `-` or
`_`); flags given on the command line override them::

    [tool.raftcheck.explore]          # in raftcheck.toml: [explore]
    nodes = 3
    pre-vote = true
    check-quorum = true
    max-msgs = 3
    rules-file = "ci/our_rules.py"    # relative to the file's directory

    [tool.raftcheck.conform]
    examples = 500

    [tool.raftcheck.audit]
    nodes = [3, 4]

`raftcheck check` explores the `explore` configuration and runs its conformance pass with the
lockstep settings of `conform`. An unknown section or key, or a value of the wrong type, is
bad input (one line, exit 2). The settings reach click through `Context.default_map`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import click

SECTIONS = ("explore", "conform", "audit")
FILE_NAMES = ("raftcheck.toml", "pyproject.toml")
# Options that make no sense as a project default.
NOT_SETTINGS = frozenset({"help", "version"})


class ProjectFileError(Exception):
    """A project file that cannot be used; the message is one line for the user."""


def find(directory: Path) -> Path | None:
    """raftcheck.toml in `directory`, else its pyproject.toml if that has [tool.raftcheck]."""
    own = directory / "raftcheck.toml"
    if own.is_file():
        return own
    py = directory / "pyproject.toml"
    if py.is_file() and "raftcheck" in _read(py).get("tool", {}):
        return py
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ProjectFileError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ProjectFileError(f"{path}: cannot read: {exc.strerror}") from None


def sections(path: Path) -> tuple[str, dict[str, dict[str, Any]]]:
    """(how the settings are addressed, section -> raw settings) of a project file."""
    data = _read(path)
    if path.name == "pyproject.toml":
        table, where = data.get("tool", {}).get("raftcheck", {}), f"{path} [tool.raftcheck]"
    else:
        table, where = data, str(path)
    if not isinstance(table, dict):
        raise ProjectFileError(f"{where}: must be a table of sections")
    out: dict[str, dict[str, Any]] = {}
    for name, body in table.items():
        if name not in SECTIONS:
            raise ProjectFileError(
                f"{where}: unknown section {name!r} (known: {', '.join(SECTIONS)})"
            )
        if not isinstance(body, dict):
            raise ProjectFileError(f"{where}: {name} must be a table of settings")
        out[name] = body
    return where, out


def _options(command: click.Command) -> dict[str, click.Option]:
    """Setting name -> option: each long option name, without dashes, with - or _."""
    names: dict[str, click.Option] = {}
    for param in command.params:
        if not isinstance(param, click.Option) or param.name in NOT_SETTINGS:
            continue
        for opt in param.opts:
            if opt.startswith("--"):
                key = opt[2:]
                names[key] = param
                names[key.replace("-", "_")] = param
    return names


def to_default_map(
    path: Path, commands: dict[str, click.Command]
) -> dict[str, dict[str, Any]]:
    """The click default_map of a project file: section -> {parameter name: value}."""
    where, raw = sections(path)
    out: dict[str, dict[str, Any]] = {}
    for section, settings in raw.items():
        command = commands[section]
        options = _options(command)
        ctx = click.Context(command)
        values: dict[str, Any] = {}
        for key, value in settings.items():
            param = options.get(key)
            if param is None:
                known = sorted(k for k in options if "_" not in k)
                raise ProjectFileError(
                    f"{where}: unknown setting {key!r} in [{section}] "
                    f"(known: {', '.join(known)})"
                )
            values[str(param.name)] = _value(param, value, path, ctx, f"{where} {section}.{key}")
        out[section] = values
    return out


def _value(param: click.Option, value: Any, path: Path, ctx: click.Context, what: str) -> Any:
    if param.is_flag and not param.multiple:
        if not isinstance(value, bool):
            raise ProjectFileError(f"{what}: must be true or false (got {value!r})")
        return value
    if param.multiple and not isinstance(value, list):
        value = [value]
    if not param.multiple and isinstance(value, list):
        # A list for a comma-separated option (faults, audit's nodes): join it.
        value = ",".join(str(v) for v in value)
    if isinstance(param.type, click.Path):
        items = value if param.multiple else [value]
        items = [str(path.parent / v) if not Path(str(v)).is_absolute() else v for v in items]
        value = items if param.multiple else items[0]
    try:
        return param.type_cast_value(ctx, value)
    except click.BadParameter as exc:
        raise ProjectFileError(f"{what}: {exc.format_message()}") from None


def load(
    explicit: Path | None, directory: Path, commands: dict[str, click.Command]
) -> tuple[Path | None, dict[str, dict[str, Any]]]:
    """(the project file used, its default_map); `explicit` is --project-file."""
    path = explicit if explicit is not None else find(directory)
    if path is None:
        return None, {}
    if not path.is_file():
        raise ProjectFileError(f"{path}: no such file")
    return path, to_default_map(path, commands)
