#!/usr/bin/env bash
# Heals a controller whose boot failed, and says so. Run as root by bootstrap.sh:
#   self-heal.sh --stack-name S --region R --config-parameter NAME --boot-failed REASON
#   self-heal.sh --stack-name S --region R --config-parameter NAME --boot-ok
# Outside a CloudFormation operation nothing waits for cfn-signal ("Stack ... is in UPDATE_COMPLETE state and
# cannot be signaled"), and Auto Scaling's EC2 health check calls a running instance healthy even when it has
# no Jenkins. --boot-failed therefore marks the instance Unhealthy, which makes Auto Scaling replace it at
# once (set-instance-health --no-should-respect-grace-period), and publishes why to the alarm topic.
# The SSM parameter /<stack>/controller/self-replacements counts consecutive self-replacements; it is read
# and incremented before acting, so a release that can never boot is replaced SELF_REPLACEMENT_LIMIT (3)
# times, then the instance stays up for someone to look at and alarms instead. --boot-ok (a healthy boot)
# resets it to 0. Never fails its caller: every problem is logged and, when possible, alarmed.
set -euo pipefail
JG_LOG_PREFIX=self-heal
SCRIPT_DIR="$(readlink -f "${BASH_SOURCE[0]}")"
SCRIPT_DIR="${SCRIPT_DIR%/*}"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib.sh"

SELF_REPLACEMENT_LIMIT="${SELF_REPLACEMENT_LIMIT:-3}"
STACK_NAME="" CONFIG_PARAMETER="" MODE="" REASON=""

usage() {
  die "usage: self-heal.sh --stack-name S --region R --config-parameter NAME (--boot-failed REASON | --boot-ok)"
}

parse_args() {
  while (($# > 0)); do
    case "$1" in
      --boot-ok) MODE=ok && shift && continue ;;
      --stack-name | --region | --config-parameter | --boot-failed) [[ $# -ge 2 ]] || usage ;;
      *) usage ;;
    esac
    case "$1" in
      --stack-name) STACK_NAME="$2" ;;
      --region) AWS_REGION="$2" ;;
      --config-parameter) CONFIG_PARAMETER="$2" ;;
      --boot-failed) MODE=failed REASON="$2" ;;
    esac
    shift 2
  done
  [[ -n "$STACK_NAME" && -n "${AWS_REGION:-}" && -n "$CONFIG_PARAMETER" && -n "$MODE" ]] || usage
  export AWS_REGION
  COUNTER="/$STACK_NAME/controller/self-replacements"
}

# read_counter: the number of consecutive self-replacements so far; fails when it cannot be known.
read_counter() {
  local value
  value="$(retry "reading $COUNTER" aws ssm get-parameter --name "$COUNTER" --region "$AWS_REGION" \
    --query Parameter.Value --output text)" || return 1
  [[ "$value" =~ ^[0-9]+$ ]] || {
    warn "$COUNTER holds '$value', not a count"
    return 1
  }
  printf '%s\n' "$value"
}

write_counter() {
  retry "writing $COUNTER" aws ssm put-parameter --name "$COUNTER" --region "$AWS_REGION" --type String \
    --overwrite --value "$1" >/dev/null
}

# alarm SUBJECT MESSAGE: to the stack's alarm topic (alertTopicArn in the config parameter; the topic also
# gets Auto Scaling's launch and termination notices). SNS subjects are at most 100 characters.
alarm() {
  local subject="$1" message="$2" config topic
  log "$subject: $message"
  config="$(read_config_parameter "$CONFIG_PARAMETER" 2>/dev/null)" || config=""
  topic="$(config_get "${config:-"{}"}" '.alertTopicArn // empty')"
  if [[ -z "$topic" ]]; then
    warn "no alarm topic known (the config parameter $CONFIG_PARAMETER could not be read or names none): nobody is told"
    return 0
  fi
  retry "publishing to $topic" aws sns publish --region "$AWS_REGION" --topic-arn "$topic" \
    --subject "${subject:0:100}" --message "$message" >/dev/null || warn "could not publish to $topic"
}

heal() {
  local instance count next reset
  reset="Once fixed: aws ssm put-parameter --name $COUNTER --overwrite --value 0 (a healthy boot also resets it)."
  if ! instance="$(imds_instance_id)"; then
    alarm "Jenkins controller of $STACK_NAME failed to boot" \
      "Its boot failed ($REASON) and it cannot read its own instance id, so it cannot ask Auto Scaling to replace it: it stays up without Jenkins. See /var/log/cloud-init-output.log and journalctl -u jenkins-gpu-bootstrap."
    return 0
  fi
  local where="Instance $instance of stack $STACK_NAME"
  if ! count="$(read_counter)"; then
    alarm "Jenkins controller $instance failed to boot, not replaced" \
      "$where failed to boot: $REASON. The self-replacement count $COUNTER cannot be read, so the instance is not replaced (a replacement loop could not be bounded): it stays up without Jenkins. $reset"
    return 0
  fi
  if ((count >= SELF_REPLACEMENT_LIMIT)); then
    alarm "Jenkins controller $instance failed to boot, not replaced" \
      "$where failed to boot: $REASON. It has already replaced itself $count times in a row, the limit: it stays up without Jenkins for you to look at (journalctl -u jenkins, /var/log/cloud-init-output.log). $reset"
    return 0
  fi
  next=$((count + 1))
  # Counted before acting: a replacement that happens must always be counted.
  if ! write_counter "$next"; then
    alarm "Jenkins controller $instance failed to boot, not replaced" \
      "$where failed to boot: $REASON. The self-replacement count $COUNTER cannot be written, so the instance is not replaced: it stays up without Jenkins."
    return 0
  fi
  if ! retry "marking $instance unhealthy" aws autoscaling set-instance-health --region "$AWS_REGION" \
    --instance-id "$instance" --health-status Unhealthy --no-should-respect-grace-period; then
    alarm "Jenkins controller $instance failed to boot, not replaced" \
      "$where failed to boot: $REASON. Auto Scaling refused to mark it unhealthy: it stays up without Jenkins."
    return 0
  fi
  alarm "Jenkins controller $instance failed to boot: replacing it ($next/$SELF_REPLACEMENT_LIMIT)" \
    "$where failed to boot: $REASON. It marked itself unhealthy; Auto Scaling replaces it with a new instance (self-replacement $next of at most $SELF_REPLACEMENT_LIMIT in a row; JENKINS_HOME is kept)."
}

# boot_ok: a healthy boot ends the run of failed ones.
boot_ok() {
  local count
  count="$(read_counter)" || {
    warn "cannot read $COUNTER: not reset"
    return 0
  }
  ((count != 0)) || return 0
  if write_counter 0; then
    log "Jenkins is up: $COUNTER reset from $count to 0"
  else
    warn "cannot reset $COUNTER (it stays $count)"
  fi
}

main() {
  parse_args "$@"
  if [[ "$MODE" == ok ]]; then boot_ok; else heal; fi
}

main "$@"
