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

# Download sites, used only for what the stack's artifact mirror does not hold yet (see install_plugins).
# Every artifact is checked against a sha256 pinned in the bundle: casc/jenkins-core.txt for the war,
# casc/plugins.lock for each plugin. Plugin URLs follow the update center's download layout
# (jenkins-infra/update-center2 HPI.getDownloadUrl: download/plugins/<artifactId>/<version>/<artifactId>.hpi).
JG_WAR_BASE_URL="${JENKINS_WAR_BASE_URL:-https://get.jenkins.io/war-stable}"
JG_PLUGIN_BASE_URL="${JENKINS_PLUGIN_BASE_URL:-https://updates.jenkins.io/download/plugins}"

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

# retry WHAT COMMAND...: runs COMMAND (a command, never a function that calls die: die would end the whole
# script at the first failure) until it succeeds, at most JG_RETRY_ATTEMPTS times (default 5), and returns
# its last exit code when every attempt failed. The waits between attempts double from JG_RETRY_DELAY
# seconds (default 5: 5, 10, 20, 40), each at most 60 s, so a mirror or an endpoint that is briefly away
# (a throttled API, a package repository being updated) does not fail the boot. Tests set JG_RETRY_DELAY=0.
# WHAT names the step in the log; the command line is not logged (it may carry the IMDS session token).
retry() {
  local what="$1" attempts="${JG_RETRY_ATTEMPTS:-5}" delay="${JG_RETRY_DELAY:-5}" attempt=1 code
  shift
  [[ "$attempts" =~ ^[1-9][0-9]*$ ]] || attempts=5
  [[ "$delay" =~ ^[0-9]+$ ]] || delay=5
  while :; do
    if "$@"; then return 0; else code=$?; fi
    if ((attempt >= attempts)); then
      warn "$what failed $attempt times (last exit code $code); giving up"
      return "$code"
    fi
    warn "$what failed (attempt $attempt/$attempts, exit code $code); trying again in ${delay}s"
    ((delay == 0)) || sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2 > 60 ? 60 : delay * 2))
  done
}

# imds_instance_id: this instance's id, through IMDSv2 (the launch template requires session tokens).
JG_IMDS_URL="${IMDS_URL:-http://169.254.169.254}"
imds_instance_id() {
  local token
  token="$(retry "getting an IMDSv2 token" \
    curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$JG_IMDS_URL/latest/api/token")" ||
    die "cannot get an IMDSv2 token"
  retry "reading the instance id from IMDS" \
    curl -fsS -H "X-aws-ec2-metadata-token: $token" "$JG_IMDS_URL/latest/meta-data/instance-id" ||
    die "cannot read the instance id from IMDS"
}

# The region for every aws call: the flag/env given to the script, else the CLI's own default.
aws_region_args() {
  if [[ -n "${AWS_REGION:-}" ]]; then printf '%s\n' --region "$AWS_REGION"; fi
}

