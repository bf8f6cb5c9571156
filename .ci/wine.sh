#!/usr/bin/env bash
# Runs Windows programs under wine 10 in the chroot that .ci/wine-setup.sh builds. The chroot
# shares the host's network (servers on the host's 127.0.0.1 are reachable) and sees this
# repository read-only at the same path. Files a program must write go in the chroot's /tmp:
# host path "$(.ci/wine.sh root)/tmp/x" is "/tmp/x" (Windows: Z:\tmp\x) inside.
#
# Usage:
#   .ci/wine.sh run [--cwd DIR] <exe> [args...]  run a Windows program; prints its stdout, then
#                                               its stderr; exits with its exit code
#   .ci/wine.sh exec <command> [args...]        run a Linux command in the chroot with the wine
#                                               environment (e.g. wineserver -k)
#   .ci/wine.sh root                            print the chroot's path on the host
#   .ci/wine.sh down                            stop wine (and any service it runs), unmount
#
# Mounts stay in place between calls, so a service started by one call keeps running for the
# next; `down` ends that. Node fails with EBADF when its stdout is a Unix pipe under wine, so the
# program's output goes to files and is printed after it exits.
set -euo pipefail
# shellcheck source=.ci/wine-lib.sh
source "$(dirname "$0")/wine-lib.sh"

require_chroot() {
  [ "$(id -u)" = 0 ] || { wine_log "needs root (chroot)"; exit 125; }
  [ -f "$WINE_READY_MARK" ] || { wine_log "no wine chroot at $WINE_ROOT; run .ci/wine-setup.sh first"; exit 125; }
  wine_mount_all
}

run_windows_program() {
  local cwd=/
  if [ "${1:-}" = --cwd ]; then cwd="$2"; shift 2; fi
  [ $# -ge 1 ] || { wine_log "usage: .ci/wine.sh run [--cwd DIR] <exe> [args...]"; exit 125; }
  require_chroot
  local out err status=0
  out="$(mktemp)"; err="$(mktemp)"
  # shellcheck disable=SC2016  # expanded by the inner sh
  wine_chroot sh -c 'cd "$1" && shift && exec wine "$@"' sh "$cwd" "$@" </dev/null >"$out" 2>"$err" || status=$?
  cat "$out"; cat "$err" >&2
  rm -f "$out" "$err"
  return "$status"
}

case "${1:-}" in
  run) shift; run_windows_program "$@" ;;
  exec) shift; require_chroot; wine_chroot "$@" ;;
  root) echo "$WINE_ROOT" ;;
  down)
    if [ -f "$WINE_READY_MARK" ] && mountpoint -q "$WINE_ROOT/proc"; then
      wine_chroot wineserver -k 2>/dev/null || true
      wine_chroot wineserver -w 2>/dev/null || true
    fi
    wine_unmount_all ;;
  *) sed -n '7,13p' "$0" >&2; exit 125 ;;
esac
