#!/bin/bash
# jenkins-gpu-worker-payload: fetches the worker payload (assets/worker/payload.sh as rendered at synth,
# shipped by the stack as one S3 object), checks it against the sha256 pinned in the user data and runs
# it. Installed by the user data, which runs it once; jenkins-gpu-worker-payload.service runs it again on
# every later boot until the payload has installed itself (it writes PAYLOAD_INSTALLED).
#
# Why a payload at all: EC2 accepts at most 16,384 bytes of user data and the EC2 plugin passes the
# template's userData as it is (SlaveTemplate.java at 2059.v05f9d511d7e5, no compression), so the boot
# code lives in S3 and the user data only carries this loader and the fallback idle stop.
#
# The object is read with the instance role (which may read exactly that object): through the AWS CLI
# when the AMI has it, else through boto3 in the system Python (Deep Learning AMIs ship both). No apt
# step runs before the payload's own idle watchdog is installed.
#
# Config: /etc/jenkins-gpu/payload.env (PAYLOAD_S3_URI, PAYLOAD_SHA256, IDLE_TERMINATION_MINUTES).
set -euo pipefail

readonly ROOT="${JENKINS_GPU_WORKER_ROOT:-}"
readonly ENV_FILE="$ROOT/etc/jenkins-gpu/payload.env"
readonly STATE_DIR="$ROOT/var/lib/jenkins-gpu"
readonly PAYLOAD_INSTALLED="$STATE_DIR/payload-installed"
readonly BOOT_FAILED="$STATE_DIR/boot-failed"
readonly PAYLOAD_DIR="$ROOT/usr/local/lib/jenkins-gpu"
readonly IMDS_URL="${IMDS_URL:-http://169.254.169.254}"
readonly ATTEMPTS="${PAYLOAD_FETCH_ATTEMPTS:-6}"
readonly FIRST_DELAY="${PAYLOAD_FETCH_DELAY_SECONDS:-5}"

log() {
  echo "jenkins-gpu-worker-payload: $*" >&2
}

# fail REASON: the reason goes to the log and to BOOT_FAILED, which the agent launch's initScript prints,
# so the Jenkins node log says why the worker never became an agent.
fail() {
  log "ERROR: $*"
  mkdir -p "$STATE_DIR"
  printf 'worker payload: %s\n' "$*" >"$BOOT_FAILED"
  exit 1
}

if [ -e "$PAYLOAD_INSTALLED" ]; then
  log "payload already installed ($PAYLOAD_INSTALLED exists)"
  exit 0
fi
[ -r "$ENV_FILE" ] || fail "$ENV_FILE is missing"
# shellcheck disable=SC1090 # written by the user data
. "$ENV_FILE"
[[ "${PAYLOAD_S3_URI:-}" =~ ^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.+)$ ]] ||
  fail "PAYLOAD_S3_URI '${PAYLOAD_S3_URI:-}' is not an s3://bucket/key URI"
readonly BUCKET="${BASH_REMATCH[1]}" KEY="${BASH_REMATCH[2]}"
[[ "${PAYLOAD_SHA256:-}" =~ ^[0-9a-f]{64}$ ]] || fail "PAYLOAD_SHA256 '${PAYLOAD_SHA256:-}' is not a sha256"

# The bucket is in the stack's region, which is this instance's region.
imds_region() {
  local token
  token="$(curl -fsS --max-time 2 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$IMDS_URL/latest/api/token")" &&
    curl -fsS --max-time 2 -H "X-aws-ec2-metadata-token: $token" "$IMDS_URL/latest/meta-data/placement/region"
}

# download DEST: one attempt with the AWS CLI, or boto3 when there is no CLI.
download() {
  local dest="$1"
  if command -v aws >/dev/null; then
    aws s3 cp --only-show-errors --region "$REGION" "$PAYLOAD_S3_URI" "$dest"
  elif python3 -c 'import boto3' 2>/dev/null; then
    python3 - "$REGION" "$BUCKET" "$KEY" "$dest" <<'PYTHON'
import sys
import boto3

region, bucket, key, dest = sys.argv[1:5]
boto3.client("s3", region_name=region).download_file(bucket, key, dest)
PYTHON
  else
    echo "neither the AWS CLI nor boto3 is installed on this AMI" >&2
    return 2
  fi
}

REGION="$(imds_region 2>/dev/null)" || REGION=''
[[ "$REGION" =~ ^[a-z0-9-]+$ ]] || fail "no region from the instance metadata service at $IMDS_URL"

mkdir -p "$PAYLOAD_DIR"
payload="$PAYLOAD_DIR/worker-payload-$PAYLOAD_SHA256.sh"
partial="$payload.partial"
delay="$FIRST_DELAY"
for ((attempt = 1; ; attempt++)); do
  rm -f "$partial"
  rc=0
  error="$(download "$partial" 2>&1)" || rc=$?
  if [ "$rc" -eq 0 ]; then
    break
  fi
  # rc 2: no download tool at all; waiting does not help.
  if [ "$rc" -eq 2 ] || [ "$attempt" -ge "$ATTEMPTS" ]; then
    fail "cannot fetch $PAYLOAD_S3_URI after $attempt attempt(s): $(printf '%s' "$error" | tr '\n' ' ' | cut -c1-300); the fallback idle stop powers this worker off when idle"
  fi
  log "fetching $PAYLOAD_S3_URI failed (attempt $attempt/$ATTEMPTS), retrying in ${delay}s"
  sleep "$delay"
  delay=$((delay * 2))
done

actual="$(sha256sum <"$partial")"
actual="${actual%% *}"
if [ "$actual" != "$PAYLOAD_SHA256" ]; then
  rm -f "$partial"
  fail "$PAYLOAD_S3_URI has sha256 $actual, the user data pins $PAYLOAD_SHA256; not running it (the fallback idle stop powers this worker off when idle)"
fi
chmod 0755 "$partial"
mv -f "$partial" "$payload"
log "payload $PAYLOAD_SHA256 verified; running it"
exec bash "$payload" --idle-minutes "${IDLE_TERMINATION_MINUTES:-}"
