# shellcheck shell=bash
# Sourced by every script of the gpu-check job (jobs/gpu-check.Jenkinsfile). Each stage script reports its
# check as one line, `PASS|FAIL|SKIP <check>: <detail>`, on stdout and in a results file; summary.sh reads
# that file at the end and decides the build. Values of credentials are never printed: scripts only say
# whether a credential is set or still holds its placeholder.
#
# Jenkins sets WORKSPACE and WORKSPACE_TMP (`<workspace>@tmp`) for every `sh` step; everything lives there.
: "${WORKSPACE:?WORKSPACE is not set (Jenkins sets it for sh steps)}"
: "${WORKSPACE_TMP:?WORKSPACE_TMP is not set (Jenkins sets it for sh steps)}"

GPU_CHECK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RESULTS_FILE="$WORKSPACE/gpu-check-results.tsv"
# Paths for the stage scripts (shellcheck cannot see those uses from here): the framework's virtualenv; a small one for the gs://
# client, so the storage check does not depend on the framework installing; and where training writes
# before train.sh copies it to OUTPUT_DIR, the same way for every kind of location.
# shellcheck disable=SC2034
FRAMEWORK_VENV="$WORKSPACE_TMP/gpu-check-venv"
STORAGE_VENV="$WORKSPACE_TMP/gpu-check-storage-venv"
# shellcheck disable=SC2034
LOCAL_OUTPUT="$WORKSPACE/output"
# The placeholder a user-filled credential holds until `npm run credentials -- set` (lib/credentials).
PLACEHOLDER_PREFIX='PLACEHOLDER: '
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$HOME/.cache/pip}" PIP_DISABLE_PIP_VERSION_CHECK=1

# report STATUS CHECK DETAIL: one line on stdout and one in the results file (tabs and newlines flattened).
report() {
  local detail="${3//$'\t'/ }"
  detail="${detail//$'\n'/ }"
  printf '%s %s: %s\n' "$1" "$2" "$detail"
  printf '%s\t%s\t%s\n' "$1" "$2" "$detail" >>"$RESULTS_FILE"
}
pass() { report PASS "$1" "$2"; }
skip() { report SKIP "$1" "$2"; }
# fail CHECK DETAIL: reports and ends the script with exit 1, which fails the stage.
fail() {
  report FAIL "$1" "$2"
  exit 1
}

# usage MESSAGE: a mistake in how the pipeline calls a script (not a check result).
usage() {
  echo "usage: $*" >&2
  exit 2
}

# last_line FILE: the last non-blank line of FILE (for one-line error messages), or "(no output)".
last_line() {
  local line
  line="$(grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n 1)" || true
  echo "${line:-(no output)}"
}

# is_placeholder FILE: true when FILE starts with the placeholder text of an unset credential (compared as
# bytes, so a binary credential file is fine).
is_placeholder() {
  cmp -s -n "${#PLACEHOLDER_PREFIX}" "$1" <(printf '%s' "$PLACEHOLDER_PREFIX")
}

# make_venv DIR: a fresh virtualenv; with PIP_CONF_FILE set (the pypi-pip-conf credential) and not a
# placeholder, its pip uses that index, as the train job's does. Prints where packages come from.
make_venv() {
  rm -rf "$1"
  python3 -m venv "$1" >&2 || return 1
  if [ -n "${PIP_CONF_FILE:-}" ] && [ -s "$PIP_CONF_FILE" ] && ! is_placeholder "$PIP_CONF_FILE"; then
    install -m 600 "$PIP_CONF_FILE" "$1/pip.conf"
    echo 'the index in pypi-pip-conf'
  else
    echo 'the public index'
  fi
}

# location_kind LOCATION: gs, s3 or path.
location_kind() {
  case "$1" in
    gs://*) echo gs ;;
    s3://*) echo s3 ;;
    /*) echo path ;;
    *) echo unknown ;;
  esac
}

# put_file FILE LOCATION / get_file LOCATION FILE / put_dir DIR LOCATION (the directory's contents).
# s3:// uses the AWS CLI with the instance role (no region needed: the CLI follows S3's redirect to the
# bucket's region); gs:// uses gcs.py in STORAGE_VENV with GOOGLE_APPLICATION_CREDENTIALS; a path is a
# local directory on the worker. Errors go to stderr.
put_file() {
  case "$(location_kind "$2")" in
    s3) aws s3 cp --only-show-errors "$1" "$2" ;;
    gs) "$STORAGE_VENV/bin/python" "$GPU_CHECK_DIR/gcs.py" cp "$1" "$2" ;;
    path) mkdir -p "$(dirname "$2")" && cp "$1" "$2" ;;
    *) echo "not an s3://, gs:// or absolute location: $2" >&2 && return 2 ;;
  esac
}
get_file() {
  case "$(location_kind "$1")" in
    s3) aws s3 cp --only-show-errors "$1" "$2" ;;
    gs) "$STORAGE_VENV/bin/python" "$GPU_CHECK_DIR/gcs.py" cp "$1" "$2" ;;
    path) cp "$1" "$2" ;;
    *) echo "not an s3://, gs:// or absolute location: $1" >&2 && return 2 ;;
  esac
}
put_dir() {
  case "$(location_kind "$2")" in
    s3) aws s3 cp --only-show-errors --recursive "$1" "$2" ;;
    gs) "$STORAGE_VENV/bin/python" "$GPU_CHECK_DIR/gcs.py" cp "$1" "$2" ;;
    path) mkdir -p "$2" && cp -R "$1/." "$2/" ;;
    *) echo "not an s3://, gs:// or absolute location: $2" >&2 && return 2 ;;
  esac
}

# use_gcp_key: for a gs:// location, point GOOGLE_APPLICATION_CREDENTIALS at the key file the pipeline
# bound (GCP_KEY_FILE); returns 1 when it is missing or still the placeholder.
use_gcp_key() {
  [ -n "${GCP_KEY_FILE:-}" ] && [ -s "$GCP_KEY_FILE" ] && ! is_placeholder "$GCP_KEY_FILE" || return 1
  export GOOGLE_APPLICATION_CREDENTIALS="$GCP_KEY_FILE"
}

# error_line FILE: the last line starting with ERROR (pip's failure reason), else the last line.
error_line() {
  local line
  line="$(grep '^ERROR' "$1" 2>/dev/null | tail -n 1)" || true
  if [ -n "$line" ]; then echo "$line"; else last_line "$1"; fi
}

# plural COUNT WORD: "1 GPU", "2 GPUs".
plural() {
  if [ "$1" -eq 1 ]; then echo "$1 $2"; else echo "$1 ${2}s"; fi
}

# result_of CHECK: the last status reported for CHECK (PASS, FAIL, SKIP), empty when none.
result_of() {
  [ -f "$RESULTS_FILE" ] || return 0
  awk -F'\t' -v check="$1" '$2 == check { status = $1 } END { print status }' "$RESULTS_FILE"
}
