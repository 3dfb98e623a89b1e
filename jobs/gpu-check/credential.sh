#!/bin/bash
# gpu-check stage "Credentials", one call per credential, inside the pipeline's withCredentials binding:
#   credential.sh ID file       the file credential bound to CREDENTIAL_FILE
#   credential.sh ID password   the usernamePassword credential whose password is bound to CREDENTIAL_PASSWORD
# Reports whether it is set or still holds its placeholder; never prints any part of the value. A
# credential Jenkins cannot bind at all never gets here: its withCredentials fails, and summary.sh reports
# the missing result.
set -euo pipefail
# shellcheck source=jobs/gpu-check/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$#" -eq 2 ] || usage 'credential.sh ID file|password'
id="$1"
check="credential $id"
case "$2" in
  file)
    [ -n "${CREDENTIAL_FILE:-}" ] || usage "credential.sh $id file: CREDENTIAL_FILE is not set"
    [ -s "$CREDENTIAL_FILE" ] || fail "$check" 'bound, but the file is empty: set it with npm run credentials -- set '"$id"' --file <path>'
    placeholder=false
    is_placeholder "$CREDENTIAL_FILE" && placeholder=true
    ;;
  password)
    [ -n "${CREDENTIAL_PASSWORD+set}" ] || usage "credential.sh $id password: CREDENTIAL_PASSWORD is not set"
    [ -n "$CREDENTIAL_PASSWORD" ] || fail "$check" 'bound, but the password is empty: set it with npm run credentials -- set '"$id"
    placeholder=false
    [[ "$CREDENTIAL_PASSWORD" == "$PLACEHOLDER_PREFIX"* ]] && placeholder=true
    ;;
  *) usage 'credential.sh ID file|password' ;;
esac

if [ "$placeholder" = true ]; then
  pass "$check" "resolves, still the placeholder (builds run without it; set it with npm run credentials -- set $id)"
else
  pass "$check" 'resolves, set'
fi
