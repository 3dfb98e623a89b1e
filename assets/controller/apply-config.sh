#!/usr/bin/env bash
# Applies the controller-config parameter's bundle to the running controller; run as root through SSM Run
# Command by the deploy (lambda/apply-config):
#   apply-config.sh --expect-digest <sha256>
# Same core and plugins: JCasC reload, no restart, running builds continue; a bundle Jenkins rejects is
# rolled back and the command fails with Jenkins' message. New core or plugins: installed next to the
# running ones, then a safe restart that waits for running builds (scheduled with systemd-run).
#   apply-config.sh --safe-restart   (the scheduled restart itself)
set -euo pipefail
JG_LOG_PREFIX=apply-config
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

KEEP_RELEASES="${KEEP_RELEASES:-5}"
RELOAD_ATTEMPTS="${RELOAD_ATTEMPTS:-5}"
RELOAD_RETRY_DELAY="${RELOAD_RETRY_DELAY:-5}"
SAFE_RESTART_POLL="${SAFE_RESTART_POLL:-30}"
SAFE_RESTART_UNIT=jenkins-gpu-safe-restart
# How long a restarted Jenkins may take to answer /login before the new release is rolled back.
RESTART_WAIT_SECONDS="${RESTART_WAIT_SECONDS:-900}"
RESTART_WAIT_INTERVAL="${RESTART_WAIT_INTERVAL:-10}"

# load_controller_env: parameter name and region written by bootstrap.sh; flags and env win.
load_controller_env() {
  if [[ -r "$JG_CONTROLLER_ENV" ]]; then
    local saved_region="${AWS_REGION:-}" saved_param="${CONFIG_PARAMETER:-}"
    # shellcheck source=/dev/null
    source "$JG_CONTROLLER_ENV"
    AWS_REGION="${saved_region:-${AWS_REGION:-}}"
    CONFIG_PARAMETER="${saved_param:-${CONFIG_PARAMETER:-}}"
  fi
  [[ -n "${CONFIG_PARAMETER:-}" ]] || die "no config parameter: $JG_CONTROLLER_ENV missing and --config-parameter not given"
  export AWS_REGION
}

# --- reload -----------------------------------------------------------------------------------------------

# reload_casc: POSTs the token reload; prints nothing, returns 0 on 2xx. On failure it leaves Jenkins' reply
# (trimmed, tags stripped) in RELOAD_MESSAGE. Exit code 2: nothing listens (Jenkins down).
RELOAD_MESSAGE=""
reload_casc() {
  local token attempt code body rc
  token="$(read_reload_token)"
  body="$(mktemp)"
  for ((attempt = 1; attempt <= RELOAD_ATTEMPTS; attempt++)); do
    rc=0
    code="$(with_secret_curl_config "url = \"$JG_JENKINS_URL/reload-configuration-as-code/?casc-reload-token=$token\"" -- \
      -sS -X POST --max-time 300 -o "$body" -w '%{http_code}')" || rc=$?
    if ((rc == 7)); then
      rm -f "$body"
      RELOAD_MESSAGE="Jenkins is not running (connection to $JG_JENKINS_URL refused)"
      return 2
    fi
    # Depending on the JCasC release a failed reload answers 500 or 200, both with a JSON body
    # {"status":"error","message":…}: a 2xx only counts when the body does not report an error.
    if [[ "$code" =~ ^2 ]] && ! reply_reports_error "$body"; then
      rm -f "$body"
      return 0
    fi
    # JCasC answers 403 while a reload is still running (configuration-as-code-plugin#2524): try again.
    if [[ "$code" == "403" ]] && ((attempt < RELOAD_ATTEMPTS)); then
      log "reload answered 403 (attempt $attempt/$RELOAD_ATTEMPTS), retrying in ${RELOAD_RETRY_DELAY}s"
      sleep "$RELOAD_RETRY_DELAY"
      continue
    fi
    break
  done
  RELOAD_MESSAGE="Jenkins rejected the configuration (HTTP ${code:-none}): $(trim_reply "$body")"
  # Failures outside JCasC's own checks (e.g. strict secret resolution) answer a generic error page:
  # Jenkins' log says what went wrong.
  if [[ "$code" =~ ^5 ]] && ! jq -e 'type == "object" and has("message")' "$body" >/dev/null 2>&1; then
    local logged
    logged="$(recent_jenkins_errors)"
    [[ -z "$logged" ]] || RELOAD_MESSAGE+=$'\n'"Jenkins log: $logged"
  fi
  rm -f "$body"
  return 1
}

# recent_jenkins_errors: the last SEVERE/exception lines Jenkins logged in the past 5 minutes.
recent_jenkins_errors() {
  command -v journalctl >/dev/null || return 0
  journalctl -u jenkins --since "-5min" --no-pager -o cat 2>/dev/null |
    grep -E 'SEVERE|Exception|Error' | tail -n 10 || true
}

