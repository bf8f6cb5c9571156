#!/usr/bin/env bash
# Builds, once, a Debian trixie chroot with wine 10 for running the Windows binary in CI, and a
# wine prefix set to Windows 10. Idempotent: a finished chroot (marked by .datapipe-wine-ready) is
# reused; a half-built one (interrupted run) is removed and rebuilt. Needs root and Debian's
# package mirror (the one the host's apt uses); nothing else is downloaded.
#
# Usage: .ci/wine-setup.sh            build or reuse; prints the wine version and the time taken
#        DATAPIPE_WINE_ROOT=/path ...  use another cache folder (default /var/cache/datapipe-agent/wine-trixie)
#        DATAPIPE_DEBIAN_MIRROR=url    use another mirror (default: the host's first Debian URI)
set -euo pipefail
# shellcheck source=.ci/wine-lib.sh
source "$(dirname "$0")/wine-lib.sh"
SECONDS=0

fail() { wine_log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (debootstrap and chroot); run it with sudo."
command -v debootstrap >/dev/null || fail "debootstrap is missing; install it with: apt-get install debootstrap"

# The first non-security Debian URI the host's apt uses (deb822 .sources or one-line .list).
host_debian_mirror() {
  cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }'
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; break } }'
}
mirror="${DATAPIPE_DEBIAN_MIRROR:-$( (host_debian_mirror || true) | grep -E '/debian/?$' | head -n1 || true)}"
mirror="${mirror:-http://deb.debian.org/debian}"

# wine needs /proc inside the chroot even for --version.
if [ -f "$WINE_READY_MARK" ] && (trap wine_unmount_all EXIT; wine_mount_all && wine_chroot wine --version >/dev/null 2>&1); then
  wine_log "reusing $WINE_ROOT ($(cat "$WINE_READY_MARK")); checked in ${SECONDS}s"
  exit 0
fi

# Each stage leaves a mark, so an interrupted run resumes instead of starting over. A chroot whose
# debootstrap never finished is removed, but never while anything is mounted inside it.
DEBOOTSTRAP_MARK="$WINE_ROOT/.datapipe-debootstrap-done"
if [ -e "$WINE_ROOT" ] && [ ! -f "$DEBOOTSTRAP_MARK" ]; then
  wine_log "removing an incomplete chroot at $WINE_ROOT"
  wine_unmount_all
  [ -z "$(wine_mounts_under "$WINE_ROOT")" ] || fail "cannot unmount everything under $WINE_ROOT; see findmnt"
  rm -rf --one-file-system "$WINE_ROOT"
fi

if [ ! -f "$DEBOOTSTRAP_MARK" ]; then
  mkdir -p "$(dirname "$WINE_ROOT")"
  wine_log "debootstrap trixie (minbase) from $mirror into $WINE_ROOT"
  debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
    trixie "$WINE_ROOT" "$mirror" >"$WINE_ROOT.debootstrap.log" 2>&1 \
    || { tail -n 20 "$WINE_ROOT.debootstrap.log" >&2; fail "debootstrap failed; full log in $WINE_ROOT.debootstrap.log"; }
  rm -f "$WINE_ROOT.debootstrap.log"
  touch "$DEBOOTSTRAP_MARK"
  wine_log "debootstrap done after ${SECONDS}s"
fi

trap wine_unmount_all EXIT
wine_mount_all
if ! wine_chroot sh -c 'command -v wine' >/dev/null; then
  wine_log "installing wine from trixie"
  wine_chroot sh -c 'export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends wine wine64 >/dev/null' \
    || fail "apt-get install wine failed inside the chroot"
  wine_log "wine installed after ${SECONDS}s"
fi

# Node refuses to start on the Windows 7 that older wine prefixes default to; wine 10 defaults to
# Windows 10 already, and setting it explicitly keeps that true if the default ever changes.
wine_log "creating the wine prefix (Windows 10)"
wine_chroot sh -c 'wineboot --init >/dev/null 2>&1; winecfg -v win10 >/dev/null 2>&1; wineserver -w'
windows_version="$(wine_chroot winecfg -v 2>&1 | tr -d '\r' | tail -n1)"  # winecfg prints it on stderr
[ "$windows_version" = win10 ] || fail "the wine prefix reports Windows version '$windows_version', expected win10"

wine_chroot wine --version >"$WINE_READY_MARK"
wine_chroot wineserver -k 2>/dev/null || true
wine_unmount_all
trap - EXIT
wine_log "ready: $(cat "$WINE_READY_MARK") in $WINE_ROOT ($(du -sxh "$WINE_ROOT" 2>/dev/null | cut -f1)); took ${SECONDS}s"
