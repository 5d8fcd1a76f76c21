#!/usr/bin/env bash
# Installs Debian's Chromium for the report test (tests/test_report.py) when it is missing.
# Run by `make test`; needs root (or sudo) and the Debian package registry. Where it cannot install, it says so and
# the browser tests are skipped with that reason (pytest marker `browser`); nothing else depends on Chromium.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "Chromium is missing and this user cannot install it ('apt-get install chromium' as root):" \
         "the browser tests will be skipped." >&2
    exit 0
  fi
fi
echo "Installing Debian's chromium for the HTML report test..." >&2
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null; }; then
  echo "Installing chromium failed: the browser tests will be skipped." >&2
fi
