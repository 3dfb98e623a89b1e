#!/bin/bash
# jenkins-gpu-worker-setup: the package part of a GPU worker's boot (Java for the agent, Python tooling,
# the agent's remote FS). Installed as /usr/local/sbin/jenkins-gpu-worker-setup by the boot script
# (assets/worker/boot.sh), which runs it once from user data and enables jenkins-gpu-worker-boot.service
# to run it again on every later boot until it has succeeded: user data runs only once per instance, so
# a failed apt step on the first boot would otherwise leave a worker that can never take an agent.
# Idempotent. On success it writes /var/lib/jenkins-gpu/boot-complete, the marker the agent launch waits
# for (the template's initScript), so no pipeline needs a retry/sleep loop around apt.
set -euo pipefail

readonly BOOT_COMPLETE=/var/lib/jenkins-gpu/boot-complete

log() {
  echo "jenkins-gpu-worker-setup: $*" >&2
}

if [ -e "$BOOT_COMPLETE" ]; then
  log "already complete ($BOOT_COMPLETE exists)"
  exit 0
fi

# One run at a time (user data and the unit never overlap by design; a person might run it by hand).
exec 9>/run/jenkins-gpu-worker-setup.lock
flock -w 1200 9

export DEBIAN_FRONTEND=noninteractive

# 1. Keep apt's background jobs away from the dpkg lock. Periodic runs are switched off first (before
# apt-daily can start them), then the timers and unattended-upgrades are stopped and masked. They stay off
# on purpose: on a restarted worker they would otherwise upgrade packages (the NVIDIA driver included)
# under a running training job. Workers are refreshed by replacing them from a newer AMI instead: the
# reaper terminates stopped workers whose AMI no template uses any more.
cat >/etc/apt/apt.conf.d/99jenkins-gpu-no-periodic <<'APT'
APT::Periodic::Enable "0";
APT::Periodic::Update-Package-Lists "0";
APT::Periodic::Unattended-Upgrade "0";
APT
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
# The idle watchdog tags its instance busy with the AWS CLI (the reaper keeps busy workers running):
# Deep Learning AMIs ship it; any other AMI gets Ubuntu's.
if ! command -v aws >/dev/null; then
  apt_get install --no-install-recommends awscli
fi
java -version

# 3. The template's remoteFS, owned by the SSH user the plugin connects as.
install -d -o ubuntu -g ubuntu -m 0755 /home/ubuntu/jenkins

# 4. Done: the marker the agent launch waits for; it also switches jenkins-gpu-worker-boot.service off.
install -d -m 0755 /var/lib/jenkins-gpu
date -u +%Y-%m-%dT%H:%M:%SZ >"$BOOT_COMPLETE"
log 'setup complete'