# reply_reports_error FILE: true when the reply is JCasC's JSON with "status" other than "ok".
reply_reports_error() {
  local status
  status="$(jq -r 'if type == "object" then (.status // "") else "" end' "$1" 2>/dev/null)" || return 1
  [[ -n "$status" && "$status" != "ok" ]]
}

# trim_reply FILE: Jenkins' reply as text: the JSON "message" if there is one, else the page without HTML
# tags and blank lines; at most 40 lines.
trim_reply() {
  local message
  message="$(jq -r 'if type == "object" then (.message // empty) else empty end' "$1" 2>/dev/null)" || message=""
  if [[ -n "$message" ]]; then
    printf '%s\n' "$message" | head -n 40
    return 0
  fi
  sed -e 's/<[^>]*>//g' -e 's/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&#39;/'"'"'/g; s/&amp;/\&/g' "$1" |
    sed -e 's/^[[:space:]]*//; s/[[:space:]]*$//' -e '/^$/d' | head -n 40
}

# --- var files backup (a rejected bundle must leave the previous variables too) ---------------------------

backup_casc_vars() {
  rm -rf "$JG_RUN/casc-vars.previous"
  if [[ -d "$JG_CASC_VARS" ]]; then cp -a "$JG_CASC_VARS" "$JG_RUN/casc-vars.previous"; fi
}

restore_casc_vars() {
  if [[ -d "$JG_RUN/casc-vars.previous" ]]; then
    rm -rf "$JG_CASC_VARS"
    mv -T "$JG_RUN/casc-vars.previous" "$JG_CASC_VARS"
  fi
}

# --- apply paths ------------------------------------------------------------------------------------------

same_file() { cmp -s "$1" "$2"; }

# casc_vars_unchanged CONFIG: would writing CONFIG's variables leave the JCasC variable files as they are?
casc_vars_unchanged() {
  local config="$1" unchanged=0
  backup_casc_vars
  write_casc_vars "$config"
  if [[ -d "$JG_RUN/casc-vars.previous" ]] && diff -rq "$JG_RUN/casc-vars.previous" "$JG_CASC_VARS" >/dev/null; then
    unchanged=1
  fi
  restore_casc_vars
  ((unchanged == 1))
}

core_or_plugins_changed() {
  local old="$1" new="$2"
  ! same_file "$old/casc/plugins.txt" "$new/casc/plugins.txt" ||
    ! same_file "$old/casc/jenkins-core.txt" "$new/casc/jenkins-core.txt"
}

# apply_by_reload CONFIG OLD NEW: swap, reload; on rejection swap back and reload the previous release.
apply_by_reload() {
  local config="$1" old="$2" new="$3" rc=0
  backup_casc_vars
  write_casc_vars "$config"
  point_current "$new"
  reload_casc || rc=$?
  if ((rc == 0)); then
    rm -rf "$JG_RUN/casc-vars.previous"
    log "configuration ${new##*/} applied by a JCasC reload; no restart"
    return 0
  fi
  point_current "$old"
  restore_casc_vars
  if ((rc == 2)); then
    die "$RELOAD_MESSAGE; the previous release ${old##*/} stays active"
  fi
  local message="$RELOAD_MESSAGE"
  log "$message"
  if reload_casc; then
    log "previous release ${old##*/} reloaded"
  else
    warn "reloading the previous release ${old##*/} failed too: $RELOAD_MESSAGE"
  fi
  die "$message; rolled back to ${old##*/}"
}

# apply_with_restart CONFIG NEW: core/plugins are staged first (a failure changes nothing active), then the
# release becomes current and a safe restart is scheduled in the background.
apply_with_restart() {
  local config="$1" old="$2" new="$3"
  install_core "$(core_version "$new")"
  install_plugins "$new"
  write_casc_vars "$config"
  # The safe restart rolls back to this release if Jenkins does not come up on the new one.
  printf '%s\n' "$old" >"$JG_RUN/previous-release"
  point_current "$new"
  schedule_safe_restart
  log "Jenkins core or plugins changed: release ${new##*/} is installed; Jenkins restarts once running builds have finished (unit $SAFE_RESTART_UNIT)"
}

schedule_safe_restart() {
  if systemctl is-active --quiet "$SAFE_RESTART_UNIT"; then
    log "a safe restart is already scheduled; it will start the new release"
    return 0
  fi
  systemctl reset-failed "$SAFE_RESTART_UNIT" >/dev/null 2>&1 || true
  systemd-run --unit "$SAFE_RESTART_UNIT" --description "Jenkins safe restart (jenkins-gpu)" \
    "$JG_BIN/apply-config.sh" --safe-restart >&2 || die "cannot schedule the safe restart"
}

