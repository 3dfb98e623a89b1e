#!/usr/bin/env bash
# Brings up the Jenkins controller; run as root on every boot: from user data at the first boot (with
# --signal-resource, so CloudFormation learns the outcome), by jenkins-gpu-bootstrap.service on later
# boots (with --no-signal: nobody waits for a signal after a reboot):
#   bootstrap.sh --stack-name S --region R --config-parameter /S/controller/config \
#                --volume-id vol-... (--signal-resource LogicalId | --no-signal)
# The user data knows only these values, so it never changes when casc/ or jobs/ change: everything that
# does change is read from the controller-config parameter. Any failure sends cfn-signal failure with the
# reason, so a broken controller fails the deploy instead of timing out; a failed boot that no
# CloudFormation operation waits for is healed by self-heal.sh (the instance is replaced, within a limit,
# and the alarm topic is told). Transient steps are retried (lib.sh retry).
set -Eeuo pipefail
JG_LOG_PREFIX=bootstrap
SCRIPT_DIR="$(readlink -f "${BASH_SOURCE[0]}")"
SCRIPT_DIR="${SCRIPT_DIR%/*}"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib.sh"

# aws-cfn-bootstrap puts cfn-signal in /opt/aws/bin on Amazon Linux, which is not on root's PATH.
PATH="$PATH:/opt/aws/bin"
JENKINS_WAIT_SECONDS="${JENKINS_WAIT_SECONDS:-900}"
JENKINS_WAIT_INTERVAL="${JENKINS_WAIT_INTERVAL:-5}"
DEVICE_WAIT_SECONDS="${DEVICE_WAIT_SECONDS:-120}"
# How long a new controller waits for the old one to release JENKINS_HOME: Auto Scaling launches the new
# instance while the old one drains in Terminating:Wait (up to its lifecycle hook's timeout), and a rolling
# update waits at most an hour (PauseTime PT1H) for the new one anyway.
VOLUME_WAIT_SECONDS="${VOLUME_WAIT_SECONDS:-3600}"
STACK_NAME="" CONFIG_PARAMETER="" VOLUME_ID="" SIGNAL_RESOURCE="" NO_SIGNAL=""
SIGNALLED=""

usage() {
  die "usage: bootstrap.sh --stack-name S --region R --config-parameter NAME --volume-id vol-... (--signal-resource ID | --no-signal)"
}

parse_args() {
  while (($# > 0)); do
    if [[ "$1" == "--no-signal" ]]; then
      NO_SIGNAL=1
      shift
      continue
    fi
    [[ $# -ge 2 ]] || usage
    case "$1" in
      --stack-name) STACK_NAME="$2" ;;
      --region) AWS_REGION="$2" ;;
      --config-parameter) CONFIG_PARAMETER="$2" ;;
      --volume-id) VOLUME_ID="$2" ;;
      --signal-resource) SIGNAL_RESOURCE="$2" ;;
      *) usage ;;
    esac
    shift 2
  done
  [[ -n "$STACK_NAME" && -n "${AWS_REGION:-}" && -n "$CONFIG_PARAMETER" && -n "$VOLUME_ID" ]] || usage
  # Exactly one of the two: a first boot must signal, a reboot must not.
  if [[ -n "$SIGNAL_RESOURCE" && -n "$NO_SIGNAL" ]] || [[ -z "$SIGNAL_RESOURCE" && -z "$NO_SIGNAL" ]]; then
    usage
  fi
  [[ "$VOLUME_ID" =~ ^vol-[0-9a-f]+$ ]] || die "--volume-id must look like vol-0123abcd, got $VOLUME_ID"
  export AWS_REGION
}

# --- cfn-signal -------------------------------------------------------------------------------------------

# A missing cfn-signal must not turn into a silent 'success': CloudFormation would wait for the timeout.
require_cfn_signal() {
  [[ -z "$NO_SIGNAL" ]] || return 0
  command -v cfn-signal >/dev/null || die "cfn-signal not found: cannot report to CloudFormation"
}

signal() {
  local success="$1" reason="$2"
  SIGNALLED=1
  if [[ -n "$NO_SIGNAL" ]]; then
    log "not signalling CloudFormation (--no-signal): success=$success $reason"
    return 0
  fi
  cfn-signal --success "$success" --reason "$reason" --stack "$STACK_NAME" --resource "$SIGNAL_RESOURCE" \
    --region "$AWS_REGION"
}

