#!/usr/bin/env bash
# Shared functions for the controller scripts (bootstrap.sh, apply-config.sh, healthcheck.sh,
# jenkins-start.sh, drain.sh). Sourced, never run. Paths and formats follow docs/architecture.md.
#
# Every path goes through JENKINS_GPU_ROOT (empty on the instance) so tests can run the scripts against a
# temp dir; every effect on the real system goes through a command (aws, curl, systemctl, mount, ...) that
# tests replace with a fake on PATH.

# shellcheck disable=SC2034 # the path variables are used by the scripts that source this file
JG_ROOT="${JENKINS_GPU_ROOT:-}"
JG_OPT="$JG_ROOT/opt/jenkins-gpu"
JG_BIN="$JG_OPT/bin"
JG_CONFIG_DIR="$JG_OPT/config"
JG_RELEASES="$JG_CONFIG_DIR/releases"
JG_CURRENT="$JG_CONFIG_DIR/current"
JG_WAR_DIR="$JG_OPT/war"
JG_PLUGIN_SETS="$JG_OPT/plugins"
JG_TOOLS="$JG_OPT/tools"
JG_JENKINS_HOME="$JG_ROOT/var/lib/jenkins"
JG_RUN="$JG_ROOT/run/jenkins-gpu"
JG_CASC_VARS="$JG_RUN/casc-vars"
JG_TOKEN_ENV="$JG_RUN/reload-token.env"
JG_ETC="$JG_ROOT/etc/jenkins-gpu"
JG_CONTROLLER_ENV="$JG_ETC/controller.env"
JG_JENKINS_ENV="$JG_ETC/jenkins.env"
JG_SYSTEMD_DIR="$JG_ROOT/etc/systemd/system"
JG_JENKINS_USER="${JENKINS_GPU_USER:-jenkins}"
JG_JENKINS_URL="${JENKINS_URL_LOCAL:-http://127.0.0.1:8080}"
JG_LOG_PREFIX="${JG_LOG_PREFIX:-jenkins-gpu}"

# Pinned plugin installation manager; its sha256 is checked against the .sha256 published with the release.
JG_PLUGIN_MANAGER_VERSION="2.15.0"
# Pinned, not fetched: the jar's own release is the thing we must not trust blindly.
JG_PLUGIN_MANAGER_SHA256="${PLUGIN_MANAGER_SHA256:-a86853ec2e2933f37a4b471ba65099b61e03c87a80c2ef8fe2315eb135672d43}"
JG_PLUGIN_MANAGER_BASE_URL="${PLUGIN_MANAGER_BASE_URL:-https://github.com/jenkinsci/plugin-installation-manager-tool/releases/download}"
JG_WAR_BASE_URL="${JENKINS_WAR_BASE_URL:-https://get.jenkins.io/war-stable}"

# Logs go to stderr so that stdout stays usable for function results; the prefix makes them easy to find in
# the SSM command output and in the cloud-init log.
log() { printf '[%s] %s\n' "$JG_LOG_PREFIX" "$*" >&2; }
warn() { printf '[%s] WARNING: %s\n' "$JG_LOG_PREFIX" "$*" >&2; }
# die MESSAGE: also appends the message to JG_ERROR_FILE (when set) so bootstrap.sh can give the reason
# to cfn-signal even when die ran in a subshell.
die() {
  printf '[%s] ERROR: %s\n' "$JG_LOG_PREFIX" "$*" >&2
  if [[ -n "${JG_ERROR_FILE:-}" ]]; then printf '%s\n' "$*" >>"$JG_ERROR_FILE"; fi
  exit 1
}

# The region for every aws call: the flag/env given to the script, else the CLI's own default.
aws_region_args() {
  if [[ -n "${AWS_REGION:-}" ]]; then printf '%s\n' --region "$AWS_REGION"; fi
}

