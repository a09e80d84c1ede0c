#!/usr/bin/env bash
# Global tables (issue 5) with the AWS CLI v2 (/usr/bin/aws, Debian's awscli package): the
# issue's exact sequence. Starts its own cluster on a free loopback port with a
# temporary data dir (or uses MERIDIAN_ENDPOINT), and always stops it again.
# Prints "global_awscli: N passed, M failed"; exits 1 on any failure.
#
#   bash tests/e2e/test_global_awscli.sh            (binaries from build/, or MERIDIAN_GATEWAY/REGIOND)
#   MERIDIAN_ENDPOINT=http://127.0.0.1:8000 bash tests/e2e/test_global_awscli.sh   (existing cluster)
set -uo pipefail

NAME=global_awscli
# shellcheck source=tests/e2e/awscli_lib.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/awscli_lib.sh"

TABLE=global01
[[ -n ${MERIDIAN_ENDPOINT:-} ]] && TABLE=global01-$$-$RANDOM   # an existing cluster may have one
OUT=$TMP/out ERR=$TMP/err
aws_r() { local region=$1; shift; "$AWS" --endpoint-url "$ENDPOINT" --region "$region" dynamodb "$@"; }

# poll SECONDS CMD...: runs CMD until it succeeds or SECONDS pass
poll() {
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do
        ((SECONDS >= deadline)) && return 1
        sleep 0.2
    done
}

# 1. create-table in ap-south-1
if aws_r ap-south-1 create-table --table-name "$TABLE" --key-schema AttributeName=id,KeyType=HASH \
        --attribute-definitions AttributeName=id,AttributeType=S --billing-mode PAY_PER_REQUEST >"$OUT" 2>"$ERR"; then
    pass "create-table in ap-south-1"
else
    fail "create-table: $(cat "$ERR" "$OUT")"
fi

# 2. update-table --replica-updates: two new replicas
if aws_r ap-south-1 update-table --table-name "$TABLE" \
        --replica-updates '[{"Create": {"RegionName": "eu-central-1"}}, {"Create": {"RegionName": "us-west-1"}}]' \
        >"$OUT" 2>"$ERR" &&
        [[ $(json_get 'd["TableDescription"]["GlobalTableVersion"]' <"$OUT") == "2019.11.21" ]] &&
        [[ $(json_get 'sorted(r["RegionName"] for r in d["TableDescription"]["Replicas"])' <"$OUT") == "['eu-central-1', 'us-west-1']" ]]; then
    pass "update-table --replica-updates (UPDATING, GlobalTableVersion 2019.11.21)"
else
    fail "update-table --replica-updates: $(cat "$ERR" "$OUT")"
fi

# 3. list-tables in eu-central-1 shows the replica (created asynchronously)
listed() { aws_r eu-central-1 list-tables --output text 2>>"$ERR" | grep -qw "$TABLE"; }
if poll 30 listed; then
    pass "list-tables in eu-central-1 -> $TABLE"
else
    fail "list-tables in eu-central-1: $(cat "$ERR")"
fi

# every replica ACTIVE, seen from the owner
all_active() {
    aws_r ap-south-1 describe-table --table-name "$TABLE" >"$OUT" 2>>"$ERR" &&
        [[ $(json_get 'd["Table"]["TableStatus"] + ":" + ",".join(sorted(r["ReplicaStatus"] for r in d["Table"]["Replicas"]))' <"$OUT") == "ACTIVE:ACTIVE,ACTIVE" ]]
}
if poll 30 all_active; then
    pass "the table and both replicas become ACTIVE"
else
    fail "replicas ACTIVE: $(cat "$OUT" "$ERR")"
fi

# 4. put-item in eu-central-1
if aws_r eu-central-1 put-item --table-name "$TABLE" --item '{"id":{"S":"foo"}}' >"$OUT" 2>"$ERR"; then
    pass "put-item in eu-central-1"
else
    fail "put-item in eu-central-1: $(cat "$ERR" "$OUT")"
fi

# 5. describe-table ItemCount in ap-south-1 becomes 1
count_is_one() { [[ $(aws_r ap-south-1 describe-table --table-name "$TABLE" --query 'Table.ItemCount' 2>>"$ERR") == 1 ]]; }
if poll 30 count_is_one; then
    pass "describe-table ItemCount in ap-south-1 -> 1 once replicated"
else
    fail "ItemCount in ap-south-1: $(cat "$ERR")"
fi

# 6. describe-table Replicas in us-west-1: the other two regions
if aws_r us-west-1 describe-table --table-name "$TABLE" --query 'Table.Replicas' >"$OUT" 2>"$ERR" &&
        [[ $(json_get 'sorted(r["RegionName"] for r in d)' <"$OUT") == "['ap-south-1', 'eu-central-1']" ]]; then
    pass "describe-table Replicas in us-west-1 -> ap-south-1, eu-central-1"
else
    fail "Replicas in us-west-1: $(cat "$ERR" "$OUT")"
fi

# 7. the item is readable in us-west-1 too
readable() { aws_r us-west-1 get-item --table-name "$TABLE" --key '{"id":{"S":"foo"}}' --output text 2>>"$ERR" | grep -q foo; }
if poll 30 readable; then
    pass "get-item in us-west-1 sees the item"
else
    fail "get-item in us-west-1: $(cat "$ERR")"
fi

echo "global_awscli: $passed passed, $failed failed"
((failed == 0))
