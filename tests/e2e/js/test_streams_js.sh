#!/usr/bin/env bash
# End-to-end DynamoDB Streams consumer with the AWS SDK for JavaScript v3 (node 20+).
# Installs the SDK into tests/e2e/js/node_modules when it is missing (npm ci from the
# committed package-lock.json), starts its own in-memory cluster on a free loopback
# port whose regionds roll shards over every few records, runs streams_consumer.mjs
# (a single-region table, then a replica region of a global table)
# against it, and always stops the cluster again. Exits non-zero on any failure.
#
#   bash tests/e2e/js/test_streams_js.sh      (binaries from build/, or MERIDIAN_GATEWAY/REGIOND)
set -uo pipefail
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
PY=/usr/bin/python3
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost AWS_EC2_METADATA_DISABLED=true
TMP=$(mktemp -d /tmp/mer-js-XXXXXX)
PORT=""
STARTED=0
cleanup() {
    if ((STARTED)); then
        MERIDIAN_RUN=$TMP/run "$ROOT/scripts/meridian" down --port "$PORT" >/dev/null 2>&1 ||
            echo "js: warning: scripts/meridian down failed" >&2
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v node >/dev/null && command -v npm >/dev/null ||
    { echo "js: node and npm are needed (scripts/install-deps --with-node)"; exit 1; }
if [[ ! -d $HERE/node_modules/@aws-sdk/client-dynamodb-streams ]]; then
    (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) || { echo "js: npm ci failed"; exit 1; }
fi

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [[ -n ${MERIDIAN_GATEWAY:-} && -n ${MERIDIAN_REGIOND:-} ]]; then
    export MERIDIAN_NO_BUILD=${MERIDIAN_NO_BUILD:-1}
fi
STARTED=1
if ! MERIDIAN_RUN=$TMP/run "$ROOT/scripts/meridian" up -d --port "$PORT" --in-memory --run-dir "$TMP/run" -- \
        --regiond-arg=--stream-shard-rollover-records=9 --regiond-arg=--stream-shard-rollover-ms=300 >/dev/null; then
    echo "js: could not start a cluster"
    exit 1
fi
node "$HERE/streams_consumer.mjs" "http://127.0.0.1:$PORT"
