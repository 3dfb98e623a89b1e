#!/usr/bin/env bash
# Ships the controller's logs to CloudWatch Logs and starts its health metrics; run as root on every boot by
# jenkins-gpu-observability.service (enabled and first started by the user data, beside bootstrap.sh, so
# that a boot that fails still reaches CloudWatch):
#   observability-setup.sh --stack-name S --region R
# 1. starts jenkins-gpu-metrics.timer (controller-metrics.sh every minute; needs only the AWS CLI), first,
#    so that a failed agent install never silences the JenkinsDown alarm's data;
# 2. starts one journal export per log: the CloudWatch agent reads files, not the journal (its file
#    collection, CloudWatch User Guide "Manually create or edit the CloudWatch agent configuration file",
#    `logs_collected.files.collect_list`), so each unit's journal of this boot is appended to a file under
#    /var/log/jenkins-gpu;
# 3. installs amazon-cloudwatch-agent (the Amazon Linux 2023 package, CloudWatch User Guide "Installing the
#    CloudWatch agent using the command line") and starts it with a config that sends those files and
#    cloud-init's logs to the stack's groups /jenkins-gpu/<stack>/{jenkins,bootstrap,apply-config,cloud-init}
#    (lib/constructs/controller-observability.ts creates them, encrypted, with their retention).
set -euo pipefail
JG_LOG_PREFIX=observability
SCRIPT_DIR="$(readlink -f "${BASH_SOURCE[0]}")"
SCRIPT_DIR="${SCRIPT_DIR%/*}"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib.sh"

# The agent's control script lives here on Amazon Linux; it is not on root's PATH.
PATH="$PATH:/opt/aws/amazon-cloudwatch-agent/bin"
AGENT_CONFIG="$JG_ROOT/opt/aws/amazon-cloudwatch-agent/etc/jenkins-gpu.json"
LOG_DIR="$JG_ROOT/var/log/jenkins-gpu"
# dnf waits for another dnf (bootstrap.sh installs Java meanwhile) by itself; these retries are for a
# mirror that fails.
INSTALL_ATTEMPTS="${OBSERVABILITY_INSTALL_ATTEMPTS:-4}"
INSTALL_RETRY_SECONDS="${OBSERVABILITY_INSTALL_RETRY_SECONDS:-30}"
# The journal exports (systemd/jenkins-gpu-log-*.service) and the file each one writes.
EXPORTS=(jenkins bootstrap apply-config)


install_units() {
  local unit
  mkdir -p "$JG_SYSTEMD_DIR"
  for unit in "$SCRIPT_DIR"/systemd/jenkins-gpu-metrics.* "$SCRIPT_DIR"/systemd/jenkins-gpu-log-*.service; do
    cp "$unit" "$JG_SYSTEMD_DIR/"
  done
  systemctl daemon-reload
}

start_metrics() {
  systemctl start jenkins-gpu-metrics.timer || warn "cannot start jenkins-gpu-metrics.timer: no health metrics"
}

start_exports() {
  local name
  mkdir -p "$LOG_DIR"
  chmod 0750 "$LOG_DIR"
  for name in "${EXPORTS[@]}"; do
    systemctl start "jenkins-gpu-log-$name.service" || warn "cannot start jenkins-gpu-log-$name.service"
  done
}

# install_agent: once per instance; a reboot with the package mirror down still starts the agent.
install_agent() {
  local attempt=1
  if [[ -x "$JG_ROOT/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl" ]]; then return 0; fi
  until dnf install -y amazon-cloudwatch-agent >&2; do
    ((attempt < INSTALL_ATTEMPTS)) || die "dnf install amazon-cloudwatch-agent failed $attempt times: logs stay on the instance only"
    warn "dnf install amazon-cloudwatch-agent failed (attempt $attempt of $INSTALL_ATTEMPTS); retrying in ${INSTALL_RETRY_SECONDS}s"
    sleep "$INSTALL_RETRY_SECONDS"
    attempt=$((attempt + 1))
  done
}

# collect_entry FILE LOG STREAM: one collect_list entry. No retention_in_days: the stack owns the groups,
# and the agent would need logs:PutRetentionPolicy for it.
collect_entry() {
  printf '          {"file_path": "%s", "log_group_name": "/jenkins-gpu/%s/%s", "log_stream_name": "{instance_id}/%s"}' \
    "$1" "$STACK_NAME" "$2" "$3"
}

# write_agent_config: {instance_id} is filled in by the agent from IMDS, so every instance of the group
# writes its own streams and a replacement never interleaves with the instance it replaced. The agent reads
# a file it has no saved offset for from its beginning (the translated config sets from_beginning = true,
# aws/amazon-cloudwatch-agent translator test data), so what this boot wrote before the agent started is
# shipped too. It runs as root by default (CloudWatch User Guide, "Common scenarios with the CloudWatch
# agent"), so it can read /var/log/jenkins-gpu (0750 root).
write_agent_config() {
  mkdir -p "$(dirname "$AGENT_CONFIG")"
  {
    printf '{\n  "logs": {\n    "logs_collected": {\n      "files": {\n        "collect_list": [\n'
    collect_entry /var/log/jenkins-gpu/jenkins.log jenkins jenkins.service
    printf ',\n'
    collect_entry /var/log/jenkins-gpu/bootstrap.log bootstrap bootstrap
    printf ',\n'
    collect_entry /var/log/jenkins-gpu/apply-config.log apply-config safe-restart
    printf ',\n'
    collect_entry /var/log/cloud-init.log cloud-init cloud-init.log
    printf ',\n'
    collect_entry /var/log/cloud-init-output.log cloud-init cloud-init-output.log
    printf '\n        ]\n      }\n    }\n  }\n}\n'
  } >"$AGENT_CONFIG.tmp"
  mv -f "$AGENT_CONFIG.tmp" "$AGENT_CONFIG"
}

# start_agent: fetch-config translates the JSON and (-s) restarts the agent with it (CloudWatch User Guide,
# "Starting the CloudWatch agent using the command line"; -m ec2 reads the instance id and region from IMDS).
start_agent() {
  amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c "file:${AGENT_CONFIG#"$JG_ROOT"}" >&2 ||
    die "amazon-cloudwatch-agent-ctl fetch-config failed: see /opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log"
}

main() {
  parse_stack_args "usage: observability-setup.sh --stack-name S --region R" "$@"
  install_units
  start_metrics
  start_exports
  install_agent
  write_agent_config
  start_agent
  log "CloudWatch agent ships the controller logs to /jenkins-gpu/$STACK_NAME/*"
}

main "$@"