# ERR trap: remembers which command failed (the reason when no die message was written).
on_err() {
  local code="$1" line="$2" cmd="$3"
  printf 'command failed (exit %s) at bootstrap.sh line %s: %s\n' "$code" "$line" "$cmd" >>"$JG_ERROR_FILE"
}

# EXIT trap: any non-zero exit before the success signal is a failed boot. With --signal-resource the failure
# goes to CloudFormation first: when a CloudFormation operation waits for this instance (stack creation, a
# rolling update) it takes the signal and its rollback deals with the instance, as before. Outside one
# (Auto Scaling replaced the instance, or it rebooted) cfn-signal is refused ("... state and cannot be
# signaled") or never sent (--no-signal), and self-heal.sh has the instance replaced, within its limit.
on_exit() {
  local code="$1" reason
  trap - ERR
  if ((code != 0)) && [[ -z "$SIGNALLED" && -n "$STACK_NAME" ]]; then
    reason="$(head -n1 "$JG_ERROR_FILE" 2>/dev/null || true)"
    reason="${reason:-bootstrap failed with exit code $code}"
    if [[ -n "$SIGNAL_RESOURCE" ]]; then
      log "signalling failure to CloudFormation: $reason"
      if signal false "${reason:0:250}"; then
        rm -f "$JG_ERROR_FILE"
        return
      fi
      warn "cfn-signal failed: no CloudFormation operation waits for this instance"
    fi
    "$SCRIPT_DIR/self-heal.sh" --stack-name "$STACK_NAME" --region "$AWS_REGION" \
      --config-parameter "$CONFIG_PARAMETER" --boot-failed "$reason" || warn "self-heal.sh failed"
  fi
  rm -f "$JG_ERROR_FILE"
}

# --- JENKINS_HOME volume ----------------------------------------------------------------------------------

volume_attached_to() {
  retry "describing volume $VOLUME_ID" aws ec2 describe-volumes --region "$AWS_REGION" --volume-ids "$VOLUME_ID" \
    --query 'Volumes[0].Attachments[0].InstanceId' --output text || die "cannot describe volume $VOLUME_ID"
}

# attach_volume INSTANCE_ID: the previous controller may still hold the volume while the ASG replaces it,
# so wait for it to become available before attaching.
attach_volume() {
  local instance="$1" holder
  holder="$(volume_attached_to)"
  if [[ "$holder" == "$instance" ]]; then
    log "volume $VOLUME_ID is already attached to this instance"
    return 0
  fi
  if [[ -n "$holder" && "$holder" != "None" ]]; then
    log "volume $VOLUME_ID is attached to $holder; waiting until it is released"
    # One CLI waiter gives up after 40 polls 15 s apart (exit 255): repeat it up to VOLUME_WAIT_SECONDS.
    local waiters=$(((VOLUME_WAIT_SECONDS + 599) / 600))
    until aws ec2 wait volume-available --region "$AWS_REGION" --volume-ids "$VOLUME_ID"; do
      waiters=$((waiters - 1))
      ((waiters > 0)) || die "volume $VOLUME_ID was not released within ${VOLUME_WAIT_SECONDS}s (attached to $holder)"
      log "volume $VOLUME_ID is still attached; waiting again"
    done
  fi
  log "attaching $VOLUME_ID to $instance"
  aws ec2 attach-volume --region "$AWS_REGION" --volume-id "$VOLUME_ID" --instance-id "$instance" \
    --device /dev/xvdf >/dev/null || die "cannot attach volume $VOLUME_ID"
}

