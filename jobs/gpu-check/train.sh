#!/bin/bash
# gpu-check stage "Train on GPU": runs train.py (a tiny model on synthetic data, TRAIN_SECONDS long) in the
# framework's virtualenv, checks that it trained on a GPU, that the loss fell and that it wrote a checkpoint
# and TensorBoard events, then copies its output to OUTPUT_DIR. Skipped (not failed) when a check it needs
# failed: that check already failed the build, and its own line says why.
set -euo pipefail
# shellcheck source=jobs/gpu-check/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${OUTPUT_DIR:?OUTPUT_DIR is not set (the pipeline sets it)}"
: "${FRAMEWORK:?FRAMEWORK is not set (a build parameter)}"
seconds="${TRAIN_SECONDS:-60}"

missing=()
for needed in driver framework storage; do
  [ "$(result_of "$needed")" = PASS ] || missing+=("$needed")
done
if [ "${#missing[@]}" -gt 0 ]; then
  skip train "needs these checks to pass first: ${missing[*]}"
  exit 0
fi
if [ "$(location_kind "$OUTPUT_DIR")" = gs ]; then
  use_gcp_key || fail train 'gs:// output needs the gcp-service-account credential'
fi

mkdir -p "$WORKSPACE_TMP"
log="$WORKSPACE_TMP/train.log"
err="$WORKSPACE_TMP/train-copy.err"
rm -rf "$LOCAL_OUTPUT"
mkdir -p "$LOCAL_OUTPUT"
echo "Training a tiny $FRAMEWORK model on synthetic data for $seconds s"
rc=0
TF_CPP_MIN_LOG_LEVEL=1 "$FRAMEWORK_VENV/bin/python" "$GPU_CHECK_DIR/train.py" --framework "$FRAMEWORK" \
  --seconds "$seconds" --output "$LOCAL_OUTPUT" 2>&1 | tee "$log" || rc=$?
[ "$rc" -eq 0 ] || fail train "train.py failed (exit $rc): $(last_line "$log")"

result="$(grep '^result ' "$log" | tail -n 1)" || result=''
[ -n "$result" ] || fail train "train.py printed no result line ($(last_line "$log"))"
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }
device="$(field device)"
steps="$(field steps)"
took="$(field seconds)"
first="$(field first_loss)"
last="$(field last_loss)"
checkpoint="$(field checkpoint)"
events="$(field events)"

[[ "$device" == GPU:* ]] || fail train "trained on ${device:-an unknown device}, not on a GPU, although the framework check computed on one"
if ! awk -v first="$first" -v last="$last" 'BEGIN { exit !(first + 0 > 0 && last + 0 < first / 2) }'; then
  fail train "the loss did not halve (first $first, last $last after $steps steps): the GPU may compute wrong results"
fi
[ -s "$checkpoint" ] || fail train "train.py reported the checkpoint $checkpoint, but it is missing or empty"
if ! find "$events" -name 'events.out.tfevents.*' -size +0c 2>/dev/null | grep -q .; then
  fail train "no TensorBoard event file under $events"
fi
if ! put_dir "$LOCAL_OUTPUT" "$OUTPUT_DIR" 2>"$err"; then
  cat "$err" >&2
  fail train "trained, but copying the output to $OUTPUT_DIR failed: $(last_line "$err")"
fi
pass train "$steps steps in $took s on $device, loss $first -> $last; checkpoint ${checkpoint#"$LOCAL_OUTPUT/"} and TensorBoard events ${events#"$LOCAL_OUTPUT/"}/ in $OUTPUT_DIR"
echo "TensorBoard: tensorboard --logdir $OUTPUT_DIR"
