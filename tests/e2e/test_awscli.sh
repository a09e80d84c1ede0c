#!/usr/bin/env bash
# End-to-end test with the AWS CLI v2 (/usr/bin/aws, Debian's awscli package; not
# whatever `aws` is first on PATH). Starts its own cluster on a free loopback port
# with a temporary data dir, runs table and item commands against it, and always
# stops it again. Prints "awscli: N passed, M failed"; exits 1 on any failure.
#
#   bash tests/e2e/test_awscli.sh            (binaries from build/, or MERIDIAN_GATEWAY/REGIOND)
#   MERIDIAN_ENDPOINT=http://127.0.0.1:8000 bash tests/e2e/test_awscli.sh   (existing cluster)
set -uo pipefail

NAME=awscli
# shellcheck source=tests/e2e/awscli_lib.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/awscli_lib.sh"

TABLE=awscli-$$-$RANDOM
OUT=$TMP/out ERR=$TMP/err

# 1. create-table
if ddb create-table --table-name "$TABLE" \
        --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=N \
        --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
        --billing-mode PAY_PER_REQUEST >"$OUT" 2>"$ERR" &&
        [[ $(json_get 'd["TableDescription"]["TableName"]' <"$OUT") == "$TABLE" ]]; then
    pass "create-table"
else
    fail "create-table: $(cat "$ERR" "$OUT")"
fi

# 2. wait table-exists (the waiter polls describe-table until ACTIVE)
if timeout 60 "$AWS" --endpoint-url "$ENDPOINT" --region "$REGION" dynamodb wait table-exists \
        --table-name "$TABLE" 2>"$ERR"; then
    pass "wait table-exists"
else
    fail "wait table-exists: $(cat "$ERR")"
fi

# 3. describe-table
if ddb describe-table --table-name "$TABLE" >"$OUT" 2>"$ERR" &&
        [[ $(json_get 'd["Table"]["TableStatus"]' <"$OUT") == ACTIVE ]] &&
        [[ $(json_get 'd["Table"]["TableArn"]' <"$OUT") == "arn:aws:dynamodb:$REGION:000000000000:table/$TABLE" ]] &&
        [[ $(json_get '[k["KeyType"] for k in d["Table"]["KeySchema"]]' <"$OUT") == "['HASH', 'RANGE']" ]] &&
        [[ $(json_get 'd["Table"]["BillingModeSummary"]["BillingMode"]' <"$OUT") == PAY_PER_REQUEST ]] &&
        [[ $(json_get 'd["Table"]["ItemCount"]' <"$OUT") == 0 ]]; then
    pass "describe-table"
else
    fail "describe-table: $(cat "$ERR" "$OUT")"
fi

# 4. list-tables (--query / --output text)
if names=$(ddb list-tables --query 'TableNames' --output text 2>"$ERR") &&
        [[ " $names " == *[[:space:]]"$TABLE"[[:space:]]* ]]; then
    pass "list-tables"
else
    fail "list-tables: $names $(cat "$ERR")"
fi

# 5. put-item with every type (B values are base64 on the command line)
ITEM=$TMP/item.json
cat >"$ITEM" <<'EOF'
{
  "pk": {"S": "item-1"},
  "sk": {"N": "1"},
  "s": {"S": "h\u00e9llo \u2603"},
  "empty": {"S": ""},
  "n": {"N": "123456789012345678901234567890.12345678"},
  "n2": {"N": "1.50"},
  "b": {"B": "AAEC/f7/"},
  "t": {"BOOL": true},
  "f": {"BOOL": false},
  "z": {"NULL": true},
  "m": {"M": {"inner": {"L": [{"S": "x"}, {"N": "2"}, {"M": {"deep": {"BOOL": true}}}]}}},
  "l": {"L": [{"S": "a"}, {"NULL": true}, {"B": "/w=="}]},
  "ss": {"SS": ["b", "a"]},
  "ns": {"NS": ["10", "2.5"]},
  "bs": {"BS": ["AA==", "/w=="]}
}
EOF
if ddb put-item --table-name "$TABLE" --item "file://$ITEM" 2>"$ERR"; then
    pass "put-item (every type)"
else
    fail "put-item: $(cat "$ERR")"
fi

# 6. get-item returns every attribute exactly (numbers canonical, sets as sets)
if ddb get-item --table-name "$TABLE" --consistent-read \
        --key '{"pk": {"S": "item-1"}, "sk": {"N": "1"}}' >"$OUT" 2>"$ERR" &&
        "$PY" - "$ITEM" "$OUT" <<'EOF'
import json, sys
want = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))["Item"]
want["n2"] = {"N": "1.5"}                       # numbers come back canonical

def norm(v):
    if isinstance(v, dict):
        if len(v) == 1:
            (t, x), = v.items()
            if t in ("SS", "NS", "BS"):
                return {t: sorted(x)}
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v

if norm(got) != norm(want):
    print("got  %s\nwant %s" % (json.dumps(got, sort_keys=True), json.dumps(want, sort_keys=True)))
    sys.exit(1)
EOF
then
    pass "get-item (every type round-trips)"
else
    fail "get-item: $(cat "$ERR" "$OUT")"
