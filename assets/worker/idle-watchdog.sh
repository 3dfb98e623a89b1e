#!/bin/bash
# jenkins-gpu-idle-watchdog: cost guard layer 2, run every minute by a systemd timer on a GPU worker.
# Powers the worker off (instance-initiated shutdown: stop for on-demand workers, terminate for spot
# workers, as the EC2 plugin sets it) when
#   - no Jenkins agent has been connected and nothing has run (no build heartbeat, no GPU use) for more
#     than NO_AGENT_MINUTES, or
#   - no agent is connected but a build keeps running for more than MAX_BUSY_NO_AGENT_MINUTES (a hung
#     build on a controller that never came back: the longest build the training job allows, plus a
#     margin), or
#   - an agent is connected but nothing has run on it (no build, no GPU use) for more than
#     IDLE_AGENT_MINUTES.
# A build keeps running when the controller goes away: pipeline `sh` steps run detached from the agent
# (durable-task), and the controller resumes them when it is back and the EC2 plugin has reconnected the
# agent. So a worker without an agent is kept while its build runs, and while a finished step's result
# waits for the controller to collect it (durable-task deletes the step's control dir once it has read
# jenkins-result.txt): powering off then would make the returning controller retry the finished training.
# It needs nothing from the controller, so it works when Jenkins is down. Limits are strict: exactly at the
# limit the worker is kept, one second later it is powered off.
#
# What counts as what (all read from this machine):
#   agent connected  a `java ... remoting.jar|agent.jar|slave.jar` process is running AND `ss` shows an
#                    established TCP connection on local port 22 (the EC2 plugin runs the agent over SSH).
#                    A java agent without any SSH connection is an orphan left by a dead controller (the
#                    plugin's zombie agents); SSH without the agent is a launch in progress or a person.
#                    Neither counts. If `ss` is missing or fails, the process alone decides.
#   build running    either signal is enough:
#                    1. a durable-task heartbeat: a file `<workspace>@tmp/durable-<id>/jenkins-log.txt`
#                       under REMOTE_FS modified at most BUILD_HEARTBEAT_SECONDS ago. The durable-task
#                       plugin starts every `sh` step as `nohup sh -c "(…) >&- 2>&- &"`, so the step's
#                       processes are re-parented to PID 1 (not descendants of the agent java); while
#                       the step runs, its wrapper touches that log file every 3 s.
#                    2. any process descending from the agent java, at any depth (steps that do not go
#                       through durable-task).
#   GPU busy         `nvidia-smi` reports utilization > 0 on any GPU. If nvidia-smi is missing or fails
#                    there is no GPU information and the GPU counts as idle: a broken driver must not keep
#                    an idle machine running; a real build is still seen by the heartbeat.
# Busy tag: while a build is running (with or without an agent connected), the instance tags itself
# `jenkins-gpu:busy-at=<UTC ISO-8601, e.g. 2026-11-29T19:20:00Z>` (aws ec2 create-tags; instance id and
# region from IMDSv2 at IMDS_URL) at most every BUSY_TAG_INTERVAL_MINUTES. The reaper Lambda keeps a
# running worker past its hard lifetime only while that tag is recent. A failure to tag is logged in one
# line and never changes the decision; it is retried on the next run. A refused or failed create-tags is
# also sent as one BusySignalFailures data point (CloudWatch namespace JenkinsGpu/Workers, dimension
# WorkerInstanceProfile: lib/contracts.ts), which the stack alarms on: without the tag the reaper
# stops the run at the hard lifetime, so this must not stay a line in the worker's journal.
# State: timestamp files in STATE_DIR (default under /run, a tmpfs, so a stop/start begins afresh and
# a restarted worker gets its full grace period).
# Config: /etc/jenkins-gpu/watchdog.env (path: WATCHDOG_ENV_FILE); WATCHDOG_NOW (epoch seconds) for tests.
set -euo pipefail

readonly LOG_TAG='jenkins-gpu-idle-watchdog'
readonly WATCHDOG_ENV_FILE="${WATCHDOG_ENV_FILE:-/etc/jenkins-gpu/watchdog.env}"

if [ -r "$WATCHDOG_ENV_FILE" ]; then
  # shellcheck disable=SC1090 # written by the worker's boot script
  . "$WATCHDOG_ENV_FILE"
fi

log() {
  echo "$LOG_TAG: $*" >&2
}

# positive_int NAME VALUE DEFAULT: VALUE if it is a positive integer, else DEFAULT (with a log line).
positive_int() {
  if [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ]; then
    echo "$2"
  else
    log "config $1='$2' is not a positive integer, using $3"
    echo "$3"
  fi
}

