"""One numbering of interned values for every process of a distributed search.

The compiled core's packed states hold interned ids (node states, messages, histories), and
its symmetry representative is the smallest image *by id*: two processes that number values
differently would give one state two encodings. So every process keeps its model's tables a
prefix of one shared table (`SharedIds`, held by one Ray actor): a value a process has not
interned yet is asked of the shared table, which hands back every value from the process's
table length up to that value's id, and the process interns them all in order. Misses are
rare after the first levels (a run of millions of states interns a few thousand values).
"""

from __future__ import annotations

import pickle
import socket
import struct
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

KINDS = ("nodes", "messages", "histories")
# the model's interning method and table for each kind (model/cluster.py)
_METHOD = {"nodes": "node_id", "messages": "msg_id", "histories": "hist_id"}
_TABLE = {"nodes": "node_tab", "messages": "msg_tab", "histories": "hist_tab"}
_INDEX = {"nodes": "_node_ix", "messages": "_msg_ix", "histories": "_hist_ix"}


class SharedIds:
    """The shared table: values in id order, per kind."""

    def __init__(self) -> None:
        self.values: dict[str, list[Any]] = {k: [] for k in KINDS}
        self.index: dict[str, dict[Hashable, int]] = {k: {} for k in KINDS}

    def adopt(self, kind: str, values: list[Any]) -> list[Any]:
        """A process's existing table (interned before it joined): it must agree with the
        shared one where both have values; the rest are appended. Returns the values the
        process lacks (from its length on)."""
        tab, ix = self.values[kind], self.index[kind]
        for i, v in enumerate(values):
            if i < len(tab):
                if tab[i] != v:
                    raise ValueError(f"{kind} id {i} means different values in two processes")
            else:
                ix[v] = len(tab)
                tab.append(v)
        return tab[len(values):]

    def through(self, kind: str, start: int, value: Any) -> list[Any]:
        """Values from id `start` up to `value`'s id (interned now if new)."""
        tab, ix = self.values[kind], self.index[kind]
        at = ix.get(value)
        if at is None:
            at = ix[value] = len(tab)
            tab.append(value)
        return tab[start : at + 1]

    def since(self, starts: dict[str, int]) -> dict[str, list[Any]]:
        """Every kind's values from the given lengths on."""
        return {k: self.values[k][starts[k]:] for k in KINDS}

    def sizes(self) -> dict[str, int]:
        return {k: len(self.values[k]) for k in KINDS}


class SharedClient:
    """How a process reaches the shared table: three calls, each one round trip."""

    def __init__(
        self,
        adopt: Callable[[str, list[Any]], list[Any]],
        through: Callable[[str, int, Any], list[Any]],
        since: Callable[[dict[str, int]], dict[str, list[Any]]],
    ) -> None:
        self.adopt = adopt
        self.through = through
        self.since = since
        self.misses = 0  # round trips made because a value was new to this process
        self.miss_seconds = 0.0  # time spent waiting on them


def share_ids(model: Any, client: SharedClient) -> Callable[[], None]:
    """Make `model` (a ClusterModel) number its values as the shared table does, from now on.
    Returns `sync`, which interns every value the shared table has and the model lacks."""
    originals = {k: getattr(model, _METHOD[k]) for k in KINDS}

    def intern_all(kind: str, values: list[Any]) -> None:
        own = originals[kind]
        tab = getattr(model, _TABLE[kind])
        for v in values:
            if own(v) != len(tab) - 1:
                raise ValueError(f"{kind}: the model's table left the shared numbering")

    for kind in KINDS:
        intern_all(kind, client.adopt(kind, list(getattr(model, _TABLE[kind]))))

    def hooked(kind: str) -> Callable[[Any], int]:
        index: dict[Any, int] = getattr(model, _INDEX[kind])
        tab: list[Any] = getattr(model, _TABLE[kind])

        def intern(value: Any) -> int:
            ix = index.get(value)
            if ix is None:
                client.misses += 1
                t0 = time.perf_counter()
                values = client.through(kind, len(tab), value)
                client.miss_seconds += time.perf_counter() - t0
                intern_all(kind, values)
                ix = index[value]
            return ix

        return intern

    for kind in KINDS:
        setattr(model, _METHOD[kind], hooked(kind))

    def sync() -> None:
        starts = {k: len(getattr(model, _TABLE[k])) for k in KINDS}
        for kind, values in client.since(starts).items():
            intern_all(kind, values)

    return sync


def unshare_ids(model: Any) -> None:
    """Back to the model's own interning (its tables keep the shared numbering so far): for
    after the run, when the shared table is gone."""
    for kind in KINDS:
        model.__dict__.pop(_METHOD[kind], None)


# ---- a plain socket to the shared table: a Ray actor call costs 1-3 ms on a loaded machine,
# a request on an open TCP connection about a tenth of that, and a search of millions of
# states makes thousands of them (each value new to a worker is one) -------------------------


def _send(sock: socket.socket, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(struct.pack("!Q", len(data)) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    parts = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise ConnectionError("the shared id table closed the connection")
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def _recv(sock: socket.socket) -> Any:
    (n,) = struct.unpack("!Q", _recv_exact(sock, 8))
    return pickle.loads(_recv_exact(sock, n))


class SharedIdsServer(SharedIds):
    """The shared table, answering on a TCP port (one thread per connected process)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._sock = socket.create_server((host, 0))
        self.address = (host, self._sock.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def where(self) -> tuple[str, int]:
        return self.address

    def _accept(self) -> None:
        while True:
            conn, _ = self._sock.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        calls: dict[str, Callable[..., Any]] = {
            "adopt": self.adopt, "through": self.through, "since": self.since}
        with conn:
            while True:
                try:
                    name, args = _recv(conn)
                except (ConnectionError, OSError):
                    return
                try:
                    with self._lock:
                        reply: Any = ("ok", calls[name](*args))
                except Exception as exc:  # noqa: BLE001 - sent back to the caller
                    reply = ("error", str(exc))
                _send(conn, reply)


def socket_client(address: tuple[str, int]) -> SharedClient:
    """A SharedClient on one TCP connection to a SharedIdsServer."""
    sock = socket.create_connection(address)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def call(name: str, *args: Any) -> Any:
        _send(sock, (name, args))
        status, value = _recv(sock)
        if status != "ok":
            raise ValueError(f"shared id table: {value}")
        return value

    return SharedClient(
        lambda kind, values: call("adopt", kind, values),
        lambda kind, start, value: call("through", kind, start, value),
        lambda starts: call("since", starts),
    )
