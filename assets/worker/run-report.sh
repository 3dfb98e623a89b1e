#!/bin/bash
# jenkins-gpu-run-report --queued-ms MS --started-ms MS: what this build's GPU run cost and waited, as one
# line for the build page (jobs/train.Jenkinsfile sets it as the build description after the training
# stage), e.g.
#   g4dn.xlarge in us-east-1b; waited 48 s for its worker (restarted a stopped worker); GPU time 1 h 12 min,
#   $0.63 at $0.526/hour (on-demand, us-east-1, data/ec2-prices.json 2026-07)
# Installed as /usr/local/sbin/jenkins-gpu-run-report by the worker payload (assets/worker/payload.sh); runs
# as the build user on the worker, at the end of the build's time on it.
#   --queued-ms   when the build was queued (currentBuild.timeInMillis)
#   --started-ms  when it started running (currentBuild.startTimeInMillis)
# Reads IMDSv2 (instance type, zone, region, lifecycle), the boot milestones (jenkins-gpu-milestone) and the
# price table the payload ships (data/ec2-prices.json). Records agent-connected (if this boot has none yet)
# and build-end, and sends GpuSeconds and, when the price is known, CostUsd (namespace JenkinsGpu/Workers,
# dimensions Fleet and Template: lib/contracts.ts); `npm run workers -- cost` sums them.
#
# Why the build waited, from the milestones of the worker's current boot (Q = queued; I = the last
# instance-start; the file keeps every start, a stopped worker keeps its root volume):
#   I >= Q, the only instance-start in the file   "launched a new worker"; it had the worker at its
#                                                 agent-connected (now if none)
#   I >= Q, earlier instance-starts in the file   "restarted a stopped worker"; idem
#   I < Q, a build-end after Q                    "waited in the queue for the cap (its worker was busy with
#                                                 another build)"; it had the worker at that build-end
#   I < Q, agent-connected after Q                "took a worker that was already starting"; at agent-connected
#   I < Q otherwise                               "reused a running worker"; at Q
#   no instance-start                             "why unknown: no boot milestones on this worker"
# Waited = had-the-worker - Q. GPU time: the instance's time this build accounts for: since I when the
# worker was (re)started for it (the boot is billed too), else since it had the worker; without milestones,
# since --started-ms. The price is the table's on-demand price for the type, in the table's region only;
# a spot worker is billed the spot price, so its line gives the on-demand price as a ceiling and no
# CostUsd is sent.
# Never fails the build: whatever is unknown is said so in the line; the exit status is always 0 (strict
# mode catches only this script's own mistakes; every expected failure is handled where it happens).
# Settings (tests): JENKINS_GPU_WORKER_ROOT, MILESTONES_FILE, PRICES_FILE, IMDS_URL, REPORT_NOW,
# MILESTONE_BIN.
set -euo pipefail

readonly LOG_TAG='jenkins-gpu-run-report'
readonly ROOT="${JENKINS_GPU_WORKER_ROOT:-}"
MILESTONES_FILE="${MILESTONES_FILE:-$ROOT/var/lib/jenkins-gpu/milestones}"
PRICES_FILE="${PRICES_FILE:-$ROOT/etc/jenkins-gpu/ec2-prices.json}"
MILESTONE_BIN="${MILESTONE_BIN:-$ROOT/usr/local/sbin/jenkins-gpu-milestone}"
IMDS_URL="${IMDS_URL:-http://169.254.169.254}"
IMDS_URL="${IMDS_URL%/}"
NOW="${REPORT_NOW:-$(date +%s)}"
readonly METRIC_NAMESPACE='JenkinsGpu/Workers'
readonly PRICE_TABLE_NAME='data/ec2-prices.json'

warn() {
  echo "$LOG_TAG: WARNING: $*" >&2
}

one_line() {
  printf '%s' "$1" | tr '\n\t' '  ' | awk '{ print substr($0, 1, 300) }'
}

