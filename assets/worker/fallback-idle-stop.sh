#!/bin/bash
# jenkins-gpu-fallback-idle-stop: the minimal idle stop the user data installs before anything else, run
# every minute by a systemd timer. It covers the time until the worker payload has installed the full
# idle watchdog (which then disables this timer), and a worker whose payload never arrived (S3
# unreachable, a digest mismatch): such a worker can never take an agent, so "no SSH session" is idle.
# Powers the worker off (stop for on-demand, terminate for spot, as the EC2 plugin set the instance's
# shutdown behaviour) after more than NO_SSH_MINUTES without an established SSH connection on port 22,
# the port the EC2 plugin launches agents over. If `ss` fails, the connection counts as absent: a broken
# probe must not keep an idle GPU running.
# State: a timestamp under /run (tmpfs), so a restarted worker gets its full grace period again.
# Config: /etc/jenkins-gpu/fallback-idle-stop.env (NO_SSH_MINUTES); FALLBACK_NOW (epoch seconds) for tests.
set -euo pipefail

readonly ROOT="${JENKINS_GPU_WORKER_ROOT:-}"
readonly ENV_FILE="$ROOT/etc/jenkins-gpu/fallback-idle-stop.env"
if [ -r "$ENV_FILE" ]; then
  # shellcheck disable=SC1090 # written by the user data
  . "$ENV_FILE"
fi

log() {
  echo "jenkins-gpu-fallback-idle-stop: $*" >&2
}

limit_minutes="${NO_SSH_MINUTES:-20}"
if ! [[ "$limit_minutes" =~ ^[0-9]+$ ]] || [ "$limit_minutes" -eq 0 ]; then
  log "NO_SSH_MINUTES='$limit_minutes' is not a positive integer, using 20"
  limit_minutes=20
fi
now="${FALLBACK_NOW:-$(date +%s)}"
state_dir="$ROOT/run/jenkins-gpu-fallback-idle-stop"
since_file="$state_dir/no-ssh-since"
mkdir -p "$state_dir"

if connections="$(ss -Htn state established '( sport = :22 )' 2>/dev/null)" &&
  [ -n "${connections//[[:space:]]/}" ]; then
  rm -f "$since_file"
  log "decision=keep ssh session open"
  exit 0
fi

since="$(cat "$since_file" 2>/dev/null || true)"
if ! [[ "$since" =~ ^[0-9]+$ ]]; then
  since="$now"
  echo "$since" >"$since_file"
fi
elapsed=$((now - since))
if [ "$elapsed" -gt $((limit_minutes * 60)) ]; then
  log "decision=poweroff no ssh session for ${elapsed}s limit=${limit_minutes}m"
  systemctl poweroff
else
  log "decision=keep no ssh session for ${elapsed}s limit=${limit_minutes}m"
fi
