#!/bin/bash
# The GPU worker payload: everything the worker's boot needs beyond the small user data. Rendered at
# synth into one self-contained script (each `#@include-file` line becomes a heredoc writing that file),
# shipped by the stack as one S3 object, fetched and checked against its sha256 by
# jenkins-gpu-worker-payload (assets/worker/fetch-payload.sh), which runs it as
#   payload.sh --idle-minutes <the template's idleTerminationMinutes>
#
# Order matters: the full idle watchdog (cost guard layer 2) is installed and started first, before any
# apt step, so a worker whose package installation fails or hangs is still powered off when idle; it then
# replaces the user data's fallback idle stop. The package part (assets/worker/setup.sh) runs last, from
# a program that jenkins-gpu-worker-setup.service runs again on every later boot until it has written
# /var/lib/jenkins-gpu/boot-complete, the marker the agent launch waits for.
set -euo pipefail

readonly ROOT="${JENKINS_GPU_WORKER_ROOT:-}"

log() {
  echo "jenkins-gpu-payload: $*" >&2
}

idle_minutes=''
if [ "${1:-}" = --idle-minutes ]; then
  idle_minutes="${2:-}"
fi
if ! [[ "$idle_minutes" =~ ^[0-9]+$ ]]; then
  log "idle minutes '$idle_minutes' is not a number, using 10"
  idle_minutes=10
fi

# 1. The idle watchdog, with limits derived from the template's idleTerminationMinutes so that it is only a
# backstop and never acts before the EC2 plugin's own idle stop would:
#   NO_AGENT_MINUTES   = idle + 10: also covers the package setup and the agent launch on the first boot.
#   IDLE_AGENT_MINUTES = idle + 20: an agent idle that long means the controller is not stopping it
#                        (controller down or hung, or a zombie agent).
#   MAX_BUSY_NO_AGENT_MINUTES: how long a build may run on without an agent (controller away) before the
#                        worker is powered off anyway: the training job's longest timeout plus a margin,
#                        rendered at synth from lib/cost/job-timeout.ts.
# A build counts as running while a durable-task step log under REMOTE_FS (the template's remoteFS) was
# touched within BUILD_HEARTBEAT_SECONDS; while one runs, the instance tags itself jenkins-gpu:busy-at at
# most every BUSY_TAG_INTERVAL_MINUTES for the reaper.
#@include-file assets/worker/idle-watchdog.sh /usr/local/sbin/jenkins-gpu-idle-watchdog 0755
#@include-file assets/worker/systemd/jenkins-gpu-idle-watchdog.service /etc/systemd/system/jenkins-gpu-idle-watchdog.service 0644
#@include-file assets/worker/systemd/jenkins-gpu-idle-watchdog.timer /etc/systemd/system/jenkins-gpu-idle-watchdog.timer 0644
install -d -m 0755 "$ROOT/etc/jenkins-gpu"
cat >"$ROOT/etc/jenkins-gpu/watchdog.env" <<EOF_ENV
# Written by the worker payload; read by /usr/local/sbin/jenkins-gpu-idle-watchdog.
NO_AGENT_MINUTES=$((idle_minutes + 10))
IDLE_AGENT_MINUTES=$((idle_minutes + 20))
MAX_BUSY_NO_AGENT_MINUTES=@@BUSY_WITHOUT_AGENT_MAX_MINUTES@@
REMOTE_FS=/home/ubuntu/jenkins
BUILD_HEARTBEAT_SECONDS=120
BUSY_TAG_INTERVAL_MINUTES=5
STATE_DIR=/run/jenkins-gpu-watchdog
DRY_RUN=false
EOF_ENV
systemctl daemon-reload
systemctl enable --now jenkins-gpu-idle-watchdog.timer
# The full watchdog covers everything the fallback did (its no-agent rule has the same limit).
systemctl disable --now jenkins-gpu-fallback-idle-stop.timer || log 'could not disable the fallback idle stop'

# 2. The package setup as a program, and a oneshot unit that runs it again on every later boot until it
# has succeeded.
#@include-file assets/worker/setup.sh /usr/local/sbin/jenkins-gpu-worker-setup 0755
#@include-file assets/worker/systemd/jenkins-gpu-worker-setup.service /etc/systemd/system/jenkins-gpu-worker-setup.service 0644
systemctl daemon-reload
systemctl enable jenkins-gpu-worker-setup.service

# 3. Boot milestones and the per-build cost and wait report (jobs/train.Jenkinsfile runs it after each
# training stage). The milestone file belongs to the build user: the report, which runs in the build,
# appends agent-connected and build-end to it. The price table ships whole with the payload, so the report
# prices the run from the same data/ec2-prices.json as the CLI and the reaper (a price change changes the
# payload's digest, so new workers get it).
#@include-file assets/worker/milestone.sh /usr/local/sbin/jenkins-gpu-milestone 0755
#@include-file assets/worker/run-report.sh /usr/local/sbin/jenkins-gpu-run-report 0755
#@include-file assets/worker/systemd/jenkins-gpu-boot-milestones.service /etc/systemd/system/jenkins-gpu-boot-milestones.service 0644
# The price table, rendered at synth from data/ec2-prices.json (lib/bundle/worker-payload.ts).
cat >"$ROOT/etc/jenkins-gpu/ec2-prices.json" <<'EOF_PRICES'
@@EC2_PRICES_JSON@@
EOF_PRICES
install -d -m 0755 "$ROOT/var/lib/jenkins-gpu"
: >>"$ROOT/var/lib/jenkins-gpu/milestones"
chown ubuntu:ubuntu "$ROOT/var/lib/jenkins-gpu/milestones" || log 'could not give the milestone file to ubuntu'
systemctl daemon-reload
systemctl enable jenkins-gpu-boot-milestones.service

# Installed: from here on the setup unit, not the payload loader, carries the boot on later boots.
install -d -m 0755 "$ROOT/var/lib/jenkins-gpu"
date -u +%Y-%m-%dT%H:%M:%SZ >"$ROOT/var/lib/jenkins-gpu/payload-installed"

# 4. This boot: the setup now, still inside cloud-init, then its milestones (later boots: the unit).
"$ROOT/usr/local/sbin/jenkins-gpu-worker-setup"
"$ROOT/usr/local/sbin/jenkins-gpu-milestone" instance-start
"$ROOT/usr/local/sbin/jenkins-gpu-milestone" boot-complete
log 'payload complete'