NO_AGENT_MINUTES="$(positive_int NO_AGENT_MINUTES "${NO_AGENT_MINUTES:-20}" 20)"
IDLE_AGENT_MINUTES="$(positive_int IDLE_AGENT_MINUTES "${IDLE_AGENT_MINUTES:-30}" 30)"
# Default: the training job's longest timeout (72 h) plus 2 h (lib/cost/job-timeout.ts); the payload writes
# the value derived there into watchdog.env.
MAX_BUSY_NO_AGENT_MINUTES="$(positive_int MAX_BUSY_NO_AGENT_MINUTES "${MAX_BUSY_NO_AGENT_MINUTES:-4440}" 4440)"
BUILD_HEARTBEAT_SECONDS="$(positive_int BUILD_HEARTBEAT_SECONDS "${BUILD_HEARTBEAT_SECONDS:-120}" 120)"
BUSY_TAG_INTERVAL_MINUTES="$(positive_int BUSY_TAG_INTERVAL_MINUTES "${BUSY_TAG_INTERVAL_MINUTES:-5}" 5)"
REMOTE_FS="${REMOTE_FS:-/home/ubuntu/jenkins}"
IMDS_URL="${IMDS_URL:-http://169.254.169.254}"
IMDS_URL="${IMDS_URL%/}"
STATE_DIR="${STATE_DIR:-/run/jenkins-gpu-watchdog}"
DRY_RUN="${DRY_RUN:-false}"
NOW="${WATCHDOG_NOW:-$(date +%s)}"

mkdir -p "$STATE_DIR"
readonly NO_AGENT_SINCE_FILE="$STATE_DIR/no-agent-since"
readonly IDLE_SINCE_FILE="$STATE_DIR/idle-since"
readonly BUSY_NO_AGENT_SINCE_FILE="$STATE_DIR/busy-no-agent-since"
readonly BUSY_TAG_FILE="$STATE_DIR/busy-tag-at"
readonly BUSY_TAG_KEY='jenkins-gpu:busy-at'
readonly METRIC_NAMESPACE='JenkinsGpu/Workers'
readonly BUSY_SIGNAL_FAILURES_METRIC='BusySignalFailures'
readonly PROFILE_DIMENSION='WorkerInstanceProfile'

