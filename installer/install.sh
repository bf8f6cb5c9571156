#!/usr/bin/env bash
# Installs, upgrades or removes datapipe-agent as a systemd service on Linux.
#
#   sudo ./install.sh [--config FILE] [--credentials FILE] [--binary FILE] [--no-start] [--skip-doctor]
#                     [--wait-seconds N]
#   sudo ./install.sh --uninstall [--purge]
#   ./install.sh --root DIR ...        stage into DIR (like DESTDIR; no root needed, nothing started,
#                                      doctor and the upload wait skipped unless --doctor / --wait)
#
# Install / upgrade (run it again with a new binary to upgrade; it is idempotent):
#   1. copy the binary to /usr/local/bin/datapipe-agent
#   2. config: keep /etc/datapipe-agent/config.ini if it exists; --config FILE replaces it (the old
#      one is kept as config.ini.<time>.bak); with neither, create it from config.example.ini and
#      stop so you can edit it
#   3. --credentials FILE: copy to /etc/datapipe-agent/credentials.ini (0600, service user)
#   4. datapipe-agent validate, then `service install` (user, folders, unit, enable, start)
#   5. datapipe-agent doctor, as the service user (a warning only if it is not available)
#   6. wait up to N s (default 180; 0: do not wait) for the service's first confirmed upload (the
#      service runs one cycle at start) and print it, or what went wrong and where to look
# Config, credentials, the dump (undelivered files) and logs are never touched by an upgrade.
# Uninstall keeps them too unless --purge is given.
# Exit codes: 0 done, 1 failed, 2 bad arguments or invalid config.
set -euo pipefail

readonly BINARY_PATH=/usr/local/bin/datapipe-agent
readonly CONFIG_DIR=/etc/datapipe-agent
readonly STATE_DIR=/var/lib/datapipe-agent
readonly LOG_DIR=/var/log/datapipe-agent
readonly SERVICE_USER=datapipe-agent
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR

root=""
binary=""
config=""
credentials=""
start=1
doctor=auto
wait_upload=auto
wait_seconds=180
action=install
purge=0

say() { printf '%s\n' "$*"; }
fail() {
  printf 'error: %s\n' "$1" >&2
  if [[ $# -ge 2 ]]; then printf 'fix:   %s\n' "$2" >&2; fi
  exit "${3:-1}"
}

usage() {
  sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

parse_args() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --root) root="${2:?--root needs a folder}"; shift 2 ;;
      --binary) binary="${2:?--binary needs a file}"; shift 2 ;;
      --config) config="${2:?--config needs a file}"; shift 2 ;;
      --credentials) credentials="${2:?--credentials needs a file}"; shift 2 ;;
      --no-start) start=0; shift ;;
      --skip-doctor) doctor=0; shift ;;
      --doctor) doctor=1; shift ;;
      --wait) wait_upload=1; shift ;;
      --wait-seconds) wait_seconds="${2:?--wait-seconds needs a number}"; shift 2 ;;
      --uninstall) action=uninstall; shift ;;
      --purge) purge=1; shift ;;
      -h|--help) usage; exit 0 ;;
      *) usage >&2; fail "unknown argument: $1" "see the usage above" 2 ;;
    esac
  done
  [[ "$wait_seconds" =~ ^[0-9]+$ ]] || fail "--wait-seconds $wait_seconds: not a whole number of seconds" "e.g. --wait-seconds 180, or 0 not to wait" 2
  if [[ -n "$root" ]]; then
    mkdir -p "$root"
    root="$(cd "$root" && pwd)"
    if [[ "$root" == / ]]; then root=""; fi
  fi
}

# A path on the target system -> where to write it here (under --root when staging).
host_path() { printf '%s%s' "$root" "$1"; }

require_root() {
  [[ -n "$root" || "$(id -u)" -eq 0 ]] && return 0
  fail "installing a service needs root" "run it again with sudo: sudo $0 $*" 1
}

find_binary() {
  if [[ -n "$binary" ]]; then
    [[ -f "$binary" ]] || fail "--binary $binary: no such file" "give the path of datapipe-agent-linux-x64 from the release package" 2
    return
  fi
  local candidate
  for candidate in "$SCRIPT_DIR/datapipe-agent-linux-x64" "$SCRIPT_DIR/../dist/datapipe-agent-linux-x64"; do
    if [[ -f "$candidate" ]]; then binary="$candidate"; return; fi
  done
  fail "datapipe-agent-linux-x64 was not found next to this script" "put it beside install.sh, or pass --binary FILE" 2
}

