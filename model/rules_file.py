"""Load a user's rules file (`raftcheck audit --rules-file my_rules.py`).

A rules file is a Python file that defines, at module level, any of the model's rule functions
by their `RuleSet` field names (`model.rules.RULE_NAMES`), each with the same number of
positional parameters as the rule it replaces. Optional module-level settings:

- `BASE = "seed"` or `"etcd-3.4"` (default `"etcd-3.4"`): the rule set the file changes;
- `NAME = "..."` (default: the file's stem): the name of the resulting rule set.

Convention: every public function defined in the file (name not starting with `_`) must be a
rule; helpers start with `_`. Functions imported from elsewhere are ignored unless their name
is a rule name (then they replace that rule). Anything else — a file that does not load, an
unknown rule name, a wrong signature, a bad `BASE` or `NAME`, no rule at all — raises
`RulesFileError` with a one-line message (the CLI exits 2). Each rule is wrapped by
`model.rule_check.checked`: a call that raises or returns a result of the wrong type raises
`RuleError` (also one line, exit 2). docs/AUDIT.md has an example.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from model.rule_check import checked
from model.rules import ETCD_34, RULE_NAMES, RULE_SETS, RuleSet

DEFAULT_BASE = ETCD_34.name


class RulesFileError(Exception):
    """A rules file that cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class LoadedRules:
    path: Path
    name: str
    base: str
    rules: RuleSet
    overridden: tuple[str, ...]


def _positional_count(fn: Callable[..., object]) -> tuple[int, int, bool]:
    """(required positional, total positional, has *args) of a function's signature."""
    sig = inspect.signature(fn)
    required = total = 0
    star = False
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            total += 1
            if p.default is p.empty:
                required += 1
        elif p.kind == p.VAR_POSITIONAL:
            star = True
        elif p.kind == p.KEYWORD_ONLY and p.default is p.empty:
            required += 10_000  # a required keyword-only parameter can never be passed
    return required, total, star


def check_signature(name: str, fn: object, where: str) -> None:
    """Raise RulesFileError unless `fn` can be called like the rule `name`."""
    if not callable(fn):
        raise RulesFileError(f"{where}: {name} must be a function, not {type(fn).__name__}")
    want = _positional_count(getattr(ETCD_34, name))[1]
    try:
        required, total, star = _positional_count(fn)
    except (TypeError, ValueError):
        return  # a builtin without a signature: accept, it fails loudly when called
    if required > want or (total < want and not star):
        plural = "s" if want != 1 else ""
        raise RulesFileError(
            f"{where}: rule {name} must take {want} positional argument{plural} "
            f"(like model.rules), it takes {total}"
        )


def _exec_module(path: Path) -> ModuleType:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    mod_name = f"raftcheck_rules_{digest}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise RulesFileError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module  # so that dataclasses/pickle inside the file work
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(mod_name, None)
        where = f"{path}:{exc.lineno}" if exc.lineno else str(path)
        raise RulesFileError(f"{where}: syntax error: {exc.msg}") from None
    except Exception as exc:  # noqa: BLE001 - any error in user code is a bad rules file
        sys.modules.pop(mod_name, None)
        detail = str(exc).splitlines()[0] if str(exc) else ""
        line = _user_line(exc, path)
        where = f"{path}:{line}" if line else str(path)
        raise RulesFileError(
            f"{where}: cannot load: {type(exc).__name__}{': ' + detail if detail else ''}"
        ) from None
    return module


def _user_line(exc: BaseException, path: Path) -> int | None:
    tb = exc.__traceback__
    line = None
    target = str(path.resolve())
    while tb is not None:
        if str(Path(tb.tb_frame.f_code.co_filename).resolve()) == target:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def load_rules_file(path: str | Path, base: str | None = None) -> LoadedRules:
    """Load `path` into a RuleSet. `base` (if given) overrides the file's BASE."""
    p = Path(path)
    if p.is_dir():
        raise RulesFileError(f"{p}: is a directory, not a rules file (give a .py file)")
    if not p.is_file():
        raise RulesFileError(f"{p}: no such file")
    if p.suffix != ".py":
        raise RulesFileError(f"{p}: a rules file must be a .py file")
    module = _exec_module(p)
    ns: dict[str, Any] = vars(module)

    file_base = ns.get("BASE", DEFAULT_BASE)
    if not isinstance(file_base, str) or file_base not in RULE_SETS:
        known = ", ".join(RULE_SETS)
        raise RulesFileError(f"{p}: BASE must be one of {known} (got {file_base!r})")
    chosen_base = base if base is not None else file_base
    if chosen_base not in RULE_SETS:
        known = ", ".join(RULE_SETS)
        raise RulesFileError(f"unknown baseline {chosen_base!r} (known: {known})")
    name = ns.get("NAME", p.stem)
    if not isinstance(name, str) or not name.strip() or "\n" in name:
        raise RulesFileError(f"{p}: NAME must be a non-empty one-line string")

    overrides: dict[str, Callable[..., object]] = {}
    for key, value in ns.items():
        if key in RULE_NAMES:
            check_signature(key, value, str(p))
            overrides[key] = checked(key, value, str(p))
        elif (
            inspect.isfunction(value)
            and value.__module__ == module.__name__
            and not key.startswith("_")
        ):
            raise RulesFileError(
                f"{p}: unknown rule {key!r} (rules are: {', '.join(sorted(RULE_NAMES))}; "
                f"name helpers with a leading underscore)"
            )
    if not overrides:
        raise RulesFileError(
            f"{p}: defines no rule (define one of: {', '.join(sorted(RULE_NAMES))})"
        )
    rules = RULE_SETS[chosen_base].with_rules(name, **overrides)
    return LoadedRules(p, name, chosen_base, rules, tuple(sorted(overrides)))
