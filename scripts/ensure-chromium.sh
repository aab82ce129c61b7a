#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (never a downloaded browser).
# Install the package when it is missing and apt is there; the tests skip with a clear
# message when it still is not installed.
set -uo pipefail
[ -x /usr/bin/chromium ] && exit 0
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "Chromium is missing; installing Debian's chromium package for the browser tests"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
    || echo "warning: could not install chromium; the browser tests will be skipped" >&2
else
  echo "warning: /usr/bin/chromium is missing and apt is not available; the browser tests will be skipped" >&2
fi
exit 0
