#!/usr/bin/env bash
# sql/deploy.sh: the whole Snowflake deploy in one command, with Snowflake CLI (`snow sql`).
#
#   sql/deploy.sh -c <connection> -D database=DATAPIPE -D bucket=acme-datapipe -D prefix=agents/ \
#       -D aws_role_arn=arn:aws:iam::123456789012:role/datapipe-snowflake-read -D warehouse=COMPUTE_WH \
#       [-D alert_email=ops@example.com] [--skip-account] [--account-connection <connection>]
#
# What it guarantees (sql/README.md, "Deploy"):
#   * every value is validated before anything runs: a value is substituted into SQL text by
#     `snow sql -D`, so a quote, space or ';' in it could break or inject SQL;
#   * the scripts run in order and the deploy stops at the first error (snow sql stops at the
#     first failing statement of a file and exits non-zero; this script stops at that file);
#   * the merge tasks are never left suspended: 09_resume.sql runs right after 06_tasks.sql
#     (which re-creates them suspended), and again on exit if any later step failed;
#   * re-running changes nothing: every script is re-runnable (test/sql/static-checks.test.ts).
# Order: 00 (ACCOUNTADMIN; skip with --skip-account) 01 02 03 04 05 06 09 07 08, then 10 when
# alert_email is given. Needs Snowflake CLI >= 3.10.0, the first release with
# `--enable-templating` (RELEASE-NOTES.md of snowflakedb/snowflake-cli, v3.10.0); STANDARD means
# only `<% name %>` is substituted, so a bare '&' in SQL text is left alone.
set -u

readonly MIN_SNOW_VERSION=3.10.0
readonly SQL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REQUIRED=(database bucket prefix aws_role_arn warehouse)
readonly OPTIONAL=(alert_email)

connection=''
account_connection=''
skip_account=0
tasks_replaced=0
# Values live in var_<name> (no associative arrays: macOS ships bash 3.2).

fail() { echo "deploy.sh: $*" >&2; exit 2; }

usage() {
  sed -n '4,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

parse_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      -c|--connection) [ $# -ge 2 ] || usage; connection="$2"; shift 2 ;;
      --account-connection) [ $# -ge 2 ] || usage; account_connection="$2"; shift 2 ;;
      --skip-account) skip_account=1; shift ;;
      -D|--variable) [ $# -ge 2 ] || usage; add_variable "$2"; shift 2 ;;
      -h|--help) usage ;;
      *) fail "unknown argument '$1'; see sql/README.md, section Deploy" ;;
    esac
  done
  [ -n "$connection" ] || fail "-c <connection> is required: a connection name from your Snowflake CLI config.toml"
  [ -n "$account_connection" ] || account_connection="$connection"
}

add_variable() {
  case "$1" in *=*) ;; *) fail "-D $1: expected name=value" ;; esac
  local name="${1%%=*}" value="${1#*=}"
  case " ${REQUIRED[*]} ${OPTIONAL[*]} " in
    *" $name "*) ;;
    *) fail "-D $name: unknown variable; the scripts use: ${REQUIRED[*]} ${OPTIONAL[*]}" ;;
  esac
  printf -v "var_$name" '%s' "$value"
}

# The value of a variable, or nothing; is_set tells the two apart.
value_of() { local ref="var_$1"; printf '%s' "${!ref-}"; }
is_set() { local ref="var_$1"; [ -n "${!ref+set}" ]; }

# Each rule accepts only characters that cannot end a SQL string or identifier (no quote,
# backslash, space, ';' or '&'), so a rendered statement means what the script says.
validate() {
  local name
  for name in "${REQUIRED[@]}"; do
    is_set "$name" || fail "-D $name=... is missing; required: ${REQUIRED[*]}"
  done
  check database '^[A-Za-z][A-Za-z0-9_]{0,200}$' \
    'letters, digits and _ only, starting with a letter (it also names the roles and integrations)'
  check bucket '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' \
    'an S3 bucket name: 3-63 lower-case letters, digits, . and -'
  check warehouse '^[A-Za-z_][A-Za-z0-9_$]{0,254}$' 'an unquoted warehouse name: letters, digits, _ and $'
  check aws_role_arn '^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$' \
    'an IAM role ARN like arn:aws:iam::123456789012:role/datapipe-snowflake-read'
  local prefix
  prefix="$(value_of prefix)"
  if [ -n "$prefix" ]; then
    check prefix '^([A-Za-z0-9_.=-]+/)+$' \
      "the agents' s3.prefix: empty, or folders of letters, digits, _ . = - each ending with /"
    case "$prefix" in
      *customer=*) fail "-D prefix=$prefix: must not contain 'customer=': the merges take the customer from the first customer=<id>/ folder of a key" ;;
    esac
  fi
  if is_set alert_email; then
    check alert_email '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+[.][A-Za-z]{2,}$' 'an email address of a verified user of the account'
  fi
}