queued_ms='' started_ms=''
while [ "$#" -gt 0 ]; do
  case "$1" in
    --queued-ms) queued_ms="${2:-}"; shift $(($# > 1 ? 1 : 0)) ;;
    --started-ms) started_ms="${2:-}"; shift $(($# > 1 ? 1 : 0)) ;;
    *) warn "unknown argument '$1' (allowed: --queued-ms MS --started-ms MS)" ;;
  esac
  shift
done
queued=''
started=''
if [[ "$queued_ms" =~ ^[0-9]+$ ]]; then queued=$((queued_ms / 1000)); else warn "--queued-ms '$queued_ms' is not milliseconds since 1970"; fi
if [[ "$started_ms" =~ ^[0-9]+$ ]]; then started=$((started_ms / 1000)); else warn "--started-ms '$started_ms' is not milliseconds since 1970"; fi

token="$(curl -fsS --max-time 2 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
  "$IMDS_URL/latest/api/token" 2>/dev/null)" || token=''
[ -n "$token" ] || warn "no IMDSv2 token from $IMDS_URL"
imds() {
  [ -n "$token" ] || return 1
  curl -fsS --max-time 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS_URL/latest/meta-data/$1" 2>/dev/null
}
instance_type="$(imds instance-type)" || instance_type=''
zone="$(imds placement/availability-zone)" || zone=''
region="$(imds placement/region)" || region=''
lifecycle="$(imds instance-life-cycle)" || lifecycle=''

# duration SECONDS: "48 s", "5 min 3 s", "1 h 12 min".
duration() {
  local s="$1"
  if [ "$s" -lt 60 ]; then
    echo "$s s"
  elif [ "$s" -lt 3600 ]; then
    if [ $((s % 60)) -eq 0 ]; then echo "$((s / 60)) min"; else echo "$((s / 60)) min $((s % 60)) s"; fi
  else
    echo "$((s / 3600)) h $((s % 3600 / 60)) min"
  fi
}

# last NAME [SINCE]: the epoch of the last NAME milestone at or after SINCE, or nothing.
last() {
  awk -v name="$1" -v since="${2:-0}" '$1 == name && $2 ~ /^[0-9]+$/ && $2 + 0 >= since + 0 { t = $2 } END { print t }' \
    "$MILESTONES_FILE" 2>/dev/null || true
}

instance_start="$(last instance-start)"
starts="$(awk '$1 == "instance-start" { n++ } END { print n + 0 }' "$MILESTONES_FILE" 2>/dev/null)" || starts=0
starts="${starts:-0}"
if [ -n "$instance_start" ] && [ -z "$(last agent-connected "$instance_start")" ]; then
  "$MILESTONE_BIN" agent-connected || true
fi
agent_connected="$(last agent-connected "$instance_start")"

why='' had='' gpu_since=''
if [ -z "$instance_start" ]; then
  why='why unknown: no boot milestones on this worker'
  gpu_since="$started"
elif [ -z "$queued" ]; then
  why='why unknown: no queue time'
  gpu_since="$instance_start"
elif [ "$instance_start" -ge "$queued" ]; then
  if [ "$starts" -gt 1 ]; then why='restarted a stopped worker'; else why='launched a new worker'; fi
  had="${agent_connected:-$NOW}"
  gpu_since="$instance_start"
else
  previous_end="$(last build-end "$instance_start")"
  if [ -n "$previous_end" ] && [ "$previous_end" -gt "$queued" ]; then
    why='waited in the queue for the cap (its worker was busy with another build)'
    had="$previous_end"
  elif [ -n "$agent_connected" ] && [ "$agent_connected" -gt "$queued" ]; then
    why='took a worker that was already starting'
    had="$agent_connected"
  else
    why='reused a running worker'
    had="$queued"
  fi
  gpu_since="$had"
fi

where="${instance_type:-instance type unknown} in ${zone:-an unknown zone}"
if [ -n "$had" ]; then
  waited=$((had - queued))
  [ "$waited" -lt 0 ] && waited=0
  wait_text="waited $(duration "$waited") for its worker ($why)"
else
  wait_text="wait unknown ($why)"
fi

gpu_seconds=''
if [[ "$gpu_since" =~ ^[0-9]+$ ]]; then
  gpu_seconds=$((NOW - gpu_since))
  [ "$gpu_seconds" -lt 0 ] && gpu_seconds=0
fi

# The price table: {"region": …, "asOf": …, "onDemandHourly": {"<type>": <number>, …}} (lib/cost/prices.ts).
table="$(tr -d '\n' 2>/dev/null <"$PRICES_FILE")" || table=''
table_field() {
  local pattern="\"$1\"[[:space:]]*:[[:space:]]*\"([^\"]*)\""
  if [[ "$table" =~ $pattern ]]; then echo "${BASH_REMATCH[1]}"; fi
}
table_region="$(table_field region)"
as_of="$(table_field asOf)"
price=''
price_problem=''
if [ -z "$table" ]; then
  price_problem="no price table at $PRICES_FILE"
elif [ -z "$region" ] || [ "$region" != "$table_region" ]; then
  price_problem="price unknown: $PRICE_TABLE_NAME has ${table_region:-no region}'s prices, this worker runs in ${region:-an unknown region}"
elif [ -z "$instance_type" ]; then
  price_problem='price unknown: instance type unknown'
else
  type_pattern="\"${instance_type//./\\.}\"[[:space:]]*:[[:space:]]*([0-9]+(\\.[0-9]+)?)"
  if [[ "$table" =~ $type_pattern ]]; then
    price="${BASH_REMATCH[1]}"
  else
    price_problem="price unknown: $PRICE_TABLE_NAME lists no $instance_type"
  fi
fi

cost='' cost_metric=''
if [ -z "$gpu_seconds" ]; then
  cost_text='GPU time unknown'
else
  cost_text="GPU time $(duration "$gpu_seconds")"
  if [ -n "$price" ]; then
    cost="$(awk -v s="$gpu_seconds" -v p="$price" 'BEGIN { printf "%.2f", s / 3600 * p }')"
    # The metric keeps more digits: many short runs must still add up.
    cost_metric="$(awk -v s="$gpu_seconds" -v p="$price" 'BEGIN { printf "%.6f", s / 3600 * p }')"
    source_text="$region, $PRICE_TABLE_NAME $as_of"
    if [ "$lifecycle" = spot ]; then
      cost_text="$cost_text, at most \$$cost (spot: billed at the spot price; on-demand \$$price/hour, $source_text)"
    else
      cost_text="$cost_text, \$$cost at \$$price/hour (on-demand, $source_text)"
    fi
  else
    cost_text="$cost_text, $price_problem"
  fi
fi
echo "$where; $wait_text; $cost_text"

# The metrics, then build-end: stderr only, the line above is the whole stdout.
if [ -n "$instance_start" ]; then
  "$MILESTONE_BIN" build-end || true
fi
[ -n "$gpu_seconds" ] || exit 0
tags="$("$MILESTONE_BIN" --tags)" || tags=''
read -r fleet template <<<"$tags"
if [ -z "${template:-}" ] || [ -z "$region" ]; then
  warn "GpuSeconds and CostUsd not sent: worker tags or region unknown"
  exit 0
fi
put_metric() {
  local error
  if ! error="$(aws cloudwatch put-metric-data --region "$region" --cli-connect-timeout 5 --cli-read-timeout 20 \
    --namespace "$METRIC_NAMESPACE" --metric-name "$1" --dimensions "Fleet=$fleet,Template=$template" \
    --value "$2" --unit "$3" 2>&1 >/dev/null)"; then
    warn "$1 not sent: aws cloudwatch put-metric-data failed ($(one_line "$error"))"
    return 0
  fi
  echo "$LOG_TAG: sent $METRIC_NAMESPACE $1=$2 $3 (Fleet=$fleet,Template=$template)" >&2
}
put_metric GpuSeconds "$gpu_seconds" Seconds
if [ -n "$cost_metric" ] && [ "$lifecycle" != spot ]; then
  put_metric CostUsd "$cost_metric" None
fi
exit 0
