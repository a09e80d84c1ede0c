# chaos.sh: `scripts/meridian chaos ...`, a thin client of POST/GET /_meridian/chaos.
# Sourced by scripts/meridian (which provides die, s_check_port, s_url, HOST,
# DEFAULT_PORT). Each form builds one JSON request; the gateway validates it (a bad
# one gets a 400 and changes nothing) and answers the faults now in force.
#
#   chaos [--port P] [--seed N] link ORIGIN DEST [--delay-ms N] [--jitter-ms N] [--drop RATE] [--partition]
#   chaos [--port P] [--seed N] partition REGION_A REGION_B
#   chaos [--port P] heal [ORIGIN DEST]
#   chaos [--port P] [--seed N] region REGION [--latency-ms N] [--error CODE:RATE[:Op,Op]] [--outage]
#   chaos [--port P] process REGION kill|pause|resume|restart
#   chaos [--port P] disk-full REGION on|off
#   chaos [--port P] clear
#   chaos [--port P] [show]
#   chaos [--port P] run SCENARIO.json   (scripts/lib/chaos_run.py: CSV, SVG, summary)

CHAOS_NUM='^[0-9]+$'
CHAOS_RATE='^(0(\.[0-9]+)?|1(\.0+)?|\.[0-9]+)$'
CHAOS_NAME='^[a-z0-9-]+$'
CHAOS_OP='^[A-Za-z]+$'

s_chaos_region() { [[ $1 =~ $CHAOS_NAME ]] || die "chaos: invalid region name '$1'"; }
s_chaos_link_json() { printf '{"origin":"%s","destination":"%s"%s}' "$1" "$2" "${3:-}"; }

