#!/bin/bash
# GPU worker user data (Ubuntu 22.04 Deep Learning AMI). cloud-init runs it as root once per instance, at
# the first boot; everything that must survive a stop/start is therefore made persistent on disk
# (systemd units enabled, files written), never done only for this boot.
#
# The casc renderer (lib/bundle/render-worker-script.ts) turns this file into the template's userData:
# each `#@include-file` line becomes a heredoc writing that file, @@IDLE_TERMINATION_MINUTES@@ becomes the
# template's idleTerminationMinutes, and every dollar-brace is escaped for JCasC. Un-rendered, both
# markers are inert (a comment and a quoted string), so this file passes shellcheck as it is.
#
# Order matters: the idle watchdog (cost guard layer 2) is installed and started first, before any apt
# step, so a worker whose package installation fails or hangs is still powered off when idle. The package
# part (assets/worker/setup.sh) then runs, from a file that jenkins-gpu-worker-boot.service runs again on
# every later boot until it has written /var/lib/jenkins-gpu/boot-complete, the marker the agent launch
# waits for.
set -euo pipefail

log() {
  echo "jenkins-gpu-boot: $*" >&2
}

# 1. Idle watchdog: powers the worker off when no agent or no work is seen.
#@include-file assets/worker/idle-watchdog.sh /usr/local/sbin/jenkins-gpu-idle-watchdog 0755

# Limits derived from the template's idleTerminationMinutes, so that the watchdog is only a backstop and
# never acts before the EC2 plugin's own idle stop would:
#   NO_AGENT_MINUTES   = idle + 10: also covers the package setup and the agent launch on the first boot.
#   IDLE_AGENT_MINUTES = idle + 20: an agent idle that long means the controller is not stopping it
#                        (controller down or hung, or a zombie agent).
# A build counts as running while a durable-task step log under REMOTE_FS (the template's remoteFS) was
# touched within BUILD_HEARTBEAT_SECONDS; while one runs, the instance tags itself jenkins-gpu:busy-at at
# most every BUSY_TAG_INTERVAL_MINUTES for the reaper.
idle_minutes='@@IDLE_TERMINATION_MINUTES@@'
if ! [[ "$idle_minutes" =~ ^[0-9]+$ ]]; then
  log "idle minutes '$idle_minutes' is not a number, using 10"
  idle_minutes=10
fi
install -d -m 0755 /etc/jenkins-gpu
cat >/etc/jenkins-gpu/watchdog.env <<EOF_ENV
# Written by the worker's boot script; read by /usr/local/sbin/jenkins-gpu-idle-watchdog.
NO_AGENT_MINUTES=$((idle_minutes + 10))
IDLE_AGENT_MINUTES=$((idle_minutes + 20))
REMOTE_FS=/home/ubuntu/jenkins
BUILD_HEARTBEAT_SECONDS=120
BUSY_TAG_INTERVAL_MINUTES=5
STATE_DIR=/run/jenkins-gpu-watchdog
DRY_RUN=false
EOF_ENV

# TimeoutStartSec bounds a run whose IMDS or EC2 API call hangs, so the timer keeps firing.
cat >/etc/systemd/system/jenkins-gpu-idle-watchdog.service <<'EOF_UNIT'
[Unit]
Description=Jenkins GPU worker idle watchdog (powers off an idle worker)
After=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/jenkins-gpu-idle-watchdog
TimeoutStartSec=3min
EOF_UNIT

# OnBootSec starts the clock on every boot, so a stopped and restarted worker is watched again. The unit
# is enabled (a symlink on the root volume), which is what makes it survive stop/start: user data does
# not run again.
cat >/etc/systemd/system/jenkins-gpu-idle-watchdog.timer <<'EOF_UNIT'
[Unit]
Description=Run the Jenkins GPU worker idle watchdog every minute

[Timer]
OnBootSec=1min
OnUnitActiveSec=1min
AccuracySec=10s

[Install]
WantedBy=timers.target
EOF_UNIT
systemctl daemon-reload
systemctl enable --now jenkins-gpu-idle-watchdog.timer

# 2. The package setup as a program, and a oneshot unit that runs it again on every later boot until
# it has succeeded (the condition is false once the marker exists). Before=cloud-final.service: on a later
# boot cloud-init's final stage waits for it, so the launch's `cloud-init status --wait` covers it too.
#@include-file assets/worker/setup.sh /usr/local/sbin/jenkins-gpu-worker-setup 0755
cat >/etc/systemd/system/jenkins-gpu-worker-boot.service <<'EOF_UNIT'
[Unit]
Description=Jenkins GPU worker package setup (repeated on every boot until it has succeeded)
ConditionPathExists=!/var/lib/jenkins-gpu/boot-complete
Wants=network-online.target
After=network-online.target
Before=cloud-final.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/jenkins-gpu-worker-setup
TimeoutStartSec=20min

[Install]
WantedBy=multi-user.target
EOF_UNIT
systemctl daemon-reload
systemctl enable jenkins-gpu-worker-boot.service

# 3. This boot: the setup now, inside cloud-init, so `cloud-init status --wait` waits for it.
/usr/local/sbin/jenkins-gpu-worker-setup
log 'boot complete'