check() {
  local name="$1" pattern="$2" what="$3" value
  value="$(value_of "$name")"
  [[ "$value" =~ $pattern ]] || fail "-D $name=$value: not valid; expected $what"
}

check_cli() {
  command -v snow >/dev/null 2>&1 || fail "Snowflake CLI (snow) is not on PATH; install >= $MIN_SNOW_VERSION (https://docs.snowflake.com/en/developer-guide/snowflake-cli/installation/installation)"
  local version
  version="$(snow --version 2>/dev/null | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1)"
  [ -n "$version" ] || fail "could not read the version from 'snow --version'; need >= $MIN_SNOW_VERSION"
  if ! version_at_least "$version" "$MIN_SNOW_VERSION"; then
    fail "Snowflake CLI $version is too old: --enable-templating needs >= $MIN_SNOW_VERSION; upgrade snow"
  fi
}

# version_at_least 3.9.1 3.10.0 -> false. Compares major, minor, patch as numbers.
version_at_least() {
  local IFS=. have want i
  read -r -a have <<< "$1"
  read -r -a want <<< "$2"
  for i in 0 1 2; do
    if [ "$((10#${have[i]:-0}))" -gt "$((10#${want[i]:-0}))" ]; then return 0; fi
    if [ "$((10#${have[i]:-0}))" -lt "$((10#${want[i]:-0}))" ]; then return 1; fi
  done
  return 0
}

# Runs one script; returns snow's exit status. Only the variables the script uses are passed.
run_script() {
  local file="$1" conn="$2" name args=()
  for name in "${REQUIRED[@]}" "${OPTIONAL[@]}"; do
    if is_set "$name" && grep -q "<% *$name *%>" "$SQL_DIR/$file"; then args+=(-D "$name=$(value_of "$name")"); fi
  done
  echo "deploy.sh: running $file" >&2
  snow sql --enable-templating STANDARD -c "$conn" -f "$SQL_DIR/$file" ${args[@]+"${args[@]}"}
}

step() {
  local file="$1" conn="${2:-$connection}"
  if ! run_script "$file" "$conn"; then
    echo "deploy.sh: $file failed; nothing after it ran. Fix the cause and run the same command again (re-running is safe)." >&2
    exit 1
  fi
}

# On any exit after 06 started, make sure the tasks run: OR REPLACE left them suspended.
resume_on_exit() {
  local status=$?
  if [ "$tasks_replaced" = 1 ] && [ "$status" != 0 ]; then
    echo "deploy.sh: resuming the merge tasks after the failure (09_resume.sql)" >&2
    run_script 09_resume.sql "$connection" || echo "deploy.sh: resuming failed too: run sql/09_resume.sql by hand; MONITORING.PROBLEMS lists suspended tasks" >&2
  fi
  exit "$status"
}

main() {
  parse_args "$@"
  validate
  check_cli
  trap resume_on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  [ "$skip_account" = 1 ] || step 00_account.sql "$account_connection"
  local file
  for file in 01_schemas.sql 02_ingest.sql 03_curated_tables.sql 04_curated_views.sql 05_streams.sql; do step "$file"; done
  # From here the tasks may be suspended until 09 runs: the EXIT trap covers a failure inside 06.
  tasks_replaced=1
  step 06_tasks.sql
  step 09_resume.sql
  step 07_monitoring.sql
  step 08_grants.sql
  if is_set alert_email; then step 10_alert.sql; fi
  echo "deploy.sh: done; tasks resumed. Check: SELECT * FROM $(value_of database).MONITORING.PROBLEMS;" >&2
}

main "$@"
