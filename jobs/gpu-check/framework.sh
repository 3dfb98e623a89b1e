#!/bin/bash
# gpu-check stage "Framework": installs FRAMEWORK (tensorflow or pytorch) in a fresh virtualenv, as the
# train job installs its packages (pip.conf from pypi-pip-conf when set, pip's cache shared on the worker),
# and checks that it computes on every GPU it lists (probe.py). FRAMEWORK_PACKAGE replaces the default
# requirement (tensorflow[and-cuda] or torch), e.g. to pin a version that matches the driver.
set -euo pipefail
# shellcheck source=jobs/gpu-check/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${FRAMEWORK:-}" in
  tensorflow) packages=("${FRAMEWORK_PACKAGE:-tensorflow[and-cuda]}") ;;
  # torch.utils.tensorboard writes its event files with the tensorboard package.
  pytorch) packages=("${FRAMEWORK_PACKAGE:-torch}" tensorboard) ;;
  *) usage "framework.sh: FRAMEWORK must be tensorflow or pytorch (got '${FRAMEWORK:-}')" ;;
esac

mkdir -p "$WORKSPACE_TMP"
venv_err="$WORKSPACE_TMP/venv.err"
pip_log="$WORKSPACE_TMP/pip.log"
probe_out="$WORKSPACE_TMP/probe.out"
probe_err="$WORKSPACE_TMP/probe.err"

if ! index="$(make_venv "$FRAMEWORK_VENV" 2>"$venv_err")"; then
  cat "$venv_err" >&2
  fail framework "python3 -m venv failed ($(last_line "$venv_err")): the worker image needs python3-venv"
fi
echo "Installing ${packages[*]} from $index into a fresh virtualenv"
if ! "$FRAMEWORK_VENV/bin/pip" install --progress-bar off "${packages[@]}" 2>&1 | tee "$pip_log"; then
  fail framework "pip install ${packages[*]} failed: $(error_line "$pip_log")"
fi

rc=0
TF_CPP_MIN_LOG_LEVEL=1 "$FRAMEWORK_VENV/bin/python" "$GPU_CHECK_DIR/probe.py" "$FRAMEWORK" \
  >"$probe_out" 2>"$probe_err" || rc=$?
cat "$probe_out"
if [ "$rc" -ne 0 ]; then
  tail -n 30 "$probe_err" >&2
  fail framework "the probe failed (exit $rc): $(last_line "$probe_err")"
fi
version="$(sed -n '/^framework /{s///p;q;}' "$probe_out")"
cuda="$(sed -n '/^cuda /{s///p;q;}' "$probe_out")"
mapfile -t usable < <(sed -n 's/^gpu //p' "$probe_out")
mapfile -t unusable < <(sed -n 's/^gpu_unusable //p' "$probe_out")
[ -n "$version" ] || fail framework "the probe printed no framework line ($(last_line "$probe_out"))"

if [ "${#unusable[@]}" -gt 0 ]; then
  fail framework "$version lists a GPU it cannot compute on: ${unusable[0]} (a build without kernels for this GPU, or a driver older than CUDA $cuda needs: compare with the driver check)"
fi
if [ "${#usable[@]}" -eq 0 ]; then
  if [ "$cuda" = none ]; then
    fail framework "$version is a CPU-only build: set FRAMEWORK_PACKAGE to a CUDA build (tensorflow[and-cuda], or torch from a CUDA wheel index)"
  fi
  tail -n 30 "$probe_err" >&2
  fail framework "$version (built for CUDA $cuda) sees no GPU: the driver must support CUDA $cuda (compare with the driver check) and the CUDA libraries must load (the framework's messages are above)"
fi
list="$(printf '%s, ' "${usable[@]}")"
pass framework "$version (CUDA $cuda) computes on $(plural "${#usable[@]}" GPU): ${list%, }; installed from $index"
