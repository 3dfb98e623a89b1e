#!/bin/bash
# gpu-check stage "Results storage": writes a small file to OUTPUT_DIR (RESULTS_DIR/gpu-check/BUILD_NUMBER)
# and reads it back, the way the job's training output gets there:
#   s3://  the AWS CLI with the worker's instance role (the stack grants it the bucket of resultsLocation)
#   gs://  google-cloud-storage in its own small virtualenv, with the gcp-service-account key (GCP_KEY_FILE)
#   /path  a directory on the worker's disk
set -euo pipefail
# shellcheck source=jobs/gpu-check/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${OUTPUT_DIR:?OUTPUT_DIR is not set (the pipeline sets it)}"

mkdir -p "$WORKSPACE_TMP"
err="$WORKSPACE_TMP/storage.err"
pip_log="$WORKSPACE_TMP/storage-pip.log"
target="$OUTPUT_DIR/storage-probe.txt"

case "$(location_kind "$OUTPUT_DIR")" in
  gs)
    use_gcp_key || fail storage "$OUTPUT_DIR is on Google Cloud Storage, which needs the gcp-service-account credential: npm run credentials -- set gcp-service-account --file <key.json>"
    if ! index="$(make_venv "$STORAGE_VENV" 2>"$err")"; then
      fail storage "python3 -m venv failed ($(last_line "$err")): the worker image needs python3-venv"
    fi
    echo "Installing google-cloud-storage from $index"
    if ! "$STORAGE_VENV/bin/pip" install --progress-bar off google-cloud-storage >"$pip_log" 2>&1; then
      cat "$pip_log"
      fail storage "pip install google-cloud-storage failed: $(error_line "$pip_log")"
    fi
    how='with the gcp-service-account key'
    denied='the service account needs permission to create and read objects in the bucket (e.g. roles/storage.objectUser)'
    ;;
  s3)
    command -v aws >/dev/null || fail storage 'the AWS CLI is not installed on the worker'
    how="with the worker's instance role"
    denied="the workers' role may use only the bucket of the stack's resultsLocation setting"
    ;;
  path)
    how="on the worker's disk (it goes when the worker is terminated)"
    denied='the agent user (ubuntu) must be able to create it'
    ;;
  *) fail storage "OUTPUT_DIR must be an s3:// or gs:// location or an absolute path (got '$OUTPUT_DIR')" ;;
esac

probe="$WORKSPACE_TMP/storage-probe.txt"
printf 'written by gpu-check build %s on %s at %s\n' "${BUILD_NUMBER:-?}" "${HOSTNAME:-?}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$probe"
rm -f "$probe.read"
if ! put_file "$probe" "$target" 2>"$err"; then
  cat "$err" >&2
  fail storage "cannot write $target $how: $(last_line "$err") ($denied)"
fi
if ! get_file "$target" "$probe.read" 2>"$err"; then
  cat "$err" >&2
  fail storage "wrote $target but cannot read it back $how: $(last_line "$err") ($denied)"
fi
cmp -s "$probe" "$probe.read" || fail storage "read back $target, but it differs from what was written"
pass storage "wrote and read back $target $how"
