#!/usr/bin/env bash
# Applies the controller-config parameter's bundle to the running controller; run as root through SSM Run
# Command by the deploy (lambda/apply-config):
#   apply-config.sh --expect-digest <sha256>
# Same core and plugins: JCasC reload, no restart, running builds continue; a bundle Jenkins rejects is
# rolled back and the command fails with Jenkins' message. New core or plugins: installed next to the
# running ones as the pending release, then a safe restart that waits for running builds, at most
# safeRestartMaxWaitMinutes (scheduled with systemd-run).
#   apply-config.sh --safe-restart   (the scheduled restart itself)
# One lock (lock.sh) serializes applies and the restart itself; `current` is always what Jenkins runs.
# Exit 75 (EX_TEMPFAIL): the controller is still booting; its boot reads the parameter and applies it.
set -euo pipefail
JG_LOG_PREFIX=apply-config
SCRIPT_DIR="$(readlink -f "${BASH_SOURCE[0]}")"
SCRIPT_DIR="${SCRIPT_DIR%/*}"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib.sh"
# shellcheck source=lock.sh source-path=SCRIPTDIR
source "$SCRIPT_DIR/lock.sh"

KEEP_RELEASES="${KEEP_RELEASES:-5}"
SAFE_RESTART_POLL="${SAFE_RESTART_POLL:-30}"
SAFE_RESTART_UNIT=jenkins-gpu-safe-restart
# The bound on the wait for running builds, when the config parameter has no safeRestartMaxWaitMinutes
# (lib/settings: the same default). SAFE_RESTART_MAX_WAIT_SECONDS overrides both (tests).
DEFAULT_SAFE_RESTART_MAX_WAIT_MINUTES=60
# How long a restarted Jenkins may take to answer /login before the new release is rolled back (a boot
# failure Jenkins logs rolls back at once).
RESTART_WAIT_SECONDS="${RESTART_WAIT_SECONDS:-900}"
RESTART_WAIT_INTERVAL="${RESTART_WAIT_INTERVAL:-10}"
# A deploy that finds the controller booting: how long it waits for the boot's first release, and for a
# Jenkins that refuses connections or answers 503 while it starts (systemd restarts it 10 s after a crash).
APPLY_BOOT_WAIT_SECONDS="${APPLY_BOOT_WAIT_SECONDS:-900}"
APPLY_JENKINS_WAIT_SECONDS="${APPLY_JENKINS_WAIT_SECONDS:-300}"
APPLY_WAIT_INTERVAL="${APPLY_WAIT_INTERVAL:-5}"
EXIT_BOOTING=75

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

# reload_casc: POSTs the token reload once and sorts Jenkins' reply; on failure RELOAD_MESSAGE says why in
# one line and RELOAD_DETAIL adds what Jenkins logged about it.
# The replies of the pinned JCasC (2099 and later; TokenReloadAction.doIndex), as a real Jenkins gave them
# (test/scripts/jenkins-replies.ts holds the same shapes for the tests):
#   200, empty body                          applied                                           -> 0
#   200, {"status":"error","message":...}    JCasC rejected the YAML, Jenkins kept the old one -> 1
#   500, the generic "Oops!" page            failed outside JCasC's checks; cause only in log  -> 1
#   401 / 404                                wrong token / reload by token not enabled         -> 2
#   503 or connection refused                Jenkins not up (booting, or its boot failed)      -> 2
# 2: reloading the previous release would get the same answer. No retry: Jenkins answers a reload only
# when it is done with it (three concurrent reloads all got their own answer, never a 403).
RELOAD_MESSAGE="" RELOAD_DETAIL=""
reload_casc() {
  local token code body since curl_rc=0 outcome=0
  token="$(read_reload_token)"
  body="$(mktemp)"
  printf -v since '%(%s)T' -1
  code="$(with_secret_curl_config "url = \"$JG_JENKINS_URL/reload-configuration-as-code/?casc-reload-token=$token\"" -- \
    -sS -X POST --max-time 300 -o "$body" -w '%{http_code}')" || curl_rc=$?
  sort_reload_reply "$code" "$curl_rc" "$body" "$since" || outcome=$?
  rm -f "$body"
  return "$outcome"
}

