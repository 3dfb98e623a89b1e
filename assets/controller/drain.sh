#!/usr/bin/env bash
# Drains the controller before Auto Scaling terminates it; run as root through SSM Run Command by
# lambda/controller-drain when the group's termination lifecycle hook holds the instance in
# Terminating:Wait (a deploy that replaces the controller, or a replacement after a failed health check):
#   drain.sh --instance-id i-… --group ASG --hook HOOK --token TOKEN --minutes N --alert-topic ARN --region R
# Puts Jenkins into quiet-down (no new build starts; queued builds stay queued in JENKINS_HOME for the next
# controller), announces it on the alarm topic, waits up to N minutes for the running builds, stops Jenkins
# so it saves its state, then completes the lifecycle action (CONTINUE) so the instance terminates and
# releases JENKINS_HOME. A Jenkins that does not answer gets no wait. Whatever happens, the action is
# completed on exit; if even that fails, the hook's own timeout (N + a few minutes, default result
# CONTINUE) ends the wait.
set -euo pipefail
JG_LOG_PREFIX=drain
SCRIPT_DIR="$(readlink -f "${BASH_SOURCE[0]}")"
SCRIPT_DIR="${SCRIPT_DIR%/*}"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib.sh"

DRAIN_POLL_SECONDS="${DRAIN_POLL_SECONDS:-30}"
COMPLETE_ATTEMPTS="${COMPLETE_ATTEMPTS:-3}"
COMPLETE_RETRY_DELAY="${COMPLETE_RETRY_DELAY:-5}"
# A core or plugin upgrade waiting for builds (apply-config.sh) must not restart Jenkins out of quiet-down.
SAFE_RESTART_UNIT=jenkins-gpu-safe-restart
INSTANCE_ID="" GROUP="" HOOK="" TOKEN="" MINUTES="" ALERT_TOPIC="" ATTEMPTED="" NAP_PID=""

usage() {
  printf '[%s] ERROR: %s\n' "$JG_LOG_PREFIX" "$1" >&2
  printf 'usage: drain.sh --instance-id ID --group ASG --hook HOOK --token TOKEN --minutes N --alert-topic ARN --region REGION\n' >&2
  exit 2
}

# require NAME VALUE REGEX: the values come from an Auto Scaling event; refuse anything else.
require() {
  [[ "$2" =~ $3 ]] || usage "$1 must match $3 (got '$2')"
}

parse_args() {
  while (($# > 0)); do
    [[ $# -ge 2 ]] || usage "$1 needs a value"
    case "$1" in
      --instance-id) INSTANCE_ID="$2" ;;
      --group) GROUP="$2" ;;
      --hook) HOOK="$2" ;;
      --token) TOKEN="$2" ;;
      --minutes) MINUTES="$2" ;;
      --alert-topic) ALERT_TOPIC="$2" ;;
      --region) AWS_REGION="$2" ;;
      *) usage "unknown argument $1" ;;
    esac
    shift 2
  done
  require --instance-id "$INSTANCE_ID" '^i-[0-9a-f]{8,17}$'
  require --group "$GROUP" '^[A-Za-z0-9._-]{1,255}$'
  require --hook "$HOOK" '^[A-Za-z0-9/_-]{1,255}$'
  require --token "$TOKEN" '^[0-9a-fA-F-]{36}$'
  require --minutes "$MINUTES" '^[1-9][0-9]{0,2}$'
  require --alert-topic "$ALERT_TOPIC" '^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$'
  require --region "${AWS_REGION:-}" '^[a-z]{2}(-[a-z]+)+-[0-9]$'
  export AWS_REGION
}

# announce SUBJECT MESSAGE: to the alarm topic (e-mail with alertEmail); never fails the drain.
announce() {
  log "$1: $2"
  aws sns publish --region "$AWS_REGION" --topic-arn "$ALERT_TOPIC" --subject "$1" --message "$2" >/dev/null ||
    warn "could not publish to $ALERT_TOPIC"
}

complete_lifecycle_action() {
  local attempt
  ATTEMPTED=1
  for ((attempt = 1; attempt <= COMPLETE_ATTEMPTS; attempt++)); do
    if aws autoscaling complete-lifecycle-action --region "$AWS_REGION" --auto-scaling-group-name "$GROUP" \
      --lifecycle-hook-name "$HOOK" --lifecycle-action-token "$TOKEN" --lifecycle-action-result CONTINUE >/dev/null; then
      log "lifecycle action completed (CONTINUE): Auto Scaling terminates $INSTANCE_ID"
      return 0
    fi
    ((attempt == COMPLETE_ATTEMPTS)) || sleep "$COMPLETE_RETRY_DELAY"
  done
  warn "could not complete the lifecycle action of hook $HOOK; Auto Scaling continues when the hook times out"
  return 1
}

