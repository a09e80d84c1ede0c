#!/usr/bin/env bash
# coldstart.sh: how long from starting a server until it has answered its first
# ListTables: a three-region Meridian cluster (meridian-gateway started directly,
# --in-memory, every region polled) against dynalite's single process. Free loopback
# ports, N repetitions each, prints the median (and min/max) in ms; always stops what
# it started. Usage: bench/coldstart.sh [--reps N] [--regions r1,r2,..] [--dynalite DIR]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GATEWAY=${MERIDIAN_GATEWAY:-$ROOT/build/gateway/meridian-gateway}
REGIOND=${MERIDIAN_REGIOND:-$ROOT/build/regiond/meridian-regiond}
REPS=5
REGIONS=us-east-1,eu-west-1,ap-south-1
DYNALITE_DIR=${DYNALITE_DIR:-/tmp/dl}    # where `npm install dynalite@4` was run
TIMEOUT_MS=20000

die() { echo "coldstart: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
    case $1 in
        --reps) REPS=${2:?--reps needs a value}; shift ;;
        --regions) REGIONS=${2:?--regions needs a value}; shift ;;
        --dynalite) DYNALITE_DIR=${2:?--dynalite needs a directory}; shift ;;
        -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$1'" ;;
    esac
    shift
done
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer"
[[ -x $GATEWAY && -x $REGIOND ]] || die "build first: cmake --build build (no $GATEWAY or $REGIOND)"
command -v curl >/dev/null || die "curl is needed"
DYNALITE_CLI=$DYNALITE_DIR/node_modules/dynalite/cli.js

elapsed_ms=0      # the last run's figure
started_pid=""    # the one server running now, stopped by s_stop and on exit
work_dir=$(mktemp -d /tmp/coldstart.XXXXXX)

s_stop() {
    [[ -n $started_pid ]] || return 0
    kill -TERM "$started_pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$started_pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$started_pid" 2>/dev/null || true
    wait "$started_pid" 2>/dev/null || true
    started_pid=""
}
trap 's_stop; rm -rf "$work_dir"' EXIT
trap 'exit 130' INT TERM

s_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

s_now_ms() { echo $(($(date +%s%N) / 1000000)); }

# 0 when the server on port $1 answers a ListTables for region $2 with 200.
s_list_tables() {
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -X POST \
        -H 'Content-Type: application/x-amz-json-1.0' \
        -H 'X-Amz-Target: DynamoDB_20120810.ListTables' -H 'X-Amz-Date: 20260101T000000Z' \
        -H "Authorization: AWS4-HMAC-SHA256 Credential=AKIDCOLDSTART/20260101/$2/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000" \
        -d '{}' "http://127.0.0.1:$1/" 2>/dev/null) || true
    [[ $code == 200 ]]
}

# Polls every region in $3 (comma list) on port $1 until each has answered; sets
# elapsed_ms to the ms since $2, or fails after TIMEOUT_MS. (No $(...): a subshell
# that dies would leave the server running.)
s_wait_answered() {
    local port=$1 t0=$2 region
    local -a regions
    IFS=, read -r -a regions <<<"$3"
    for region in "${regions[@]}"; do
        until s_list_tables "$port" "$region"; do
            kill -0 "$started_pid" 2>/dev/null || die "the server exited before answering"
            (($(s_now_ms) - t0 < TIMEOUT_MS)) || die "no answer from port $port ($region) in ${TIMEOUT_MS} ms"
            sleep 0.002
        done
    done
    elapsed_ms=$(($(s_now_ms) - t0))
}

s_meridian_once() {
    local port t0
    port=$(s_free_port)
    t0=$(s_now_ms)
    "$GATEWAY" --port "$port" --in-memory --regions "$REGIONS" --regiond "$REGIOND" \
        --run-dir "$work_dir/run-$port" --log-level warn </dev/null >>"$work_dir/meridian.log" 2>&1 &
    started_pid=$!
    s_wait_answered "$port" "$t0" "$REGIONS"
    s_stop
}

s_dynalite_once() {
    local port t0
    port=$(s_free_port)
    t0=$(s_now_ms)
    node "$DYNALITE_CLI" --port "$port" </dev/null >>"$work_dir/dynalite.log" 2>&1 &
    started_pid=$!
    s_wait_answered "$port" "$t0" us-east-1
    s_stop
}

# "median min max" of the numbers on stdin
s_stats() {
    sort -n | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
                                        printf "%g %d %d\n", m, v[1], v[NR] }'
}

s_run() {   # name, function
    local -a ms=()
    for ((i = 0; i < REPS; i++)); do
        "$2"
        ms+=("$elapsed_ms")
    done
    read -r median lo hi < <(printf '%s\n' "${ms[@]}" | s_stats)
    printf '%-40s median %6s ms  (min %d, max %d; runs: %s)\n' "$1" "$median" "$lo" "$hi" "${ms[*]}"
}

echo "cold start to the first answered ListTables, $REPS runs each ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cpus)"
n_regions=$(tr ',' '\n' <<<"$REGIONS" | wc -l)
s_run "meridian, $n_regions region(s), in memory" s_meridian_once
if [[ -f $DYNALITE_CLI ]] && command -v node >/dev/null; then
    s_run "dynalite $(node -p "require('$DYNALITE_DIR/node_modules/dynalite/package.json').version")" s_dynalite_once
else
    echo "dynalite: skipped (no $DYNALITE_CLI; run: npm install --prefix $DYNALITE_DIR dynalite@4)"
fi
