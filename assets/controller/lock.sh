#!/usr/bin/env bash
# The apply lock and the pending release of apply-config.sh (a config apply and the safe restart it
# schedules). Sourced after lib.sh, never run.
#
# `config/current` is always the release the running Jenkins was started with (or reloaded to): the last known
# good one. A core or plugin upgrade is staged as the pending release (a link on /run, so a reboot, which
# starts from the config parameter, forgets it); only the safe restart moves `current` to it, holding the lock
# while it restarts. A Jenkins that systemd restarts on its own meanwhile (Restart=always) starts `current`.

# shellcheck disable=SC2034 # used by the scripts that source this file
JG_APPLY_LOCK="$JG_RUN/apply.lock"
JG_PENDING="$JG_RUN/pending-release"
# The lock is held on file descriptor 9 (flock(1) locks an open file; the lock goes with the descriptor).

# hold_apply_lock: waits for the lock, saying so when another apply or a safe restart holds it.
hold_apply_lock() {
  mkdir -p "$JG_RUN"
  exec 9>"$JG_APPLY_LOCK"
  if ! flock -n 9; then
    log "waiting for $JG_APPLY_LOCK (another apply or a safe restart holds it)"
    flock 9
  fi
}

release_apply_lock() {
  flock -u 9
  exec 9>&-
}

# pending_release: the release a scheduled safe restart will start, or nothing.
pending_release() {
  if [[ -L "$JG_PENDING" ]]; then readlink "$JG_PENDING"; fi
}

# point_pending RELEASE_DIR: atomically, like point_current.
point_pending() {
  local tmp="$JG_RUN/.pending.$$"
  mkdir -p "$JG_RUN"
  ln -sfn "$1" "$tmp"
  mv -T "$tmp" "$JG_PENDING"
}

clear_pending() { rm -f "$JG_PENDING"; }

# prune_unused_releases KEEP: all but the KEEP newest releases go, except the active and the pending one.
prune_unused_releases() {
  local keep="$1" active pending dir count=0
  active="$(active_release)"
  pending="$(pending_release)"
  while IFS= read -r dir; do
    count=$((count + 1))
    if ((count > keep)) && [[ "$dir" != "$active" && "$dir" != "$pending" ]]; then
      log "removing old release ${dir##*/}"
      rm -rf "$dir"
    fi
  done < <(find "$JG_RELEASES" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %p\n' |
    sort -rn | cut -d' ' -f2-)
}