# on_exit: a failure anywhere above must not hold the instance (and JENKINS_HOME) until the hook times out.
on_exit() {
  local code=$?
  if [[ -n "$NAP_PID" ]]; then kill "$NAP_PID" 2>/dev/null || true; fi
  if [[ -z "$ATTEMPTED" ]]; then complete_lifecycle_action || code=1; fi
  exit "$code"
}

# nap SECONDS: a sleep a signal ends at once. Bash runs a trap only after its foreground child exits, and a
# signal that arrives just before `sleep` is forked is not seen by that sleep, so a plain `sleep 600` would
# hold the exit (and the lifecycle action) for the whole interval; `wait` returns as soon as a trapped
# signal arrives (bash(1), SIGNALS).
nap() {
  sleep "$1" &
  NAP_PID=$!
  wait "$NAP_PID" || true
  NAP_PID=""
}

# wait_for_builds: 0 once no executor is busy or Jenkins stops answering, 1 when the drain time is over.
# Bounded by the clock and by a count of polls (so a zero poll interval in tests ends too). BUSY holds the
# last count. busyExecutors counts the busy executors of online nodes (core hudson/model/ComputerSet.java
# lines 213-223 at jenkins-2.568.2): a node block on a GPU worker, not a Pipeline waiting in the queue.
BUSY=""
wait_for_builds() {
  local seconds=$((MINUTES * 60)) polls deadline
  polls=$((seconds / (DRAIN_POLL_SECONDS > 0 ? DRAIN_POLL_SECONDS : 1)))
  deadline=$((SECONDS + seconds))
  while :; do
    BUSY="$(busy_executors 2>/dev/null)" || BUSY=""
    if [[ ! "$BUSY" =~ ^[0-9]+$ ]]; then
      log "Jenkins no longer reports its executors: nothing left to wait for"
      return 0
    fi
    ((BUSY > 0)) || return 0
    ((polls > 0 && SECONDS < deadline)) || return 1
    log "waiting for $BUSY busy executor(s), at most $(((deadline - SECONDS + 59) / 60)) more minute(s)"
    nap "$DRAIN_POLL_SECONDS"
    polls=$((polls - 1))
  done
}

stop_jenkins() {
  # TimeoutStopSec=120 in jenkins.service bounds this. Jenkins saves its queue on the way down (core
  # jenkins/model/Jenkins.java cleanUp, lines 3891-3897 at jenkins-2.568.2), so queued builds wait in
  # JENKINS_HOME for the new controller.
  systemctl stop jenkins.service || warn "systemctl stop jenkins failed; the instance stops it when it terminates"
}

drain() {
  local code reason
  systemctl stop "$SAFE_RESTART_UNIT.service" >/dev/null 2>&1 || true
  code="$(http_get_code "$JG_JENKINS_URL/login" --max-time 10)"
  if [[ "$code" != "200" ]]; then
    announce "Jenkins controller replaced without a drain" \
      "Auto Scaling is terminating the Jenkins controller $INSTANCE_ID. Jenkins does not answer there (HTTP $code on /login), so the instance terminates without waiting."
    return 0
  fi
  reason="Controller replacement: this Jenkins stops within $MINUTES minutes. Running builds may finish; new builds wait for the new controller."
  if ! (quiet_down "$reason"); then
    announce "Jenkins controller replaced without a drain" \
      "Auto Scaling is terminating the Jenkins controller $INSTANCE_ID. Jenkins refused quiet-down (see the drain log in the SSM command output), so the instance terminates without waiting."
    stop_jenkins
    return 0
  fi
  BUSY="$(busy_executors 2>/dev/null)" || BUSY="an unknown number of"
  announce "Jenkins controller replacement: draining for up to $MINUTES minutes" \
    "Auto Scaling is terminating the Jenkins controller $INSTANCE_ID (a deploy replaces it, or it failed its health check). Jenkins is in quiet-down: no new build starts and queued builds wait for the new controller. $BUSY busy executor(s) get up to $MINUTES minutes to finish, then Jenkins stops and the new controller takes over JENKINS_HOME."
  if wait_for_builds; then
    log "no build is running: handing over"
  else
    announce "Jenkins controller replacement: $BUSY executor(s) still busy" \
      "After $MINUTES minutes $BUSY executor(s) are still busy on the Jenkins controller $INSTANCE_ID. Jenkins stops now and the instance terminates: Pipeline builds continue on the new controller if their worker is still running; other builds are lost."
  fi
  stop_jenkins
}

main() {
  parse_args "$@"
  trap on_exit EXIT
  # SSM's timeout and a shutdown send SIGTERM: end at once, through on_exit.
  trap 'exit 143' TERM INT
  drain
  complete_lifecycle_action
}

main "$@"
