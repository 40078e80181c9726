"""The interface between a model and the checker (after Stateright's `Model` trait).

The explorer knows nothing else about the system it explores: states and actions are opaque
hashable values, invariants are named statements that the model evaluates.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

S = TypeVar("S", bound=Hashable)
A = TypeVar("A")


@dataclass(frozen=True)
class Invariant:
    """A named safety property with a one-line statement."""

    name: str
    statement: str


class Model(Protocol[S, A]):
    def init_states(self) -> Iterable[S]:
        """The initial states."""
        ...

    def actions(self, state: S) -> Iterable[A]:
        """The actions enabled in `state`."""
        ...

    def next_state(self, state: S, action: A) -> S | None:
        """The state after `action`, or None when the action is not enabled after all."""
        ...

    def successors(self, state: S) -> Iterable[tuple[A, S]]:
        """Every (action, next state) pair; equal to actions + next_state, usually faster."""
        ...

    def invariants(self) -> Sequence[Invariant]: ...

    def violations(self, state: S) -> Sequence[str]:
        """Names of the invariants that `state` violates (usually empty)."""
        ...

    def canonical(self, state: S) -> S:
        """A representative of the state's symmetry class (identity when there is none)."""
        ...

    def action_kind(self, action: A) -> str:
        """A short label for statistics (e.g. "deliver")."""
        ...