# sort_reload_reply CODE CURL_EXIT BODY_FILE SINCE_EPOCH: the table above.
sort_reload_reply() {
  local code="$1" curl_rc="$2" body="$3" since="$4" cause id
  RELOAD_DETAIL=""
  if ((curl_rc == 7)); then
    RELOAD_MESSAGE="Jenkins is not running (connection to $JG_JENKINS_URL refused)"
    return 2
  fi
  case "$code" in
    200)
      reply_reports_error "$body" || return 0
      RELOAD_MESSAGE="Jenkins rejected the configuration: $(json_message "$body")"
      return 1
      ;;
    500)
      id="$(oops_logging_id "$body")"
      RELOAD_MESSAGE="Jenkins failed the reload outside JCasC's checks (HTTP 500${id:+, Logging ID=$id})"
      RELOAD_DETAIL="$(reload_errors_logged "$id" "$since")"
      return 1
      ;;
    401)
      RELOAD_MESSAGE="wrong reload token: Jenkins answered 401 to the token in $JG_TOKEN_ENV, which is not the CASC_RELOAD_TOKEN it started with (systemctl restart jenkins makes it read the file again)"
      return 2
      ;;
    404)
      RELOAD_MESSAGE="Jenkins has no reload by token (HTTP 404): it runs without CASC_RELOAD_TOKEN, which jenkins.service reads from $JG_TOKEN_ENV"
      return 2
      ;;
    503)
      if cause="$(jenkins_boot_failure)"; then
        RELOAD_MESSAGE="Jenkins failed to boot and answers 503 on every URL: $cause"
      else
        RELOAD_MESSAGE="Jenkins is still starting (HTTP 503)"
      fi
      return 2
      ;;
  esac
  RELOAD_MESSAGE="unexpected reply to the reload (HTTP ${code:-none}, curl exit $curl_rc): $(trim_reply "$body")"
  return 1
}

# reply_reports_error FILE: true when the reply is Jenkins' JSON {"status":"error",...}
# (hudson.util.HttpResponses.errorJSON). Not `jq -e`: jq 1.6 exits 0 on an empty body.
reply_reports_error() {
  [[ "$(jq -r 'if type == "object" then .status // "" else "" end' "$1" 2>/dev/null)" == "error" ]]
}

# json_message FILE: the "message" of that JSON, at most 40 lines (a JCasC message can span lines).
json_message() {
  jq -r '.message // "(no message)"' "$1" | sed -n '1,40p'
}

# oops_logging_id FILE: the <uuid> of "Logging ID=<uuid>" on Jenkins' "Oops!" page (jenkins/model/Jenkins/
# oops.jelly); Jenkins logs the exception under the same id (InstallUncaughtExceptionHandler, "Caught
# unhandled exception with ID <uuid>").
oops_logging_id() {
  local found
  found="$(grep -o 'Logging ID=[0-9a-fA-F-]*' "$1" | head -n1 || true)"
  printf '%s' "${found#Logging ID=}"
}

# reload_errors_logged LOGGING_ID SINCE_EPOCH: "; Jenkins log:" and the record Jenkins logged under the id
# since the reload began (a WARNING of InstallUncaughtExceptionHandler, with the exception).
reload_errors_logged() {
  local id="$1" records=""
  local -a lines
  if [[ -n "$id" ]]; then
    records="$(jenkins_journal --since "@$2" | jenkins_log_records "with ID $id\$")"
  fi
  if [[ -z "$records" ]]; then
    printf '; Jenkins logged no record of it (journalctl -u jenkins)'
    return 0
  fi
  mapfile -t lines <<<"$records"
  printf '; Jenkins log:'
  printf '\n  %s' "${lines[@]}"
}