find_example() {
  local candidate
  for candidate in "$SCRIPT_DIR/config.example.ini" "$SCRIPT_DIR/../config.example.ini"; do
    if [[ -f "$candidate" ]]; then printf '%s' "$candidate"; return; fi
  done
  fail "config.example.ini was not found next to this script" "pass your config with --config FILE" 2
}

install_binary() {
  local target
  target="$(host_path "$BINARY_PATH")"
  mkdir -p "$(dirname "$target")"
  # Copy then rename: a running service keeps its old file open; the restart picks up the new one.
  install -m 0755 "$binary" "$target.new"
  mv -f "$target.new" "$target"
  say "ok    $BINARY_PATH ($("$target" --version))"
}

# Prints 1 when there is a config to install with, 0 when the technician must edit one first.
prepare_config() {
  local dir target example
  dir="$(host_path "$CONFIG_DIR")"
  target="$dir/config.ini"
  install -d -m 0750 "$dir"
  if [[ -n "$config" ]]; then
    [[ -f "$config" ]] || fail "--config $config: no such file" "give the path of your config.ini" 2
    if [[ -f "$target" ]] && ! cmp -s "$config" "$target"; then
      cp -p "$target" "$target.$(date -u +%Y%m%dT%H%M%SZ).bak"
      say "note  the previous config was kept as $target.<time>.bak" >&2
    fi
    install -m 0640 "$config" "$target"
    say "ok    $CONFIG_DIR/config.ini from $config" >&2
  elif [[ -f "$target" ]]; then
    say "ok    keeping $CONFIG_DIR/config.ini" >&2
  else
    example="$(find_example)"
    sed -e "s#^dir = ./var/logs\$#dir = $LOG_DIR#" -e "s#^dir = ./var\$#dir = $STATE_DIR#" "$example" > "$target"
    chmod 0640 "$target"
    say "ok    created $CONFIG_DIR/config.ini from config.example.ini" >&2
    printf 0
    return
  fi
  if [[ -n "$credentials" ]]; then
    [[ -f "$credentials" ]] || fail "--credentials $credentials: no such file" "give the path of the credentials file" 2
    install -m 0600 "$credentials" "$dir/credentials.ini"
    say "ok    $CONFIG_DIR/credentials.ini from $credentials" >&2
  fi
  printf 1
}

run_validate() {
  local bin_here=$1 config_here=$2
  if ! "$bin_here" validate -c "$config_here"; then
    fail "the config is invalid (every problem is listed above)" "edit $CONFIG_DIR/config.ini and run this script again" 2
  fi
}

# doctor may be missing from older builds: "unknown command" is a warning, not a failure.
run_doctor() {
  local bin_here=$1 config_here=$2 output code=0
  local -a as_user=()
  if [[ -z "$root" ]] && command -v runuser >/dev/null && id "$SERVICE_USER" >/dev/null 2>&1; then
    as_user=(runuser -u "$SERVICE_USER" --)
  fi
  output="$("${as_user[@]}" "$bin_here" doctor -c "$config_here" 2>&1)" || code=$?
  printf '%s\n' "$output"
  if grep -qi "unknown command" <<<"$output"; then
    say "warn  this agent build has no 'doctor' command; skipped the self-test"
  elif [[ $code -ne 0 ]]; then
    say "warn  doctor reported failures (FAIL lines above); fix them. The service keeps retrying by itself."
  fi
}

# The first cycle's outcome as `status --json` records it. The JSON is the agent's own (one
# "lastUpload" and one "lastCycle" object, ISO times, keys without spaces), so sed can read it.
status_field() {
  local json=$1 field=$2
  case "$field" in
    upload_at) sed -n 's/.*"lastUpload":{"at":"\([^"]*\)".*/\1/p' <<<"$json" ;;
    upload_key) sed -n 's/.*"lastUpload":{"at":"[^"]*","key":"\([^"]*\)".*/\1/p' <<<"$json" ;;
    cycle_at) sed -n 's/.*"lastCycle":{"startedAt":"[^"]*","finishedAt":"\([^"]*\)".*/\1/p' <<<"$json" ;;
  esac
}

