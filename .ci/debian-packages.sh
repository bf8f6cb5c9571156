#!/usr/bin/env bash
# Makes sure the Debian packages named as arguments are installed, e.g.
#   .ci/debian-packages.sh sqlfluff rpm lintian
# for the tools the tests run (sqlfluff for the sql/ checks, the packaging tools for the release
# package tests). Idempotent and quiet: prints nothing and exits 0 when all are installed.
# Otherwise it installs the missing ones, refreshing the apt lists only when apt does not know a
# package. Needs root (or passwordless sudo) only when it has to install. Called by the test
# suite's global setup (test/setup/system-tools.ts), the way .ci/toolchain.mjs installs Node.
set -euo pipefail

missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "debian-packages: missing ${missing[*]} and this user cannot install packages; run: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# apt-cache shows a candidate only when the lists are present; update just in that case.
for pkg in "${missing[@]}"; do
  if ! apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    if ! "${as_root[@]}" apt-get update -qq >"$log" 2>&1; then
      cat "$log" >&2
      echo "debian-packages: apt-get update failed; ${missing[*]} cannot be installed" >&2
      exit 1
    fi
    break
  fi
done

if ! "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  cat "$log" >&2
  echo "debian-packages: apt-get install ${missing[*]} failed" >&2
  exit 1
fi
