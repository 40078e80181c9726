#!/usr/bin/env bash
# Install Debian's chromium for the browser test of the HTML charts (tests/chart/test_browser.py),
# when it is missing. Exits non-zero, with one line saying why, when it cannot be installed
# (no apt-get, not root and no sudo, or apt-get failing); .ci/run then skips that test loudly.
set -euo pipefail

die() { echo "install-chromium.sh: $*" >&2; exit 1; }

have() {
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1
}

have && exit 0
command -v apt-get >/dev/null 2>&1 || die "Chromium cannot be installed: apt-get not found"
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "Chromium cannot be installed: not root and no sudo. As root run: apt-get install -y chromium"
  SUDO="sudo"
fi
echo "install-chromium.sh: installing chromium" >&2
if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2; then
  $SUDO apt-get update >&2 || true
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2 \
    || die "Chromium cannot be installed: 'apt-get install chromium' failed (see above)"
fi
have || die "after installing, still no chromium on PATH"