# volume_device: on Nitro instances the volume appears as /dev/nvme*n1 whose serial is the volume id
# without the dash; udev links it under /dev/disk/by-id. Xen instances keep the requested name.
volume_device() {
  local candidate
  for candidate in "$JG_ROOT/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${VOLUME_ID//-/}" \
    "$JG_ROOT/dev/xvdf" "$JG_ROOT/dev/sdf"; do
    if [[ -e "$candidate" ]]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

wait_for_device() {
  local waited=0 device
  until device="$(volume_device)"; do
    ((waited < DEVICE_WAIT_SECONDS)) || die "volume $VOLUME_ID did not appear as a block device"
    sleep 2
    waited=$((waited + 2))
  done
  printf '%s\n' "$device"
}

# format_if_new DEVICE: formats only a volume that is provably new: blkid's low-level probe finds no
# signature (exit 2 and no output; blkid(8): 2 = nothing identified, 4 = usage or other error, 8 = ambiguous)
# AND the first MiB reads as zeros. A filesystem is kept; any other answer (a partition table, data blkid
# does not know, a probe or read error) stops the boot without formatting: JENKINS_HOME is never
# reformatted because a probe failed. mkfs.ext4 itself asks before overwriting only on a terminal.
format_if_new() {
  local device="$1" probe rc=0 zeros=0
  probe="$(blkid -p "$device" 2>&1)" || rc=$?
  case "$rc" in
    0)
      log "$device is not blank ($probe): not formatting"
      return 0
      ;;
    2) [[ -z "$probe" ]] || die "blkid -p $device exited 2 but printed '$probe': not formatting JENKINS_HOME" ;;
    *) die "blkid -p $device failed (exit $rc: ${probe:-no output}): not formatting JENKINS_HOME on a probe error" ;;
  esac
  cmp -s -n 1048576 "$device" /dev/zero || zeros=$?
  case "$zeros" in
    0) ;;
    1) die "$device has no filesystem signature blkid knows, but its first MiB is not zeros: not formatting JENKINS_HOME (inspect the volume)" ;;
    *) die "cannot read the first MiB of $device (cmp exit $zeros): not formatting JENKINS_HOME" ;;
  esac
  log "$device is new (no signature, first MiB zeros): creating ext4 (label JENKINS_HOME)"
  mkfs.ext4 -q -L JENKINS_HOME "$device" >&2
}

# grow_jenkins_home DEVICE: a raised jenkinsHomeSizeGiB grows the EBS volume, not its filesystem. ext4 grows
# online while mounted; resize2fs without a size grows to the device and never shrinks ("Nothing to do!"
# when it already fills it). A failed grow keeps the old size and the boot goes on.
grow_jenkins_home() {
  local device="$1"
  resize2fs "$device" >&2 || warn "resize2fs $device failed: JENKINS_HOME keeps its filesystem size"
}

# mount_jenkins_home DEVICE: by UUID in fstab with nofail, so a missing volume never blocks a reboot.
mount_jenkins_home() {
  local device="$1" uuid fstab="$JG_ROOT/etc/fstab"
  uuid="$(blkid -o value -s UUID "$device")" || die "cannot read the filesystem UUID of $device"
  mkdir -p "$JG_JENKINS_HOME" "${fstab%/*}"
  touch "$fstab"
  if ! grep -q "[[:space:]]/var/lib/jenkins[[:space:]]" "$fstab"; then
    printf 'UUID=%s /var/lib/jenkins ext4 defaults,nofail 0 2\n' "$uuid" >>"$fstab"
  fi
  if mountpoint -q "$JG_JENKINS_HOME"; then
    log "JENKINS_HOME is already mounted"
  else
    mount "$JG_JENKINS_HOME" || die "cannot mount JENKINS_HOME"
  fi
}

# --- packages and user ------------------------------------------------------------------------------------

# install_cfn_signal: first, so that any later failure (a dnf mirror, a download) can still be signalled.
install_cfn_signal() {
  [[ -z "$NO_SIGNAL" ]] || return 0
  command -v cfn-signal >/dev/null || retry "installing aws-cfn-bootstrap" dnf install -y aws-cfn-bootstrap >&2 || true
}

install_packages() {
  log "installing Java 21, jq, unzip, tar and diffutils"
  # tar packs and unpacks the plugin set kept in the artifact mirror (lib.sh install_plugins); diffutils
  # brings cmp (format_if_new).
  retry "dnf install" dnf install -y java-21-amazon-corretto-headless jq unzip tar diffutils >&2 ||
    die "dnf install failed"
}

# ensure_jenkins_user: the uid may differ from the one that owns a re-attached JENKINS_HOME (other AMI), so
# ownership is fixed when it does not match.
ensure_jenkins_user() {
  if ! id "$JG_JENKINS_USER" >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/jenkins --no-create-home --shell /sbin/nologin "$JG_JENKINS_USER"
  fi
  if [[ "$(stat -c %U "$JG_JENKINS_HOME")" != "$JG_JENKINS_USER" ]]; then
    log "giving JENKINS_HOME to $JG_JENKINS_USER"
    chown -R "$JG_JENKINS_USER:$JG_JENKINS_USER" "$JG_JENKINS_HOME"
  fi
}