# trim_reply FILE: an unexpected reply as text: without HTML tags and blank lines; at most 20 lines.
trim_reply() {
  sed -e 's/<[^>]*>//g' -e 's/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&#39;/'"'"'/g; s/&amp;/\&/g' "$1" |
    sed -e 's/^[[:space:]]*//; s/[[:space:]]*$//' -e '/^$/d' | sed -n '1,20p'
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
  ! same_file "$old/casc/plugins.lock" "$new/casc/plugins.lock" ||
    ! same_file "$old/casc/plugins.txt" "$new/casc/plugins.txt" ||
    ! same_file "$old/casc/jenkins-core.txt" "$new/casc/jenkins-core.txt"
}

# wait_for_jenkins_answer: a Jenkins that refuses connections or answers 503 while it starts gets
# APPLY_JENKINS_WAIT_SECONDS before the reload; any other answer (or a boot failure Jenkins logged) ends the
# wait at once, and the reload reports what it finds.
wait_for_jenkins_answer() {
  local polls code deadline=$((SECONDS + APPLY_JENKINS_WAIT_SECONDS))
  polls=$((APPLY_JENKINS_WAIT_SECONDS / (APPLY_WAIT_INTERVAL > 0 ? APPLY_WAIT_INTERVAL : 1)))
  while :; do
    code="$(http_get_code "$JG_JENKINS_URL/login" --max-time 10)"
    [[ "$code" == 000 || "$code" == 503 ]] || return 0
    if [[ "$code" == 503 ]] && jenkins_boot_failure >/dev/null; then return 0; fi
    ((polls > 0 && SECONDS < deadline)) || return 0
    log "Jenkins is not up yet (HTTP $code on /login): waiting at most $((deadline - SECONDS)) more seconds"
    sleep "$APPLY_WAIT_INTERVAL"
    polls=$((polls - 1))
  done
}

# apply_by_reload CONFIG OLD NEW: swap, reload; on rejection swap back and reload the previous release.
apply_by_reload() {
  local config="$1" old="$2" new="$3" rc=0
  wait_for_jenkins_answer
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
  local message="$RELOAD_MESSAGE; rolled back to ${old##*/}$RELOAD_DETAIL"
  if reload_casc; then
    log "previous release ${old##*/} reloaded"
  else
    warn "reloading the previous release ${old##*/} failed too: $RELOAD_MESSAGE"
  fi
  die "$message"
}

# apply_with_restart CONFIG NEW: core/plugins are staged first (a failure changes nothing active), then the
# release becomes the pending one and a safe restart is scheduled in the background. `current` stays what
# Jenkins runs until that restart, so a Jenkins that systemd restarts meanwhile starts the running release.
apply_with_restart() {
  local config="$1" new="$2"
  # Plugins first: their lock is checked before anything is downloaded.
  install_plugins "$new" "$config"
  install_core "$new" "$config"
  write_casc_vars "$config"
  point_pending "$new"
  schedule_safe_restart
  log "Jenkins core or plugins changed: release ${new##*/} is installed and pending; Jenkins restarts once running builds have finished (at most $(($(max_wait_seconds "$config") / 60)) minutes), then runs it (unit $SAFE_RESTART_UNIT)"
}

schedule_safe_restart() {
  if systemctl is-active --quiet "$SAFE_RESTART_UNIT"; then
    log "a safe restart is already scheduled; it will start the pending release"
    return 0
  fi
  systemctl reset-failed "$SAFE_RESTART_UNIT" >/dev/null 2>&1 || true
  systemd-run --unit "$SAFE_RESTART_UNIT" --description "Jenkins safe restart (jenkins-gpu)" \
    "$JG_BIN/apply-config.sh" --safe-restart >&2 || die "cannot schedule the safe restart"
}

# release_for CONFIG DIGEST: the release directory of DIGEST, staged from the parameter's bundle unless it is
# the active or the pending one (staging replaces the directory of its digest).
release_for() {
  local config="$1" digest="$2" dir
  for dir in "$(active_release)" "$(pending_release)"; do
    if [[ -n "$dir" && -d "$dir" && "${dir##*/}" == "$digest" ]]; then
      printf '%s\n' "$dir"
      return 0
    fi
  done
  stage_release "$config"
}

