#!/usr/bin/env bash
# One sample of the controller's health for the CloudWatch alarms (lib/constructs/
# controller-observability.ts), run every minute by jenkins-gpu-metrics.timer:
#   controller-metrics.sh --stack-name S --region R
# Sends, in namespace JenkinsGpu/Controller with dimension StackName=S:
#   JenkinsUp                   1 when /login answers 200, else 0 (a steady 503 after a failed boot is down)
#   JenkinsRestarts             starts of jenkins.service since the previous sample
#   JenkinsHomeDiskUsedPercent  when JENKINS_HOME is mounted
#   RootDiskUsedPercent
#   QueueStuckItems             buildable items waiting more than QUEUE_STUCK_MINUTES while no executor is
#                               busy (0 while any executor is busy); only when Jenkins' API answers
# A metric it cannot read is left out of the sample; the alarms treat a missing sample as their own case.
set -euo pipefail
# shellcheck disable=SC2034 # read by lib.sh's log functions
JG_LOG_PREFIX=controller-metrics
SCRIPT_DIR="$(readlink -f "${BASH_SOURCE[0]}")"
SCRIPT_DIR="${SCRIPT_DIR%/*}"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib.sh"

NAMESPACE=JenkinsGpu/Controller
QUEUE_STUCK_MINUTES="${QUEUE_STUCK_MINUTES:-60}"
STATE_FILE="$JG_RUN/metrics-jenkins-starts"
METRICS=()


# add NAME VALUE UNIT
add() {
  METRICS+=("{\"MetricName\":\"$1\",\"Value\":$2,\"Unit\":\"$3\",\"Dimensions\":[{\"Name\":\"StackName\",\"Value\":\"$STACK_NAME\"}]}")
}

jenkins_up() {
  [[ "$(http_get_code "$JG_JENKINS_URL/login" --max-time 10)" == "200" ]]
}

# jenkins_starts: how often jenkins.service started since the previous sample. systemd counts the restarts
# it made itself (Restart=) in NRestarts, and after a stop it does not follow with a restart (systemctl
# restart by healthcheck.sh, bootstrap.sh or a safe restart) it sets the count back to 0 at the next start
# (systemd src/core/service.c: service_enter_restart counts, service_enter_dead sets flush_n_restarts,
# service_start flushes; reset-failed clears it too). Every start gets a new InvocationID (systemd.exec(5),
# $INVOCATION_ID). So a lower count than last time means such a start happened and the count is the restarts
# since it, and a new id is at least one start. The first sample after a boot has no previous one and counts
# nothing: the boot's own start is not a restart.
jenkins_starts() {
  local count id prev_count prev_id starts
  count="$(systemctl show jenkins.service -p NRestarts --value)" || return 1
  id="$(systemctl show jenkins.service -p InvocationID --value)" || return 1
  [[ "$count" =~ ^[0-9]+$ ]] || return 1
  if [[ -r "$STATE_FILE" ]]; then
    read -r prev_count prev_id <"$STATE_FILE" || true
  fi
  # Between two starts (RestartSec) the unit has no invocation: keep the last one seen.
  [[ -n "$id" ]] || id="${prev_id:-}"
  mkdir -p "$JG_RUN"
  printf '%s %s\n' "$count" "$id" >"$STATE_FILE"
  if [[ ! "${prev_count:-}" =~ ^[0-9]+$ ]]; then
    printf '0\n'
    return 0
  fi
  if ((count >= prev_count)); then starts=$((count - prev_count)); else starts="$count"; fi
  if ((starts == 0)) && [[ -n "$id" && "$id" != "${prev_id:-}" ]]; then starts=1; fi
  printf '%s\n' "$starts"
}

# used_percent PATH: df's capacity of the filesystem PATH is the mount point of, or nothing when PATH is
# not a mount point (df then names the filesystem above it). POSIX df -P prints one line per filesystem:
# "Filesystem 1024-blocks Used Available Capacity Mounted on", Capacity as "NN%".
used_percent() {
  df -P "$1" 2>/dev/null | awk -v want="$1" 'NR == 2 && $6 == want { sub(/%$/, "", $5); print $5 }'
}

# stuck_items: buildable items older than QUEUE_STUCK_MINUTES, 0 while an executor is busy. Jenkins'
# queue API (hudson.model.Queue: Item#inQueueSince, epoch milliseconds; Item#isBuildable) needs Overall/Read,
# so both calls authenticate as admin (a curl config on stdin: the password never reaches the arguments).
stuck_items() {
  local busy auth cutoff
  busy="$(busy_executors)" || return 1
  [[ "$busy" =~ ^[0-9]+$ ]] || return 1
  if ((busy > 0)); then
    printf '0\n'
    return 0
  fi
  auth="$(admin_curl_config)" || return 1
  cutoff=$((($(date +%s) - QUEUE_STUCK_MINUTES * 60) * 1000))
  with_secret_curl_config "$auth" -- -fsS --max-time 10 \
    "$JG_JENKINS_URL/queue/api/json?tree=items%5Bbuildable,inQueueSince%5D" |
    jq -e --argjson cutoff "$cutoff" '[.items[] | select(.buildable and .inQueueSince < $cutoff)] | length'
}

put_metrics() {
  local data
  data="[$(
    IFS=,
    printf '%s' "${METRICS[*]}"
  )]"
  aws cloudwatch put-metric-data --region "$AWS_REGION" --cli-connect-timeout 5 --cli-read-timeout 20 \
    --namespace "$NAMESPACE" --metric-data "$data" >/dev/null ||
    die "aws cloudwatch put-metric-data failed: this minute's sample is lost"
}

main() {
  parse_stack_args "usage: controller-metrics.sh --stack-name S --region R" "$@"
  local starts percent stuck
  if jenkins_up; then
    add JenkinsUp 1 Count
    if stuck="$(stuck_items 2>/dev/null)" && [[ "$stuck" =~ ^[0-9]+$ ]]; then
      add QueueStuckItems "$stuck" Count
    else
      warn "cannot read Jenkins' queue or executors: no QueueStuckItems sample"
    fi
  else
    add JenkinsUp 0 Count
  fi
  if starts="$(jenkins_starts)"; then
    add JenkinsRestarts "$starts" Count
  else
    warn "cannot read NRestarts of jenkins.service: no JenkinsRestarts sample"
  fi
  percent="$(used_percent "$JG_JENKINS_HOME")"
  if [[ "$percent" =~ ^[0-9]+$ ]]; then add JenkinsHomeDiskUsedPercent "$percent" Percent; fi
  percent="$(used_percent "${JG_ROOT:-/}")"
  if [[ "$percent" =~ ^[0-9]+$ ]]; then
    add RootDiskUsedPercent "$percent" Percent
  else
    warn "cannot read the root filesystem's usage from df"
  fi
  put_metrics
}

main "$@"