# Prints "<agent java processes> <their descendant processes>".
agent_processes() {
  # The agent is recognised by its command (basename `java`) plus the jar, never by a pattern that the
  # awk program's own command line could match.
  ps -eo pid=,ppid=,args= 2>/dev/null | awk '
    {
      pid = $1; ppid = $2
      parent[pid] = ppid
      command = $3; sub(/.*\//, "", command)
      if (command == "java" && $0 ~ /(remoting|agent|slave)\.jar/) agent[pid] = 1
    }
    END {
      agents = 0; descendants = 0
      for (p in agent) agents++
      for (p in parent) {
        if (p in agent) continue
        q = parent[p]; depth = 0
        while (q != "" && q != "0" && depth < 100) {
          if (q in agent) { descendants++; break }
          q = parent[q]; depth++
        }
      }
      print agents, descendants
    }'
}

# Exit 0 if ss shows an established connection on local port 22, 1 if none, 2 if ss is unusable.
ssh_connection_state() {
  local connections
  if ! connections="$(ss -Htn state established '( sport = :22 )' 2>/dev/null)"; then
    return 2
  fi
  [ -n "${connections//[[:space:]]/}" ]
}

# Prints "<fresh heartbeats> <age in seconds of the newest heartbeat, or none>": the durable-task log files
# (<workspace>@tmp/durable-<id>/jenkins-log.txt) under REMOTE_FS. Fresh: modified at most
# BUILD_HEARTBEAT_SECONDS before NOW (a clock step that puts one in the future counts as fresh). The depth
# limit keeps the walk cheap on workspaces full of checkpoints and virtualenvs; it covers
# REMOTE_FS/workspace/<job>@tmp/durable-<id>/ and one level of folders.
heartbeats() {
  if [ ! -d "$REMOTE_FS" ]; then
    echo 0 none
    return
  fi
  { find "$REMOTE_FS" -maxdepth 6 -type f -name jenkins-log.txt \
      -regextype posix-extended -regex '.*@tmp/durable-[^/]+/jenkins-log\.txt' -printf '%T@\n' 2>/dev/null || true; } |
    awk -v now="$NOW" -v limit="$BUILD_HEARTBEAT_SECONDS" '
      {
        age = now - $1
        if (age < 0) age = 0
        age = int(age)
        if (age <= limit) fresh++
        if (newest == "" || age < newest) newest = age
      }
      END { print fresh + 0, (newest == "" ? "none" : newest) }'
}

# Prints the number of finished durable-task steps whose result the controller has not collected yet:
# `<workspace>@tmp/durable-<id>/jenkins-result.txt` files (the controller deletes the directory after
# reading the result: durable-task FileMonitoringTask cleanup).
uncollected_results() {
  if [ ! -d "$REMOTE_FS" ]; then
    echo 0
    return
  fi
  { find "$REMOTE_FS" -maxdepth 6 -type f -name jenkins-result.txt \
      -regextype posix-extended -regex '.*@tmp/durable-[^/]+/jenkins-result\.txt' -printf 'x\n' 2>/dev/null || true; } |
    awk 'END { print NR }'
}

# Prints busy | idle | unknown.
gpu_state() {
  local utilization
  if ! utilization="$(nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits 2>/dev/null)"; then
    echo unknown
    return
  fi
  if [ -z "${utilization//[[:space:]]/}" ]; then
    echo unknown
  elif printf '%s\n' "$utilization" | awk '$1 + 0 > 0 { found = 1 } END { exit found ? 0 : 1 }'; then
    echo busy
  else
    echo idle
  fi
}

# since_file FILE: epoch stored in FILE, created with NOW when missing or unreadable.
since_file() {
  local value=''
  if [ -r "$1" ]; then
    value="$(cat "$1")"
  fi
  if ! [[ "$value" =~ ^[0-9]+$ ]]; then
    value="$NOW"
    echo "$value" >"$1"
  fi
  echo "$value"
}

# imds PATH TOKEN: one IMDSv2 metadata value.
imds() {
  curl -fsS --max-time 2 -H "X-aws-ec2-metadata-token: $2" "$IMDS_URL/latest/meta-data/$1"
}

# Writes the busy-at tag on this instance unless it was written less than BUSY_TAG_INTERVAL_MINUTES ago.
# Never fails: any error is one log line, and the next run tries again.
tag_busy() {
  local last='' token instance_id region iso error
  if [ -r "$BUSY_TAG_FILE" ]; then
    last="$(cat "$BUSY_TAG_FILE" 2>/dev/null || true)"
  fi
  if [[ "$last" =~ ^[0-9]+$ ]] && [ $((NOW - last)) -lt $((BUSY_TAG_INTERVAL_MINUTES * 60)) ]; then
    return 0
  fi
  if ! token="$(curl -fsS --max-time 2 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
    "$IMDS_URL/latest/api/token" 2>&1)" || [ -z "$token" ]; then
    log "busy tag not written: no IMDSv2 token from $IMDS_URL ($(one_line "$token"))"
    return 0
  fi
  if ! instance_id="$(imds instance-id "$token" 2>&1)" || ! [[ "$instance_id" =~ ^i-[0-9a-f]+$ ]]; then
    log "busy tag not written: no instance id from IMDS ($(one_line "$instance_id"))"
    return 0
  fi
  if ! region="$(imds placement/region "$token" 2>&1)" || ! [[ "$region" =~ ^[a-z0-9-]+$ ]]; then
    log "busy tag not written: no region from IMDS ($(one_line "$region"))"
    return 0
  fi
  if ! iso="$(date -u -d "@$NOW" +%Y-%m-%dT%H:%M:%SZ)"; then
    log 'busy tag not written: date failed'
    return 0
  fi
  if ! error="$(aws ec2 create-tags --region "$region" --cli-connect-timeout 5 --cli-read-timeout 20 \
    --resources "$instance_id" --tags "Key=$BUSY_TAG_KEY,Value=$iso" 2>&1 >/dev/null)"; then
    log "busy tag not written: aws ec2 create-tags failed ($(one_line "$error"))"
    report_busy_signal_failure "$region" "$token"
    return 0
  fi
  if ! echo "$NOW" >"$BUSY_TAG_FILE"; then
    log "busy tag written but $BUSY_TAG_FILE not updated"
    return 0
  fi
  log "busy tag $BUSY_TAG_KEY=$iso written on $instance_id"
}