apply() {
  local expect="$1" config digest old new
  [[ "$expect" =~ ^[0-9a-f]{64}$ ]] || die "--expect-digest must be a sha256 hex"
  load_controller_env
  config="$(read_config_parameter "$CONFIG_PARAMETER")"
  digest="$(config_get "$config" .bundle.digest)"
  [[ "$digest" == "$expect" ]] || die "parameter holds digest $digest, deploy expected $expect"
  old="$(active_release)"
  [[ -n "$old" && -d "$old" ]] || die "no active release: the controller has not finished booting"
  if [[ "${old##*/}" == "$digest" ]]; then
    # Same bundle, but the parameter's variables may differ (a new worker AMI id, subnets, …).
    if casc_vars_unchanged "$config"; then
      log "release $digest is already active"
      echo "already active"
      return 0
    fi
    apply_by_reload "$config" "$old" "$old"
    return 0
  fi
  new="$(stage_release "$config")"
  if core_or_plugins_changed "$old" "$new"; then
    apply_with_restart "$config" "$old" "$new"
  else
    apply_by_reload "$config" "$old" "$new"
  fi
  prune_releases "$KEEP_RELEASES"
}

# --- safe restart -----------------------------------------------------------------------------------------

safe_restart() {
  log "putting Jenkins into quiet mode"
  quiet_down
  local busy
  while :; do
    busy="$(busy_executors || echo unknown)"
    [[ "$busy" == "0" ]] && break
    log "waiting for running builds ($busy busy executors)"
    sleep "$SAFE_RESTART_POLL"
  done
  log "no build running: restarting Jenkins"
  systemctl restart jenkins
  local current previous
  current="$(active_release)"
  if wait_until_up; then
    log "Jenkins is up on release ${current##*/}"
    rm -f "$JG_RUN/previous-release"
    return 0
  fi
  # A YAML that the new plugins reject (or a core that does not start) must not leave Jenkins down.
  previous="$(cat "$JG_RUN/previous-release" 2>/dev/null || true)"
  [[ -n "$previous" && -d "$previous" ]] ||
    die "Jenkins did not answer within ${RESTART_WAIT_SECONDS}s on release ${current##*/} and no previous release is recorded"
  warn "Jenkins did not answer within ${RESTART_WAIT_SECONDS}s on release ${current##*/}: rolling back to ${previous##*/}"
  point_current "$previous"
  systemctl restart jenkins
  if ! wait_until_up; then
    notify "Jenkins down after an upgrade" \
      "Jenkins answered neither on release ${current##*/} nor on the previous ${previous##*/}. See journalctl -u jenkins on the controller."
    die "Jenkins does not answer on the previous release ${previous##*/} either"
  fi
  rm -f "$JG_RUN/previous-release"
  notify "Jenkins upgrade rolled back" \
    "Release ${current##*/} (new core or plugins) did not start within ${RESTART_WAIT_SECONDS}s; the controller runs the previous release ${previous##*/} again. See journalctl -u jenkins-gpu-safe-restart on the controller."
  die "release ${current##*/} failed to start; rolled back to ${previous##*/} (see journalctl -u jenkins)"
}

# notify SUBJECT MESSAGE: tells the operators through the stack's alarm topic (alertTopicArn in the
# config parameter), because a rollback after the deploy has finished is invisible to CloudFormation.
# Never fails the caller.
notify() {
  local config topic
  load_controller_env 2>/dev/null || return 0
  config="$(read_config_parameter "$CONFIG_PARAMETER" 2>/dev/null)" || return 0
  topic="$(config_get "$config" '.alertTopicArn // empty' 2>/dev/null)" || topic=""
  [[ -n "$topic" ]] || return 0
  aws sns publish --topic-arn "$topic" --subject "$1" --message "$2" >/dev/null ||
    warn "could not publish to $topic"
}

# wait_until_up: true once /login answers 200 within RESTART_WAIT_SECONDS.
wait_until_up() {
  local waited=0
  while ((waited <= RESTART_WAIT_SECONDS)); do
    [[ "$(http_get_code "$JG_JENKINS_URL/login" --max-time 10)" == "200" ]] && return 0
    sleep "$RESTART_WAIT_INTERVAL"
    waited=$((waited + RESTART_WAIT_INTERVAL))
  done
  return 1
}

main() {
  local expect="" mode=apply
  while (($# > 0)); do
    case "$1" in
      --expect-digest) expect="${2:-}" && shift ;;
      --config-parameter) CONFIG_PARAMETER="${2:-}" && shift ;;
      --region) AWS_REGION="${2:-}" && shift ;;
      --safe-restart) mode=safe-restart ;;
      *) die "usage: apply-config.sh --expect-digest <sha256> | --safe-restart" ;;
    esac
    shift
  done
  if [[ "$mode" == safe-restart ]]; then
    safe_restart
    return 0
  fi
  [[ -n "$expect" ]] || die "usage: apply-config.sh --expect-digest <sha256>"
  mkdir -p "$JG_RUN"
  # One apply at a time: a second deploy's command waits for the first instead of racing its swap.
  exec 9>"$JG_RUN/apply.lock"
  flock 9
  apply "$expect"
}

main "$@"
