"""Direct access to the compiled core for the tests that drive it without explorer/fast.py
(checkpoint dumps, spilled states read back)."""

from __future__ import annotations

from typing import Any

from model.cluster import ClusterModel


def new_core(model: ClusterModel, *, fingerprint: bool) -> tuple[Any, Any]:
    """The model's core tables and a fresh core over them (symmetry on)."""
    from explorer import _fastcore  # type: ignore[attr-defined]

    names = [i.name for i in model.invariants()]
    tables = model.core_tables(names)
    return tables, _fastcore.Core(tables, *tables.layout, len(names), fingerprint, True)


def run_core(core: Any, model: ClusterModel, max_states: int = -1) -> dict[str, Any]:
    """One call of the core's serial search from the model's initial states, no other limit."""
    inits = [model.canonical(s) for s in model.init_states()]
    return core.run(inits, max_states, -1, -1.0, False, None, 1.0, -1)  # type: ignore[no-any-return]
