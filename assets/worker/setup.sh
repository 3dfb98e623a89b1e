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
  install -d -m 0755 "${BOOT_FAILED%/*}"
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

# 4. No root for builds. Builds run as the SSH user the plugin connects as (the template's remoteAdmin,
# ubuntu). cloud-init gives that user passwordless sudo on Ubuntu AMIs (a NOPASSWD rule in
# /etc/sudoers.d/90-cloud-init-users), and the Deep Learning AMI puts it in the docker group (root by
# another name, like lxd): any build could then stop the idle watchdog, rewrite this boot or leave
# root-owned traps for the next build on a restarted worker. Nothing needs it: the boot runs as root from
# cloud-init and systemd, and the agent launch (the template's initScript: cloud-init status and a marker
# test; Java is installed above, so the plugin's `sudo yum` fallback never runs) needs no root.
# docs/security.md has the threat model.
readonly BUILD_USER=ubuntu
log "removing passwordless sudo and root-equivalent groups from $BUILD_USER"
readonly BUILD_USER_RULE="^[[:space:]]*${BUILD_USER}[[:space:]]"
drop_sudo_rules() {
  local rules="$1"
  # sudo skips files whose name contains a dot, so the rewritten copy is inert until it replaces the original.
  { grep -Ev "$BUILD_USER_RULE" "$rules" || true; } >"$rules.jenkins-gpu" || return 1
  chmod 0440 "$rules.jenkins-gpu" || return 1
  mv -f "$rules.jenkins-gpu" "$rules"
}
for rules in "$ROOT"/etc/sudoers.d/*; do
  [ -f "$rules" ] || continue
  grep -Eq "$BUILD_USER_RULE" "$rules" || continue
  drop_sudo_rules "$rules" || fail "cannot remove the sudo rules of $BUILD_USER from $rules"
done
for group in docker lxd; do
  if grep -Eq "^$group:[^:]*:[^:]*:([^:]*,)?$BUILD_USER(,|$)" "$ROOT/etc/group" 2>/dev/null; then
    gpasswd -d "$BUILD_USER" "$group" >/dev/null || fail "cannot remove $BUILD_USER from group $group"
  fi
done

# 5. Done: the marker the agent launch waits for; it also switches jenkins-gpu-worker-setup.service off.
install -d -m 0755 "${BOOT_COMPLETE%/*}"
rm -f "$BOOT_FAILED"
date -u +%Y-%m-%dT%H:%M:%SZ >"$BOOT_COMPLETE"
log 'setup complete'