# Waits (bounded) for the first upload confirmed after `since`, so the technician leaves knowing
# data flows. A cycle that finished without uploading ends the wait early: waiting longer would
# only hide the reason, which status and the log give now. Never fails the install (the service
# keeps retrying by itself).
wait_first_upload() {
  local bin_here=$1 config_here=$2 since=$3 json at cycle_at
  say "wait  for the first upload confirmed by S3 (up to $wait_seconds s; the service runs one cycle at start)"
  local deadline=$((SECONDS + wait_seconds))
  while ((SECONDS < deadline)); do
    json="$("$bin_here" status --json -c "$config_here" 2>/dev/null | tr -d ' \n')" || json=""
    at="$(status_field "$json" upload_at)"
    if [[ -n "$at" && ! "$at" < "$since" ]]; then
      say "ok    first upload confirmed at $at: $(status_field "$json" upload_key)"
      return 0
    fi
    cycle_at="$(status_field "$json" cycle_at)"
    if [[ -n "$cycle_at" && ! "$cycle_at" < "$since" ]]; then
      say "warn  the first cycle finished but nothing was uploaded; the data is kept and retried. What status knows:"
      break
    fi
    sleep 2
  done
  if ((SECONDS >= deadline)); then say "warn  no upload confirmed within $wait_seconds s; the service keeps trying. What status knows:"; fi
  "$bin_here" status -c "$config_here" || true
  say "Look at: the 'Last error' line above, the newest log in $LOG_DIR (the [logging] dir), and: datapipe-agent doctor -c $CONFIG_DIR/config.ini"
}

do_install() {
  require_root "$@"
  find_binary
  install_binary
  local bin_here config_here ready
  bin_here="$(host_path "$BINARY_PATH")"
  config_here="$(host_path "$CONFIG_DIR")/config.ini"
  ready="$(prepare_config)"
  if [[ "$ready" != 1 ]]; then
    say ""
    say "Next: edit $CONFIG_DIR/config.ini (customer id, locations, bucket, region, credentials_file),"
    say "put the S3 keys in $CONFIG_DIR/credentials.ini (or pass --credentials FILE), then run this script again."
    return 0
  fi
  run_validate "$bin_here" "$config_here"
  local since
  since="$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
  local -a service_args=(service install -c "$config_here" --bin "$bin_here")
  if [[ -n "$root" ]]; then service_args+=(--root "$root"); fi
  if [[ $start -eq 0 ]]; then service_args+=(--no-start); fi
  "$bin_here" "${service_args[@]}" || fail "service install failed (reason above)" "fix it and run this script again" 1
  # A staged config names the target's folders and network; doctor would test this machine's.
  if [[ $doctor == auto && -n "$root" ]]; then
    say "note  staging root: doctor skipped; on the target run: datapipe-agent doctor -c $CONFIG_DIR/config.ini"
  elif [[ $doctor != 0 ]]; then
    run_doctor "$bin_here" "$config_here"
  fi
  if [[ $start -eq 1 && $wait_seconds -gt 0 && ( $wait_upload == 1 || ( $wait_upload == auto && -z "$root" ) ) ]]; then
    wait_first_upload "$bin_here" "$config_here" "$since"
  fi
  say ""
  say "Installed. Logs: $LOG_DIR/agent-YYYY-MM-DD.log (the [logging] dir of the config) and: journalctl -u datapipe-agent"
  say "Status: datapipe-agent status -c $CONFIG_DIR/config.ini     Service: systemctl status datapipe-agent"
}

do_uninstall() {
  require_root "$@"
  local bin_here
  bin_here="$(host_path "$BINARY_PATH")"
  [[ -x "$bin_here" ]] || fail "$BINARY_PATH is not installed" "nothing to uninstall" 1
  local -a args=(service uninstall)
  if [[ -n "$root" ]]; then args+=(--root "$root"); fi
  if [[ $purge -eq 1 ]]; then args+=(--purge); fi
  "$bin_here" "${args[@]}" || fail "service uninstall failed (reason above)" "fix it and run this script again" 1
  rm -f "$bin_here"
  say "ok    removed $BINARY_PATH"
}

parse_args "$@"
if [[ "$action" == uninstall ]]; then do_uninstall "$@"; else do_install "$@"; fi
