#!/usr/bin/env bash
# The browser tests (tests/browser) drive Debian's Chromium through Playwright, never a
# downloaded browser: install the package when it is missing and apt is there (as root, or
# through sudo without a password). Without it the browser tests skip, saying so; with it they
# always run.
set -uo pipefail
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0

cannot_install() {
  echo "warning: $CHROMIUM is missing and $1: the browser tests will be skipped." \
    "Install it: apt-get install -y chromium" >&2
  exit 0
}

command -v apt-get >/dev/null || cannot_install "apt-get is not available"
if [ "$(id -u)" = 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  cannot_install "installing it needs root"
fi

apt() {
  # Wait for another apt run (unattended upgrades, a parallel install) instead of failing on its lock.
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get -q -o DPkg::Lock::Timeout=600 "$@" >/dev/null
}

echo "Chromium is missing; installing Debian's chromium package for the browser tests"
# A stale or empty package index (a fresh container) knows no chromium: refresh it once and retry.
apt install -y chromium || { apt update && apt install -y chromium; } \
  || cannot_install "apt-get could not install it"
exit 0
