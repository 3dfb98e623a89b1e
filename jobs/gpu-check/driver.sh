#!/bin/bash
# gpu-check stage "GPU and driver": the NVIDIA driver answers and lists at least one GPU.
#   nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
# prints one line per GPU ("Tesla T4, 550.127.05, 15360 MiB"); plain `nvidia-smi` prints the table whose
# header has "CUDA Version: 12.4", the newest CUDA the driver supports. nvidia-smi's exit codes are NVML's
# return codes (nvidia-smi(1), RETURN VALUE): 6 no GPU found, 9 driver not loaded, 18 driver/library
# version mismatch (a driver upgraded under a running kernel module).
set -euo pipefail
# shellcheck source=jobs/gpu-check/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

out="$WORKSPACE_TMP/nvidia-smi.out"
mkdir -p "$WORKSPACE_TMP"

if ! command -v nvidia-smi >/dev/null; then
  fail driver 'nvidia-smi not found: the worker image has no NVIDIA driver (the workers need a Deep Learning AMI with the NVIDIA driver, e.g. base-oss-nvidia-driver-gpu-ubuntu-22.04)'
fi

rc=0
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >"$out" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
  cat "$out"
  case "$rc" in
    6) hint='the instance has no NVIDIA GPU: use a GPU instance type (g4dn, g5, g6, p3...) in casc/ec2-cloud.yaml' ;;
    9) hint='the NVIDIA kernel module is not loaded: check the boot log of the worker (dmesg | grep -i nvidia)' ;;
    18) hint='the driver was upgraded while its old kernel module is loaded (unattended upgrades): reboot the worker' ;;
    *) hint='see the nvidia-smi output above' ;;
  esac
  fail driver "nvidia-smi failed (exit $rc: $(last_line "$out")): $hint"
fi

gpus=()
driver=''
while IFS=, read -r name version memory; do
  [ -n "$name" ] || continue
  gpus+=("$name (${memory# })")
  driver="${version# }"
done <"$out"
if [ "${#gpus[@]}" -eq 0 ]; then
  fail driver "nvidia-smi listed no GPU ($(last_line "$out"))"
fi

cuda="$(nvidia-smi 2>/dev/null | sed -n '/CUDA Version/{s/.*CUDA Version: *\([0-9.]*\).*/\1/p;q;}')" || cuda=''
list="$(printf '%s, ' "${gpus[@]}")"
pass driver "NVIDIA driver $driver${cuda:+ (supports CUDA up to $cuda)}, $(plural "${#gpus[@]}" GPU): ${list%, }"
