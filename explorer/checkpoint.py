"""Checkpoints of the fast engine's search, for runs of hours (`--checkpoint`, `--resume`).

A checkpoint directory holds

    meta.json           written last, atomically: the commit point of a checkpoint
    state-N/core.bin    the compiled core's state set, parent links and search progress
                        (explorer/_fastcore.c `dump`; a checksum at the end)
    state-N/interning.pickle   the model's interned node states, messages and histories, in
                        id order (plain tuples, read back by an unpickler that refuses every
                        class or function)

A new checkpoint goes to a fresh `.state-N.tmp` directory, is renamed to `state-N`, and only
then does meta.json (replaced atomically) name it; older `state-*` directories are removed
after that. A crash or a second Ctrl-C while writing leaves the previous checkpoint intact.

A distributed run's checkpoint (explorer/distributed.py) has the same meta.json, plus a "ray"
object (its worker count), and in `state-N/` one core dump and one JSON file per worker
(`worker-W.core`, `worker-W.json`, written by the worker itself), the shared interning and the
driver's progress (`driver.json`). Either kind is refused where the other is expected.

meta.json records the format version, the raftcheck version, the settings that decide what is
explored (the model's configuration and rule set, the invariants, symmetry, state set, engine,
keep-going; plus whatever the caller adds, e.g. the digest of a rules file) and their digest,
and readable progress figures. Limits (states, depth, time, memory) are not settings: a run
may be resumed with other limits.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FORMAT = "raftcheck-checkpoint"
FORMAT_VERSION = 2  # 2: the core counts apply and propose-conf (its dump version 3)
DEFAULT_INTERVAL = 300.0  # seconds between checkpoints of a long run
# By default a checkpoint also waits this many times as long as the last one took to write, so
# that writing a large state set stays under 5% of the run.
STRETCH = 20.0
META = "meta.json"
CORE_FILE = "core.bin"
INTERNING_FILE = "interning.pickle"
DRIVER_FILE = "driver.json"  # a distributed run's progress (explorer/distributed.py)


def worker_files(workers: int) -> list[str]:
    """The files a distributed checkpoint holds for its workers (each writes its own)."""
    return [f"worker-{w}.{ext}" for w in range(workers) for ext in ("core", "json")]


class CheckpointError(Exception):
    """A checkpoint cannot be written or resumed (the message is one line saying why)."""


@dataclass
class Checkpointing:
    """Where and how often the fast engine saves its search, and where it resumes from."""

    directory: Path
    interval: float | None = None  # None: DEFAULT_INTERVAL, stretched by STRETCH (see above)
    resume_from: Path | None = None
    extra_settings: dict[str, str] = field(default_factory=dict)
    note: Callable[[str], None] | None = None


def raftcheck_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("raftcheck")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "unknown"


def settings_digest(settings: dict[str, str]) -> str:
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# -- the directory ----------------------------------------------------------------------------


def prepare_directory(directory: Path, *, resuming_here: bool) -> None:
    """Make sure checkpoints can be written to `directory` (creating it), before exploring.

    A directory that already holds a checkpoint is only accepted when the run resumes it."""
    if directory.exists() and not directory.is_dir():
        raise CheckpointError(f"--checkpoint {directory}: not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise CheckpointError(
            f"--checkpoint {directory}: not writable ({exc.strerror or exc})"
        ) from None
    if (directory / META).exists() and not resuming_here:
        raise CheckpointError(
            f"--checkpoint {directory}: already holds a checkpoint (resume it with --resume "
            f"{directory}, or choose another directory)"
        )


@dataclass
class Saved:
    """A checkpoint found on disk (meta.json read and checked, data not loaded yet)."""

    directory: Path
    meta: dict[str, Any]

    @property
    def data(self) -> Path:
        return self.directory / str(self.meta["data"])

    @property
    def seconds(self) -> float:
        return float(self.meta["progress"]["seconds"])


def open_checkpoint(directory: Path, *, ray: bool = False) -> Saved:
    """Read and check DIR/meta.json: a one-line CheckpointError for anything wrong. `ray`:
    the run resuming it is distributed (its checkpoints have a "ray" object)."""
    if not directory.exists():
        raise CheckpointError(f"--resume {directory}: no such directory")
    if not directory.is_dir():
        raise CheckpointError(f"--resume {directory}: not a directory")
    meta_path = directory / META
    if not meta_path.exists():
        raise CheckpointError(f"--resume {directory}: no checkpoint in this directory")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CheckpointError(
            f"--resume {directory}: cannot read {META} ({exc.strerror})"
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise CheckpointError(f"--resume {directory}: {META} is damaged (not JSON)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"--resume {directory}: {META} is not a raftcheck checkpoint")
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"--resume {directory}: checkpoint format version {meta.get('format_version')!r}, "
            f"this raftcheck reads version {FORMAT_VERSION}"
        )
    try:
        data = meta["data"]
        float(meta["progress"]["seconds"])
        ok = (
            isinstance(data, str) and data.startswith("state-") and "/" not in data
            and isinstance(meta["settings"], dict) and isinstance(meta["digest"], str)
        )
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise CheckpointError(f"--resume {directory}: {META} is damaged (fields missing)")
    version = raftcheck_version()
    if meta.get("raftcheck_version") != version:
        raise CheckpointError(
            f"--resume {directory}: checkpoint written by raftcheck "
            f"{meta.get('raftcheck_version')}, this is raftcheck {version}"
        )
    saved = Saved(directory, meta)
    files = [CORE_FILE, INTERNING_FILE]
    ray_meta = meta.get("ray")
    if ray_meta is not None and not ray:
        raise CheckpointError(
            f"--resume {directory}: a checkpoint of a distributed run: resume it with --ray"
        )
    if ray:
        if ray_meta is None:
            raise CheckpointError(
                f"--resume {directory}: a checkpoint of a run on one machine: resume it "
                "without --ray"
            )
        workers = ray_meta.get("workers") if isinstance(ray_meta, dict) else None
        if not isinstance(workers, int) or workers < 1:
            raise CheckpointError(f"--resume {directory}: {META} is damaged (ray.workers)")
        files = [INTERNING_FILE, DRIVER_FILE, *worker_files(workers)]
    for name in files:
        if not (saved.data / name).is_file():
            raise CheckpointError(
                f"--resume {directory}: checkpoint incomplete ({data}/{name} missing)"
            )
    return saved


def check_settings(saved: Saved, settings: dict[str, str]) -> None:
    """Refuse to resume with settings that change the exploration, naming the first one."""
    old: dict[str, Any] = saved.meta["settings"]
    for key in sorted(set(old) | set(settings)):
        if old.get(key) != settings.get(key):
            raise CheckpointError(
                f"--resume {saved.directory}: the checkpoint explores {key}={old.get(key)}, "
                f"this run {key}={settings.get(key)} (resume with the checkpoint's settings)"
            )
    if saved.meta["digest"] != settings_digest(settings):
        raise CheckpointError(f"--resume {saved.directory}: {META} is damaged (digest mismatch)")


# -- writing ----------------------------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sequence(directory: Path) -> int:
    seq = 0
    for p in directory.iterdir():
        name = p.name.removeprefix(".").removesuffix(".tmp")
        if name.startswith("state-") and name[6:].isdigit():
            seq = max(seq, int(name[6:]))
    return seq + 1


def write_checkpoint(
    directory: Path,
    core: Any,
    tables: Any,
    settings: dict[str, str],
    progress: dict[str, Any],
) -> tuple[float, int]:
    """Save the core and the tables' interning; returns (seconds taken, bytes written)."""
    started = time.monotonic()
    name, tmp = begin_write(directory)
    core.dump(str(tmp / CORE_FILE))
    write_interning(tmp, tables.interning())
    size = commit(directory, name, tmp, settings, progress)
    return time.monotonic() - started, size