# bundle_digest DIR: the digest of docs/architecture.md; LC_ALL=C sorts by bytes like the TypeScript side.
# One sha256sum for all files prints exactly the `<hex>  <path>` lines the digest hashes, unless a name holds
# what sha256sum escapes (a backslash, a newline or, in newer coreutils, a carriage return) or is `-` (its
# standard input): then each file is hashed on stdin, so no escaping reaches the digest.
bundle_digest() {
  local dir="$1"
  [[ -d "$dir" ]] || die "bundle_digest: not a directory: $dir"
  (
    cd "$dir" || exit 1
    mapfile -d '' files < <(find . -type f -printf '%P\0' | LC_ALL=C sort -z)
    ((${#files[@]} > 0)) || exit 0
    odd=""
    for file in "${files[@]}"; do
      [[ "$file" != *[$'\\\n\r']* && "$file" != - ]] || odd=1
    done
    if [[ -z "$odd" ]]; then
      sha256sum -- "${files[@]}"
    else
      for file in "${files[@]}"; do
        hash="$(sha256sum <"$file")"
        printf '%s  %s\n' "${hash%% *}" "$file"
      done
    fi
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
  value="$(retry "reading the parameter $name" \
    aws ssm get-parameter --name "$name" "${region[@]}" --query Parameter.Value --output text)" ||
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
  retry "reading secret $arn" \
    aws secretsmanager get-secret-value --secret-id "$arn" "${region[@]}" --query SecretString --output text ||
    die "cannot read secret $arn"
}

# write_private_file FILE OWNER: writes stdin to FILE with mode 0400 through a temp file in the same
# directory and a rename, so a reader (JCasC, systemd) never sees a half-written or world-readable file.
write_private_file() {
  local file="$1" owner="$2" tmp
  tmp="$(umask 0377 && mktemp "${file%/*}/.tmp.XXXXXX")"
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
# One jq run per map: `<name> <base64 of the value>` lines (base64 keeps newlines and spaces in a value).
# Every file is staged in a new directory of its own (mode 0700, so no reader sees a file being written) and
# renamed into place only once all are written, so a failure on the way (a secret that cannot be read)
# leaves the previous files as they were. A subshell: its EXIT trap removes the staging directory on every
# path, and its umask makes every file 0400 from the start.
write_casc_vars() (
  config="$1"
  prepare_casc_vars_dir
  staging="$(mktemp -d "$JG_RUN/.casc-vars.staging.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  umask 0377
  while read -r name encoded; do
    [[ -n "$name" ]] || continue
    valid_var_name "$name" || die "invalid variable name in the config parameter: $name"
    base64 -d <<<"$encoded" >"$staging/$name"
  done < <(config_get "$config" '.vars // {} | to_entries[] | "\(.key) \(.value | tostring | @base64)"')
  while read -r name encoded; do
    [[ -n "$name" ]] || continue
    valid_var_name "$name" || die "invalid secret name in the config parameter: $name"
    arn="$(base64 -d <<<"$encoded")"
    value="$(fetch_secret "$arn")" || exit 1
    # A secret named like a variable replaces it, as the rename of a private file did.
    [[ ! -e "$staging/$name" ]] || rm -f "$staging/$name"
    printf '%s' "$value" >"$staging/$name"
  done < <(config_get "$config" '.secrets // {} | to_entries[] | "\(.key) \(.value | tostring | @base64)"')
  files=("$staging"/*)
  if [[ -e "${files[0]}" ]]; then
    chmod 0400 "${files[@]}"
    chown "$JG_JENKINS_USER:$JG_JENKINS_USER" "${files[@]}"
    # Same filesystem: each is a rename, a reader sees the old file or the new one.
    mv -f "${files[@]}" "$JG_CASC_VARS/"
  fi
  log "wrote the JCasC variable files"
)

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

# read_reload_token: the token from the env file (its first CASC_RELOAD_TOKEN= line), for the reload only.
read_reload_token() {
  local line
  [[ -r "$JG_TOKEN_ENV" ]] || die "reload token file $JG_TOKEN_ENV is missing"
  while IFS= read -r line || [[ -n "$line" ]]; do
    if [[ "$line" == CASC_RELOAD_TOKEN=* ]]; then
      printf '%s' "${line#CASC_RELOAD_TOKEN=}"
      return 0
    fi
  done <"$JG_TOKEN_ENV"
  die "no CASC_RELOAD_TOKEN in $JG_TOKEN_ENV"
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

# download_bundle BUCKET KEY DEST_ZIP: the bundle zip from S3.
download_bundle() {
  local bucket="$1" key="$2" dest="$3"
  local -a region
  mapfile -t region < <(aws_region_args)
  retry "downloading s3://$bucket/$key" aws s3 cp --only-show-errors "${region[@]}" "s3://$bucket/$key" "$dest" >&2 ||
    die "cannot download the config bundle s3://$bucket/$key (S3 unreachable or access denied); nothing changed"
}

# stage_release JSON: downloads, unpacks and verifies the bundle into releases/<digest>; prints that path.
# The unpack happens in a temp dir next to the releases so the final rename is atomic and a bad bundle never
# appears under its digest. Runs in a subshell so its EXIT trap cleans the temp dir on every path.
stage_release() (
  config="$1"
  # One jq run for the three fields (read_config_parameter has checked that each is there).
  mapfile -t bundle < <(config_get "$config" '.bundle | .digest, .bucket, .key')
  digest="${bundle[0]:-}"
  [[ "$digest" =~ ^[0-9a-f]{64}$ ]] || die "bundle digest in the parameter is not a sha256 hex: $digest"
  mkdir -p "$JG_RELEASES"
  tmp="$(mktemp -d "$JG_RELEASES/.staging.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  download_bundle "${bundle[1]:-}" "${bundle[2]:-}" "$tmp/bundle.zip"
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
  local line="" version=""
  # The first line that is neither blank nor a comment, without its whitespace.
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    version="${line//[[:space:]]/}"
    break
  done <"$1/casc/jenkins-core.txt"
  [[ "$version" =~ ^[0-9]+(\.[0-9]+)+$ ]] || die "casc/jenkins-core.txt must hold one version like 2.528.3, got '$version'"
  printf '%s\n' "$version"
}

# war_path VERSION
war_path() { printf '%s/jenkins-%s.war\n' "$JG_WAR_DIR" "$1"; }

# download_verified URL SHA256 DEST: downloads URL and keeps it only when its sha256 is SHA256, the value
# pinned in the bundle. Never a hash published next to the file: whoever can change the file there can
# change its .sha256 too.
download_verified() {
  local url="$1" expected="$2" dest="$3" actual tmp
  [[ -d "${dest%/*}" ]] || mkdir -p "${dest%/*}"
  tmp="$(mktemp "$dest.part.XXXXXX")"
  retry "downloading $url" curl -fsSL --retry 3 -o "$tmp" "$url" || { rm -f "$tmp"; die "cannot download $url"; }
  actual="$(sha256_of "$tmp")"
  if [[ "$actual" != "$expected" ]]; then
    rm -f "$tmp"
    die "sha256 mismatch for $url: got $actual, pinned $expected"
  fi
  chmod 0644 "$tmp"
  mv -f "$tmp" "$dest"
}

# --- the stack's artifact mirror (docs/architecture.md, "Artifact mirror") ---------------------------------
# An S3 prefix of the stack's own (config parameter `.artifactMirror`). After a verified install the war and
# the plugin set are stored there, so a re-boot or a replacement controller installs from the stack alone;
# an upstream site is used only for what the mirror does not hold yet. Objects are verified like downloads:
# a mirror object that does not match its pin fails the install loudly (someone changed it), while a
# missing or unreachable one only means "download it upstream". Storing is best effort and logged.

# mirror_base CONFIG: `s3://bucket/prefix` of the mirror, or nothing when the config has none.
mirror_base() {
  local -a mirror
  mapfile -t mirror < <(config_get "${1:-"{}"}" '.artifactMirror | (.bucket // ""), (.prefix // "")')
  local bucket="${mirror[0]:-}" prefix="${mirror[1]:-}"
  if [[ -n "$bucket" ]]; then printf 's3://%s/%s\n' "$bucket" "${prefix%/}"; fi
}

# mirror_fetch URI DEST: 0 when the object was copied to DEST (not yet verified), 1 when it is missing or
# S3 cannot be reached (the aws error goes to the log).
mirror_fetch() {
  local -a region
  mapfile -t region < <(aws_region_args)
  aws s3 cp --only-show-errors "${region[@]}" "$1" "$2" >&2
}

# mirror_store FILE URI: best effort; a failure costs the next boot a download, nothing else.
mirror_store() {
  local -a region
  mapfile -t region < <(aws_region_args)
  if aws s3 cp --only-show-errors "${region[@]}" "$1" "$2" >&2; then
    log "stored $2 in the artifact mirror"
  else
    warn "could not store $2 in the artifact mirror; the next install downloads it again"
  fi
}

# core_war_sha256 RELEASE_DIR: the war's sha256 pinned in casc/jenkins-core.txt (`sha256=<hex>`).
core_war_sha256() {
  local line="" hex
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" != sha256=* ]] || break
  done <"$1/casc/jenkins-core.txt"
  [[ "$line" == sha256=* ]] || die "casc/jenkins-core.txt has no sha256= line: the war cannot be verified"
  hex="${line#sha256=}"
  hex="${hex%%[[:space:]]*}"
  [[ "$hex" =~ ^[0-9a-f]{64}$ ]] || die "casc/jenkins-core.txt: sha256=$hex is not 64 lower-case hex digits"
  printf '%s\n' "$hex"
}

# install_core RELEASE_DIR [CONFIG]: the pinned war, from the mirror or get.jenkins.io, verified against
# casc/jenkins-core.txt; a war already in place is kept only when it still matches the pin.
install_core() {
  local release="$1" config="${2:-}" version sha dest base tmp
  version="$(core_version "$release")" || exit 1
  sha="$(core_war_sha256 "$release")" || exit 1
  dest="$(war_path "$version")"
  if [[ -f "$dest" && "$(sha256_of "$dest")" == "$sha" ]]; then return 0; fi
  base="$(mirror_base "$config")"
  mkdir -p "$JG_WAR_DIR"
  # A temp file for the mirror's copy only when there is a mirror.
  [[ -z "$base" ]] || tmp="$(mktemp "$dest.mirror.XXXXXX")"
  if [[ -n "$base" ]] && mirror_fetch "$base/war/$sha/jenkins.war" "$tmp"; then
    if [[ "$(sha256_of "$tmp")" != "$sha" ]]; then
      rm -f "$tmp"
      die "sha256 mismatch for $base/war/$sha/jenkins.war in the artifact mirror (pinned $sha): the object was changed; delete it and boot again"
    fi
    chmod 0644 "$tmp"
    mv -f "$tmp" "$dest"
    log "Jenkins $version: war from the artifact mirror, sha256 verified"
    return 0
  fi
  [[ -z "$base" ]] || rm -f "$tmp"
  log "downloading Jenkins $version"
  download_verified "$JG_WAR_BASE_URL/$version/jenkins.war" "$sha" "$dest"
  if [[ -n "$base" ]]; then mirror_store "$dest" "$base/war/$sha/jenkins.war"; fi
}

# lock_entries RELEASE_DIR: `artifactId version sha256` for every plugin of casc/plugins.lock. Synth has
# checked the lock (closed, consistent); this re-checks what the install relies on, so a bundle that never
# went through synth cannot install anything else: each line's shape, no plugin twice, and every plugin of
# casc/plugins.txt locked at its pinned version.
lock_entries() {
  local lock="$1/casc/plugins.lock" intent="$1/casc/plugins.txt" n=0 line id version out="" seen=" "
  local entry='^([A-Za-z0-9][A-Za-z0-9._-]*):([0-9][0-9A-Za-z._-]*)[[:space:]]+sha256=([0-9a-f]{64})[[:space:]]+source=(intent|bom|update-center)[[:space:]]*$'
  [[ -f "$lock" ]] || die "the bundle has no casc/plugins.lock: run npm run plugins:lock and deploy again"
  while IFS= read -r line || [[ -n "$line" ]]; do
    n=$((n + 1))
    line="${line%%#*}"
    # Blank, comment and indented (dependency) lines carry nothing to install.
    [[ -n "${line//[[:space:]]/}" && ! "$line" =~ ^[[:space:]] ]] || continue
    [[ "$line" =~ $entry && "${BASH_REMATCH[2]}" != *SNAPSHOT* ]] ||
      die "casc/plugins.lock:$n: not 'artifactId:version sha256=<hex> source=<intent|bom|update-center>': $line"
    [[ "$seen" != *" ${BASH_REMATCH[1]} "* ]] || die "casc/plugins.lock:$n: ${BASH_REMATCH[1]} appears twice"
    seen+="${BASH_REMATCH[1]} "
    out+="${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"$'\n'
  done <"$lock"
  [[ -n "$out" ]] || die "casc/plugins.lock lists no plugin"
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line%%#*}"
    line="${line//[[:space:]]/}"
    [[ -n "$line" ]] || continue
    id="${line%%:*}" version="${line#*:}"
    [[ "$out" == *$'\n'"$id $version "* || "$out" == "$id $version "* ]] ||
      die "casc/plugins.txt pins $id:$version, which casc/plugins.lock does not hold: a missing plugin; regenerate the lock (npm run plugins:lock)"
  done <"$intent"
  printf '%s' "$out"
}

# plugin_set_key RELEASE_DIR: the lock's digest (its installed entries, sorted), naming the staged set and
# its mirror object. Comments and dependency lines do not change it; any version or sha256 does.
plugin_set_key() {
  local entries
  entries="$(lock_entries "$1")" || exit 1
  printf '%s\n' "$entries" | LC_ALL=C sort | sha256sum | cut -d' ' -f1
}

# verify_plugin_set DIR ENTRIES WHERE: DIR holds exactly the locked plugins (`<artifactId>.jpi`), each
# matching its sha256: a missing, extra or changed plugin fails the install.
verify_plugin_set() {
  local dir="$1" entries="$2" where="$3" id version sha file name
  local -A locked=()
  while read -r id version sha; do
    file="$dir/$id.jpi"
    locked["$id.jpi"]=1
    [[ -f "$file" && ! -L "$file" ]] || die "plugin $id:$version is missing from $where"
    [[ "$(sha256_of "$file")" == "$sha" ]] ||
      die "sha256 mismatch for plugin $id:$version from $where: got $(sha256_of "$file"), locked $sha"
  done <<<"$entries"
  for file in "$dir"/*; do
    [[ -e "$file" || -L "$file" ]] || continue
    name="${file##*/}"
    [[ -n "${locked[$name]:-}" ]] ||
      die "$where holds $name, which casc/plugins.lock does not: the set must be exactly the lock"
  done
}

# local_plugin ID SHA256: a verified copy of the plugin in an already staged set (an upgrade changes a few
# plugins; the rest need no download).
local_plugin() {
  local file
  for file in "$JG_PLUGIN_SETS"/*/"$1.jpi"; do
    if [[ -f "$file" && "$(sha256_of "$file")" == "$2" ]]; then
      printf '%s\n' "$file"
      return 0
    fi
  done
  return 1
}

# download_plugins ENTRIES DIR: every locked plugin into DIR, from a staged set or the update center.
download_plugins() {
  local entries="$1" dir="$2" id version sha copy reused=0 downloaded=0
  while read -r id version sha; do
    if copy="$(local_plugin "$id" "$sha")"; then
      cp "$copy" "$dir/$id.jpi"
      reused=$((reused + 1))
    else
      download_verified "$JG_PLUGIN_BASE_URL/$id/$version/$id.hpi" "$sha" "$dir/$id.jpi"
      downloaded=$((downloaded + 1))
    fi
  done <<<"$entries"
  log "plugins: $downloaded downloaded, $reused from staged sets, every sha256 verified"
}

# mirror_plugin_set URI DIR ENTRIES: the set from the mirror's tar into DIR; 1 when the mirror has none.
# The tar may hold only `<artifactId>.jpi` members; then DIR must be exactly the lock.
mirror_plugin_set() {
  local uri="$1" dir="$2" entries="$3" member
  mirror_fetch "$uri" "$dir/.set.tar" || return 1
  while IFS= read -r member; do
    [[ "$member" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*\.jpi$ ]] ||
      die "$uri in the artifact mirror is not a plugin set (member '$member'): the object was changed; delete it and boot again"
  done < <(tar -tf "$dir/.set.tar")
  tar -xf "$dir/.set.tar" -C "$dir" --no-same-owner --no-same-permissions ||
    die "$uri in the artifact mirror is not a readable tar: delete it and boot again"
  rm -f "$dir/.set.tar"
  verify_plugin_set "$dir" "$entries" "the artifact mirror's $uri (delete it and boot again)"
}

# store_plugin_set DIR ENTRIES URI: the verified set as one tar object (one GET for a replacement instead
# of one per plugin).
store_plugin_set() {
  local dir="$1" entries="$2" uri="$3" id _ tar
  local -a names=()
  while read -r id _; do names+=("$id.jpi"); done <<<"$entries"
  tar="$(mktemp "$JG_PLUGIN_SETS/.set.XXXXXX")"
  if tar -cf "$tar" -C "$dir" --owner=0 --group=0 --numeric-owner -- "${names[@]}"; then
    mirror_store "$tar" "$uri"
  else
    warn "could not pack the plugin set for the artifact mirror"
  fi
  rm -f "$tar"
}

# install_plugins RELEASE_DIR [CONFIG]: exactly the plugins of casc/plugins.lock, staged under
# plugins/<lock digest>; jenkins-start.sh puts that set into JENKINS_HOME/plugins when Jenkins starts.
# Nothing is resolved: each .hpi is fetched by its locked version and kept only when its sha256 matches the
# lock. No plugin installation manager: 2.15.0 downloads update-center.json and plugin-versions.json on
# every run (PluginManager.start -> getUCJson), resolves dependencies beyond its list and checks files
# against the update center's checksums, so it could neither install from the mirror alone nor hold the
# lock's pins. Source order: the mirror's set, then per plugin a staged set
# or the update center's download site (and the verified set is stored in the mirror).
install_plugins() (
  release="$1"
  config="${2:-}"
  entries="$(lock_entries "$release")" || exit 1
  key="$(plugin_set_key "$release")" || exit 1
  if [[ -f "$JG_PLUGIN_SETS/$key/.complete" ]]; then exit 0; fi
  mkdir -p "$JG_PLUGIN_SETS"
  tmp="$(mktemp -d "$JG_PLUGIN_SETS/.staging.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  base="$(mirror_base "$config")"
  count="$(wc -l <<<"$entries")"
  if [[ -n "$base" ]] && mirror_plugin_set "$base/plugin-sets/$key.tar" "$tmp" "$entries"; then
    log "plugin set $key: $count plugins from the artifact mirror, every sha256 verified"
  else
    rm -f "$tmp/.set.tar"
    log "installing the $count plugins of casc/plugins.lock (set $key)"
    download_plugins "$entries" "$tmp"
    verify_plugin_set "$tmp" "$entries" "the downloaded set"
    if [[ -n "$base" ]]; then store_plugin_set "$tmp" "$entries" "$base/plugin-sets/$key.tar"; fi
  fi
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

# --- Jenkins' own log --------------------------------------------------------------------------------------
# Jenkins (winstone) formats java.util.logging records with SupportLogFormatter: a record's first line is
# "2026-11-03 09:14:07.512+0000 [id=42]<TAB>SEVERE<TAB>hudson.util.BootFailure#publish: message"; an
# exception follows on its own lines, innermost cause first ("java.lang.X: text", "<TAB>at ...", "Caused: ...").
# jenkins.service sends stderr to the journal, one entry per line.

# jenkins_journal [JOURNALCTL_ARGS...]: the lines Jenkins logged in the current start of jenkins.service
# (systemd's InvocationID), so a failure logged by an earlier start never counts.
# shellcheck disable=SC2120 # apply-config.sh passes --since
jenkins_journal() {
  local id
  id="$(systemctl show jenkins.service -p InvocationID --value 2>/dev/null || true)"
  if [[ -z "$id" ]] || ! command -v journalctl >/dev/null; then return 0; fi
  journalctl "_SYSTEMD_INVOCATION_ID=$id" --no-pager -o cat "$@" 2>/dev/null || true
}

# jenkins_log_records REGEX: from Jenkins' log on stdin, the records whose "LEVEL source: message" matches the
# awk REGEX, one line each: "LEVEL source: message | exception line | ..." with at most 3 exception lines
# (the summary lines, not the stack frames).
jenkins_log_records() {
  awk -v want="$1" '
    function flush() { if (record != "") print record; record = "" }
    /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9:.]+[-+][0-9][0-9][0-9][0-9] \[id=[0-9]+\]\t/ {
      flush()
      line = $0
      sub(/^[^\t]*\t/, "", line)
      sub(/\t/, " ", line)
      if (line ~ want) { record = line; causes = 0 }
      next
    }
    record != "" && /^[^ \t]/ && causes < 3 { record = record " | " $0; causes++ }
    END { flush() }
  '
}

# jenkins_boot_failure: prints the cause of a failed boot in the current start of Jenkins and succeeds, or
# fails when Jenkins logged none. A boot that JCasC or a plugin stops leaves the JVM up answering 503 on every
# URL (so systemd never restarts it); hudson.util.BootFailure#publish logs "Failed to initialize Jenkins" with
# the cause (Jenkins core hudson/util/BootFailure.java, hudson/WebAppMain.java).
jenkins_boot_failure() {
  local records
  # shellcheck disable=SC2119 # the whole current start
  records="$(jenkins_journal | jenkins_log_records '^SEVERE .*(Failed to initialize Jenkins|BootFailure)')"
  [[ -n "$records" ]] || return 1
  records="${records%%$'\n'*}"
  # The first exception line (the innermost cause) names it; the record's own message is the same for every
  # failed boot, and the wrappers add nothing.
  records="${records#* | }"
  printf '%s\n' "${records%% | *}"
}

# wait_for_jenkins_up SECONDS INTERVAL: 0 once /login answers 200. 2 as soon as Jenkins answers 503 and has
# logged a failed boot in this start: it will not come up by waiting. 1 after SECONDS without a 200 (a slow
# boot keeps 503 or refuses connections until then). JG_WAIT_REASON says why it was not 0.
JG_WAIT_REASON=""
wait_for_jenkins_up() {
  local seconds="$1" interval="$2" polls code cause
  polls=$((seconds / (interval > 0 ? interval : 1) + 1))
  while :; do
    code="$(http_get_code "$JG_JENKINS_URL/login" --max-time 10)"
    [[ "$code" != "200" ]] || return 0
    if [[ "$code" == "503" ]] && cause="$(jenkins_boot_failure)"; then
      JG_WAIT_REASON="Jenkins failed to boot: $cause (it answers 503 on every URL; see journalctl -u jenkins)"
      return 2
    fi
    polls=$((polls - 1))
    if ((polls <= 0)); then
      JG_WAIT_REASON="Jenkins did not answer on /login within ${seconds}s (last HTTP $code)"
      return 1
    fi
    sleep "$interval"
  done
}

# parse_stack_args USAGE ARGS...: the `--stack-name S --region R` a stack-wide unit passes (both required),
# into STACK_NAME and AWS_REGION (exported); anything else dies with USAGE. A CloudFormation stack name (a
# letter, then letters, digits and hyphens) is checked because callers put it into JSON unquoted.
parse_stack_args() {
  local usage="$1"
  shift
  STACK_NAME=""
  while (($# > 0)); do
    [[ $# -ge 2 ]] || die "$usage"
    case "$1" in
      --stack-name) STACK_NAME="$2" ;;
      --region) AWS_REGION="$2" ;;
      *) die "$usage" ;;
    esac
    shift 2
  done
  [[ -n "$STACK_NAME" && -n "${AWS_REGION:-}" ]] || die "$usage"
  [[ "$STACK_NAME" =~ ^[A-Za-z][A-Za-z0-9-]*$ ]] || die "--stack-name must be a CloudFormation stack name, got $STACK_NAME"
  export AWS_REGION STACK_NAME
}
