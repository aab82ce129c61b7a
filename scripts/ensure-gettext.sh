#!/usr/bin/env bash
# GNU gettext (msgfmt, xgettext, msgmerge) builds and checks the translations. Install it with
# apt when it is missing and apt is there; otherwise say exactly what to do.
set -euo pipefail
command -v msgfmt >/dev/null && command -v xgettext >/dev/null && exit 0
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "GNU gettext is missing; installing it"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q gettext >/dev/null
  exit 0
fi
echo "error: GNU gettext is missing. Install it: apt-get install -y gettext" >&2
exit 1
