#!/bin/bash
# jenkins-gpu-idle-watchdog: cost guard layer 2, run every minute by a systemd timer on a GPU worker.
# Powers the worker off (instance-initiated shutdown = stop, set by the EC2 plugin) when
#   - no Jenkins agent has been connected for more than NO_AGENT_MINUTES, or
#   - an agent is connected but nothing has run on it (no build process, no GPU use) for more than
#     IDLE_AGENT_MINUTES.
# It needs nothing from the controller, so it works when Jenkins is down. Limits are strict: exactly at the
# limit the worker is kept, one second later it is powered off.
#
# What counts as what (all read from this machine):
#   agent connected  a `java ... remoting.jar|agent.jar|slave.jar` process is running AND `ss` shows an
#                    established TCP connection on local port 22 (the EC2 plugin runs the agent over SSH).
#                    A java agent without any SSH connection is an orphan left by a dead controller (the
#                    plugin's zombie agents); SSH without the agent is a launch in progress or a person.
#                    Neither counts. If `ss` is missing or fails, the process alone decides.
#   build running    any process descending from the agent java (the remoting JVM forks every `sh` step;
#                    its own threads are not processes), at any depth, so wrappers like `nohup sh -c` count.
#   GPU busy         `nvidia-smi` reports utilization > 0 on any GPU. If nvidia-smi is missing or fails
#                    there is no GPU information and the GPU counts as idle: a broken driver must not keep
#                    an idle machine running; a real build is still seen by the process check.
# State: two timestamp files in STATE_DIR (default under /run, a tmpfs, so a stop/start begins afresh and
# a restarted worker gets its full grace period).
# Config: /etc/jenkins-gpu/watchdog.env (path: WATCHDOG_ENV_FILE); WATCHDOG_NOW (epoch seconds) for tests.
set -euo pipefail

readonly LOG_TAG='jenkins-gpu-idle-watchdog'
readonly WATCHDOG_ENV_FILE="${WATCHDOG_ENV_FILE:-/etc/jenkins-gpu/watchdog.env}"

if [ -r "$WATCHDOG_ENV_FILE" ]; then
  # shellcheck disable=SC1090 # written by the worker's boot script
  . "$WATCHDOG_ENV_FILE"
fi

log() {
  echo "$LOG_TAG: $*" >&2
}

# positive_int NAME VALUE DEFAULT: VALUE if it is a positive integer, else DEFAULT (with a log line).
positive_int() {
  if [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ]; then
    echo "$2"
  else
    log "config $1='$2' is not a positive integer, using $3"
    echo "$3"
  fi
}

NO_AGENT_MINUTES="$(positive_int NO_AGENT_MINUTES "${NO_AGENT_MINUTES:-20}" 20)"
IDLE_AGENT_MINUTES="$(positive_int IDLE_AGENT_MINUTES "${IDLE_AGENT_MINUTES:-30}" 30)"
STATE_DIR="${STATE_DIR:-/run/jenkins-gpu-watchdog}"
DRY_RUN="${DRY_RUN:-false}"
NOW="${WATCHDOG_NOW:-$(date +%s)}"

mkdir -p "$STATE_DIR"
readonly NO_AGENT_SINCE_FILE="$STATE_DIR/no-agent-since"
readonly IDLE_SINCE_FILE="$STATE_DIR/idle-since"

# Prints "<agent java processes> <their descendant processes>".
agent_processes() {
  # The agent is recognised by its command (basename `java`) plus the jar, never by a pattern that the
  # awk program's own command line could match.
  ps -eo pid=,ppid=,args= 2>/dev/null | awk '
    {
      pid = $1; ppid = $2
      parent[pid] = ppid
      command = $3; sub(/.*\//, "", command)
      if (command == "java" && $0 ~ /(remoting|agent|slave)\.jar/) agent[pid] = 1
    }
    END {
      agents = 0; descendants = 0
      for (p in agent) agents++
      for (p in parent) {
        if (p in agent) continue
        q = parent[p]; depth = 0
        while (q != "" && q != "0" && depth < 100) {
          if (q in agent) { descendants++; break }
          q = parent[q]; depth++
        }
      }
      print agents, descendants
    }'
}

# Exit 0 if ss shows an established connection on local port 22, 1 if none, 2 if ss is unusable.
ssh_connection_state() {
  local connections
  if ! connections="$(ss -Htn state established '( sport = :22 )' 2>/dev/null)"; then
    return 2
  fi
  [ -n "$(printf '%s' "$connections" | tr -d '[:space:]')" ]
}

# Prints busy | idle | unknown.
gpu_state() {
  local utilization
  if ! utilization="$(nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits 2>/dev/null)"; then
    echo unknown
    return
  fi
  if [ -z "$(printf '%s' "$utilization" | tr -d '[:space:]')" ]; then
    echo unknown
  elif printf '%s\n' "$utilization" | awk '$1 + 0 > 0 { found = 1 } END { exit found ? 0 : 1 }'; then
    echo busy
  else
    echo idle
  fi
}

# since_file FILE: epoch stored in FILE, created with NOW when missing or unreadable.
since_file() {
  local value=''
  if [ -r "$1" ]; then
    value="$(cat "$1")"
  fi
  if ! [[ "$value" =~ ^[0-9]+$ ]]; then
    value="$NOW"
    echo "$value" >"$1"
  fi
  echo "$value"
}

power_off() {
  if [ "$DRY_RUN" = true ]; then
    log "decision=poweroff dry_run=true $1"
    return
  fi
  log "decision=poweroff $1"
  systemctl poweroff
}

read -r agents descendants <<<"$(agent_processes)"
agents="${agents:-0}"
descendants="${descendants:-0}"

ssh_state=0
ssh_connection_state || ssh_state=$?
connected=false
if [ "$agents" -gt 0 ] && [ "$ssh_state" -ne 1 ]; then
  connected=true
fi

if [ "$connected" != true ]; then
  rm -f "$IDLE_SINCE_FILE"
  since="$(since_file "$NO_AGENT_SINCE_FILE")"
  elapsed=$((NOW - since))
  detail="no agent connected for ${elapsed}s (agent_java=$agents ssh=$([ "$ssh_state" -eq 0 ] && echo yes || echo no)) limit=${NO_AGENT_MINUTES}m"
  if [ "$elapsed" -gt $((NO_AGENT_MINUTES * 60)) ]; then
    power_off "$detail"
  else
    log "decision=keep $detail"
  fi
  exit 0
fi

rm -f "$NO_AGENT_SINCE_FILE"
gpu="$(gpu_state)"
if [ "$descendants" -gt 0 ] || [ "$gpu" = busy ]; then
  rm -f "$IDLE_SINCE_FILE"
  log "decision=keep agent connected and busy (build_processes=$descendants gpu=$gpu)"
  exit 0
fi

since="$(since_file "$IDLE_SINCE_FILE")"
elapsed=$((NOW - since))
detail="agent connected, idle for ${elapsed}s (build_processes=0 gpu=$gpu) limit=${IDLE_AGENT_MINUTES}m"
if [ "$elapsed" -gt $((IDLE_AGENT_MINUTES * 60)) ]; then
  power_off "$detail"
else
  log "decision=keep $detail"
fi
