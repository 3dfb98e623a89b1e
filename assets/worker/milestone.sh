#!/bin/bash
# jenkins-gpu-milestone NAME: records one boot milestone of this GPU worker and sends it as a metric.
# Installed as /usr/local/sbin/jenkins-gpu-milestone by the worker payload (assets/worker/payload.sh).
#   instance-start   when the instance entered `pending` (pendingTime of the IMDS instance identity
#                    document); if IMDS does not answer, or pendingTime is older than this boot (see
#                    instance_start_time), the kernel's boot time (btime in /proc/stat), seconds later.
#   boot-complete    now: the payload (first boot) or jenkins-gpu-boot-milestones.service (later boots) runs
#                    it once the package setup has written /var/lib/jenkins-gpu/boot-complete.
#   agent-connected  when the Jenkins agent (`java … remoting.jar|agent.jar|slave.jar`, as the idle watchdog
#                    recognises it) started on this boot; now if no agent runs.
#   training-start   now.
#   build-end        now: written by jenkins-gpu-run-report after each build (no metric); a later build on
#                    the same running worker sees from it that it waited for that build.
# Each is appended as `NAME <epoch seconds>` to MILESTONES_FILE (a stopped worker keeps its file, so the
# file holds one instance-start per start). Every milestone but instance-start and build-end is then sent as
# one MilestoneSeconds data point (seconds since the last instance-start; namespace JenkinsGpu/Workers,
# dimensions Fleet, Template and Milestone: lib/contracts.ts), instance-start as 0 (its SampleCount is
# the number of starts).
# The worker's jenkins-gpu:fleet and jenkins-gpu:template tags come from IMDS instance tags when the
# instance allows them (the EC2 plugin's templates do not: it sets no InstanceMetadataTags), else from one
# `aws ec2 describe-tags`; they are cached in TAGS_FILE.
# `jenkins-gpu-milestone --tags` prints `<fleet> <template>` (or nothing) for jenkins-gpu-run-report.
# Never fails its caller (the boot, a build): every problem is one warning line and exit status 0 (strict
# mode catches only this script's own mistakes; every expected failure is handled where it happens).
# Settings (tests): JENKINS_GPU_WORKER_ROOT (prefix of the default paths), MILESTONES_FILE, TAGS_FILE, IMDS_URL, PROC_STAT, MILESTONE_NOW (epoch seconds).
set -euo pipefail

readonly LOG_TAG='jenkins-gpu-milestone'
readonly ROOT="${JENKINS_GPU_WORKER_ROOT:-}"
MILESTONES_FILE="${MILESTONES_FILE:-$ROOT/var/lib/jenkins-gpu/milestones}"
TAGS_FILE="${TAGS_FILE:-$ROOT/var/lib/jenkins-gpu/worker-tags}"
IMDS_URL="${IMDS_URL:-http://169.254.169.254}"
IMDS_URL="${IMDS_URL%/}"
PROC_STAT="${PROC_STAT:-/proc/stat}"
NOW="${MILESTONE_NOW:-$(date +%s)}"
readonly METRIC_NAMESPACE='JenkinsGpu/Workers'
readonly MILESTONE_METRIC='MilestoneSeconds'
readonly FLEET_TAG_KEY='jenkins-gpu:fleet'
readonly TEMPLATE_TAG_KEY='jenkins-gpu:template'

warn() {
  echo "$LOG_TAG: WARNING: $*" >&2
}

# one_line TEXT: TEXT on one line, at most 300 characters.
one_line() {
  printf '%s' "$1" | tr '\n\t' '  ' | awk '{ print substr($0, 1, 300) }'
}

token=''
imds_token() {
  if [ -z "$token" ]; then
    token="$(curl -fsS --max-time 2 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
      "$IMDS_URL/latest/api/token" 2>/dev/null)" || token=''
  fi
  [ -n "$token" ]
}

