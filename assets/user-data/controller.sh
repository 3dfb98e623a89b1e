#!/bin/bash
# Controller user data. The lines written before this file at synth set:
#   SCRIPTS_S3_URL     s3:// URL of the zipped assets/controller/ scripts (changes only when they change)
#   CONFIG_PARAMETER   name of the SSM parameter that points at the active config bundle
#   VOLUME_ID          the JENKINS_HOME EBS volume
#   STACK_NAME REGION SIGNAL_RESOURCE   for cfn-signal
# Nothing here depends on casc/ or jobs/: a config edit must never replace the controller.
set -euo pipefail

: "${SCRIPTS_S3_URL:?}" "${CONFIG_PARAMETER:?}" "${VOLUME_ID:?}" "${STACK_NAME:?}" "${REGION:?}" "${SIGNAL_RESOURCE:?}"

signal_failure() {
  # bootstrap.sh signals for itself; this covers failures before it runs (e.g. S3 unreachable).
  dnf install -y -q aws-cfn-bootstrap || true
  PATH="$PATH:/opt/aws/bin" cfn-signal --exit-code 1 --reason "controller user data failed before bootstrap (see /var/log/cloud-init-output.log)" \
    --stack "$STACK_NAME" --resource "$SIGNAL_RESOURCE" --region "$REGION" || true
}
trap signal_failure ERR

install -d -m 0755 /opt/jenkins-gpu/bin
work_dir=$(mktemp -d)
aws s3 cp --only-show-errors --region "$REGION" "$SCRIPTS_S3_URL" "$work_dir/scripts.zip"
python3 -m zipfile -e "$work_dir/scripts.zip" /opt/jenkins-gpu/bin
find /opt/jenkins-gpu/bin -name '*.sh' -exec chmod 0755 {} +
rm -rf "$work_dir"

# Later boots run bootstrap.sh from a unit (user data runs once per instance; /run is empty after a reboot).
install -d -m 0755 /etc/jenkins-gpu
printf 'STACK_NAME=%s\nREGION=%s\nCONFIG_PARAMETER=%s\nVOLUME_ID=%s\n' \
  "$STACK_NAME" "$REGION" "$CONFIG_PARAMETER" "$VOLUME_ID" >/etc/jenkins-gpu/bootstrap.env
install -m 0644 /opt/jenkins-gpu/bin/systemd/jenkins-gpu-bootstrap.service /etc/systemd/system/
systemctl daemon-reload
systemctl enable jenkins-gpu-bootstrap.service

# Logs and health metrics to CloudWatch (observability-setup.sh), on this and every later boot; not waited
# for: it runs beside bootstrap.sh, so a boot that fails is seen too.
install -m 0644 /opt/jenkins-gpu/bin/systemd/jenkins-gpu-observability.service /etc/systemd/system/
systemctl daemon-reload
systemctl enable jenkins-gpu-observability.service
systemctl start --no-block jenkins-gpu-observability.service
# This boot's bootstrap log also goes to the file the CloudWatch agent ships to the bootstrap group (later
# boots run it as a unit, whose journal jenkins-gpu-log-bootstrap.service appends there).
install -d -m 0750 /var/log/jenkins-gpu

trap - ERR
exec /opt/jenkins-gpu/bin/bootstrap.sh \
  --stack-name "$STACK_NAME" \
  --region "$REGION" \
  --config-parameter "$CONFIG_PARAMETER" \
  --volume-id "$VOLUME_ID" \
  --signal-resource "$SIGNAL_RESOURCE" \
  2> >(tee -a /var/log/jenkins-gpu/bootstrap.log >&2)
