#!/bin/bash
# GPU worker user data (Ubuntu Deep Learning AMI): kept small on purpose. EC2 accepts at most 16,384 bytes
# of user data and the EC2 plugin passes the template's userData as it is, so this only
#   1. installs and starts the fallback idle stop, before anything else: a worker whose payload never
#      arrives is still powered off when idle;
#   2. installs the payload loader and a unit that runs it on every boot until the payload is installed;
#   3. runs the loader now: it fetches the worker payload (idle watchdog, package setup) from S3, checks it
#      against the sha256 pinned below and runs it.
# cloud-init runs this once per instance, at the first boot; everything that must survive a stop/start is
# an enabled systemd unit or a file on the root volume.
#
# The casc renderer (lib/bundle/render-worker-script.ts) turns this file into the template's userData:
# each include-file line becomes a heredoc writing that file, the double-at tokens take the template's
# values (a `casc:` token becomes the JCasC variable of that name, filled on the controller) and every
# other dollar-brace is escaped for JCasC. Un-rendered, the markers are inert, so this passes shellcheck.
set -euo pipefail

readonly ROOT="${JENKINS_GPU_WORKER_ROOT:-}"
idle_minutes='@@IDLE_TERMINATION_MINUTES@@'
payload_s3_uri='@@casc:WORKER_PAYLOAD_S3_URI@@'
payload_sha256='@@WORKER_PAYLOAD_SHA256@@'

log() {
  echo "jenkins-gpu-user-data: $*" >&2
}

if ! [[ "$idle_minutes" =~ ^[0-9]+$ ]]; then
  log "idle minutes '$idle_minutes' is not a number, using 10"
  idle_minutes=10
fi

# 1. The fallback idle stop: no SSH session (so no agent) for idle + 10 minutes powers the worker off, the
# same limit as the full watchdog's no-agent rule.
install -d -m 0755 "$ROOT/etc/jenkins-gpu"
printf 'NO_SSH_MINUTES=%s\n' "$((idle_minutes + 10))" >"$ROOT/etc/jenkins-gpu/fallback-idle-stop.env"
#@include-file assets/worker/fallback-idle-stop.sh /usr/local/sbin/jenkins-gpu-fallback-idle-stop 0755
#@include-file assets/worker/systemd/jenkins-gpu-fallback-idle-stop.service /etc/systemd/system/jenkins-gpu-fallback-idle-stop.service 0644
#@include-file assets/worker/systemd/jenkins-gpu-fallback-idle-stop.timer /etc/systemd/system/jenkins-gpu-fallback-idle-stop.timer 0644
systemctl daemon-reload
systemctl enable --now jenkins-gpu-fallback-idle-stop.timer

# 2. The payload loader, its settings and the unit that retries it on later boots.
printf 'PAYLOAD_S3_URI=%s\nPAYLOAD_SHA256=%s\nIDLE_TERMINATION_MINUTES=%s\n' \
  "$payload_s3_uri" "$payload_sha256" "$idle_minutes" >"$ROOT/etc/jenkins-gpu/payload.env"
#@include-file assets/worker/fetch-payload.sh /usr/local/sbin/jenkins-gpu-worker-payload 0755
#@include-file assets/worker/systemd/jenkins-gpu-worker-payload.service /etc/systemd/system/jenkins-gpu-worker-payload.service 0644
systemctl daemon-reload
systemctl enable jenkins-gpu-worker-payload.service

# 3. This boot: inside cloud-init, so the agent launch's `cloud-init status --wait` waits for it.
"$ROOT/usr/local/sbin/jenkins-gpu-worker-payload"
log 'boot complete'
