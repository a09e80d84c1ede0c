# Shared harness of the AWS CLI end-to-end tests: sourced by test_awscli.sh and
# test_global_awscli.sh after they set NAME (the prefix of every line they print).
# Starts a cluster on a free loopback port with a temporary data dir (or uses
# MERIDIAN_ENDPOINT), always stops it at exit, and defines pass/fail, ddb and json_get.
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
AWS=${MERIDIAN_AWS:-/usr/bin/aws}
PY=/usr/bin/python3
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_PAGER="" AWS_DEFAULT_OUTPUT=json
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
REGION=eu-west-1

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

TMP=$(mktemp -d "/tmp/mer-$NAME-XXXXXX")
PORT=""
STARTED=0
cleanup() {
    if ((STARTED)); then
        MERIDIAN_RUN=$TMP/run "$ROOT/scripts/meridian" down --port "$PORT" >/dev/null 2>&1 ||
            echo "$NAME: warning: scripts/meridian down failed" >&2
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ ! -x $AWS ]]; then
    echo "$NAME: $AWS not found (apt-get install awscli)"
    echo "$NAME: 0 passed, 1 failed"
    exit 1
fi

if [[ -n ${MERIDIAN_ENDPOINT:-} ]]; then
    ENDPOINT=${MERIDIAN_ENDPOINT%/}
else
    PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if [[ -n ${MERIDIAN_GATEWAY:-} && -n ${MERIDIAN_REGIOND:-} ]]; then
        export MERIDIAN_NO_BUILD=${MERIDIAN_NO_BUILD:-1}
    fi
    STARTED=1
    if ! MERIDIAN_RUN=$TMP/run "$ROOT/scripts/meridian" up -d --port "$PORT" --data-dir "$TMP/data" \
            --run-dir "$TMP/run"; then
        echo "$NAME: could not start a cluster"
        echo "$NAME: 0 passed, 1 failed"
        exit 1
    fi
    ENDPOINT=http://127.0.0.1:$PORT
fi

ddb() { "$AWS" --endpoint-url "$ENDPOINT" --region "$REGION" dynamodb "$@"; }
# json_get EXPR: evaluates a Python expression over the JSON on stdin (as `d`).
json_get() { "$PY" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>>"$ERR"; }
