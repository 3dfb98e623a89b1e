#!/bin/bash
# gpu-check, at the end of the GPU stage (post always): `summary.sh CHECK...` with every check the job
# runs, in order. Prints each check's last result and exits 1 unless every one passed, so this decides the
# build. A check without a result is a stage that stopped before reporting, e.g. a credential Jenkins could
# not bind (withCredentials fails before credential.sh runs).
set -euo pipefail
# shellcheck source=jobs/gpu-check/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ "$#" -gt 0 ] || usage 'summary.sh CHECK...'

not_passed=()
lines=()
width=0
for check in "$@"; do [ "${#check}" -le "$width" ] || width="${#check}"; done
for check in "$@"; do
  status="$(result_of "$check")"
  detail="$(awk -F'\t' -v check="$check" '$2 == check { detail = $3 } END { print detail }' "$RESULTS_FILE" 2>/dev/null)" || detail=''
  if [ -z "$status" ]; then
    status=FAIL
    case "$check" in
      credential\ *)
        id="${check#credential }"
        detail="Jenkins could not bind it (its error is in the log above): the secret is missing, or a file credential holds text; set it with npm run credentials -- set $id --file <path>"
        ;;
      *) detail='no result: the stage stopped before it reported (its log above says why)' ;;
    esac
  fi
  [ "$status" = PASS ] || not_passed+=("$check")
  lines+=("$(printf '  %-4s  %-*s  %s' "$status" "$width" "$check" "$detail")")
done

echo 'gpu-check results:'
printf '%s\n' "${lines[@]}"
if [ "${#not_passed[@]}" -gt 0 ]; then
  list="$(printf '%s, ' "${not_passed[@]}")"
  echo "gpu-check: $(plural "${#not_passed[@]}" check) of $# did not pass: ${list%, }"
  exit 1
fi
echo "gpu-check: all $# checks passed: this worker, its credentials and RESULTS_DIR are ready for the train job"
if [ -n "${OUTPUT_DIR:-}" ]; then echo "TensorBoard: tensorboard --logdir $OUTPUT_DIR"; fi