# wait_for_first_release: the boot (bootstrap.sh) installs the first release, then starts Jenkins; a deploy
# that comes first waits for it, and exits EXIT_BOOTING when the boot takes longer (the boot reads the
# parameter, which CloudFormation updated before it ran this command).
wait_for_first_release() {
  local deadline=$((SECONDS + APPLY_BOOT_WAIT_SECONDS)) polls
  polls=$((APPLY_BOOT_WAIT_SECONDS / (APPLY_WAIT_INTERVAL > 0 ? APPLY_WAIT_INTERVAL : 1)))
  until [[ -d "$(active_release)" ]]; do
    if ((polls <= 0 || SECONDS >= deadline)); then
      printf '[%s] %s\n' "$JG_LOG_PREFIX" "the controller is still booting (no active release after ${APPLY_BOOT_WAIT_SECONDS}s): its boot applies the config parameter" >&2
      exit "$EXIT_BOOTING"
    fi
    log "the controller is booting (no active release yet): waiting for its boot"
    sleep "$APPLY_WAIT_INTERVAL"
    polls=$((polls - 1))
  done
}

apply() {
  local expect="$1" config digest old new pending
  [[ "$expect" =~ ^[0-9a-f]{64}$ ]] || die "--expect-digest must be a sha256 hex"
  load_controller_env
  config="$(read_config_parameter "$CONFIG_PARAMETER")"
  digest="$(config_get "$config" .bundle.digest)"
  [[ "$digest" == "$expect" ]] || die "parameter holds digest $digest, deploy expected $expect"
  old="$(active_release)"
  pending="$(pending_release)"
  if [[ -n "$pending" ]]; then
    # Jenkins is quieting down for the pending restart: whatever this bundle holds starts at that restart.
    new="$(release_for "$config" "$digest")"
    log "a safe restart is pending: release ${new##*/} replaces ${pending##*/} as the release it starts"
    apply_with_restart "$config" "$new"
  elif [[ "${old##*/}" == "$digest" ]]; then
    # Same bundle, but the parameter's variables may differ (a new worker AMI id, subnets, …).
    if casc_vars_unchanged "$config"; then
      log "release $digest is already active"
      echo "already active"
      return 0
    fi
    apply_by_reload "$config" "$old" "$old"
    return 0
  else
    new="$(stage_release "$config")"
    if core_or_plugins_changed "$old" "$new"; then
      apply_with_restart "$config" "$new"
    else
      apply_by_reload "$config" "$old" "$new"
    fi
  fi
  prune_unused_releases "$KEEP_RELEASES"
}

# --- safe restart -----------------------------------------------------------------------------------------

# max_wait_seconds CONFIG: how long the safe restart waits for running builds (safeRestartMaxWaitMinutes).
max_wait_seconds() {
  local config="${1:-}" minutes=""
  if [[ -n "${SAFE_RESTART_MAX_WAIT_SECONDS:-}" ]]; then
    printf '%s\n' "$SAFE_RESTART_MAX_WAIT_SECONDS"
    return 0
  fi
  if [[ -n "$config" ]]; then
    minutes="$(config_get "$config" '.safeRestartMaxWaitMinutes // empty' 2>/dev/null)" || minutes=""
  fi
  [[ "$minutes" =~ ^[1-9][0-9]{0,4}$ ]] || minutes="$DEFAULT_SAFE_RESTART_MAX_WAIT_MINUTES"
  printf '%s\n' "$((minutes * 60))"
}