# imds PATH: one IMDSv2 value (PATH under /latest/).
imds() {
  imds_token || return 1
  curl -fsS --max-time 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS_URL/latest/$1" 2>/dev/null
}

# The kernel's boot time (btime in /proc/stat), or nothing.
boot_time() {
  local epoch
  epoch="$(awk '$1 == "btime" { print $2 }' "$PROC_STAT" 2>/dev/null)" || epoch=''
  if [[ "$epoch" =~ ^[0-9]+$ ]]; then echo "$epoch"; fi
}

# The instance's last start: pendingTime of the identity document, else the kernel's boot time. AWS
# regenerates the document at every start ("Instance identity documents", EC2 User Guide) but describes
# pendingTime as the launch time: one that lies more than STALE_PENDING_SECONDS before this boot's kernel
# start is the first launch of a restarted worker, and the boot time is used instead.
readonly STALE_PENDING_SECONDS=600
instance_start_time() {
  local document pending='' epoch='' booted
  local pattern='"pendingTime"[[:space:]]*:[[:space:]]*"([0-9TZ:.-]+)"'
  booted="$(boot_time)"
  if document="$(imds dynamic/instance-identity/document)"; then
    if [[ "$document" =~ $pattern ]]; then
      pending="${BASH_REMATCH[1]}"
    fi
    if [ -n "$pending" ] && epoch="$(date -u -d "$pending" +%s 2>/dev/null)"; then
      if [ -z "$booted" ] || [ $((booted - epoch)) -le "$STALE_PENDING_SECONDS" ]; then
        echo "$epoch"
        return 0
      fi
      warn "pendingTime $pending lies before this boot (kernel started at $booted): using the boot time"
    else
      warn "no pendingTime in the IMDS identity document, using the kernel's boot time"
    fi
  else
    warn "no IMDS identity document from $IMDS_URL, using the kernel's boot time"
  fi
  if [ -n "$booted" ]; then
    echo "$booted"
  else
    warn "no btime in $PROC_STAT, using now"
    echo "$NOW"
  fi
}