# report_busy_signal_failure REGION TOKEN: one BusySignalFailures data point for this worker's instance
# profile (the stack's alarm dimension). Never fails: a failure is one more log line.
report_busy_signal_failure() {
  local info profile error
  if ! info="$(imds iam/info "$2" 2>&1)"; then
    log "busy signal failure not reported: no instance profile from IMDS ($(one_line "$info"))"
    return 0
  fi
  local arn_pattern='"InstanceProfileArn"[[:space:]]*:[[:space:]]*"arn:[^"]*:instance-profile/([^"]*)"'
  profile=''
  if [[ "$info" =~ $arn_pattern ]]; then
    profile="${BASH_REMATCH[1]##*/}"
  fi
  if ! [[ "$profile" =~ ^[A-Za-z0-9+=,.@_-]+$ ]]; then
    log "busy signal failure not reported: no instance profile name in IMDS iam/info ($(one_line "$info"))"
    return 0
  fi
  if ! error="$(aws cloudwatch put-metric-data --region "$1" --cli-connect-timeout 5 --cli-read-timeout 20 \
    --namespace "$METRIC_NAMESPACE" --metric-name "$BUSY_SIGNAL_FAILURES_METRIC" \
    --dimensions "$PROFILE_DIMENSION=$profile" --value 1 --unit Count 2>&1 >/dev/null)"; then
    log "busy signal failure not reported: aws cloudwatch put-metric-data failed ($(one_line "$error"))"
    return 0
  fi
  log "busy signal failure reported ($METRIC_NAMESPACE $BUSY_SIGNAL_FAILURES_METRIC $PROFILE_DIMENSION=$profile)"
}

# one_line TEXT: TEXT on one line, at most 300 characters (for log lines).
one_line() {
  printf '%s' "$1" | tr '\n\t' '  ' | awk '{ print substr($0, 1, 300) }'
}

power_off() {
  if [ "$DRY_RUN" = true ]; then
    log "decision=poweroff dry_run=true $1"
    return
  fi
  log "decision=poweroff $1"
  systemctl poweroff
}

read -r agents descendants <<<"$(agent_processes)"
agents="${agents:-0}"
descendants="${descendants:-0}"

ssh_state=0
ssh_connection_state || ssh_state=$?
connected=false
if [ "$agents" -gt 0 ] && [ "$ssh_state" -ne 1 ]; then
  connected=true
fi

read -r fresh_heartbeats newest_heartbeat <<<"$(heartbeats)"
fresh_heartbeats="${fresh_heartbeats:-0}"
if [ "${newest_heartbeat:-none}" = none ]; then
  heartbeat=none
else
  heartbeat="${newest_heartbeat}s/${BUILD_HEARTBEAT_SECONDS}s"
fi
gpu="$(gpu_state)"
signals="heartbeat=$heartbeat build_processes=$descendants gpu=$gpu"
build_running=false
if [ "$fresh_heartbeats" -gt 0 ] || [ "$descendants" -gt 0 ]; then
  build_running=true
fi

if [ "$connected" != true ]; then
  rm -f "$IDLE_SINCE_FILE"
  results="$(uncollected_results)"
  signals="$signals results=$results"
  agent_detail="agent_java=$agents ssh=$([ "$ssh_state" -eq 0 ] && echo yes || echo no)"
  if [ "$build_running" = true ] || [ "$gpu" = busy ] || [ "$results" -gt 0 ]; then
    # The build outlives its agent (controller away): keep it, bounded; the no-agent grace restarts from now.
    since="$(since_file "$BUSY_NO_AGENT_SINCE_FILE")"
    elapsed=$((NOW - since))
    echo "$NOW" >"$NO_AGENT_SINCE_FILE"
    detail="no agent connected, build still running for ${elapsed}s ($signals $agent_detail) limit=${MAX_BUSY_NO_AGENT_MINUTES}m"
    if [ "$elapsed" -gt $((MAX_BUSY_NO_AGENT_MINUTES * 60)) ]; then
      power_off "$detail"
      exit 0
    fi
    log "decision=keep $detail"
    if [ "$build_running" = true ]; then
      tag_busy || true
    fi
    exit 0
  fi
  rm -f "$BUSY_NO_AGENT_SINCE_FILE"
  since="$(since_file "$NO_AGENT_SINCE_FILE")"
  elapsed=$((NOW - since))
  detail="no agent connected and nothing running for ${elapsed}s ($signals $agent_detail) limit=${NO_AGENT_MINUTES}m"
  if [ "$elapsed" -gt $((NO_AGENT_MINUTES * 60)) ]; then
    power_off "$detail"
  else
    log "decision=keep $detail"
  fi
  exit 0
fi

rm -f "$NO_AGENT_SINCE_FILE" "$BUSY_NO_AGENT_SINCE_FILE"
if [ "$build_running" = true ] || [ "$gpu" = busy ]; then
  rm -f "$IDLE_SINCE_FILE"
  log "decision=keep agent connected and busy ($signals)"
  if [ "$build_running" = true ]; then
    tag_busy || true
  fi
  exit 0
fi

since="$(since_file "$IDLE_SINCE_FILE")"
elapsed=$((NOW - since))
detail="agent connected, idle for ${elapsed}s ($signals) limit=${IDLE_AGENT_MINUTES}m"
if [ "$elapsed" -gt $((IDLE_AGENT_MINUTES * 60)) ]; then
  power_off "$detail"
else
  log "decision=keep $detail"
fi