# wait_for_builds SECONDS: 0 once no executor is busy or Jenkins stops reporting them, 1 when SECONDS are
# over. Bounded by the clock and by a count of polls (a zero poll interval in tests ends too). BUSY holds the
# last count. Announced on the alarm topic: Jenkins starts no new build while it waits.
BUSY=""
wait_for_builds() {
  local seconds="$1" polls deadline
  polls=$((seconds / (SAFE_RESTART_POLL > 0 ? SAFE_RESTART_POLL : 1)))
  deadline=$((SECONDS + seconds))
  BUSY="$(busy_executors 2>/dev/null)" || BUSY=""
  [[ "$BUSY" =~ ^[0-9]+$ ]] && ((BUSY > 0)) || return 0
  notify "Jenkins restart for an upgrade: waiting for $BUSY running build(s)" \
    "Jenkins is in quiet-down for a core or plugin upgrade (release $(pending_label)): no new build starts until it restarts. It waits for $BUSY busy executor(s), at most $((seconds / 60)) minute(s) (setting safeRestartMaxWaitMinutes), then restarts anyway."
  while :; do
    ((polls > 0 && SECONDS < deadline)) || return 1
    log "waiting for running builds ($BUSY busy executors, at most $((deadline - SECONDS))s more)"
    sleep "$SAFE_RESTART_POLL"
    polls=$((polls - 1))
    BUSY="$(busy_executors 2>/dev/null)" || BUSY=""
    [[ "$BUSY" =~ ^[0-9]+$ ]] || return 0
    ((BUSY > 0)) || return 0
  done
}

pending_label() {
  local pending
  pending="$(pending_release)"
  printf '%s' "${pending:+${pending##*/}}"
  [[ -n "$pending" ]] || printf 'none pending'
}

safe_restart() {
  local config seconds
  load_controller_env
  config="$(read_config_parameter "$CONFIG_PARAMETER" 2>/dev/null)" || config=""
  seconds="$(max_wait_seconds "$config")"
  log "putting Jenkins into quiet mode"
  quiet_down
  if wait_for_builds "$seconds"; then
    log "no build running"
  else
    notify "Jenkins restart for an upgrade: $BUSY build(s) still running" \
      "After $((seconds / 60)) minute(s) (setting safeRestartMaxWaitMinutes) $BUSY executor(s) are still busy. Jenkins restarts now for release $(pending_label): Pipeline builds resume after the restart when their agent is still connected; other running builds are lost."
  fi
  # The lock only for the restart itself: applies during the wait above go on (and change the pending release).
  hold_apply_lock
  restart_onto_pending
  release_apply_lock
}