# --- configuration ----------------------------------------------------------------------------------------

# write_controller_env: lets apply-config.sh (run later through SSM) find the parameter and the region.
write_controller_env() {
  mkdir -p "$JG_ETC"
  printf 'STACK_NAME=%q\nAWS_REGION=%q\nCONFIG_PARAMETER=%q\n' "$STACK_NAME" "$AWS_REGION" "$CONFIG_PARAMETER" \
    >"$JG_CONTROLLER_ENV"
}

# heap_opts: half the instance memory for the heap; the rest is for metaspace, threads and the OS.
heap_opts() {
  local kb mb
  kb="$(awk '/^MemTotal:/ { print $2 }' "${JENKINS_GPU_MEMINFO:-/proc/meminfo}")"
  [[ "$kb" =~ ^[0-9]+$ ]] || die "cannot read MemTotal"
  mb=$((kb / 1024 / 2))
  ((mb >= 512)) || mb=512
  printf -- '-Xms%sm -Xmx%sm\n' "$((mb / 2))" "$mb"
}

write_jenkins_env() {
  mkdir -p "$JG_ETC"
  printf 'JAVA_HEAP_OPTS="%s"\n' "$(heap_opts)" >"$JG_JENKINS_ENV"
}

# install_release JSON: the parameter's bundle becomes the active release with its core and plugins.
install_release() {
  local config="$1" release
  release="$(stage_release "$config")"
  # Plugins first: their lock is checked before anything is downloaded.
  install_plugins "$release" "$config"
  install_core "$release" "$config"
  point_current "$release"
  log "active config release: ${release##*/}"
}

# --- systemd ----------------------------------------------------------------------------------------------

install_units() {
  mkdir -p "$JG_SYSTEMD_DIR"
  cp "$SCRIPT_DIR"/systemd/*.service "$SCRIPT_DIR"/systemd/*.timer "$JG_SYSTEMD_DIR/"
  systemctl daemon-reload
}

# start_services: start, not enable (see jenkins.service); restart so a re-run picks up new files.
start_services() {
  systemctl restart jenkins.service
  systemctl start jenkins-gpu-healthcheck.timer
}

# wait_for_jenkins: a boot that JCasC or a plugin stops fails here as soon as Jenkins logs it (it would answer
# 503 for the whole wait otherwise); a slow boot gets JENKINS_WAIT_SECONDS.
wait_for_jenkins() {
  wait_for_jenkins_up "$JENKINS_WAIT_SECONDS" "$JENKINS_WAIT_INTERVAL" || die "$JG_WAIT_REASON"
  log "Jenkins answers on $JG_JENKINS_URL"
}

main() {
  parse_args "$@"
  JG_ERROR_FILE="$(mktemp)"
  trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR
  trap 'on_exit $?' EXIT
  # systemd stops a boot that overruns jenkins-gpu-bootstrap.service's TimeoutStartSec with SIGTERM: that is
  # a failed boot too.
  trap 'printf "bootstrap was stopped by SIGTERM (the unit start timeout?)\n" >>"$JG_ERROR_FILE"; exit 143' TERM
  install_cfn_signal
  require_cfn_signal
  install_packages
  local instance device config
  instance="$(imds_instance_id)"
  attach_volume "$instance"
  device="$(wait_for_device)"
  format_if_new "$device"
  mount_jenkins_home "$device"
  grow_jenkins_home "$device"
  ensure_jenkins_user
  write_controller_env
  config="$(read_config_parameter "$CONFIG_PARAMETER")"
  install_release "$config"
  prune_releases 5
  write_casc_vars "$config"
  write_reload_token_env "$config"
  write_jenkins_env
  install_units
  start_services
  wait_for_jenkins
  # Refused outside a CloudFormation operation (a replacement, a reboot): Jenkins is up all the same.
  signal true "Jenkins controller is up" || warn "cfn-signal failed: no CloudFormation operation waits for this instance"
  "$SCRIPT_DIR/self-heal.sh" --stack-name "$STACK_NAME" --region "$AWS_REGION" \
    --config-parameter "$CONFIG_PARAMETER" --boot-ok || warn "self-heal.sh --boot-ok failed"
  log "done"
}

main "$@"
