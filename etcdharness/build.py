"""Find or build the etcd raft harness binary.

Set-up (once per machine; apt-installs Go and etcd's sources when missing)::

    etcdharness/build.sh            # or: python -m etcdharness.build --install

``ensure_built()`` (used by the client and the tests) only builds; it never runs
apt-get. Environment:

- ``RAFTCHECK_ETCD_HARNESS``: use this binary instead of building one.
- ``RAFTCHECK_GOPATH``: where etcd's sources live (default ``/usr/share/gocode``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BUILD_SCRIPT = PACKAGE_DIR / "build.sh"
DEFAULT_BINARY = PACKAGE_DIR / "bin" / "raftharness"
SETUP_COMMAND = "etcdharness/build.sh"


class EtcdUnavailable(RuntimeError):
    """Go or etcd's raft sources are missing, or the harness does not build."""


def gopath() -> Path:
    return Path(os.environ.get("RAFTCHECK_GOPATH", "/usr/share/gocode"))


def raft_source_dir() -> Path:
    return gopath() / "src" / "go.etcd.io" / "etcd" / "raft"


def go_available() -> bool:
    """True when `go` is on PATH and etcd's raft sources are installed."""
    return shutil.which("go") is not None and (raft_source_dir() / "raft.go").is_file()


def sources() -> list[Path]:
    return sorted((PACKAGE_DIR / "go").glob("*.go")) + [BUILD_SCRIPT]


def is_stale(binary: Path = DEFAULT_BINARY) -> bool:
    if not binary.is_file():
        return True
    built = binary.stat().st_mtime
    return any(src.stat().st_mtime > built for src in sources())


def ensure_built(*, install: bool = False, force: bool = False) -> Path:
    """Return the harness binary, building it when missing or older than its sources."""
    override = os.environ.get("RAFTCHECK_ETCD_HARNESS")
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise EtcdUnavailable(f"RAFTCHECK_ETCD_HARNESS={override} is not an executable file")
        return path
    if not force and not is_stale(DEFAULT_BINARY):
        return DEFAULT_BINARY
    if not install and not go_available():
        raise EtcdUnavailable(
            "the etcd raft harness needs Go and etcd 3.4's raft sources "
            f"('go' on PATH and {raft_source_dir() / 'raft.go'}). Set up with: "
            f"{SETUP_COMMAND} (apt-installs golang-go golang-etcd-server-dev), "
            "or set RAFTCHECK_SKIP_ETCD=1 to skip the etcd tests."
        )
    cmd = ["bash", str(BUILD_SCRIPT), "--out", str(DEFAULT_BINARY)]
    if not install:
        cmd.append("--no-install")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not DEFAULT_BINARY.is_file():
        detail = (proc.stderr or proc.stdout).strip()
        raise EtcdUnavailable(f"building the etcd raft harness failed ({' '.join(cmd)}):\n{detail}")
    return DEFAULT_BINARY


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m etcdharness.build", description="Build the etcd raft harness."
    )
    parser.add_argument(
        "--install",
        action="store_true",
        help="apt-install golang-go and golang-etcd-server-dev when missing",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = parser.parse_args(argv)
    try:
        path = ensure_built(install=args.install, force=args.force)
    except EtcdUnavailable as exc:
        print(f"etcdharness: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
