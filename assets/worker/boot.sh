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
# When this script ends it writes /var/lib/jenkins-gpu/boot-complete; the agent launch can wait for that
# marker (or `cloud-init status --wait`) so no pipeline needs a retry/sleep loop around apt.
set -euo pipefail

log() {
  echo "jenkins-gpu-boot: $*" >&2
}

export DEBIAN_FRONTEND=noninteractive

# 1. Keep apt's background jobs away from the dpkg lock. Periodic runs are switched off first (before
# apt-daily can start them), then the timers and unattended-upgrades are stopped and masked. They stay off
# on purpose: on a restarted worker they would otherwise upgrade packages (the NVIDIA driver included)
# under a running training job. Workers are refreshed by replacing them from a newer AMI instead: the
# reaper terminates stopped workers whose AMI no template uses any more.
cat >/etc/apt/apt.conf.d/99jenkins-gpu-no-periodic <<'EOF'
APT::Periodic::Enable "0";
APT::Periodic::Update-Package-Lists "0";
APT::Periodic::Unattended-Upgrade "0";
EOF
apt_units=(apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service unattended-upgrades.service)
systemctl stop "${apt_units[@]}" || true
systemctl mask "${apt_units[@]}" || true

# An upgrade that had already started keeps the lock; the timeout waits for it instead of failing.
apt_get() {
  apt-get -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold -y -q "$@"
}

# 2. Java for the agent: the EC2 plugin needs Java 17+ on agents (21 recommended) and only installs Java
# by itself on Amazon Linux. openjdk-21-jre-headless is in Ubuntu 22.04's jammy-updates/security (universe);
# openjdk-17 is the fallback if a mirror lacks it.
log 'installing Java and Python tooling'
apt_get update
if ! apt_get install --no-install-recommends openjdk-21-jre-headless; then
  log 'openjdk-21-jre-headless unavailable, falling back to openjdk-17-jre-headless'
  apt_get install --no-install-recommends openjdk-17-jre-headless
fi
apt_get install --no-install-recommends python3-venv python3-pip
java -version

# 3. The template's remoteFS, owned by the SSH user the plugin connects as.
install -d -o ubuntu -g ubuntu -m 0755 /home/ubuntu/jenkins

# 4. Idle watchdog (cost guard layer 2): powers the worker off when no agent or no work is seen.
#@include-file assets/worker/idle-watchdog.sh /usr/local/sbin/jenkins-gpu-idle-watchdog 0755

# Limits derived from the template's idleTerminationMinutes, so that the watchdog is only a backstop and
# never acts before the EC2 plugin's own idle stop would:
#   NO_AGENT_MINUTES   = idle + 10: also covers this script and the agent launch on the first boot.
#   IDLE_AGENT_MINUTES = idle + 20: an agent idle that long means the controller is not stopping it
#                        (controller down or hung, or a zombie agent).
idle_minutes='@@IDLE_TERMINATION_MINUTES@@'
if ! [[ "$idle_minutes" =~ ^[0-9]+$ ]]; then
  log "idle minutes '$idle_minutes' is not a number, using 10"
  idle_minutes=10
fi
install -d -m 0755 /etc/jenkins-gpu
cat >/etc/jenkins-gpu/watchdog.env <<EOF
# Written by the worker's boot script; read by /usr/local/sbin/jenkins-gpu-idle-watchdog.
NO_AGENT_MINUTES=$((idle_minutes + 10))
IDLE_AGENT_MINUTES=$((idle_minutes + 20))
STATE_DIR=/run/jenkins-gpu-watchdog
DRY_RUN=false
EOF

cat >/etc/systemd/system/jenkins-gpu-idle-watchdog.service <<'EOF'
[Unit]
Description=Jenkins GPU worker idle watchdog (powers off an idle worker)
After=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/jenkins-gpu-idle-watchdog
EOF

# OnBootSec starts the clock on every boot, so a stopped and restarted worker is watched again. The unit
# is enabled (a symlink on the root volume), which is what makes it survive stop/start: user data does
# not run again.
cat >/etc/systemd/system/jenkins-gpu-idle-watchdog.timer <<'EOF'
[Unit]
Description=Run the Jenkins GPU worker idle watchdog every minute

[Timer]
OnBootSec=1min
OnUnitActiveSec=1min
AccuracySec=10s

[Install]
WantedBy=timers.target
EOF
systemctl daemon-reload
systemctl enable --now jenkins-gpu-idle-watchdog.timer

# 5. Done: the marker the agent launch may wait for.
install -d -m 0755 /var/lib/jenkins-gpu
date -u +%Y-%m-%dT%H:%M:%SZ >/var/lib/jenkins-gpu/boot-complete
log 'boot complete'
