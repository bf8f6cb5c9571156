# shellcheck shell=bash disable=SC2034  # sourced: the variables are used by the scripts that source it
# Shared by .ci/wine-setup.sh and .ci/wine.sh (sourced, not run): where the wine 10 chroot lives
# and how its pseudo file systems are mounted.
#
# Why a chroot: Debian 12's wine 8 cannot run Node >= 24 (V8 needs VirtualAlloc2 placeholders),
# Debian 13 (trixie) ships wine 10, which can. A chroot shares the host's network, so a Windows exe
# inside it reaches servers the smoke test starts on the host's 127.0.0.1.
#
# Safety: nothing that can be deleted is bind-mounted into the chroot. The repository goes in
# read-only, /proc, /dev/pts and /dev/shm are virtual, so an `rm -rf` of the cache folder can never
# reach host files. Scratch files for a run live in the chroot's own /tmp.

WINE_ROOT="${DATAPIPE_WINE_ROOT:-/var/cache/datapipe-agent/wine-trixie}"
WINE_READY_MARK="$WINE_ROOT/.datapipe-wine-ready"
WINE_PREFIX_IN_CHROOT=/root/.wine-datapipe
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

wine_log() { printf 'wine: %s\n' "$*" >&2; }

# Mount points below $1, deepest first (so nested mounts come off before their parents).
wine_mounts_under() {
  findmnt -rn -o TARGET | awk -v root="$1" 'index($0, root "/") == 1' | sort -r
}

wine_mount_one() { # type-or-bind source target [options]
  local kind="$1" source="$2" target="$3" options="${4:-}"
  mountpoint -q "$target" && return 0
  mkdir -p "$target"
  if [ "$kind" = bind ]; then
    mount --bind "$source" "$target"
    mount --make-private "$target"
    [ -n "$options" ] && mount -o "remount,bind,$options" "$target"
  else
    mount -t "$kind" ${options:+-o "$options"} "$source" "$target"
  fi
}

wine_mount_all() {
  wine_mount_one proc proc "$WINE_ROOT/proc"
  wine_mount_one devpts devpts "$WINE_ROOT/dev/pts" "newinstance,ptmxmode=0666"
  wine_mount_one tmpfs tmpfs "$WINE_ROOT/dev/shm" "mode=1777"
  install -d -m 0700 "$WINE_ROOT/tmp/xdg-runtime-root"   # wine 10 wants one, else prints errors
  if [ -d "$REPO_ROOT" ]; then
    wine_mount_one bind "$REPO_ROOT" "$WINE_ROOT$REPO_ROOT" ro
  fi
}

wine_unmount_all() {
  local target
  [ -d "$WINE_ROOT" ] || return 0
  for target in $(wine_mounts_under "$WINE_ROOT"); do
    umount "$target" 2>/dev/null || umount -l "$target"
  done
}

# The environment every wine command in the chroot gets: no Mono/Gecko download prompts,
# quiet debug channels, one fixed prefix.
wine_chroot() { # command [args...]: runs in the chroot with the wine environment
  chroot "$WINE_ROOT" /usr/bin/env -i \
    HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 XDG_RUNTIME_DIR=/tmp/xdg-runtime-root \
    WINEPREFIX="$WINE_PREFIX_IN_CHROOT" WINEDLLOVERRIDES="mscoree,mshtml=" WINEDEBUG=-all \
    "$@"
}