def begin_write(directory: Path) -> tuple[str, Path]:
    """A fresh, empty `.state-N.tmp` for the next checkpoint's data: (state-N, its path)."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"state-{_sequence(directory)}"
    tmp = directory / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    return name, tmp


def write_interning(tmp: Path, interning: dict[str, list[Any]]) -> None:
    """The interned values (plain tuples, in id order), synced to disk."""
    with open(tmp / INTERNING_FILE, "wb") as f:
        pickle.dump(interning, f, protocol=pickle.HIGHEST_PROTOCOL)
        f.flush()
        os.fsync(f.fileno())


def commit(
    directory: Path,
    name: str,
    tmp: Path,
    settings: dict[str, str],
    progress: dict[str, Any],
    extra_meta: dict[str, Any] | None = None,
) -> int:
    """Make the data in `tmp` the checkpoint: rename it to `name`, then replace meta.json
    (atomically), then remove the older data. Returns the bytes of the data."""
    _fsync_dir(tmp)
    os.rename(tmp, directory / name)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "raftcheck_version": raftcheck_version(),
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": name,
        "digest": settings_digest(settings),
        "settings": settings,
        "progress": progress,
        **(extra_meta or {}),
    }
    meta_tmp = directory / f".{META}.tmp"
    with open(meta_tmp, "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(meta_tmp, directory / META)
    _fsync_dir(directory)
    for p in directory.iterdir():  # the previous checkpoints, and leftovers of failed writes
        tmp_left = p.name.startswith(".state-") and p.name.endswith(".tmp")
        old = p.name.startswith("state-") or tmp_left
        if old and p.name != name and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
    return sum(p.stat().st_size for p in (directory / name).iterdir())


# -- reading ----------------------------------------------------------------------------------


class _PlainUnpickler(pickle.Unpickler):
    """Reads tuples, lists, dicts, strings and numbers; refuses every class and function."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refused {module}.{name}")


def read_interning(saved: Saved) -> dict[str, list[Any]]:
    """The saved interned values (a one-line CheckpointError when the file is damaged)."""
    where = f"--resume {saved.directory}"
    try:
        raw = (saved.data / INTERNING_FILE).read_bytes()
        interning = _PlainUnpickler(io.BytesIO(raw)).load()
        if not isinstance(interning, dict) or not all(
            isinstance(interning.get(k), list) for k in ("nodes", "messages", "histories")
        ):
            raise ValueError("unexpected contents")
    except OSError as exc:
        raise CheckpointError(f"{where}: cannot read {INTERNING_FILE} ({exc.strerror})") from None
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a damaged file
        raise CheckpointError(f"{where}: {INTERNING_FILE} is damaged ({exc})") from None
    return interning


def restore_interning(saved: Saved, tables: Any, interning: dict[str, list[Any]]) -> None:
    """Intern the saved values into the (fresh) model, in id order."""
    try:
        tables.restore_interning(interning)
    except Exception as exc:  # noqa: BLE001 - values the model cannot take: not its checkpoint
        raise CheckpointError(
            f"--resume {saved.directory}: {INTERNING_FILE} does not fit this model ({exc})"
        ) from None


def load_checkpoint(saved: Saved, core: Any, tables: Any) -> None:
    """Restore the interning into the (fresh) model, then the core's search."""
    where = f"--resume {saved.directory}"
    restore_interning(saved, tables, read_interning(saved))
    try:
        core.load(str(saved.data / CORE_FILE))
    except OSError as exc:
        raise CheckpointError(f"{where}: cannot read {CORE_FILE} ({exc.strerror})") from None
    except ValueError as exc:
        raise CheckpointError(f"{where}: {CORE_FILE}: {exc}") from None
