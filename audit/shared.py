"""Baseline runs shared between audits: each configuration's baseline run, recorded once.

The model is deterministic in the rules' results. So if a changed rule answers as the
baseline's on every input the baseline's run of a configuration passed to it, the changed run
of that configuration makes the same calls, gets the same answers and *is* the baseline's run:
same states, same verdicts, no behaviour difference. An audit therefore needs to run a
configuration only where a changed rule differs on an input the baseline's run reached; the
other configurations take the baseline's recorded result.

A record holds, per rule, every distinct input the baseline's run passed to it (callables such
as the quorum passed to tallies are left out: their own calls are recorded under their name),
and the run's result. Records are kept on disk (`RAFTCHECK_CACHE_DIR`, default
~/.cache/raftcheck) under a key made of the configuration, the rule set's name and a digest of
the source of every package that decides a run (model, explorer, audit, specs, raftcheck), so
any code change starts afresh. Only the built-in rule sets (model.rules.RULE_SETS) are recorded:
their functions are part of that source. Only complete runs are shared.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.rules import RULE_NAMES, RULE_SETS, RuleSet

_ROOT = Path(__file__).resolve().parents[1]
_PACKAGES = ("model", "explorer", "audit", "specs", "raftcheck")
_DIGEST: str | None = None


def code_digest() -> str:
    global _DIGEST
    if _DIGEST is None:
        h = hashlib.sha256()
        for pkg in _PACKAGES:
            for path in sorted((_ROOT / pkg).rglob("*")):
                if path.suffix in (".py", ".c") and path.is_file():
                    h.update(str(path.relative_to(_ROOT)).encode())
                    h.update(path.read_bytes())
        _DIGEST = h.hexdigest()[:20]
    return _DIGEST


def cache_dir() -> Path | None:
    """Where records live; None when caching is off (RAFTCHECK_CACHE_DIR set to empty)."""
    env = os.environ.get("RAFTCHECK_CACHE_DIR")
    if env is not None:
        return Path(env) if env else None
    return Path.home() / ".cache" / "raftcheck"


def _path(kind: str, key: Any) -> Path | None:
    root = cache_dir()
    if root is None:
        return None
    name = hashlib.sha256(repr((kind, key)).encode()).hexdigest()[:32]
    return root / f"audit-{code_digest()}" / f"{kind}-{name}.pickle"


def load(kind: str, key: Any) -> Any:
    path = _path(kind, key)
    if path is None or not path.exists():
        return None
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except Exception:  # noqa: BLE001 - a damaged or foreign file is only a cache miss
        return None


def store(kind: str, key: Any, value: Any) -> None:
    path = _path(kind, key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            pickle.dump(value, f)
        tmp.replace(path)  # atomic: parallel audits never read half a record
    except OSError:
        pass  # a read-only home: no sharing, same results


def builtin(rules: RuleSet) -> bool:
    """A rule set whose functions are fixed by the source (so its records may be shared)."""
    return RULE_SETS.get(rules.name) is rules


@dataclass
class Recorder:
    """Collects the distinct inputs of every rule call."""

    inputs: dict[str, set[tuple[Any, ...]]] = field(default_factory=dict)

    def merge(self, other: Recorder) -> None:
        """Add the inputs another copy recorded (a Ray worker's, audit/on_ray.py); the sets
        are updated in place, as the rules' wrappers hold them."""
        for name, seen in other.inputs.items():
            self.inputs.setdefault(name, set()).update(seen)

    def rules(self, rules: RuleSet) -> RuleSet:
        def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
            seen = self.inputs.setdefault(name, set())

            @functools.wraps(fn)
            def w(*a: Any) -> Any:
                seen.add(tuple(x for x in a if not callable(x)))
                return fn(*a)

            return w

        return rules.with_rules(rules.name,
                                **{n: wrap(n, getattr(rules, n)) for n in RULE_NAMES})


def _call(rules: RuleSet, rule: str, args: tuple[Any, ...]) -> Any:
    if rule in ("tally_votes", "quorum_active"):
        return getattr(rules, rule)(*args, rules.quorum)
    return getattr(rules, rule)(*args)


def agrees(rules: RuleSet, baseline: RuleSet, changed: tuple[str, ...],
           inputs: dict[str, set[tuple[Any, ...]]]) -> int | None:
    """The number of recorded inputs checked when every changed rule answers as the baseline's
    on all of them (the changed run is the baseline's run), else None."""
    checked = 0
    for rule in changed:
        for args in inputs.get(rule, ()):
            checked += 1
            try:
                same = _call(rules, rule, args) == _call(baseline, rule, args)
            except Exception:  # noqa: BLE001 - a rule failing here fails in the run: run it
                return None
            if not same:
                return None
    return checked