# bundle_digest DIR: the digest of docs/architecture.md. sha256sum reads each file on stdin so the output
# never carries sha256sum's escaping of odd file names; LC_ALL=C sorts by bytes like the TypeScript side.
bundle_digest() {
  local dir="$1"
  [[ -d "$dir" ]] || die "bundle_digest: not a directory: $dir"
  (
    cd "$dir" || exit 1
    find . -type f -print0 | LC_ALL=C sort -z | while IFS= read -r -d '' file; do
      local hash
      hash="$(sha256sum <"$file")"
      printf '%s  %s\n' "${hash%% *}" "${file#./}"
    done
  ) | sha256sum | cut -d' ' -f1
}

# sha256_of FILE: the hex digest only.
sha256_of() {
  local out
  out="$(sha256sum <"$1")"
  printf '%s\n' "${out%% *}"
}

# read_config_parameter NAME: prints the controller-config JSON and checks that it parses.
read_config_parameter() {
  local name="$1" value
  local -a region
  mapfile -t region < <(aws_region_args)
  value="$(aws ssm get-parameter --name "$name" "${region[@]}" --query Parameter.Value --output text)" ||
    die "cannot read the controller-config parameter $name"
  jq -e '.bundle.bucket and .bundle.key and .bundle.digest' >/dev/null <<<"$value" ||
    die "parameter $name is not a controller config (bundle.bucket/key/digest missing)"
  printf '%s\n' "$value"
}

# config_get JSON FILTER: one value from the config JSON (jq -r).
config_get() { jq -r "$2" <<<"$1"; }

# fetch_secret ARN: prints the secret value on stdout for the caller to redirect into a file. The value is
# never logged; the aws call carries only the ARN in its arguments.
fetch_secret() {
  local arn="$1"
  local -a region
  mapfile -t region < <(aws_region_args)
  aws secretsmanager get-secret-value --secret-id "$arn" "${region[@]}" --query SecretString --output text ||
    die "cannot read secret $arn"
}

# write_private_file FILE OWNER: writes stdin to FILE with mode 0400 through a temp file in the same
# directory and a rename, so a reader (JCasC, systemd) never sees a half-written or world-readable file.
write_private_file() {
  local file="$1" owner="$2" tmp
  tmp="$(umask 0377 && mktemp "$(dirname "$file")/.tmp.XXXXXX")"
  cat >"$tmp"
  chmod 0400 "$tmp"
  chown "$owner" "$tmp"
  mv -f "$tmp" "$file"
}

