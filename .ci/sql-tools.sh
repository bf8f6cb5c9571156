#!/usr/bin/env bash
# Makes sure `sqlfluff` (Debian 12 package, 1.4.5) is on PATH for the sql/ checks in test/sql/.
# Idempotent and quiet: prints nothing and exits 0 when sqlfluff is already there. Otherwise it
# installs the Debian package, refreshing the apt lists only when apt does not know the package.
# Called by .ci/run before `npm test`. Needs root (or sudo) only when it has to install.
set -euo pipefail

if command -v sqlfluff >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo -n)
else
  echo "sql-tools: sqlfluff is missing and this user cannot install it; run: apt-get install sqlfluff" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# apt-cache shows a candidate only when the lists are present; update just in that case.
if ! apt-cache policy sqlfluff 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  if ! "${as_root[@]}" apt-get update -qq >"$log" 2>&1; then
    cat "$log" >&2
    echo "sql-tools: apt-get update failed; sqlfluff cannot be installed" >&2
    exit 1
  fi
fi

if ! "${as_root[@]}" apt-get install -y -qq --no-install-recommends sqlfluff >"$log" 2>&1; then
  cat "$log" >&2
  echo "sql-tools: apt-get install sqlfluff failed" >&2
  exit 1
fi

if ! command -v sqlfluff >/dev/null 2>&1; then
  echo "sql-tools: sqlfluff was installed but is not on PATH" >&2
  exit 1
fi
