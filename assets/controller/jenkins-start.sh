#!/usr/bin/env bash
# Started by jenkins.service. The active release (`current`) decides which core and which plugin set run,
# so a core/plugin upgrade staged by apply-config.sh takes effect exactly at the next (safe) restart.
#   jenkins-start.sh --prepare   ExecStartPre, as root: puts the release's plugin set into JENKINS_HOME
#   jenkins-start.sh             ExecStart, as jenkins: execs java with the release's war
set -euo pipefail
JG_LOG_PREFIX=jenkins-start
SCRIPT_DIR="$(readlink -f "${BASH_SOURCE[0]}")"
SCRIPT_DIR="${SCRIPT_DIR%/*}"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib.sh"

# plugins_match SET_DIR PLUGINS_DIR: the plugin archives in PLUGINS_DIR are exactly the set's, byte for byte.
plugins_match() {
  local set="$1" plugins="$2" file
  for file in "$plugins"/*.jpi "$plugins"/*.hpi; do
    [[ -e "$file" ]] || continue
    cmp -s "$file" "$set/${file##*/}" || return 1
  done
  for file in "$set"/*.jpi; do
    [[ -e "$file" ]] || continue
    cmp -s "$file" "$plugins/${file##*/}" || return 1
  done
}

# sync_plugins: makes JENKINS_HOME/plugins the staged set of the active release (casc/plugins.lock, verified
# when it was staged). Unchanged set and files: nothing is copied, so a plain restart does not re-explode
# plugins. A plugin installed, updated or removed outside the lock (the UI's plugin manager) is put back
# to the lock, with a warning. `*.disabled` markers are kept: they are state, not installation.
sync_plugins() {
  local release key set plugins="$JG_JENKINS_HOME/plugins"
  release="$(active_release)"
  [[ -n "$release" ]] || die "no active config release ($JG_CURRENT is missing)"
  key="$(plugin_set_key "$release")" || exit 1
  set="$JG_PLUGIN_SETS/$key"
  [[ -f "$set/.complete" ]] || die "plugin set $key of the active release is not installed"
  mkdir -p "$plugins"
  if [[ "$(cat "$plugins/.jenkins-gpu-plugin-set" 2>/dev/null || true)" == "$key" ]]; then
    if plugins_match "$set" "$plugins"; then return 0; fi
    warn "$plugins differs from the locked set $key (a plugin changed outside casc/plugins.lock): restoring the lock"
  fi
  log "installing plugin set $key into $plugins"
  find "$plugins" -mindepth 1 -maxdepth 1 ! -name '*.disabled' -exec rm -rf {} +
  find "$set" -maxdepth 1 -type f -name '*.jpi' -exec cp -p {} "$plugins/" \;
  plugins_match "$set" "$plugins" || die "$plugins does not hold exactly plugin set $key after the copy"
  printf '%s\n' "$key" >"$plugins/.jenkins-gpu-plugin-set"
  chown -R "$JG_JENKINS_USER:$JG_JENKINS_USER" "$plugins"
}

# run_jenkins: exec, so systemd supervises the JVM itself (Restart=always after an OOM exit).
run_jenkins() {
  local release version war
  release="$(active_release)"
  [[ -n "$release" ]] || die "no active config release ($JG_CURRENT is missing)"
  version="$(core_version "$release")"
  war="$(war_path "$version")"
  [[ -f "$war" ]] || die "Jenkins $version is not installed ($war missing)"
  # JAVA_HEAP_OPTS comes from jenkins.env (sized from the instance memory by bootstrap.sh); word splitting
  # of it is intended.
  # ExecutorPickle.timeoutForNodeMillis: how long a resumed `node` step waits for its agent to reconnect
  # before it gives up and the stage is retried from scratch (workflow-durable-task-step
  # ExecutorStepExecution.TIMEOUT_WAITING_FOR_NODE_MILLIS, default 5 minutes, counted from the resume). After
  # a controller outage the EC2 plugin reconnects running workers at startup; 15 minutes leave room for a
  # slow first reconnect, so a training run resumes instead of starting again. The same wait delays the
  # retry after a real agent loss (a spot interruption) by as much. See docs/architecture.md.
  # GroovyHookScript.ROOT_PATH: Jenkins runs the release's init.groovy.d/ at start, not JENKINS_HOME's.
  # shellcheck disable=SC2086
  exec java ${JAVA_HEAP_OPTS:-} -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Djenkins.install.runSetupWizard=false -Dcasc.strict.secret.resolution=true \
    -Dorg.jenkinsci.plugins.workflow.support.pickles.ExecutorPickle.timeoutForNodeMillis=900000 \
    -Djenkins.util.groovy.GroovyHookScript.ROOT_PATH="$release" \
    -jar "$war" --httpPort=8080
}

case "${1:-}" in
  --prepare) sync_plugins ;;
  '') run_jenkins ;;
  *) die "usage: jenkins-start.sh [--prepare]" ;;
esac