fi

# 7. get-item with --projection-expression and --query/--output text
if v=$(ddb get-item --table-name "$TABLE" --key '{"pk": {"S": "item-1"}, "sk": {"N": "1"}}' \
            --projection-expression '#s, n' --expression-attribute-names '{"#s": "s"}' \
            --query 'Item.n.N' --output text 2>"$ERR") &&
        [[ $v == 123456789012345678901234567890.12345678 ]]; then
    pass "get-item --projection-expression"
else
    fail "get-item --projection-expression: '$v' $(cat "$ERR")"
fi

# 8. put-item --return-values ALL_OLD
if ddb put-item --table-name "$TABLE" --item '{"pk": {"S": "item-1"}, "sk": {"N": "1"}, "v": {"N": "2"}}' \
        --return-values ALL_OLD >"$OUT" 2>"$ERR" &&
        [[ $(json_get 'd["Attributes"]["s"]["S"]' <"$OUT") == "héllo ☃" ]]; then
    pass "put-item --return-values ALL_OLD"
else
    fail "put-item --return-values ALL_OLD: $(cat "$ERR" "$OUT")"
fi

# 9. describe-table counts the item
if [[ $(ddb describe-table --table-name "$TABLE" --query 'Table.ItemCount' --output text 2>"$ERR") == 1 ]]; then
    pass "describe-table ItemCount"
else
    fail "describe-table ItemCount: $(cat "$ERR")"
fi

# 10. delete-item, then get-item finds nothing
if ddb delete-item --table-name "$TABLE" --key '{"pk": {"S": "item-1"}, "sk": {"N": "1"}}' 2>"$ERR" &&
        ddb get-item --table-name "$TABLE" --key '{"pk": {"S": "item-1"}, "sk": {"N": "1"}}' >"$OUT" 2>>"$ERR" &&
        { [[ ! -s $OUT ]] || [[ $(json_get '"Item" in d' <"$OUT" 2>>"$ERR") == False ]]; }; then
    # (the CLI prints nothing at all for an empty response)
    pass "delete-item"
else
    fail "delete-item: $(cat "$ERR" "$OUT")"
fi

# 11. a validation error: wrong key type
if ddb get-item --table-name "$TABLE" --key '{"pk": {"N": "1"}, "sk": {"N": "1"}}' >"$OUT" 2>"$ERR"; then
    fail "get-item with a wrong key type succeeded"
elif grep -q "ValidationException" "$ERR" && grep -q "The provided key element does not match the schema" "$ERR"; then
    pass "get-item wrong key type -> ValidationException"
else
    fail "get-item wrong key type: $(cat "$ERR")"
fi

# 12. delete-table, then it is gone
if ddb delete-table --table-name "$TABLE" >"$OUT" 2>"$ERR" &&
        ! ddb list-tables --query 'TableNames' --output text 2>>"$ERR" | tr '\t' '\n' | grep -qx "$TABLE"; then
    pass "delete-table"
else
    fail "delete-table: $(cat "$ERR")"
fi

# 13. error: get-item on a missing table
if ddb get-item --table-name "$TABLE" --key '{"pk": {"S": "x"}, "sk": {"N": "1"}}' >"$OUT" 2>"$ERR"; then
    fail "get-item on a missing table succeeded"
elif grep -q "ResourceNotFoundException" "$ERR"; then
    pass "get-item on a missing table -> ResourceNotFoundException"
else
    fail "get-item on a missing table: $(cat "$ERR")"
fi

# 14. error: create-table with an invalid name
if ddb create-table --table-name 'no spaces!' --attribute-definitions AttributeName=pk,AttributeType=S \
        --key-schema AttributeName=pk,KeyType=HASH --billing-mode PAY_PER_REQUEST >"$OUT" 2>"$ERR"; then
    fail "create-table with an invalid name succeeded"
elif grep -q "ValidationException" "$ERR"; then
    pass "create-table invalid name -> ValidationException"
else
    fail "create-table invalid name: $(cat "$ERR")"
fi

# 15. regions are separate: a table in ap-south-1 is not listed in eu-central-1
SOUTH=awscli-south-$$-$RANDOM
if "$AWS" --endpoint-url "$ENDPOINT" --region ap-south-1 dynamodb create-table --table-name "$SOUTH" \
        --attribute-definitions AttributeName=pk,AttributeType=S --key-schema AttributeName=pk,KeyType=HASH \
        --billing-mode PAY_PER_REQUEST >/dev/null 2>"$ERR" &&
        "$AWS" --endpoint-url "$ENDPOINT" --region ap-south-1 dynamodb list-tables --output text 2>>"$ERR" | grep -q "$SOUTH" &&
        ! "$AWS" --endpoint-url "$ENDPOINT" --region eu-central-1 dynamodb list-tables --output text 2>>"$ERR" | grep -q "$SOUTH"; then
    pass "regions are separate"
else
    fail "regions are separate: $(cat "$ERR")"
fi
"$AWS" --endpoint-url "$ENDPOINT" --region ap-south-1 dynamodb delete-table --table-name "$SOUTH" >/dev/null 2>&1

echo "awscli: $passed passed, $failed failed"
((failed == 0))
