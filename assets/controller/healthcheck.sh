#!/usr/bin/env bash
# Liveness check, run every minute by jenkins-gpu-healthcheck.timer. systemd already restarts a Jenkins that
# exits (Restart=always); this catches one that runs but no longer answers (hung JVM, GC death spiral).
# After FAILURE_LIMIT failed probes in a row it restarts Jenkins. A starting Jenkins (within the grace
# period, e.g. after a plugin upgrade) is not probed. Anything but 200 is a failed probe, a steady 503 too:
# after a failed boot the JVM stays up answering 503 on every URL, and systemd sees a live process.
set -euo pipefail
JG_LOG_PREFIX=healthcheck
SCRIPT_DIR="$(readlink -f "${BASH_SOURCE[0]}")"
SCRIPT_DIR="${SCRIPT_DIR%/*}"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib.sh"

GRACE_SECONDS="${HEALTHCHECK_GRACE_SECONDS:-600}"
FAILURE_LIMIT="${HEALTHCHECK_FAILURE_LIMIT:-3}"
UPTIME_FILE="${JENKINS_GPU_UPTIME_FILE:-/proc/uptime}"
STATE_FILE="$JG_RUN/healthcheck-failures"

# active_seconds: how long jenkins.service has been active, from systemd's monotonic timestamp (immune to
# clock changes) and the system uptime.
active_seconds() {
  local since_us uptime
  since_us="$(systemctl show jenkins.service -p ActiveEnterTimestampMonotonic --value)"
  [[ "$since_us" =~ ^[0-9]+$ ]] || since_us=0
  uptime="$(cut -d' ' -f1 "$UPTIME_FILE")"
  printf '%s\n' "$((${uptime%%.*} - since_us / 1000000))"
}

failures() { cat "$STATE_FILE" 2>/dev/null || echo 0; }

set_failures() {
  mkdir -p "$JG_RUN"
  printf '%s\n' "$1" >"$STATE_FILE"
}

PROBE_CODE=""
probe() {
  PROBE_CODE="$(http_get_code "$JG_JENKINS_URL/login" --max-time 10)"
  [[ "$PROBE_CODE" == "200" ]]
}

# probe_failure: what the failed probe saw, with the cause when Jenkins logged a failed boot.
probe_failure() {
  local cause
  if [[ "$PROBE_CODE" == "000" ]]; then
    printf 'no answer'
  elif [[ "$PROBE_CODE" == "503" ]] && cause="$(jenkins_boot_failure)"; then
    printf 'HTTP 503, its boot failed: %s' "$cause"
  else
    printf 'HTTP %s' "$PROBE_CODE"
  fi
}

main() {
  if ! systemctl is-active --quiet jenkins.service; then
    # Not running: systemd's own restart handles it; a stale count must not trigger later.
    set_failures 0
    return 0
  fi
  if (($(active_seconds) < GRACE_SECONDS)); then
    return 0
  fi
  if probe; then
    set_failures 0
    return 0
  fi
  local count seen
  count=$(($(failures) + 1))
  seen="$(probe_failure)"
  if ((count >= FAILURE_LIMIT)); then
    log "Jenkins did not answer $JG_JENKINS_URL/login $count times in a row ($seen): restarting it"
    set_failures 0
    systemctl restart jenkins.service || warn "systemctl restart jenkins failed"
    return 0
  fi
  log "Jenkins did not answer $JG_JENKINS_URL/login ($count/$FAILURE_LIMIT; $seen)"
  set_failures "$count"
}

main "$@"
