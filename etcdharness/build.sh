#!/usr/bin/env bash
# Build raftcheck's etcd raft harness (etcdharness/go) against etcd 3.4.23's raft
# library as packaged by Debian, fully offline.
#
#   etcdharness/build.sh               # install Go + etcd sources if missing, then build
#   etcdharness/build.sh --no-install  # build only; fail with a message if Go is missing
#   etcdharness/build.sh --out PATH    # binary location (default etcdharness/bin/raftharness)
#
# Idempotent: apt-get runs only when `go` or the raft sources are missing, and
# the Go build cache makes a rebuild of unchanged sources take about a second.
# The binary is git-ignored (etcdharness/bin/); nothing of etcd is copied into
# the repository: our own package-raft file is added with `go build -overlay`.
set -euo pipefail

SRC="${BASH_SOURCE[0]}"
case "$SRC" in */*) HERE="${SRC%/*}" ;; *) HERE=. ;; esac
HERE="$(cd "$HERE" && pwd)"
GOPATH_DIR="${RAFTCHECK_GOPATH:-/usr/share/gocode}"
RAFT_DIR="$GOPATH_DIR/src/go.etcd.io/etcd/raft"
OUT="$HERE/bin/raftharness"
INSTALL=1

while [ $# -gt 0 ]; do
  case "$1" in
    --no-install) INSTALL=0 ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "etcdharness/build.sh: $*" >&2; exit 1; }

need_install() {
  ! command -v go >/dev/null 2>&1 || [ ! -f "$RAFT_DIR/raft.go" ]
}

if need_install; then
  [ "$INSTALL" = 1 ] || die "Go or etcd's raft sources are missing (want 'go' on PATH and $RAFT_DIR/raft.go). Run etcdharness/build.sh (it apt-installs golang-go and golang-etcd-server-dev), or set RAFTCHECK_SKIP_ETCD=1 to skip the etcd tests."
  command -v apt-get >/dev/null 2>&1 || die "Go cannot be installed: apt-get not found. Install golang-go (>= 1.16, for -overlay) and etcd 3.4's raft sources under $GOPATH_DIR by hand, or set RAFTCHECK_SKIP_ETCD=1 to skip the etcd tests."
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "Go cannot be installed: not root and no sudo. As root run: apt-get install -y golang-go golang-etcd-server-dev"
    SUDO="sudo"
  fi
  echo "etcdharness/build.sh: installing golang-go golang-etcd-server-dev" >&2
  if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y golang-go golang-etcd-server-dev >&2; then
    $SUDO apt-get update >&2 || true
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y golang-go golang-etcd-server-dev >&2 \
      || die "Go cannot be installed: 'apt-get install golang-go golang-etcd-server-dev' failed (see above)."
  fi
  need_install && die "after installing, still no 'go' on PATH or no $RAFT_DIR/raft.go"
fi

GOV="$(go env GOVERSION 2>/dev/null || true)"
case "$GOV" in
  go1.[0-9]|go1.1[0-5]|go1.[0-9].*|go1.1[0-5].*) die "$GOV is too old: the harness needs go >= 1.16 (go build -overlay)" ;;
esac

case "$OUT" in */*) mkdir -p "${OUT%/*}" ;; esac
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# The overlay adds our file to package raft (it is not written into /usr/share).
cat >"$WORK/overlay.json" <<JSON
{"Replace": {"$RAFT_DIR/zz_raftcheck_export_harness.go": "$HERE/go/raft_export_harness.go"}}
JSON

export GO111MODULE=off GOPATH="$GOPATH_DIR" GOPROXY=off GOFLAGS=
# A writable build cache even when HOME is not writable.
if ! mkdir -p "$(go env GOCACHE 2>/dev/null || echo /nonexistent)" 2>/dev/null; then
  export GOCACHE="$HERE/bin/.gocache"
fi
go build -tags raftcheck_overlay -overlay "$WORK/overlay.json" -trimpath \
  -o "$OUT.tmp.$$" "$HERE/go/main.go"
mv -f "$OUT.tmp.$$" "$OUT"
echo "$OUT"