# Sends body $2 to port $1 (GET when empty); prints the answer; fails on non-2xx.
s_chaos_send() {
    local port=$1 body=${2:-} out code
    local -a args=(-sS --noproxy '*' -m 10 -w '\n%{http_code}')
    [[ -n $body ]] && args+=(-X POST -H 'Content-Type: application/json' --data-binary "$body")
    out=$(curl "${args[@]}" -H @<(s_admin_headers "$port") "$(s_url "$port" /_meridian/chaos)" 2>&1) || die "no Meridian cluster answers on http://$HOST:$port ($out)"
    code=${out##*$'\n'}
    out=${out%$'\n'*}
    echo "$out"
    [[ $code == 2* ]] || die "chaos request refused (HTTP $code)"
}

cmd_chaos() {
    local port=$DEFAULT_PORT seed=""
    while [[ $# -gt 0 ]]; do
        case $1 in
            --port) port=${2:?--port needs a value}; shift ;;
            --port=*) port=${1#*=} ;;
            --seed) seed=${2:?--seed needs a value}; shift ;;
            --seed=*) seed=${1#*=} ;;
            -h|--help) cmd_help; return 0 ;;
            *) break ;;
        esac
        shift
    done
    s_check_port "$port"
    [[ -z $seed || $seed =~ $CHAOS_NUM ]] || die "chaos: --seed needs a non-negative integer, not '$seed'"
    local form=${1:-show}
    [[ $# -gt 0 ]] && shift
    local body
    case $form in
        show) [[ $# -eq 0 ]] || die "chaos show takes no arguments"; s_chaos_send "$port"; return ;;
        link) body=$(s_chaos_form_link "$@") ;;
        partition) body=$(s_chaos_form_partition "$@") ;;
        heal) body=$(s_chaos_form_heal "$@") ;;
        region) body=$(s_chaos_form_region "$@") ;;
        process) body=$(s_chaos_form_process "$@") ;;
        disk-full) body=$(s_chaos_form_disk_full "$@") ;;
        clear) [[ $# -eq 0 ]] || die "chaos clear takes no arguments"; body='{"clear":true}' ;;
        run)
            [[ $# -eq 1 ]] || die "usage: chaos run SCENARIO.json"
            MERIDIAN_ADMIN_KEY=$(s_admin_key "$port") exec "$PYTHON" "$ROOT/scripts/lib/chaos_run.py" "$port" "$1" ;;
        *) die "chaos: unknown form '$form' (link, partition, heal, region, process, disk-full, clear, show)" ;;
    esac
    [[ -n $body ]] || exit 1
    [[ -n $seed ]] && body="{\"seed\":$seed,${body#\{}"
    s_chaos_send "$port" "$body"
}

s_chaos_form_link() {
    [[ $# -ge 2 ]] || die "usage: chaos link ORIGIN DEST [--delay-ms N] [--jitter-ms N] [--drop RATE] [--partition]"
    local origin=$1 dest=$2 extra=""
    s_chaos_region "$origin"; s_chaos_region "$dest"
    shift 2
    while [[ $# -gt 0 ]]; do
        case $1 in
            --delay-ms|--jitter-ms)
                [[ ${2:-} =~ $CHAOS_NUM ]] || die "chaos link: $1 needs a number of milliseconds"
                local key=${1#--}; extra+=",\"${key//-/_}\":$2"; shift ;;
            --drop)
                [[ ${2:-} =~ $CHAOS_RATE ]] || die "chaos link: --drop needs a rate from 0 to 1"
                extra+=",\"drop\":$2"; shift ;;
            --partition) extra+=',"partition":true' ;;
            *) die "chaos link: unknown option '$1'" ;;
        esac
        shift
    done
    printf '{"links":[%s]}' "$(s_chaos_link_json "$origin" "$dest" "$extra")"
}

s_chaos_form_partition() {
    [[ $# -eq 2 ]] || die "usage: chaos partition REGION_A REGION_B"
    s_chaos_region "$1"; s_chaos_region "$2"
    printf '{"links":[%s,%s]}' "$(s_chaos_link_json "$1" "$2" ',"partition":true')" \
        "$(s_chaos_link_json "$2" "$1" ',"partition":true')"
}

s_chaos_form_heal() {
    if [[ $# -eq 0 ]]; then
        echo '{"heal":true}'
        return
    fi
    [[ $# -eq 2 ]] || die "usage: chaos heal [ORIGIN DEST]"
    s_chaos_region "$1"; s_chaos_region "$2"
    printf '{"heal":[%s]}' "$(s_chaos_link_json "$1" "$2")"
}

s_chaos_form_region() {
    [[ $# -ge 1 ]] || die "usage: chaos region REGION [--latency-ms N] [--error CODE:RATE[:Op,Op]] [--outage]"
    local region=$1 extra=""
    s_chaos_region "$region"
    shift
    while [[ $# -gt 0 ]]; do
        case $1 in
            --latency-ms)
                [[ ${2:-} =~ $CHAOS_NUM ]] || die "chaos region: --latency-ms needs a number of milliseconds"
                extra+=",\"latency_ms\":$2"; shift ;;
            --error)
                local spec=${2:-} code rate ops="" list=""
                IFS=: read -r code rate ops <<<"$spec"
                [[ $code =~ ^[A-Za-z]+$ ]] || die "chaos region: --error CODE:RATE[:Op,Op], not '$spec'"
                [[ $rate =~ $CHAOS_RATE ]] || die "chaos region: --error needs a rate from 0 to 1, not '$rate'"
                if [[ -n $ops ]]; then
                    local op
                    IFS=, read -r -a oplist <<<"$ops"
                    for op in "${oplist[@]}"; do
                        [[ $op =~ $CHAOS_OP ]] || die "chaos region: invalid operation name '$op'"
                        list+="${list:+,}\"$op\""
                    done
                fi
                extra+=",\"error\":{\"code\":\"$code\",\"rate\":$rate,\"ops\":[$list]}"; shift ;;
            --outage) extra+=',"outage":true' ;;
            *) die "chaos region: unknown option '$1'" ;;
        esac
        shift
    done
    printf '{"regions":[{"region":"%s"%s}]}' "$region" "$extra"
}

s_chaos_form_process() {
    [[ $# -eq 2 ]] || die "usage: chaos process REGION kill|pause|resume|restart"
    s_chaos_region "$1"
    case $2 in kill|pause|resume|restart) ;; *) die "chaos process: action must be kill, pause, resume or restart" ;; esac
    printf '{"process":[{"region":"%s","action":"%s"}]}' "$1" "$2"
}

s_chaos_form_disk_full() {
    [[ $# -eq 2 ]] || die "usage: chaos disk-full REGION on|off"
    s_chaos_region "$1"
    case $2 in on|off) ;; *) die "chaos disk-full: the switch is on or off, not '$2'" ;; esac
    printf '{"disk_full":[{"region":"%s","on":%s}]}' "$1" "$([[ $2 == on ]] && echo true || echo false)"
}