# restart_onto_pending: `current` becomes the pending release and Jenkins restarts; a release that does not
# come up is rolled back to the last known good one (what ran until now), and the parameter is set back to
# it so that the next boot does not start the failed one either.
restart_onto_pending() {
  local good target why
  good="$(active_release)"
  target="$(pending_release)"
  [[ -n "$target" && -d "$target" ]] || target="$good"
  log "restarting Jenkins on release ${target##*/}"
  point_current "$target"
  clear_pending
  systemctl restart jenkins
  if wait_for_jenkins_up "$RESTART_WAIT_SECONDS" "$RESTART_WAIT_INTERVAL"; then
    log "Jenkins is up on release ${target##*/}"
    return 0
  fi
  # A YAML that the new plugins reject (or a core that does not start) must not leave Jenkins down.
  why="$JG_WAIT_REASON"
  [[ "$target" != "$good" && -n "$good" && -d "$good" ]] ||
    die "release ${target##*/}: $why; no other release to roll back to"
  warn "release ${target##*/}: $why; rolling back to ${good##*/}"
  point_current "$good"
  local restored
  restored="$(restore_desired_state "${good##*/}")" || restored=""
  systemctl restart jenkins
  if ! wait_for_jenkins_up "$RESTART_WAIT_SECONDS" "$RESTART_WAIT_INTERVAL"; then
    notify "Jenkins down after an upgrade" \
      "Release ${target##*/}: $why. The previous release ${good##*/}: $JG_WAIT_REASON. $restored See journalctl -u jenkins on the controller."
    die "Jenkins does not come up on the previous release ${good##*/} either: $JG_WAIT_REASON"
  fi
  notify "Jenkins upgrade rolled back" \
    "Release ${target##*/} (new core or plugins) did not start: $why. The controller runs the previous release ${good##*/} again. $restored See journalctl -u jenkins-gpu-safe-restart on the controller."
  die "release ${target##*/} failed to start ($why); rolled back to ${good##*/}"
}

# restore_desired_state DIGEST: writes back the newest earlier value of the config parameter that names
# DIGEST (the highest Version that ssm get-parameter-history lists with it) and its JCasC variables, so the next
# boot starts the release that runs. Prints one sentence for the announcement; never fails the rollback.
# CloudFormation does not see the change: its next update of the parameter (a new bundle or variables)
# overwrites it, and an unchanged template leaves the restored value.
restore_desired_state() {
  local digest="$1" history value
  local -a region
  mapfile -t region < <(aws_region_args)
  if ! history="$(aws ssm get-parameter-history --name "$CONFIG_PARAMETER" "${region[@]}" --output json)"; then
    warn "cannot read the history of $CONFIG_PARAMETER"
    printf 'The config parameter %s still names the failed release (its history could not be read): the next boot starts it again unless you deploy a fix.' "$CONFIG_PARAMETER"
    return 0
  fi
  value="$(jq -c --arg d "$digest" \
    '[.Parameters[]? | {version: .Version, value: (.Value | fromjson? // {})} | select(.value.bundle.digest? == $d)]
     | max_by(.version) | .value // empty' <<<"$history")" || value=""
  if [[ -z "$value" ]]; then
    warn "no earlier value of $CONFIG_PARAMETER names release $digest"
    printf 'The config parameter %s still names the failed release (no earlier value names %s): the next boot starts it again unless you deploy a fix.' "$CONFIG_PARAMETER" "$digest"
    return 0
  fi
  if ! aws ssm put-parameter --name "$CONFIG_PARAMETER" "${region[@]}" --type String --overwrite \
    --value "$value" >/dev/null; then
    warn "cannot write $CONFIG_PARAMETER back"
    printf 'The config parameter %s could not be set back and still names the failed release: the next boot starts it again unless you deploy a fix.' "$CONFIG_PARAMETER"
    return 0
  fi
  (write_casc_vars "$value") || warn "could not write the JCasC variables of release $digest back"
  log "config parameter $CONFIG_PARAMETER set back to release $digest"
  printf 'The config parameter %s names release %s again, so the next boot starts it too (the next deploy that changes the config overwrites it).' "$CONFIG_PARAMETER" "$digest"
}

# notify SUBJECT MESSAGE: tells the operators through the stack's alarm topic (alertTopicArn in the
# config parameter), because a rollback after the deploy has finished is invisible to CloudFormation.
# Never fails the caller.
notify() {
  local config topic
  log "$1: $2"
  load_controller_env 2>/dev/null || return 0
  config="$(read_config_parameter "$CONFIG_PARAMETER" 2>/dev/null)" || return 0
  topic="$(config_get "$config" '.alertTopicArn // empty' 2>/dev/null)" || topic=""
  [[ -n "$topic" ]] || return 0
  aws sns publish --topic-arn "$topic" --subject "$1" --message "$2" >/dev/null ||
    warn "could not publish to $topic"
}

# copy_log_to_cloudwatch_file: a deploy-time apply runs under SSM Run Command, whose output stays in the
# command; the log lines also go to the file the CloudWatch agent ships to /jenkins-gpu/<stack>/apply-config
# (observability-setup.sh creates its directory; the safe restart's journal is appended there by
# jenkins-gpu-log-apply-config.service). No directory (the agent is not set up yet): nothing to copy.
copy_log_to_cloudwatch_file() {
  local dir="$JG_ROOT/var/log/jenkins-gpu"
  [[ -d "$dir" ]] || return 0
  exec 2> >(tee -a "$dir/apply-config.log" >&2)
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
  copy_log_to_cloudwatch_file
  wait_for_first_release
  # One apply at a time, and none during the safe restart's restart: a second deploy's command waits instead
  # of racing the swap.
  hold_apply_lock
  apply "$expect"
}

main "$@"