# When the agent java started (now minus its elapsed seconds), or now when no agent runs.
agent_start_time() {
  local elapsed
  elapsed="$(ps -eo etimes=,args= 2>/dev/null | awk '
    {
      command = $2; sub(/.*\//, "", command)
      if (command == "java" && $0 ~ /(remoting|agent|slave)\.jar/ && (oldest == "" || $1 > oldest)) oldest = $1
    }
    END { print oldest }')" || elapsed=''
  if [[ "$elapsed" =~ ^[0-9]+$ ]]; then
    echo $((NOW - elapsed))
  else
    warn 'no agent process found, using now'
    echo "$NOW"
  fi
}

# Prints `<fleet> <template>` of this instance, or fails with a warning.
worker_tags() {
  local fleet='' template='' region instance_id out
  if [ -r "$TAGS_FILE" ]; then
    read -r fleet template <"$TAGS_FILE" || true
    if [ -n "$fleet" ] && [ -n "$template" ]; then
      echo "$fleet $template"
      return 0
    fi
  fi
  # IMDS instance tags: 404 unless the instance was launched with InstanceMetadataTags=enabled.
  if fleet="$(imds "meta-data/tags/instance/$FLEET_TAG_KEY")" &&
    template="$(imds "meta-data/tags/instance/$TEMPLATE_TAG_KEY")"; then
    :
  else
    fleet='' template=''
    if ! region="$(imds meta-data/placement/region)" || ! instance_id="$(imds meta-data/instance-id)"; then
      warn "no region or instance id from IMDS at $IMDS_URL: worker tags unknown"
      return 1
    fi
    if ! out="$(aws ec2 describe-tags --region "$region" --cli-connect-timeout 5 --cli-read-timeout 20 \
      --filters "Name=resource-id,Values=$instance_id" "Name=key,Values=$FLEET_TAG_KEY,$TEMPLATE_TAG_KEY" \
      --query 'Tags[].[Key,Value]' --output text 2>&1)"; then
      warn "aws ec2 describe-tags failed: worker tags unknown ($(one_line "$out"))"
      return 1
    fi
    fleet="$(printf '%s\n' "$out" | awk -F'\t' -v k="$FLEET_TAG_KEY" '$1 == k { print $2 }')"
    template="$(printf '%s\n' "$out" | awk -F'\t' -v k="$TEMPLATE_TAG_KEY" '$1 == k { print $2 }')"
  fi
  if ! [[ "$fleet" =~ ^[A-Za-z0-9._:/=+@-]+$ ]] || ! [[ "$template" =~ ^[A-Za-z0-9._:/=+@-]+$ ]]; then
    warn "this instance has no usable $FLEET_TAG_KEY and $TEMPLATE_TAG_KEY tags (got '$(one_line "$fleet")' and '$(one_line "$template")')"
    return 1
  fi
  { echo "$fleet $template" >"$TAGS_FILE"; } 2>/dev/null || warn "could not cache the worker tags in $TAGS_FILE"
  echo "$fleet $template"
}

# put_metric NAME VALUE UNIT DIMENSIONS...: one data point; a failure is a warning.
put_metric() {
  local name="$1" value="$2" unit="$3" region error
  shift 3
  if ! region="$(imds meta-data/placement/region)"; then
    warn "$name not sent: no region from IMDS at $IMDS_URL"
    return 0
  fi
  if ! error="$(aws cloudwatch put-metric-data --region "$region" --cli-connect-timeout 5 --cli-read-timeout 20 \
    --namespace "$METRIC_NAMESPACE" --metric-name "$name" --dimensions "$(
      IFS=,
      echo "$*"
    )" --value "$value" --unit "$unit" 2>&1 >/dev/null)"; then
    warn "$name not sent: aws cloudwatch put-metric-data failed ($(one_line "$error"))"
    return 0
  fi
  echo "$LOG_TAG: sent $METRIC_NAMESPACE $name=$value $unit ($*)" >&2
}

if [ "${1:-}" = --tags ]; then
  worker_tags || true
  exit 0
fi

name="${1:-}"
case "$name" in
  instance-start) at="$(instance_start_time)" ;;
  agent-connected) at="$(agent_start_time)" ;;
  boot-complete | training-start | build-end) at="$NOW" ;;
  *)
    warn "unknown milestone '$name' (allowed: instance-start, boot-complete, agent-connected, training-start, build-end, or --tags)"
    exit 0
    ;;
esac

last_start="$(awk '$1 == "instance-start" { t = $2 } END { print t }' "$MILESTONES_FILE" 2>/dev/null)" || last_start=''
if [ "$name" = instance-start ] && [ "$last_start" = "$at" ]; then
  echo "$LOG_TAG: instance-start $at already recorded" >&2
  exit 0
fi
if ! { mkdir -p "${MILESTONES_FILE%/*}" && echo "$name $at" >>"$MILESTONES_FILE"; } 2>/dev/null; then
  warn "could not append '$name $at' to $MILESTONES_FILE"
fi
echo "$LOG_TAG: $name $at" >&2
[ "$name" = instance-start ] && last_start="$at"
[ "$name" = build-end ] && exit 0
if ! [[ "$last_start" =~ ^[0-9]+$ ]]; then
  warn "$MILESTONE_METRIC not sent: no instance-start in $MILESTONES_FILE"
  exit 0
fi
seconds=$((at - last_start))
[ "$seconds" -lt 0 ] && seconds=0
if ! tags="$(worker_tags)"; then
  warn "$MILESTONE_METRIC not sent: worker tags unknown"
  exit 0
fi
read -r fleet template <<<"$tags"
put_metric "$MILESTONE_METRIC" "$seconds" Seconds "Fleet=$fleet" "Template=$template" "Milestone=$name"
exit 0