# valid_var_name NAME: JCasC variable names become file names; refuse anything that could escape the dir.
valid_var_name() { [[ "$1" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; }

# prepare_casc_vars_dir: the JCasC SECRETS dir on tmpfs (/run), readable by jenkins only.
prepare_casc_vars_dir() {
  mkdir -p "$JG_CASC_VARS"
  chmod 0700 "$JG_CASC_VARS"
  chown "$JG_JENKINS_USER:$JG_JENKINS_USER" "$JG_CASC_VARS"
}

# write_casc_vars JSON: one file per `vars` entry and per `secrets` entry (value from Secrets Manager).
# Values are written without a trailing newline; secrets go from the aws call straight into the file.
write_casc_vars() {
  local config="$1" name value arn
  prepare_casc_vars_dir
  while IFS= read -r name; do
    [[ -n "$name" ]] || continue
    valid_var_name "$name" || die "invalid variable name in the config parameter: $name"
    value="$(config_get "$config" ".vars[\"$name\"]")"
    printf '%s' "$value" | write_private_file "$JG_CASC_VARS/$name" "$JG_JENKINS_USER:$JG_JENKINS_USER"
  done < <(config_get "$config" '.vars // {} | keys[]')
  while IFS= read -r name; do
    [[ -n "$name" ]] || continue
    valid_var_name "$name" || die "invalid secret name in the config parameter: $name"
    arn="$(config_get "$config" ".secrets[\"$name\"]")"
    value="$(fetch_secret "$arn")"
    printf '%s' "$value" | write_private_file "$JG_CASC_VARS/$name" "$JG_JENKINS_USER:$JG_JENKINS_USER"
  done < <(config_get "$config" '.secrets // {} | keys[]')
  log "wrote the JCasC variable files"
}

# write_reload_token_env JSON: CASC_RELOAD_TOKEN=... for systemd's EnvironmentFile (root-only, 0400).
write_reload_token_env() {
  local config="$1" arn token
  arn="$(config_get "$config" '.reloadTokenSecret // empty')"
  [[ -n "$arn" ]] || die "the config parameter has no reloadTokenSecret"
  token="$(fetch_secret "$arn")"
  [[ "$token" =~ ^[A-Za-z0-9._~-]+$ ]] || die "the reload token secret must be URL-safe (letters, digits, ._~-)"
  mkdir -p "$JG_RUN"
  printf 'CASC_RELOAD_TOKEN=%s\n' "$token" | write_private_file "$JG_TOKEN_ENV" root:root
}

# read_reload_token: the token from the env file, for the reload call only.
read_reload_token() {
  local line
  [[ -r "$JG_TOKEN_ENV" ]] || die "reload token file $JG_TOKEN_ENV is missing"
  line="$(grep -m1 '^CASC_RELOAD_TOKEN=' "$JG_TOKEN_ENV")" || die "no CASC_RELOAD_TOKEN in $JG_TOKEN_ENV"
  printf '%s' "${line#CASC_RELOAD_TOKEN=}"
}

# --- Jenkins API as admin (apply-config.sh, drain.sh) ---------------------------------------------------

# with_secret_curl_config CONFIG_TEXT -- CURL_ARGS...: runs curl with secret options (URL with the reload
# token, admin credentials) read from a config file on stdin, so they never appear in the process list.
with_secret_curl_config() {
  local config="$1"
  shift
  [[ "$1" == "--" ]] && shift
  curl --config - "$@" <<<"$config"
}

# admin_curl_config: basic auth as admin from the JCasC variable file, for a curl config on stdin.
admin_curl_config() {
  local password
  password="$(cat "$JG_CASC_VARS/ADMIN_PASSWORD")" || die "no admin password file in $JG_CASC_VARS"
  password="${password//\\/\\\\}"
  printf 'user = "admin:%s"\n' "${password//\"/\\\"}"
}

# quiet_down [REASON]: Jenkins wants a CSRF crumb for a POST with a password, and the crumb is bound to the
# session, so both requests share a cookie jar. REASON is the banner Jenkins shows while quieting down (the
# `message` parameter of Jenkins.doQuietDown, core 2.414 and later).
# shellcheck disable=SC2120 # apply-config.sh's safe restart gives no reason
quiet_down() {
  local auth jar crumb
  local -a banner=()
  [[ -z "${1:-}" ]] || banner=(--data-urlencode "message=$1")
  # Explicit: a caller may run this where errexit is off (`if ! (quiet_down …)`).
  auth="$(admin_curl_config)" || exit 1
  jar="$(mktemp)"
  crumb="$(with_secret_curl_config "$auth" -- -fsS -c "$jar" -b "$jar" \
    "$JG_JENKINS_URL/crumbIssuer/api/json" | jq -r '"\(.crumbRequestField):\(.crumb)"')" ||
    crumb=""
  with_secret_curl_config "$auth" -- -fsS -o /dev/null -X POST -c "$jar" -b "$jar" \
    ${crumb:+-H "$crumb"} "${banner[@]}" "$JG_JENKINS_URL/quietDown" || {
    rm -f "$jar"
    die "quietDown failed"
  }
  rm -f "$jar"
}

busy_executors() {
  local auth
  auth="$(admin_curl_config)" || return 1
  with_secret_curl_config "$auth" -- -fsS \
    "$JG_JENKINS_URL/computer/api/json?tree=busyExecutors" | jq -r '.busyExecutors'
}

# download_bundle JSON DEST_ZIP: the bundle zip from S3.
download_bundle() {
  local config="$1" dest="$2" bucket key
  local -a region
  mapfile -t region < <(aws_region_args)
  bucket="$(config_get "$config" .bundle.bucket)"
  key="$(config_get "$config" .bundle.key)"
  aws s3 cp --only-show-errors "${region[@]}" "s3://$bucket/$key" "$dest" >&2 ||
    die "cannot download the config bundle s3://$bucket/$key (S3 unreachable or access denied); nothing changed"
}

# stage_release JSON: downloads, unpacks and verifies the bundle into releases/<digest>; prints that path.
# The unpack happens in a temp dir next to the releases so the final rename is atomic and a bad bundle never
# appears under its digest. Runs in a subshell so its EXIT trap cleans the temp dir on every path.
stage_release() (
  config="$1"
  digest="$(config_get "$config" .bundle.digest)"
  [[ "$digest" =~ ^[0-9a-f]{64}$ ]] || die "bundle digest in the parameter is not a sha256 hex: $digest"
  mkdir -p "$JG_RELEASES"
  tmp="$(mktemp -d "$JG_RELEASES/.staging.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  download_bundle "$config" "$tmp/bundle.zip"
  unzip -q "$tmp/bundle.zip" -d "$tmp/tree" >&2 || die "the config bundle is not a valid zip"
  actual="$(bundle_digest "$tmp/tree")"
  [[ "$actual" == "$digest" ]] ||
    die "bundle digest mismatch: downloaded bundle has $actual, parameter says $digest; nothing changed"
  [[ -f "$tmp/tree/casc/jenkins-core.txt" && -f "$tmp/tree/casc/plugins.txt" ]] ||
    die "bundle $digest has no casc/jenkins-core.txt or casc/plugins.txt"
  rm -rf "${JG_RELEASES:?}/$digest"
  mv -T "$tmp/tree" "$JG_RELEASES/$digest"
  touch "$JG_RELEASES/$digest"
  printf '%s\n' "$JG_RELEASES/$digest"
)

# point_current RELEASE_DIR: swaps the `current` symlink atomically (new link + rename over the old one).
point_current() {
  local target="$1" tmp="$JG_CONFIG_DIR/.current.$$"
  ln -sfn "$target" "$tmp"
  mv -T "$tmp" "$JG_CURRENT"
}

# active_release: the directory `current` points to, or nothing.
active_release() {
  if [[ -L "$JG_CURRENT" ]]; then readlink "$JG_CURRENT"; fi
}

# core_version RELEASE_DIR: the pinned LTS version from casc/jenkins-core.txt (one line, e.g. 2.528.3).
core_version() {
  local version
  version="$(grep -v '^[[:space:]]*\(#\|$\)' "$1/casc/jenkins-core.txt" | head -n1 | tr -d '[:space:]')"
  [[ "$version" =~ ^[0-9]+(\.[0-9]+)+$ ]] || die "casc/jenkins-core.txt must hold one version like 2.528.3, got '$version'"
  printf '%s\n' "$version"
}

# war_path VERSION
war_path() { printf '%s/jenkins-%s.war\n' "$JG_WAR_DIR" "$1"; }

# download_verified URL SHA DEST: downloads URL and checks it against SHA: `sha256:<hex>` (pinned) or a URL
# whose first field is the hex digest (published next to the file).
download_verified() {
  local url="$1" sha_url="$2" dest="$3" expected actual tmp
  mkdir -p "$(dirname "$dest")"
  tmp="$(mktemp "$dest.part.XXXXXX")"
  if [[ "$sha_url" == sha256:* ]]; then
    expected="${sha_url#sha256:}"
  else
    expected="$(curl -fsSL --retry 3 "$sha_url")" || { rm -f "$tmp"; die "cannot download $sha_url"; }
  fi
  expected="${expected%%[[:space:]]*}"
  curl -fsSL --retry 3 -o "$tmp" "$url" || { rm -f "$tmp"; die "cannot download $url"; }
  actual="$(sha256_of "$tmp")"
  if [[ "$actual" != "$expected" ]]; then
    rm -f "$tmp"
    die "sha256 mismatch for $url: got $actual, published $expected"
  fi
  chmod 0644 "$tmp"
  mv -f "$tmp" "$dest"
}

# install_core VERSION: the pinned war, verified against the .sha256 Jenkins publishes next to it.
install_core() {
  local version="$1" dest
  dest="$(war_path "$version")"
  if [[ -f "$dest" ]]; then return 0; fi
  log "downloading Jenkins $version"
  download_verified "$JG_WAR_BASE_URL/$version/jenkins.war" "$JG_WAR_BASE_URL/$version/jenkins.war.sha256" "$dest"
}

# plugin_manager_jar: path of the pinned plugin installation manager, downloaded and verified once.
plugin_manager_jar() {
  local v="$JG_PLUGIN_MANAGER_VERSION" jar
  jar="$JG_TOOLS/jenkins-plugin-manager-$v.jar"
  if [[ ! -f "$jar" ]]; then
    log "downloading plugin installation manager $v"
    download_verified "$JG_PLUGIN_MANAGER_BASE_URL/$v/jenkins-plugin-manager-$v.jar" \
      "sha256:$JG_PLUGIN_MANAGER_SHA256" "$jar"
  fi
  printf '%s\n' "$jar"
}

# plugin_set_key RELEASE_DIR: plugins resolve against a core version, so the staged set is keyed by both.
plugin_set_key() {
  local release="$1"
  { core_version "$release"; cat "$release/casc/plugins.txt"; } | sha256sum | cut -d' ' -f1
}

# install_plugins RELEASE_DIR: resolves casc/plugins.txt (pinned, --latest false) into a staged plugin set
# under plugins/<key>; jenkins-start.sh copies that set into JENKINS_HOME/plugins when Jenkins starts.
# A resolution failure makes the plugin manager exit non-zero, and this function fails with it.
install_plugins() (
  release="$1"
  key="$(plugin_set_key "$release")"
  if [[ -f "$JG_PLUGIN_SETS/$key/.complete" ]]; then exit 0; fi
  version="$(core_version "$release")"
  install_core "$version"
  jar="$(plugin_manager_jar)"
  mkdir -p "$JG_PLUGIN_SETS"
  tmp="$(mktemp -d "$JG_PLUGIN_SETS/.staging.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  log "installing plugins from casc/plugins.txt for Jenkins $version"
  java -jar "$jar" --war "$(war_path "$version")" --plugin-file "$release/casc/plugins.txt" \
    --plugin-download-directory "$tmp" --latest false --verbose >&2 ||
    die "plugin installation failed for casc/plugins.txt (see the plugin manager output above)"
  touch "$tmp/.complete"
  rm -rf "${JG_PLUGIN_SETS:?}/$key"
  mv -T "$tmp" "$JG_PLUGIN_SETS/$key"
)

# prune_releases KEEP: deletes all but the KEEP newest releases; the active one is always kept.
prune_releases() {
  local keep="$1" active dir count=0
  active="$(active_release)"
  while IFS= read -r dir; do
    count=$((count + 1))
    if ((count > keep)) && [[ "$dir" != "$active" ]]; then
      log "removing old release ${dir##*/}"
      rm -rf "$dir"
    fi
  done < <(find "$JG_RELEASES" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %p\n' |
    sort -rn | cut -d' ' -f2-)
}

# http_get_code URL [CURL_ARGS...]: prints the HTTP status, or 000 when nothing answered.
http_get_code() {
  local url="$1"
  shift
  curl -s -o /dev/null -w '%{http_code}' "$@" "$url" || true
}
