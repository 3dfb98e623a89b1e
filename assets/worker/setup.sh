#!/bin/bash
# jenkins-gpu-worker-setup: the package part of a GPU worker's boot (Java for the agent, Python tooling,
# the agent's remote FS). Installed as /usr/local/sbin/jenkins-gpu-worker-setup by the worker payload
# (assets/worker/payload.sh), which runs it once and enables jenkins-gpu-worker-setup.service to run it
# again on every later boot until it has succeeded: user data runs only once per instance, so a failed apt
# step on the first boot would otherwise leave a worker that can never take an agent.
# Idempotent. On success it writes /var/lib/jenkins-gpu/boot-complete, the marker the agent launch waits
# for (the template's initScript), so no pipeline needs a retry/sleep loop around apt. On failure it writes
# the reason to /var/lib/jenkins-gpu/boot-failed, which the initScript prints into the node's log.
set -euo pipefail

readonly ROOT="${JENKINS_GPU_WORKER_ROOT:-}"
readonly BOOT_COMPLETE="$ROOT/var/lib/jenkins-gpu/boot-complete"
readonly BOOT_FAILED="$ROOT/var/lib/jenkins-gpu/boot-failed"
# Jenkins core 2.555 and later runs only on Java 21 or 25, and its upgrade guide requires Java 21 on agents
# too (REFERENCE.md "Java"; the pinned core is casc/jenkins-core.txt): an older agent JVM cannot connect.
readonly AGENT_JAVA_MAJOR=21
readonly AGENT_JAVA_PACKAGE="openjdk-$AGENT_JAVA_MAJOR-jre-headless"

log() {
  echo "jenkins-gpu-worker-setup: $*" >&2
}

# fail REASON: logged, and kept in BOOT_FAILED for the agent launch to print; the unit tries again next boot.
fail() {
  log "ERROR: $*"
  install -d -m 0755 "$(dirname "$BOOT_FAILED")"
  printf 'worker setup: %s\n' "$*" >"$BOOT_FAILED"
  exit 1
}

if [ -e "$BOOT_COMPLETE" ]; then
  log "already complete ($BOOT_COMPLETE exists)"
  exit 0
fi

# One run at a time (user data and the unit never overlap by design; a person might run it by hand).
install -d -m 0755 "$ROOT/run"
exec 9>"$ROOT/run/jenkins-gpu-worker-setup.lock"
flock -w 1200 9

export DEBIAN_FRONTEND=noninteractive

# 1. Keep apt's background jobs away from the dpkg lock. Periodic runs are switched off first (before
# apt-daily can start them), then the timers and unattended-upgrades are stopped and masked. They stay off
# on purpose: on a restarted worker they would otherwise upgrade packages (the NVIDIA driver included)
# under a running training job. Workers are refreshed by replacing them from a newer AMI instead: the
# reaper terminates stopped workers whose AMI no template uses any more.
install -d -m 0755 "$ROOT/etc/apt/apt.conf.d"
cat >"$ROOT/etc/apt/apt.conf.d/99jenkins-gpu-no-periodic" <<'APT'
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

# 2. Java for the agent, only the version the pinned core needs: the EC2 plugin only installs Java by
# itself on Amazon Linux. openjdk-21-jre-headless is in Ubuntu 22.04's jammy-updates/security (universe).
# No fallback to an older Java: its agent cannot connect, so the boot fails here, loudly, instead.
log "installing Java $AGENT_JAVA_MAJOR and Python tooling"
apt_get update || fail 'apt-get update failed'
apt_get install --no-install-recommends "$AGENT_JAVA_PACKAGE" ||
  fail "cannot install $AGENT_JAVA_PACKAGE: Jenkins agents of this core need Java $AGENT_JAVA_MAJOR or newer"
# The template runs the agent with `java` from PATH: make it this JVM even if the AMI brought another one.
java_bin="$(update-alternatives --list java 2>/dev/null | grep -m1 "java-$AGENT_JAVA_MAJOR-" || true)"
if [ -n "$java_bin" ]; then
  update-alternatives --set java "$java_bin"
fi
java_major="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ { print $2 }')"
if ! [[ "$java_major" =~ ^[0-9]+$ ]] || [ "$java_major" -lt "$AGENT_JAVA_MAJOR" ]; then
  fail "java on PATH is version '${java_major:-unknown}', Jenkins agents of this core need $AGENT_JAVA_MAJOR or newer"
fi
apt_get install --no-install-recommends python3-venv python3-pip || fail 'cannot install python3-venv and python3-pip'
# The idle watchdog tags its instance busy with the AWS CLI (the reaper keeps busy workers running):
# Deep Learning AMIs ship it; any other AMI gets Ubuntu's.
if ! command -v aws >/dev/null; then
  apt_get install --no-install-recommends awscli || fail 'cannot install awscli'
fi

# 3. The template's remoteFS, owned by the SSH user the plugin connects as.
install -d -m 0755 "$ROOT/home/ubuntu/jenkins"
chown ubuntu:ubuntu "$ROOT/home/ubuntu/jenkins"

# 4. Done: the marker the agent launch waits for; it also switches jenkins-gpu-worker-setup.service off.
install -d -m 0755 "$(dirname "$BOOT_COMPLETE")"
rm -f "$BOOT_FAILED"
date -u +%Y-%m-%dT%H:%M:%SZ >"$BOOT_COMPLETE"
log 'setup complete'
